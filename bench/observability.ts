/**
 * `npx tsx bench/observability.ts`: what Powertools' Logger and Metrics cost a request,
 * against the hand-written logger and EMF writer they replaced (kept below as they were).
 * Each request goes through a middy handler, with stdout and stderr swallowed: the CPU to
 * build and hand over the lines, not a terminal's speed. Prints microseconds per request
 * (median of 7 rounds after a warm-up) and bytes written per request, in two processes:
 * as in Lambda (AWS_LAMBDA_FUNCTION_NAME set: metric lines are written) and as the local
 * server at its default level (no metric lines). BENCH_N sets the requests per round.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';

const where = process.argv[2];
if (where !== 'lambda' && where !== 'local') {
  for (const mode of ['lambda', 'local']) {
    const args = [...process.execArgv, fileURLToPath(import.meta.url), mode];
    process.stdout.write(execFileSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] }));
  }
  process.exit(0);
}

for (const k of [
  'FEEPROOF_LOG_LEVEL',
  'POWERTOOLS_LOG_LEVEL',
  'LOG_LEVEL',
  'POWERTOOLS_DEV',
  'AWS_LAMBDA_FUNCTION_NAME',
])
  delete process.env[k];
if (where === 'lambda')
  Object.assign(process.env, {
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  });
// After the environment: the modules read it on first use.
const { default: middy } = await import('@middy/core');
const { powertools } = await import('../lambdas/handlers/http/middlewares.js');
const { emitMetric } = await import('../lambdas/adapters/metrics.js');
const { logger } = await import('../lambdas/adapters/logger.js');

// ---- The code Powertools replaced (lambdas/adapters/{metrics,logger}.ts before issue 11).
const ORDER: Record<string, number> = { debug: 10, info: 20, warn: 30, error: 40 };
function threshold(): number {
  const level = process.env.FEEPROOF_LOG_LEVEL ?? 'info';
  return level === 'silent' ? Number.POSITIVE_INFINITY : (ORDER[level] ?? ORDER.info!);
}
function oldLog(level: string, message: string, fields: Record<string, unknown>) {
  if (ORDER[level]! < threshold()) return;
  const entry = { level, message, time: new Date().toISOString(), service: 'feeproof', ...fields };
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(
    `${JSON.stringify(entry, (_k, v) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v))}\n`,
  );
}
function oldEmitMetric(name: string, value = 1, unit = 'Count'): void {
  if (process.env.FEEPROOF_LOG_LEVEL === 'silent') return;
  const record = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: 'Feeproof', Dimensions: [[]], Metrics: [{ Name: name, Unit: unit }] }],
    },
    [name]: value,
  };
  process.stdout.write(`${JSON.stringify(record)}\n`);
}
// ----

const write = { out: process.stdout.write, err: process.stderr.write };
let bytes = 0;
const swallow = (chunk: string | Uint8Array) => {
  bytes += chunk.length;
  return true;
};

const event = { requestContext: { requestId: 'r' } };
const context = {
  awsRequestId: 'b3f4c7e2-0000-4000-8000-000000000000',
  functionName: 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
  memoryLimitInMB: '1769',
  getRemainingTimeInMillis: () => 29_000,
} as unknown as Context;
const ok = { statusCode: 200, body: '{}' };
const error = Object.assign(new Error('KMS throttled'), { name: 'SignerError' });

type Handler = (e: unknown, c: Context) => Promise<unknown>;
const plain = (body: () => void): Handler =>
  middy().handler(async () => {
    body();
    return ok;
  }) as Handler;
const withPowertools = (body: () => void): Handler =>
  middy()
    .use(powertools())
    .handler(async () => {
      body();
      return ok;
    }) as Handler;

const CASES: [string, Handler][] = [
  ['request, no metric: old (bare middy)', plain(() => {})],
  ['request, no metric: Powertools middlewares', withPowertools(() => {})],
  ['request, one metric: old', plain(() => oldEmitMetric('ReceiptsIssued'))],
  ['request, one metric: Powertools', withPowertools(() => emitMetric('ReceiptsIssued'))],
  [
    'request, one warning with an Error: old',
    plain(() => oldLog('warn', 'dependency unavailable', { error, requestId: 'r' })),
  ],
  [
    'request, one warning with an Error: Powertools',
    withPowertools(() => logger.warn('dependency unavailable', { error, requestId: 'r' })),
  ],
];

const N = Number(process.env.BENCH_N ?? 20_000);
async function round(handler: Handler): Promise<{ us: number; bytes: number }> {
  bytes = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await handler(event, context);
  return { us: Number(process.hrtime.bigint() - start) / 1000 / N, bytes: bytes / N };
}

process.stdout.write = swallow as typeof process.stdout.write;
process.stderr.write = swallow as typeof process.stderr.write;
const results: [string, number, number][] = [];
for (const [, handler] of CASES) await round(handler); // warm-up
for (const [name, handler] of CASES) {
  const rounds: { us: number; bytes: number }[] = [];
  for (let r = 0; r < 7; r++) rounds.push(await round(handler));
  rounds.sort((a, b) => a.us - b.us);
  results.push([name, rounds[3]!.us, rounds[3]!.bytes]);
}
process.stdout.write = write.out;
process.stderr.write = write.err;

console.log(
  `\n${where === 'lambda' ? 'In Lambda' : 'Local server, default level'}: node ${process.version}, ${N} requests per round, median of 7 rounds`,
);
console.log('| case | µs per request | bytes written per request |\n|---|---|---|');
for (const [name, us, b] of results) console.log(`| ${name} | ${us.toFixed(2)} | ${Math.round(b)} |`);
