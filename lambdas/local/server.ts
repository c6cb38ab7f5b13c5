import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { dataDir as configuredDataDir } from '../runtime/config.js';
import {
  DEFAULT_MAX_BODY,
  isPublic,
  ROUTES,
  type Route,
  type RouteGroup,
  routeKey,
} from '../runtime/routes.js';
import { type LambdaHandler, loadHandler } from './handler-modules.js';
import { serveLog } from './log.js';
import { CONSOLE_PATH, LOCAL_CLIENT_ID, signInHandler } from './sign-in.js';
import { bearerClaims, type IssuerKey } from './tokens.js';

const MATCHERS = ROUTES.map((route) => ({
  route,
  names: [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
  pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '([^/]+)')}$`),
}));

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, error: string, message: string) {
  sendJson(res, status, { error, message, details: [] });
}

/** A path segment decoded, or null when its percent-encoding is malformed (`%E0%A4%A`). */
function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function matchRoute(method: string, path: string) {
  let pathMatched = false;
  for (const m of MATCHERS) {
    const found = m.pattern.exec(path);
    if (!found) continue;
    pathMatched = true;
    if (m.route.method !== method) continue;
    const values = m.names.map((_, i) => decodeSegment(found[i + 1]!));
    if (values.includes(null)) return { route: undefined, params: {}, pathMatched, malformed: true };
    const params = Object.fromEntries(m.names.map((n, i) => [n, values[i]!]));
    return { route: m.route, params, pathMatched };
  }
  return { route: undefined, params: {}, pathMatched };
}

/**
 * The request's URL, its target read as a path and query as API Gateway reads it: `//host/x`
 * is the path `//host/x` (no route), not a host; null for a target that is not a path (an
 * absolute URL, `*`) or that no URL can hold. Never throws.
 */
export function requestUrl(req: Pick<IncomingMessage, 'url'>): URL | null {
  const target = req.url ?? '/';
  if (!target.startsWith('/')) return null;
  try {
    return new URL(`http://127.0.0.1${target}`);
  } catch {
    return null;
  }
}

const NO_BODY = Buffer.alloc(0);

/**
 * Reads the body up to the route's limit (the one its handler enforces, so the 413 names the
 * same figure); null when it is larger: reading stops there, as API Gateway's own limit does.
 */
async function readBody(req: IncomingMessage, cap: number): Promise<Buffer | null> {
  // HTTP/1.1: a request with neither header has no body (most GETs: no stream to iterate).
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)
    return NO_BODY;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > cap) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function isTextual(contentType: string | undefined): boolean {
  return /^(application\/json|text\/)/.test(contentType ?? '');
}

/** The API Gateway HTTP API (payload format 2.0) event for a request, as the real gateway builds it. */
function toEvent(
  req: IncomingMessage,
  url: URL,
  route: Route,
  params: Record<string, string>,
  body: Buffer,
  claims: Record<string, unknown> | null,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  // No prototype: a parameter named `__proto__` must reach the handler (and be refused) as it would in AWS.
  const query: Record<string, string> = Object.create(null);
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const textual = isTextual(headers['content-type']);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: Object.keys(params).length ? params : undefined,
    body: body.length ? (textual ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !textual,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: req.method!,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: routeKey(route),
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      ...(claims ? { authorizer: { jwt: { claims, scopes: [] } } } : {}),
    },
  } as APIGatewayProxyEventV2;
}

function lambdaContext(requestId: string): Context {
  return {
    awsRequestId: requestId,
    functionName: 'feeproof-local',
    getRemainingTimeInMillis: () => 30_000,
    feeproofCanStream: true,
  } as unknown as Context;
}

export interface LocalServerOptions {
  issuerKey: IssuerKey;
  /** Static files (the public web pages). */
  webDir?: string;
  /** Loads a group's handler module; by default the module under lambdas/handlers. */
  loadHandler?: (group: RouteGroup) => Promise<LambdaHandler>;
  /** Where the local sign-in keeps its users file and grants; by default the configured data directory. */
  dataDir?: string;
}

/**
 * What the console reads at `/console/config.json`: where to sign in (the OAuth endpoints'
 * base, Cognito's managed-login domain in AWS, this server locally) and its app client.
 */
function consoleConfig(req: IncomingMessage) {
  const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
  return {
    authority: origin,
    clientId: LOCAL_CLIENT_ID,
    redirectUri: `${origin}${CONSOLE_PATH}`,
    api: origin,
  };
}

