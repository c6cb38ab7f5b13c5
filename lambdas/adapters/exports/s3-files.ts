import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { EXPORT_JOB_ID, EXPORT_URL_SECONDS } from '../../core/export-jobs.js';
import type { ExportFiles } from '../../core/ports.js';

/** S3's smallest part (but the last): a part is held in memory while it uploads. */
const PART_BYTES = 5 * 1024 * 1024;

/**
 * Export files as objects of the exports bucket (lib/exports-bucket.ts), under `exports/`. The
 * CSV streams into a multipart upload a part at a time, so an export of any size needs a few
 * parts' memory; a failed upload is aborted (and the bucket's lifecycle rule removes any parts
 * a killed function leaves). The download is a pre-signed GET valid EXPORT_URL_SECONDS.
 */
export class S3ExportFiles implements ExportFiles {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  key(id: string): string {
    if (!EXPORT_JOB_ID.test(id)) throw new Error(`not an export job id: ${JSON.stringify(id)}`);
    return `exports/${id}.csv`;
  }

  async write(id: string, chunks: AsyncIterable<string>): Promise<number> {
    let bytes = 0;
    async function* encoded() {
      for await (const chunk of chunks) {
        const buffer = Buffer.from(chunk, 'utf8');
        bytes += buffer.length;
        yield buffer;
      }
    }
    await new Upload({
      client: this.s3,
      params: {
        Bucket: this.bucket,
        Key: this.key(id),
        Body: Readable.from(encoded()),
        ContentType: 'text/csv; charset=utf-8',
        ContentDisposition: `attachment; filename="feeproof-receipts-${id}.csv"`,
      },
      partSize: PART_BYTES,
      queueSize: 2,
    }).done();
    return bytes;
  }

  async downloadUrl(id: string, now: Date): Promise<{ url: string; expiresAt: string }> {
    const url = await getSignedUrl(
      this.s3,
      new GetObjectCommand({ Bucket: this.bucket, Key: this.key(id) }),
      {
        expiresIn: EXPORT_URL_SECONDS,
        signingDate: now,
      },
    );
    return { url, expiresAt: new Date(now.getTime() + EXPORT_URL_SECONDS * 1000).toISOString() };
  }
}
