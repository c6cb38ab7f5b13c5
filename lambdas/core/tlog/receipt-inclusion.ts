import { type CheckpointPolicy, type VerifiedCheckpoint, verifyCheckpoint } from './checkpoint.js';
import { TlogError } from './errors.js';
import { leafHash } from './hash.js';
import { inclusionProof, verifyInclusion } from './proof.js';
import { decodeBundle, TILE_WIDTH, type TileId, withTiles } from './tiles.js';

/**
 * Is this receipt in the log? (issue 13) What a receipt's holder checks, in the CLI and in the
 * browser alike: the entry at the receipt's index names that receipt and carries the commitment
 * the service computes from the stored receipt now, and that entry's leaf is in the tree the
 * signed checkpoint commits to. No zod here: the verification page bundles this file.
 */

/** The receipt a log entry records (code and number), read from its bytes; null for any other entry. */
export function loggedReceipt(
  entry: Uint8Array,
): { code: string; number: string; commitment?: string } | null {
  try {
    const e = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(entry)) as Record<string, unknown>;
    if (e.type !== 'receipt' || typeof e.code !== 'string' || typeof e.number !== 'string') return null;
    return {
      code: e.code,
      number: e.number,
      ...(typeof e.commitment === 'string' ? { commitment: e.commitment } : {}),
    };
  } catch {
    return null;
  }
}

export interface ExpectedReceipt {
  code: string;
  number: string;
  /** hex commitment of the receipt as stored now (the verification answer's `log.commitment`). */
  commitment: string;
}

/** The entry must be the receipt's, with the same commitment; throws wrong_entry / commitment_mismatch. */
export function checkReceiptEntry(entry: Uint8Array, index: number, expected: ExpectedReceipt): void {
  const logged = loggedReceipt(entry);
  if (!logged || logged.code !== expected.code || logged.number !== expected.number)
    throw new TlogError(
      'wrong_entry',
      `entry ${index} of the log is not receipt ${expected.code}/${expected.number}`,
    );
  if (logged.commitment !== expected.commitment)
    throw new TlogError(
      'commitment_mismatch',
      `the commitment logged for ${expected.code}/${expected.number} (${logged.commitment}) is not the stored receipt's (${expected.commitment}): the record changed after it was logged`,
    );
}

/** Where the entry of `index` lies in a tree of `size`: its bundle, as wide as that tree makes it. */
export function bundleOf(index: number, size: number): TileId {
  const n = Math.floor(index / TILE_WIDTH);
  return { level: 'entries', index: n, width: Math.min(TILE_WIDTH, size - n * TILE_WIDTH) };
}

export interface ReceiptInclusion extends VerifiedCheckpoint {
  index: number;
  /** The entry's bytes as logged. */
  entry: Uint8Array;
}

/**
 * Verifies the checkpoint note against the policy, reads the receipt's entry from its bundle and
 * the tiles its inclusion proof needs (`readTile`: the served tiles, untrusted), checks the entry
 * is the receipt's and that its leaf hashes up to the signed root. Throws a TlogError saying
 * which check failed.
 */
export async function verifyReceiptInclusion(o: {
  note: string;
  policy: CheckpointPolicy;
  index: number;
  receipt: ExpectedReceipt;
  readTile: (tile: TileId) => Promise<Uint8Array | null>;
}): Promise<ReceiptInclusion> {
  const verified = verifyCheckpoint(o.note, o.policy);
  const { size, rootHash } = verified.checkpoint;
  if (o.index >= size)
    throw new TlogError(
      'not_in_checkpoint',
      `entry ${o.index} is not in the latest checkpoint (size ${size}) yet: it will be in the next one`,
    );
  const bundle = await o.readTile(bundleOf(o.index, size));
  const entry = bundle ? decodeBundle(bundle)[o.index % TILE_WIDTH] : undefined;
  if (!entry) throw new TlogError('malformed_tile', `the log serves no entry ${o.index}`);
  checkReceiptEntry(entry, o.index, o.receipt);
  const proof = await withTiles(size, o.readTile, (read) => inclusionProof(read, o.index, size));
  verifyInclusion(o.index, size, leafHash(entry), proof, rootHash);
  return { ...verified, index: o.index, entry };
}
