/**
 * A TrueType subsetter for the receipt's CJK font, written for speed: it copies the chosen
 * glyph records byte for byte (renumbering the components of composite glyphs, which are half
 * of DroidSansFallbackFull's) and writes the few tables a PDF's CIDFontType2 needs, the same
 * set @pdf-lib/fontkit writes (head, hhea, maxp, hmtx, loca, glyf and the hinting tables).
 * fontkit decodes every glyph and encodes every table through generic structures, which was
 * a quarter of a receipt's render and sign time.
 *
 * The `loca` written is always the long format and every glyph record is padded to four
 * bytes, so the odd-length records that fontkit's short `loca` mishandles (see fonts.ts) are
 * exact here by construction; test/adapters/pdf/template.test.ts compares its rendering with
 * the full font's.
 */

const COMPOSITE = {
  argsAreWords: 0x0001,
  haveScale: 0x0008,
  moreComponents: 0x0020,
  haveXYScale: 0x0040,
  haveTwoByTwo: 0x0080,
  haveInstructions: 0x0100,
} as const;

/** Stands for an empty slot in a subset's glyph order (no glyph id is negative). */
const EMPTY = -1;

/** Tables copied unchanged into every subset when the font has them (hinting programs). */
const COPIED = ['cvt ', 'fpgm', 'prep'] as const;

export class TrueTypeFont {
  readonly unitsPerEm: number;
  readonly numGlyphs: number;
  private readonly view: DataView;
  private readonly tables = new Map<string, { offset: number; length: number }>();
  private readonly numberOfHMetrics: number;
  private readonly longLoca: boolean;
  /** Offsets of the tables read per glyph. */
  private readonly glyf: number;
  private readonly loca: number;
  private readonly hmtx: number;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = this.view.getUint16(4);
    for (let i = 0; i < count; i++) {
      const at = 12 + i * 16;
      const tag = String.fromCharCode(...bytes.subarray(at, at + 4));
      this.tables.set(tag, { offset: this.view.getUint32(at + 8), length: this.view.getUint32(at + 12) });
    }
    const head = this.table('head').offset;
    this.unitsPerEm = this.view.getUint16(head + 18);
    this.longLoca = this.view.getInt16(head + 50) === 1;
    this.numGlyphs = this.view.getUint16(this.table('maxp').offset + 4);
    this.numberOfHMetrics = this.view.getUint16(this.table('hhea').offset + 34);
    this.glyf = this.table('glyf').offset;
    this.loca = this.table('loca').offset;
    this.hmtx = this.table('hmtx').offset;
  }

  /** Advance width of a glyph, in font units. */
  advance(gid: number): number {
    return this.view.getUint16(this.hmtx + 4 * Math.min(gid, this.numberOfHMetrics - 1));
  }

  /**
   * A font of glyph 0 (.notdef) and `gids` as glyphs 1..n in that order, then the components
   * their composite glyphs need. A content stream draws `gids[i]` as glyph i + 1.
   * `hinting: false` leaves out the glyphs' instructions and the hinting tables: for the Latin
   * font, whose hints are half its glyph data and which a PDF viewer at screen or print
   * resolution does without.
   */
  subset(gids: readonly (number | null)[], { hinting = true }: { hinting?: boolean } = {}): Uint8Array {
    // An empty slot (null) is a glyph without outline and without width.
    const order = [0, ...gids.map((gid) => gid ?? EMPTY)];
    const newId = new Map(order.map((gid, i) => [gid, i]));
    newId.delete(EMPTY);
    const records: Uint8Array[] = [];
    for (let i = 0; i < order.length; i++) {
      let record = order[i] === EMPTY ? new Uint8Array(0) : this.glyphRecord(order[i]!);
      if (record.length > 0) record = this.renumbered(record, order, newId, hinting);
      records.push(record);
    }
    const n = order.length;
    const loca = new DataView(new ArrayBuffer(4 * (n + 1)));
    const glyf: Uint8Array[] = [];
    let offset = 0;
    for (let i = 0; i < n; i++) {
      loca.setUint32(4 * i, offset);
      const padded = pad4(records[i]!);
      glyf.push(padded);
      offset += padded.length;
    }
    loca.setUint32(4 * n, offset);

    const hmtx = new DataView(new ArrayBuffer(4 * n));
    for (let i = 0; i < n; i++) {
      if (order[i] === EMPTY) continue; // advance and bearing 0
      hmtx.setUint16(4 * i, this.advance(order[i]!));
      hmtx.setInt16(4 * i + 2, this.leftSideBearing(order[i]!));
    }
    const head = this.copy('head');
    new DataView(head.buffer).setUint32(8, 0); // checkSumAdjustment: no reader needs it
    new DataView(head.buffer).setInt16(50, 1); // long loca
    const hhea = this.copy('hhea');
    new DataView(hhea.buffer).setUint16(34, n);
    const maxp = this.copy('maxp');
    new DataView(maxp.buffer).setUint16(4, n);

    const tables: [string, Uint8Array][] = [
      ['glyf', concat(glyf)],
      ['head', head],
      ['hhea', hhea],
      ['hmtx', new Uint8Array(hmtx.buffer)],
      ['loca', new Uint8Array(loca.buffer)],
      ['maxp', maxp],
    ];
    if (hinting) for (const tag of COPIED) if (this.tables.has(tag)) tables.push([tag, this.copy(tag)]);
    return sfnt(tables);
  }

  private table(tag: string): { offset: number; length: number } {
    const table = this.tables.get(tag);
    if (!table) throw new Error(`the font has no ${tag} table`);
    return table;
  }

  private copy(tag: string): Uint8Array {
    const { offset, length } = this.table(tag);
    return this.bytes.slice(offset, offset + length);
  }

  private glyphRecord(gid: number): Uint8Array {
    const { view, loca } = this;
    const [start, end] = this.longLoca
      ? [view.getUint32(loca + 4 * gid), view.getUint32(loca + 4 * gid + 4)]
      : [2 * view.getUint16(loca + 2 * gid), 2 * view.getUint16(loca + 2 * gid + 2)];
    return this.bytes.subarray(this.glyf + start, this.glyf + end);
  }

  private leftSideBearing(gid: number): number {
    const { hmtx, numberOfHMetrics } = this;
    return gid < numberOfHMetrics
      ? this.view.getInt16(hmtx + 4 * gid + 2)
      : this.view.getInt16(hmtx + 4 * numberOfHMetrics + 2 * (gid - numberOfHMetrics));
  }

  /**
   * A copy of a glyph record with its component glyph ids renumbered, if it is composite;
   * components not yet in the subset are appended to `order`. Without `hinting`, the
   * record's instructions are cut out.
   */
  private renumbered(
    record: Uint8Array,
    order: number[],
    newId: Map<number, number>,
    hinting: boolean,
  ): Uint8Array {
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    const contours = view.getInt16(0);
    if (contours >= 0) {
      if (hinting) return record; // simple glyph: no references
      // header (10), endPtsOfContours (2 each), instructionLength (2), instructions, outline
      const at = 10 + 2 * contours;
      const length = view.getUint16(at);
      const out = new Uint8Array(record.length - length);
      out.set(record.subarray(0, at));
      out.set(record.subarray(at + 2 + length), at + 2); // the length written stays 0
      return out;
    }
    const copy = record.slice();
    const out = new DataView(copy.buffer);
    let at = 10;
    for (;;) {
      const flags = view.getUint16(at);
      const component = view.getUint16(at + 2);
      let id = newId.get(component);
      if (id === undefined) {
        id = order.length;
        order.push(component);
        newId.set(component, id);
      }
      out.setUint16(at + 2, id);
      if (!hinting) out.setUint16(at, flags & ~COMPOSITE.haveInstructions);
      at += 4 + (flags & COMPOSITE.argsAreWords ? 4 : 2);
      if (flags & COMPOSITE.haveScale) at += 2;
      else if (flags & COMPOSITE.haveXYScale) at += 4;
      else if (flags & COMPOSITE.haveTwoByTwo) at += 8;
      if (!(flags & COMPOSITE.moreComponents)) return hinting ? copy : copy.subarray(0, at);
    }
  }
}

