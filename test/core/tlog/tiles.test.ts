import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeEntry,
  encodeEntry,
  type LogEntry,
  receiptCommitment,
} from '../../../lambdas/core/tlog/entries.js';
import { TlogError } from '../../../lambdas/core/tlog/errors.js';
import { type Hash, leafHash, rootFromLeafHashes } from '../../../lambdas/core/tlog/hash.js';
import { inclusionProof, nodeReaderFromLeaves, treeHash } from '../../../lambdas/core/tlog/proof.js';
import {
  changedTiles,
  decodeBundle,
  encodeBundle,
  encodeTile,
  encodeTileIndex,
  nodeReaderFromTiles,
  parseTilePath,
  TILE_WIDTH,
  type TileId,
  tilePath,
  tilesForSize,
  tilesRead,
} from '../../../lambdas/core/tlog/tiles.js';
import { vectors } from './support.js';

describe('tlog-tiles paths (golang.org/x/mod tlog vectors, C2SP tlog-tiles)', () => {
  it('encodes and parses the reference paths', () => {
    for (const v of vectors.goTilePaths.valid) {
      const tile: TileId = { level: v.level, index: v.index, width: v.width };
      expect(tilePath(tile)).toBe(v.path);
      expect(parseTilePath(v.path)).toEqual(tile);
    }
    expect(encodeTileIndex(vectors.c2sp.tiles.indexExample.index)).toBe(
      vectors.c2sp.tiles.indexExample.encoded,
    );
    expect(encodeTileIndex(0)).toBe('000');
    expect(encodeTileIndex(1000)).toBe('x001/000');
  });

  it('refuses paths the spec does not allow', () => {
    for (const p of vectors.goTilePaths.invalid) expect(() => parseTilePath(p)).toThrow(TlogError);
  });

  it('round-trips every index', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: 256 }),
        (index, width) => {
          const tile: TileId = { level: 3, index, width };
          expect(parseTilePath(tilePath(tile))).toEqual(tile);
        },
      ),
    );
  });

  it('lists the tiles of the spec example, a tree of 70,000', () => {
    const t = vectors.c2sp.tiles;
    const tiles = tilesForSize(t.size);
    const at = (level: number) => tiles.filter((x) => x.level === level);
    expect(at(0).filter((x) => x.width === TILE_WIDTH)).toHaveLength(t.fullLevel0);
    expect(
      at(0)
        .filter((x) => x.width < TILE_WIDTH)
        .map((x) => x.width),
    ).toEqual([t.partialLevel0Width]);
    expect(at(1).filter((x) => x.width === TILE_WIDTH)).toHaveLength(t.fullLevel1);
    expect(
      at(1)
        .filter((x) => x.width < TILE_WIDTH)
        .map((x) => x.width),
    ).toEqual([t.partialLevel1Width]);
    expect(at(2).map((x) => x.width)).toEqual([t.partialLevel2Width]);
    expect(at(3)).toEqual([]);
    expect(tiles.filter((x) => x.level === 'entries')).toHaveLength(274);
    // A tree of 256: one full level-0 tile and a level-1 tile of width 1.
    expect(tilesForSize(256).map(tilePath)).toEqual(['tile/0/000', 'tile/entries/000', 'tile/1/000.p/1']);
    expect(changedTiles(256, 256)).toEqual([]);
    expect(changedTiles(300, 301).map(tilePath)).toEqual(['tile/0/001.p/45', 'tile/entries/001.p/45']);
  });
});

/** The tiles of a tree, built from first principles (tlog-tiles' MTH formula). */
function tilesOf(leaves: Hash[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const tile of tilesForSize(leaves.length)) {
    if (tile.level === 'entries') continue;
    const span = TILE_WIDTH ** tile.level;
    const hashes: Hash[] = [];
    for (let i = 0; i < tile.width; i++) {
      const start = (tile.index * TILE_WIDTH + i) * span;
      hashes.push(rootFromLeafHashes(leaves.slice(start, start + span)));
    }
    out.set(`${tile.level}/${tile.index}`, encodeTile(hashes));
  }
  return out;
}

