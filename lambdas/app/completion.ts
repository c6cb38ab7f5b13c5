import { logger } from '../adapters/logger.js';
import { emitMetric } from '../adapters/metrics.js';
import { sha256Hex, signSha256 } from '../adapters/signing/certificate.js';
import { p256MessageSigner } from '../adapters/signing/department-keys.js';
import { derToCompact } from '../adapters/signing/ecdsa.js';
import { newLogSalt } from '../adapters/tlog/ledger-entries.js';
import type { AlertDraft } from '../core/alerts.js';
import type { CompletedReceipt, Completion, StoredReceipt } from '../core/ports.js';
import {
  canonicalReceipt,
  contentOf,
  qrMessage,
  qrParams,
  type ReceiptRef,
  verifyUrl,
} from '../core/receipt.js';
import type { Signer } from '../core/signer.js';
import { signTwice } from '../core/two-signatures.js';
import { type Deps, onePerDeps } from './deps.js';
import { GroupCommit } from './group-commit.js';
import { superviseStuck, withIssueAlerts } from './supervision.js';

/** What issuing uses of the PDF code, which loads on the first issue (with its 4 MB font), once. */
async function loadPdfModules() {
  const [render, pades, certificate, fonts, einvoice] = await Promise.all([
    import('../adapters/pdf/render.js'),
    import('../adapters/pdf/pades.js'),
    import('../adapters/signing/certificate.js'),
    import('../adapters/pdf/fonts.js'),
    import('../core/einvoice.js'),
  ]);
  return {
    renderReceiptDocument: render.renderReceiptDocument,
    printedTexts: render.printedTexts,
    signPdfRevisions: pades.signPdfRevisions,
    einvoiceXml: einvoice.einvoiceXml,
    einvoiceViolations: einvoice.einvoiceViolations,
    certificateFromPem: certificate.certificateFromPem,
    missingGlyphs: fonts.missingGlyphs,
  };
}
let pdfModulesLoaded: ReturnType<typeof loadPdfModules> | undefined;
export const pdfModules = () =>
  (pdfModulesLoaded ??= loadPdfModules().catch((e) => {
    pdfModulesLoaded = undefined; // a failed load is tried again next time
    throw e;
  }));

/**
 * Where a receipt's PDF lies in the blob store: named by its hash, so a completion that is
 * tried again (a retry, recovery) writes a new key when its bytes differ (a new signature)
 * and never overwrites; an attempt whose transaction failed leaves its PDF under the
 * receipt's own prefix, next to the one its row names in the end. A thousand consecutive
 * numbers share a folder (a new folder per receipt cost the local store a mkdir and two more
 * fsyncs each); rows name their key, so those written as `<code>/<number>/<sha256>.pdf` before
 * are read where they are.
 */
export const receiptPdfKey = (ref: ReceiptRef, sha256: string) => `${receiptPdfPrefix(ref)}${sha256}.pdf`;
/** What every PDF key of one receipt starts with (receiptPdfKey). */
export const receiptPdfPrefix = (ref: ReceiptRef) =>
  `receipts/${ref.code}/${ref.number.slice(0, -3)}/${ref.number}-`;

/**
 * The receipt data's signatures: the collecting department's key, then the bureau's as
 * supervisor (issue 17); where departments have no keys (AWS, for now) the bureau's alone, as
 * receipts were signed before. `unitPdf`: the department's P-256 key and certificate, which
 * make the PDF's first PAdES signature (absent without department keys, and for SM2 keys:
 * PDF readers verify ECDSA, so such a PDF carries the bureau's PAdES signature alone).
 */
async function signData(
  deps: Deps,
  pending: StoredReceipt,
  signer: Signer,
): Promise<{
  data: Pick<CompletedReceipt, 'signatures' | 'signature'>;
  unitPdf?: { signer: Signer; certificatePem: string };
}> {
  const canonical = canonicalReceipt(contentOf(pending));
  if (!deps.departmentKeys)
    return {
      data: { signature: Buffer.from(await signSha256(signer, canonical)).toString('base64') },
    };
  const unit = await deps.departmentKeys.keyFor(pending.department);
  const published = await deps.keys.departmentCertificateFor(unit, pending.collectingUnit); // before it signs
  return {
    data: { signatures: await signTwice(canonical, unit.signer, p256MessageSigner(signer)) },
    ...(unit.p256 ? { unitPdf: { signer: unit.p256, certificatePem: published.certificatePem } } : {}),
  };
}

/** Completions written together at most; fewer when their writes would pass the transaction limit. */
const MAX_COMPLETIONS = 32;

/**
 * The completing transactions of a process, group-committed: receipts signed while one is
 * being written are completed together by the next, one request for many (a receipt's own
 * retry and recovery, both in this process, wait for separate ones).
 */
const completions = onePerDeps(
  (deps) =>
    new GroupCommit<Completion, boolean>({
      maxBatch: MAX_COMPLETIONS,
      touches: ({ receipt }) => [`${receipt.code}/${receipt.number}`],
      write: async (batch) => {
        for (let rest = batch; rest.length > 0; ) {
          const now = rest.slice(0, deps.receipts.completeCapacity(rest.map((w) => w.request)));
          rest = rest.slice(now.length);
          try {
            const written = await deps.receipts.complete(now.map((w) => w.request));
            now.forEach((w, i) => {
              w.resolve(written[i]!);
            });
          } catch (error) {
            for (const w of now) w.reject(error);
          }
        }
        return undefined;
      },
    }),
);

/**
 * Signs and renders a pending receipt and stores both, making it issued: the PDF goes to the
 * blob store first, then one transaction marks the receipt issued with the PDF's key and hash
 * (and stores the alerts its issue raised, `alerts`, evaluated meanwhile: issueAlertDrafts),
 * so no issued row ever names a PDF that is not stored (a failure in between leaves the
 * receipt pending, for a retry or recovery). Safe to run twice at once (a retry racing
 * recovery): only one completion is stored, the other re-reads.
 */
