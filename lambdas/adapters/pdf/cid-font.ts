import { createHash } from 'node:crypto';
import { type PDFContext, type PDFRef, PDFString } from 'pdf-lib';
import { BoundedCache } from '../../core/bounded-cache.js';
import { nodeDeflate } from './deflate.js';
import { cjkFont, cjkGlyphId, type EmbeddableFont, LATIN_CODE_POINTS, latinFont } from './fonts.js';
import { PdfBytes, PdfBytesStream } from './pdf-bytes.js';

/**
 * The receipt's fonts as PDF objects, written directly: subsets of the two TrueType fonts
 * (the CJK font, and Liberation Sans for Latin text) as Type0 fonts with Identity-H encoding,
 * each glyph drawn by its 2-byte subset id, and a ToUnicode map so that text extracts
 * (pdftotext). The objects are those pdf-lib's CustomFontSubsetEmbedder writes, plus
 * /Length1. Every font is embedded (PDF/A: no standard 14 font).
 */

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

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
  /** The font descriptor's numbers, from the whole font. */
  descriptor: Record<string, number | number[]>;
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
  return makeSubset(cjkFont(), cjkGlyphId, tag, glyphs.codePoints, deflate);
}

/**
 * A subset of `source` in which glyph i + 1 draws `slots[i]`; an empty slot (null) is an
 * empty glyph of no width, left out of the ToUnicode map.
 */
function makeSubset(
  source: EmbeddableFont,
  glyphId: (codePoint: number) => number,
  tag: string,
  slots: readonly (number | null)[],
  deflate: (data: Uint8Array) => Uint8Array,
  options?: { hinting: boolean },
): CjkSubset {
  const { ttf, font } = source;
  const gids = slots.map((cp) => (cp === null ? null : glyphId(cp)));
  const file = ttf.subset(gids, options);
  const scale = 1000 / ttf.unitsPerEm;
  return {
    descriptor: descriptorNumbers(source),
    baseFont: `${tag}+${font.postscriptName}`,
    fontFile: deflate(file),
    fontFileLength: file.length,
    toUnicode: deflate(Buffer.from(toUnicodeCmap(slots), 'latin1')),
    widths: gids.map((gid) => (gid === null ? 0 : ttf.advance(gid) * scale)),
  };
}

/** The Latin font's glyph numbering: every WinAnsi character, fixed for every document. */
let latinGlyphs: CjkGlyphs | undefined;
const latinNumbering = () => {
  latinGlyphs ??= new CjkGlyphs(LATIN_CODE_POINTS, true);
  return latinGlyphs;
};

/** Latin text (every character of it the Latin font's, see fontFor) as the Latin font's 2-byte codes. */
export function latinHex(text: string): string {
  return latinNumbering().hex(text);
}

const latinGlyphIds = new Map<number, number>();
const latinGlyphId = (cp: number) => {
  let id = latinGlyphIds.get(cp);
  if (id === undefined) {
    id = latinFont().font.glyphForCodePoint(cp).id;
    latinGlyphIds.set(cp, id);
  }
  return id;
};

/** What every Latin subset holds: printable ASCII and the yuan sign (every receipt prints ¥). */
const LATIN_BASE = [...Array.from({ length: 0x7f - 0x20 }, (_, i) => 0x20 + i), 0xa5];
const latinSubsets = new BoundedCache<string, CjkSubset>(64);

/**
 * The Latin subset for a document that draws the characters in `used`: printable ASCII, ¥ and
 * whichever other WinAnsi characters it uses, at their fixed numbers (so that the page
 * template's forms, drawn once, and a receipt's own text share one numbering), every other
 * number an empty glyph; unhinted, as the hints are half the glyph data. Made once per process
 * for each set of extra characters (nearly always none): about 5 KB of font for every receipt,
 * against making and compressing a subset per receipt.
 */
export function makeLatinSubset(used: ReadonlySet<number>): CjkSubset {
  const extra = [...used].filter((cp) => !LATIN_BASE.includes(cp)).sort((a, b) => a - b);
  return latinSubsets.getOrCompute(extra.join(','), () => {
    const included = new Set([...LATIN_BASE, ...extra]);
    const { codePoints } = latinNumbering();
    const slots = codePoints.map((cp) => (included.has(cp) ? cp : null));
    const tag = subsetTag(`latin:${extra.join(',')}`);
    return makeSubset(latinFont(), latinGlyphId, tag, slots, nodeDeflate, { hinting: false });
  });
}

const descriptors = new WeakMap<EmbeddableFont, Record<string, number | number[]>>();

/** The font descriptor's numbers, from the whole font (as pdf-lib computes them). */
function descriptorNumbers(source: EmbeddableFont): Record<string, number | number[]> {
  let descriptor = descriptors.get(source);
  if (!descriptor) {
    const { font, ttf } = source;
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
    descriptors.set(source, descriptor);
  }
  return descriptor;
}

/** A subset's /W entry, serialised once per subset (the template's and the Latin subsets are made once per process). */
const widthEntries = new WeakMap<CjkSubset, PdfBytes>();
const widthEntry = (context: PDFContext, subset: CjkSubset): PdfBytes => {
  let entry = widthEntries.get(subset);
  if (!entry) {
    entry = PdfBytes.of(context.obj([1, subset.widths]));
    widthEntries.set(subset, entry);
  }
  return entry;
};

/** Writes a subset's five objects into a document; returns the Type0 font's reference. */
export function embedCjkSubset(context: PDFContext, subset: CjkSubset): PDFRef {
  const fontFile = context.register(
    PdfBytesStream.of(
      context.obj({ Filter: 'FlateDecode', Length1: subset.fontFileLength }),
      subset.fontFile,
    ),
  );
  const fontDescriptor = context.register(
    context.obj({
      Type: 'FontDescriptor',
      FontName: subset.baseFont,
      ...subset.descriptor,
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
      W: widthEntry(context, subset),
    }),
  );
  const toUnicode = context.register(
    PdfBytesStream.of(context.obj({ Filter: 'FlateDecode' }), subset.toUnicode),
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

/** Glyph i + 1 is slots[i] (none for an empty slot), in blocks of at most 100 entries as the CMap format asks. */
function toUnicodeCmap(slots: readonly (number | null)[]): string {
  const mapped = slots.flatMap((cp, i) => (cp === null ? [] : [`<${hex4(i + 1)}> <${utf16Hex(cp)}>`]));
  const blocks: string[] = [];
  for (let start = 0; start < mapped.length; start += 100) {
    const block = mapped.slice(start, start + 100);
    blocks.push(`${block.length} beginbfchar\n${block.join('\n')}\nendbfchar`);
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
