import { createHash, type Hash } from 'node:crypto';
import {
  PDFArray,
  PDFDict,
  type PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  type PDFObject,
  PDFRef,
  PDFString,
} from 'pdf-lib';
import { BoundedCache } from '../../core/bounded-cache.js';
import type { Signer } from '../../core/signer.js';
import { latin1 } from './byte-range.js';
import { buildDetachedCms, maxDetachedCmsBytes } from './cms.js';
import { PdfBytes } from './pdf-bytes.js';

export interface SignPdfOptions {
  /** Written to the signature dictionary's /M (PAdES puts the claimed signing time there). */
  signingTime: Date;
  reason?: string;
  location?: string;
  name?: string;
  /** Bytes reserved for the CMS; by default the most a CMS by the certificate can take. */
  reservedBytes?: number;
}

export class PdfSignError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PdfSignError';
  }
}

/**
 * The CMS is the certificate plus its issuer's name twice more, signed attributes, an ECDSA
 * signature and the structure around them (no timestamp: one would come as a document
 * timestamp revision of its own): all fixed by the certificate but the signature's few bytes,
 * so the reserve is the most it can take (maxDetachedCmsBytes), not a guess. A fixed margin
 * (the certificate plus 1 KB, as before) was too little for a department named in 100
 * characters, whose name the CMS carries three times: its receipts failed at signing, for
 * good. A fixed 8 KB would put a PDF of two signatures (each reserve written as hex, twice
 * its size) over 60 KB.
 */
const reserveFor = (spec: PdfSignatureSpec) => spec.reservedBytes ?? maxDetachedCmsBytes(spec.certificateDer);

/** Stand-ins that pdf-lib serialises verbatim and that are patched in place after saving. */
const BYTE_RANGE_PLACEHOLDER = '**********';
const BYTE_RANGE = Buffer.from('/ByteRange', 'latin1');
/** Matched where a /ByteRange starts. */
const BYTE_RANGE_PATTERN = /^\/ByteRange\s*\[\s*0\s+\/\*{10}\s+\/\*{10}\s+\/\*{10}\s*\]/;

/** The /Contents placeholder of a reserve: `<00…0>`, serialised once per size (one per certificate). */
const contentsPlaceholders = new BoundedCache<number, { object: PdfBytes; bytes: Buffer }>(16);
const contentsPlaceholder = (reserved: number) =>
  contentsPlaceholders.getOrCompute(reserved, () => {
    const object = PdfBytes.of(PDFHexString.of('0'.repeat(reserved * 2)));
    return { object, bytes: Buffer.from(object.toString(), 'latin1') };
  });

/** One signature of a document: who signs, with which certificate, and its dictionary's entries. */
export interface PdfSignatureSpec extends SignPdfOptions {
  signer: Signer;
  certificateDer: Uint8Array;
  /** The signature field's name (/T), unique in the document. */
  fieldName: string;
}

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
  return signPdfRevisions(doc, [{ ...opts, signer, certificateDer, fieldName: 'feeproof-signature' }]);
}

/**
 * Signs a rendered (unsaved) document once per spec, in order: the first signature in the
 * document as saved (revision 1), each next one in an incremental update appended to the
 * signed bytes (ISO 32000-1 7.5.6), whose signature covers everything before it, itself
 * included but its /Contents. The update holds only the new signature's dictionary and
 * widget, the first page (its /Annots gains the widget) and the AcroForm (its /Fields): an
 * earlier signature's bytes stay a prefix of the file, so it stays valid, and the last one
 * covers the whole document.
 */
