/**
 * `npm run soak`: issuing, verifying and querying together against the local server for a
 * while, printing throughput, latency percentiles, errors and the server's memory as it goes,
 * and at the end whether memory grew without bound. Not part of `npm test`.
 *
 * It starts DynamoDB Local (in memory) and `feeproof serve` as a child process, as bench/run.ts
 * does, and measures from this process over real HTTP.
 *
 *   SOAK_SECONDS=600         how long to run (default 600)
 *   SOAK_REPORT_SECONDS=15   how often to print figures (10-30)
 *   SOAK_WARMUP_SECONDS      left out of the memory judgement (default 10% of the run, 30-60 s)
 *   SOAK_CONCURRENCY=issue:4,verify:6,catalogue:3,receipt:3,verifyPdf:1
 *   SOAK_MAX_REQUESTS=1000000 per operation, a bound besides the time
 * Exit code 1 when memory grew without bound or more than 1% of the requests failed.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile } from '../bench/stats.js';
import { type ChildServer, startChildServer } from '../lambdas/local/child-server.js';
import { startDynamoDbLocal } from '../lambdas/local/dynamodb-local.js';
import { issueToken, loadIssuerKey } from '../lambdas/local/tokens.js';
import { api, gaCharge, newKey, sendCharge } from '../test/support/receipts.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const REPORT_SECONDS = Math.min(30, Math.max(10, Number(process.env.SOAK_REPORT_SECONDS ?? 15)));
const WARMUP_SECONDS = Number(process.env.SOAK_WARMUP_SECONDS ?? Math.min(60, Math.max(30, SECONDS * 0.1)));
const MAX_REQUESTS = Number(process.env.SOAK_MAX_REQUESTS ?? 1_000_000);
const REQUEST_TIMEOUT_MS = 30_000;

const OPERATIONS = ['issue', 'verify', 'catalogue', 'receipt', 'verifyPdf'] as const;
type Operation = (typeof OPERATIONS)[number];
const CONCURRENCY: Record<Operation, number> = {
  issue: 4,
  verify: 6,
  catalogue: 3,
  receipt: 3,
  verifyPdf: 1,
};
for (const part of (process.env.SOAK_CONCURRENCY ?? '').split(',').filter(Boolean)) {
  const [op, n] = part.split(':');
  if (!OPERATIONS.includes(op as Operation) || !(Number(n) >= 0))
    throw new Error(`bad SOAK_CONCURRENCY entry ${part}`);
  CONCURRENCY[op as Operation] = Number(n);
}

const MiB = 1024 * 1024;
const dataDir = mkdtempSync(join(tmpdir(), 'feeproof-soak-'));

interface Window {
  latencies: number[];
  errors: number;
  errorSamples: string[];
}
const newWindow = (): Window => ({ latencies: [], errors: 0, errorSamples: [] });
const current = Object.fromEntries(OPERATIONS.map((o) => [o, newWindow()])) as Record<Operation, Window>;
/** Everything after warm-up, for the summary. */
const total = Object.fromEntries(OPERATIONS.map((o) => [o, newWindow()])) as Record<Operation, Window>;
const counts = Object.fromEntries(OPERATIONS.map((o) => [o, 0])) as Record<Operation, number>;

interface MemorySample {
  t: number;
  rss: number;
  heapUsed?: number;
  heapTotal?: number;
}
const memory: MemorySample[] = [];
let lastHeap: { heapUsed: number; heapTotal: number; external: number } | undefined;

async function startServer(endpoint: string): Promise<ChildServer> {
  const server = await startChildServer({
    env: {
      FEEPROOF_DATA_DIR: dataDir,
      FEEPROOF_DYNAMODB_ENDPOINT: endpoint,
      FEEPROOF_TABLE_PREFIX: `soak${randomBytes(2).toString('hex')}`,
      // One process: the heap figures the reporter sends are then the whole server's.
      FEEPROOF_WORKERS: '1',
    },
    preload: ['./soak/heap-reporter.ts'],
    ipc: true,
  });
  server.child.on('message', (m) => {
    const sample = (m as { soakMemory?: { heapUsed: number; heapTotal: number; external: number } })
      .soakMemory;
    if (sample) lastHeap = sample;
  });
  return server;
}

function rssOf(pid: number): number {
  try {
    return (
      Number(
        execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
          .toString()
          .trim(),
      ) * 1024
    );
  } catch {
    return Number.NaN;
  }
}

