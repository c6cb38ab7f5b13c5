import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { qrMatrix } from '../../../lambdas/adapters/pdf/qr.js';
import { run, withTempDir } from './tools.js';

/** The symbol as a greyscale image, 4 pixels a module, with the 4-module quiet zone. */
function pgm(text: string): Buffer {
  const m = qrMatrix(text);
  const side = (m.size + 8) * 4;
  const pixels = Buffer.alloc(side * side, 255);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const [row, col] = [Math.floor(y / 4) - 4, Math.floor(x / 4) - 4];
      if (row >= 0 && col >= 0 && row < m.size && col < m.size && m.dark(row, col)) pixels[y * side + x] = 0;
    }
  return Buffer.concat([Buffer.from(`P5\n${side} ${side}\n255\n`), pixels]);
}

describe('qrMatrix', () => {
  // Every symbol uses one fixed mask (qr.ts); a reader must still read symbols of every size.
  it('makes symbols that zbarimg reads back, from short URLs to long signed ones', async () => {
    const urls = Array.from({ length: 24 }, (_, i) => {
      const url = `https://receipts.example.gov.cn/verify.html?code=11010126&number=${String(i * 7919).padStart(10, '0')}&checkCode=K7PQ2M&sig=`;
      return url + 'aZ09-_'.repeat(i * 4).slice(0, i * 23);
    });
    await withTempDir(async (dir) => {
      const files = await Promise.all(
        urls.map(async (url, i) => {
          const file = join(dir, `${i}.pgm`);
          await writeFile(file, pgm(url));
          return file;
        }),
      );
      const r = await run('zbarimg', ['--raw', '-q', ...files]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(urls);
    });
  });
});
