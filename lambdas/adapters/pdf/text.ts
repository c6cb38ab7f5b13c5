import type { PDFPage, RGB } from 'pdf-lib';
import { fontRuns, type ReceiptFonts } from './fonts.js';

/** Measures, wraps and draws text that mixes Latin and Chinese, one font run at a time. */
export class TextDrawer {
  constructor(private readonly fonts: ReceiptFonts) {}

  width(text: string, size: number): number {
    return fontRuns(text).reduce((w, run) => w + this.fonts[run.font].widthOfTextAtSize(run.text, size), 0);
  }

  draw(page: PDFPage, text: string, x: number, y: number, size: number, color: RGB): void {
    let cursor = x;
    for (const run of fontRuns(text)) {
      const font = this.fonts[run.font];
      page.drawText(run.text, { x: cursor, y, size, font, color });
      cursor += font.widthOfTextAtSize(run.text, size);
    }
  }

  /** Greedy wrap, character by character (Chinese has no spaces to break at). */
  wrap(text: string, maxWidth: number, size: number): string[] {
    const lines: string[] = [];
    let line = '';
    for (const ch of text) {
      if (line && this.width(line + ch, size) > maxWidth) {
        lines.push(line.trimEnd());
        line = ch === ' ' ? '' : ch;
      } else line += ch;
    }
    if (line || lines.length === 0) lines.push(line);
    return lines;
  }

  /** The largest size from `size` down to `minSize` at which the text fits on one line. */
  fit(text: string, maxWidth: number, size: number, minSize: number): number {
    const width = this.width(text, size);
    return width <= maxWidth ? size : Math.max(minSize, (size * maxWidth) / width);
  }
}