const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(ms < 10 ? 1 : 0) : '-');
const mib = (bytes: number | undefined) =>
  bytes === undefined || !Number.isFinite(bytes) ? '-' : (bytes / MiB).toFixed(0);

function line(op: Operation, w: Window, seconds: number): string {
  const sorted = [...w.latencies].sort((a, b) => a - b);
  return `${op.padEnd(9)} ${(sorted.length / seconds).toFixed(1).padStart(7)}/s  p50 ${fmt(percentile(sorted, 50)).padStart(5)} ms  p99 ${fmt(percentile(sorted, 99)).padStart(6)} ms  errors ${w.errors}`;
}

async function main() {
  const dynamo = await startDynamoDbLocal();
  const server = await startServer(dynamo.endpoint);
  const url = server.url;
  const key = await loadIssuerKey(dataDir);
  const collector = await issueToken(key, {
    role: 'collector',
    department: 'GA',
    ttlSeconds: SECONDS + 3600,
  });
  console.log(
    `feeproof soak: ${SECONDS} s against ${url} (server pid ${server.child.pid}), report every ${REPORT_SECONDS} s, warm-up ${WARMUP_SECONDS} s, ` +
      `concurrency ${JSON.stringify(CONCURRENCY)}; node ${process.version} on ${process.platform} ${process.arch}`,
  );

  /** The receipts issued lately, to verify and read back: a bounded ring, so the client does not grow. */
  const ring: { code: string; number: string; checkCode: string }[] = [];
  let ringNext = 0;
  const remember = (r: { code: string; number: string; checkCode: string }) => {
    if (ring.length < 2000) ring.push(r);
    else ring[ringNext++ % ring.length] = r;
  };
  const anyIssued = () => ring[Math.floor(Math.random() * ring.length)];
  let pdf: Buffer | undefined;

  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const elapsed = () => (performance.now() - started) / 1000;

  const request = async (op: Operation): Promise<boolean> => {
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    switch (op) {
      case 'issue': {
        const res = await sendCharge(url, collector, gaCharge('王五'), newKey(), signal);
        if (res.status !== 201) throw new Error(`issue ${res.status} ${res.bytes.toString().slice(0, 120)}`);
        remember(res.body);
        return true;
      }
      case 'verify': {
        const r = anyIssued();
        if (!r) return false;
        const query = `code=${r.code}&number=${r.number}&checkCode=${r.checkCode}`;
        const res = await api(url, 'GET', `/v1/verify?${query}`, { signal });
        if (res.status !== 200 || res.body.valid !== true)
          throw new Error(`verify ${res.status} ${res.bytes.toString().slice(0, 120)}`);
        return true;
      }
      case 'catalogue': {
        const res = await api(url, 'GET', '/v1/catalogue', { signal });
        if (res.status !== 200) throw new Error(`catalogue ${res.status}`);
        return true;
      }
      case 'receipt': {
        const r = anyIssued();
        if (!r) return false;
        const res = await api(url, 'GET', `/v1/receipts/${r.code}/${r.number}`, { token: collector, signal });
        if (res.status !== 200) throw new Error(`receipt ${res.status}`);
        return true;
      }
      case 'verifyPdf': {
        const r = anyIssued();
        if (!r) return false;
        pdf ??= (
          await api(url, 'GET', `/v1/receipts/${r.code}/${r.number}/pdf`, { token: collector, signal })
        ).bytes;
        const res = await api(url, 'POST', '/v1/verify/pdf', {
          body: pdf,
          contentType: 'application/pdf',
          signal,
        });
        if (res.status !== 200 || res.body.valid !== true) throw new Error(`verifyPdf ${res.status}`);
        return true;
      }
    }
  };

  const worker = async (op: Operation) => {
    while (performance.now() < deadline && counts[op] < MAX_REQUESTS) {
      const t0 = performance.now();
      let ok: boolean;
      let failure = '';
      try {
        ok = await request(op);
        if (!ok) {
          await new Promise((r) => setTimeout(r, 50)); // nothing issued yet to verify or read
          continue;
        }
      } catch (e) {
        ok = false;
        failure = (e as Error).name === 'TimeoutError' ? `${op} timed out` : (e as Error).message;
      }
      const ms = performance.now() - t0;
      counts[op]++;
      for (const w of elapsed() >= WARMUP_SECONDS ? [current[op], total[op]] : [current[op]]) {
        w.latencies.push(ms);
        if (!ok) {
          w.errors++;
          if (w.errorSamples.length < 5) w.errorSamples.push(failure);
        }
      }
    }
  };

  let lastReport = started;
  const sampler = setInterval(() => {
    memory.push({
      t: elapsed(),
      rss: rssOf(server.child.pid!),
      heapUsed: lastHeap?.heapUsed,
      heapTotal: lastHeap?.heapTotal,
    });
  }, 2000);
  const reporter = setInterval(() => {
    const now = performance.now();
    const seconds = (now - lastReport) / 1000;
    lastReport = now;
    const m = memory.at(-1);
    console.log(
      `\n[${elapsed().toFixed(0).padStart(4)} s] server RSS ${mib(m?.rss)} MiB, heap ${mib(lastHeap?.heapUsed)}/${mib(lastHeap?.heapTotal)} MiB, ` +
        `external ${mib(lastHeap?.external)} MiB; DynamoDB Local RSS ${mib(rssOf(dynamo.process.pid!))} MiB; receipts issued ${counts.issue}`,
    );
    for (const op of OPERATIONS) {
      if (!CONCURRENCY[op]) continue;
      console.log(`  ${line(op, current[op], seconds)}`);
      for (const s of current[op].errorSamples) console.log(`    error: ${s}`);
      current[op] = newWindow();
    }
  }, REPORT_SECONDS * 1000);

  try {
    await Promise.all(OPERATIONS.flatMap((op) => Array.from({ length: CONCURRENCY[op] }, () => worker(op))));
  } finally {
    clearInterval(sampler);
    clearInterval(reporter);
  }
  const measured = Math.max(1, elapsed() - WARMUP_SECONDS);

  console.log(
    `\n== summary: ${elapsed().toFixed(0)} s, figures after the ${WARMUP_SECONDS} s warm-up (${measured.toFixed(0)} s) ==`,
  );
  let requests = 0;
  let errors = 0;
  for (const op of OPERATIONS) {
    if (!CONCURRENCY[op]) continue;
    console.log(`  ${line(op, total[op], measured)}`);
    for (const s of total[op].errorSamples) console.log(`    error: ${s}`);
    requests += total[op].latencies.length;
    errors += total[op].errors;
  }

  // Memory: the median RSS (and heap) of the last third against the first third, after warm-up.
  const steady = memory.filter((m) => m.t >= WARMUP_SECONDS && Number.isFinite(m.rss));
  const third = Math.floor(steady.length / 3);
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.floor(s.length / 2)]! : Number.NaN;
  };
  let grew = false;
  if (third >= 2) {
    const first = steady.slice(0, third);
    const last = steady.slice(-third);
    const rssFirst = median(first.map((m) => m.rss));
    const rssLast = median(last.map((m) => m.rss));
    const heapFirst = median(first.flatMap((m) => (m.heapUsed === undefined ? [] : [m.heapUsed])));
    const heapLast = median(last.flatMap((m) => (m.heapUsed === undefined ? [] : [m.heapUsed])));
    const rssGrowth = (rssLast - rssFirst) / rssFirst;
    // Unbounded: more than 20% and more than 40 MiB up from the first third to the last.
    grew = rssGrowth > 0.2 && rssLast - rssFirst > 40 * MiB;
    const peak = Math.max(...memory.map((m) => m.rss).filter(Number.isFinite));
    console.log(
      `  server RSS: first third ${mib(rssFirst)} MiB, last third ${mib(rssLast)} MiB (${(rssGrowth * 100).toFixed(1)}%), peak ${mib(peak)} MiB; ` +
        `heap used: first third ${mib(heapFirst)} MiB, last third ${mib(heapLast)} MiB`,
    );
    console.log(
      `  memory ${grew ? 'GREW WITHOUT BOUND' : 'stayed bounded'} (limit: +20% and +40 MiB from the first third to the last)`,
    );
  } else console.log('  memory: too short a run to judge (need at least 6 samples after warm-up)');
  const errorShare = requests ? errors / requests : 0;
  console.log(
    `  requests ${requests}, errors ${errors} (${(errorShare * 100).toFixed(2)}%), receipts issued ${counts.issue}`,
  );

  server.child.kill('SIGTERM');
  await dynamo.stop();
  process.exitCode = grew || errorShare > 0.01 ? 1 : 0;
}

await main();
