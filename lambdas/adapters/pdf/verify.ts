import { verify, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { sha256 } from '../signing/certificate.js';
import { hashRanges, latin1 } from './byte-range.js';
import { equalBytes, essCertHash, OID, type ParsedCms, parseDetachedCms, signedAttribute } from './cms.js';
import { type ReceiptInfo, readReceiptInfo } from './info.js';

/** The checks of a PDF's own signature, in the order verifyPdfSignature runs them. */
export const PDF_SIGNATURE_CHECKS = [
  'readable',
  'has_signature',
  'byte_range',
  'cms',
  'message_digest',
  'signing_certificate',
  'signature',
  'trusted_certificate',
] as const;

/** The checks that the public PDF check (POST /v1/verify/pdf) adds against the register. */
const PDF_REGISTER_CHECKS = ['receipt_exists', 'matches_issued_pdf', 'receipt_data_signature'] as const;

/** Every check a public PDF check can report, in order: the one list of names (pages, tests). */
export const PDF_CHECK_NAMES = [...PDF_SIGNATURE_CHECKS, ...PDF_REGISTER_CHECKS] as const;

type PdfSignatureCheckName = (typeof PDF_SIGNATURE_CHECKS)[number];
export type PdfCheckName = (typeof PDF_CHECK_NAMES)[number];

export interface PdfSignatureCheck {
  name: PdfSignatureCheckName;
  ok: boolean;
  reason?: string;
}

export interface PdfSignatureReport {
  /** True only when every check passed. */
  ok: boolean;
  checks: PdfSignatureCheck[];
  /** From the embedded certificate, when there is one. */
  signer?: { subject: string; certificateSha256: string };
  /** The /M of the signature dictionary. */
  signingTime?: Date;
  /** The receipt the PDF claims to be (document information), when readable. */
  receipt: ReceiptInfo | null;
}

export interface ExtractedSignature {
  byteRange: [number, number, number, number];
  /** The CMS DER from /Contents, without the zero padding. */
  cms: Uint8Array;
  signingTime?: Date;
}

export class PdfSignatureFormatError extends Error {
  constructor(
    readonly check: PdfSignatureCheck['name'],
    message: string,
  ) {
    super(message);
    this.name = 'PdfSignatureFormatError';
  }
}

const BYTE_RANGE = /\/ByteRange\s*\[\s*(\d{1,10})\s+(\d{1,10})\s+(\d{1,10})\s+(\d{1,10})\s*\]/g;

/**
 * Finds the one signature of a PDF and checks that its byte range covers the whole file
 * but the /Contents hex string. Throws PdfSignatureFormatError naming the failed check.
 */
export function extractSignature(pdf: Uint8Array): ExtractedSignature {
  const text = latin1(pdf);
  if (!text.slice(0, 1024).includes('%PDF-')) throw new PdfSignatureFormatError('readable', 'not a PDF');
  const ranges = [...text.matchAll(BYTE_RANGE)];
  if (ranges.length === 0) throw new PdfSignatureFormatError('has_signature', 'no signature dictionary');
  if (ranges.length > 1)
    throw new PdfSignatureFormatError(
      'has_signature',
      `${ranges.length} signatures; a receipt has exactly one`,
    );
  const [a, b, c, d] = ranges[0]!.slice(1, 5).map(Number) as [number, number, number, number];

  const fail = (reason: string) => new PdfSignatureFormatError('byte_range', reason);
  if (a !== 0 || b <= 0 || c <= b || c + d !== pdf.length)
    throw fail(`/ByteRange [${a} ${b} ${c} ${d}] does not cover the whole file of ${pdf.length} bytes`);
  if (!/\/Contents\s*$/.test(text.slice(Math.max(0, b - 32), b)))
    throw fail('the gap in the byte range is not the /Contents value');
  const hole = text.slice(b, c);
  if (!/^<[0-9A-Fa-f]*>$/.test(hole) || hole.length % 2 !== 0)
    throw fail('the gap in the byte range is not exactly one hex string');

  const padded = Buffer.from(hole.slice(1, -1), 'hex');
  const cms = new Uint8Array(padded.subarray(0, derLength(padded)));
  // The signature dictionary around the hole, minus the hole: where /M is.
  const dictEnd = text.indexOf('>>', c);
  const dict =
    text.slice(Math.max(0, text.lastIndexOf('<<', b)), b) + text.slice(c, dictEnd < 0 ? undefined : dictEnd);
  const m = /\/M\s*\((D:[^)]*)\)/.exec(dict);
  return { byteRange: [a, b, c, d], cms, signingTime: m ? parsePdfDate(m[1]!) : undefined };
}

/**
 * Checks a receipt PDF's embedded signature against the trusted certificates. Never
 * throws: garbage gives a report whose failed check says why.
 */
