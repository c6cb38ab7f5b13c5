import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fontkit from '@pdf-lib/fontkit';
import { type PDFDocument, type PDFFont, StandardFontEmbedder, StandardFonts } from 'pdf-lib';

/**
 * Two fonts: DroidSansFallbackFull (TrueType, embedded as a per-document subset) draws the
 * Chinese text but has no Latin letters or digits, so those go to Helvetica, a standard
 * PDF font that costs no bytes. Every character is drawn by exactly one of the two.
 */
export type FontChoice = 'latin' | 'cjk';

/** FEEPROOF_FONT_PATH lets a bundled Lambda point at the font it ships with. */
export function cjkFontPath(): string {
  return (
    process.env.FEEPROOF_FONT_PATH ??
    fileURLToPath(new URL('../../../assets/fonts/DroidSansFallbackFull.ttf', import.meta.url))
  );
}

let cached: { bytes: Uint8Array; font: fontkit.Font } | undefined;

/** Read and parsed once per process; 4 MB, so not at import time but on first use. */
function cjk(): { bytes: Uint8Array; font: fontkit.Font } {
  if (!cached) {
    const bytes = new Uint8Array(readFileSync(cjkFontPath()));
    cached = { bytes, font: fontkit.create(bytes) };
  }
  return cached;
}

// pdf-lib's own enum and the embedder's (from @pdf-lib/standard-fonts) are the same strings.
type EmbedderFontName = Parameters<typeof StandardFontEmbedder.for>[0];
const latinEncoding = StandardFontEmbedder.for(StandardFonts.Helvetica as string as EmbedderFontName).encoding;

/** Which font draws a code point; null when neither can (control characters included). */
export function fontFor(codePoint: number): FontChoice | null {
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0)) return null;
  if (latinEncoding.canEncodeUnicodeCodePoint(codePoint)) return 'latin';
  return cjk().font.hasGlyphForCodePoint(codePoint) ? 'cjk' : null;
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
    super(`the receipt font cannot draw: ${characters.map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase()}`).join(', ')}`);
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

export type ReceiptFonts = Record<FontChoice, PDFFont>;

/**
 * Embeds both fonts. `subsetTag` (six capital letters) names the subset; pdf-lib would
 * otherwise pick a random one and make every PDF differ.
 */
export async function embedReceiptFonts(doc: PDFDocument, subsetTag: string): Promise<ReceiptFonts> {
  doc.registerFontkit(fontkit);
  const { bytes, font } = cjk();
  const [latin, cjkFont] = await Promise.all([
    doc.embedFont(StandardFonts.Helvetica),
    doc.embedFont(bytes, { subset: true, customName: `${subsetTag}+${font.postscriptName}` }),
  ]);
  return { latin, cjk: cjkFont };
}
