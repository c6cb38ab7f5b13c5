/**
 * DynamoDB Local stopped and restarted under load. The service runs on a DynamoDB Local of
 * its own (data on disk, a fixed port); while clients issue, it is stopped: requests must
 * fail fast with 503 and a clear JSON message (never a 500, never a hang); then it starts
 * again on the same port and data: retried keys get their receipts and nothing is lost.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetDeps } from '../../lambdas/app/deps.js';
import { type DynamoDbLocal, freePort, startDynamoDbLocal } from '../../lambdas/local/dynamodb-local.js';
import { type LocalService, startLocalService } from '../../lambdas/local/service.js';
import { issueToken, loadIssuerKey } from '../../lambdas/local/tokens.js';
import { expectNumbersAccountedFor } from '../support/accounting.js';
import { newKey } from '../support/receipts.js';
import { type Answered, expectConsistent, type Issued, issuedOf, sleep, untilAnswered } from './support.js';

const CLIENTS = 8;
/** How long any one request may take, DynamoDB down or not, before it counts as a hang. */
const HANG_MS = 15_000;
const dataDir = mkdtempSync(join(tmpdir(), 'feeproof-restart-db-'));
const serviceDir = mkdtempSync(join(tmpdir(), 'feeproof-restart-svc-'));
let port: number;
let dynamo: DynamoDbLocal | undefined;
let svc: LocalService | undefined;
let token: string;

const CHARGE = {
  payer: { type: 'unit', name: '某某有限公司' },
  lines: [{ itemCode: 'GA-002', quantity: 1, amount: '10.00' }],
};

beforeAll(async () => {
  port = await freePort();
  dynamo = await startDynamoDbLocal({ dataDir, port });
  process.env.FEEPROOF_TABLE_PREFIX = `restart${randomBytes(3).toString('hex')}`;
  process.env.FEEPROOF_LOG_LEVEL ??= 'silent';
  process.env.FEEPROOF_RATE_LIMIT_PER_MINUTE = '0';
  delete process.env.FEEPROOF_PUBLIC_URL;
  resetDeps();
  svc = await startLocalService({ port: 0, dataDir: serviceDir, dynamoEndpoint: dynamo.endpoint });
  token = await issueToken(await loadIssuerKey(serviceDir), { role: 'collector', department: 'GA' });
}, 120_000);

afterAll(async () => {
  await Promise.race([svc?.stop(), new Promise((r) => setTimeout(r, 10_000))]);
  await dynamo?.stop();
});
// Never leave a DynamoDB Local behind, whatever happens to this worker.
process.once('exit', () => dynamo?.process.kill('SIGKILL'));

