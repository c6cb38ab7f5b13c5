import type { TileStore } from '../core/tlog/ports.js';
import { inclusionProof } from '../core/tlog/proof.js';
import { formatTlogProof } from '../core/tlog/proof-bundle.js';
import { withTiles } from '../core/tlog/tiles.js';
import { getDeps } from './deps.js';
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

export async function receiptLogProof(
  tiles: LogTileReader,
  index: number | undefined,
): Promise<LogProofOutcome> {
  const head = await tiles.readCheckpoint();
  const size = head?.checkpoint.size ?? 0;
  if (!head || index === undefined || index >= size) return { kind: 'not_yet', size };
  const proof = await withTiles(
    size,
    (t) => tiles.readTile(t),
    (read) => inclusionProof(read, index, size),
  );
  return { kind: 'proof', text: formatTlogProof({ index, proof, checkpoint: head.note }), index, size };
}

/**
 * Where the service reads the log, as configured (app/transparency-log.ts logTileStore): `<data>/log`
 * locally, the S3 tile store in AWS, read-only (a reader never writes the checkpoint).
 */
export const logTiles = (): Promise<LogTileReader> => logTileStore(getDeps(), { readOnly: true });
