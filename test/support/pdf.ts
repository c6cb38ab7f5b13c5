import { expect } from 'vitest';

/** The one signature's /ByteRange of a PDF: [offset, length, offset, length]. */
export function byteRange(pdf: Uint8Array): [number, number, number, number] {
  const text = Buffer.from(pdf).toString('latin1');
  const all = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
  expect(all).toHaveLength(1);
  return all[0]!.slice(1, 5).map(Number) as [number, number, number, number];
}

/**
 * A copy with one byte changed in the middle of the first signed range. Not anywhere in the
 * file: between the ranges lies the signature's hex string, where a flip may only change a
 * hex letter's case and leave the same signature.
 */
export function flipSignedByte(pdf: Uint8Array, xor = 0x01): Buffer {
  const [a, b] = byteRange(pdf);
  const altered = Buffer.from(pdf);
  const at = a + Math.floor(b / 2);
  altered[at] = altered[at]! ^ xor;
  return altered;
}
