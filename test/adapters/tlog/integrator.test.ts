import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryTileStore } from '../../../lambdas/adapters/tlog/directory-store.js';
import { integrate } from '../../../lambdas/adapters/tlog/integrator.js';
import { openLogKey } from '../../../lambdas/adapters/tlog/log-key.js';
import { verifyCheckpoint } from '../../../lambdas/core/tlog/checkpoint.js';
import { TlogError } from '../../../lambdas/core/tlog/errors.js';
import { leafHash, rootFromLeafHashes } from '../../../lambdas/core/tlog/hash.js';
import { ed25519Signer } from '../../../lambdas/core/tlog/note.js';
import type { TileStore } from '../../../lambdas/core/tlog/ports.js';
import {
  consistencyProof,
  inclusionProof,
  verifyConsistency,
  verifyInclusion,
} from '../../../lambdas/core/tlog/proof.js';
import { decodeBundle, tilePath, tilesForSize, withTiles } from '../../../lambdas/core/tlog/tiles.js';
import { STORE_KINDS, stopS3 } from './stores.js';
import { entryBytes, MemorySequence, tempDir } from './support.js';

const ORIGIN = 'feeproof.test/log';
const signer = ed25519Signer(ORIGIN, new Uint8Array(32).fill(5));
const policy = { origin: ORIGIN, logKeys: [signer.vkey] };

function sequenceOf(n: number) {
  const s = new MemorySequence();
  for (let i = 0; i < n; i++) s.append(entryBytes(i));
  return s;
}

/** Everything a verifier checks about the published log against the sequence it came from. */
const expectLogMatches = (log: Published, sequence: MemorySequence) =>
  expectLogMatchesWith(log, sequence, signer.vkey, ORIGIN);

/** A store and how its checkpoint is served. */
type Published = { store: TileStore; served(): Promise<string | null> };
const directoryServed = (store: DirectoryTileStore): Published => ({
  store,
  served: async () => readFileSync(join(store.root, 'checkpoint'), 'utf8'),
});

async function expectLogMatchesWith(
  { store, served }: Published,
  sequence: MemorySequence,
  vkey: string,
  origin: string,
) {
  const head = await store.readCheckpoint();
  expect(head).not.toBeNull();
  const { checkpoint } = verifyCheckpoint(head!.note, { origin, logKeys: [vkey] });
  const n = checkpoint.size;
  const leaves = sequence.entries.slice(0, n).map(leafHash);
  expect(checkpoint.rootHash).toEqual(rootFromLeafHashes(leaves));
  expect(await served()).toBe(head!.note);
  for (const tile of tilesForSize(n)) {
    const bytes = await store.readTile(tile);
    expect(bytes, tilePath(tile)).not.toBeNull();
    if (tile.level === 'entries') {
      const start = tile.index * 256;
      expect(decodeBundle(bytes!).slice(0, tile.width)).toEqual(
        sequence.entries.slice(start, start + tile.width),
      );
    }
  }
  const read = (t: Parameters<TileStore['readTile']>[0]) => store.readTile(t);
  for (const i of [0, Math.floor(n / 2), n - 1]) {
    const proof = await withTiles(n, read, (r) => inclusionProof(r, i, n));
    verifyInclusion(i, n, leaves[i]!, proof, checkpoint.rootHash);
  }
  return checkpoint;
}

