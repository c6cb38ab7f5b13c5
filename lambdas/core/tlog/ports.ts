import type { Checkpoint } from './checkpoint.js';
import type { Hash } from './hash.js';
import type { TileId } from './tiles.js';

/**
 * The transparency log's ports. Sequencing (what DynamoDB's committing transactions write)
 * and integration (turning the sequence into tiles and a signed checkpoint) are separate, as in
 * Trillian Tessera: SequencedEntries is the boundary between them.
 */

/** One sequenced entry: its position in the log and its bytes (core/tlog/entries.ts encodeEntry). */
export interface SequencedEntry {
  index: number;
  entry: Uint8Array;
}

/**
 * The sequence of what the committing transactions wrote: entries 0, 1, 2, ... with no gap.
 * Implementations: in memory (tests), DynamoDB (each entry written inside the same transaction as
 * what it records, then given its index in a batch item; see docs/transparency-log.md).
 */
export interface SequencedEntries {
  /** How many entries are sequenced: every index below it has an entry. */
  size(): Promise<number>;
  /**
   * Up to `limit` entries from index `from` in order, with no gap (fewer only at the end of the
   * sequence). Entries are immutable once sequenced: reading index i twice gives the same bytes.
   */
  read(from: number, limit: number): Promise<SequencedEntry[]>;
}

/** The last signed checkpoint as the log stores it: the note and the parsed body. */
export interface TreeHead {
  checkpoint: Checkpoint;
  /** The full signed note (log signature and any cosignatures) as published. */
  note: string;
}

/** Where tiles, entry bundles and the checkpoint live (a directory locally, S3 in AWS). */
export interface TileStore {
  /** A tile or bundle, or null if absent. A full tile may be returned for a partial one asked. */
  readTile(tile: TileId): Promise<Uint8Array | null>;
  /** Write-once: an existing tile with the same bytes is fine, with different bytes is an error. */
  writeTile(tile: TileId, bytes: Uint8Array): Promise<void>;
  /** The published tree head, or null before the first. */
  readCheckpoint(): Promise<TreeHead | null>;
  /**
   * Replaces the tree head only if the stored one is still `expected` (its note, or null for
   * none): the conditional write that keeps two integrators from forking the tree. Returns false
   * when another writer got there first.
   */
  swapCheckpoint(expected: string | null, next: TreeHead): Promise<boolean>;
}

export type { Hash };
