import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { RequestSchemas, Role, Route, RouteEntry, RouteGroup } from '../../runtime/routes.js';

/** Who is calling, from the JWT claims that API Gateway (or the local server) checked. */
export interface Caller {
  subject: string;
  username: string;
  roles: Role[];
  department?: string;
}

type Parsed<S, K extends keyof RequestSchemas> = S extends { [P in K]: infer T extends z.ZodType }
  ? z.output<T>
  : undefined;

/** What a route's schemas made of its request; undefined for a part it has no schema for. */
export interface RequestInput<S = RequestSchemas> {
  body: Parsed<S, 'body'>;
  query: Parsed<S, 'query'>;
  params: Parsed<S, 'params'>;
  headers: Parsed<S, 'headers'>;
}

/** A route entry's input: null instead of a 400 where the route says so (`nullWhenInvalid`). */
export type InputOf<R> = R extends { request: infer S }
  ? S extends { nullWhenInvalid: true }
    ? RequestInput<S> | null
    : RequestInput<S>
  : RequestInput<object>;

/** What an operation sees: the parsed request, never the raw event shape. */
export interface ApiRequest<Input = unknown> {
  route: Route;
  /** The parts of the request as the route's schemas parsed them (http/validate.ts). */
  input: Input;
  caller: Caller | null;
  /** The JSON body as sent (unvalidated: `input.body` is what to use), or the raw bytes for CSV and PDF. */
  body: unknown;
  rawBody: Buffer | null;
  query: Record<string, string>;
  params: Record<string, string>;
  headers: Record<string, string>;
  requestId: string;
  sourceIp: string;
}

/**
 * A reply; `stream` carries a body too large to hold in memory (exports). Where the runtime
 * can stream (the local server) it is written as it is produced; Lambda behind an HTTP API
 * cannot, so there it is collected up to the response limit (see http/streaming.ts).
 */
export type ApiReply = APIGatewayProxyStructuredResultV2 & { stream?: AsyncIterable<string | Uint8Array> };
export type Operation = (request: ApiRequest) => Promise<ApiReply>;

/** A group's operations by route id, each typed with its route's input. */
export type Operations<G extends RouteGroup> = {
  [R in Extract<RouteEntry, { group: G }> as R['id']]: (request: ApiRequest<InputOf<R>>) => Promise<ApiReply>;
};

/** The event as it flows through the middlewares, which fill in `feeproof`. */
export type HttpEvent = APIGatewayProxyEventV2 & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: {
      jwt?: { claims: Record<string, string | number | boolean | string[]>; scopes?: string[] };
    };
  };
  feeproof?: ApiRequest;
};

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiReply {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

export function binary(
  contentType: string,
  bytes: Uint8Array,
  headers: Record<string, string> = {},
): ApiReply {
  return {
    statusCode: 200,
    headers: { 'content-type': contentType, ...headers },
    body: Buffer.from(bytes).toString('base64'),
    isBase64Encoded: true,
  };
}

export function streamed(
  contentType: string,
  stream: AsyncIterable<string | Uint8Array>,
  headers: Record<string, string> = {},
): ApiReply {
  return { statusCode: 200, headers: { 'content-type': contentType, ...headers }, stream };
}
