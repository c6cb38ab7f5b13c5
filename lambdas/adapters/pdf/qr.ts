import { fill, type PDFPage, popGraphicsState, pushGraphicsState, rectangle, setFillingRgbColor } from 'pdf-lib';
import QRCode from 'qrcode';

/**
 * Draws `text` as a QR code of `size` points whose top-left corner is (x, top), as vector
 * rectangles (one per horizontal run of dark modules) filled in a single path: sharp at any
 * zoom and a few KB at most. The caller keeps a 4-module white quiet zone around it.
 */
export function drawQrCode(page: PDFPage, text: string, x: number, top: number, size: number): void {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const unit = size / n;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  const ops = [pushGraphicsState(), setFillingRgbColor(0, 0, 0)];
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; ) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && modules.get(row, col)) col++;
      ops.push(rectangle(round(x + start * unit), round(top - (row + 1) * unit), round((col - start) * unit), round(unit)));
    }
  }
  ops.push(fill(), popGraphicsState());
  page.pushOperators(...ops);
}

/** The quiet zone the QR specification asks for, in points, for a code of `size` points. */
export function qrQuietZone(text: string, size: number): number {
  return (4 * size) / QRCode.create(text, { errorCorrectionLevel: 'M' }).modules.size;
}
