import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BlobStore } from '../../core/ports.js';
import { BlobConflictError, checkedBlobKey, sameBytes } from './blob-keys.js';

const status = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const missing = (e: unknown) =>
  (e as Error).name === 'NoSuchKey' || (e as Error).name === 'NotFound' || status(e) === 404;

/**
 * Blobs as S3 objects (in AWS: the receipts bucket, versioned, under Object Lock). A put is
 * conditional (`If-None-Match: *`), so S3 itself refuses to write a key that exists, even
 * between two writers racing; it carries the SHA-256 checksum, which S3 verifies on arrival
 * and which Object Lock requires of every put.
 */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async putOnce(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: checkedBlobKey(key),
          Body: bytes,
          ContentType: contentType,
          IfNoneMatch: '*',
          // Object Lock refuses a put without x-amz-sdk-checksum-algorithm (or Content-MD5).
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'),
        }),
      );
    } catch (e) {
      const name = (e as Error).name;
      // Another conditional write to the key is under way: retry later, as for any 5xx.
      if (name === 'ConditionalRequestConflict' || status(e) === 409)
        throw Object.assign(new Error(`a concurrent write to ${key} is under way`, { cause: e }), {
          name: 'ServiceUnavailable',
        });
      if (name !== 'PreconditionFailed' && status(e) !== 412) throw e;
      const stored = await this.get(key);
      if (!stored || !sameBytes(stored, bytes)) throw new BlobConflictError(key);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: checkedBlobKey(key), ChecksumMode: 'ENABLED' }),
      );
      return out.Body ? await out.Body.transformToByteArray() : undefined;
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: checkedBlobKey(key) }));
      return true;
    } catch (e) {
      if (missing(e)) return false;
      throw e;
    }
  }
}
