import { type KeyRing, keyResolverOf, roleOf } from '../adapters/dynamo/keyring.js';
import { logger } from '../adapters/logger.js';
import { emitMetric } from '../adapters/metrics.js';
import { checkEmbeddedData, readEmbeddedData } from '../adapters/pdf/embedded.js';
import { parsePdf, readReceiptInfo } from '../adapters/pdf/info.js';
import { type PdfCheckName, type PdfSignatureDetail, verifyPdfSignature } from '../adapters/pdf/verify.js';
import { certificateFromPem, sha256Hex } from '../adapters/signing/certificate.js';
import { publishedKeyForm } from '../adapters/signing/department-keys.js';
import { verifyWithCertificate } from '../adapters/signing/ecdsa.js';
import { getDeps } from '../app/deps.js';
import { logTiles, receiptLogProof } from '../app/log-proof.js';
import { logVkey } from '../app/transparency-log.js';
import { BoundedCache } from '../core/bounded-cache.js';
import { AppError } from '../core/errors.js';
import { formatYuan } from '../core/money.js';
import type { CheckedReceipt, StoredReceipt } from '../core/ports.js';
import {
  canonicalReceipt,
  contentOf,
  maskPayer,
  type Payer,
  type ReceiptKind,
  type ReceiptRef,
  type ReceiptStatus,
  totalInWords,
} from '../core/receipt.js';
import { receiptCommitment } from '../core/tlog/entries.js';
import { toBase64 } from '../core/tlog/hash.js';
import { TLOG_PROOF_EXTENSION } from '../core/tlog/proof-bundle.js';
import {
  checkTwoSignatures,
  type SignatureRole,
  type TwoSignatureErrorCode,
} from '../core/two-signatures.js';
import { groupHandler } from './http/group.js';
import { binary, json } from './http/types.js';

/*
 * The public answers, exported as types for the verification page (web/src/verify/), which
 * imports them with `import type`: no server code enters its bundle.
 */

/** One line of a receipt as anyone may see it; amounts are decimal strings in yuan. */
export interface PublicReceiptLine {
  itemCode: string;
  name: string;
  unit: string;
  quantity: number;
  standard: string;
  amount: string;
  /** Who the line's exemption was granted to, as the PDF prints it (e.g. `小微企业`). */
  exemption?: string;
}

/** What anyone may see of a receipt: the payer masked, nothing else personal. */
export interface PublicReceipt extends ReceiptRef {
  kind: ReceiptKind;
  issueDate: string;
  total: string;
  totalInWords: string;
  collectingUnit: string;
  lines: PublicReceiptLine[];
  payer: Payer;
}

/** A receipt's relations: the red receipt that reversed it, or the original a red one reverses. */
export interface ReceiptRelations {
  reversedBy?: ReceiptRef;
  reverses?: ReceiptRef;
}

/**
 * The receipt's place in the public transparency log (issue 13, docs/transparency-log.md).
 * Absent on receipts completed before the log existed.
 */
export interface LogAnswer {
  /** base64 of the commitment's salt: with the receipt's full data, its holder recomputes `commitment`. */
  salt: string;
  /**
   * hex SHA-256(salt ‖ canonical data) of the receipt as stored now: the logged `receipt` entry's
   * commitment must be exactly this (it differs when the record was altered after it was logged).
   */
  commitment: string;
  /** Its index in the log; absent until the sequencer gives it one (waiting for the next checkpoint). */
  index?: number;
}

/**
 * 200 of GET /v1/verify (public checks see complete receipts only: issued or reversed).
 * `tampered`: the record no longer matches the signature made when it was issued.
 */
export type VerifyAnswer =
  | ({
      valid: true;
      signatures?: SignatureKind;
      status: ReceiptStatus;
      receipt: PublicReceipt;
      checks: number;
      log?: LogAnswer;
    } & ReceiptRelations)
  | {
      valid: false;
      error: 'tampered';
      message: string;
      signatures?: SignatureKind;
      /** Each signature that does not hold, with its code. */
      failures?: SignatureFailure[];
      checks: number;
      log?: LogAnswer;
    };

