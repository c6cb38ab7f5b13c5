import { formatCheckpoint, verifyCheckpoint } from '../../core/tlog/checkpoint.js';
import { TlogError } from '../../core/tlog/errors.js';
import { type Hash, leafHash, rootFromLeafHashes } from '../../core/tlog/hash.js';
import { type NoteSigner, parseNote, signNote } from '../../core/tlog/note.js';
import type { SequencedEntries, TileStore, TreeHead } from '../../core/tlog/ports.js';
import { consistencyProof, treeHash, verifyConsistency } from '../../core/tlog/proof.js';
import {
  changedTiles,
  decodeBundle,
  encodeBundle,
  encodeTile,
  TILE_WIDTH,
  type TileId,
  tileHashes,
  tilePath,
  withTiles,
} from '../../core/tlog/tiles.js';

export interface IntegratorOptions {
  origin: string;
  /** The log key: its name must be the origin. */
  signer: NoteSigner & { vkey: string };
  sequence: SequencedEntries;
  store: TileStore;
  /** Entries per run at most (Tessera integrates in batches too). */
  maxBatch?: number;
  /**
   * Called with the signed checkpoint before it is published, to gather witness cosignatures:
   * returns the note with them added (or as it was). The integrator publishes what it returns
   * only if the log's own signature still verifies on it.
   */
  witness?: (signed: string, previous: TreeHead | null) => Promise<string>;
}

export interface IntegrationResult {
  /** Tree size before and after this run. */
  from: number;
  to: number;
  /** False when another integrator published first (nothing lost: the next run continues). */
  published: boolean;
  checkpoint: TreeHead | null;
}

/**
 * One integration run: reads the sequenced entries after the published tree head (at most
 * maxBatch), writes the new tiles and entry bundles (write-once: a rerun after a crash writes the
 * same bytes), computes the new root from the stored tiles, checks it is consistent with the
 * previous checkpoint, signs it, and swaps the tree head only if nobody else did meanwhile. A
 * crash at any point leaves the published head as it was; the next run redoes the batch.
 */
export async function integrate(o: IntegratorOptions): Promise<IntegrationResult> {
  const policy = { origin: o.origin, logKeys: [o.signer.vkey] };
  const head = await o.store.readCheckpoint();
  // Trust nothing in the store that the log key did not sign.
  if (head) verifyCheckpoint(head.note, policy);
  const from = head?.checkpoint.size ?? 0;
  const available = await o.sequence.size();
  if (available < from)
    throw new TlogError('inconsistent', `the sequence has ${available} entries but the log has ${from}`);
  const to = Math.min(available, from + (o.maxBatch ?? 4096));
  if (to === from) return { from, to, published: false, checkpoint: head };

  const entries = await readEntries(o.sequence, from, to);
  await writeTiles(o.store, from, to, entries);

  const read = (tile: TileId) => o.store.readTile(tile);
  const root = await withTiles(to, read, (r) => treeHash(r, to));
  if (head && from > 0) {
    // The check that keeps the log from ever signing two inconsistent checkpoints.
    const proof = await withTiles(to, read, (r) => consistencyProof(r, from, to));
    verifyConsistency(from, to, head.checkpoint.rootHash, root, proof);
  }
  const checkpoint = { origin: o.origin, size: to, rootHash: root };
  let note = await signNote(formatCheckpoint(checkpoint), [o.signer]);
  if (o.witness) {
    const cosigned = await o.witness(note, head);
    // Only cosignatures are taken: the text must be the one the log signed.
    if (parseNote(cosigned).text === parseNote(note).text) note = cosigned;
    verifyCheckpoint(note, policy);
  }
  const next = { checkpoint, note };
  const published = await o.store.swapCheckpoint(head?.note ?? null, next);
  return { from, to, published, checkpoint: published ? next : await o.store.readCheckpoint() };
}

async function readEntries(sequence: SequencedEntries, from: number, to: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  while (from + out.length < to) {
    const at = from + out.length;
    const batch = await sequence.read(at, to - at);
    if (batch.length === 0) throw new TlogError('inconsistent', `the sequence has no entry ${at}`);
    for (const [k, e] of batch.entries()) {
      if (e.index !== at + k)
        throw new TlogError('inconsistent', `the sequence gave entry ${e.index} for ${at + k}`);
      out.push(e.entry);
    }
  }
  return out.slice(0, to - from);
}

/**
 * Writes every tile and bundle that grows from `from` to `to`, level by level: the hashes a
 * tile had at `from` (read back from its partial tile) followed by the new ones; a level-L hash
 * is the root of a full level-(L-1) tile.
 */
async function writeTiles(store: TileStore, from: number, to: number, entries: Uint8Array[]) {
  const tiles = changedTiles(from, to);
  const prefix = async (tile: TileId, count: number): Promise<Uint8Array[]> => {
    if (count === 0) return [];
    const bytes = await store.readTile({ ...tile, width: count });
    if (!bytes) throw new TlogError('malformed_tile', `${tilePath({ ...tile, width: count })} is missing`);
    const items = tile.level === 'entries' ? decodeBundle(bytes) : tileHashes(bytes);
    if (items.length < count) throw new TlogError('malformed_tile', `${tilePath(tile)} is too short`);
    return items.slice(0, count);
  };
  // Hashes of the new nodes at each tile level, by absolute index: level 0 are leaf hashes.
  let level: Map<number, Hash> = new Map(entries.map((e, k) => [from + k, leafHash(e)]));
  for (let L = 0; ; L++) {
    const atLevel = tiles.filter((t) => t.level === L);
    if (atLevel.length === 0) break;
    const span = TILE_WIDTH ** L;
    const before = Math.floor(from / span); // hashes this level had at `from`
    const fullBelow = new Map<number, Hash>(); // roots of full tiles, for the level above
    for (const tile of atLevel) {
      const start = tile.index * TILE_WIDTH;
      const kept = Math.max(0, Math.min(before - start, tile.width));
      const hashes = [...(await prefix(tile, kept))];
      for (let i = start + kept; i < start + tile.width; i++) hashes.push(level.get(i)!);
      await store.writeTile(tile, encodeTile(hashes));
      if (L === 0) {
        const bundle = [
          ...(await prefix({ ...tile, level: 'entries' }, kept)),
          ...entries.slice(start + kept - from, start + tile.width - from),
        ];
        await store.writeTile({ ...tile, level: 'entries' }, encodeBundle(bundle));
      }
      if (tile.width === TILE_WIDTH) fullBelow.set(tile.index, rootFromLeafHashes(hashes));
    }
    level = fullBelow;
  }
}
