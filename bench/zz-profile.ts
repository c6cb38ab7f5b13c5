import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startChildServer } from '../lambdas/local/child-server.js';
import { startDynamoDbLocal } from '../lambdas/local/dynamodb-local.js';
import { issueToken, loadIssuerKey } from '../lambdas/local/tokens.js';
import { gaCharge, sendCharge } from '../test/support/receipts.js';
import { measure } from '../bench/stats.js';
const dataDir = mkdtempSync(join(tmpdir(), 'feeproof-prof-'));
const dynamo = await startDynamoDbLocal();
const server = await startChildServer({
  preload: process.env.PROF ? ['/tmp/cpu-profiler.mjs'] : [],
  env: {
    FEEPROOF_DATA_DIR: dataDir, FEEPROOF_DYNAMODB_ENDPOINT: dynamo.endpoint, FEEPROOF_TABLE_PREFIX: 'prof',
    FEEPROOF_RATE_LIMIT_PER_MINUTE: '0',
  },
});
const token = await issueToken(await loadIssuerKey(dataDir), { role: 'collector', department: 'GA' });
const issue = async () => (await sendCharge(server.url, token, gaCharge('李四'), randomUUID())).status === 201;
await measure(300, 8, issue);
const t = Date.now();
const stats = await measure(1500, 32, issue);
console.log('issued', stats.count, 'in', Date.now() - t, 'ms');
server.child.kill('SIGTERM');
await new Promise((r) => server.child.once('exit', r));
await dynamo.stop();