export async function completeReceipt(
  deps: Deps,
  pending: StoredReceipt,
  alerts: Promise<readonly AlertDraft[]> = Promise.resolve([]),
): Promise<StoredReceipt> {
  if (pending.status !== 'pending') return pending;
  const { renderReceiptDocument, signPdfRevisions, certificateFromPem, einvoiceXml } = await pdfModules();
  const signer = await deps.signer();
  const key = await deps.keys.certificateFor(signer);
  const content = contentOf(pending);
  const logSalt = Buffer.from(newLogSalt()).toString('base64');
  const { data: signed, unitPdf } = await signData(deps, pending, signer);
  const qrSignature = Buffer.from(derToCompact(await signSha256(signer, qrMessage(content)))).toString(
    'base64url',
  );
  const qrUrl = verifyUrl(deps.config.publicUrl, content, qrParams(content, signer.keyId, qrSignature));
  // A PDF/A-3b that carries the receipt's XML (with both data signatures) and its log salt,
  // signed by the collecting unit, then by the bureau in an incremental update (docs/einvoice.md).
  const unsigned = await renderReceiptDocument({
    content,
    verifyUrl: qrUrl,
    bureauName: deps.config.bureauName,
    logSalt,
    ...(signed.signatures ? { einvoiceXml: einvoiceXml(content, signed.signatures) } : {}),
  });
  const signingTime = new Date(content.issuedAt);
  const pdf = await signPdfRevisions(unsigned, [
    ...(unitPdf
      ? [
          {
            signer: unitPdf.signer,
            certificateDer: certificateFromPem(unitPdf.certificatePem),
            fieldName: 'feeproof-unit-signature',
            signingTime,
            reason: '开票单位签章 / collecting unit',
            location: deps.config.bureauName,
            name: pending.collectingUnit,
          },
        ]
      : []),
    {
      signer,
      certificateDer: certificateFromPem(key.certificatePem),
      fieldName: unitPdf ? 'feeproof-supervision-signature' : 'feeproof-signature',
      signingTime,
      reason: unitPdf
        ? '财政部门监制签章 / finance bureau supervision'
        : '非税收入电子票据 / electronic non-tax receipt',
      location: deps.config.bureauName,
      name: deps.config.bureauName,
    },
  ]);
  const pdfSha256 = sha256Hex(pdf);
  const issued: CompletedReceipt = {
    ...pending,
    status: 'issued',
    ...signed,
    qrSignature,
    keyId: signer.keyId,
    pdfSha256,
    pdfBytes: pdf.length,
    pdfKey: receiptPdfKey(pending, pdfSha256),
    completedAt: deps.now().toISOString(),
    logSalt,
  };
  await deps.blobs.putOnce(issued.pdfKey, pdf, 'application/pdf');
  const completed = await withIssueAlerts(deps, pending, await alerts, (stored) =>
    completions(deps).submit({ receipt: issued, alerts: stored }),
  );
  if (completed) {
    emitMetric('ReceiptsIssued');
    return issued;
  }
  const ref = { code: pending.code, number: pending.number };
  // Completed meanwhile by a retry or by recovery: theirs is the one stored.
  const stored = await deps.receipts.getReceipt(ref);
  if (!stored || stored.status === 'pending')
    throw new Error(`receipt ${ref.code}/${ref.number} is not complete after its completion`);
  return stored;
}

/** Pending receipts read at a time by recovery. */
const RECOVERY_PAGE = 500;

export interface RecoveryOptions {
  /** Receipts younger than this are left to their own request. */
  minAgeMs?: number;
  /** Epoch ms: it stops between receipts then (a Lambda's remaining time). */
  until?: number;
  /** Pending receipts read at a time. */
  pageSize?: number;
}

/**
 * Completes every pending receipt older than `minAgeMs`: run at start-up locally (and on a
 * timer by the local cluster) and on a schedule in AWS. A page of the oldest is read at a time,
 * again while the last one completed any (a range is read from the first number the last read
 * found pending: ReceiptRepository.pending), and one that failed is not tried again in this run
 * (a failing signer fails them all: one page, then stop). `stuck` counts those pending past the
 * stuck threshold (the alarm's metric).
 */
export async function recoverPending(
  deps: Deps,
  { minAgeMs = 0, until = Number.POSITIVE_INFINITY, pageSize = RECOVERY_PAGE }: RecoveryOptions = {},
): Promise<{ completed: number; failed: number; stuck: number }> {
  let completed = 0;
  let failed = 0;
  let stuck = 0;
  const cutoff = deps.now().getTime() - minAgeMs;
  const seen = new Set<string>();
  for (let progress = true; progress && Date.now() < until; ) {
    const page = await deps.receipts.pending(pageSize, { advance: true });
    const fresh = page.filter((p) => !seen.has(`${p.code}/${p.number}`));
    for (const p of fresh) seen.add(`${p.code}/${p.number}`);
    stuck += await superviseStuck(deps, fresh);
    progress = false;
    for (const pending of fresh) {
      if (Date.parse(pending.issuedAt) > cutoff || Date.now() >= until) continue;
      try {
        await completeReceipt(deps, pending);
        completed++;
        progress = true; // read again: more may be behind it, and the read records what is complete
      } catch (error) {
        failed++;
        logger.error('recovery could not complete a receipt', {
          receipt: `${pending.code}/${pending.number}`,
          department: pending.department,
          issuedAt: pending.issuedAt,
          error,
        });
      }
    }
  }
  return { completed, failed, stuck };
}
