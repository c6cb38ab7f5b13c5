import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { LOG_TREE_HEAD_KEY } from '../../../lambdas/adapters/dynamo/keys.js';
import { integrate } from '../../../lambdas/adapters/tlog/integrator.js';
import { S3TileStore } from '../../../lambdas/adapters/tlog/s3-store.js';
import { IMMUTABLE_CACHE, SHORT_CACHE } from '../../../lambdas/adapters/tlog/serving.js';
import { verifyCheckpoint } from '../../../lambdas/core/tlog/checkpoint.js';
import { ed25519Signer } from '../../../lambdas/core/tlog/note.js';
import { freshS3Log, stopS3 } from './stores.js';
import { entryBytes, MemorySequence } from './support.js';

/**
 * What only the S3 tile store does (the integrator's crash and race cases run on it in
 * integrator.test.ts): its keys and headers as CloudFront will serve them, write-once under
 * racing writers, the head's compare-and-swap in DynamoDB, and a crash between the swap and the
 * served checkpoint. s3rver over real HTTP with the real SDK; the head in DynamoDB Local.
 */
const ORIGIN = 'feeproof.test/s3log';
const signer = ed25519Signer(ORIGIN, new Uint8Array(32).fill(9));
const policy = { origin: ORIGIN, logKeys: [signer.vkey] };

afterAll(stopS3);

function sequenceOf(n: number) {
  const s = new MemorySequence();
  for (let i = 0; i < n; i++) s.append(entryBytes(i));
  return s;
}

describe('S3 tile store', () => {
  it('keys the objects as tlog-tiles paths under the prefix, with the cache headers CloudFront passes on', async () => {
    const log = await freshS3Log();
    await integrate({ origin: ORIGIN, signer, sequence: sequenceOf(300), store: log.store });
    const client = log.s3.client();
    const head = async (path: string) =>
      client.send(new HeadObjectCommand({ Bucket: log.s3.bucket, Key: `${log.prefix}${path}` }));
    for (const [path, cache] of [
      ['tile/0/000', IMMUTABLE_CACHE],
      ['tile/entries/000', IMMUTABLE_CACHE],
      ['tile/0/001.p/44', SHORT_CACHE],
      ['tile/entries/001.p/44', SHORT_CACHE],
      ['tile/1/000.p/1', SHORT_CACHE],
      ['checkpoint', SHORT_CACHE],
    ] as const) {
      const h = await head(path);
      expect(h.CacheControl, path).toBe(cache);
      expect(h.ContentType, path).toBe(
        path === 'checkpoint' ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      );
    }
    const served = (await log.served())!;
    expect(verifyCheckpoint(served, policy).checkpoint.size).toBe(300);
    // A partial tile asked after the full one replaced it: the full tile's bytes (a prefix of them is the answer).
    const partial = await log.store.readTile({ level: 0, index: 0, width: 10 });
    expect(partial).toEqual(await log.store.readTile({ level: 0, index: 0, width: 256 }));
  });

  it('writes a tile once: of writers racing with different bytes exactly one wins; the same bytes again are fine', async () => {
    const log = await freshS3Log();
    const tile = { level: 0, index: 7, width: 3 } as const;
    const offers = Array.from({ length: 5 }, (_, i) => new Uint8Array(96).fill(i + 1));
    const stores = offers.map(() => log.another());
    const results = await Promise.allSettled(offers.map((b, i) => stores[i]!.writeTile(tile, b)));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(String(r.reason)).toMatch(/different bytes: the log would fork/);
    expect(await log.store.readTile(tile)).toEqual(offers[won[0]!]);
    await log.store.writeTile(tile, offers[won[0]!]!);
    // A plain PUT over it would replace it; the store's conditional one never does.
    await expect(log.store.writeTile(tile, new Uint8Array(96))).rejects.toThrow(/different bytes/);
  });

  it('swaps the tree head only over the head it read: a second integrator that read an older head loses', async () => {
    const log = await freshS3Log();
    const sequence = sequenceOf(10);
    const a = log.store;
    const b = log.another();
    await integrate({ origin: ORIGIN, signer, sequence, store: a, maxBatch: 4 });
    const stale = (await b.readCheckpoint())!;
    await integrate({ origin: ORIGIN, signer, sequence, store: a, maxBatch: 3 });
    const current = (await a.readCheckpoint())!;
    expect(current.checkpoint.size).toBe(7);
    // Another integrator publishes 10; b's swap over the head it read (4) is refused.
    const ten = await (async () => {
      const other = log.another();
      await integrate({ origin: ORIGIN, signer, sequence, store: other });
      return (await other.readCheckpoint())!;
    })();
    expect(await b.swapCheckpoint(stale.note, ten)).toBe(false);
    expect(await b.swapCheckpoint(null, ten)).toBe(false);
    expect((await a.readCheckpoint())!.checkpoint.size).toBe(10);
    // Every head is in the history, each generation once.
    expect((await log.heads()).map((n) => verifyCheckpoint(n, policy).checkpoint.size)).toEqual([4, 7, 10]);
  });

  it('a crash between the head swap and the checkpoint put is completed by the next run', async () => {
    const log = await freshS3Log();
    const sequence = sequenceOf(20);
    await integrate({ origin: ORIGIN, signer, sequence, store: log.store, maxBatch: 5 });
    // An S3 client that dies on putting the checkpoint, once.
    const base = log.s3.client();
    let crashed = false;
    const dying = Object.create(base) as S3Client;
    dying.send = (async (command: unknown) => {
      if (
        command instanceof PutObjectCommand &&
        command.input.Key === `${log.prefix}checkpoint` &&
        !crashed
      ) {
        crashed = true;
        throw new Error('crash');
      }
      return base.send(command as PutObjectCommand);
    }) as S3Client['send'];
    const crashing = new S3TileStore({
      s3: dying,
      bucket: log.s3.bucket,
      prefix: log.prefix,
      db: log.db,
      table: log.table,
    });
    await expect(integrate({ origin: ORIGIN, signer, sequence, store: crashing })).rejects.toThrow('crash');
    // The head moved (the swap committed), the served checkpoint did not.
    const headItem = await log.db.send(
      new GetCommand({ TableName: log.table, Key: LOG_TREE_HEAD_KEY, ConsistentRead: true }),
    );
    expect(verifyCheckpoint(headItem.Item!.note, policy).checkpoint.size).toBe(20);
    expect(verifyCheckpoint((await log.served())!, policy).checkpoint.size).toBe(5);
    // The next run has nothing to integrate, and publishes the head first.
    const next = await integrate({ origin: ORIGIN, signer, sequence, store: log.another() });
    expect(next).toMatchObject({ from: 20, to: 20, published: false });
    expect(await log.served()).toBe(headItem.Item!.note);
  });
});
