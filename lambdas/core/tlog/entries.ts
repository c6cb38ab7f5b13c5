import { z } from 'zod';
import { canonicalJson } from '../canonical.js';
import { DEPARTMENT_CODE } from '../receipt.js';
import { TlogError } from './errors.js';
import { hashesEqual, sha256, toHex } from './hash.js';
import { MAX_ENTRY_SIZE } from './tiles.js';

/**
 * The log's entries: UTF-8 canonical JSON (keys sorted, no whitespace; core/canonical.ts) of one
 * of the versioned shapes below. Every entry carries `v` (schema version) and `type`. An entry
 * holds public identifiers only; a receipt's full data enters as a salted commitment, so the log
 * reveals nothing about payers and never the check code. Documented in docs/transparency-log.md.
 *
 * Versions: `receipt` entries are written as v2 (each line's item code and amount, so that the
 * published per-item totals can be recomputed from the log); v1 receipt entries (item codes
 * only) stay readable, nothing writes them any more. The other types are v1.
 */
export const ENTRY_VERSION = 1;
export const RECEIPT_ENTRY_VERSION = 2;
/** The salt of a receipt commitment: 16 bytes or more, random per receipt, shown only to its holder. */
export const MIN_SALT_BYTES = 16;

const code = z.string().regex(/^\d{8}$/);
const number = z.string().regex(/^\d{10}$/);
const ref = z.strictObject({ code, number });
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const yuan = z.string().regex(/^-?\d+\.\d{2}$/);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const department = z.string().regex(DEPARTMENT_CODE);
const base = { v: z.literal(ENTRY_VERSION) };

const itemCode = z.string().min(1).max(64);
const receiptFields = {
  type: z.literal('receipt'),
  code,
  number,
  kind: z.enum(['blue', 'red']),
  department,
  issueDate: date,
  /** Yuan, negative on a red receipt. */
  total: yuan,
  /** On a red receipt: the receipt it reverses. */
  reverses: ref.optional(),
  /** hex SHA-256(salt || canonical receipt data): binds the full signed data without revealing it. */
  commitment: sha256Hex,
};

/** Schema v1 (read only): the fee item codes of the lines, in line order, without amounts. */
const receiptEntryV1 = z.strictObject({
  v: z.literal(1),
  ...receiptFields,
  items: z.array(itemCode).min(1),
});

/** Schema v2: each line's item code and amount (yuan, negative on red), in line order. */
const receiptEntryV2 = z.strictObject({
  v: z.literal(RECEIPT_ENTRY_VERSION),
  ...receiptFields,
  lines: z.array(z.strictObject({ itemCode, amount: yuan })).min(1),
});

const receiptEntry = z.discriminatedUnion('v', [receiptEntryV1, receiptEntryV2]);

const reversalEntry = z.strictObject({
  ...base,
  type: z.literal('reversal'),
  /** The original receipt whose status became `reversed`, and the red receipt that did it. */
  original: ref,
  reversedBy: ref,
});

const catalogueEntry = z.strictObject({
  ...base,
  type: z.literal('catalogue'),
  itemCode,
  version: z.number().int().positive(),
  change: z.enum(['create', 'revise', 'status', 'import']),
  department,
  effectiveFrom: date,
  status: z.enum(['active', 'suspended', 'abolished']),
  /** hex SHA-256 of the canonical JSON of the version as GET /v1/catalogue/{itemCode} publishes it. */
  contentSha256: sha256Hex,
});

const rangeEntry = z.strictObject({
  ...base,
  type: z.literal('range'),
  event: z.enum(['allocated', 'closed']),
  rangeId: z.string().min(1).max(64),
  department,
  code,
  first: z.number().int().positive(),
  last: z.number().int().positive(),
  /** On closure: the first number never taken; numbers from it to `last` are unused. */
  firstUnused: z.number().int().positive().optional(),
});

export const logEntrySchema = z.discriminatedUnion('type', [
  receiptEntry,
  reversalEntry,
  catalogueEntry,
  rangeEntry,
]);
export type LogEntry = z.infer<typeof logEntrySchema>;
export type ReceiptEntry = z.infer<typeof receiptEntry>;
export type ReceiptEntryV1 = z.infer<typeof receiptEntryV1>;
export type ReceiptEntryV2 = z.infer<typeof receiptEntryV2>;
export type ReversalEntry = z.infer<typeof reversalEntry>;
export type CatalogueEntry = z.infer<typeof catalogueEntry>;
export type RangeEntry = z.infer<typeof rangeEntry>;

const utf8 = new TextEncoder();

/** The entry's bytes as logged (and leaf-hashed). Refuses what the schema refuses. */
export function encodeEntry(entry: LogEntry): Uint8Array {
  const checked = logEntrySchema.safeParse(entry);
  if (!checked.success)
    throw new TlogError('malformed_entry', `not a log entry: ${checked.error.issues[0]?.message}`);
  const bytes = utf8.encode(canonicalJson(checked.data));
  if (bytes.length > MAX_ENTRY_SIZE)
    throw new TlogError('malformed_entry', `an entry of ${bytes.length} bytes`);
  return bytes;
}

/** Parses logged bytes; they must be exactly the canonical encoding of a valid entry. */
export function decodeEntry(bytes: Uint8Array): LogEntry {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new TlogError('malformed_entry', 'an entry is not UTF-8 JSON');
  }
  const checked = logEntrySchema.safeParse(value);
  if (!checked.success)
    throw new TlogError(
      'malformed_entry',
      `not a log entry: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  if (!hashesEqual(encodeEntry(checked.data), bytes))
    throw new TlogError('malformed_entry', 'an entry is not in canonical form');
  return checked.data;
}

/** commitment = hex SHA-256(salt || UTF-8 canonical data), salt of MIN_SALT_BYTES or more. */
export function receiptCommitment(salt: Uint8Array, canonicalData: string): string {
  if (salt.length < MIN_SALT_BYTES)
    throw new TlogError('malformed_entry', `a commitment salt is at least ${MIN_SALT_BYTES} bytes`);
  return toHex(sha256(salt, utf8.encode(canonicalData)));
}
