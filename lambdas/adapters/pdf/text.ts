import type { PDFPage, RGB } from 'pdf-lib';
import { BoundedCache } from '../../core/bounded-cache.js';
import { fontRuns, type ReceiptFonts } from './fonts.js';

/**
 * Widths of the texts measured so far, shared by every document: both fonts are the same in
 * each (Helvetica's metrics, the one CJK font file), and most texts (labels, digits) recur.
 */
const widths = new BoundedCache<string, number>(10_000);

/** Measures, wraps and draws text that mixes Latin and Chinese, one font run at a time. */
export class TextDrawer {
  constructor(private readonly fonts: ReceiptFonts) {}

  width(text: string, size: number): number {
    return widths.getOrCompute(`${size}|${text}`, () =>
      fontRuns(text).reduce((w, run) => w + this.fonts[run.font].widthOfTextAtSize(run.text, size), 0),
    );
  }

  draw(page: PDFPage, text: string, x: number, y: number, size: number, color: RGB): void {
    let cursor = x;
    for (const run of fontRuns(text)) {
      const font = this.fonts[run.font];
      page.drawText(run.text, { x: cursor, y, size, font, color });
      cursor += font.widthOfTextAtSize(run.text, size);
    }
  }

  /**
   * Greedy wrap, character by character (Chinese has no spaces to break at). A character
   * adds its advance and its kerning with the one before, so the line's width grows by
   * measuring two characters, not the whole line again.
   */
  wrap(text: string, maxWidth: number, size: number): string[] {
    const lines: string[] = [];
    let line = '';
    let lineWidth = 0;
    let previous = '';
    for (const ch of text) {
      const added = previous
        ? this.width(previous + ch, size) - this.width(previous, size)
        : this.width(ch, size);
      if (line && lineWidth + added > maxWidth) {
        lines.push(line.trimEnd());
        line = ch === ' ' ? '' : ch;
        lineWidth = line ? this.width(ch, size) : 0;
        previous = line;
      } else {
        line += ch;
        lineWidth += added;
        previous = ch;
      }
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
