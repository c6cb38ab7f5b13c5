/**
 * pdf-lib compresses every stream (page content, font file, object streams) with pako, zlib
 * written in JavaScript; node's own zlib makes the same format in a fraction of the time
 * (about 2 ms of a receipt's 15). pdf-lib looks `deflate` up on pako's module object at each
 * call, so replacing it there is enough; test/adapters/pdf/render.test.ts checks that it is
 * still in effect.
 */
import { deflateSync } from 'node:zlib';
import pako from 'pako';

export const nodeDeflate = (data: Uint8Array): Uint8Array => deflateSync(data);
pako.deflate = nodeDeflate;

/**
 * For the streams made for each receipt (its content, its font subset): zlib's fastest level
 * takes a quarter of the default's time for about 1.3 KB more per PDF (of some 40 KB).
 * What is made once per process (the template) keeps the default.
 */
export const fastDeflate = (data: Uint8Array): Uint8Array => deflateSync(data, { level: 1 });
