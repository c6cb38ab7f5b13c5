import type { AlertDraft } from './alerts.js';
import type { NumberRange } from './numbering.js';
import type { ReceiptContent, ReceiptRef, ReceiptStatus } from './receipt.js';
import type { TwoSignatures } from './two-signatures.js';

/**
 * The ports the application services need: the shapes they store and the stores they use.
 * Adapters (lambdas/adapters/dynamo) implement them; nothing above adapters imports an
 * adapter's types.
 */

/** Every kind of change the history records (GET /v1/audit/events filters by it). */
export const EVENT_TYPES = [
  'catalogue.created',
  'catalogue.revised',
  'catalogue.status',
  'catalogue.imported',
  'range.allocated',
  'range.closed',
  /** Finance renamed a department as its receipts print it: the name before and after, and why. */
  'department.renamed',
  'receipt.reversed',
  'charge.refused',
  'audit.read',
  /** An auditor acknowledged or resolved an alert (with a note). */
  'alert.state',
  // Payer complaints (core/complaints.ts): filed, read by an auditor, replied, resolved, contact removed.
  'complaint.filed',
  'complaint.read',
  'complaint.replied',
  'complaint.resolved',
  'complaint.contact_removed',
  /** An auditor created an export job (issue 14): who, and the query. */
  'audit.export',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One entry of the change history: kept forever, never rewritten. */
export interface LedgerEvent {
  id: string;
  type: EventType;
  at: string;
  actor: string;
  subject: string;
  details: Record<string, unknown>;
}

/** A receipt as stored: its content plus what completing and reversing add. */
export interface StoredReceipt extends ReceiptContent {
  status: ReceiptStatus;
  rangeId: string;
  idempotencyKey: string;
  /**
   * Receipts issued before issue 17: the bureau key's ECDSA signature (base64 DER) over SHA-256
   * of the canonical form. `keyId`: the bureau key (that signature's, and the QR signature's).
   */
  signature?: string;
  keyId?: string;
  /** The unit's and the supervisor's signatures (issue 17; lambdas/core/two-signatures.ts). */
  signatures?: TwoSignatures;
  pdfSha256?: string;
  pdfBytes?: number;
  /** Where the PDF lies in the blob store; absent on receipts completed before PDFs left DynamoDB (a PDF row). */
  pdfKey?: string;
  /** base64url r||s over qrMessage(): the QR code's offline-checkable signature. */
  qrSignature?: string;
  completedAt?: string;
  reversedBy?: ReceiptRef;
  /** Public checks so far (filled in by a public check). */
  checks?: number;
}

/** A receipt once signed and rendered: what completion stores. */
export interface CompletedReceipt extends StoredReceipt {
  /** Either both (where departments have keys) or the bureau's `signature` alone. */
  signatures?: TwoSignatures;
  qrSignature: string;
  keyId: string;
  pdfSha256: string;
  pdfBytes: number;
  pdfKey: string;
  completedAt: string;
  /**
   * Base64 of the salt (16 random bytes) of the receipt's commitment in the transparency log:
   * made at completion so that the PDF can carry it; seen by the holder (check answer, PDF) and staff.
   */
  logSalt: string;
}

/** What an Idempotency-Key was used for, and the receipt it made. */
export interface IdempotencyRecord {
  department: string;
  key: string;
  operation: 'issue' | 'reverse';
  requestHash: string;
  code: string;
  number: string;
  createdAt: string;
}

/** One receipt of a batch that takes consecutive numbers. */
export interface TakeEntry {
  receipt: StoredReceipt;
  idem: IdempotencyRecord;
  event?: LedgerEvent;
}

/** A signed receipt to store as issued, with the alerts its issue raised (each keyed by it, their month noted). */
export interface Completion {
  receipt: CompletedReceipt;
  alerts?: readonly (AlertDraft & { id: string; at: string })[];
}

export type TakeFailure = 'range_moved' | 'idempotency_taken' | 'original_not_reversible';

/** Why numbers could not be taken: the whole batch must retry, or one entry is to blame. */
export type TakeOutcome =
  | { ok: true }
  /** `current`: the range as the failed condition found it, when it did (no read needed to retry). */
  | { ok: false; reason: 'range_moved'; current?: NumberRange }
  | { ok: false; reason: TakeFailure; entry: number };

/** A department's number ranges for one receipt code: the one it issues from and those waiting. */
export interface RangeSlot {
  current?: NumberRange;
  queued: string[];
}

export interface RangeStore {
  getRange(id: string): Promise<NumberRange | undefined>;
  slot(department: string, code: string): Promise<RangeSlot>;
  listRanges(): Promise<NumberRange[]>;
  /**
   * Allocates the next numbers of a code; null when another change to the department's ranges
   * won. `departmentName`: the department's printed name, written in the same transaction.
   */
  allocateRange(
    department: string,
    code: string,
    size: number,
    actor: string,
    at: Date,
    mode: 'open_or_queue' | 'open_only',
    departmentName?: string,
  ): Promise<NumberRange | null>;
  /** Opens the first queued range in place of an exhausted or closed one; false when there is none or another did. */
  openQueuedRange(department: string, code: string): Promise<boolean>;
  closeRange(id: string, actor: string, reason: string, at: Date): Promise<NumberRange | undefined>;
}

export interface ReceiptStore {
  getReceipt(ref: ReceiptRef): Promise<StoredReceipt | undefined>;
  /** The receipt's PDF (from the blob store, or an older receipt's PDF row), checked against its SHA-256. */
  getPdf(receipt: StoredReceipt): Promise<Uint8Array | undefined>;
  getIdempotency(department: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** How many of these entries, from the first, one takeNumbers can write (at least one). */
  takeCapacity(entries: readonly TakeEntry[]): number;
  takeNumbers(range: NumberRange, entries: readonly TakeEntry[]): Promise<TakeOutcome>;
  /** How many of these completions, from the first, one `complete` can write (at least one). */
  completeCapacity(completions: readonly Completion[]): number;
  /**
   * Completes receipts in one transaction: for each, false when it was completed already (by a
   * retry or by recovery), true when this call completed it. Their PDFs are in the blob store
   * by then. A failure that says nothing about the data (throttling, a conflict that lasts) is
   * thrown, and then none of them was written.
   */
  complete(completions: readonly Completion[]): Promise<boolean[]>;
  /**
   * The oldest receipts whose number is taken but which are not complete, of `ranges` (all by
   * default); `advance` records what is complete so that the next call reads less (recovery).
   */
  pending(
    limit?: number,
    o?: { ranges?: readonly NumberRange[]; advance?: boolean },
  ): Promise<StoredReceipt[]>;
  listByDepartment(department: string): Promise<StoredReceipt[]>;
}

/** A receipt's place in the transparency log, as its check row holds it (issue 13). */
export interface LogPosition {
  /** The salt of its commitment (16 bytes or more). */
  salt: Uint8Array;
  /** Its index, once the sequencer has given it one. */
  index?: number;
}

/** What a public check reads: the receipt and, where it was logged, its log position. */
export interface CheckedReceipt extends StoredReceipt {
  log?: LogPosition;
  /**
   * The stored copy as parsed: the same object for every check of the same stored text (a copy
   * altered is other text, another object), so what is derived from it alone can be kept by it.
   * Shared: never changed by a reader.
   */
  copy: StoredReceipt;
}

/** A complete receipt whose stored copy can no longer be read (altered behind the service's back). */
export interface UnreadableCopy {
  /** Why it cannot be read. */
  unreadable: string;
  checks: number;
}

export interface CheckStore {
  /**
   * Counts a public check; the receipt only when the check code matches a complete receipt (or
   * what is wrong with its copy, when that cannot be read).
   */
  recordCheck(ref: ReceiptRef, checkCode: string): Promise<CheckedReceipt | UnreadableCopy | undefined>;
  /**
   * The receipt's log position when the check code matches a complete receipt, without counting
   * a check (the proof download); null when the receipt was completed before the log existed.
   */
  logPosition(ref: ReceiptRef, checkCode: string): Promise<LogPosition | null | undefined>;
  /** How many public checks a receipt has had (0 before it is complete). */
  count(ref: ReceiptRef): Promise<number>;
  /** Writes the counts held when the oldest is an interval old (the end of a Lambda invocation). */
  flushIfDue(): Promise<void>;
  /** Writes every count held (a graceful stop). */
  flush(): Promise<void>;
}

export interface DepartmentDirectory {
  /**
   * The collecting unit's name as receipts print it: cached for a few seconds (a rename in another
   * process reaches this one's receipts within that bound); `fresh` reads it now, for a listing
   * that finance or an auditor reads right after a rename.
   */
  name(department: string, options?: { fresh?: boolean }): Promise<string | undefined>;
  setName(department: string, name: string): Promise<void>;
  /**
   * Renames a department, the `department.renamed` event with it (one write): the name it had
   * (undefined: none), or null when it had this name already (nothing written). `now` dates
   * each attempt, so that renames racing one another are recorded in the order they were written.
   */
  rename(
    department: string,
    name: string,
    actor: string,
    reason: string,
    now: () => Date,
  ): Promise<string | undefined | null>;
  /** Drops this process's copy of the name, after a rename written with a range (allocateRange). */
  forget(department: string): void;
}

/** Who asks: the signed-in staff member's name and, for a collector, department. */
export interface Actor {
  username: string;
  department?: string;
}

/**
 * Write-once blobs by key (receipt PDFs): S3 under Object Lock in AWS, a directory under the
 * data directory locally. Nothing stored is ever replaced or deleted through this port.
 */
export interface BlobStore {
  /**
   * Stores the bytes under a key that has none. The same bytes again are accepted (a retried
   * completion); different bytes under a stored key are refused with an error.
   */
  putOnce(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<Uint8Array | undefined>;
  exists(key: string): Promise<boolean>;
}

/**
 * Where audit export jobs write their CSV (issue 14): an exports bucket in AWS (not the receipts
 * bucket: exports expire), a directory under the data directory locally.
 */
export interface ExportFiles {
  /** Writes a job's file from its chunks as they come; answers its size in bytes. */
  write(id: string, chunks: AsyncIterable<string>): Promise<number>;
  /** A URL that serves the finished file, and until when. */
  downloadUrl(id: string, now: Date): Promise<{ url: string; expiresAt: string }>;
}
