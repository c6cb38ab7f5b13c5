import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryTileStore } from '../../../lambdas/adapters/tlog/directory-store.js';
import { integrate } from '../../../lambdas/adapters/tlog/integrator.js';
import {
  CHECKPOINT_TTL_MS,
  cachedProofReader,
  type LogTileReader,
  receiptLogProof,
} from '../../../lambdas/app/log-proof.js';
import { leafHash } from '../../../lambdas/core/tlog/hash.js';
import { ed25519Signer } from '../../../lambdas/core/tlog/note.js';
import { verifyTlogProof } from '../../../lambdas/core/tlog/proof-bundle.js';
import { TILE_WIDTH } from '../../../lambdas/core/tlog/tiles.js';
import { entryBytes, MemorySequence, tempDir } from '../../adapters/tlog/support.js';

const ORIGIN = 'feeproof.test/proof-reader';
const signer = ed25519Signer(ORIGIN, new Uint8Array(32).fill(7));
const policy = { origin: ORIGIN, logKeys: [signer.vkey] };

/** A directory log of `n` entries, and a store that counts what the proof route reads of it. */
async function log(n: number) {
  const sequence = new MemorySequence();
  const store = new DirectoryTileStore(join(tempDir('proof-reader'), 'log'));
  const grow = async (to: number) => {
    for (let i = sequence.entries.length; i < to; i++) sequence.append(entryBytes(i));
    await integrate({ origin: ORIGIN, signer, sequence, store, maxBatch: 10_000 });
  };
  await grow(n);
  const reads = { fullTiles: 0, partialTiles: 0, checkpoints: 0 };
  const counted: LogTileReader = {
    readTile: (t) => {
      if (t.width === TILE_WIDTH) reads.fullTiles++;
      else reads.partialTiles++;
      return store.readTile(t);
    },
    readCheckpoint: () => {
      reads.checkpoints++;
      return store.readCheckpoint();
    },
  };
  return { counted, reads, grow };
}

describe('the proof route reader (per-process caches of the log)', () => {
  it('reads a full tile once, the checkpoint and partial tiles once per interval; its proofs verify', async () => {
    const { counted, reads } = await log(700);
    let now = 0;
    const reader = cachedProofReader(counted, () => now);
    for (const index of [3, 300, 699, 3, 300, 699]) {
      const out = await receiptLogProof(reader, index);
      expect(out.kind).toBe('proof');
      if (out.kind !== 'proof') continue;
      expect(verifyTlogProof(out.text, leafHash(entryBytes(index)), policy).index).toBe(index);
    }
    expect(reads.checkpoints).toBe(1);
    // Level 0 has two full tiles (entries 0-511) and a partial one; level 1 a partial one: each read once.
    expect(reads).toEqual({ fullTiles: 2, partialTiles: 2, checkpoints: 1 });
    now += CHECKPOINT_TTL_MS;
    await receiptLogProof(reader, 42);
    // After the interval: the checkpoint and the partial tiles again (a full tile may have replaced
    // them), not the full tiles.
    expect(reads).toEqual({ fullTiles: 2, partialTiles: 4, checkpoints: 2 });
  });

  it('answers "not yet" only from the latest checkpoint, never from the one it holds', async () => {
    const { counted, reads, grow } = await log(10);
    const reader = cachedProofReader(counted, () => 0); // the clock stands still: the held one never expires
    expect(await receiptLogProof(reader, 5)).toMatchObject({ kind: 'proof', size: 10 });
    expect(await receiptLogProof(reader, 12)).toEqual({ kind: 'not_yet', size: 10 });
    await grow(20);
    const out = await receiptLogProof(reader, 12);
    expect(out).toMatchObject({ kind: 'proof', size: 20 });
    if (out.kind === 'proof')
      expect(verifyTlogProof(out.text, leafHash(entryBytes(12)), policy).index).toBe(12);
    // Entries the held checkpoint has are proved against it without reading it again.
    const before = reads.checkpoints;
    expect(await receiptLogProof(reader, 3)).toMatchObject({ kind: 'proof', size: 20 });
    expect(reads.checkpoints).toBe(before);
  });
});
