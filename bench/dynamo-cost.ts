/**
 * Issue 14's DynamoDB figures per receipt, measured as test/integration/issuing-cost.test.ts
 * measures them (test/support/dynamo-cost.ts): receipts issued through the app in this process,
 * on the bench's DynamoDB Local under tables of their own, after one that opened the range and
 * loaded the catalogue, the totals and the keys; in office hours (no alert raised).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetDeps } from '../lambdas/app/deps.js';
import { startLocalService } from '../lambdas/local/service.js';
import { charge, counting, type DynamoCost, measure } from '../test/support/dynamo-cost.js';

export async function dynamoCostPerReceipt(endpoint: string, receipts = 5): Promise<DynamoCost[]> {
  const env = { ...process.env };
  Object.assign(process.env, {
    FEEPROOF_TABLE_PREFIX: `cost${randomBytes(4).toString('hex')}`,
    FEEPROOF_LOG_LEVEL: 'silent',
    FEEPROOF_RATE_LIMIT_PER_MINUTE: '0',
    // Receipts of office hours, whatever the bench's hour: one issued outside them raises an
    // alert, stored by its completing transaction (3 WRU more), which would make the figure
    // depend on when the bench runs.
    FEEPROOF_OFFICE_HOURS: JSON.stringify({ start: '00:00', end: '24:00', days: [0, 1, 2, 3, 4, 5, 6] }),
  });
  resetDeps();
  const service = await startLocalService({
    port: 0,
    dataDir: mkdtempSync(join(tmpdir(), 'feeproof-cost-')),
    dynamoEndpoint: endpoint,
  });
  try {
    counting();
    await charge()();
    const runs: DynamoCost[] = [];
    for (let i = 0; i < receipts; i++) runs.push(await measure(charge()));
    return runs;
  } finally {
    await service.stop();
    process.env = env;
    resetDeps();
  }
}
