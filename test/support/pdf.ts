import { expect } from 'vitest';

/**
 * The /ByteRange of a PDF's last signature, the one that covers the whole file:
 * [offset, length, offset, length]. A receipt has one signature (the bureau's alone) or two
 * (the collecting unit's, then the supervision signature in an incremental update; issue 17).
 */
export function byteRange(pdf: Uint8Array): [number, number, number, number] {
  const text = Buffer.from(pdf).toString('latin1');
  const all = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
  expect(all.length).toBeGreaterThanOrEqual(1);
  expect(all.length).toBeLessThanOrEqual(2);
  const range = all.at(-1)!.slice(1, 5).map(Number) as [number, number, number, number];
  expect(range[2] + range[3]).toBe(pdf.length);
  return range;
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