export async function signPdfRevisions(
  doc: PDFDocument,
  specs: readonly PdfSignatureSpec[],
): Promise<Uint8Array> {
  if (specs.length === 0) throw new PdfSignError('no signature to make');
  const acroForm = doc.catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
  const fields = acroForm?.lookupMaybe(PDFName.of('Fields'), PDFArray);
  if (fields?.asArray().some((f) => isSignatureField(doc, f)))
    throw new PdfSignError('the PDF is already signed; re-saving it would break that signature');

  const [first, ...rest] = specs;
  const firstReserved = reserveFor(first!);
  addSignatureField(doc, firstReserved, first!);
  // pdf-lib yields a setTimeout(0) (at least 1 ms idle) every 50 objects by default; a receipt
  // is one short synchronous write.
  let bytes = await doc.save({
    useObjectStreams: false,
    addDefaultPage: false,
    objectsPerTick: Number.POSITIVE_INFINITY,
  });
  // Each revision's bytes are a prefix of the next, so every signature's first range begins
  // with the bytes that the one before hashed: they are hashed once (Hash.copy()).
  const prefix: SignedPrefix = { hash: createHash('sha256'), end: 0 };
  bytes = await signPlaceholder(bytes, firstReserved, first!, prefix);
  for (const spec of rest) {
    const reserved = reserveFor(spec);
    const changed = addSignatureField(doc, reserved, spec);
    bytes = await signPlaceholder(appendUpdate(doc, bytes, changed), reserved, spec, prefix);
  }
  return bytes;
}

/** SHA-256 fed with the file's bytes [0, end), which no later revision changes. */
interface SignedPrefix {
  hash: Hash;
  end: number;
}

/**
 * Patches the one /ByteRange placeholder of `bytes`, signs the ranges (`prefix` holds a hash
 * of some of the first range's bytes and is moved to its end), writes the CMS in.
 */
async function signPlaceholder(
  bytes: Uint8Array,
  reserved: number,
  spec: PdfSignatureSpec,
  prefix: SignedPrefix,
): Promise<Uint8Array> {
  const { contentsStart, contentsEnd } = patchByteRange(bytes, reserved);
  prefix.hash.update(bytes.subarray(prefix.end, contentsStart));
  prefix.end = contentsStart;
  const digest = new Uint8Array(prefix.hash.copy().update(bytes.subarray(contentsEnd)).digest());
  const cms = await buildDetachedCms(digest, spec.signer, spec.certificateDer);
  if (cms.length > reserved)
    throw new PdfSignError(`the CMS needs ${cms.length} bytes, only ${reserved} reserved`);
  bytes.set(new TextEncoder().encode(Buffer.from(cms).toString('hex').toUpperCase()), contentsStart + 1);
  return bytes;
}

/**
 * Adds a signature field (widget on page 1, /Sig value with placeholders); returns the
 * indirect objects it added or changed, which an incremental update must write.
 */
function addSignatureField(doc: PDFDocument, reserved: number, opts: PdfSignatureSpec): PDFRef[] {
  const { context, catalog } = doc;

  const byteRange = PDFArray.withContext(context);
  byteRange.push(PDFNumber.of(0));
  for (let i = 0; i < 3; i++) byteRange.push(PDFName.of(BYTE_RANGE_PLACEHOLDER));

  const sig: Record<string, PDFObject> = {
    Type: PDFName.of('Sig'),
    Filter: PDFName.of('Adobe.PPKLite'),
    SubFilter: PDFName.of('ETSI.CAdES.detached'),
    ByteRange: byteRange,
    Contents: contentsPlaceholder(reserved).object,
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
      T: PDFHexString.fromText(opts.fieldName),
      V: sigRef,
      // Invisible: no appearance stream, which PDF/A allows for a zero-sized annotation.
      Rect: [0, 0, 0, 0],
      F: 132, // Print + Locked
      P: page.ref,
    }),
  );
  page.node.addAnnot(widgetRef);

  // The AcroForm is an object of its own, so that an update rewrites it and not the catalog.
  let acroFormRef = catalog.get(PDFName.of('AcroForm'));
  if (!(acroFormRef instanceof PDFRef)) {
    const direct = catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
    acroFormRef = context.register(direct ?? context.obj({}));
    catalog.set(PDFName.of('AcroForm'), acroFormRef);
  }
  const acroForm = context.lookup(acroFormRef, PDFDict);
  const fields = acroForm.lookupMaybe(PDFName.of('Fields'), PDFArray);
  if (fields) fields.push(widgetRef);
  else acroForm.set(PDFName.of('Fields'), context.obj([widgetRef]));
  acroForm.set(PDFName.of('SigFlags'), PDFNumber.of(3)); // SignaturesExist | AppendOnly
  return [page.ref, acroFormRef as PDFRef, sigRef, widgetRef];
}