export async function verifyPdfSignature(
  pdf: Uint8Array,
  trusted: readonly { certificateDer: Uint8Array }[],
): Promise<PdfSignatureReport> {
  const checks: PdfSignatureCheck[] = [];
  const report = (extra: Partial<PdfSignatureReport> = {}): PdfSignatureReport => ({
    ok: checks.length > 0 && checks.every((c) => c.ok),
    checks,
    receipt: null,
    ...extra,
  });
  const pass = (name: PdfSignatureCheck['name']) => checks.push({ name, ok: true });
  const fail = (name: PdfSignatureCheck['name'], reason: string) => checks.push({ name, ok: false, reason });

  if (!(pdf instanceof Uint8Array) || pdf.length === 0) {
    fail('readable', 'empty input');
    return report();
  }
  let sig: ExtractedSignature;
  try {
    sig = extractSignature(pdf);
  } catch (err) {
    if (!(err instanceof PdfSignatureFormatError)) {
      fail('readable', `unreadable: ${err instanceof Error ? err.message : String(err)}`);
      return report();
    }
    for (const name of PDF_SIGNATURE_CHECKS.slice(0, PDF_SIGNATURE_CHECKS.indexOf(err.check))) pass(name);
    fail(err.check, err.message);
    return report();
  }
  pass('readable');
  pass('has_signature');
  pass('byte_range');
  const receipt = await readReceiptInfo(pdf);

  let cms: ParsedCms;
  try {
    cms = parseDetachedCms(sig.cms);
    checkAlgorithms(cms);
    if (cms.certificates.length === 0) throw new Error('no certificate embedded');
  } catch (err) {
    fail('cms', `CMS: ${err instanceof Error ? err.message : String(err)}`);
    return report({ receipt, signingTime: sig.signingTime });
  }
  pass('cms');

  const digest = hashRanges(pdf, sig.byteRange);
  const messageDigest = signedAttribute(cms.signerInfo, OID.messageDigest);
  if (
    messageDigest instanceof asn1js.OctetString &&
    equalBytes(new Uint8Array(messageDigest.valueBlock.valueHexView), digest)
  )
    pass('message_digest');
  else
    fail(
      'message_digest',
      'the signed digest is not the SHA-256 of the signed byte ranges: the file was changed',
    );

  // The signer's certificate: the one that signing-certificate-v2 names.
  const certHash = essCertHash(signedAttribute(cms.signerInfo, OID.signingCertificateV2));
  const certificate = cms.certificates.find((c) => certHash && equalBytes(sha256(c), certHash));
  if (certificate) pass('signing_certificate');
  else fail('signing_certificate', 'no embedded certificate matches the signing-certificate-v2 attribute');

  let signer: PdfSignatureReport['signer'];
  if (certificate) {
    try {
      const x509 = new X509Certificate(certificate);
      signer = { subject: x509.subject, certificateSha256: Buffer.from(sha256(certificate)).toString('hex') };
      const signature = new Uint8Array(cms.signerInfo.signature.valueBlock.valueHexView);
      if (verify('sha256', cms.signedAttributes, x509.publicKey, signature)) pass('signature');
      else fail('signature', 'the signature does not verify with the embedded certificate');
    } catch (err) {
      fail('signature', `cannot check the signature: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (trusted.some((t) => equalBytes(t.certificateDer, certificate))) pass('trusted_certificate');
    else fail('trusted_certificate', 'the signing certificate is not one of the trusted certificates');
  } else {
    fail('signature', 'no signing certificate to check the signature with');
    fail('trusted_certificate', 'no signing certificate');
  }
  return report({ receipt, signer, signingTime: sig.signingTime });
}

/** Everything here is signed with SHA-256 and ECDSA; anything else is not one of ours. */
function checkAlgorithms(cms: ParsedCms): void {
  const { signerInfo } = cms;
  if (signerInfo.digestAlgorithm.algorithmId !== OID.sha256)
    throw new Error('digest algorithm is not SHA-256');
  if (signerInfo.signatureAlgorithm.algorithmId !== OID.ecdsaWithSha256)
    throw new Error('signature algorithm is not ecdsa-with-SHA256');
  const contentType = signedAttribute(signerInfo, OID.contentType);
  if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.getValue() !== OID.data)
    throw new Error('content-type attribute is not id-data');
}

/** The length of the DER element at the start of `bytes` (header + content), or all of it. */
function derLength(bytes: Uint8Array): number {
  if (bytes.length < 2) return bytes.length;
  const first = bytes[1]!;
  if (first < 0x80) return Math.min(bytes.length, 2 + first);
  const n = first & 0x7f;
  if (n === 0 || n > 4 || bytes.length < 2 + n) return bytes.length;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + bytes[2 + i]!;
  return Math.min(bytes.length, 2 + n + len);
}

/** D:YYYYMMDDHHmmSS with Z, +hh'mm' or -hh'mm' (all but the year optional). */
function parsePdfDate(s: string): Date | undefined {
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+-])(?:(\d{2})'?(\d{2})?'?)?)?$/.exec(
    s,
  );
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', se = '00', sign, oh = '00', om = '00'] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  const offset = sign === '+' || sign === '-' ? (sign === '+' ? 1 : -1) * (Number(oh) * 60 + Number(om)) : 0;
  const date = new Date(utc - offset * 60_000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
