/**
 * The local stand-in for Cognito's managed login (hosted UI): the same endpoints' shape
 * (`GET /oauth2/authorize`, `POST /oauth2/token`, `POST /oauth2/revoke`, `GET /logout`), the
 * authorization-code flow with PKCE (S256 only: the console is a public client), tokens signed
 * by the local issuer key in Cognito's shape. It lives in the local server only, never in the
 * route table that the CDK stack deploys (test/integration/sign-in.test.ts proves it).
 *
 * State lives in files under `<data dir>/sign-in/`, because `feeproof serve` runs several
 * processes behind one port and the code may come back to another one: a code or a refresh
 * token is stored under the SHA-256 of its value; redeeming a code deletes its file, and of
 * two processes racing to delete it only one succeeds, so a code is used at most once.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { Role } from '../runtime/routes.js';
import { DEMO_DEPARTMENTS } from './demo-catalogue.js';
import { signInPage, signInProblemPage } from './sign-in-page.js';
import { type IssuerKey, issueToken, LOCAL_AUDIENCE, LOCAL_ISSUER } from './tokens.js';

/** The app client id of the console: the audience the local server's token check wants. */
export const LOCAL_CLIENT_ID = LOCAL_AUDIENCE;
/** Where the console lives; the one callback and sign-out URL registered for the client. */
export const CONSOLE_PATH = '/console';

/** Cognito's defaults for the stack's app client: an hour for ID and access tokens, a day for refresh. */
const TOKEN_TTL_SECONDS = 3600;
const REFRESH_TTL_SECONDS = 86_400;
/** Cognito's authorization codes live five minutes; a local one needs less. */
const CODE_TTL_SECONDS = 60;

export interface LocalUser {
  username: string;
  /** The name the sign-in page shows. */
  name: string;
  role: Role;
  department?: string;
}

const ROLES: readonly Role[] = ['finance', 'collector', 'auditor'];

/** The users a fresh data directory gets: one finance officer, one collector per demo department, one auditor. */
export function seedUsers(): LocalUser[] {
  return [
    { username: 'finance', name: '财政局收费管理员 Finance officer', role: 'finance' },
    ...Object.entries(DEMO_DEPARTMENTS).map(([department, name]) => ({
      username: `collector-${department.toLowerCase()}`,
      name: `${name} 收费员 Collector`,
      role: 'collector' as const,
      department,
    })),
    { username: 'auditor', name: '财政监督检查员 Auditor', role: 'auditor' },
  ];
}

export const usersPath = (dataDir: string) => join(dataDir, 'users.json');

/**
 * The users of the data directory's users file, which is written with the seed users when it
 * is missing (the first use of the sign-in page). It is read on every sign-in, so an edit
 * counts at once; a malformed file is an error that names it.
 */
export async function loadUsers(dataDir: string): Promise<LocalUser[]> {
  const path = usersPath(dataDir);
  await mkdir(dataDir, { recursive: true });
  await writeFile(path, `${JSON.stringify({ users: seedUsers() }, null, 2)}\n`, { flag: 'wx' }).catch(
    (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    },
  );
  const parsed = JSON.parse(await readFile(path, 'utf8')) as { users?: unknown };
  const users = Array.isArray(parsed.users) ? (parsed.users as LocalUser[]) : [];
  const bad = users.find(
    (u) =>
      typeof u?.username !== 'string' ||
      !/^[\w.-]{1,64}$/.test(u.username) ||
      typeof u.name !== 'string' ||
      !ROLES.includes(u.role) ||
      (u.role === 'collector' && typeof u.department !== 'string'),
  );
  if (!users.length || bad)
    throw new Error(
      `${path}: expected {"users":[{"username","name","role":"finance|collector|auditor","department" (collectors)}]}` +
        (bad ? `; bad entry ${JSON.stringify(bad)}` : ''),
    );
  return users;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const base64url = (bytes: Buffer) => bytes.toString('base64url');

/** The files of one kind of grant (codes, refresh tokens); names are hashes, never the secrets. */
class GrantStore<T extends { expiresAt: number }> {
  constructor(private readonly dir: string) {}

  async put(secret: string, grant: T): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, sha256(secret)), JSON.stringify(grant), { mode: 0o600, flag: 'wx' });
  }

  async get(secret: string): Promise<T | null> {
    const grant = await readFile(join(this.dir, sha256(secret)), 'utf8').then(
      (text) => JSON.parse(text) as T,
      () => null,
    );
    return grant && grant.expiresAt > Date.now() ? grant : null;
  }

  /** True for the one caller that deleted it. */
  async take(secret: string): Promise<boolean> {
    return unlink(join(this.dir, sha256(secret))).then(
      () => true,
      () => false,
    );
  }

  /** Removes expired grants (and what cannot be read), so the directory does not grow for good. */
  async prune(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const now = Date.now();
    for (const name of names) {
      const path = join(this.dir, name);
      const grant = await readFile(path, 'utf8').then(
        (text) => JSON.parse(text) as T,
        () => null,
      );
      if (!grant || grant.expiresAt <= now) await rm(path, { force: true });
    }
  }
}

