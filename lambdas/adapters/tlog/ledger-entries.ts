import { randomBytes } from 'node:crypto';
import { canonicalJson } from '../../core/canonical.js';
import type { ItemVersion } from '../../core/catalogue.js';
import { formatYuan } from '../../core/money.js';
import type { NumberRange } from '../../core/numbering.js';
import { canonicalReceipt, contentOf, type ReceiptContent, type ReceiptRef } from '../../core/receipt.js';
import { versionOut } from '../../core/schemas.js';
import {
  type CatalogueEntry,
  MIN_SALT_BYTES,
  type RangeEntry,
  RECEIPT_ENTRY_VERSION,
  type ReceiptEntryV2,
  type ReversalEntry,
  receiptCommitment,
} from '../../core/tlog/entries.js';
import { sha256, toHex } from '../../core/tlog/hash.js';

/**
 * The log entry of each fact the ledger commits (core/tlog/entries.ts: receipts in schema v2, the
 * rest v1), built from the rows the committing transaction writes. Public identifiers and
 * amounts only; see docs/transparency-log.md.
 */

/** A fresh commitment salt for one receipt (kept on its check row, shown only to its holder). */
export const newLogSalt = (): Uint8Array => new Uint8Array(randomBytes(MIN_SALT_BYTES));

const ref = (r: ReceiptRef): ReceiptRef => ({ code: r.code, number: r.number });

export function receiptLogEntry(receipt: ReceiptContent, salt: Uint8Array): ReceiptEntryV2 {
  const content = contentOf(receipt);
  return {
    v: RECEIPT_ENTRY_VERSION,
    type: 'receipt',
    code: content.code,
    number: content.number,
    kind: content.kind,
    department: content.department,
    issueDate: content.issueDate,
    total: formatYuan(content.total),
    lines: content.lines.map((l) => ({ itemCode: l.itemCode, amount: formatYuan(l.amount) })),
    ...(content.reverses ? { reverses: ref(content.reverses) } : {}),
    commitment: receiptCommitment(salt, canonicalReceipt(content)),
  };
}

export function reversalLogEntry(original: ReceiptRef, red: ReceiptRef): ReversalEntry {
  return { v: 1, type: 'reversal', original: ref(original), reversedBy: ref(red) };
}

export function catalogueLogEntry(v: ItemVersion): CatalogueEntry {
  return {
    v: 1,
    type: 'catalogue',
    itemCode: v.code,
    version: v.version,
    change: v.changeType,
    department: v.department,
    effectiveFrom: v.effectiveFrom,
    status: v.status,
    contentSha256: toHex(sha256(new TextEncoder().encode(canonicalJson(versionOut(v))))),
  };
}

/** A range's allocation, or its closure with `next` as the first number never taken. */
export function rangeLogEntry(event: 'allocated' | 'closed', range: NumberRange): RangeEntry {
  return {
    v: 1,
    type: 'range',
    event,
    rangeId: range.id,
    department: range.department,
    code: range.code,
    first: range.first,
    last: range.last,
    ...(event === 'closed' ? { firstUnused: range.next } : {}),
  };
}