/**
 * What a check derives from a stored copy alone, kept by the copy (CheckedReceipt.copy: one
 * object per stored text, so a copy altered behind the service's back gets facts of its own).
 */
interface CopyFacts {
  /** Its canonical data: the signatures' message and the log commitment's input. */
  canonical: string;
  /** What anyone may see of it. */
  shown: PublicReceipt;
  /** Set once its signatures verified; only successes are kept (a key unknown now may be published later). */
  verified?: SignatureKind;
  /** Its log commitment under the salt it was last checked with (a pure function of both). */
  commitment?: { salt: string; hex: string };
}
const copyFacts = new WeakMap<StoredReceipt, CopyFacts>();

function factsOf(copy: StoredReceipt): CopyFacts {
  let facts = copyFacts.get(copy);
  if (!facts) {
    facts = { canonical: canonicalReceipt(contentOf(copy)), shown: publicReceipt(copy) };
    copyFacts.set(copy, facts);
  }
  return facts;
}

/** The log part of the answer: from the check row read already, no further request. */
function logAnswer(r: CheckedReceipt, facts: CopyFacts): { log?: LogAnswer } {
  if (!r.log) return {};
  const { salt, index } = r.log;
  const saltText = toBase64(salt);
  if (facts.commitment?.salt !== saltText)
    facts.commitment = { salt: saltText, hex: receiptCommitment(salt, facts.canonical) };
  return {
    log: { salt: saltText, commitment: facts.commitment.hex, ...(index !== undefined ? { index } : {}) },
  };
}

export interface PdfCheck {
  name: PdfCheckName;
  ok: boolean;
  reason?: string;
}

/** One PAdES signature of the PDF, explained: whose, which certificate, which bytes it covers. */
export interface PdfSignatureExplained {
  index: number;
  /** What its place makes it: with two, the collecting unit's (开票单位签章) then the supervision (财政部门监制签章). */
  expectedRole: 'unit' | 'supervision';
  /** Whose published key signed (when it is one), and its department for a unit key. */
  role?: 'unit' | 'supervision';
  department?: string;
  subject?: string;
  certificateSha256?: string;
  signingTime?: string;
  byteRange: [number, number, number, number];
  /** It signs bytes 0..signedBytes-1 (but its own /Contents): the whole file, or the unit's revision, a prefix of it. */
  signedBytes: number;
  coversWholeFile: boolean;
  ok: boolean;
  failures: string[];
}

/** 200 of POST /v1/verify/pdf: every check in order; the receipt only when all of them passed. */
export interface PdfCheckAnswer extends ReceiptRelations {
  valid: boolean;
  checks: PdfCheck[];
  /** The PDF's signatures, each explained (issue 17: the unit's, then the supervision in an incremental update). */
  pdfSignatures?: PdfSignatureExplained[];
  /** Which signatures the registered receipt carries (when the PDF names one that exists). */
  signatures?: SignatureKind;
  status?: ReceiptStatus;
  receipt?: PublicReceipt;
}

const NOT_FOUND = {
  valid: false,
  error: 'not_found',
  message: 'no receipt matches this code, number and check code',
  details: [],
};

function publicReceipt(r: StoredReceipt): PublicReceipt {
  return {
    code: r.code,
    number: r.number,
    kind: r.kind,
    issueDate: r.issueDate,
    total: formatYuan(r.total),
    totalInWords: totalInWords(r),
    collectingUnit: r.collectingUnit,
    lines: r.lines.map((l) => ({
      itemCode: l.itemCode,
      name: l.name,
      unit: l.unit,
      quantity: l.quantity,
      standard: l.standard,
      amount: formatYuan(l.amount),
      ...(l.exemption ? { exemption: l.exemption } : {}),
    })),
    payer: maskPayer(r.payer),
  };
}

