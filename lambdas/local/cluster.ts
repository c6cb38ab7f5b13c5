import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { recoverPending } from '../app/completion.js';
import { getDeps } from '../app/deps.js';
import { handCheckCountsToPrimary, startCheckCountWriter } from './cluster-checks.js';
import { startLogIntegrator } from './log.js';
import { closeServer, listenLocal, type PreparedService, prepareLocalService } from './service.js';

/**
 * How many server processes `feeproof serve` runs: FEEPROOF_WORKERS, by default one per core
 * but one, up to four (each holds its own copy of the PDF font and caches; a laptop demo needs
 * no more), and at least one. The core left over is DynamoDB Local's, which runs beside them
 * (FEEPROOF_WORKERS says otherwise where the tables are elsewhere). Measured on
 * 2 cores (docs/speed.md, 2026-12-04): two workers beside DynamoDB Local spent 11.6-12.9 ms of
 * CPU a receipt at 129-141/s where one spent 7.8-9.3 ms at 148-175/s. Processes that outnumber the
 * cores take their turns on them, and two takers of one department's numbers race for its
 * range row, each lost race a transaction DynamoDB Local ran for nothing.
 */
export function workerCount(): number {
  const configured = Number(process.env.FEEPROOF_WORKERS);
  if (Number.isSafeInteger(configured) && configured > 0) return configured;
  return Math.max(1, Math.min(availableParallelism() - 1, 4));
}

/** How often the primary runs recovery, and how old a pending receipt must be for it (as in AWS). */
const RECOVERY_INTERVAL_MS = 60_000;

export interface ServiceCluster extends PreparedService {
  url: string;
  stop(): Promise<void>;
}

/**
 * The primary of `feeproof serve`: prepares once (DynamoDB Local, tables, demo catalogue,
 * recovery, keys), then forks workers that share the port. Each worker is what one Lambda
 * container is in AWS: its own caches, group commit and rate-limit counts; numbers stay
 * continuous across them because taking numbers is a conditional transaction. A worker that
 * dies is replaced, and what it left pending is completed (recovery also runs every minute).
 * Public check counts are the exception: the primary writes them for all workers
 * (lambdas/local/cluster-checks.ts).
 */
export async function startServiceCluster(workers: number): Promise<ServiceCluster> {
  const prepared = await prepareLocalService();
  let stopping = false;
  const fork = () => cluster.fork({ PORT: String(prepared.port) });
  const listening = (worker: Worker) =>
    new Promise<void>((ok, fail) => {
      worker.once('listening', () => ok());
      worker.once('exit', (code) => fail(new Error(`a server worker exited (${code}) before listening`)));
    });
  try {
    await Promise.all(Array.from({ length: workers }, () => listening(fork())));
  } catch (e) {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGKILL');
    await prepared.stopDynamo();
    throw e;
  }
  const log = await startLogIntegrator(getDeps().db, getDeps().config.tables, prepared.dataDir);
  const checkCounts = startCheckCountWriter();
  // Recovery on a timer, as AWS schedules it (there every 5 minutes: lib/feeproof-stack.ts),
  // for receipts a minute old (younger ones are still their request's), and at once for what
  // a worker that died left; one run at a time.
  let recovering: Promise<unknown> = Promise.resolve();
  const recover = (minAgeMs: number) => {
    recovering = recovering
      .then(() => recoverPending(getDeps(), { minAgeMs }))
      .then((r) => r.completed + r.failed && process.stderr.write(`recovery: ${JSON.stringify(r)}\n`))
      .catch((e) => process.stderr.write(`recovery: ${(e as Error).message}\n`));
  };
  const recoveryTimer = setInterval(() => recover(RECOVERY_INTERVAL_MS), RECOVERY_INTERVAL_MS);
  recoveryTimer.unref();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    process.stderr.write(`server worker ${worker.process.pid} ended (${signal ?? code}); starting another\n`);
    fork();
    recover(0);
  });
  return {
    ...prepared,
    url: `http://127.0.0.1:${prepared.port}`,
    stop: async () => {
      stopping = true;
      clearInterval(recoveryTimer);
      await recovering;
      await log.stop();
      // Each worker hands its check counts over on its way out; its channel closes after that
      // message is read, so waiting for 'disconnect' as well as 'exit' waits for the counts.
      await Promise.all(
        Object.values(cluster.workers ?? {}).map(async (worker) => {
          if (!worker) return;
          const exited = worker.isDead() ? undefined : new Promise((ok) => worker.once('exit', ok));
          const disconnected = worker.isConnected()
            ? new Promise((ok) => worker.once('disconnect', ok))
            : undefined;
          if (!worker.isDead()) worker.kill('SIGTERM');
          await Promise.all([exited, disconnected]);
        }),
      );
      await checkCounts.stop().catch((e) =>
        process.stderr.write(`check counts not written: ${(e as Error).message}
`),
      );
      await prepared.stopDynamo();
    },
  };
}

/**
 * A worker of `feeproof serve`: serves on the port the primary shares until told to stop.
 * Ctrl-C reaches the whole process group; the primary decides when workers stop.
 */
export async function runServiceWorker(): Promise<void> {
  const server = await listenLocal(Number(process.env.PORT), process.env.FEEPROOF_DATA_DIR!);
  handCheckCountsToPrimary();
  process.on('SIGINT', () => {});
  process.once('SIGTERM', async () => {
    setTimeout(() => process.exit(0), 5_000).unref(); // a request that never ends does not hold it up
    await closeServer(server);
    process.exit(0);
  });
}
