import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fontkit from '@pdf-lib/fontkit';
import { type PDFDocument, type PDFFont, StandardFontEmbedder, StandardFonts } from 'pdf-lib';
import { BoundedCache } from '../../core/bounded-cache.js';
import { TrueTypeFont } from './truetype.js';

/**
 * Two fonts: DroidSansFallbackFull (TrueType, embedded as subsets: the page template's, made
 * once per process, and one per document for the receipt's own texts) draws the
 * Chinese text but has no Latin letters or digits, so those go to Liberation Sans (TrueType,
 * metric-compatible with Helvetica, whose metrics the layout measures with; embedded as one
 * subset of every WinAnsi character, made once per process: PDF/A embeds every font, so the
 * standard Helvetica is no longer used). Every character is drawn by exactly one of the two.
 */
export type FontChoice = 'latin' | 'cjk';

/** FEEPROOF_FONT_PATH lets a bundled Lambda point at the font it ships with. */
export function cjkFontPath(): string {
  return (
    process.env.FEEPROOF_FONT_PATH ??
    fileURLToPath(new URL('../../../assets/fonts/DroidSansFallbackFull.ttf', import.meta.url))
  );
}

/** The Latin font lies next to the CJK font, in the repository and in a Lambda package. */
export const latinFontPath = (): string => join(dirname(cjkFontPath()), 'LiberationSans-Regular.ttf');

export interface EmbeddableFont {
  bytes: Uint8Array;
  /** For its character map, metrics and the unpatched embedding path (embedReceiptFonts). */
  font: fontkit.Font;
  /** The same bytes, for subsets (truetype.ts). */
  ttf: TrueTypeFont;
}
let cached: EmbeddableFont | undefined;
let latinCached: EmbeddableFont | undefined;

const load = (path: string): EmbeddableFont => {
  const bytes = new Uint8Array(readFileSync(path));
  return { bytes, font: fontkit.create(bytes), ttf: new TrueTypeFont(bytes) };
};

/** Read and parsed once per process; 4 MB, so not at import time but on first use. */
export function cjkFont(): EmbeddableFont {
  cached ??= load(cjkFontPath());
  return cached;
}

/** Liberation Sans, read and parsed once per process on first use. */
export function latinFont(): EmbeddableFont {
  latinCached ??= load(latinFontPath());
  return latinCached;
}

const glyphIds = new BoundedCache<number, number>(100_000);

/** The CJK font's glyph for a code point that fontFor() gives to it. */
export function cjkGlyphId(codePoint: number): number {
  return glyphIds.getOrCompute(codePoint, () => cjkFont().font.glyphForCodePoint(codePoint).id);
}

/** Measures text in one font, in points; PDFFont is one. */
export interface FontMetrics {
  widthOfTextAtSize(text: string, size: number): number;
}

// pdf-lib's own enum and the embedder's (from @pdf-lib/standard-fonts) are the same strings.
type EmbedderFontName = Parameters<typeof StandardFontEmbedder.for>[0];
/** Helvetica's metrics and WinAnsi encoding, as pdf-lib's standard font embedder has them. */
export const helvetica = StandardFontEmbedder.for(StandardFonts.Helvetica as string as EmbedderFontName);

/**
 * Helvetica's metrics (kerning included, as pdf-lib measures it) and the CJK font's advance
 * widths: what the renderer measures with, without a document. The CJK font has no kerning
 * and no substitution for the characters receipts print (its layout equals its cmap and hmtx).
 */
export const receiptMetrics: Record<FontChoice, FontMetrics> = {
  latin: helvetica,
  cjk: {
    widthOfTextAtSize(text: string, size: number): number {
      const { ttf } = cjkFont();
      const scale = 1000 / ttf.unitsPerEm;
      let width = 0;
      for (const ch of text) width += ttf.advance(cjkGlyphId(ch.codePointAt(0)!)) * scale;
      return width * (size / 1000);
    },
  },
};

const latinEncoding = helvetica.encoding;

/** Every character that goes to the Latin font (WinAnsi's), in code point order. */
export const LATIN_CODE_POINTS: readonly number[] = latinEncoding.supportedCodePoints
  .filter((cp) => cp >= 0x20 && !(cp >= 0x7f && cp < 0xa0))
  .sort((a, b) => a - b);

const choices = new BoundedCache<number, FontChoice | null>(100_000);

/** Which font draws a code point; null when neither can (control characters included). */
export function fontFor(codePoint: number): FontChoice | null {
  return choices.getOrCompute(codePoint, () => {
    if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0)) return null;
    if (latinEncoding.canEncodeUnicodeCodePoint(codePoint)) return 'latin';
    return cjkFont().font.hasGlyphForCodePoint(codePoint) ? 'cjk' : null;
  });
}

