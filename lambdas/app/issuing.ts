import type { z } from 'zod';
import { newEvent, recordEvent } from '../adapters/dynamo/events.js';
import { newCheckCode } from '../adapters/ids.js';
import { emitMetric } from '../adapters/metrics.js';
import { sha256Hex } from '../adapters/signing/certificate.js';
import { canonicalJson } from '../core/canonical.js';
import type { ItemVersion } from '../core/catalogue.js';
import {
  type ChargeResult,
  type ChargeViolation,
  chargeDateViolations,
  checkCharge,
} from '../core/charge.js';
import { dateInZone, type IsoDate } from '../core/dates.js';
import { AppError, conflict } from '../core/errors.js';
import { formatYuan } from '../core/money.js';
import type { Actor, IdempotencyRecord, LedgerEvent, StoredReceipt } from '../core/ports.js';
import type { ReceiptContent, ReceiptRef } from '../core/receipt.js';
import { receiptCode, redLines } from '../core/receipt.js';
import type { issueReceiptRequest } from '../core/schemas.js';
import { completeReceipt, pdfModules } from './completion.js';
import { type Deps, onePerDeps } from './deps.js';
import { NumberTaker } from './number-taker.js';
import { refuseUnprintable } from './printable.js';
import { issueAlertDrafts, superviseRefusal } from './supervision.js';

/** The hash that tells a replay (same key, same request) from a misuse of a key (same key, other request). */
export function requestHash(operation: string, department: string, body: unknown, target = ''): string {
  return sha256Hex(canonicalJson({ operation, department, target, body }));
}

/** The number taker of these dependencies: one per process, as the batching needs. */
const numberTaker = onePerDeps((deps) => new NumberTaker(deps));

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
  /**
   * Whether the key is looked up before `prepare`: a reversal's checks (the original not yet
   * reversed) would refuse its own replay. A charge is prepared first and its key is checked by
   * the taking transaction's condition, one request fewer per receipt; `prepare` must then call
   * `replayIfKnown` before recording a refusal, which a replay must not record.
   */
  lookUpFirst: boolean;
  /** Builds the content once the key is known to be new; may refuse (422) before any number is taken. */
  prepare: () => Promise<{ content: Omit<ReceiptContent, 'code' | 'number'>; event?: LedgerEvent }>;
}

/** Thrown by `prepare` (through replayIfKnown) when the key was used before: issueOnce replays it. */
class KnownKey extends Error {
  constructor(readonly record: IdempotencyRecord) {
    super('this Idempotency-Key was used before');
  }
}

/** For `prepare`: stops it with a replay when the key was used before. */
async function replayIfKnown(deps: Deps, department: string, key: string): Promise<void> {
  const existing = await deps.receipts.getIdempotency(department, key);
  if (existing) throw new KnownKey(existing);
}

/** The one path by which receipts come to exist, blue and red alike. */
async function issueOnce(
  deps: Deps,
  issuance: Issuance,
): Promise<{ receipt: StoredReceipt; replayed: boolean }> {
  const { department, idempotencyKey: key } = issuance;
  let prepared: Awaited<ReturnType<Issuance['prepare']>>;
  try {
    if (issuance.lookUpFirst) await replayIfKnown(deps, department, key);
    prepared = await issuance.prepare();
  } catch (e) {
    if (e instanceof KnownKey)
      return { receipt: await replay(deps, e.record, issuance.hash), replayed: true };
    throw e;
  }
  const { content, event } = prepared;
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
  // The alert rules need only the content and the totals, both final once the number is taken:
  // evaluated while the receipt is signed, stored by its completing transaction.
  const receipt = await completeReceipt(deps, taken, issueAlertDrafts(deps, taken));
  return { receipt, replayed: false };
}

async function collectingUnit(deps: Deps, department: string): Promise<string> {
  return (await deps.departments.name(department)) ?? department;
}

/**
 * The charge check that issuing runs, alone and pure: the charge date's own rule, then the
 * catalogue in force on that date for this department. The dry run (POST /v1/charges/check)
 * runs exactly this, so its answer is what issuing would compute.
 */
export function checkChargeOn(
  department: string,
  request: IssueRequest,
  today: IsoDate,
  maxChargeAgeDays: number,
  catalogue: ReadonlyMap<string, readonly ItemVersion[]>,
): ChargeResult & { chargeDate: IsoDate } {
  const chargeDate = request.chargeDate ?? today;
  const dateViolations = chargeDateViolations(chargeDate, today, maxChargeAgeDays);
  if (dateViolations.length) return { ok: false, violations: dateViolations, chargeDate };
  return { ...checkCharge({ department, chargeDate, lines: request.lines }, catalogue), chargeDate };
}

/**
 * The blue receipt of a charge that passed the check, as issuing numbers it; refused (422)
 * when completion could not write it (refuseUnwritable). Issuing and its dry run both build
 * it here, so the dry run refuses exactly what issuing refuses.
 */
