import type { PDFDocument } from 'pdf-lib';
import { EInvoiceError, parseEInvoiceXml, receiptOfEInvoice } from '../../core/einvoice.js';
import { canonicalReceipt, contentOf, type ReceiptContent, type ReceiptRef } from '../../core/receipt.js';
import { checkTwoSignatures, type KeyResolver, type TwoSignatures } from '../../core/two-signatures.js';
import { parsePdf } from './info.js';
import { associatedFiles, logSaltOf, readXmp } from './pdfa-read.js';

/**
 * The receipt data a PDF carries (PDF/A-3 associated file: the national EInvoice XML with both
 * data signatures) and its log salt (XMP feeproof:LogSalt), read back, and the check that the
 * XML is the signed data of the receipt the PDF names (the `embedded_data` check of the PDF
 * check route and the CLI).
 */

export type EmbeddedEInvoice =
  | { found: true; xml: string; content: ReceiptContent; signatures: TwoSignatures }
  | { found: false; reason: string /** The XML is there but unusable (not missing). */; present: boolean };

export interface EmbeddedData {
  einvoice: EmbeddedEInvoice;
  /** feeproof:LogSalt of the XMP, base64, when present. */
  logSalt?: string;
}

/** Reads the embedded XML and the log salt; never throws (an unreadable PDF has neither). */
export async function readEmbeddedData(pdf: Uint8Array | PDFDocument | null): Promise<EmbeddedData> {
  const doc = pdf instanceof Uint8Array ? await parsePdf(pdf) : pdf;
  if (!doc) return { einvoice: { found: false, present: false, reason: 'the PDF cannot be read' } };
  try {
    return embeddedDataOf(doc);
  } catch {
    // A damaged stream (one changed byte in compressed data, say) is a failed check, not an error.
    return { einvoice: { found: false, present: true, reason: 'the embedded data cannot be read' } };
  }
}

function embeddedDataOf(doc: PDFDocument): EmbeddedData {
  const logSalt = logSaltOf(readXmp(doc));
  const salt = logSalt ? { logSalt } : {};
  const data = associatedFiles(doc).filter((f) => f.mimeType === 'application/xml');
  if (data.length === 0)
    return {
      einvoice: { found: false, present: false, reason: 'the PDF carries no embedded EInvoice XML' },
      ...salt,
    };
  if (data.length > 1)
    return {
      einvoice: { found: false, present: true, reason: `the PDF carries ${data.length} XML files, not one` },
      ...salt,
    };
  const [file] = data;
  if (file!.relationship !== 'Data' || !file!.bytes)
    return {
      einvoice: {
        found: false,
        present: true,
        reason: 'the embedded XML is not the associated file of the data (/AFRelationship /Data)',
      },
      ...salt,
    };
  try {
    const xml = new TextDecoder('utf-8', { fatal: true }).decode(file!.bytes);
    const { content, signatures } = receiptOfEInvoice(parseEInvoiceXml(xml));
    return { einvoice: { found: true, xml, content, signatures }, ...salt };
  } catch (e) {
    const why = e instanceof EInvoiceError ? `${e.code}: ${e.message}` : 'not UTF-8';
    return {
      einvoice: {
        found: false,
        present: true,
        reason: `the embedded XML is not a receipt's EInvoice (${why})`,
      },
      ...salt,
    };
  }
}

export interface EmbeddedDataCheck {
  ok: boolean;
  reason?: string;
}

/**
 * Whether the embedded XML is the receipt's signed data: required when the PDF has the two
 * signatures (unit and supervision; a PDF signed by the bureau alone, as issued without unit
 * keys or before them, carries none), of the receipt the PDF names, both data signatures
 * verify over it with published keys, and, when the register's copy is given, it is exactly
 * that receipt's data and signatures.
 */
export async function checkEmbeddedData(
  embedded: EmbeddedEInvoice,
  opts: {
    pdfSignatures: number;
    receipt: ReceiptRef | null;
    resolver: KeyResolver;
    stored?: ReceiptContent & { signatures?: TwoSignatures };
  },
): Promise<EmbeddedDataCheck> {
  if (!embedded.found) {
    if (!embedded.present && opts.pdfSignatures < 2 && !opts.stored?.signatures) return { ok: true };
    return {
      ok: false,
      reason: embedded.present
        ? embedded.reason
        : `${embedded.reason} (removed: its two signatures require it)`,
    };
  }
  const { content, signatures } = embedded;
  if (!opts.receipt || opts.receipt.code !== content.code || opts.receipt.number !== content.number)
    return {
      ok: false,
      reason: `the embedded XML is receipt ${content.code}/${content.number}, the PDF names ${opts.receipt ? `${opts.receipt.code}/${opts.receipt.number}` : 'none'}`,
    };
  const canonical = canonicalReceipt(content);
  const report = await checkTwoSignatures(canonical, content.department, signatures, opts.resolver);
  const failures = [report.unit, report.supervision].flatMap((c) =>
    c.ok ? [] : [`${c.error.code}: ${c.error.message}`],
  );
  if (failures.length)
    return { ok: false, reason: `the embedded XML's data signatures do not hold: ${failures.join('; ')}` };
  if (opts.stored) {
    if (canonical !== canonicalReceipt(contentOf(opts.stored)))
      return { ok: false, reason: "the embedded XML's data differs from the issued receipt's" };
    // The stored row may have lost a signature (tampering): compared field by field, never assumed.
    const s = opts.stored.signatures as Partial<TwoSignatures> | undefined;
    if (
      s?.unit?.value !== signatures.unit.value ||
      s?.supervision?.value !== signatures.supervision.value ||
      s?.unit?.keyId !== signatures.unit.keyId ||
      s?.supervision?.keyId !== signatures.supervision.keyId
    )
      return { ok: false, reason: "the embedded XML's signatures are not the issued receipt's" };
  }
  return { ok: true };
}