describe('proofs from tiles', () => {
  it('gives the same tree heads and proofs as the leaves, reading only the tiles it listed', () => {
    const leaves = Array.from({ length: 70_000 }, (_, i) => leafHash(new TextEncoder().encode(String(i))));
    const tiles = tilesOf(leaves);
    // Complete subtrees of a smaller tree are nodes of the bigger one: one reader serves all sizes.
    const direct = nodeReaderFromLeaves(leaves);
    expect(treeHash(direct, 1000)).toEqual(rootFromLeafHashes(leaves.slice(0, 1000)));
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: leaves.length })
          .chain((n) => fc.tuple(fc.constant(n), fc.nat({ max: n - 1 }))),
        ([n, i]) => {
          const listed = new Set(
            tilesRead(n, (read) => [inclusionProof(read, i, n), treeHash(read, n)]).map(tilePath),
          );
          const read = nodeReaderFromTiles(n, (tile) => {
            const path = tilePath(tile);
            expect(listed.has(path)).toBe(true);
            // The 70,000 tree's tile, as wide as asked or wider: a store may answer so.
            return tiles.get(`${tile.level}/${tile.index}`)!;
          });
          expect(inclusionProof(read, i, n)).toEqual(inclusionProof(direct, i, n));
          expect(treeHash(read, n)).toEqual(treeHash(direct, n));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reuses a subtree hashed from a tile only for that same tile', () => {
    const leaves = Array.from({ length: 256 }, (_, i) => leafHash(new TextEncoder().encode(String(i))));
    const other = leaves.map((h, i) => (i === 5 ? leafHash(new TextEncoder().encode('altered')) : h));
    const first = tilesOf(leaves).get('0/0')!;
    const second = tilesOf(other).get('0/0')!;
    // Level 7, node 0: the root of the tile's first 128 hashes, hashed from 128 of them.
    const node = (tile: Uint8Array) => nodeReaderFromTiles(256, () => tile)(7, 0);
    expect(node(first)).toEqual(rootFromLeafHashes(leaves.slice(0, 128)));
    expect(node(first)).toEqual(rootFromLeafHashes(leaves.slice(0, 128))); // held
    expect(node(second)).toEqual(rootFromLeafHashes(other.slice(0, 128)));
    expect(node(second)).not.toEqual(node(first));
  });
});

describe('entry bundles and entries', () => {
  it('length-prefixes entries big-endian and reads them back', () => {
    const entries = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(7)];
    const bundle = encodeBundle(entries);
    expect([...bundle.subarray(0, 2)]).toEqual([0, 0]);
    expect([...bundle.subarray(2, 4)]).toEqual([0, 3]);
    expect([...bundle.subarray(7, 9)]).toEqual([1, 44]);
    expect(decodeBundle(bundle)).toEqual(entries);
    expect(() => decodeBundle(bundle.subarray(0, bundle.length - 1))).toThrow(TlogError);
    expect(() => encodeBundle([new Uint8Array(65_536)])).toThrow(TlogError);
  });

  const receipt: LogEntry = {
    v: 1,
    type: 'receipt',
    code: '11010126',
    number: '0000000001',
    kind: 'red',
    department: 'ZRZY',
    issueDate: '2026-12-02',
    total: '-80.00',
    items: ['ZRZY-001'],
    reverses: { code: '11010126', number: '0000000000' },
    commitment: receiptCommitment(new Uint8Array(16).fill(1), '{"v":1}'),
  };

  it('encodes entries as canonical JSON and parses only canonical, valid ones', () => {
    const bytes = encodeEntry(receipt);
    expect(new TextDecoder().decode(bytes)).toMatch(
      /^\{"code":"11010126","commitment":"[0-9a-f]{64}","department"/,
    );
    expect(decodeEntry(bytes)).toEqual(receipt);
    const text = new TextDecoder().decode(bytes);
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(() => decodeEntry(enc(` ${text}`))).toThrow(/canonical/);
    expect(() => decodeEntry(enc(text.replace('"kind":"red"', '"kind":"green"')))).toThrow(TlogError);
    expect(() => decodeEntry(enc(text.replace('{', '{"checkCode":"ABC234",')))).toThrow(TlogError);
    expect(() => encodeEntry({ ...receipt, v: 2 } as unknown as LogEntry)).toThrow(TlogError);
    for (const e of [
      {
        v: 1,
        type: 'reversal',
        original: { code: '11010126', number: '0000000000' },
        reversedBy: { code: '11010126', number: '0000000001' },
      },
      {
        v: 1,
        type: 'catalogue',
        itemCode: 'ZRZY-001',
        version: 2,
        change: 'revise',
        department: 'ZRZY',
        effectiveFrom: '2027-01-01',
        status: 'active',
        contentSha256: 'a'.repeat(64),
      },
      {
        v: 1,
        type: 'range',
        event: 'closed',
        rangeId: 'r1',
        department: 'ZRZY',
        code: '11010126',
        first: 1,
        last: 100,
        firstUnused: 42,
      },
    ] as LogEntry[])
      expect(decodeEntry(encodeEntry(e))).toEqual(e);
  });

  it('commits to the data with a salt of 16 bytes or more', () => {
    const a = receiptCommitment(new Uint8Array(16).fill(1), 'data');
    expect(a).not.toBe(receiptCommitment(new Uint8Array(16).fill(2), 'data'));
    expect(a).not.toBe(receiptCommitment(new Uint8Array(16).fill(1), 'datb'));
    expect(() => receiptCommitment(new Uint8Array(15), 'data')).toThrow(TlogError);
  });
});
