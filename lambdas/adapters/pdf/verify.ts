import { verify, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { sha256 } from '../signing/certificate.js';
import { hashRanges, latin1 } from './byte-range.js';
import { equalBytes, essCertHash, OID, type ParsedCms, parseDetachedCms, signedAttribute } from './cms.js';
import { type ReceiptInfo, readReceiptInfo } from './info.js';

/** The checks of a PDF's own signatures, in the order verifyPdfSignature runs them. */
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

/**
 * The checks that the public PDF check (POST /v1/verify/pdf) adds: the embedded XML against
 * the signed data (offline too: the CLI runs it), then against the register.
 */
const PDF_REGISTER_CHECKS = [
  'embedded_data',
  'receipt_exists',
  'matches_issued_pdf',
  'receipt_data_signature',
] as const;

/** Every check a public PDF check can report, in order: the one list of names (pages, tests). */
export const PDF_CHECK_NAMES = [...PDF_SIGNATURE_CHECKS, ...PDF_REGISTER_CHECKS] as const;

type PdfSignatureCheckName = (typeof PDF_SIGNATURE_CHECKS)[number];
export type PdfCheckName = (typeof PDF_CHECK_NAMES)[number];

export interface PdfSignatureCheck {
  name: PdfSignatureCheckName;
  ok: boolean;
  reason?: string;
}

/** A certificate a verifier trusts, with whose it is when known (GET /v1/keys says it). */
export interface TrustedCertificate {
  certificateDer: Uint8Array;
  /** `unit`: a collecting department's key; `supervision`: the finance bureau's. */
  role?: 'unit' | 'supervision';
  department?: string;
}

/** One PAdES signature of the PDF as found and checked: whose, with what, over which bytes. */
export interface PdfSignatureDetail {
  /** 1-based, in file order (the order they were made). */
  index: number;
  /** What the signature's place says it is: with two, the unit's then the supervision; alone, the bureau's. */
  expectedRole: 'unit' | 'supervision';
  /** Whose certificate signed, when it is a trusted one with a role. */
  role?: 'unit' | 'supervision';
  department?: string;
  signer?: { subject: string; certificateSha256: string };
  signingTime?: Date;
  byteRange: [number, number, number, number];
  /** Bytes 0..signedLength-1 are signed (but the /Contents hole): a revision's end. */
  signedLength: number;
  coversWholeFile: boolean;
  /** True when every check of this signature passed. */
  ok: boolean;
  /** Why not, when not. */
  failures: string[];
}

export interface PdfSignatureReport {
  /** True only when every check passed. */
  ok: boolean;
  checks: PdfSignatureCheck[];
  /** Each signature, in order (empty when none could be read). */
  signatures: PdfSignatureDetail[];
  /** The last signature's (the one that covers the whole file), from its certificate. */
  signer?: { subject: string; certificateSha256: string };
  /** The /M of the last signature's dictionary. */
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

/** A receipt has the unit's and the supervision signature, or (issued without unit keys) the bureau's alone. */
const MAX_SIGNATURES = 2;

/** The signature that covers the whole file (the last one); see extractSignatures. */
export function extractSignature(pdf: Uint8Array): ExtractedSignature {
  return extractSignatures(pdf).at(-1)!;
}

/**
 * Finds every signature of a PDF, in file order, and checks their byte ranges: each covers
 * everything from the file's start to the end of its revision but its own /Contents hex
 * string; the last covers the whole file; an earlier one ends at a revision's %%EOF, before
 * the next signature, and what follows it only adds a signature (updateOnlySigns). Throws
 * PdfSignatureFormatError naming the failed check.
 */
export function extractSignatures(pdf: Uint8Array): ExtractedSignature[] {
  const text = latin1(pdf);
  if (!text.slice(0, 1024).includes('%PDF-')) throw new PdfSignatureFormatError('readable', 'not a PDF');
  const ranges = [...text.matchAll(BYTE_RANGE)];
  if (ranges.length === 0) throw new PdfSignatureFormatError('has_signature', 'no signature dictionary');
  if (ranges.length > MAX_SIGNATURES)
    throw new PdfSignatureFormatError(
      'has_signature',
      `${ranges.length} signatures; a receipt has at most ${MAX_SIGNATURES} (the unit's and the supervision signature)`,
    );
  const fail = (reason: string) => new PdfSignatureFormatError('byte_range', reason);
  const out: ExtractedSignature[] = [];
  ranges.forEach((range, i) => {
    const [a, b, c, d] = range.slice(1, 5).map(Number) as [number, number, number, number];
    const name = ranges.length > 1 ? `signature ${i + 1} of ${ranges.length}: ` : '';
    const last = i === ranges.length - 1;
    if (a !== 0 || b <= 0 || c <= b || c + d > pdf.length)
      throw fail(
        `${name}/ByteRange [${a} ${b} ${c} ${d}] is not a range of this file of ${pdf.length} bytes`,
      );
    if (last && c + d !== pdf.length)
      throw fail(
        `${name}/ByteRange [${a} ${b} ${c} ${d}] does not cover the whole file of ${pdf.length} bytes`,
      );
    if (!last) {
      if (!/%%EOF\s*$/.test(text.slice(Math.max(0, c + d - 16), c + d)))
        throw fail(`${name}its signed bytes do not end a revision (%%EOF)`);
      if (c + d > ranges[i + 1]!.index!)
        throw fail(`${name}its revision does not end before the next signature`);
      const problem = updateOnlySigns(text.slice(c + d));
      if (problem) throw fail(`${name}the update after it ${problem}`);
    }
    if (!/\/Contents\s*$/.test(text.slice(Math.max(0, b - 32), b)))
      throw fail(`${name}the gap in the byte range is not the /Contents value`);
    const hole = text.slice(b, c);
    if (!/^<[0-9A-Fa-f]*>$/.test(hole) || hole.length % 2 !== 0)
      throw fail(`${name}the gap in the byte range is not exactly one hex string`);

    const padded = Buffer.from(hole.slice(1, -1), 'hex');
    const cms = new Uint8Array(padded.subarray(0, derLength(padded)));
    // The signature dictionary around the hole, minus the hole: where /M is.
    const dictEnd = text.indexOf('>>', c);
    const dict =
      text.slice(Math.max(0, text.lastIndexOf('<<', b)), b) +
      text.slice(c, dictEnd < 0 ? undefined : dictEnd);
    const m = /\/M\s*\((D:[^)]*)\)/.exec(dict);
    out.push({ byteRange: [a, b, c, d], cms, signingTime: m ? parsePdfDate(m[1]!) : undefined });
  });
  return out;
}

/**
 * What an incremental update after a signed revision may hold: new or rewritten objects that
 * are signature dictionaries, signature widgets, the page (its /Annots) and the AcroForm, no
 * stream (no new content, font or image), then its cross-reference section and trailer.
 * Returns why not, or undefined. (matches_issued_pdf still compares the whole file with the
 * issued one; this is what an offline verifier can say about the shape.)
 */
function updateOnlySigns(update: string): string | undefined {
  const objects = [...update.matchAll(/(\d+)\s+\d+\s+obj\b([\s\S]*?)endobj/g)];
  if (/\bstream\r?\n/.test(update)) return 'adds a stream (content, not only a signature)';
  for (const [, number, body] of objects) {
    const allowed =
      /\/Type\s*\/Sig\b/.test(body!) ||
      (/\/Subtype\s*\/Widget\b/.test(body!) && /\/FT\s*\/Sig\b/.test(body!)) ||
      /\/Type\s*\/Page\b/.test(body!) ||
      (/\/Fields\s*\[/.test(body!) && /\/SigFlags\b/.test(body!));
    if (!allowed)
      return `rewrites object ${number}, which is not a signature, its widget, the page or the form`;
  }
  return undefined;
}

/**
 * Checks a receipt PDF's signatures against the trusted certificates: each signature's byte
 * range, CMS, digest, certificate, value and trust, and, when the trusted certificates say
 * whose they are, that two signatures are the collecting unit's (its department's key) then
 * the bureau's supervision key, and one alone is the bureau's. `department` (from the
 * embedded XML or the register) is the unit the first signature must belong to. Never
 * throws: garbage gives a report whose failed check says why.
 */
export async function verifyPdfSignature(
  pdf: Uint8Array,
  trusted: readonly TrustedCertificate[],
  opts: { department?: string; receipt?: ReceiptInfo | null } = {},
): Promise<PdfSignatureReport> {
  const checks: PdfSignatureCheck[] = [];
  const details: PdfSignatureDetail[] = [];
  const report = (extra: Partial<PdfSignatureReport> = {}): PdfSignatureReport => ({
    ok: checks.length > 0 && checks.every((c) => c.ok),
    checks,
    signatures: details,
    receipt: null,
    ...extra,
  });
  const pass = (name: PdfSignatureCheck['name']) => checks.push({ name, ok: true });
  const fail = (name: PdfSignatureCheck['name'], reason: string) => checks.push({ name, ok: false, reason });

  if (!(pdf instanceof Uint8Array) || pdf.length === 0) {
    fail('readable', 'empty input');
    return report();
  }
  let sigs: ExtractedSignature[];
  try {
    sigs = extractSignatures(pdf);
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
  const receipt = opts.receipt !== undefined ? opts.receipt : await readReceiptInfo(pdf);
  const last = sigs.at(-1)!;

  const parsed: ParsedCms[] = [];
  const cmsFailures: string[] = [];
  sigs.forEach((sig, i) => {
    try {
      const cms = parseDetachedCms(sig.cms);
      checkAlgorithms(cms);
      if (cms.certificates.length === 0) throw new Error('no certificate embedded');
      parsed.push(cms);
    } catch (err) {
      cmsFailures.push(`${label(i, sigs.length)}CMS: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  if (cmsFailures.length) {
    fail('cms', cmsFailures.join('; '));
    return report({ receipt, signingTime: last.signingTime });
  }
  pass('cms');

  const perCheck: Record<
    'message_digest' | 'signing_certificate' | 'signature' | 'trusted_certificate',
    string[]
  > = {
    message_digest: [],
    signing_certificate: [],
    signature: [],
    trusted_certificate: [],
  };
  sigs.forEach((sig, i) => {
    const cms = parsed[i]!;
    const failures: string[] = [];
    const failed = (check: keyof typeof perCheck, reason: string) => {
      failures.push(reason);
      perCheck[check].push(`${label(i, sigs.length)}${reason}`);
    };
    const expectedRole = sigs.length === 2 && i === 0 ? 'unit' : 'supervision';
    const [, , c, d] = sig.byteRange;
    const detail: PdfSignatureDetail = {
      index: i + 1,
      expectedRole,
      byteRange: sig.byteRange,
      signedLength: c + d,
      coversWholeFile: c + d === pdf.length,
      ok: false,
      failures,
      ...(sig.signingTime ? { signingTime: sig.signingTime } : {}),
    };
    details.push(detail);

    const digest = hashRanges(pdf, sig.byteRange);
    const messageDigest = signedAttribute(cms.signerInfo, OID.messageDigest);
    if (
      !(messageDigest instanceof asn1js.OctetString) ||
      !equalBytes(new Uint8Array(messageDigest.valueBlock.valueHexView), digest)
    )
      failed(
        'message_digest',
        'the signed digest is not the SHA-256 of the signed byte ranges: the file was changed',
      );

    // The signer's certificate: the one that signing-certificate-v2 names.
    const certHash = essCertHash(signedAttribute(cms.signerInfo, OID.signingCertificateV2));
    const certificate = cms.certificates.find((c) => certHash && equalBytes(sha256(c), certHash));
    if (!certificate) {
      failed('signing_certificate', 'no embedded certificate matches the signing-certificate-v2 attribute');
      failed('signature', 'no signing certificate to check the signature with');
      failed('trusted_certificate', 'no signing certificate');
    } else {
      try {
        const x509 = new X509Certificate(certificate);
        detail.signer = {
          subject: x509.subject,
          certificateSha256: Buffer.from(sha256(certificate)).toString('hex'),
        };
        const signature = new Uint8Array(cms.signerInfo.signature.valueBlock.valueHexView);
        if (!verify('sha256', cms.signedAttributes, x509.publicKey, signature))
          failed('signature', 'the signature does not verify with the embedded certificate');
      } catch (err) {
        failed(
          'signature',
          `cannot check the signature: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      const known = trusted.find((t) => equalBytes(t.certificateDer, certificate));
      if (!known)
        failed('trusted_certificate', 'the signing certificate is not one of the trusted certificates');
      else {
        if (known.role) detail.role = known.role;
        if (known.department) detail.department = known.department;
        const roleProblem = wrongRole(known, expectedRole, opts.department);
        if (roleProblem) failed('trusted_certificate', roleProblem);
      }
    }
    detail.ok = failures.length === 0;
  });
  for (const name of ['message_digest', 'signing_certificate', 'signature', 'trusted_certificate'] as const) {
    const reasons = perCheck[name];
    if (reasons.length) fail(name, reasons.join('; '));
    else pass(name);
  }
  const lastDetail = details.at(-1)!;
  return report({
    receipt,
    ...(lastDetail.signer ? { signer: lastDetail.signer } : {}),
    ...(last.signingTime ? { signingTime: last.signingTime } : {}),
  });
}

const ROLE_NAMES = {
  unit: "the collecting unit's signature (开票单位签章)",
  supervision: "the finance bureau's supervision signature (财政部门监制签章)",
} as const;

/** "signature 1 of 2 (unit): " for the reasons of a PDF with two signatures; nothing for one. */
function label(i: number, count: number): string {
  if (count < 2) return '';
  return `signature ${i + 1} of ${count} (${i === 0 ? 'unit' : 'supervision'}): `;
}

/** Why a trusted certificate may not sign in this place, if it may not (only when its role is known). */
function wrongRole(
  known: TrustedCertificate,
  expected: 'unit' | 'supervision',
  department: string | undefined,
): string | undefined {
  if (!known.role) return undefined;
  if (known.role !== expected)
    return `${ROLE_NAMES[expected]} is made with a ${known.role} key${known.department ? ` (department ${known.department})` : ''}`;
  if (expected === 'unit' && department !== undefined && known.department !== department)
    return `${ROLE_NAMES.unit} is made with the key of department ${known.department ?? '(none)'}, not of ${department}`;
  return undefined;
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