describe('integrator over a directory tile store', () => {
  it('integrates in batches across tile boundaries; every checkpoint is consistent with the one before', async () => {
    const dir = tempDir('integrate');
    const store = new DirectoryTileStore(join(dir, 'log'));
    const sequence = new MemorySequence();
    const sizes: { size: number; root: Uint8Array }[] = [];
    for (const add of [1, 2, 253, 1, 300, 65_536 - 557, 300]) {
      for (let k = 0; k < add; k++) sequence.append(entryBytes(sequence.entries.length));
      let result: Awaited<ReturnType<typeof integrate>>;
      do {
        result = await integrate({ origin: ORIGIN, signer, sequence, store, maxBatch: 20_000 });
        expect(result.published || result.to === result.from).toBe(true);
      } while (result.to < sequence.entries.length);
      const cp = await expectLogMatches(directoryServed(store), sequence);
      sizes.push({ size: cp.size, root: cp.rootHash });
    }
    expect(sizes.map((s) => s.size)).toEqual([1, 3, 256, 257, 557, 65_536, 65_836]);
    const read = (t: Parameters<TileStore['readTile']>[0]) => store.readTile(t);
    for (let k = 1; k < sizes.length; k++) {
      const [a, b] = [sizes[k - 1]!, sizes[k]!];
      const proof = await withTiles(b.size, read, (r) => consistencyProof(r, a.size, b.size));
      verifyConsistency(a.size, b.size, a.root, b.root, proof);
    }
    // Nothing more to do: no new checkpoint.
    expect((await integrate({ origin: ORIGIN, signer, sequence, store })).published).toBe(false);
  });

  it('refuses a tree head the log key did not sign', async () => {
    const dir = tempDir('foreign');
    const store = new DirectoryTileStore(join(dir, 'log'));
    const sequence = sequenceOf(3);
    const other = ed25519Signer(ORIGIN, new Uint8Array(32).fill(6));
    await integrate({ origin: ORIGIN, signer: other, sequence, store });
    sequence.append(entryBytes(3));
    await expect(integrate({ origin: ORIGIN, signer, sequence, store })).rejects.toMatchObject({
      code: 'no_verified_signature',
    });
  });
});

afterAll(stopS3);

describe.each(STORE_KINDS)('integrator over the $name tile store', (kind) => {
  it('completes after a crash at every write of a run (tiles, bundles, tree head)', async () => {
    const sequence = sequenceOf(700);
    // How many writes one run makes from 250 to 700.
    const counting = async () => {
      const { store } = await kind.fresh();
      await integrate({ origin: ORIGIN, signer, sequence, store, maxBatch: 250 });
      let writes = 0;
      const spy = Object.create(store) as TileStore;
      spy.writeTile = async (t, b) => {
        writes++;
        return store.writeTile(t, b);
      };
      spy.swapCheckpoint = async (e, n) => {
        writes++;
        return store.swapCheckpoint(e, n);
      };
      await integrate({ origin: ORIGIN, signer, sequence, store: spy });
      return writes;
    };
    const total = await counting();
    expect(total).toBeGreaterThan(6);
    for (let crashAt = 1; crashAt <= total; crashAt++) {
      const log = await kind.fresh();
      const { store } = log;
      await integrate({ origin: ORIGIN, signer, sequence, store, maxBatch: 250 });
      let writes = 0;
      const crashing = Object.create(store) as TileStore;
      const maybeCrash = () => {
        if (++writes === crashAt) throw new Error('crash');
      };
      crashing.writeTile = async (t, b) => {
        maybeCrash();
        return store.writeTile(t, b);
      };
      crashing.swapCheckpoint = async (e, n) => {
        maybeCrash();
        return store.swapCheckpoint(e, n);
      };
      await expect(
        integrate({ origin: ORIGIN, signer, sequence, store: crashing, maxBatch: 300 }),
      ).rejects.toThrow('crash');
      expect((await store.readCheckpoint())!.checkpoint.size).toBe(250);
      // The next run (a different batch size) completes the tree.
      await integrate({ origin: ORIGIN, signer, sequence, store });
      const cp = await expectLogMatches(log, sequence);
      expect(cp.size).toBe(700);
    }
  }, 180_000);

  it('two integrators at once never fork the tree: every published head extends the one before', async () => {
    const log = await kind.fresh();
    const sequence = new MemorySequence();
    const a = log.store;
    const b = log.another();
    let lost = 0;
    for (let round = 0; round < 25; round++) {
      for (let k = 0; k < 37; k++) sequence.append(entryBytes(sequence.entries.length));
      const results = await Promise.all([
        integrate({ origin: ORIGIN, signer, sequence, store: a, maxBatch: 50 }),
        integrate({ origin: ORIGIN, signer, sequence, store: b, maxBatch: 29 }),
      ]);
      lost += results.filter((r) => !r.published && r.to > r.from).length;
    }
    while ((await integrate({ origin: ORIGIN, signer, sequence, store: a })).published);
    await expectLogMatches(log, sequence);
    expect(lost).toBeGreaterThan(0); // they did race
    // Every head ever published, in order, is consistent with the one before.
    const heads = (await log.heads()).map((note) => verifyCheckpoint(note, policy).checkpoint);
    expect(heads.at(-1)!.size).toBe(sequence.entries.length);
    const read = (t: Parameters<TileStore['readTile']>[0]) => a.readTile(t);
    for (let k = 1; k < heads.length; k++) {
      const [x, y] = [heads[k - 1]!, heads[k]!];
      expect(y.size).toBeGreaterThan(x.size);
      const proof = await withTiles(y.size, read, (r) => consistencyProof(r, x.size, y.size));
      verifyConsistency(x.size, y.size, x.rootHash, y.rootHash, proof);
    }
  }, 180_000);

  it('refuses to overwrite a tile with different bytes, and to sign over a tampered tile', async () => {
    const log = await kind.fresh();
    const { store } = log;
    const sequence = sequenceOf(300);
    await integrate({ origin: ORIGIN, signer, sequence, store });
    const tile = { level: 0, index: 1, width: 44 } as const;
    const bytes = (await store.readTile(tile))!;
    await store.writeTile(tile, bytes); // the same bytes again: fine
    const other = bytes.slice();
    other[0]! ^= 1;
    await expect(store.writeTile(tile, other)).rejects.toThrow(/different bytes/);
    expect(await store.readTile(tile)).toEqual(bytes);
    // Someone rewrites the partial tile behind the store: the next checkpoint would not extend the last.
    await log.tamper(tile, other);
    sequence.append(entryBytes(300));
    await expect(integrate({ origin: ORIGIN, signer, sequence, store })).rejects.toThrow(TlogError);
    expect((await store.readCheckpoint())!.checkpoint.size).toBe(300);
  });
});

