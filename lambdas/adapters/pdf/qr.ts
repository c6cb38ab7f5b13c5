import QRCode from 'qrcode';
import { num } from './content.js';

export interface QrMatrix {
  size: number;
  dark(row: number, col: number): boolean;
}

/**
 * The mask every symbol uses. Choosing the best of the eight (the library's default) scores
 * each against the penalty rules and was half of the symbol's cost; any mask is valid, and a
 * symbol printed as vector paths and read from a screen or good print does not need the best
 * one. test/adapters/pdf/qr.test.ts reads symbols of many lengths back with zbarimg.
 */
const MASK = 0;

/**
 * The QR symbol for `text`, error correction M (survives some print damage). One byte-mode
 * segment: a URL in mixed case gains nothing from the library's search for a cheaper split.
 */
export function qrMatrix(text: string): QrMatrix {
  const { modules } = QRCode.create([{ data: Buffer.from(text, 'utf8'), mode: 'byte' }], {
    errorCorrectionLevel: 'M',
    maskPattern: MASK,
  });
  return { size: modules.size, dark: (row, col) => modules.get(row, col) === 1 };
}

/** Side of the printed symbol: at least 84 pt, and modules of at least 1.6 pt (0.56 mm) up to 124 pt. */
export function qrSide(matrix: QrMatrix): number {
  return Math.min(124, Math.max(84, matrix.size * 1.6));
}

/**
 * Content operators drawing the symbol with its top-left corner at (x, top), `side` points
 * wide, as vector rectangles (one per horizontal run of dark modules) filled in a single
 * path, in module units scaled by one matrix: sharp at any zoom and a few KB at most. The
 * caller keeps a 4-module white quiet zone around it, and the graphics state.
 */
export function qrOperators(matrix: QrMatrix, x: number, top: number, side: number): string {
  const n = matrix.size;
  const unit = num(side / n);
  const ops = [`${unit} 0 0 ${unit} ${num(x)} ${num(top - side)} cm 0 0 0 rg`];
  for (let row = 0; row < n; row++) {
    const y = n - 1 - row;
    for (let col = 0; col < n; ) {
      if (!matrix.dark(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && matrix.dark(row, col)) col++;
      ops.push(`${start} ${y} ${col - start} 1 re`);
    }
  }
  ops.push('f');
  return ops.join('\n');
}