/** Pages without their `.html`: the landing page and the console (its one callback URL). */
const PAGE_ALIASES: Record<string, string> = { '/': '/index.html', [CONSOLE_PATH]: '/console.html' };

async function serveStatic(res: ServerResponse, webDir: string, path: string): Promise<boolean> {
  const relative = normalize(PAGE_ALIASES[path] ?? path).replace(/^(\.\.[/\\])+/, '');
  const file = join(webDir, relative);
  if (!file.startsWith(webDir)) return false;
  try {
    if (!(await stat(file)).isFile()) return false;
    res.writeHead(200, {
      'content-type': STATIC_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    });
    res.end(await readFile(file));
    return true;
  } catch {
    return false;
  }
}

/**
 * The local stand-in for API Gateway: matches the route table, checks tokens as the JWT
 * authorizer would (signature, issuer, audience, expiry), and invokes the same handler
 * modules with the same event shape that Lambda would receive.
 */
export function createLocalServer(options: LocalServerOptions): Server {
  const handlers = new Map<RouteGroup, Promise<LambdaHandler>>();
  const load = options.loadHandler ?? loadHandler;
  const handlerFor = (group: RouteGroup) => {
    if (!handlers.has(group)) handlers.set(group, load(group));
    return handlers.get(group)!;
  };

  // The stand-in for Cognito's managed login: here only, never in the route table.
  const signIn = signInHandler({
    issuerKey: options.issuerKey,
    dataDir: options.dataDir ?? configuredDataDir(),
  });

  const server = createServer(async (req, res) => {
    try {
      const url = requestUrl(req);
      if (!url) return sendError(res, 400, 'bad_request', 'the request target must be a path');
      if (await signIn(req, res, url)) return;
      // The transparency log's tiles and checkpoint (CloudFront and S3 in AWS).
      if (req.method === 'GET' && (await serveLog(res, options.dataDir ?? configuredDataDir(), url.pathname)))
        return;
      if (req.method === 'GET' && url.pathname === `${CONSOLE_PATH}/config.json`)
        return sendJson(res, 200, consoleConfig(req), { 'cache-control': 'no-cache' });
      const { route, params, pathMatched, malformed } = matchRoute(req.method ?? 'GET', url.pathname);
      if (malformed) return sendError(res, 400, 'bad_request', 'the path has malformed percent-encoding');
      if (!route) {
        if (req.method === 'GET' && options.webDir && (await serveStatic(res, options.webDir, url.pathname)))
          return;
        return pathMatched
          ? sendError(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}`)
          : sendError(res, 404, 'not_found', `no route ${req.method} ${url.pathname}`);
      }
      let claims: Record<string, unknown> | null = null;
      if (!isPublic(route)) {
        const bearer = await bearerClaims(options.issuerKey, req.headers.authorization);
        if ('refusal' in bearer)
          return sendJson(
            res,
            401,
            { error: 'unauthorized', message: bearer.refusal.message, details: [] },
            { 'www-authenticate': bearer.refusal.challenge },
          );
        claims = bearer.claims;
      }
      const cap = route.body?.maxBytes ?? DEFAULT_MAX_BODY;
      const body = await readBody(req, cap);
      if (body === null) {
        res.setHeader('connection', 'close');
        return sendError(res, 413, 'payload_too_large', `the body must be at most ${cap} bytes`);
      }
      const event = toEvent(req, url, route, params, body, claims);
      const handler = await handlerFor(route.group);
      const result = await handler(event, lambdaContext(event.requestContext.requestId));
      res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
      const { stream } = result as { stream?: AsyncIterable<string | Uint8Array> };
      if (stream) {
        // Written as produced, waiting for the client to drain: an export never sits in memory whole.
        for await (const chunk of stream)
          if (!res.write(chunk)) await new Promise((ok) => res.once('drain', ok));
        return res.end();
      }
      res.end(result.body ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') : undefined);
    } catch (error) {
      process.stderr.write(`local server: ${(error as Error).stack ?? error}\n`);
      if (!res.headersSent) sendError(res, 500, 'internal_error', 'an internal error occurred');
      else res.end();
    }
  });
  // What Node refuses before a request exists (headers over its 16 KiB limit, a broken request
  // line) still gets the JSON error shape, as API Gateway answers such requests with its own.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') return socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({
      error: tooLarge ? 'headers_too_large' : 'bad_request',
      message: tooLarge ? 'the request headers are too large' : 'the request is malformed',
      details: [],
    });
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
  });
  return server;
}
