import type { z } from 'zod';
import { type LedgerEvent, newEvent, recordEvent } from '../adapters/dynamo/events.js';
import type { CompletedReceipt, IdempotencyRecord, StoredReceipt } from '../adapters/dynamo/receipt-repo.js';
import { newCheckCode } from '../adapters/ids.js';
import { emitMetric } from '../adapters/metrics.js';
import { sha256, sha256Hex } from '../adapters/signing/certificate.js';
import { derToCompact } from '../adapters/signing/ecdsa.js';
import { canonicalJson } from '../core/canonical.js';
import { checkCharge } from '../core/charge.js';
import { dateInZone } from '../core/dates.js';
import { AppError, conflict, type Violation } from '../core/errors.js';
import { formatYuan } from '../core/money.js';
import type { ReceiptContent, ReceiptRef } from '../core/receipt.js';
import {
  canonicalReceipt,
  contentOf,
  qrMessage,
  qrParams,
  receiptCode,
  redLines,
  totalInWords,
  verifyUrl,
} from '../core/receipt.js';
import type { issueReceiptRequest } from '../core/schemas.js';
import type { Deps } from './deps.js';
import type { Caller } from './http/types.js';
import { NumberTaker } from './numbering.js';
import { superviseIssue, superviseRefusal, superviseStuck } from './supervision.js';

/** The hash that tells a replay (same key, same request) from a misuse of a key (same key, other request). */
export function requestHash(operation: string, department: string, body: unknown, target = ''): string {
  return sha256Hex(canonicalJson({ operation, department, target, body }));
}

/** What the API answers for a receipt that was issued (or replayed). */
export function receiptReply(deps: Deps, r: StoredReceipt) {
  return {
    code: r.code,
    number: r.number,
    checkCode: r.checkCode,
    kind: r.kind,
    total: formatYuan(r.total),
    totalInWords: totalInWords(r),
    status: r.status,
    issuedAt: r.issuedAt,
    ...(r.reverses ? { reverses: r.reverses } : {}),
    verifyUrl: verifyUrl(
      deps.config.publicUrl,
      r,
      r.qrSignature && r.keyId ? qrParams(r, r.keyId, r.qrSignature) : {},
    ),
    pdfUrl: `${deps.config.publicUrl}/v1/receipts/${r.code}/${r.number}/pdf`,
  };
}

const takers = new WeakMap<Deps, NumberTaker>();

/** The number taker of these dependencies: one per process, as the batching needs. */
function numberTaker(deps: Deps): NumberTaker {
  let taker = takers.get(deps);
  if (!taker) {
    taker = new NumberTaker(deps);
    takers.set(deps, taker);
  }
  return taker;
}

/** What issuing uses of the PDF code, which loads on the first issue (with its 4 MB font), once. */
async function loadPdfModules() {
  const [render, pades, certificate, fonts] = await Promise.all([
    import('../adapters/pdf/render.js'),
    import('../adapters/pdf/pades.js'),
    import('../adapters/signing/certificate.js'),
    import('../adapters/pdf/fonts.js'),
  ]);
  return {
    renderReceiptDocument: render.renderReceiptDocument,
    signPdfDocument: pades.signPdfDocument,
    certificateFromPem: certificate.certificateFromPem,
    missingGlyphs: fonts.missingGlyphs,
  };
}
let pdfModulesLoaded: ReturnType<typeof loadPdfModules> | undefined;
const pdfModules = () =>
  (pdfModulesLoaded ??= loadPdfModules().catch((e) => {
    pdfModulesLoaded = undefined; // a failed load is tried again next time
    throw e;
  }));

/**
 * Signs and renders a pending receipt and stores both, making it issued. Safe to run twice
 * at once (a retry racing recovery): only one completion is stored, the other re-reads.
 */
export async function completeReceipt(deps: Deps, pending: StoredReceipt): Promise<StoredReceipt> {
  if (pending.status !== 'pending') return pending;
  const { renderReceiptDocument, signPdfDocument, certificateFromPem } = await pdfModules();
  const signer = await deps.signer();
  const key = await deps.keys.certificateFor(signer);
  const content = contentOf(pending);
  const signature = Buffer.from(await signer.signDigest(sha256(canonicalReceipt(content)))).toString(
    'base64',
  );
  const qrSignature = Buffer.from(derToCompact(await signer.signDigest(sha256(qrMessage(content))))).toString(
    'base64url',
  );
  const qrUrl = verifyUrl(deps.config.publicUrl, content, qrParams(content, signer.keyId, qrSignature));
  const unsigned = await renderReceiptDocument({
    content,
    verifyUrl: qrUrl,
    bureauName: deps.config.bureauName,
  });
  const pdf = await signPdfDocument(unsigned, signer, certificateFromPem(key.certificatePem), {
    signingTime: new Date(content.issuedAt),
    reason: '非税收入电子票据 / electronic non-tax receipt',
    location: deps.config.bureauName,
    name: deps.config.bureauName,
  });
  const issued: CompletedReceipt = {
    ...pending,
    status: 'issued',
    signature,
    qrSignature,
    keyId: signer.keyId,
    pdfSha256: sha256Hex(pdf),
    pdfBytes: pdf.length,
    completedAt: deps.now().toISOString(),
  };
  if (await deps.receipts.complete(issued, pdf)) {
    emitMetric('ReceiptsIssued');
    return issued;
  }
  const ref = { code: pending.code, number: pending.number };
  // Completed meanwhile by a retry or by recovery: theirs is the one stored.
  const stored = await deps.receipts.getReceipt(ref);
  if (!stored) throw new Error(`receipt ${ref.code}/${ref.number} vanished`);
  return stored;
}