/**
 * The distinct characters of `texts` that the receipt fonts cannot draw, in order of first
 * appearance. Issuing refuses such a charge (422) before a number is taken.
 */
export function missingGlyphs(texts: readonly string[]): string[] {
  const missing = new Set<string>();
  for (const text of texts) for (const ch of text) if (fontFor(ch.codePointAt(0)!) === null) missing.add(ch);
  return [...missing];
}

export class MissingGlyphsError extends Error {
  constructor(readonly characters: string[]) {
    super(
      `the receipt font cannot draw: ${characters.map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase()}`).join(', ')}`,
    );
    this.name = 'MissingGlyphsError';
  }
}

/** Splits text into runs of one font each. Throws MissingGlyphsError for undrawable characters. */
export function fontRuns(text: string): { font: FontChoice; text: string }[] {
  const runs: { font: FontChoice; text: string }[] = [];
  for (const ch of text) {
    const font = fontFor(ch.codePointAt(0)!);
    if (!font) throw new MissingGlyphsError([ch]);
    const last = runs[runs.length - 1];
    if (last?.font === font) last.text += ch;
    else runs.push({ font, text: ch });
  }
  return runs;
}

/**
 * @pdf-lib/fontkit 1.1.1 (a frozen fork of fontkit 1.7) writes a TrueType subset with a
 * short `loca` table whenever the subset's glyph data fits in 64 KB, halving each offset,
 * but copies glyph records of odd length from a long-`loca` source font (such as
 * DroidSansFallbackFull) without padding them. Every glyph after an odd one is then read one
 * byte off and most render blank, with no error (reported as Hopding/pdf-lib#1232). This
 * wrapper pads each copied glyph record to an even length, which keeps short offsets exact.
 * test/adapters/pdf/fonts.test.ts compares the subset's rendering with the full font's.
 */
interface TtfSubsetInternals {
  _addGlyph(gid: number): number;
  glyf: Uint8Array[];
  offset: number;
}

const patchedFonts = new WeakSet<object>();

const evenGlyphFontkit: typeof fontkit = {
  ...fontkit,
  create(buffer: Uint8Array, postscriptName?: string) {
    // The receipt font is parsed once per process and shared: parsing 4 MB per document
    // was most of a render's time. Subsets are still made per document.
    const font = buffer === cached?.bytes ? cached.font : fontkit.create(buffer, postscriptName);
    if (patchedFonts.has(font)) return font;
    patchedFonts.add(font);
    const createSubset = font.createSubset.bind(font);
    font.createSubset = () => {
      const subset = createSubset();
      const ttf = subset as unknown as Partial<TtfSubsetInternals>;
      const addGlyph = ttf._addGlyph;
      if (typeof addGlyph !== 'function') return subset; // a CFF subset: not affected
      ttf._addGlyph = function (this: TtfSubsetInternals, gid: number) {
        const index = addGlyph.call(this, gid);
        const record = this.glyf[index]!;
        if (record.length % 2 === 1) {
          // Same Buffer class as the record (fontkit bundles its own, and its stream checks it).
          const { alloc } = record.constructor as { alloc?: (size: number) => Uint8Array };
          const padded = alloc
            ? alloc.call(record.constructor, record.length + 1)
            : new Uint8Array(record.length + 1);
          padded.set(record);
          this.glyf[index] = padded;
          this.offset += 1;
        }
        return index;
      };
      return subset;
    };
    return font;
  },
};

export type ReceiptFonts = Record<FontChoice, PDFFont>;

/**
 * Embeds both fonts through pdf-lib, subsetting with fontkit as patched above. `subsetTag`
 * (six capital letters) names the subset; pdf-lib would otherwise pick a random one and make
 * every PDF differ. Receipts no longer take this path (their subsets come from truetype.ts,
 * which cannot make the odd-glyph error); it is the pdf-lib way to draw with the font
 * correctly, and fonts.test.ts keeps showing that the patch is needed and works.
 */
export async function embedReceiptFonts(doc: PDFDocument, subsetTag: string): Promise<ReceiptFonts> {
  doc.registerFontkit(evenGlyphFontkit);
  const { bytes, font } = cjkFont();
  const [latin, cjk] = await Promise.all([
    doc.embedFont(StandardFonts.Helvetica),
    doc.embedFont(bytes, { subset: true, customName: `${subsetTag}+${font.postscriptName}` }),
  ]);
  return { latin, cjk };
}