interface CodeGrant {
  username: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  expiresAt: number;
}

interface RefreshGrant {
  username: string;
  clientId: string;
  /** The jti that Cognito's tokens carry as origin_jti: the sign-in they came from. */
  originJti: string;
  expiresAt: number;
}

type Params = Record<string, string>;

/** An OAuth error answer of the token and revocation endpoints, as Cognito gives it. */
class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
  }
}

function sendOAuthJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    pragma: 'no-cache',
  });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, status: number, html: string) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'",
  });
  res.end(html);
}

function redirect(res: ServerResponse, location: string) {
  res.writeHead(302, { location, 'cache-control': 'no-store' });
  res.end();
}

async function readForm(req: IncomingMessage): Promise<Params> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded'))
    throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 16_384) throw new OAuthError('invalid_request', 'the body is too large');
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** The PKCE check (RFC 7636, S256): BASE64URL(SHA256(verifier)) must be the challenge. */
export function pkceMatches(verifier: string, challenge: string): boolean {
  return (
    /^[A-Za-z0-9._~-]{43,128}$/.test(verifier) &&
    base64url(createHash('sha256').update(verifier).digest()) === challenge
  );
}

export interface SignInOptions {
  issuerKey: IssuerKey;
  dataDir: string;
}

/**
 * The sign-in endpoints; answers true when the request was one of them. The registered
 * callback and sign-out URL is the console on the origin the request came to, as Cognito's
 * app client lists the CloudFront console URL.
 */