/**
 * Which signatures a receipt carries: `two` (the collecting unit's and the bureau's supervision
 * signature, issue 17) or `bureau_only` (receipts issued before: the bureau key's one signature
 * over the canonical form, checked as it always was).
 */
export type SignatureKind = 'two' | 'bureau_only';

/** One signature that does not hold: whose (unit, supervision, or an older receipt's bureau one), the code and why. */
export interface SignatureFailure {
  signature: SignatureRole | 'bureau';
  code: TwoSignatureErrorCode;
  message: string;
}

/**
 * Whether the stored receipt still matches the signatures made when it was issued. Every
 * signature it carries must hold; one without `signatures` must carry the older single
 * signature (so stripping the two leaves nothing that verifies: a receipt issued with two
 * never had the single one).
 */
async function checkDataSignatures(
  r: StoredReceipt,
  keys: KeyRing,
  canonical: string,
): Promise<{ kind: SignatureKind; failures: SignatureFailure[] }> {
  const kind: SignatureKind = r.signatures ? 'two' : 'bureau_only';
  const failures: SignatureFailure[] = [];
  if (r.signatures || !r.signature) {
    const report = await checkTwoSignatures(canonical, r.department, r.signatures ?? {}, keys.resolver());
    for (const check of [report.unit, report.supervision])
      if (!check.ok)
        failures.push({ signature: check.error.role, code: check.error.code, message: check.error.message });
  }
  if (r.signature) {
    const key = r.keyId ? await keys.find(r.keyId) : undefined;
    if (!key || roleOf(key) !== 'supervision')
      failures.push({
        signature: 'bureau',
        code: 'KEY_UNKNOWN',
        message: `the bureau's signature names key ${r.keyId ?? '(none)'}, which is not a published bureau key`,
      });
    else if (!verifyWithCertificate(key.certificatePem, canonical, Buffer.from(r.signature, 'base64')))
      failures.push({
        signature: 'bureau',
        code: 'SIGNATURE_INVALID',
        message: "the bureau's signature does not match the receipt's data",
      });
  }
  return { kind, failures };
}

/**
 * Receipts whose signatures verified in this process, by their canonical data and signatures:
 * for checks of a whole PDF, whose receipt row is read anew each time. (A public check keeps its
 * verdict with the parsed copy instead: CopyFacts.verified.)
 */
const verifiedReceipts = new BoundedCache<string, true>(4_096);

/**
 * checkDataSignatures, remembered: the verdict depends only on these bytes and the certificates
 * the key ids name, which never change once published. Only successes are kept (a key unknown
 * now may be published later).
 */
async function checkStoredSignatures(
  r: StoredReceipt,
  keys: KeyRing,
): Promise<{ kind: SignatureKind; failures: SignatureFailure[] }> {
  const canonical = canonicalReceipt(contentOf(r));
  const verdictKey = `${canonical}\n${JSON.stringify([r.signatures, r.signature, r.keyId])}`;
  if (verifiedReceipts.get(verdictKey)) return { kind: r.signatures ? 'two' : 'bureau_only', failures: [] };
  const verdict = await checkDataSignatures(r, keys, canonical);
  if (!verdict.failures.length) verifiedReceipts.set(verdictKey, true);
  return verdict;
}

function explained(d: PdfSignatureDetail): PdfSignatureExplained {
  return {
    index: d.index,
    expectedRole: d.expectedRole,
    ...(d.role ? { role: d.role } : {}),
    ...(d.department ? { department: d.department } : {}),
    ...(d.signer ? { subject: d.signer.subject, certificateSha256: d.signer.certificateSha256 } : {}),
    ...(d.signingTime ? { signingTime: d.signingTime.toISOString() } : {}),
    byteRange: d.byteRange,
    signedBytes: d.signedLength,
    coversWholeFile: d.coversWholeFile,
    ok: d.ok,
    failures: d.failures,
  };
}

