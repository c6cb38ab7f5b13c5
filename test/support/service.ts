import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { resetDeps } from '../../lambdas/app/deps.js';
import { type LocalService, startLocalService } from '../../lambdas/local/service.js';
import { issueToken, loadIssuerKey, type TokenRequest } from '../../lambdas/local/tokens.js';

export interface TestService extends LocalService {
  token(request: TokenRequest): Promise<string>;
  api(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
}

export interface RequestOptions {
  token?: string;
  json?: unknown;
  body?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely
  body: any;
  bytes: Buffer;
}

/**
 * Starts the real local service (real HTTP, real tokens) against the shared DynamoDB Local,
 * with tables of its own (a random prefix) and a fresh data directory.
 */
export async function startTestService(
  options: { seed?: boolean; env?: Record<string, string> } = {},
): Promise<TestService> {
  process.env.FEEPROOF_TABLE_PREFIX = `t${randomBytes(4).toString('hex')}`;
  process.env.FEEPROOF_LOG_LEVEL ??= 'silent';
  process.env.FEEPROOF_RATE_LIMIT_PER_MINUTE = '0';
  delete process.env.FEEPROOF_PUBLIC_URL;
  Object.assign(process.env, options.env ?? {});
  resetDeps();
  const dataDir = mkdtempSync(join(tmpdir(), 'feeproof-test-'));
  const service = await startLocalService({
    port: 0,
    dataDir,
    dynamoEndpoint: inject('dynamoEndpoint'),
    seed: options.seed,
  });
  const key = await loadIssuerKey(dataDir);
  const api = async (method: string, path: string, o: RequestOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | Uint8Array | undefined = o.body;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['content-type'] ??= 'application/json';
    }
    if (o.contentType) headers['content-type'] = o.contentType;
    const res = await fetch(service.url + path, { method, headers, body: body as BodyInit | undefined });
    const bytes = Buffer.from(await res.arrayBuffer());
    const isJson = (res.headers.get('content-type') ?? '').includes('json');
    return {
      status: res.status,
      headers: res.headers,
      body: isJson ? JSON.parse(bytes.toString('utf8')) : bytes.toString('utf8'),
      bytes,
    };
  };
  return { ...service, token: (r) => issueToken(key, r), api };
}
