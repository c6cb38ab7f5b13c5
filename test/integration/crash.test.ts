import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { getDeps, resetDeps } from '../../lambdas/app/deps.js';
import { startChildServer } from '../../lambdas/local/child-server.js';
import { freePort } from '../../lambdas/local/dynamodb-local.js';
import { issueToken, loadIssuerKey } from '../../lambdas/local/tokens.js';
import { expectNumbersAccountedFor } from '../support/accounting.js';
import { newKey, sendGaCharge } from '../support/receipts.js';

const prefix = `crash${randomBytes(3).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'feeproof-crash-'));
let child: ChildProcess | undefined;

/** `feeproof serve` as its own process, so it can be killed outright. */
async function startServer(port: number): Promise<ChildProcess> {
  const server = await startChildServer({
    port,
    env: {
      FEEPROOF_DATA_DIR: dataDir,
      FEEPROOF_TABLE_PREFIX: prefix,
      FEEPROOF_DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
    },
  });
  return server.child;
}

afterAll(() => {
  child?.kill('SIGKILL');
});

describe('a server killed while it issues', () => {
  it('leaves no gap and no duplicate once restarted, recovered and retried, kill after kill', async () => {
    const port = await freePort();
    child = await startServer(port);
    const token = await issueToken(await loadIssuerKey(dataDir), { role: 'collector', department: 'GA' });
    const keys = Array.from({ length: 40 }, () => newKey());
    const send = (key: string) => sendGaCharge(`http://127.0.0.1:${port}`, token, key, '钱七');
    // Three kills at random moments, each while the clients retry what is still unanswered.
    const answered = new Set<string>();
    let interrupted = 0;
    for (let round = 0; round < 3; round++) {
      const pending = keys.filter((k) => !answered.has(k));
      const inFlight = pending.map(async (k) => {
        const status = await send(k);
        if (status === 200 || status === 201) answered.add(k);
        return status;
      });
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 900));
      child.kill('SIGKILL');
      interrupted += (await Promise.all(inFlight)).filter((s) => s === 0).length;
      child = await startServer(port); // start-up runs recovery
    }
    expect(interrupted).toBeGreaterThan(0); // the kills really interrupted requests
    const after = await Promise.all(keys.map(send));
    expect(after.every((s) => s === 200 || s === 201)).toBe(true);

    process.env.FEEPROOF_TABLE_PREFIX = prefix;
    process.env.FEEPROOF_DYNAMODB_ENDPOINT = inject('dynamoEndpoint');
    resetDeps();
    const { receipts } = await expectNumbersAccountedFor('GA');
    expect(receipts).toHaveLength(keys.length);
    expect(new Set(receipts.map((r) => r.idempotencyKey))).toEqual(new Set(keys));
    expect(getDeps().config.tables.receipts).toContain(prefix);
  }, 180_000);
});
