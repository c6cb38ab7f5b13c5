import { timingSafeEqual } from 'node:crypto';

/** Keys are relative paths of plain segments: they name S3 objects and files under a directory alike. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** The key, if it is one both stores can hold without escaping their root; throws otherwise. */
export function checkedBlobKey(key: string): string {
  const segments = key.split('/');
  if (key.length > 512 || !segments.every((s) => SEGMENT.test(s) && s !== '..'))
    throw new Error(`not a blob key: ${JSON.stringify(key)}`);
  return key;
}

/** Different bytes offered under a key that already holds others: a write-once store refuses them. */
export class BlobConflictError extends Error {
  override name = 'BlobConflictError';
  constructor(readonly key: string) {
    super(`the blob ${key} is stored already with different bytes; it is never replaced`);
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