describe('log key file', () => {
  it('is created once (mode 0600) and gives the same key to every opener', async () => {
    const dir = tempDir('key');
    const path = join(dir, 'sub', 'log-key.pem');
    const [a, b] = await Promise.all([openLogKey(path, ORIGIN), openLogKey(path, ORIGIN)]);
    expect(a.vkey).toBe(b.vkey);
    expect((await openLogKey(path, ORIGIN)).vkey).toBe(a.vkey);
    expect(a.vkey.startsWith(`${ORIGIN}+`)).toBe(true);
    const { statSync } = await import('node:fs');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

describe('integrator killed with SIGKILL', () => {
  it('leaves a tree that the next run completes, whenever it dies', async () => {
    const { spawn } = await import('node:child_process');
    const { fixedSequence, killEntry, killSigner, KILL_ORIGIN } = await import('./integrator-child.js');
    const dir = join(tempDir('kill'), 'log');
    // The children would take minutes to integrate this: they are always killed mid-way.
    const childSize = 1_000_000;
    for (let round = 0; round < 4; round++) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/adapters/tlog/integrator-child.ts', dir, String(childSize)],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      // Let it write for a while (a different moment each round), then kill -9.
      await new Promise((r) => setTimeout(r, 150 + round * 170));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    const store = new DirectoryTileStore(dir);
    const before = (await store.readCheckpoint())?.checkpoint.size ?? 0;
    expect(before).toBeLessThan(childSize);
    // A prefix of the sequence is a sequence: complete the tree a little past where they died.
    const n = before + 700;
    const sequence = new MemorySequence();
    for (let i = 0; i < n; i++) sequence.append(killEntry(i));
    while (
      (await integrate({ origin: KILL_ORIGIN, signer: killSigner, sequence: fixedSequence(n), store }))
        .published
    );
    const cp = await expectLogMatchesWith(directoryServed(store), sequence, killSigner.vkey, KILL_ORIGIN);
    expect(cp.size).toBe(n);
  });
});