const issue = (key: string) => (signal: AbortSignal) =>
  fetch(`${svc!.url}/v1/receipts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(CHARGE),
    signal,
  });

describe('DynamoDB Local stopped and restarted under load', () => {
  it('answers 503 while it is down, and loses nothing once it is back', async () => {
    const answers: Issued[] = [];
    const all: Answered[] = [];
    let phase: 'before' | 'down' | 'after' = 'before';
    const duringDown: { status: number; ms: number; body: unknown }[] = [];
    let keepIssuing = true;

    const clients = Array.from({ length: CLIENTS }, async () => {
      while (keepIssuing) {
        const key = newKey();
        const a = await untilAnswered(issue(key), {
          timeoutMs: HANG_MS,
          maxAttempts: 400,
          pauseMs: () => 100 + Math.random() * 150,
        });
        all.push(a);
        if (a.status === 200 || a.status === 201) answers.push(issuedOf(key, 'GA', a.body));
        else return;
      }
    });
    const probe = async () => {
      while (phase === 'down') {
        const t0 = performance.now();
        const res = await fetch(`${svc!.url}/health`, { signal: AbortSignal.timeout(HANG_MS) }).catch(
          (e) => e as Error,
        );
        if (res instanceof Error)
          duringDown.push({ status: 0, ms: performance.now() - t0, body: res.message });
        else
          duringDown.push({
            status: res.status,
            ms: performance.now() - t0,
            body: await res.json().catch(() => null),
          });
        await sleep(200);
      }
    };

    let before = 0;
    let whileDown = 0;
    try {
      // Under load first (the first receipts also load the font and make the certificate).
      for (const deadline = Date.now() + 60_000; answers.length < 2 * CLIENTS && Date.now() < deadline; )
        await sleep(100);
      before = answers.length;
      expect(before, 'receipts issued before the stop').toBeGreaterThan(0);
      await dynamo!.stop();
      phase = 'down';
      const probing = probe();
      await sleep(4_000);
      whileDown = answers.length;
      phase = 'after';
      await probing;
      dynamo = await startDynamoDbLocal({ dataDir, port });
      const restarted = answers.length;
      for (
        const deadline = Date.now() + 60_000;
        answers.length < restarted + 2 * CLIENTS && Date.now() < deadline;
      )
        await sleep(100);
    } finally {
      keepIssuing = false;
      await Promise.all(clients);
    }

    const attempts = all.flatMap((a) => a.attempts);
    const statuses: Record<number, number> = {};
    for (const a of attempts) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    const down = attempts.filter((a) => a.status === 503);
    console.log(
      `restart: ${answers.length} issued (${before} before the stop, ${whileDown - before} while down, ${answers.length - whileDown} after); ` +
        `attempts by status ${JSON.stringify(statuses)}; slowest 503 ${Math.max(0, ...down.map((a) => a.ms)).toFixed(0)} ms; ` +
        `health while down ${JSON.stringify(duringDown.map((d) => d.status))}`,
    );

    // While it was down: 503 with a clear JSON message, fast; never a 500, never a hang.
    expect(
      attempts.filter((a) => a.status === 0 && a.error === 'timeout'),
      'requests that hung',
    ).toEqual([]);
    expect(
      attempts.filter((a) => a.status >= 500 && a.status !== 503).map((a) => a.body),
      '5xx other than 503',
    ).toEqual([]);
    expect(down.length, 'requests refused with 503 while DynamoDB was down').toBeGreaterThan(0);
    for (const a of down)
      expect(a.body).toMatchObject({
        error: 'service_unavailable',
        message: expect.stringMatching(/unavailable/),
        details: [],
      });
    expect(Math.max(...down.map((a) => a.ms)), 'slowest 503').toBeLessThan(HANG_MS);
    expect(duringDown.length).toBeGreaterThan(0);
    for (const h of duringDown) expect(h.status, `health while down: ${JSON.stringify(h.body)}`).toBe(503);

    // After: every client's last key was answered, and requests succeed again.
    expect(
      all.every((a) => a.status === 200 || a.status === 201),
      'every key answered',
    ).toBe(true);
    expect(answers.length - whileDown, 'receipts issued after the restart').toBeGreaterThan(0);

    // Nothing lost: each key still gets its receipt, numbers continuous, totals recounted.
    for (const a of answers) {
      const again = await untilAnswered(issue(a.key), { timeoutMs: HANG_MS });
      expect(again.status).toBe(200);
      expect(again.body.number).toBe(a.number);
    }
    await expectConsistent(answers, ['GA']);
  }, 180_000);

  it('answers 503, not a hang, while DynamoDB is frozen (SIGSTOP), and loses nothing when it resumes', async () => {
    const pid = dynamo!.process.pid!;
    const keys = Array.from({ length: CLIENTS }, () => newKey());
    const warm = await untilAnswered(issue(newKey()), { timeoutMs: HANG_MS });
    expect(warm.status).toBe(201);
    process.kill(pid, 'SIGSTOP');
    let results: Answered[] = [];
    try {
      const t0 = performance.now();
      // One attempt each, no retry: what does a client get from a frozen database, and when?
      results = await Promise.all(
        keys.map((k) => untilAnswered(issue(k), { timeoutMs: HANG_MS, maxAttempts: 1 })),
      );
      console.log(
        `frozen: ${JSON.stringify(results.map((r) => r.attempts[0]!.status))} within ${(performance.now() - t0).toFixed(0)} ms`,
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    for (const r of results) {
      const at = r.attempts[0]!;
      expect(at.error, 'a request hung while DynamoDB was frozen').not.toBe('timeout');
      expect(at.status).toBe(503);
      expect(at.body).toMatchObject({ error: 'service_unavailable', details: [] });
    }
    // Resumed: every key gets one receipt, and the numbers still add up.
    const answers: Issued[] = [];
    for (const key of keys) {
      const a = await untilAnswered(issue(key), { timeoutMs: HANG_MS });
      expect(a.status, JSON.stringify(a.attempts.at(-1))).toBeLessThan(300);
      answers.push(issuedOf(key, 'GA', a.body));
    }
    expect(new Set(answers.map((a) => a.number)).size).toBe(keys.length);
    await expectNumbersAccountedFor('GA');
  }, 120_000);
});
