import { BoundedCache } from '../../core/bounded-cache.js';
import { type CjkGlyphs, latinHex } from './cid-font.js';
import type { Color, Content } from './content.js';
import { type FontChoice, type FontMetrics, fontRuns } from './fonts.js';

/**
 * Widths of the texts measured so far, shared by every document: both fonts are the same in
 * each (Helvetica's metrics, which Liberation Sans shares; the one CJK font file), and most texts
 * (labels, digits) recur. Kept at 1,000 points, the fonts' own units, which a size scales as the
 * fonts do (width × size / 1000), so that a text is one key at every size.
 */
const widths = new BoundedCache<string, number>(10_000);
const UNITS = 1000;

/** Resource name of the Latin font subset in every page and form of a receipt. */
export const LATIN_FONT = 'Latn';

/** A subset of the CJK font as a page draws it: its resource name, its glyph numbering, the Latin it drew. */
export interface CjkFace {
  name: string;
  glyphs: CjkGlyphs;
  /** The Latin characters drawn along with this face: the document's Latin subset holds them. */
  latin: Set<number>;
}

/** Measures, wraps and draws text that mixes Latin and Chinese, one font run at a time. */
export class TextDrawer {
  constructor(private readonly fonts: Record<FontChoice, FontMetrics>) {}

  width(text: string, size: number): number {
    const units = widths.getOrCompute(text, () =>
      fontRuns(text).reduce((w, run) => w + this.fonts[run.font].widthOfTextAtSize(run.text, UNITS), 0),
    );
    return units * (size / UNITS);
  }

  /** Draws `text` with the Latin subset and the CJK subset `cjk`, starting at (x, y). */
  draw(out: Content, cjk: CjkFace, text: string, x: number, y: number, size: number, color: Color): void {
    const runs = fontRuns(text);
    let cursor = x;
    runs.forEach((run, i) => {
      if (run.font === 'latin') {
        for (const ch of run.text) cjk.latin.add(ch.codePointAt(0)!);
        out.text(LATIN_FONT, size, cursor, y, latinHex(run.text), color);
      } else out.text(cjk.name, size, cursor, y, cjk.glyphs.hex(run.text), color);
      // The last run's width moves nothing: not measured (a receipt's own texts, its number
      // and log salt say, are new to the widths cache and mostly one run).
      if (i < runs.length - 1) cursor += this.width(run.text, size);
    });
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
