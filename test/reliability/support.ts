/** Helpers of the reliability tests: seeded randomness, clients that retry with their keys, checks. */
import { expect } from 'vitest';
import { getDeps } from '../../lambdas/app/deps.js';
import { expectNumbersAccountedFor } from '../support/accounting.js';

/** A small seeded generator, so a failing run can be replayed with its seed. */
export { prng as seeded } from '../core/support.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Attempt {
  status: number;
  ms: number;
  error?: string;
  body?: unknown;
}

export interface Answered {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: API answers
  body: any;
  attempts: Attempt[];
}

/**
 * Sends a request until it is answered (2xx), as a client with an Idempotency-Key should:
 * a 503 (or a connection that failed) is retried after a pause; anything else ends it.
 * Each attempt has a deadline, so a hang shows up as an attempt with status 0 and 'timeout'.
 */
export async function untilAnswered(
  send: (signal: AbortSignal) => Promise<Response>,
  options: {
    maxAttempts?: number;
    timeoutMs?: number;
    retryOn?: (status: number) => boolean;
    pauseMs?: () => number;
  } = {},
): Promise<Answered> {
  const attempts: Attempt[] = [];
  const retryOn = options.retryOn ?? ((s: number) => s === 503 || s === 0);
  for (let i = 0; i < (options.maxAttempts ?? 200); i++) {
    const t0 = performance.now();
    try {
      const res = await send(AbortSignal.timeout(options.timeoutMs ?? 30_000));
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      attempts.push({
        status: res.status,
        ms: performance.now() - t0,
        body: res.status >= 400 ? body : undefined,
      });
      if (res.status < 300) return { status: res.status, body, attempts };
      if (!retryOn(res.status)) return { status: res.status, body, attempts };
    } catch (e) {
      const error = (e as Error).name === 'TimeoutError' ? 'timeout' : String((e as Error).message);
      attempts.push({ status: 0, ms: performance.now() - t0, error });
      if (error === 'timeout') return { status: 0, body: undefined, attempts };
    }
    await sleep(options.pauseMs?.() ?? 20 + Math.random() * 80);
  }
  return { status: -1, body: undefined, attempts };
}

/** Runs `jobs` with `workers` concurrent clients. */
export async function pool<T>(jobs: T[], workers: number, run: (job: T, index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < jobs.length) {
        const i = next++;
        await run(jobs[i]!, i);
      }
    }),
  );
}

export interface Issued {
  key: string;
  department: string;
  code: string;
  number: string;
  total: string;
  kind: 'blue' | 'red';
  reverses?: { code: string; number: string };
}

/** What a test keeps of an answered issuance (201 or 200 for its key). */
// biome-ignore lint/suspicious/noExplicitAny: API answers
export function issuedOf(key: string, department: string, body: any): Issued {
  return {
    key,
    department,
    code: body.code,
    number: body.number,
    total: body.total,
    kind: body.kind,
    ...(body.reverses ? { reverses: body.reverses } : {}),
  };
}

const fen = (yuan: string) => Math.round(Number(yuan) * 100);

/**
 * The end state after a run: every answer is one receipt and each number belongs to one
 * answer, every number of every range is accounted for (no gap, no duplicate, nothing
 * pending), reversals are right, and the totals equal a recount of the stored receipts.
 */
export async function expectConsistent(answers: Issued[], departments: string[]) {
  const numbers = answers.map((a) => `${a.code}/${a.number}`);
  expect(new Set(numbers).size, 'two answers share a receipt number').toBe(numbers.length);
  const keys = answers.map((a) => `${a.department}/${a.key}`);
  expect(new Set(keys).size).toBe(keys.length);
  const { receipts } = getDeps();
  let stored = 0;
  for (const department of departments) {
    const { receipts: all } = await expectNumbersAccountedFor(department);
    stored += all.length;
    const mine = answers.filter((a) => a.department === department);
    expect(all.length, `${department}: receipts stored vs requests answered`).toBe(mine.length);
    const byNumber = new Map(all.map((r) => [`${r.code}/${r.number}`, r]));
    let answeredTotal = 0;
    for (const a of mine) {
      const r = byNumber.get(`${a.code}/${a.number}`);
      expect(r, `${a.code}/${a.number} answered but not stored`).toBeDefined();
      expect(r!.idempotencyKey).toBe(a.key);
      expect(r!.total).toBe(fen(a.total));
      expect(
        r!.lines.reduce((s, l) => s + l.amount, 0),
        'total vs its lines',
      ).toBe(r!.total);
      answeredTotal += fen(a.total);
    }
    const recount = all.reduce((s, r) => s + r.total, 0);
    expect(recount, `${department}: stored total vs the answers' total`).toBe(answeredTotal);
  }
  expect(stored).toBe(answers.length);
  for (const red of answers.filter((a) => a.kind === 'red')) {
    const original = await receipts.getReceipt(red.reverses!);
    const stored = await receipts.getReceipt(red);
    expect(original?.status, `${red.reverses!.number} reversed`).toBe('reversed');
    expect(original?.reversedBy).toEqual({ code: red.code, number: red.number });
    expect(stored?.reverses).toEqual(red.reverses);
    expect(stored?.total).toBe(-original!.total);
  }
  const reds = answers
    .filter((a) => a.kind === 'red')
    .map((a) => `${a.reverses!.code}/${a.reverses!.number}`);
  expect(new Set(reds).size, 'a receipt reversed twice').toBe(reds.length);
}
