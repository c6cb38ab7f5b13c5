import {
  fill,
  type PDFPage,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  setFillingRgbColor,
} from 'pdf-lib';
import QRCode from 'qrcode';

export interface QrMatrix {
  size: number;
  dark(row: number, col: number): boolean;
}

/** The QR symbol for `text`, error correction M (survives some print damage). */
export function qrMatrix(text: string): QrMatrix {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  return { size: modules.size, dark: (row, col) => modules.get(row, col) === 1 };
}

/** Side of the printed symbol: at least 84 pt, and modules of at least 1.6 pt (0.56 mm) up to 124 pt. */
export function qrSide(matrix: QrMatrix): number {
  return Math.min(124, Math.max(84, matrix.size * 1.6));
}

/**
 * Draws the symbol with its top-left corner at (x, top), `side` points wide, as vector
 * rectangles (one per horizontal run of dark modules) filled in a single path: sharp at any
 * zoom and a few KB at most. The caller keeps a 4-module white quiet zone around it.
 */
export function drawQrCode(page: PDFPage, matrix: QrMatrix, x: number, top: number, side: number): void {
  const n = matrix.size;
  const unit = side / n;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  const ops = [pushGraphicsState(), setFillingRgbColor(0, 0, 0)];
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; ) {
      if (!matrix.dark(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && matrix.dark(row, col)) col++;
      ops.push(
        rectangle(
          round(x + start * unit),
          round(top - (row + 1) * unit),
          round((col - start) * unit),
          round(unit),
        ),
      );
    }
  }
  ops.push(fill(), popGraphicsState());
  page.pushOperators(...ops);
}
