import { createHash } from 'node:crypto';
import { type PDFContext, PDFRawStream, type PDFRef, PDFString } from 'pdf-lib';
import { cjkFont, cjkGlyphId, helvetica } from './fonts.js';

/**
 * The receipt's fonts as PDF objects, written directly: Helvetica (a standard font, no bytes)
 * and subsets of the CJK TrueType font as Type0 fonts with Identity-H encoding, each glyph
 * drawn by its 2-byte subset id, and a ToUnicode map so that text extracts (pdftotext). The
 * objects are those pdf-lib's CustomFontSubsetEmbedder writes, plus /Length1.
 */

/** Latin text (every character of it Helvetica's, see fontFor) as WinAnsi hex codes. */
export function latinHex(text: string): string {
  let hex = '';
  for (const ch of text) hex += hex2(helvetica.encoding.encodeUnicodeCodePoint(ch.codePointAt(0)!).code);
  return hex;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export function embedHelvetica(context: PDFContext): PDFRef {
  return context.register(
    context.obj({ Type: 'Font', Subtype: 'Type1', BaseFont: 'Helvetica', Encoding: 'WinAnsiEncoding' }),
  );
}

/**
 * The code points a CJK subset draws, numbered 1..n in order of first use. `frozen` refuses
 * code points not given at construction: the template's font is made once and never grows.
 */
export class CjkGlyphs {
  private readonly ids = new Map<number, number>();
  readonly codePoints: number[] = [];

  constructor(
    codePoints: Iterable<number> = [],
    private readonly frozen = false,
  ) {
    for (const cp of codePoints) if (!this.ids.has(cp)) this.add(cp);
  }

  /** `text` as the subset's 2-byte glyph codes, in hex. */
  hex(text: string): string {
    let hex = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      let id = this.ids.get(cp);
      if (id === undefined) {
        if (this.frozen) throw new Error(`U+${cp.toString(16)} is not in this font subset`);
        id = this.add(cp);
      }
      hex += hex4(id);
    }
    return hex;
  }

  private add(cp: number): number {
    this.codePoints.push(cp);
    const id = this.codePoints.length;
    this.ids.set(cp, id);
    return id;
  }
}

/** A subset's bytes and numbers, everything but the object numbers: cacheable. */
export interface CjkSubset {
  baseFont: string;
  /** Deflated. */
  fontFile: Uint8Array;
  fontFileLength: number;
  /** Deflated. */
  toUnicode: Uint8Array;
  /** Advance widths of glyphs 1..n, in thousandths of an em. */
  widths: number[];
}

/** A subset's name tag: six capital letters derived from `seed`, so the same input gives the same bytes. */
export function subsetTag(seed: string): string {
  const hash = createHash('sha256').update(seed).digest();
  return Array.from(hash.subarray(0, 6), (b) => String.fromCharCode(65 + (b % 26))).join('');
}

/**
 * A subset of the CJK font drawing `glyphs`, named `${tag}+DroidSansFallback` (tag: six
 * capitals), its streams compressed with `deflate` (see deflate.ts).
 */
export function makeCjkSubset(
  tag: string,
  glyphs: CjkGlyphs,
  deflate: (data: Uint8Array) => Uint8Array,
): CjkSubset {
  const { ttf, font } = cjkFont();
  const gids = glyphs.codePoints.map(cjkGlyphId);
  const file = ttf.subset(gids);
  const scale = 1000 / ttf.unitsPerEm;
  return {
    baseFont: `${tag}+${font.postscriptName}`,
    fontFile: deflate(file),
    fontFileLength: file.length,
    toUnicode: deflate(Buffer.from(toUnicodeCmap(glyphs.codePoints), 'latin1')),
    widths: gids.map((gid) => ttf.advance(gid) * scale),
  };
}

let descriptor: Record<string, number | number[]> | undefined;

/** The font descriptor's numbers, from the whole font (as pdf-lib computes them). */
function descriptorNumbers(): Record<string, number | number[]> {
  if (!descriptor) {
    const { font, ttf } = cjkFont();
    const scale = 1000 / ttf.unitsPerEm;
    const { minX, minY, maxX, maxY } = font.bbox;
    const familyClass = font['OS/2']?.sFamilyClass ?? 0;
    let flags = 1 << 2; // symbolic: glyphs are addressed by id, not by a standard encoding
    if (font.post.isFixedPitch) flags |= 1 << 0;
    if (familyClass >= 1 && familyClass <= 7) flags |= 1 << 1;
    if (familyClass === 10) flags |= 1 << 3;
    if (font.head.macStyle.italic) flags |= 1 << 6;
    descriptor = {
      Flags: flags,
      FontBBox: [minX * scale, minY * scale, maxX * scale, maxY * scale],
      ItalicAngle: font.italicAngle,
      Ascent: font.ascent * scale,
      Descent: font.descent * scale,
      CapHeight: (font.capHeight || font.ascent) * scale,
      XHeight: (font.xHeight || 0) * scale,
      StemV: 0,
    };
  }
  return descriptor;
}

/** Writes a subset's five objects into a document; returns the Type0 font's reference. */
export function embedCjkSubset(context: PDFContext, subset: CjkSubset): PDFRef {
  const fontFile = context.register(
    PDFRawStream.of(context.obj({ Filter: 'FlateDecode', Length1: subset.fontFileLength }), subset.fontFile),
  );
  const fontDescriptor = context.register(
    context.obj({
      Type: 'FontDescriptor',
      FontName: subset.baseFont,
      ...descriptorNumbers(),
      FontFile2: fontFile,
    }),
  );
  const cidFont = context.register(
    context.obj({
      Type: 'Font',
      Subtype: 'CIDFontType2',
      CIDToGIDMap: 'Identity',
      BaseFont: subset.baseFont,
      CIDSystemInfo: { Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 },
      FontDescriptor: fontDescriptor,
      W: [1, subset.widths],
    }),
  );
  const toUnicode = context.register(
    PDFRawStream.of(context.obj({ Filter: 'FlateDecode' }), subset.toUnicode),
  );
  return context.register(
    context.obj({
      Type: 'Font',
      Subtype: 'Type0',
      BaseFont: subset.baseFont,
      Encoding: 'Identity-H',
      DescendantFonts: [cidFont],
      ToUnicode: toUnicode,
    }),
  );
}

/** Glyph i + 1 is codePoints[i], in blocks of at most 100 entries as the CMap format asks. */
function toUnicodeCmap(codePoints: readonly number[]): string {
  const blocks: string[] = [];
  for (let start = 0; start < codePoints.length; start += 100) {
    const block = codePoints.slice(start, start + 100);
    const entries = block.map((cp, i) => `<${hex4(start + i + 1)}> <${utf16Hex(cp)}>`);
    blocks.push(`${block.length} beginbfchar\n${entries.join('\n')}\nendbfchar`);
  }
  return `/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <ffff>
endcodespacerange
${blocks.join('\n')}
endcmap
CMapName currentdict /CMap defineresource pop
end
end`;
}

function utf16Hex(cp: number): string {
  if (cp < 0x10000) return hex4(cp);
  const v = cp - 0x10000;
  return hex4(0xd800 + (v >> 10)) + hex4(0xdc00 + (v & 0x3ff));
}
