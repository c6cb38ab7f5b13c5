import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { ZodError } from 'zod';
import { isUnavailable } from '../../adapters/dynamo/client.js';
import { logger, powertoolsLogger } from '../../adapters/logger.js';
import { publishedMetrics } from '../../adapters/metrics.js';
import { AppError } from '../../core/errors.js';
import { violationsOf } from '../../core/schemas.js';
import { SignerError } from '../../core/signer.js';
import { CONTENT_TYPES, DEFAULT_MAX_BODY, ROUTES, type Route, routeKey } from '../../runtime/routes.js';
import { authorize, callerOf } from './auth.js';
import { type HttpEvent, json } from './types.js';
import { repeatedParameters, validInput } from './validate.js';

type Middleware = middy.MiddlewareObj<HttpEvent, APIGatewayProxyResultV2>;

const ROUTES_BY_KEY = new Map(ROUTES.map((r) => [routeKey(r), r]));

/**
 * Powertools' Lambda conventions: every log line of an invocation carries cold_start,
 * function_name and function_request_id; where metrics are written (adapters/metrics.ts), a
 * ColdStart metric on a container's first invocation and a flush at the end of each one.
 */
export function powertools(): Middleware[] {
  const metrics = publishedMetrics();
  return [
    injectLambdaContext(powertoolsLogger()),
    ...(metrics ? [logMetrics(metrics, { captureColdStartMetric: true })] : []),
  ];
}

function errorBody(error: AppError) {
  return { error: error.code, message: error.message, details: error.details };
}

/** Every error becomes the JSON error shape; only the server's own faults are 5xx. */
export function httpErrors(): Middleware {
  return {
    onError: async (request) => {
      const error = request.error;
      let appError: AppError;
      if (error instanceof AppError) appError = error;
      else if (error instanceof ZodError)
        appError = new AppError('bad_request', 'the request is invalid', violationsOf(error));
      else if (error instanceof SignerError || isUnavailable(error)) {
        logger.warn('dependency unavailable', { error, requestId: request.event.requestContext?.requestId });
        appError = new AppError(
          'service_unavailable',
          'a dependency is unavailable; retry later with the same Idempotency-Key',
          [],
          { 'retry-after': '1' },
        );
      } else {
        logger.error('unhandled error', { error, requestId: request.event.requestContext?.requestId });
        appError = new AppError('internal_error', 'an internal error occurred');
      }
      request.response = json(appError.status, errorBody(appError), appError.headers);
    },
  };
}

function lowerCaseHeaders(headers: Record<string, string | undefined> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

function parseBody(route: Route, event: HttpEvent, headers: Record<string, string>) {
  if (!route.body) return { body: undefined, rawBody: null };
  const raw = event.body
    ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
    : Buffer.alloc(0);
  const max = route.body.maxBytes ?? DEFAULT_MAX_BODY;
  if (raw.length > max) throw new AppError('payload_too_large', `the body must be at most ${max} bytes`);
  if (raw.length === 0) throw new AppError('bad_request', 'a request body is required');
  const expected = CONTENT_TYPES[route.body.type];
  const [mediaType, ...parameters] = (headers['content-type'] ?? '').split(';');
  const contentType = mediaType!.trim().toLowerCase();
  if (contentType !== expected)
    throw new AppError(
      'unsupported_media_type',
      `the body must be sent as ${expected}, not ${contentType || 'nothing'}`,
    );
  if (route.body.type === 'pdf') return { body: raw, rawBody: raw };
  // Text bodies are read as UTF-8, so another declared charset is refused rather than misread.
  const charset = parameters
    .map((p) => p.trim().toLowerCase())
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/^"(.*)"$/, '$1');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    throw new AppError('unsupported_media_type', `the body must be UTF-8 encoded, not ${charset}`);
  const text = raw.toString('utf8');
  if (text.includes('\uFFFD')) throw new AppError('bad_request', 'the body holds bytes that are not UTF-8');
  if (route.body.type !== 'json') return { body: raw, rawBody: raw };
  try {
    return { body: JSON.parse(text) as unknown, rawBody: raw };
  } catch (e) {
    throw new AppError('bad_request', `malformed JSON: ${(e as Error).message}`);
  }
}

/**
 * Finds the route, checks the caller's group, parses the body and validates every part of
 * the request against the route's schemas (http/validate.ts) into `event.feeproof`.
 */
export function apiRequest(): Middleware {
  return {
    before: async (request) => {
      const event = request.event;
      const route = ROUTES_BY_KEY.get(event.routeKey);
      if (!route) throw new AppError('not_found', `no route ${event.routeKey}`);
      const caller = callerOf(event);
      authorize(route, caller);
      const headers = lowerCaseHeaders(event.headers);
      const { body, rawBody } = parseBody(route, event, headers);
      const query = Object.fromEntries(
        Object.entries(event.queryStringParameters ?? {}).filter(([, v]) => v !== undefined),
      ) as Record<string, string>;
      const params = (event.pathParameters ?? {}) as Record<string, string>;
      event.feeproof = {
        route,
        input: validInput(route, { headers, params, query, body }, repeatedParameters(event.rawQueryString)),
        caller,
        body,
        rawBody,
        query,
        params,
        headers,
        requestId: event.requestContext?.requestId ?? 'local',
        sourceIp: event.requestContext?.http?.sourceIp ?? '0.0.0.0',
      };
    },
  };
}
