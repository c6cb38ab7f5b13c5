import { drawObject, type PDFPage, popGraphicsState, pushGraphicsState } from 'pdf-lib';
import QRCode from 'qrcode';

export interface QrMatrix {
  size: number;
  dark(row: number, col: number): boolean;
}

/**
 * The QR symbol for `text`, error correction M (survives some print damage). One byte-mode
 * segment: a URL in mixed case gains nothing from the library's search for a cheaper split.
 */
export function qrMatrix(text: string): QrMatrix {
  const { modules } = QRCode.create([{ data: Buffer.from(text, 'utf8'), mode: 'byte' }], {
    errorCorrectionLevel: 'M',
  });
  return { size: modules.size, dark: (row, col) => modules.get(row, col) === 1 };
}

/** Side of the printed symbol: at least 84 pt, and modules of at least 1.6 pt (0.56 mm) up to 124 pt. */
export function qrSide(matrix: QrMatrix): number {
  return Math.min(124, Math.max(84, matrix.size * 1.6));
}

/**
 * Draws the symbol with its top-left corner at (x, top), `side` points wide, as vector
 * rectangles (one per horizontal run of dark modules) filled in a single path: sharp at any
 * zoom and a few KB at most. The path is written as one form XObject, not as hundreds of
 * page operators. The caller keeps a 4-module white quiet zone around it.
 */
export function drawQrCode(page: PDFPage, matrix: QrMatrix, x: number, top: number, side: number): void {
  const n = matrix.size;
  const unit = side / n;
  const num = (v: number) => String(Math.round(v * 1000) / 1000);
  const path = ['0 0 0 rg'];
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; ) {
      if (!matrix.dark(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && matrix.dark(row, col)) col++;
      path.push(
        `${num(x + start * unit)} ${num(top - (row + 1) * unit)} ${num((col - start) * unit)} ${num(unit)} re`,
      );
    }
  }
  path.push('f');
  const context = page.doc.context;
  const form = context.register(
    context.flateStream(path.join('\n'), {
      Type: 'XObject',
      Subtype: 'Form',
      BBox: [x, top - side, x + side, top],
    }),
  );
  page.pushOperators(pushGraphicsState(), drawObject(page.node.newXObject('QR', form)), popGraphicsState());
}