function pad4(bytes: Uint8Array): Uint8Array {
  if (bytes.length % 4 === 0) return bytes;
  const padded = new Uint8Array(bytes.length + 4 - (bytes.length % 4));
  padded.set(bytes);
  return padded;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function checksum(bytes: Uint8Array): number {
  const padded = pad4(bytes);
  const view = new DataView(padded.buffer, padded.byteOffset, padded.byteLength);
  let sum = 0;
  for (let i = 0; i < padded.length; i += 4) sum = (sum + view.getUint32(i)) >>> 0;
  return sum;
}

/** The font file: offset table, table directory (sorted by tag), then each table 4-aligned. */
function sfnt(tables: [string, Uint8Array][]): Uint8Array {
  tables.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const count = tables.length;
  const entrySelector = Math.floor(Math.log2(count));
  const header = new DataView(new ArrayBuffer(12 + 16 * count));
  header.setUint32(0, 0x00010000);
  header.setUint16(4, count);
  header.setUint16(6, 16 * 2 ** entrySelector);
  header.setUint16(8, entrySelector);
  header.setUint16(10, 16 * count - 16 * 2 ** entrySelector);
  let offset = header.byteLength;
  tables.forEach(([tag, data], i) => {
    const at = 12 + 16 * i;
    for (let c = 0; c < 4; c++) header.setUint8(at + c, tag.charCodeAt(c));
    header.setUint32(at + 4, checksum(data));
    header.setUint32(at + 8, offset);
    header.setUint32(at + 12, data.length);
    offset += pad4(data).length;
  });
  return concat([new Uint8Array(header.buffer), ...tables.map(([, data]) => pad4(data))]);
}