function relations(r: StoredReceipt): ReceiptRelations {
  return {
    ...(r.reversedBy ? { reversedBy: r.reversedBy } : {}),
    ...(r.reverses ? { reverses: r.reverses } : {}),
  };
}

/** Public verification: by code, number and check code; of a whole PDF; and the published keys. */
export const handler = groupHandler('verify', {
  verifyReceipt: async (req) => {
    emitMetric('Verifications');
    const deps = getDeps();
    const query = req.input?.query; // null when malformed: the same 404 as a miss
    const receipt = query ? await deps.checks.recordCheck(query, query.checkCode) : undefined;
    // Counts are written in batches (CheckRepository); in Lambda this is where they are due.
    await deps.checks.flushIfDue().catch((error) => logger.warn('check counts not written yet', { error }));
    if (!receipt) return json(404, NOT_FOUND);
    if ('unreadable' in receipt)
      return json(200, {
        valid: false,
        error: 'tampered',
        message: `the stored receipt can no longer be read: ${receipt.unreadable}`,
        checks: receipt.checks,
      } satisfies VerifyAnswer);
    const facts = factsOf(receipt.copy);
    const { kind, failures } = facts.verified
      ? { kind: facts.verified, failures: [] }
      : await checkDataSignatures(receipt.copy, deps.keys, facts.canonical);
    if (failures.length)
      return json(200, {
        valid: false,
        error: 'tampered',
        message: `the stored receipt no longer matches the signatures made when it was issued: ${failures.map((f) => f.message).join('; ')}`,
        signatures: kind,
        failures,
        checks: receipt.checks ?? 0,
        ...logAnswer(receipt, facts),
      } satisfies VerifyAnswer);
    facts.verified = kind;
    return json(200, {
      valid: true,
      signatures: kind,
      status: receipt.status,
      receipt: facts.shown,
      ...relations(receipt),
      checks: receipt.checks ?? 0,
      ...logAnswer(receipt, facts),
    } satisfies VerifyAnswer);
  },

  /**
   * The receipt's inclusion proof (C2SP tlog-proof) in the latest checkpoint, for the holder
   * (same query and same 404 as the check; not counted as a check). 409 while the receipt is
   * not in a published checkpoint yet.
   */
  getLogProof: async (req) => {
    const query = req.input?.query;
    const position = query ? await getDeps().checks.logPosition(query, query.checkCode) : undefined;
    if (position === undefined) return json(404, NOT_FOUND);
    if (position === null)
      throw new AppError('not_found', 'this receipt was completed before the transparency log existed');
    const out = await receiptLogProof(await logTiles(), position.index);
    if (out.kind === 'not_yet')
      throw new AppError(
        'conflict',
        position.index === undefined
          ? 'the receipt is not in the log yet: it will be in the next checkpoint (within seconds); try again'
          : `the receipt is entry ${position.index}, beyond the latest checkpoint (size ${out.size}): it will be in the next one; try again`,
      );
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        'content-disposition': `attachment; filename="${query!.code}-${query!.number}${TLOG_PROOF_EXTENSION}"`,
        // The proof names a checkpoint that the next one supersedes (it stays valid).
        'cache-control': 'no-store',
      },
      body: out.text,
    };
  },

  getVerifiedPdf: async (req) => {
    const deps = getDeps();
    const query = req.input?.query;
    const receipt = query ? await deps.receipts.getReceipt(query) : undefined;
    const pdf =
      receipt && receipt.checkCode === query?.checkCode ? await deps.receipts.getPdf(receipt) : undefined;
    if (!pdf) return json(404, NOT_FOUND);
    return binary('application/pdf', pdf, {
      'content-disposition': `inline; filename="${receipt!.code}-${receipt!.number}.pdf"`,
    });
  },

  verifyPdf: async (req) => {
    emitMetric('Verifications');
    const deps = getDeps();
    const pdf = new Uint8Array(req.rawBody as Buffer);
    const keys = await deps.keys.published();
    // The receipt it names and its embedded data first: the unit signature must be the key of
    // the receipt's department (the register's, else the embedded XML's).
    const document = await parsePdf(pdf); // once, for every reader
    const named = await readReceiptInfo(document);
    const stored = named ? await deps.receipts.getReceipt(named) : undefined;
    const embedded = await readEmbeddedData(document);
    const department =
      stored?.department ?? (embedded.einvoice.found ? embedded.einvoice.content.department : undefined);
    const report = await verifyPdfSignature(
      pdf,
      keys.map((k) => ({
        certificateDer: certificateFromPem(k.certificatePem),
        role: roleOf(k),
        ...(k.department ? { department: k.department } : {}),
      })),
      { receipt: named, ...(department ? { department } : {}) },
    );
    const readable = report.checks.find((c) => c.name === 'readable');
    if (!readable?.ok)
      throw new AppError('bad_request', `the body is not a readable PDF: ${readable?.reason ?? 'unknown'}`, [
        { path: '(body)', rule: 'unreadable_pdf', message: readable?.reason ?? 'unreadable' },
      ]);
    const checks: PdfCheck[] = [...report.checks];
    const data = await checkEmbeddedData(embedded.einvoice, {
      pdfSignatures: report.signatures.length,
      receipt: report.receipt,
      resolver: keyResolverOf(keys),
      ...(stored ? { stored } : {}),
    });
    checks.push({ name: 'embedded_data', ...data });
    checks.push(
      stored
        ? { name: 'receipt_exists', ok: true }
        : {
            name: 'receipt_exists',
            ok: false,
            reason: report.receipt
              ? `no receipt ${report.receipt.code}/${report.receipt.number} was issued`
              : 'the PDF names no receipt',
          },
    );
    let signatures: SignatureKind | undefined;
    if (stored) {
      const hash = sha256Hex(pdf);
      checks.push(
        hash === stored.pdfSha256
          ? { name: 'matches_issued_pdf', ok: true }
          : {
              name: 'matches_issued_pdf',
              ok: false,
              reason: 'the file differs from the PDF that was issued for this receipt',
            },
      );
      const { kind, failures } = await checkStoredSignatures(stored, deps.keys);
      signatures = kind;
      checks.push(
        failures.length
          ? {
              name: 'receipt_data_signature',
              ok: false,
              reason: `the stored receipt no longer matches its signatures: ${failures.map((f) => f.message).join('; ')}`,
            }
          : { name: 'receipt_data_signature', ok: true },
      );
    }
    const valid = checks.every((c) => c.ok);
    return json(200, {
      valid,
      checks,
      pdfSignatures: report.signatures.map(explained),
      ...(signatures ? { signatures } : {}),
      ...(stored && valid
        ? { status: stored.status, receipt: publicReceipt(stored), ...relations(stored) }
        : {}),
    } satisfies PdfCheckAnswer);
  },

  listKeys: async () => {
    const keys = await getDeps().keys.all();
    const logKey = await logVkey(getDeps().config);
    return json(
      200,
      {
        keys: keys.map((k) => ({
          keyId: k.keyId,
          status: k.status,
          notBefore: k.notBefore,
          notAfter: k.notAfter,
          retiredAt: k.retiredAt,
          // `supervision`: the bureau's key; `unit`: a collecting department's, with its code.
          role: roleOf(k),
          ...(k.department ? { department: k.department } : {}),
          certificatePem: k.certificatePem,
          // `ES256` with its JWK; a department's SM2 key (issue 17) `SM2` with its SPKI.
          ...publishedKeyForm(k.certificatePem),
        })),
        // The transparency log's verifier key (C2SP vkey; docs/transparency-log.md) and its
        // witnesses' keys, whose cosignatures the verification page counts.
        ...(logKey
          ? { log: { vkey: logKey, witnesses: getDeps().config.log.witnesses.map((w) => w.vkey) } }
          : {}),
      },
      { 'cache-control': 'public, max-age=300' },
    );
  },
});