/** Follows an idempotency record: the same request again gets the same receipt (completed if need be). */
async function replay(deps: Deps, record: IdempotencyRecord, hash: string): Promise<StoredReceipt> {
  if (record.requestHash !== hash)
    throw conflict('this Idempotency-Key was already used for a different request');
  const stored = await deps.receipts.getReceipt({ code: record.code, number: record.number });
  if (!stored)
    throw new Error(`idempotency record points at a missing receipt ${record.code}/${record.number}`);
  return completeReceipt(deps, stored);
}

export type IssueRequest = z.output<typeof issueReceiptRequest>;

interface Issuance {
  department: string;
  idempotencyKey: string;
  hash: string;
  operation: IdempotencyRecord['operation'];
  /** Builds the content once the key is known to be new; may refuse (422) before any number is taken. */
  prepare: () => Promise<{ content: Omit<ReceiptContent, 'code' | 'number'>; event?: LedgerEvent }>;
}

/** The one path by which receipts come to exist, blue and red alike. */
async function issueOnce(
  deps: Deps,
  issuance: Issuance,
): Promise<{ receipt: StoredReceipt; replayed: boolean }> {
  const { department, idempotencyKey: key } = issuance;
  const existing = await deps.receipts.getIdempotency(department, key);
  if (existing) return { receipt: await replay(deps, existing, issuance.hash), replayed: true };
  const { content, event } = await issuance.prepare();
  const idem: IdempotencyRecord = {
    department,
    key,
    operation: issuance.operation,
    requestHash: issuance.hash,
    code: '',
    number: '',
    createdAt: content.issuedAt,
  };
  const code = receiptCode(deps.config.regionCode, content.issueDate);
  const taken = await numberTaker(deps).take({ department, code, idem, content, event });
  if (!taken) {
    const winner = await deps.receipts.getIdempotency(department, key);
    if (!winner) throw new Error('idempotency record disappeared');
    return { receipt: await replay(deps, winner, issuance.hash), replayed: true };
  }
  // The alert rules need only the content and the totals, both final once the number is taken.
  const [receipt] = await Promise.all([completeReceipt(deps, taken), superviseIssue(deps, taken)]);
  return { receipt, replayed: false };
}

async function collectingUnit(deps: Deps, department: string): Promise<string> {
  return (await deps.receipts.departmentName(department)) ?? department;
}

/** A collector's charge: checked against the catalogue in force on the charge date, then issued. */
export async function issueReceipt(
  deps: Deps,
  caller: Caller,
  key: string,
  rawBody: unknown,
  request: IssueRequest,
) {
  const department = caller.department!;
  // Read the catalogue while the idempotency record is looked up; a replay ignores it.
  const catalogue = deps.catalogue.versionsByCode(request.lines.map((l) => l.itemCode));
  catalogue.catch(() => undefined);
  return issueOnce(deps, {
    department,
    idempotencyKey: key,
    hash: requestHash('issue', department, rawBody),
    operation: 'issue',
    prepare: async () => {
      const now = deps.now();
      const today = dateInZone(now);
      const chargeDate = request.chargeDate ?? today;
      const refuse = async (violations: Violation[]) => {
        emitMetric('ChargesRefused');
        const event = newEvent(
          'charge.refused',
          caller.username,
          department,
          { department, chargeDate, lines: (rawBody as { lines?: unknown }).lines, violations },
          now,
        );
        await recordEvent(deps.db, deps.config.tables.ledger, event);
        await superviseRefusal(deps, event, department, violations);
        return new AppError(
          'charge_rejected',
          `the charge was refused: ${violations.length} violation(s)`,
          violations,
        );
      };
      if (chargeDate > today)
        throw await refuse([
          {
            path: 'chargeDate',
            rule: 'charge_date_in_future',
            message: `chargeDate ${chargeDate} is after today (${today})`,
          },
        ]);
      const result = checkCharge({ department, chargeDate, lines: request.lines }, await catalogue);
      if (!result.ok) throw await refuse(result.violations);
      const content: Omit<ReceiptContent, 'code' | 'number'> = {
        checkCode: newCheckCode(),
        kind: 'blue',
        issuedAt: now.toISOString(),
        issueDate: today,
        chargeDate,
        department,
        collectingUnit: await collectingUnit(deps, department),
        payer: request.payer,
        lines: result.lines,
        total: result.total,
        handledBy: caller.username,
        ...(request.remark ? { remark: request.remark } : {}),
      };
      await refuseUnprintable(content);
      return { content };
    },
  });
}

