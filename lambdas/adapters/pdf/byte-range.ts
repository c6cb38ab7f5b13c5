import { createHash } from 'node:crypto';

/** SHA-256 over the two signed ranges [offset, length, offset, length] of a PDF. */
export function hashRanges(
  pdf: Uint8Array,
  [a, b, c, d]: readonly [number, number, number, number],
): Uint8Array {
  return new Uint8Array(
    createHash('sha256')
      .update(pdf.subarray(a, a + b))
      .update(pdf.subarray(c, c + d))
      .digest(),
  );
}

/** The bytes as a string of the same length, for finding PDF syntax by offset. */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