/**
 * `signed` followed by an incremental update that writes the objects `changed` as they are
 * now, a cross-reference section for them and a trailer whose /Prev is the last one's.
 */
function appendUpdate(doc: PDFDocument, signed: Uint8Array, changed: readonly PDFRef[]): Uint8Array {
  const tail = latin1(signed.subarray(Math.max(0, signed.length - 64)));
  const prev = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
  if (!prev) throw new PdfSignError('the signed revision does not end with startxref and %%EOF');
  const { context } = doc;
  const parts: Uint8Array[] = [signed];
  let offset = signed.length;
  const push = (chunk: Uint8Array) => {
    parts.push(chunk);
    offset += chunk.length;
  };
  const ascii = (text: string) => new TextEncoder().encode(text);
  if (signed[signed.length - 1] !== 0x0a) push(ascii('\n'));

  const offsets = new Map<number, number>();
  for (const ref of [...changed].sort((a, b) => a.objectNumber - b.objectNumber)) {
    offsets.set(ref.objectNumber, offset);
    const object = context.lookup(ref);
    if (!object) throw new PdfSignError(`object ${ref.objectNumber} is missing`);
    const body = new Uint8Array(object.sizeInBytes());
    object.copyBytesInto(body, 0);
    push(ascii(`${ref.objectNumber} ${ref.generationNumber} obj\n`));
    push(body);
    push(ascii('\nendobj\n'));
  }

  const xrefAt = offset;
  let xref = 'xref\n';
  const numbers = [...offsets.keys()];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    xref += `${numbers[i]} ${j - i + 1}\n`;
    for (let k = i; k <= j; k++) xref += `${String(offsets.get(numbers[k]!)).padStart(10, '0')} 00000 n \n`;
    i = j + 1;
  }
  const { Root, Info, ID } = context.trailerInfo;
  const trailer = context.obj({
    Size: context.largestObjectNumber + 1,
    ...(Root ? { Root } : {}),
    ...(Info ? { Info } : {}),
    ...(ID ? { ID } : {}),
    Prev: Number(prev[1]),
  });
  push(ascii(`${xref}trailer\n${trailer.toString()}\nstartxref\n${xrefAt}\n%%EOF\n`));

  const out = new Uint8Array(offset);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function isSignatureField(doc: PDFDocument, ref: PDFObject): boolean {
  const field = doc.context.lookup(ref);
  return field instanceof PDFDict && field.get(PDFName.of('FT')) === PDFName.of('Sig');
}

/**
 * Writes the real /ByteRange over the placeholder and returns where the /Contents string is.
 * Each /ByteRange is found natively in the bytes and the pattern matched there (a string of
 * the whole file and a regular expression run over it cost more than the rest of the patch).
 */
function patchByteRange(bytes: Uint8Array, reserved: number): { contentsStart: number; contentsEnd: number } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const matches: { start: number; text: string }[] = [];
  for (let at = buffer.indexOf(BYTE_RANGE); at >= 0; at = buffer.indexOf(BYTE_RANGE, at + 1)) {
    const found = BYTE_RANGE_PATTERN.exec(latin1(bytes.subarray(at, at + 200)));
    if (found) matches.push({ start: at, text: found[0] });
  }
  if (matches.length !== 1)
    throw new PdfSignError(`expected one /ByteRange placeholder, found ${matches.length}`);
  const [{ start: matchStart, text: match }] = matches as [{ start: number; text: string }];
  const placeholder = contentsPlaceholder(reserved).bytes;
  const contentsStart = buffer.indexOf(placeholder, matchStart);
  if (contentsStart < 0 || buffer.indexOf(placeholder, contentsStart + 1) >= 0)
    throw new PdfSignError('the /Contents placeholder is missing or not unique');
  const contentsEnd = contentsStart + placeholder.length;

  const arrayStart = matchStart + match.indexOf('[');
  const arrayLength = match.length - match.indexOf('[');
  const real = `[0 ${contentsStart} ${contentsEnd} ${bytes.length - contentsEnd}]`;
  if (real.length > arrayLength) throw new PdfSignError('the /ByteRange does not fit its placeholder');
  bytes.set(new TextEncoder().encode(real.padEnd(arrayLength, ' ')), arrayStart);
  return { contentsStart, contentsEnd };
}
