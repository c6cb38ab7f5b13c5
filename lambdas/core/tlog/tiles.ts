import { TlogError } from './errors.js';
import { HASH_SIZE, type Hash, nodeHash } from './hash.js';
import type { NodeReader } from './proof.js';

/**
 * C2SP tlog-tiles: the tree as tiles of 256 hashes (height 8), and the entries as bundles of
 * 256 length-prefixed entries, at paths `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`.
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** tlog-tiles allows levels 0..63. */
const MAX_LEVEL = 63;
/** Entry bundles prefix each entry with a big-endian uint16 length. */
export const MAX_ENTRY_SIZE = 0xffff;

/** A tile (level >= 0) or an entry bundle (level 'entries'); width 256 is a full tile. */
export interface TileId {
  level: number | 'entries';
  index: number;
  width: number;
}

/** `<N>` as zero-padded 3-digit path elements, all but the last prefixed by `x`: 1234067 -> x001/x234/067. */
export function encodeTileIndex(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new TlogError('malformed_path', `bad tile index ${n}`);
  const groups: string[] = [];
  let rest = n;
  do {
    groups.unshift(String(rest % 1000).padStart(3, '0'));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** The path of a tile relative to the log prefix, e.g. `tile/0/x001/234.p/17`. */
export function tilePath(tile: TileId): string {
  if (!Number.isInteger(tile.width) || tile.width < 1 || tile.width > TILE_WIDTH)
    throw new TlogError('malformed_path', `bad tile width ${tile.width}`);
  if (tile.level !== 'entries' && (!Number.isInteger(tile.level) || tile.level < 0 || tile.level > MAX_LEVEL))
    throw new TlogError('malformed_path', `bad tile level ${tile.level}`);
  const partial = tile.width < TILE_WIDTH ? `.p/${tile.width}` : '';
  return `tile/${tile.level}/${encodeTileIndex(tile.index)}${partial}`;
}

const TILE_PATH = /^tile\/(entries|0|[1-9]\d?)\/((?:x\d{3}\/)*)(\d{3})(?:\.p\/([1-9]\d{0,2}))?$/;

/** Parses a tile path (relative to the log prefix), refusing anything tilePath would not write. */
export function parseTilePath(path: string): TileId {
  const m = TILE_PATH.exec(path);
  if (!m) throw new TlogError('malformed_path', `not a tile path: ${path}`);
  const level = m[1] === 'entries' ? 'entries' : Number(m[1]);
  const groups = [
    ...(m[2] ?? '')
      .split('/')
      .filter(Boolean)
      .map((g) => g.slice(1)),
    m[3]!,
  ];
  const index = groups.reduce((acc, g) => acc * 1000 + Number(g), 0);
  const width = m[4] === undefined ? TILE_WIDTH : Number(m[4]);
  const tile: TileId = { level, index, width };
  // Round trip: refuses leading zero groups (x000/001), widths over 255 and levels over 63.
  if (!Number.isSafeInteger(index) || width > TILE_WIDTH || (m[4] !== undefined && width === TILE_WIDTH))
    throw new TlogError('malformed_path', `not a tile path: ${path}`);
  let canonical: string;
  try {
    canonical = tilePath(tile);
  } catch {
    throw new TlogError('malformed_path', `not a tile path: ${path}`);
  }
  if (canonical !== path) throw new TlogError('malformed_path', `not a canonical tile path: ${path}`);
  return tile;
}

/** How many hashes level `level` holds for a tree of `size`: floor(size / 256^level). */
const hashesAtLevel = (size: number, tileLevel: number) => Math.floor(size / TILE_WIDTH ** tileLevel);

/** Every tile (and entry bundle) a tree of this size has, with its width at this size. */
export function tilesForSize(size: number): TileId[] {
  return changedTiles(0, size);
}

/**
 * The tiles and bundles that a tree of newSize has and a tree of oldSize did not have with the
 * same width: what the integrator writes when growing from oldSize to newSize.
 */
export function changedTiles(oldSize: number, newSize: number): TileId[] {
  const out: TileId[] = [];
  for (let level = 0; hashesAtLevel(newSize, level) > 0; level++) {
    const before = hashesAtLevel(oldSize, level);
    const after = hashesAtLevel(newSize, level);
    if (after === before) continue;
    for (let index = Math.floor(before / TILE_WIDTH); index * TILE_WIDTH < after; index++) {
      const width = Math.min(TILE_WIDTH, after - index * TILE_WIDTH);
      out.push({ level, index, width });
      if (level === 0) out.push({ level: 'entries', index, width });
    }
  }
  return out;
}

/** The tile (with its width at tree size `size`) holding the stored hash at tree level `level`. */
export function tileOfNode(
  level: number,
  index: number,
  size: number,
): { tile: TileId; start: number; count: number } {
  const tileLevel = Math.floor(level / TILE_HEIGHT);
  const count = 2 ** (level % TILE_HEIGHT);
  const first = index * count; // index of the first hash at tile level that the node covers
  const tileIndex = Math.floor(first / TILE_WIDTH);
  const width = Math.min(TILE_WIDTH, hashesAtLevel(size, tileLevel) - tileIndex * TILE_WIDTH);
  if (width < (first % TILE_WIDTH) + count)
    throw new TlogError('size_out_of_range', `node ${level}/${index} is not complete in a tree of ${size}`);
  return { tile: { level: tileLevel, index: tileIndex, width }, start: first % TILE_WIDTH, count };
}

/** The hashes in a tile's bytes (32 bytes each). */
export function tileHashes(bytes: Uint8Array): Hash[] {
  if (bytes.length % HASH_SIZE !== 0 || bytes.length === 0 || bytes.length > TILE_WIDTH * HASH_SIZE)
    throw new TlogError('malformed_tile', `a tile of ${bytes.length} bytes is not a whole number of hashes`);
  const out: Hash[] = [];
  for (let i = 0; i < bytes.length; i += HASH_SIZE) out.push(bytes.subarray(i, i + HASH_SIZE));
  return out;
}

export function encodeTile(hashes: readonly Hash[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  for (const [i, h] of hashes.entries()) out.set(h, i * HASH_SIZE);
  return out;
}

/**
 * The hashes of the complete subtrees inside a tile, level by level (level 0: the tile's own
 * hashes; up to TILE_HEIGHT - 1), per tile bytes object (tiles are never changed in place):
 * all computed the first time a node between a tile's rows is read. A proof's siblings within a
 * tile cover nearly all of it, so the first proof through a tile hashes about as much as before;
 * every later proof through the same bytes (the proof route keeps its tiles) reads, and hashes
 * nothing. Before, each (start, count) was hashed from the leaves and kept alone, so a proof
 * through another part of a held tile hashed again, which set the route's p99.
 */
const innerLevels = new WeakMap<Uint8Array, Uint8Array[]>();

function levelsOf(bytes: Uint8Array): Uint8Array[] {
  let levels = innerLevels.get(bytes);
  if (levels) return levels;
  levels = [bytes];
  for (let below = bytes; levels.length < TILE_HEIGHT && below.length >= 2 * HASH_SIZE; ) {
    const level = new Uint8Array(Math.floor(below.length / HASH_SIZE / 2) * HASH_SIZE);
    for (let at = 0; at < level.length; at += HASH_SIZE) {
      const left = below.subarray(2 * at, 2 * at + HASH_SIZE);
      level.set(nodeHash(left, below.subarray(2 * at + HASH_SIZE, 2 * at + 2 * HASH_SIZE)), at);
    }
    levels.push(level);
    below = level;
  }
  innerLevels.set(bytes, levels);
  return levels;
}

/**
 * A NodeReader over tiles: `readTile` returns the bytes of a tile as wide as asked or wider
 * (a full tile may stand in for a partial one: a tile's hashes never change as it grows).
 */
export function nodeReaderFromTiles(size: number, readTile: (tile: TileId) => Uint8Array): NodeReader {
  return (level, index) => {
    const { tile, start, count } = tileOfNode(level, index, size);
    const bytes = readTile(tile);
    const held = bytes.length / HASH_SIZE;
    if (!Number.isInteger(held) || held === 0 || held > TILE_WIDTH)
      throw new TlogError(
        'malformed_tile',
        `a tile of ${bytes.length} bytes is not a whole number of hashes`,
      );
    if (held < start + count)
      throw new TlogError('malformed_tile', `tile ${tilePath(tile)} holds ${held} hashes`);
    // The node is the (start / count)-th complete subtree of `count` hashes: aligned, as count divides start.
    const hashes = count === 1 ? bytes : levelsOf(bytes)[level % TILE_HEIGHT]!;
    const at = (start / count) * HASH_SIZE;
    return hashes.subarray(at, at + HASH_SIZE);
  };
}

/**
 * Which tiles a computation over a tree of `size` reads (a proof, a tree head): run it once with
 * placeholder hashes and record the tiles, so that an asynchronous store can fetch them all
 * before the real run. Pure and cheap: proofs touch O(log n) nodes.
 */
export function tilesRead(size: number, compute: (read: NodeReader) => unknown): TileId[] {
  const seen = new Map<string, TileId>();
  const zero = new Uint8Array(HASH_SIZE);
  compute((level, index) => {
    const { tile } = tileOfNode(level, index, size);
    seen.set(tilePath(tile), tile);
    return zero;
  });
  return [...seen.values()];
}

/** An entry bundle: each entry as a big-endian uint16 length then its bytes. */
export function encodeBundle(entries: readonly Uint8Array[]): Uint8Array {
  const total = entries.reduce((n, e) => n + 2 + e.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const e of entries) {
    if (e.length > MAX_ENTRY_SIZE)
      throw new TlogError('malformed_entry', `an entry of ${e.length} bytes does not fit a bundle`);
    out[at] = e.length >> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

export function decodeBundle(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw new TlogError('malformed_tile', 'an entry bundle ends inside a length');
    const len = (bytes[at]! << 8) | bytes[at + 1]!;
    if (at + 2 + len > bytes.length)
      throw new TlogError('malformed_tile', 'an entry bundle ends inside an entry');
    out.push(bytes.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  if (out.length > TILE_WIDTH)
    throw new TlogError('malformed_tile', `an entry bundle of ${out.length} entries`);
  return out;
}

/**
 * Runs a computation over a tree of `size` whose hashes live in a tile store: lists the tiles
 * it reads, fetches them (in parallel), then runs it for real over them.
 */
export async function withTiles<T>(
  size: number,
  fetchTile: (tile: TileId) => Promise<Uint8Array | null>,
  compute: (read: NodeReader) => T,
): Promise<T> {
  const needed = tilesRead(size, compute);
  const fetched = new Map<string, Uint8Array>();
  await Promise.all(
    needed.map(async (tile) => {
      const bytes = await fetchTile(tile);
      if (!bytes) throw new TlogError('malformed_tile', `tile ${tilePath(tile)} is missing`);
      fetched.set(tilePath(tile), bytes);
    }),
  );
  return compute(nodeReaderFromTiles(size, (tile) => fetched.get(tilePath(tile))!));
}