export function signInHandler(options: SignInOptions) {
  const codes = new GrantStore<CodeGrant>(join(options.dataDir, 'sign-in', 'codes'));
  const refreshTokens = new GrantStore<RefreshGrant>(join(options.dataDir, 'sign-in', 'refresh'));

  const consoleUrl = (req: IncomingMessage) => `http://${req.headers.host ?? '127.0.0.1'}${CONSOLE_PATH}`;

  /** What is wrong with an authorization request (shown as a page), or null. */
  function authorizeProblem(req: IncomingMessage, p: Params): string | null {
    if (p.client_id !== LOCAL_CLIENT_ID) return `unknown client_id (the console's is ${LOCAL_CLIENT_ID})`;
    if (p.redirect_uri !== consoleUrl(req)) return `redirect_uri must be ${consoleUrl(req)}`;
    if (p.response_type !== 'code') return 'response_type must be code';
    if (p.code_challenge_method !== 'S256') return 'code_challenge_method must be S256 (PKCE is required)';
    if (!/^[A-Za-z0-9_-]{43}$/.test(p.code_challenge ?? ''))
      return 'code_challenge must be the base64url SHA-256 of the code verifier (43 characters)';
    if (p.state !== undefined && p.state.length > 512) return 'state is too long';
    return null;
  }

  async function tokensFor(user: LocalUser, originJti: string) {
    const key = options.issuerKey;
    const now = Math.floor(Date.now() / 1000);
    const idToken = await issueToken(key, {
      role: user.role,
      username: user.username,
      ttlSeconds: TOKEN_TTL_SECONDS,
      ...(user.department ? { department: user.department } : {}),
    });
    // Cognito's access token: no aud, the app client in client_id, no custom attributes.
    const accessToken = await new SignJWT({
      'cognito:groups': [user.role],
      client_id: LOCAL_CLIENT_ID,
      origin_jti: originJti,
      token_use: 'access',
      scope: 'openid',
      auth_time: now,
      username: user.username,
    })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setSubject(`local|${user.username}`)
      .setIssuer(LOCAL_ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_TTL_SECONDS)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return {
      id_token: idToken,
      access_token: accessToken,
      expires_in: TOKEN_TTL_SECONDS,
      token_type: 'Bearer',
    };
  }

  async function userNamed(username: string | undefined): Promise<LocalUser | undefined> {
    return (await loadUsers(options.dataDir)).find((u) => u.username === username);
  }

  async function token(req: IncomingMessage, res: ServerResponse) {
    const p = await readForm(req);
    if (p.client_id !== LOCAL_CLIENT_ID) throw new OAuthError('invalid_client', 'unknown client_id');
    if (p.grant_type === 'authorization_code') {
      if (!p.code || !p.code_verifier || !p.redirect_uri)
        throw new OAuthError('invalid_request', 'code, code_verifier and redirect_uri are required');
      const grant = await codes.get(p.code);
      // Taken before anything else is checked: a code is spent by its first use, right or wrong.
      if (!grant || !(await codes.take(p.code)))
        throw new OAuthError('invalid_grant', 'the code is unknown, expired or already used');
      if (grant.clientId !== p.client_id || grant.redirectUri !== p.redirect_uri)
        throw new OAuthError('invalid_grant', 'the code was issued to another client or redirect_uri');
      if (!pkceMatches(p.code_verifier, grant.codeChallenge))
        throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
      const user = await userNamed(grant.username);
      if (!user) throw new OAuthError('invalid_grant', 'the user no longer exists');
      const originJti = randomUUID();
      const refreshToken = base64url(randomBytes(48));
      await refreshTokens.prune();
      await refreshTokens.put(refreshToken, {
        username: user.username,
        clientId: p.client_id,
        originJti,
        expiresAt: Date.now() + REFRESH_TTL_SECONDS * 1000,
      });
      return sendOAuthJson(res, 200, { ...(await tokensFor(user, originJti)), refresh_token: refreshToken });
    }
    if (p.grant_type === 'refresh_token') {
      const grant = p.refresh_token ? await refreshTokens.get(p.refresh_token) : null;
      if (!grant || grant.clientId !== p.client_id)
        throw new OAuthError('invalid_grant', 'the refresh token is unknown, expired or revoked');
      const user = await userNamed(grant.username);
      if (!user) throw new OAuthError('invalid_grant', 'the user no longer exists');
      // As Cognito without rotation: new ID and access tokens, the same refresh token.
      return sendOAuthJson(res, 200, await tokensFor(user, grant.originJti));
    }
    throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
  }

  async function revoke(req: IncomingMessage, res: ServerResponse) {
    const p = await readForm(req);
    if (!p.token) throw new OAuthError('invalid_request', 'token is required');
    if (p.client_id !== LOCAL_CLIENT_ID) throw new OAuthError('invalid_client', 'unknown client_id');
    const grant = await refreshTokens.get(p.token);
    if (grant && grant.clientId !== p.client_id)
      throw new OAuthError('unauthorized_client', 'the token belongs to another client');
    await refreshTokens.take(p.token);
    res.writeHead(200, { 'cache-control': 'no-store' });
    res.end();
  }

  return async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const route = `${req.method} ${url.pathname}`;
    try {
      switch (route) {
        case 'GET /oauth2/authorize': {
          const p = Object.fromEntries(url.searchParams);
          const problem = authorizeProblem(req, p);
          if (problem) sendHtml(res, 400, signInProblemPage(problem));
          else sendHtml(res, 200, signInPage(await loadUsers(options.dataDir), p));
          return true;
        }
        case 'POST /login': {
          const p = await readForm(req);
          const problem = authorizeProblem(req, p);
          if (problem) {
            sendHtml(res, 400, signInProblemPage(problem));
            return true;
          }
          const user = await userNamed(p.username);
          if (!user) {
            sendHtml(res, 400, signInProblemPage(`no local user ${p.username ?? ''}`));
            return true;
          }
          const code = base64url(randomBytes(32));
          await codes.prune();
          await codes.put(code, {
            username: user.username,
            clientId: p.client_id!,
            redirectUri: p.redirect_uri!,
            codeChallenge: p.code_challenge!,
            expiresAt: Date.now() + CODE_TTL_SECONDS * 1000,
          });
          const back = new URL(p.redirect_uri!);
          back.searchParams.set('code', code);
          if (p.state !== undefined) back.searchParams.set('state', p.state);
          redirect(res, back.toString());
          return true;
        }
        case 'POST /oauth2/token':
          await token(req, res);
          return true;
        case 'POST /oauth2/revoke':
          await revoke(req, res);
          return true;
        case 'GET /logout': {
          const logoutUri = url.searchParams.get('logout_uri');
          if (
            url.searchParams.get('client_id') !== LOCAL_CLIENT_ID ||
            !(logoutUri === consoleUrl(req) || logoutUri?.startsWith(`${consoleUrl(req)}?`))
          )
            sendHtml(
              res,
              400,
              signInProblemPage(`logout_uri must be ${consoleUrl(req)} and client_id the console's`),
            );
          else redirect(res, logoutUri);
          return true;
        }
        default:
          return false;
      }
    } catch (e) {
      if (e instanceof OAuthError) {
        sendOAuthJson(res, e.status, { error: e.error, error_description: e.description });
        return true;
      }
      throw e;
    }
  };
}
