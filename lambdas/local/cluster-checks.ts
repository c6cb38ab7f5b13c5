import cluster, { type Worker } from 'node:cluster';
import type { HeldCount } from '../adapters/dynamo/check-count-blocks.js';
import { CheckRepository } from '../adapters/dynamo/check-repo.js';
import { getDeps } from '../app/deps.js';

/** The primary asks a worker for the check counts it holds; the worker answers with them. */
const ASK = 'feeproof:check-counts?';
const COUNTS = 'feeproof:check-counts';

/** This process's check repository (deps builds a CheckRepository; the port does not say so). */
function localChecks(): CheckRepository {
  const { checks } = getDeps();
  if (!(checks instanceof CheckRepository))
    throw new Error('check counts need the DynamoDB check repository');
  return checks;
}

type Message = { type: typeof ASK } | { type: typeof COUNTS; counts: HeldCount[] };
const isMessage = (m: unknown): m is Message =>
  typeof m === 'object' && m !== null && ((m as Message).type === ASK || (m as Message).type === COUNTS);

/**
 * A worker of `feeproof serve`: its check counts are written by the primary (startCheckCountWriter).
 * It runs no flush timer; its flushes (when the primary asks, and on a graceful stop) send what
 * it holds to the primary, one message each, however many receipts.
 */
export function handCheckCountsToPrimary(): void {
  const checks = localChecks();
  checks.joinCluster(
    (counts) =>
      new Promise((ok, fail) => {
        process.send!({ type: COUNTS, counts } satisfies Message, undefined, {}, (e) => (e ? fail(e) : ok()));
      }),
  );
  process.on('message', (m) => {
    if (isMessage(m) && m.type === ASK)
      checks.flush().catch((e) => process.stderr.write(`check counts not sent: ${(e as Error).message}\n`));
  });
}

/**
 * The one writer of check counts for all workers (issue 14): every `checks.flushMs` it asks each
 * worker for the counts it holds, waits for the answers (an interval at most: a late one is
 * written the next round), merges them per receipt and writes them (CheckRepository: one ADD per
 * block of 100 receipts). With two workers checking the same receipts, half the writes of each
 * worker writing its own. A count reaches the table at most an interval (and a
 * round's write) after its check; a killed worker loses what it holds (its last interval), a
 * killed primary what it has asked for and not yet written. `stop` writes everything the
 * workers handed over on their way out: call it once they have all exited.
 */
export function startCheckCountWriter(): { stop(): Promise<void> } {
  const checks = localChecks();
  checks.joinCluster();
  const answered = new Map<number, () => void>(); // worker id → the current round's wait
  const onMessage = (worker: Worker, m: unknown) => {
    if (!isMessage(m) || m.type !== COUNTS) return;
    checks.merge(m.counts);
    answered.get(worker.id)?.();
  };
  const onExit = (worker: Worker) => answered.get(worker.id)?.();
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);

  const round = async () => {
    const asked = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w?.isConnected());
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(
        asked.map(
          (worker) =>
            new Promise<void>((ok) => {
              answered.set(worker.id, ok);
              // A worker that ends meanwhile answers by its exit (onExit).
              worker.send({ type: ASK } satisfies Message, undefined, (e) => e && ok());
            }),
        ),
      ),
      new Promise((ok) => {
        timeout = setTimeout(ok, checks.flushMs);
      }),
    ]);
    clearTimeout(timeout);
    answered.clear();
    await checks.flush();
  };
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    timer = setTimeout(() => {
      running = round()
        .catch((e) => {
          process.stderr.write(`check counts not written yet: ${(e as Error).message}\n`);
        })
        .finally(() => {
          running = undefined;
          if (timer) schedule();
        });
    }, checks.flushMs);
    timer.unref();
  };
  schedule();
  return {
    stop: async () => {
      clearTimeout(timer);
      timer = undefined;
      await running;
      cluster.off('message', onMessage);
      cluster.off('exit', onExit);
      await checks.flush();
    },
  };
}
