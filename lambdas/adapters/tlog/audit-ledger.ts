import { parseSignedYuan } from '../../core/money.js';
import { canonicalReceipt, contentOf, type ReceiptContent } from '../../core/receipt.js';
import {
  type LogEntry,
  MIN_SALT_BYTES,
  type ReceiptEntry,
  receiptCommitment,
} from '../../core/tlog/entries.js';
import { fromBase64 } from '../../core/tlog/hash.js';
import { type AuditApi, apiGet } from './audit-api.js';
import { findings } from './audit-findings.js';
import type { Check } from './log-verify.js';

/** A receipt as the auditor API answers it: the stored row, amounts in yuan. */
interface ApiReceipt {
  code: string;
  number: string;
  total: string;
  lines: { amount: string }[];
  logSalt?: string;
}

/** The auditor API's page size limit (GET /v1/audit/receipts `limit`). */
const PAGE = 500;

/**
 * The logged commitment recomputed from the ledger's row: SHA-256(logSalt ‖ canonical data).
 * Null when the row cannot give one (no salt, an amount that is not one).
 */
export function ledgerCommitment(r: ApiReceipt): string | null {
  const salt = r.logSalt ? fromBase64(r.logSalt) : null;
  const total = parseSignedYuan(r.total);
  const lines = r.lines.map((l) => ({ ...l, amount: parseSignedYuan(l.amount) }));
  if (!salt || salt.length < MIN_SALT_BYTES || total === null || lines.some((l) => l.amount === null))
    return null;
  const content = contentOf({ ...r, total, lines } as unknown as ReceiptContent);
  return receiptCommitment(salt, canonicalReceipt(content));
}

const refKey = (r: { code: string; number: string }) => `${r.code}/${r.number}`;

/**
 * The commitment of every receipt of the ledger issued between the dates, through the auditor
 * listing (500 a page: one request and one recorded audit read per 500 receipts, not one per
 * receipt). Only the commitments are kept, not the rows: 100,000 receipts stay a few MB.
 */
async function listCommitments(api: AuditApi, from: string, to: string, into: Map<string, string | null>) {
  let cursor: string | undefined;
  do {
    const q = new URLSearchParams({ from, to, limit: String(PAGE), ...(cursor ? { cursor } : {}) });
    const page = await apiGet<{ items: ApiReceipt[]; cursor?: string }>(api, `/v1/audit/receipts?${q}`);
    if (!page || !Array.isArray(page.items))
      throw new Error(`${api.base}/v1/audit/receipts did not answer a page of receipts`);
    for (const r of page.items) into.set(refKey(r), ledgerCommitment(r));
    cursor = page.cursor ?? undefined;
  } while (cursor);
}

/**
 * `feeproof log audit --api URL --token JWT` (issue 13), log to ledger: every logged receipt must
 * still be in the ledger with the data it was logged with, that is its row (data and logSalt)
 * must give the logged commitment. The ledger is read year by year through the auditor listing;
 * a logged receipt the listing lacks is looked up by its number (GET /v1/audit/receipts/{code}/
 * {number}) before it is called missing, since a row whose date was altered is listed elsewhere.
 */
export async function auditLedger(entries: readonly LogEntry[], api: AuditApi): Promise<Check> {
  const logged = entries.filter((e): e is ReceiptEntry => e.type === 'receipt');
  const ledger = new Map<string, string | null>();
  const dates = logged.map((e) => e.issueDate).sort();
  const [first, last] = [dates[0], dates.at(-1)];
  if (first && last)
    for (let y = Number(first.slice(0, 4)); y <= Number(last.slice(0, 4)); y++) {
      const from = y === Number(first.slice(0, 4)) ? first : `${y}-01-01`;
      const to = y === Number(last.slice(0, 4)) ? last : `${y}-12-31`;
      await listCommitments(api, from, to, ledger);
    }
  const found: string[] = [];
  for (const e of logged) {
    const key = refKey(e);
    let commitment = ledger.get(key);
    if (commitment === undefined) {
      const row = await apiGet<ApiReceipt>(api, `/v1/audit/receipts/${e.code}/${e.number}`);
      commitment = row ? ledgerCommitment(row) : undefined;
    }
    if (commitment === undefined) found.push(`receipt ${key} is logged but missing from the ledger`);
    else if (commitment !== e.commitment)
      found.push(`receipt ${key} is altered: its row and logSalt no longer give the logged commitment`);
  }
  return findings(
    'ledger',
    `${logged.length} logged receipts are in the ledger with the data they were logged with`,
    found,
  );
}