/** A red reversal (冲红) of a receipt of the caller's department: negated amounts, the original named. */
export async function reverseReceipt(
  deps: Deps,
  caller: Caller,
  key: string,
  original: ReceiptRef,
  reason: string,
) {
  const department = caller.department!;
  return issueOnce(deps, {
    department,
    idempotencyKey: key,
    hash: requestHash('reverse', department, { reason }, `${original.code}/${original.number}`),
    operation: 'reverse',
    prepare: async () => {
      const stored = await deps.receipts.getReceipt(original);
      if (!stored)
        throw new AppError('not_found', `receipt ${original.code}/${original.number} does not exist`);
      if (stored.department !== department)
        throw new AppError('forbidden', 'only the issuing department may reverse a receipt');
      if (stored.kind === 'red') throw conflict('a red receipt cannot be reversed');
      if (stored.status === 'reversed')
        throw conflict(
          `the receipt was already reversed by ${stored.reversedBy?.code}/${stored.reversedBy?.number}`,
        );
      if (stored.status !== 'issued') throw conflict('the receipt is still being issued; retry shortly');
      const now = deps.now();
      const content: Omit<ReceiptContent, 'code' | 'number'> = {
        checkCode: newCheckCode(),
        kind: 'red',
        issuedAt: now.toISOString(),
        issueDate: dateInZone(now),
        chargeDate: dateInZone(now),
        department,
        collectingUnit: stored.collectingUnit,
        payer: stored.payer,
        lines: redLines(stored.lines),
        total: 0 - stored.total,
        handledBy: caller.username,
        reverses: { code: stored.code, number: stored.number },
        reason,
      };
      await refuseUnprintable(content);
      const event = newEvent(
        'receipt.reversed',
        caller.username,
        `${stored.code}/${stored.number}`,
        { department, reason, total: formatYuan(stored.total), issuedAt: stored.issuedAt },
        now,
      );
      return { content, event };
    },
  });
}

/** A character the PDF font cannot draw is refused before a number is taken, never printed blank. */
async function refuseUnprintable(content: Omit<ReceiptContent, 'code' | 'number'>) {
  const { missingGlyphs } = await pdfModules();
  // Everything printed that is not fixed text: the request's, and the catalogue's line texts
  // (an item name the font cannot draw would otherwise fail the PDF after the number is taken).
  const texts: [path: string, text: string][] = [
    ['payer.name', content.payer.name],
    ['payer.idNumber', content.payer.idNumber ?? ''],
    ['remark', content.remark ?? ''],
    ['reason', content.reason ?? ''],
    ['handledBy', content.handledBy],
    ['collectingUnit', content.collectingUnit],
    ...content.lines.flatMap((l, i): [string, string][] => [
      [`lines[${i}].name`, l.name],
      [`lines[${i}].unit`, l.unit],
      [`lines[${i}].exemption`, l.exemption ?? ''],
    ]),
  ];
  const missing = missingGlyphs(texts.map(([, t]) => t));
  if (missing.length)
    throw new AppError(
      'unprocessable',
      `the receipt font cannot print: ${missing.join(' ')}`,
      missing.map((c) => ({
        path: texts.find(([, t]) => t.includes(c))![0],
        rule: 'unprintable_character',
        message: `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} ${c} cannot be printed on the receipt`,
      })),
    );
}

/** Completes every pending receipt older than `minAgeMs`: run at start-up locally and on a schedule in AWS. */
export async function recoverPending(
  deps: Deps,
  minAgeMs = 0,
): Promise<{ completed: number; failed: number }> {
  let completed = 0;
  let failed = 0;
  const cutoff = deps.now().getTime() - minAgeMs;
  const pendingReceipts = await deps.receipts.pending(500);
  await superviseStuck(deps, pendingReceipts);
  for (const pending of pendingReceipts) {
    if (Date.parse(pending.issuedAt) > cutoff) continue;
    try {
      await completeReceipt(deps, pending);
      completed++;
    } catch {
      failed++;
    }
  }
  return { completed, failed };
}
