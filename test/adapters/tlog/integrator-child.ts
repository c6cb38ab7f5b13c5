/**
 * A child process for the kill -9 test: integrates a fixed sequence of N synthetic entries into
 * the directory given, in small batches, forever (the parent kills it at random moments).
 */
import { DirectoryTileStore } from '../../../lambdas/adapters/tlog/directory-store.js';
import { integrate } from '../../../lambdas/adapters/tlog/integrator.js';
import { ed25519Signer } from '../../../lambdas/core/tlog/note.js';
import type { SequencedEntries } from '../../../lambdas/core/tlog/ports.js';

export const KILL_ORIGIN = 'feeproof.test/kill';
export const killSigner = ed25519Signer(KILL_ORIGIN, new Uint8Array(32).fill(13));
export const killEntry = (i: number) => new TextEncoder().encode(`{"kill":${i}}`);
export const fixedSequence = (n: number): SequencedEntries => ({
  size: async () => n,
  read: async (from, limit) =>
    Array.from({ length: Math.max(0, Math.min(limit, n - from)) }, (_, k) => ({
      index: from + k,
      entry: killEntry(from + k),
    })),
});

if (process.argv[2]) {
  const [dir, n] = [process.argv[2], Number(process.argv[3])];
  const store = new DirectoryTileStore(dir);
  process.stdout.write('ready\n');
  for (;;) {
    const r = await integrate({
      origin: KILL_ORIGIN,
      signer: killSigner,
      sequence: fixedSequence(n),
      store,
      maxBatch: 97,
    });
    if (r.to >= n) process.stdout.write('done\n');
  }
}
