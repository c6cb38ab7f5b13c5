import {
  PDFArray,
  PDFDict,
  type PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  type PDFObject,
  PDFString,
} from 'pdf-lib';
import type { Signer } from '../../core/signer.js';
import { hashRanges, latin1 } from './byte-range.js';
import { buildDetachedCms } from './cms.js';

export interface SignPdfOptions {
  /** Written to the signature dictionary's /M (PAdES puts the claimed signing time there). */
  signingTime: Date;
  reason?: string;
  location?: string;
  name?: string;
  /** Bytes reserved for the CMS; the default leaves room for a timestamp token later. */
  reservedBytes?: number;
}

export class PdfSignError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PdfSignError';
  }
}

const DEFAULT_RESERVED_BYTES = 8192;

/** Stand-ins that pdf-lib serialises verbatim and that are patched in place after saving. */
const BYTE_RANGE_PLACEHOLDER = '**********';
const BYTE_RANGE_PATTERN = /\/ByteRange\s*\[\s*0\s+\/\*{10}\s+\/\*{10}\s+\/\*{10}\s*\]/g;

/**
 * Adds a PAdES baseline (B-B) signature: an invisible signature field on the first page
 * whose /Sig dictionary (/Adobe.PPKLite, /ETSI.CAdES.detached) holds a detached CMS over
 * every byte of the file except the /Contents hex string itself.
 *
 * How: save once with placeholders (/ByteRange of names, /Contents of zeros) and without
 * object streams so that the signature dictionary stays plain text; then write the real
 * byte range over its placeholder (same length, padded with spaces), hash the two ranges,
 * sign, and write the CMS hex into /Contents. The document is given unsaved (as rendered):
 * it is saved once, here.
 */
export async function signPdfDocument(
  doc: PDFDocument,
  signer: Signer,
  certificateDer: Uint8Array,
  opts: SignPdfOptions,
): Promise<Uint8Array> {
  const reserved = opts.reservedBytes ?? DEFAULT_RESERVED_BYTES;
  addSignatureField(doc, reserved, opts);
  const bytes = await doc.save({ useObjectStreams: false, addDefaultPage: false });

  const { contentsStart, contentsEnd } = patchByteRange(bytes, reserved);
  const digest = hashRanges(bytes, [0, contentsStart, contentsEnd, bytes.length - contentsEnd]);
  const cms = await buildDetachedCms(digest, signer, certificateDer);
  if (cms.length > reserved)
    throw new PdfSignError(`the CMS needs ${cms.length} bytes, only ${reserved} reserved`);
  bytes.set(new TextEncoder().encode(Buffer.from(cms).toString('hex').toUpperCase()), contentsStart + 1);
  return bytes;
}

function addSignatureField(doc: PDFDocument, reserved: number, opts: SignPdfOptions): void {
  const { context, catalog } = doc;
  const acroForm = catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
  const fields = acroForm?.lookupMaybe(PDFName.of('Fields'), PDFArray);
  if (fields?.asArray().some((f) => isSignatureField(doc, f)))
    throw new PdfSignError('the PDF is already signed; re-saving it would break that signature');

  const byteRange = PDFArray.withContext(context);
  byteRange.push(PDFNumber.of(0));
  for (let i = 0; i < 3; i++) byteRange.push(PDFName.of(BYTE_RANGE_PLACEHOLDER));

  const sig: Record<string, PDFObject> = {
    Type: PDFName.of('Sig'),
    Filter: PDFName.of('Adobe.PPKLite'),
    SubFilter: PDFName.of('ETSI.CAdES.detached'),
    ByteRange: byteRange,
    Contents: PDFHexString.of('0'.repeat(reserved * 2)),
    M: PDFString.fromDate(opts.signingTime),
  };
  if (opts.reason) sig.Reason = PDFHexString.fromText(opts.reason);
  if (opts.location) sig.Location = PDFHexString.fromText(opts.location);
  if (opts.name) sig.Name = PDFHexString.fromText(opts.name);
  const sigRef = context.register(context.obj(sig));

  const page = doc.getPage(0);
  const widgetRef = context.register(
    context.obj({
      Type: 'Annot',
      Subtype: 'Widget',
      FT: 'Sig',
      T: PDFHexString.fromText('feeproof-signature'),
      V: sigRef,
      Rect: [0, 0, 0, 0], // invisible
      F: 132, // Print + Locked
      P: page.ref,
    }),
  );
  page.node.addAnnot(widgetRef);

  if (acroForm) {
    if (fields) fields.push(widgetRef);
    else acroForm.set(PDFName.of('Fields'), context.obj([widgetRef]));
    acroForm.set(PDFName.of('SigFlags'), PDFNumber.of(3)); // SignaturesExist | AppendOnly
  } else {
    catalog.set(PDFName.of('AcroForm'), context.obj({ Fields: [widgetRef], SigFlags: 3 }));
  }
}

function isSignatureField(doc: PDFDocument, ref: PDFObject): boolean {
  const field = doc.context.lookup(ref);
  return field instanceof PDFDict && field.get(PDFName.of('FT')) === PDFName.of('Sig');
}

/** Writes the real /ByteRange over the placeholder and returns where the /Contents string is. */
function patchByteRange(bytes: Uint8Array, reserved: number): { contentsStart: number; contentsEnd: number } {
  const text = latin1(bytes);
  const matches = [...text.matchAll(BYTE_RANGE_PATTERN)];
  if (matches.length !== 1)
    throw new PdfSignError(`expected one /ByteRange placeholder, found ${matches.length}`);
  const placeholder = `<${'0'.repeat(reserved * 2)}>`;
  const contentsStart = text.indexOf(placeholder, matches[0]!.index);
  if (contentsStart < 0 || text.indexOf(placeholder, contentsStart + 1) >= 0)
    throw new PdfSignError('the /Contents placeholder is missing or not unique');
  const contentsEnd = contentsStart + placeholder.length;

  const match = matches[0]![0];
  const arrayStart = matches[0]!.index + match.indexOf('[');
  const arrayLength = match.length - match.indexOf('[');
  const real = `[0 ${contentsStart} ${contentsEnd} ${bytes.length - contentsEnd}]`;
  if (real.length > arrayLength) throw new PdfSignError('the /ByteRange does not fit its placeholder');
  bytes.set(new TextEncoder().encode(real.padEnd(arrayLength, ' ')), arrayStart);
  return { contentsStart, contentsEnd };
}
