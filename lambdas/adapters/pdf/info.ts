import { PDFDict, PDFDocument, PDFHexString, PDFName, PDFString } from 'pdf-lib';
import {
  RECEIPT_CODE_PATTERN,
  RECEIPT_NUMBER_PATTERN,
  type ReceiptContent,
  type ReceiptKind,
  type ReceiptRef,
} from '../../core/receipt.js';

/**
 * The document information dictionary says which receipt a PDF claims to be, so a verifier
 * can look the receipt up. It lies inside the signed byte range, so it cannot be changed
 * without breaking the signature.
 */
const KEYS = { code: 'FeeproofCode', number: 'FeeproofNumber', kind: 'FeeproofKind' } as const;

const PRODUCER = 'feeproof';

/** What the Info dictionary says, as the XMP metadata must repeat it (pdfa.ts). */
export interface WrittenInfo {
  title: string;
  author: string;
  subject: string;
  keywords: string;
  /** Producer and creator tool. */
  producer: string;
  /** Creation and modification date (and the XMP's metadata date). */
  date: Date;
}

export function writeReceiptInfo(
  doc: PDFDocument,
  content: Pick<ReceiptContent, 'code' | 'number' | 'kind'>,
  meta: { title: string; author: string; date: Date },
): WrittenInfo {
  const subject = `票据代码 ${content.code} 票据号码 ${content.number}`;
  const keywords = ['feeproof', `code:${content.code}`, `number:${content.number}`, `kind:${content.kind}`];
  doc.setTitle(meta.title);
  doc.setAuthor(meta.author);
  doc.setSubject(subject);
  doc.setKeywords(keywords); // pdf-lib joins them with spaces
  doc.setProducer(PRODUCER);
  doc.setCreator(PRODUCER);
  doc.setCreationDate(meta.date);
  doc.setModificationDate(meta.date);
  doc.setLanguage('zh-CN');
  const info = infoDict(doc);
  if (!info) throw new Error('pdf-lib did not create a document information dictionary');
  info.set(PDFName.of(KEYS.code), PDFString.of(content.code));
  info.set(PDFName.of(KEYS.number), PDFString.of(content.number));
  info.set(PDFName.of(KEYS.kind), PDFString.of(content.kind));
  return { ...meta, subject, keywords: keywords.join(' '), producer: PRODUCER };
}

export interface ReceiptInfo extends ReceiptRef {
  kind: ReceiptKind;
}

/**
 * A received PDF parsed for reading, or null when pdf-lib cannot read it. Never throws. A check
 * parses once and hands the document to each reader: the parse is its dearest step (about 2 ms a
 * KB of hostile input on this kind of machine).
 */
export async function parsePdf(pdf: Uint8Array): Promise<PDFDocument | null> {
  try {
    return await PDFDocument.load(pdf, { updateMetadata: false, throwOnInvalidObject: false });
  } catch {
    return null;
  }
}

/** The receipt a PDF claims to be, or null (for anything unreadable, too). Never throws. */
export async function readReceiptInfo(pdf: Uint8Array | PDFDocument | null): Promise<ReceiptInfo | null> {
  const doc = pdf instanceof Uint8Array ? await parsePdf(pdf) : pdf;
  try {
    return doc && receiptInfoOf(doc);
  } catch {
    return null;
  }
}

function receiptInfoOf(doc: PDFDocument): ReceiptInfo | null {
  const info = infoDict(doc);
  if (!info) return null;
  const text = (key: string) => {
    const value = info.get(PDFName.of(key));
    return value instanceof PDFString || value instanceof PDFHexString ? value.decodeText() : null;
  };
  const code = text(KEYS.code);
  const number = text(KEYS.number);
  const kind = text(KEYS.kind);
  if (!code || !RECEIPT_CODE_PATTERN.test(code) || !number || !RECEIPT_NUMBER_PATTERN.test(number))
    return null;
  return { code, number, kind: kind === 'red' ? 'red' : 'blue' };
}

function infoDict(doc: PDFDocument): PDFDict | undefined {
  const info = doc.context.trailerInfo.Info;
  if (!info) return undefined;
  const dict = doc.context.lookup(info);
  return dict instanceof PDFDict ? dict : undefined;
}
