import { type PDFContext, type PDFDict, PDFObject, PDFStream } from 'pdf-lib';
import { latin1 } from './byte-range.js';

/**
 * A direct PDF object serialised once, written by pdf-lib as a copy of its bytes. pdf-lib
 * writes each object twice at save (its size, then its bytes), number by number: a font's
 * widths array (a few hundred numbers, the same in every receipt for the template's and the
 * Latin subsets) or a signature's /Contents placeholder (thousands of hex digits) cost more
 * than the copy. The bytes are exactly those pdf-lib writes for the object given; it is
 * immutable, so documents may share it.
 */
export class PdfBytes extends PDFObject {
  private constructor(private readonly bytes: Uint8Array) {
    super();
  }

  /** `object` as pdf-lib writes it. */
  static of(object: PDFObject): PdfBytes {
    const bytes = new Uint8Array(object.sizeInBytes());
    object.copyBytesInto(bytes, 0);
    return new PdfBytes(bytes);
  }

  override clone(): PdfBytes {
    return this;
  }

  override toString(): string {
    return latin1(this.bytes);
  }

  override sizeInBytes(): number {
    return this.bytes.length;
  }

  override copyBytesInto(buffer: Uint8Array, offset: number): number {
    buffer.set(this.bytes, offset);
    return this.bytes.length;
  }
}

const STREAM = Buffer.from('\nstream\n', 'latin1');
const END_STREAM = Buffer.from('\nendstream', 'latin1');

/**
 * A stream whose contents are given whole (compressed or not): pdf-lib's PDFRawStream, whose
 * constructor it does not export, written the same way but with one copy of the contents
 * instead of a byte-by-byte loop (some 30 KB a receipt: fonts, profile, XML, page).
 */
export class PdfBytesStream extends PDFStream {
  constructor(
    dict: PDFDict,
    readonly contents: Uint8Array,
  ) {
    super(dict);
  }

  static of(dict: PDFDict, contents: Uint8Array): PdfBytesStream {
    return new PdfBytesStream(dict, contents);
  }

  override clone(context?: PDFContext): PdfBytesStream {
    return new PdfBytesStream(this.dict.clone(context), this.contents.slice());
  }

  override getContents(): Uint8Array {
    return this.contents;
  }

  override getContentsSize(): number {
    return this.contents.length;
  }

  override getContentsString(): string {
    return latin1(this.contents);
  }

  override copyBytesInto(buffer: Uint8Array, offset: number): number {
    this.updateDict();
    const start = offset;
    offset += this.dict.copyBytesInto(buffer, offset);
    buffer.set(STREAM, offset);
    offset += STREAM.length;
    buffer.set(this.contents, offset);
    offset += this.contents.length;
    buffer.set(END_STREAM, offset);
    return offset + END_STREAM.length - start;
  }
}
