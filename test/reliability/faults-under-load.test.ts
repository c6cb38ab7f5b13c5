/**
 * Issuing and reversing under load while the signer and DynamoDB fail at random: 16 clients
 * retry with their Idempotency-Keys until answered; at the end every request has exactly one
 * receipt, every number of every range is accounted for, reversals are right and totals
 * equal a recount. Sized for `npm test`; the issue's full run:
 *   FAULTS_ISSUES=2000 FAULTS_REVERSALS=200 npx vitest run test/reliability/faults-under-load.test.ts
 * Also FAULTS_CLIENTS (16), FAULTS_SIGNER_SHARE (0.2), FAULTS_DB_SHARE (0.05, per DynamoDB
 * call, half of them after the call was applied), FAULTS_SEED (random; printed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../../lambdas/app/deps.js';
import { faultySigner } from '../support/faulty-signer.js';
import { newKey } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';
import {
  type Answered,
  expectConsistent,
  type Issued,
  issuedOf,
  pool,
  seeded,
  untilAnswered,
} from './support.js';

const ISSUES = Number(process.env.FAULTS_ISSUES ?? 300);
const REVERSALS = Number(process.env.FAULTS_REVERSALS ?? 30);
const CLIENTS = Number(process.env.FAULTS_CLIENTS ?? 16);
const SIGNER_SHARE = Number(process.env.FAULTS_SIGNER_SHARE ?? 0.2);
const DB_SHARE = Number(process.env.FAULTS_DB_SHARE ?? 0.05);
const SEED = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TIMEOUT = Math.max(120_000, (ISSUES + REVERSALS) * 400);

const CHARGES: Record<string, unknown> = {
  ZRZY: {
    payer: { type: 'person', name: '孙八' },
    lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '80.00' }],
  },
  GA: {
    payer: { type: 'person', name: '周九' },
    lines: [{ itemCode: 'GA-002', quantity: 2, amount: '20.00' }],
  },
};
const DEPARTMENTS = Object.keys(CHARGES);

type Send = (command: unknown, ...rest: unknown[]) => Promise<unknown>;
let svc: TestService;
const tokens: Record<string, string> = {};
let originalSend: Send;
let originalSigner: ReturnType<typeof getDeps>['signer'];
const injectedCount = { dbBefore: 0, dbAfter: 0, signer: 0 };
let faultsOn = false;

const injected = () =>
  Object.assign(new Error('injected fault'), {
    name: 'InternalServerError',
    $metadata: { httpStatusCode: 500 },
  });

beforeAll(async () => {
  // Small ranges, so that ranges run out and new ones open while faults are injected.
  svc = await startTestService({ env: { FEEPROOF_RANGE_SIZE: '64' } });
  for (const d of DEPARTMENTS) tokens[d] = await svc.token({ role: 'collector', department: d });
  const deps = getDeps();
  originalSend = deps.db.send.bind(deps.db) as unknown as Send;
  originalSigner = deps.signer;
  const random = seeded(SEED);
  (deps.db as unknown as { send: Send }).send = async (command, ...rest) => {
    if (!faultsOn || random() >= DB_SHARE) return originalSend(command, ...rest);
    if (random() < 0.5) {
      injectedCount.dbBefore++;
      throw injected();
    }
    await originalSend(command, ...rest);
    injectedCount.dbAfter++;
    throw injected();
  };
  const signerFails = () => {
    const fails = faultsOn && random() < SIGNER_SHARE;
    if (fails) injectedCount.signer++;
    return fails;
  };
  deps.signer = async () => faultySigner(await originalSigner(), signerFails, 'injected signer fault');
}, 120_000);

afterAll(async () => {
  faultsOn = false;
  await svc?.stop();
});

function post(path: string, department: string, key: string, body: unknown) {
  return (signal: AbortSignal) =>
    fetch(svc.url + path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens[department]}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify(body),
      signal,
    });
}

type Job = { kind: 'issue'; department: string; key: string } | { kind: 'reverse'; key: string };

describe(`${ISSUES} issuances and ${REVERSALS} reversals from ${CLIENTS} clients with faults (seed ${SEED})`, () => {
  it(
    'answers every request with exactly one receipt, and every number is accounted for',
    async () => {
      const jobs: Job[] = [];
      const every = Math.max(1, Math.floor(ISSUES / Math.max(1, REVERSALS)));
      let reversals = 0;
      for (let i = 0; i < ISSUES; i++) {
        jobs.push({ kind: 'issue', department: DEPARTMENTS[i % DEPARTMENTS.length]!, key: newKey() });
        // Reversals run among the issuances, of receipts answered a little earlier.
        if (i >= CLIENTS && i % every === 0 && reversals < REVERSALS) {
          jobs.push({ kind: 'reverse', key: newKey() });
          reversals++;
        }
      }
      while (reversals++ < REVERSALS) jobs.push({ kind: 'reverse', key: newKey() });

      const answers: Issued[] = [];
      const reversible: Issued[] = [];
      const failures: string[] = [];
      const statuses = new Map<number, number>();
      const note = (what: string, a: Answered) => {
        for (const at of a.attempts) statuses.set(at.status, (statuses.get(at.status) ?? 0) + 1);
        for (const at of a.attempts)
          if (at.status >= 500 && at.status !== 503)
            failures.push(`${what}: ${at.status} ${JSON.stringify(at.body)}`);
        if (a.status !== 200 && a.status !== 201)
          failures.push(`${what}: ended with ${a.status} ${JSON.stringify(a.attempts.at(-1))}`);
        for (const at of a.attempts)
          if (at.status === 503) {
            const body = at.body as { error?: string; message?: string; details?: unknown } | undefined;
            if (body?.error !== 'service_unavailable' || !body.message || !Array.isArray(body.details))
              failures.push(`${what}: a 503 without the error shape: ${JSON.stringify(body)}`);
          }
      };

      faultsOn = true;
      const started = performance.now();
      await pool(jobs, CLIENTS, async (job) => {
        if (job.kind === 'issue') {
          const a = await untilAnswered(
            post('/v1/receipts', job.department, job.key, CHARGES[job.department]),
          );
          note(`issue ${job.key}`, a);
          if (a.status === 201 || a.status === 200) {
            const issued = issuedOf(job.key, job.department, a.body);
            answers.push(issued);
            reversible.push(issued);
          }
          return;
        }
        const target = reversible.splice(Math.floor(Math.random() * reversible.length), 1)[0];
        if (!target) return void failures.push('no receipt to reverse');
        const a = await untilAnswered(
          post(`/v1/receipts/${target.code}/${target.number}/reversal`, target.department, job.key, {
            reason: '退费',
          }),
        );
        note(`reverse ${target.number}`, a);
        if (a.status === 201 || a.status === 200) answers.push(issuedOf(job.key, target.department, a.body));
      });
      faultsOn = false;
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `faults run (seed ${SEED}): ${answers.length} answered in ${seconds.toFixed(1)} s; attempts by status ${JSON.stringify(Object.fromEntries(statuses))}; injected ${JSON.stringify(injectedCount)}`,
      );

      expect(failures.slice(0, 10)).toEqual([]);
      expect(answers.length).toBe(ISSUES + REVERSALS);
      expect(injectedCount.dbBefore + injectedCount.dbAfter + injectedCount.signer).toBeGreaterThan(0);

      // The same key again gets the same receipt, now that nothing fails.
      await pool(answers, CLIENTS, async (a) => {
        const path =
          a.kind === 'red'
            ? `/v1/receipts/${a.reverses!.code}/${a.reverses!.number}/reversal`
            : '/v1/receipts';
        const body = a.kind === 'red' ? { reason: '退费' } : CHARGES[a.department];
        const again = await untilAnswered(post(path, a.department, a.key, body));
        expect(again.status, `replay of ${a.key}`).toBe(200);
        expect(`${again.body.code}/${again.body.number}`, `replay of ${a.key}`).toBe(`${a.code}/${a.number}`);
      });

      await expectConsistent(answers, DEPARTMENTS);
      const ranges = (await getDeps().ranges.listRanges()).filter((r) => DEPARTMENTS.includes(r.department));
      expect(ranges.length, 'ranges opened while faults were injected').toBeGreaterThan(DEPARTMENTS.length);
    },
    TIMEOUT,
  );
});
