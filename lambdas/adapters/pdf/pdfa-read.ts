import {
  decodePDFRawStream,
  PDFArray,
  PDFDict,
  type PDFDocument,
  PDFHexString,
  PDFName,
  PDFRawStream,
  PDFStream,
  PDFString,
} from 'pdf-lib';

/**
 * Reading back what pdfa.ts writes: the XMP packet, feeproof's log salt in it, the associated
 * files. Apart from the writer so that the verify function's bundle does not take in the
 * fonts (pdfa.ts finds the ICC profile next to them).
 */

/** The document's XMP packet as text, or undefined. */
export function readXmp(doc: PDFDocument): string | undefined {
  const stream = doc.catalog.lookupMaybe(PDFName.of('Metadata'), PDFStream);
  return stream instanceof PDFRawStream ? new TextDecoder().decode(stream.contents) : undefined;
}

/** feeproof:LogSalt of an XMP packet, or undefined. */
export function logSaltOf(xmp: string | undefined): string | undefined {
  return xmp ? /<feeproof:LogSalt>([A-Za-z0-9+/=]{4,200})<\/feeproof:LogSalt>/.exec(xmp)?.[1] : undefined;
}

/** The associated files of a loaded document (catalog /AF) with their embedded bytes, inflated. */
export function associatedFiles(
  doc: PDFDocument,
): { name: string; mimeType?: string; relationship?: string; bytes?: Uint8Array }[] {
  const af = doc.catalog.lookupMaybe(PDFName.of('AF'), PDFArray);
  if (!af) return [];
  return af.asArray().flatMap((ref) => {
    const spec = doc.context.lookup(ref);
    if (!(spec instanceof PDFDict)) return [];
    const text = (key: string) => {
      const v = spec.get(PDFName.of(key));
      return v instanceof PDFString || v instanceof PDFHexString ? v.decodeText() : undefined;
    };
    const relationship = spec.lookupMaybe(PDFName.of('AFRelationship'), PDFName)?.decodeText();
    const ef = spec.lookupMaybe(PDFName.of('EF'), PDFDict);
    const stream = ef?.lookupMaybe(PDFName.of('F'), PDFStream);
    const subtype = stream?.dict.lookupMaybe(PDFName.of('Subtype'), PDFName)?.decodeText();
    return [
      {
        name: text('UF') ?? text('F') ?? '',
        ...(subtype ? { mimeType: subtype } : {}),
        ...(relationship ? { relationship } : {}),
        ...(stream instanceof PDFRawStream ? { bytes: decodePDFRawStream(stream).decode() } : {}),
      },
    ];
  });
}
