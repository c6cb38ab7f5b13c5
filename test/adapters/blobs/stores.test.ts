import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobConflictError } from '../../../lambdas/adapters/blobs/blob-keys.js';
import {
  DirectoryBlobStore,
  DirectorySyncs,
  directoriesToSync,
} from '../../../lambdas/adapters/blobs/directory-store.js';
import { S3BlobStore } from '../../../lambdas/adapters/blobs/s3-store.js';
import { isUnavailable } from '../../../lambdas/adapters/dynamo/client.js';
import type { BlobStore } from '../../../lambdas/core/ports.js';
import { type LocalS3, startLocalS3 } from './s3-server.js';

let s3: LocalS3;
const root = mkdtempSync(join(tmpdir(), 'feeproof-blobs-'));
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => s3?.stop());

const bytes = (text: string) => new TextEncoder().encode(text);
let n = 0;
const newKey = () => `receipts/11010125/${String(++n).padStart(10, '0')}/${'ab'.repeat(32)}.pdf`;
const PDF = 'application/pdf';

const stores: [string, () => BlobStore][] = [
  ['directory', () => new DirectoryBlobStore(root)],
  ['S3 (s3rver over HTTP, real SDK)', () => new S3BlobStore(s3.client(), s3.bucket)],
];

describe.each(stores)('%s blob store: write once', (_, make) => {
  it('stores bytes under a new key and reads them back; a missing key is absent', async () => {
    const store = make();
    const key = newKey();
    expect(await store.get(key)).toBeUndefined();
    expect(await store.exists(key)).toBe(false);
    await store.putOnce(key, bytes('first'), PDF);
    expect(Buffer.from((await store.get(key))!).toString()).toBe('first');
    expect(await store.exists(key)).toBe(true);
  });

  it('accepts the same bytes again (a retried completion) and refuses different ones, keeping the first', async () => {
    const store = make();
    const key = newKey();
    await store.putOnce(key, bytes('genuine'), PDF);
    await store.putOnce(key, bytes('genuine'), PDF);
    await expect(store.putOnce(key, bytes('forged!'), PDF)).rejects.toBeInstanceOf(BlobConflictError);
    await expect(store.putOnce(key, bytes('genuine, longer'), PDF)).rejects.toBeInstanceOf(BlobConflictError);
    expect(Buffer.from((await store.get(key))!).toString()).toBe('genuine');
  });

  it('of writers racing for one key with different bytes, exactly one wins and its bytes stay', async () => {
    const store = make();
    const key = newKey();
    const offers = Array.from({ length: 6 }, (_, i) => `writer ${i}`);
    const results = await Promise.allSettled(offers.map((o) => store.putOnce(key, bytes(o), PDF)));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [offers[i]] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(BlobConflictError);
    expect(Buffer.from((await store.get(key))!).toString()).toBe(won[0]);
  });

  it('writers racing with the same bytes all succeed', async () => {
    const store = make();
    const key = newKey();
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => store.putOnce(key, bytes('same'), PDF)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
  });

  it('refuses keys that could leave the store or are not plain paths, writing nothing', async () => {
    const store = make();
    for (const key of [
      '../escape.pdf',
      'a/../../escape.pdf',
      '/abs.pdf',
      'a//b.pdf',
      '',
      'a/.hidden',
      'a b.pdf',
    ])
      await expect(store.putOnce(key, bytes('x'), PDF), key).rejects.toThrow(/not a blob key/);
    expect(readdirSync(join(root, '..')).filter((f) => f === 'escape.pdf')).toEqual([]);
  });
});

