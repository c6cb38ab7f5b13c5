/**
 * Export files (issue 14): the S3 path over real HTTP with the real SDK against s3rver (a
 * multipart upload of a CSV larger than one part, fetched back through its pre-signed URL),
 * and the directory path (whole files only, under the job's id).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryExportFiles } from '../../lambdas/adapters/exports/directory-files.js';
import { S3ExportFiles } from '../../lambdas/adapters/exports/s3-files.js';
import { EXPORT_URL_SECONDS } from '../../lambdas/core/export-jobs.js';
import { type LocalS3, startLocalS3 } from './blobs/s3-server.js';

const ID = '0123456789abcdef0123456789abcdef';
/** 12 MiB of CSV in 64 KiB chunks: three parts of 5 MiB (the last one shorter). */
const CHUNK = `${'某,'.repeat(16_383)}\r\n`;
const CHUNKS = 12 * 16;
async function* csv() {
  for (let i = 0; i < CHUNKS; i++) yield CHUNK;
}
const expected = Buffer.from(CHUNK.repeat(CHUNKS), 'utf8');

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => s3?.stop());

describe('S3 export files', () => {
  it('streams a CSV larger than one part as a multipart upload, fetched back by its pre-signed URL', async () => {
    const files = new S3ExportFiles(s3.client(), s3.bucket);
    const before = s3.puts.length;
    const bytes = await files.write(ID, csv());
    expect(bytes).toBe(expected.length);
    // A multipart upload: one PUT per part, none of the whole.
    const puts = s3.puts.slice(before);
    expect(puts).toHaveLength(3);
    for (const put of puts) expect(Number(put['content-length'])).toBeLessThanOrEqual(5 * 1024 * 1024);
    const head = await s3
      .client()
      .send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `exports/${ID}.csv` }));
    expect(head.ContentType).toBe('text/csv; charset=utf-8');

    const now = new Date();
    const { url, expiresAt } = await files.downloadUrl(ID, now);
    expect(Date.parse(expiresAt) - now.getTime()).toBe(EXPORT_URL_SECONDS * 1000);
    const signed = new URL(url);
    expect(signed.searchParams.get('X-Amz-Expires')).toBe(String(EXPORT_URL_SECONDS));
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(expected)).toBe(true);
    // With another signature it is not served. (s3rver serves unsigned GETs, as no S3 bucket
    // with block public access does: the CDK tests hold the exports bucket to that.)
    signed.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    expect((await fetch(signed)).status).toBe(403);
  });

  it('aborts the upload when the CSV fails midway: no object is left', async () => {
    const files = new S3ExportFiles(s3.client(), s3.bucket);
    const id = 'fedcba9876543210fedcba9876543210';
    async function* failing() {
      for (let i = 0; i < 100; i++) yield CHUNK; // past the first part
      throw new Error('the query failed');
    }
    // Upload then aborts the multipart upload; s3rver has no AbortMultipartUpload (S3 has), so
    // here the abort's own refusal is what surfaces. Either way no object is made.
    await expect(files.write(id, failing())).rejects.toThrow();
    await expect(
      s3.client().send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `exports/${id}.csv` })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('refuses a key that is not a job id', async () => {
    const files = new S3ExportFiles(s3.client(), s3.bucket);
    await expect(files.write('../receipts/x', csv())).rejects.toThrow('not an export job id');
  });
});

describe('directory export files', () => {
  it('writes <dir>/<id>.csv whole (temp file, then rename) and names the local download route', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feeproof-exports-'));
    const files = new DirectoryExportFiles(dir, 'http://127.0.0.1:3000');
    expect(await files.write(ID, csv())).toBe(expected.length);
    expect(readdirSync(dir)).toEqual([`${ID}.csv`]);
    expect(readFileSync(join(dir, `${ID}.csv`)).equals(expected)).toBe(true);
    const now = new Date();
    const { url, expiresAt } = await files.downloadUrl(ID, now);
    const parsed = new URL(url);
    expect(`${parsed.origin}${parsed.pathname}`).toBe(`http://127.0.0.1:3000/local/exports/${ID}.csv`);
    expect(parsed.searchParams.get('expires')).toBe(expiresAt);
    expect(Date.parse(expiresAt) - now.getTime()).toBe(EXPORT_URL_SECONDS * 1000);
  });

  it('refuses a download URL whose expiry was edited, or made by another directory, and one past its expiry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feeproof-exports-'));
    const files = new DirectoryExportFiles(dir, 'http://127.0.0.1:3000');
    const now = new Date();
    const query = async (id = ID, at = now) => new URL((await files.downloadUrl(id, at)).url).searchParams;
    expect(await files.refusal(ID, await query(), now)).toBeNull();
    // The same key on a second look (and in another process: it is a file of the directory).
    expect(await new DirectoryExportFiles(dir, '').refusal(ID, await query(), now)).toBeNull();
    const edited = await query();
    edited.set('expires', new Date(now.getTime() + 86_400_000).toISOString());
    expect(await files.refusal(ID, edited, now)).toBe('forged');
    expect(await files.refusal(ID, new URLSearchParams({ expires: edited.get('expires')! }), now)).toBe(
      'forged',
    );
    expect(
      await files.refusal(
        ID.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
        await query(),
        now,
      ),
    ).toBe('forged');
    const other = new DirectoryExportFiles(mkdtempSync(join(tmpdir(), 'feeproof-exports-')), '');
    expect(await other.refusal(ID, await query(), now)).toBe('forged');
    const later = new Date(now.getTime() + EXPORT_URL_SECONDS * 1000);
    expect(await files.refusal(ID, await query(), later)).toBe('expired');
  });

  it('leaves no file when the CSV fails midway', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feeproof-exports-'));
    const files = new DirectoryExportFiles(dir, 'http://127.0.0.1:3000');
    async function* failing() {
      yield CHUNK;
      throw new Error('the query failed');
    }
    await expect(files.write(ID, failing())).rejects.toThrow('the query failed');
    expect(readdirSync(dir)).toEqual([]);
  });
});
