import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { resetDeps } from '../../lambdas/app/deps.js';
import { type ChildServer, startChildServer } from '../../lambdas/local/child-server.js';
import { issueToken, loadIssuerKey } from '../../lambdas/local/tokens.js';
import { expectNumbersAccountedFor } from '../support/accounting.js';
import { newKey, sendGaCharge } from '../support/receipts.js';

const prefix = `workers${randomBytes(3).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'feeproof-workers-'));
let server: ChildServer | undefined;

afterAll(() => {
  server?.child.kill('SIGTERM');
});

describe('feeproof serve with worker processes', () => {
  it('replaces a worker killed while it issues, and every number stays accounted for', async () => {
    server = await startChildServer({
      env: {
        FEEPROOF_DATA_DIR: dataDir,
        FEEPROOF_TABLE_PREFIX: prefix,
        FEEPROOF_DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
        FEEPROOF_WORKERS: '2',
      },
    });
    const workers = server.workerPids();
    expect(workers).toHaveLength(2);
    const token = await issueToken(await loadIssuerKey(dataDir), { role: 'collector', department: 'GA' });
    const send = (key: string) => sendGaCharge(server!.url, token, key, '孙八');
    const keys = Array.from({ length: 30 }, () => newKey());
    const first = Promise.all(keys.map(send));
    await new Promise((r) => setTimeout(r, 400));
    process.kill(workers[0]!, 'SIGKILL');
    expect(await first).toContain(0); // the kill really cut requests off

    let now = server.workerPids();
    for (let i = 0; i < 100 && (now.length < 2 || now.includes(workers[0]!)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = server.workerPids();
    }
    expect(now).toHaveLength(2);
    expect(now).not.toContain(workers[0]);
    // Clients retry what was not answered, with the same keys; every key then has its receipt.
    for (let round = 0; round < 5; round++) {
      const statuses = await Promise.all(keys.map(send));
      if (statuses.every((s) => s === 200 || s === 201)) break;
    }
    expect((await Promise.all(keys.map(send))).every((s) => s === 200 || s === 201)).toBe(true);

    process.env.FEEPROOF_TABLE_PREFIX = prefix;
    process.env.FEEPROOF_DYNAMODB_ENDPOINT = inject('dynamoEndpoint');
    resetDeps();
    const { receipts } = await expectNumbersAccountedFor('GA');
    expect(new Set(receipts.map((r) => r.idempotencyKey))).toEqual(new Set(keys));
  }, 120_000);
});