describe('directory blob store', () => {
  it('leaves the blob as a plain file under its key, and no temp file behind', async () => {
    const store = new DirectoryBlobStore(root);
    const key = newKey();
    await store.putOnce(key, bytes('on disk'), PDF);
    await store.putOnce(key, bytes('on disk'), PDF).catch(() => undefined);
    await store.putOnce(key, bytes('other'), PDF).catch(() => undefined);
    expect(readFileSync(join(root, key), 'utf8')).toBe('on disk');
    const dir = join(root, key, '..');
    expect(readdirSync(dir)).toEqual([key.split('/').pop()]);
  });

  it("syncs the file's directory, and the parent of each directory it made, deepest first", () => {
    const dir = '/data/blobs/receipts/11010125/0000000001';
    // Nothing made: the link's directory alone.
    expect(directoriesToSync(dir, undefined)).toEqual([dir]);
    // The receipt's directory made: its entry in the code's directory too.
    expect(directoriesToSync(dir, dir)).toEqual([dir, '/data/blobs/receipts/11010125']);
    // A new code's directory and the receipt's: up to the parent of the first one made.
    expect(directoriesToSync(dir, '/data/blobs/receipts/11010125')).toEqual([
      dir,
      '/data/blobs/receipts/11010125',
      '/data/blobs/receipts',
    ]);
    // A store made from nothing: up to the root's parent, never past the filesystem's root.
    expect(directoriesToSync('/a/b', '/a')).toEqual(['/a/b', '/a', '/']);
  });

  it('makes a directory again when it was removed after the store made it', async () => {
    const store = new DirectoryBlobStore(root);
    const first = newKey();
    await store.putOnce(first, bytes('first'), PDF);
    rmSync(join(root, first, '..'), { recursive: true });
    const second = `${first.slice(0, first.lastIndexOf('/'))}/again.pdf`;
    await store.putOnce(second, bytes('second'), PDF);
    expect(readFileSync(join(root, second), 'utf8')).toBe('second');
  });

  it('callers of one directory that arrive while its fsync runs share the next one', async () => {
    const started: { dir: string; done: (error?: Error) => void }[] = [];
    const syncs = new DirectorySyncs(
      (dir) =>
        new Promise<void>((resolve, reject) => {
          started.push({ dir, done: (error) => (error ? reject(error) : resolve()) });
        }),
    );
    const settle = () => new Promise((r) => setTimeout(r, 5));
    const first = syncs.sync('/d');
    await settle();
    expect(started.map((s) => s.dir)).toEqual(['/d']);
    // Arriving while it runs: their entries may postdate it, so they wait for the next, together.
    const later = [syncs.sync('/d'), syncs.sync('/d'), syncs.sync('/d')];
    const other = syncs.sync('/e');
    await settle();
    expect(started.map((s) => s.dir)).toEqual(['/d', '/e']);
    started[0]!.done();
    await first;
    await settle();
    expect(started.map((s) => s.dir)).toEqual(['/d', '/e', '/d']);
    // A failed fsync fails exactly those who waited for it; the next call tries afresh.
    started[2]!.done(new Error('EIO'));
    for (const p of later) await expect(p).rejects.toThrow('EIO');
    const retry = syncs.sync('/d');
    await settle();
    expect(started).toHaveLength(4);
    started[3]!.done();
    started[1]!.done();
    await Promise.all([retry, other]);
  });

  it('a storage fault is an unavailable dependency (503 and retry), not a conflict', async () => {
    const file = join(root, 'plain-file');
    await new DirectoryBlobStore(root).putOnce('plain-file', bytes('x'), PDF);
    // A store whose root is a file cannot create directories under it.
    const broken = new DirectoryBlobStore(file);
    const error = await broken.putOnce(newKey(), bytes('x'), PDF).catch((e) => e);
    expect(error).not.toBeInstanceOf(BlobConflictError);
    expect(isUnavailable(error)).toBe(true);
  });
});

describe('S3 blob store', () => {
  it('sends each put conditional (If-None-Match: *) with its SHA-256 checksum and content type', async () => {
    const store = new S3BlobStore(s3.client(), s3.bucket);
    const body = bytes('checksummed');
    const before = s3.puts.length;
    await store.putOnce(newKey(), body, PDF);
    const [put] = s3.puts.slice(before);
    expect(put?.['if-none-match']).toBe('*');
    expect(put?.['x-amz-checksum-sha256']).toBe(createHash('sha256').update(body).digest('base64'));
    expect(put?.['content-type']).toBe(PDF);
    // What Object Lock requires of a put: the checksum algorithm named.
    expect(put?.['x-amz-sdk-checksum-algorithm']).toBe('SHA256');
  });

  it('a server that cannot be reached is an unavailable dependency', async () => {
    const other = await startLocalS3();
    const store = new S3BlobStore(other.client(), other.bucket);
    await other.stop();
    const error = await store.putOnce(newKey(), bytes('x'), PDF).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(isUnavailable(error)).toBe(true);
  });
});
