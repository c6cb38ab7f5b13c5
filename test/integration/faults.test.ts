import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { newEvent, recordEvent } from '../../lambdas/adapters/dynamo/events.js';
import { eventKey } from '../../lambdas/adapters/dynamo/keys.js';
import { logger } from '../../lambdas/adapters/logger.js';
import { recoverPending } from '../../lambdas/app/completion.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { expectNumbersAccountedFor } from '../support/accounting.js';
import { faultySigner } from '../support/faulty-signer.js';
import { issue, newKey } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let token: string;
const charge = {
  payer: { type: 'person', name: '赵六' },
  lines: [{ itemCode: 'GA-002', quantity: 1, amount: '10.00' }],
};

type Send = (command: { constructor: { name: string } }) => Promise<unknown>;
let originalSend: Send;
let originalSigner: ReturnType<typeof getDeps>['signer'];

beforeAll(async () => {
  svc = await startTestService();
  token = await svc.token({ role: 'collector', department: 'GA' });
  const deps = getDeps();
  originalSend = deps.db.send.bind(deps.db) as unknown as Send;
  originalSigner = deps.signer;
});
afterEach(() => {
  const deps = getDeps();
  (deps.db as unknown as { send: Send }).send = originalSend;
  deps.signer = originalSigner;
});
afterAll(async () => svc?.stop());

const injected = () =>
  Object.assign(new Error('injected fault'), {
    name: 'InternalServerError',
    $metadata: { httpStatusCode: 500 },
  });

/** Makes the n-th DynamoDB call of a request fail, before or after it reaches the database. */
function failCall(n: number, when: 'before' | 'after') {
  let calls = 0;
  (getDeps().db as unknown as { send: Send }).send = async (command) => {
    calls++;
    if (calls !== n) return originalSend(command);
    if (when === 'before') throw injected();
    await originalSend(command);
    throw injected();
  };
  return () => calls;
}

/** Retries with the same key until it succeeds, as a client should on a 503. */
async function issueWithRetries(key: string) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const res = await issue(svc, token, charge, key);
    if (res.status === 200 || res.status === 201) return res;
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('service_unavailable');
  }
  throw new Error('never succeeded');
}

describe('faults while issuing', () => {
  it('a failing signer answers 503 and leaves a pending receipt that a retry with the same key completes', async () => {
    let calls = 0;
    getDeps().signer = async () =>
      faultySigner(await originalSigner(), () => [1, 3].includes(++calls), 'KMS throttled');
    const key = newKey();
    const failed = await issue(svc, token, charge, key);
    expect(failed.status).toBe(503);
    const ok = await issueWithRetries(key);
    expect(ok.body.status).toBe('issued');
    await expectNumbersAccountedFor('GA');
  });

  it('recovery completes what a failed signer left, without the client coming back', async () => {
    getDeps().signer = async () => faultySigner(await originalSigner(), () => true);
    const abandoned = await Promise.all([
      issue(svc, token, charge),
      issue(svc, token, charge),
      issue(svc, token, charge),
    ]);
    expect(abandoned.map((a) => a.status)).toEqual([503, 503, 503]);
    getDeps().signer = originalSigner;
    const result = await recoverPending(getDeps());
    expect(result.completed).toBeGreaterThanOrEqual(3);
    await expectNumbersAccountedFor('GA');
  });

  it('recovery logs each receipt it could not complete, with its number', async () => {
    const failing = async () => faultySigner(await originalSigner(), () => true);
    getDeps().signer = failing;
    const abandoned = await issue(svc, token, charge);
    expect(abandoned.status).toBe(503);
    const errors = vi.spyOn(logger, 'error');
    try {
      const result = await recoverPending(getDeps());
      expect(result.failed).toBeGreaterThanOrEqual(1);
      const logged = errors.mock.calls.filter(
        ([message]) => message === 'recovery could not complete a receipt',
      );
      expect(logged).toHaveLength(result.failed);
      for (const [, fields = {}] of logged) {
        expect(fields.receipt).toMatch(/^\d{8}\/\d{10}$/);
        expect(fields.department).toBe('GA');
        expect((fields.error as Error).message).toBe('KMS unavailable');
      }
      // Nothing is stuck yet; past the stuck threshold the unfinished ones are counted (the alarm's metric).
      expect(result.stuck).toBe(0);
      const now = getDeps().now;
      getDeps().now = () => new Date(Date.now() + (getDeps().config.alerts.stuckMinutes + 1) * 60_000);
      try {
        const later = await recoverPending(getDeps());
        expect(later.stuck).toBe(later.failed);
        expect(later.stuck).toBeGreaterThanOrEqual(1);
      } finally {
        getDeps().now = now;
      }
    } finally {
      errors.mockRestore();
      getDeps().signer = originalSigner;
    }
    await recoverPending(getDeps());
    await expectNumbersAccountedFor('GA');
  });

  // Each DynamoDB call of an issuance fails once, before and after the database applied it;
  // the client retries with its key, and recovery runs; nothing may be lost or doubled.
  for (const when of ['before', 'after'] as const) {
    it(`every DynamoDB step failing ${when} it is applied still accounts for every number`, async () => {
      const probe = failCall(Number.POSITIVE_INFINITY, 'before');
      await issue(svc, token, charge);
      const steps = probe();
      // At least: taking the number, completing (the catalogue and the year's totals come from
      // the process's caches once read, the idempotency check is the taking transaction's).
      expect(steps).toBeGreaterThanOrEqual(2);
      const keys: string[] = [];
      for (let step = 1; step <= steps; step++) {
        failCall(step, when);
        const key = newKey();
        keys.push(key);
        const res = await issue(svc, token, charge, key);
        expect([201, 503]).toContain(res.status);
        (getDeps().db as unknown as { send: Send }).send = originalSend;
      }
      const answers = await Promise.all(keys.map((k) => issueWithRetries(k)));
      expect(new Set(answers.map((a) => a.body.number)).size).toBe(keys.length);
      await recoverPending(getDeps());
      await expectNumbersAccountedFor('GA');
    });
  }
});

describe('a put applied whose answer was lost', () => {
  it('records an event once when its put is sent again (the SDK retrying a timed-out put): no error', async () => {
    const { db, config } = getDeps();
    const event = newEvent('audit.read', 'auditor-1', 'receipts', { probe: newKey() });
    await recordEvent(db, config.tables.ledger, event);
    // The retry: the row is there, and it is this event.
    await expect(recordEvent(db, config.tables.ledger, event)).resolves.toBeUndefined();
    const row = await db.send(new GetCommand({ TableName: config.tables.ledger, Key: eventKey(event.id) }));
    expect(row.Item).toMatchObject({ type: 'audit.read', details: event.details });
    // Another event under that id (none is ever made: ids are new) is still refused.
    await expect(
      recordEvent(db, config.tables.ledger, { ...event, type: 'catalogue.created' }),
    ).rejects.toThrow();
  });
});
