export { MissingGlyphsError, missingGlyphs } from './fonts.js';
export { type ReceiptInfo, readReceiptInfo } from './info.js';
export { DEFAULT_RESERVED_BYTES, PdfSignError, type SignPdfOptions, signPdf } from './pades.js';
export { DEFAULT_TITLE, type ReceiptPdfInput, receiptTexts, renderReceiptPdf } from './render.js';
export {
  type ExtractedSignature,
  extractSignature,
  type PdfSignatureCheck,
  PdfSignatureFormatError,
  type PdfSignatureReport,
  verifyPdfSignature,
} from './verify.js';