async function writableBlueContent(
  deps: Deps,
  caller: Actor,
  request: IssueRequest,
  checked: Extract<ChargeResult, { ok: true }> & { chargeDate: IsoDate },
  now: Date,
): Promise<Omit<ReceiptContent, 'code' | 'number'>> {
  const department = caller.department!;
  const content: Omit<ReceiptContent, 'code' | 'number'> = {
    checkCode: newCheckCode(),
    kind: 'blue',
    issuedAt: now.toISOString(),
    issueDate: dateInZone(now),
    chargeDate: checked.chargeDate,
    department,
    collectingUnit: await collectingUnit(deps, department),
    payer: request.payer,
    lines: checked.lines,
    total: checked.total,
    handledBy: caller.username,
    ...(request.remark ? { remark: request.remark } : {}),
  };
  await refuseUnwritable(deps, content);
  return content;
}

/**
 * A charge checked and nothing more (the dry run): no number, no write, no refusal recorded;
 * a refused charge is the same 422 with the same violations as issuing answers, an
 * unprintable text or one the e-invoice does not hold the same 422 (refuseUnwritable).
 */
export async function dryRunCharge(deps: Deps, caller: Actor, request: IssueRequest) {
  const catalogue = await deps.catalogue.versionsForCharge(request.lines.map((l) => l.itemCode));
  const now = deps.now();
  const result = checkChargeOn(
    caller.department!,
    request,
    dateInZone(now),
    deps.config.maxChargeAgeDays,
    catalogue,
  );
  if (!result.ok)
    throw new AppError(
      'charge_rejected',
      `the charge was refused: ${result.violations.length} violation(s)`,
      result.violations,
    );
  await writableBlueContent(deps, caller, request, result, now);
  return result;
}

/** A collector's charge: checked against the catalogue in force on the charge date, then issued. */
export async function issueReceipt(
  deps: Deps,
  caller: Actor,
  key: string,
  rawBody: unknown,
  request: IssueRequest,
) {
  const department = caller.department!;
  // Read the catalogue while the idempotency record is looked up; a replay ignores it.
  const catalogue = deps.catalogue.versionsForCharge(request.lines.map((l) => l.itemCode));
  catalogue.catch(() => undefined);
  return issueOnce(deps, {
    department,
    idempotencyKey: key,
    hash: requestHash('issue', department, rawBody),
    operation: 'issue',
    lookUpFirst: false,
    prepare: async () => {
      const now = deps.now();
      const today = dateInZone(now);
      const chargeDate = request.chargeDate ?? today;
      const refuse = async (violations: ChargeViolation[]) => {
        await replayIfKnown(deps, department, key); // a replay answers its receipt, refused or not now
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
      const result = checkChargeOn(department, request, today, deps.config.maxChargeAgeDays, await catalogue);
      if (!result.ok) throw await refuse(result.violations);
      return { content: await writableBlueContent(deps, caller, request, result, now) };
    },
  });
}

/** A red reversal (冲红) of a receipt of the caller's department: negated amounts, the original named. */
export async function reverseReceipt(
  deps: Deps,
  caller: Actor,
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
    lookUpFirst: true,
    prepare: async () => {
      const stored = await deps.receipts.getReceipt(original);
      if (!stored)
        throw new AppError('not_found', `receipt ${original.code}/${original.number} does not exist`);
      if (stored.department !== department)
        throw new AppError('forbidden', 'only the issuing department may reverse a receipt');
      if (stored.kind === 'red') throw conflict('a red receipt cannot be reversed');
      if (stored.status === 'reversed') {
        // By this very key, when a copy of this request sent at once won the race after our
        // look-up: its receipt is the answer, as for any replay.
        await replayIfKnown(deps, department, key);
        throw conflict(
          `the receipt was already reversed by ${stored.reversedBy?.code}/${stored.reversedBy?.number}`,
        );
      }
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
      await refuseUnwritable(deps, content);
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

/**
 * What completion could not write is refused before a number is taken: taken, the receipt would
 * stay pending for good (no number may be skipped). A character the PDF font cannot draw (422
 * `unprintable_character`; never printed blank: the check reads the very texts the renderer
 * draws, the request's, the catalogue's, the bureau's name and the title), and a field the
 * e-invoice's XML does not hold (422 `einvoice_format`: the caller's user name as its handler
 * over 100 characters, say).
 */
async function refuseUnwritable(deps: Deps, content: Omit<ReceiptContent, 'code' | 'number'>) {
  const { printedTexts, einvoiceViolations } = await pdfModules();
  await refuseUnprintable(printedTexts(content, { bureauName: deps.config.bureauName }));
  const violations = einvoiceViolations(content);
  if (violations.length)
    throw new AppError(
      'unprocessable',
      `the receipt cannot be written as an e-invoice: ${violations.map((v) => v.message).join('; ')}`,
      violations,
    );
}
