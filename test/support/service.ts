import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { resetDeps } from '../../lambdas/app/deps.js';
import { type LocalService, startLocalService } from '../../lambdas/local/service.js';
import { issueToken, loadIssuerKey, type TokenRequest } from '../../lambdas/local/tokens.js';
import { type ApiResponse, api, type RequestOptions } from './receipts.js';

export interface TestService extends LocalService {
  token(request: TokenRequest): Promise<string>;
  /** A request to this service through the one client of test/support/receipts.ts. */
  api(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
}

/**
 * Starts the real local service (real HTTP, real tokens) against the shared DynamoDB Local,
 * with tables of its own (a random prefix) and a fresh data directory (or the one given).
 */
export async function startTestService(
  options: { seed?: boolean; env?: Record<string, string>; dataDir?: string } = {},
): Promise<TestService> {
  process.env.FEEPROOF_TABLE_PREFIX = `t${randomBytes(4).toString('hex')}`;
  process.env.FEEPROOF_LOG_LEVEL ??= 'silent';
  process.env.FEEPROOF_RATE_LIMIT_PER_MINUTE = '0';
  // A check sees a receipt's log index as soon as it is sequenced (log-index.ts; 1 s in service).
  process.env.FEEPROOF_LOG_INDEX_REREAD_MS ??= '0';
  delete process.env.FEEPROOF_PUBLIC_URL;
  Object.assign(process.env, options.env ?? {});
  resetDeps();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'feeproof-test-'));
  const service = await startLocalService({
    port: 0,
    dataDir,
    dynamoEndpoint: inject('dynamoEndpoint'),
    seed: options.seed,
  });
  const key = await loadIssuerKey(dataDir);
  return {
    ...service,
    token: (r) => issueToken(key, r),
    api: (method, path, o) => api(service.url, method, path, o),
  };
}
