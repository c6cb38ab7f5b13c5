import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PDFArray, type PDFDocument, PDFHexString, PDFName, type PDFRef, PDFString } from 'pdf-lib';
import { fastDeflate, nodeDeflate } from './deflate.js';
import { cjkFontPath } from './fonts.js';
import type { WrittenInfo } from './info.js';
import { PdfBytesStream } from './pdf-bytes.js';

/**
 * What makes a receipt's PDF a PDF/A-3b (ISO 19005-3, level B) besides its embedded fonts
 * (cid-font.ts): an sRGB output intent, XMP metadata that says so and repeats the document
 * information, a document /ID, and the receipt's data as an associated file. All of it is
 * written before the first signature, so the signatures cover it. What was checked, and how:
 * docs/einvoice.md, "PDF/A-3b conformance".
 */

/** The sRGB profile lies in assets/icc/, next to assets/fonts/ (and icc/ next to fonts/ in a Lambda package). */
export const iccProfilePath = (): string => join(dirname(cjkFontPath()), '..', 'icc', 'sRGB.icc');

export const OUTPUT_CONDITION = 'sRGB IEC61966-2.1';

/** The XMP namespace of feeproof's own properties (declared in the XMP as PDF/A asks). */
export const FEEPROOF_XMP_NS = 'https://feeproof.example/ns/receipt/1.0/';

let icc: Uint8Array | undefined;
/** The profile, deflated once per process. */
const iccDeflated = () => {
  icc ??= nodeDeflate(readFileSync(iccProfilePath()));
  return icc;
};

/** What the XMP metadata says: the Info dictionary's fields (info.ts), which it must repeat, and more. */
export interface PdfAMetadata extends WrittenInfo {
  /** Seeds the document /ID: the same receipt always gets the same ID. */
  idSeed: string;
  /** The salt of the receipt's transparency log commitment, base64 (feeproof:LogSalt). */
  logSalt?: string;
}

export interface AssociatedFile {
  name: string;
  bytes: Uint8Array;
  /** e.g. application/xml: written as the embedded file's /Subtype. */
  mimeType: string;
  description: string;
  /** /AFRelationship: /Data for the data the page shows. */
  relationship: 'Data' | 'Source' | 'Alternative' | 'Supplement';
  date: Date;
}

/**
 * Writes the output intent, the XMP metadata, the /ID and the associated files into an
 * unsaved document whose Info dictionary already says `meta` (info.ts).
 */
export function writePdfA(doc: PDFDocument, meta: PdfAMetadata, files: readonly AssociatedFile[] = []): void {
  const { context, catalog } = doc;
  const profile = context.register(
    PdfBytesStream.of(context.obj({ N: 3, Filter: 'FlateDecode' }), iccDeflated()),
  );
  catalog.set(
    PDFName.of('OutputIntents'),
    context.obj([
      {
        Type: 'OutputIntent',
        S: 'GTS_PDFA1',
        OutputConditionIdentifier: PDFString.of(OUTPUT_CONDITION),
        Info: PDFString.of(OUTPUT_CONDITION),
        RegistryName: PDFString.of('http://www.color.org'),
        DestOutputProfile: profile,
      },
    ]),
  );
  // Metadata streams stay uncompressed: any reader (and grep) finds the PDF/A claim.
  const xmp = new TextEncoder().encode(xmpPacket(meta));
  catalog.set(
    PDFName.of('Metadata'),
    context.register(PdfBytesStream.of(context.obj({ Type: 'Metadata', Subtype: 'XML' }), xmp)),
  );
  const id = PDFHexString.of(
    createHash('sha256').update(meta.idSeed).digest().subarray(0, 16).toString('hex').toUpperCase(),
  );
  context.trailerInfo.ID = context.obj([id, id]);

  if (files.length === 0) return;
  const specs = files.map((f) => fileSpec(doc, f));
  const names = PDFArray.withContext(context);
  files.forEach((f, i) => {
    names.push(PDFHexString.fromText(f.name));
    names.push(specs[i]!);
  });
  catalog.set(PDFName.of('Names'), context.obj({ EmbeddedFiles: context.obj({ Names: names }) }));
  catalog.set(PDFName.of('AF'), context.obj(specs));
}

function fileSpec(doc: PDFDocument, f: AssociatedFile): PDFRef {
  const { context } = doc;
  const date = PDFString.fromDate(f.date);
  // Per receipt: the fast level, as for its other streams. Always compressed, small as it is:
  // stored as it is, the XML would put the payer's name and ID number in the PDF's bytes as
  // plain UTF-8, which the public routes' bytes must never carry (test/security/access-matrix).
  const stream = context.register(
    PdfBytesStream.of(
      context.obj({
        Type: 'EmbeddedFile',
        Subtype: PDFName.of(f.mimeType), // pdf-lib writes the slash as #2F
        Params: { Size: f.bytes.length, CreationDate: date, ModDate: date },
        Filter: 'FlateDecode',
      }),
      fastDeflate(f.bytes),
    ),
  );
  return context.register(
    context.obj({
      Type: 'Filespec',
      F: PDFString.of(f.name),
      UF: PDFHexString.fromText(f.name),
      Desc: PDFHexString.fromText(f.description),
      AFRelationship: f.relationship,
      EF: { F: stream, UF: stream },
    }),
  );
}

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** As the Info dictionary's dates say it (pdf-lib writes D:YYYYMMDDHHmmSSZ): UTC, whole seconds. */
const xmpDate = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

/**
 * The XMP packet: pdfaid (part 3, conformance B), Dublin Core title, creator and description,
 * the PDF schema's producer and keywords, the XMP basic dates and creator tool, each equal to
 * its Info entry (ISO 19005-3 6.6.2.3); feeproof's log salt in its own namespace, which the
 * PDF/A extension schema block declares (6.6.2.3.2). Made per receipt from a fixed template.
 */
export function xmpPacket(meta: PdfAMetadata): string {
  const date = xmpDate(meta.date);
  const salt = meta.logSalt ? `\n   <feeproof:LogSalt>${escapeXml(meta.logSalt)}</feeproof:LogSalt>` : '';
  return `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:feeproof="${FEEPROOF_XMP_NS}"
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(meta.title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>${escapeXml(meta.author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(meta.subject)}</rdf:li></rdf:Alt></dc:description>
   <pdf:Producer>${escapeXml(meta.producer)}</pdf:Producer>
   <pdf:Keywords>${escapeXml(meta.keywords)}</pdf:Keywords>
   <xmp:CreatorTool>${escapeXml(meta.producer)}</xmp:CreatorTool>
   <xmp:CreateDate>${date}</xmp:CreateDate>
   <xmp:ModifyDate>${date}</xmp:ModifyDate>
   <xmp:MetadataDate>${date}</xmp:MetadataDate>${salt}
   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:schema>feeproof receipt</pdfaSchema:schema>
    <pdfaSchema:namespaceURI>${FEEPROOF_XMP_NS}</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>feeproof</pdfaSchema:prefix>
    <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
     <pdfaProperty:name>LogSalt</pdfaProperty:name>
     <pdfaProperty:valueType>Text</pdfaProperty:valueType>
     <pdfaProperty:category>external</pdfaProperty:category>
     <pdfaProperty:description>Base64 salt of the receipt's commitment in the feeproof transparency log</pdfaProperty:description>
    </rdf:li></rdf:Seq></pdfaSchema:property>
   </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>`;
}
