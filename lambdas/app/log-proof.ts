import { BoundedCache } from '../core/bounded-cache.js';
import type { TileStore, TreeHead } from '../core/tlog/ports.js';
import { inclusionProof } from '../core/tlog/proof.js';
import { formatTlogProof } from '../core/tlog/proof-bundle.js';
import { TILE_WIDTH, type TileId, tilePath, withTiles } from '../core/tlog/tiles.js';
import { type Deps, getDeps } from './deps.js';
import { logTileStore } from './transparency-log.js';

/**
 * A receipt's inclusion proof as a C2SP tlog-proof file (issue 13, `GET /v1/verify/log-proof`),
 * built from the tiles of the latest published checkpoint: O(log n) hashes from at most a few
 * tiles, nothing from DynamoDB but the check row that gave the index.
 */

/** What the proof route reads of the log: the published checkpoint and tiles. */
export type LogTileReader = Pick<TileStore, 'readTile' | 'readCheckpoint'>;

export type LogProofOutcome =
  | { kind: 'proof'; text: string; index: number; size: number }
  /** Not in the latest checkpoint yet (not sequenced, or sequenced after it); `size`: the checkpoint's. */
  | { kind: 'not_yet'; size: number };

/** The reader as `receiptLogProof` uses it: a checkpoint that may be a moment old, and `latest()`. */
export interface ProofReader {
  readTile(tile: TileId): Promise<Uint8Array | null>;
  /** A published checkpoint, at most CHECKPOINT_TTL_MS older than the latest. */
  readCheckpoint(): Promise<TreeHead | null>;
  /** The latest published checkpoint, read now. */
  latestCheckpoint(): Promise<TreeHead | null>;
}

export async function receiptLogProof(
  tiles: ProofReader,
  index: number | undefined,
): Promise<LogProofOutcome> {
  let head = await tiles.readCheckpoint();
  // A receipt beyond a checkpoint held a moment ago may be in the latest one: read it now.
  if (index !== undefined && index >= (head?.checkpoint.size ?? 0)) head = await tiles.latestCheckpoint();
  const size = head?.checkpoint.size ?? 0;
  if (!head || index === undefined || index >= size) return { kind: 'not_yet', size };
  const proof = await withTiles(
    size,
    (t) => tiles.readTile(t),
    (read) => inclusionProof(read, index, size),
  );
  return { kind: 'proof', text: formatTlogProof({ index, proof, checkpoint: head.note }), index, size };
}

/** How long a process serves proofs against the checkpoint it read (any published one proves inclusion). */
export const CHECKPOINT_TTL_MS = 1_000;
/** Full tiles a process keeps (8 KiB each: at most 8 MiB). */
const CACHED_TILES = 1_024;

/**
 * The log as the proof route reads it, per process: a full tile once read is kept (written
 * once and never changed: tlog-tiles serves full tiles as immutable), the checkpoint for
 * CHECKPOINT_TTL_MS, and the partial tiles at the tree's right edge (which a full tile
 * replaces as the log grows) as long as that checkpoint, so a proof reads nothing in the steady
 * state. A receipt not in the held checkpoint reads the latest (`latestCheckpoint`): "not yet"
 * is never answered from a stale one.
 */
export function cachedProofReader(store: LogTileReader, now: () => number = Date.now): ProofReader {
  const fullTiles = new BoundedCache<string, Uint8Array>(CACHED_TILES);
  let held: { at: number; head: Promise<TreeHead | null>; partialTiles: Map<string, Uint8Array> } | undefined;
  const latestCheckpoint = () => {
    const head = store.readCheckpoint();
    held = { at: now(), head, partialTiles: new Map() };
    head.catch(() => {
      held = undefined; // a failed read is not kept
    });
    return head;
  };
  return {
    latestCheckpoint,
    readCheckpoint: () => (held && now() - held.at < CHECKPOINT_TTL_MS ? held.head : latestCheckpoint()),
    readTile: async (tile) => {
      const kept = tile.width === TILE_WIDTH ? fullTiles : held?.partialTiles;
      const key = tilePath(tile);
      const hit = kept?.get(key);
      if (hit) return hit;
      const bytes = await store.readTile(tile);
      if (bytes) kept?.set(key, bytes);
      return bytes;
    },
  };
}

/** Per configuration (the tests reset it between services): one store and its caches. */
const readers = new WeakMap<Deps, Promise<ProofReader>>();

/**
 * Where the service reads the log, as configured (app/transparency-log.ts logTileStore): `<data>/log`
 * locally, the S3 tile store in AWS, read-only (a reader never writes the checkpoint); made
 * once per process, with its caches (cachedProofReader).
 */
export function logTiles(): Promise<ProofReader> {
  const deps = getDeps();
  let reader = readers.get(deps);
  if (!reader) {
    reader = logTileStore(deps, { readOnly: true }).then((store) => cachedProofReader(store));
    reader.catch(() => readers.delete(deps));
    readers.set(deps, reader);
  }
  return reader;
}
