import type { NumberRange } from '../../core/numbering.js';
import { formatReceiptNumber, type ReceiptContent, type ReceiptRef } from '../../core/receipt.js';
import type { TableId } from '../../runtime/tables.js';

/**
 * The DynamoDB key scheme: the one place that says which row lives under which key, and which
 * attributes place a receipt in each index. Writers and the audit queries both read it, so a
 * key written is a key found. Index names and key attributes are declared in runtime/tables.ts.
 */

/** The partition prefix of a receipt's rows (its row, its item-index rows, a PDF row). */
export const RECEIPT_PK_PREFIX = 'R#';
const receiptPk = (r: ReceiptRef) => `${RECEIPT_PK_PREFIX}${r.code}#${r.number}`;

export const receiptKey = (r: ReceiptRef) => ({ pk: receiptPk(r), sk: 'RECEIPT' });
export const pdfKey = (r: ReceiptRef) => ({ pk: receiptPk(r), sk: 'PDF' });
/** The receipt row of the receipt that another of its rows (same pk: item-index, PDF) belongs to. */
export const receiptRowKey = (pk: string) => ({ pk, sk: 'RECEIPT' });
/**
 * The public check row: the check code, the current status, the counter and a copy of the
 * complete receipt, so that a check is one read that returns all it shows, and counting never
 * rewrites the indexed receipt row (in AWS, an update of that row is also written to each of
 * its indexes). Its own partition (CHECK_KEY_PREFIX), so that IAM can let the public verify
 * function update these rows and no other (dynamodb:LeadingKeys, lib/functions.ts).
 */
export const CHECK_KEY_PREFIX = 'CHECK#';
export const checksKey = (r: ReceiptRef) => ({
  pk: `${CHECK_KEY_PREFIX}${r.code}#${r.number}`,
  sk: 'CHECKS',
});
/**
 * Rows that hold one number attribute per receipt of a code's block of 100 numbers (the number
 * without its last two digits), named by the receipt's number: a few writes for many receipts.
 */
const numberBlock = (r: ReceiptRef) => `${r.code}#${r.number.slice(0, -2)}`;
/** A block row's receipts and their values: every numeric attribute but the key, by number. */
export function blockValues(item: Record<string, { N?: string }>): Map<string, number> {
  const values = new Map<string, number>();
  for (const [name, value] of Object.entries(item))
    if (name !== 'pk' && name !== 'sk' && value.N !== undefined) values.set(name, Number(value.N));
  return values;
}
/**
 * The public checks' counts of a block of receipts (check-count-blocks.ts): under the check rows'
 * prefix, the one partition the public verify function may write (lib/functions.ts); a code's
 * digits never read `COUNTS`, so no check row shares a key with them.
 */
export const checkCountsKey = (r: ReceiptRef) => ({
  pk: `${CHECK_KEY_PREFIX}COUNTS#${numberBlock(r)}`,
  sk: 'COUNTS',
});
export const idempotencyKey = (department: string, key: string) => ({
  pk: `IDEM#${department}#${key}`,
  sk: 'IDEM',
});
/** A range's row: its bounds, its next number and its status (taking numbers updates it). */
export const rangeKey = (id: string) => ({ pk: `RANGE#${id}`, sk: 'RANGE' });
/**
 * A range's watermark of completion: `below`, a number below which every receipt of the range is
 * complete (ReceiptRepository.pending reads a range from it; recovery moves it up).
 */
export const rangeCompleteKey = (id: string) => ({ pk: `RANGE#${id}`, sk: 'COMPLETE' });
export const RANGE_LISTING_PARTITION = 'RANGES';
/**
 * A range's entry in the list of every range, by code and first number, written once when it is
 * allocated: the range's own row is in no index, so that taking a number writes no index entry.
 */
export const rangeListingKey = (range: Pick<NumberRange, 'code' | 'first'>) => ({
  pk: RANGE_LISTING_PARTITION,
  sk: `${range.code}#${formatReceiptNumber(range.first)}`,
});
/** The department's range slot for a receipt code: the range it issues from and the queue. */
export const rangeSlotKey = (department: string, code: string) => ({
  pk: `DEPT#${department}`,
  sk: `OPEN#${code}`,
});
/** Per receipt code: the first number no range has been given yet. */
export const allocatorKey = (code: string) => ({ pk: `CODE#${code}`, sk: 'ALLOCATOR' });
export const departmentProfileKey = (department: string) => ({ pk: `DEPT#${department}`, sk: 'PROFILE' });
/** Running totals: one row per day and grouping key (see core/totals.ts). */
export const totalsKey = (day: string, key: string) => ({
  pk: `STATS#${day.slice(0, 4)}`,
  sk: `${day}#${key}`,
});
export const totalsPartition = (year: string) => `STATS#${year}`;
/**
 * The sum of a department's closed days of a year (core/totals.ts lastClosedDay), in the year's
 * partition: `~` sorts after every date, so no range of days (`yyyy-mm-dd` to `yyyy-mm-dd~`, of
 * this year or any later one) ever reads it as a day.
 */
export const closedDaysKey = (year: string, department: string) => ({
  pk: totalsPartition(year),
  sk: `~CLOSED#DEPT#${department}`,
});
/**
 * The sort-key bounds of a year's day rows from `first` to `last` (days or months: prefixes of
 * a day). Rows of a year as a whole (`yyyy#...`, written before years were summed from their
 * days; `~CLOSED#...`) sort before and after every day and stay out. A day row exists
 * for every day with a receipt (it is written in the transaction that takes the number), so
 * these rows are also the record of which months have receipts.
 */
export const totalsDays = (year: string, first: string, last: string) => ({
  pk: totalsPartition(year),
  from: first,
  to: `${last}~`,
});

/** The attribute that sorts every receipt index. */
export const ISSUED_SK = 'issuedSk';
/** The sort key of every receipt index: issue instant, so newest first and date ranges by prefix. */
export const issuedSk = (r: Pick<ReceiptContent, 'issuedAt' | 'code' | 'number'>) =>
  `${r.issuedAt}#${r.code}#${r.number}`;

/**
 * The receipt indexes an audit query can pick, each with the attribute that holds its
 * partition key and how a filter value becomes that key (see runtime/tables.ts).
 */
export const RECEIPT_INDEXES = {
  'by-payer-id': { attribute: 'payerIdPk', partition: (payerId: string) => `PAYERID#${payerId}` },
  'by-payer-name': { attribute: 'payerNamePk', partition: (name: string) => `PAYER#${name}` },
  'by-item': { attribute: 'itemPk', partition: (itemCode: string) => `ITEM#${itemCode}` },
  'by-department': { attribute: 'deptPk', partition: (department: string) => `DEPT#${department}` },
  /** One partition per issue month (`YYYY-MM`, bureau zone): the index across departments. */
  'by-month': { attribute: 'monthPk', partition: (month: string) => `MONTH#${month}` },
} as const;
export type ReceiptIndex = keyof typeof RECEIPT_INDEXES;

/** The partition of the by-month index a receipt sits in: its issue date's month (bureau zone). */
export const receiptMonth = (r: Pick<ReceiptContent, 'issueDate'>) => r.issueDate.slice(0, 7);

/** The attributes that place a receipt row in each index. */
export function receiptIndexAttributes(receipt: ReceiptContent): Record<string, string | string[]> {
  const ix = RECEIPT_INDEXES;
  return {
    issuedSk: issuedSk(receipt),
    [ix['by-department'].attribute]: ix['by-department'].partition(receipt.department),
    [ix['by-month'].attribute]: ix['by-month'].partition(receiptMonth(receipt)),
    [ix['by-payer-name'].attribute]: ix['by-payer-name'].partition(receipt.payer.name),
    itemCodes: itemCodesOf(receipt),
    // The by-item index finds the receipt row itself for its first item code (itemIndexRows).
    [ix['by-item'].attribute]: ix['by-item'].partition(itemCodesOf(receipt)[0]!),
    ...(receipt.payer.idNumber
      ? { [ix['by-payer-id'].attribute]: ix['by-payer-id'].partition(receipt.payer.idNumber) }
      : {}),
  };
}

const itemCodesOf = (receipt: ReceiptContent) => [...new Set(receipt.lines.map((l) => l.itemCode))];

/**
 * One small row per distinct item code of a receipt but the first, for the by-item index (the
 * receipt row is the first's: one row fewer per receipt, and most receipts charge one item).
 * Receipts written before carry no itemPk and a row for every item code; either way the index
 * lists each receipt once per item code.
 */
export function itemIndexRows(receipt: ReceiptContent) {
  return itemCodesOf(receipt)
    .slice(1)
    .map((itemCode) => ({
      pk: receiptPk(receipt),
      sk: `ITEM#${itemCode}`,
      [RECEIPT_INDEXES['by-item'].attribute]: RECEIPT_INDEXES['by-item'].partition(itemCode),
      issuedSk: issuedSk(receipt),
    }));
}

/**
 * Where a dated ledger row (event, alert) sits in the `listing` index: one partition per
 * month, sorted by time. The audit listings read them back by the same layout.
 */
export function monthListingKeys(prefix: ListingPrefix, at: string, id: string) {
  return { gsi1pk: monthListingPartition(prefix, listingMonth(at)), gsi1sk: `${at}#${id}` };
}
export const monthListingPartition = (prefix: ListingPrefix, month: string) => `${prefix}#${month}`;
export type ListingPrefix = 'EVENTS' | 'ALERTS' | 'COMPLAINTS';
/** The month of a listing row: its instant's (UTC) month. */
export const listingMonth = (at: string) => at.slice(0, 7);
/** The `listing` index and its key attributes (runtime/tables.ts). */
export const LISTING_INDEX = { name: 'listing', partition: 'gsi1pk', sort: 'gsi1sk' } as const;
/**
 * The record of which months of a listing have rows: one row per prefix whose `months` string
 * set gains a month before the first row of that month is written (an idempotent ADD), so a
 * listing over a wide range reads only those months. Kept for alerts (AuditRepository.raise).
 */
export const listingMonthsKey = (prefix: ListingPrefix) => ({ pk: `MONTHS#${prefix}`, sk: 'MONTHS' });

export const eventKey = (id: string) => ({ pk: `EVENT#${id}`, sk: 'EVENT' });
/** An audit export job (issue 14); its own partition prefix, which the audit function alone may write. */
export const EXPORT_KEY_PREFIX = 'EXPORT#';
export const exportJobKey = (id: string) => ({ pk: `${EXPORT_KEY_PREFIX}${id}`, sk: 'EXPORT' });
/** An alert, keyed by its finding (AlertDraft.key): a second finding is the same alert. */
export const alertKey = (finding: string) => ({ pk: `ALERT#${finding}`, sk: 'ALERT' });
/** A department's count of refused charges in one clock hour (UTC, `yyyy-mm-ddThh`). */
export const refusalsKey = (department: string, at: string) => ({
  pk: `REFUSALS#${department}`,
  sk: at.slice(0, 13),
});

/**
 * The receipt row's attribute that holds its encoded log entry, written by its completion and
 * read by the log's sequencer alone (its IAM reads no other attribute of a receipt but the keys,
 * `status`, `kind` and `reverses`: lib/transparency-log.ts).
 */
export const RECEIPT_LOG_ENTRY = 'logEntry';

const INDEX_ATTRIBUTES = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'issuedSk',
  ...Object.values(RECEIPT_INDEXES).map((i) => i.attribute),
  // Rows taken before pending receipts were found from the ranges (no index since) may carry it.
  'pendingPk',
  'itemCodes',
  // A complete receipt's log entry, which the log's sequencer takes from its row (DynamoSequence).
  RECEIPT_LOG_ENTRY,
];

/** Drops the table's key, index and log attributes from a row, leaving the domain object. */
export function stripKeys(item: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...item };
  for (const key of INDEX_ATTRIBUTES) delete rest[key];
  return rest;
}

// Payer complaints (core/complaints.ts): the complaint, its contact apart (removed after the
// retention period), and the counters of the public form's abuse limits.
export const complaintKey = (id: string) => ({ pk: `COMPLAINT#${id}`, sk: 'COMPLAINT' });
/** Complaints by the month they were filed, newest first (the `listing` index). */
export const complaintListingKeys = (filedAt: string, id: string) => ({
  gsi1pk: monthListingPartition('COMPLAINTS', listingMonth(filedAt)),
  gsi1sk: `${filedAt}#${id}`,
});
export const complaintContactKey = (id: string) => ({ pk: `COMPLAINT#${id}`, sk: 'CONTACT' });
/**
 * Contacts still held sit in one partition of the `listing` index, oldest first, so the
 * scheduled job finds those past retention with one query; removal drops the row out of it.
 */
export const CONTACTS_PARTITION = 'COMPLAINT-CONTACTS';
export const contactListingKeys = (filedAt: string, id: string) => ({
  gsi1pk: CONTACTS_PARTITION,
  gsi1sk: `${filedAt}#${id}`,
});
/** Complaints filed from one address (its hash) on one day (bureau zone). */
export const complaintAddressKey = (addressHash: string, day: string) => ({
  pk: `COMPLAINT-LIMIT#ADDR#${addressHash}`,
  sk: day,
});
/**
 * The ledger's DynamoDB TTL attribute (epoch seconds; lib/tables.ts, local/tables.ts): DynamoDB
 * deletes a row some time after it passes. Only rows meant to go carry it (the per-address
 * complaint counters); the ledger's records never do.
 */
export const TTL_ATTRIBUTE = 'ttl';
/** The one table with the TTL attribute enabled. */
export const TTL_TABLE: TableId = 'ledger';
/** Complaints filed about one receipt. */
export const complaintReceiptKey = (r: ReceiptRef) => ({
  pk: `COMPLAINT-LIMIT#${receiptPk(r)}`,
  sk: 'RECEIPT',
});

/**
 * The transparency log (docs/transparency-log.md). A committing transaction puts its entry under
 * LOGQ (sorted by commit time, then a unique id), but a receipt's completion, which leaves it on
 * the receipt's row (RECEIPT_LOG_ENTRY); the sequencer moves entries from there and from the
 * ranges' receipts, a batch at a time under the LOGHEAD counter, into batch items
 * LOG#<bundle>/<first index>. One partition
 * per entry bundle (256 entries; a batch never crosses one), so a bundle is one Query; the index
 * is zero-padded so that it sorts as a string.
 */
export const LOG_QUEUE_PK = 'LOGQ';
export const logQueueKey = (at: string, id: string) => ({ pk: LOG_QUEUE_PK, sk: `${at}#${id}` });
export const LOG_HEAD_KEY = { pk: 'LOGHEAD', sk: 'LOGHEAD' } as const;
/**
 * A range's watermark in the log: `below`, a number below which the sequencer has taken every
 * receipt of the range that completion left it (a receipt row's RECEIPT_LOG_ENTRY), moved in
 * the transaction that sequences them; `allocationQueued` while the range's allocation is not
 * logged yet (DynamoSequence). A prefix of its own, which the integrator may write, where it
 * may only read the ranges' rows.
 */
export const LOG_RANGE_PK_PREFIX = 'LOGRANGE#';
export const rangeLoggedKey = (id: string) => ({ pk: `${LOG_RANGE_PK_PREFIX}${id}`, sk: 'LOGRANGE' });
export const LOG_BUNDLE_SIZE = 256;
export const LOG_ENTRY_PK_PREFIX = 'LOG#';
export const logEntryPk = (index: number) => `${LOG_ENTRY_PK_PREFIX}${Math.floor(index / LOG_BUNDLE_SIZE)}`;
/** The batch item whose first entry is at `first`. */
export const logBatchKey = (first: number) => ({
  pk: logEntryPk(first),
  sk: String(first).padStart(15, '0'),
});
/**
 * Where the log's index of each receipt is (issue 13): one row per receipt code and block of 100
 * numbers (the number without its last two digits) in the receipts table, one attribute per
 * number sequenced (named by the number, its entry's index as value). A batch's cleanup writes
 * its receipts' indexes as a few such rows (dynamo-sequence.ts), not one write per receipt; the
 * public check reads and keeps them (log-index.ts: the verify function may GetItem any row of
 * the receipts table, and update CHECK# rows only, so not these).
 */
export const LOG_INDEX_PK_PREFIX = 'LOGINDEX#';
export const logIndexBlockKey = (r: ReceiptRef) => ({
  pk: `${LOG_INDEX_PK_PREFIX}${numberBlock(r)}`,
  sk: 'LOGINDEX',
});
/**
 * The published tree head in AWS (lambdas/adapters/tlog/s3-store.ts): LOGTREE/HEAD holds the
 * signed note and its generation, the compare-and-swap two integrators race on; LOGTREE/<generation>
 * keeps every head ever published, as the log's own history of what it signed.
 */
export const LOG_TREE_PK = 'LOGTREE';
export const LOG_TREE_HEAD_KEY = { pk: LOG_TREE_PK, sk: 'HEAD' } as const;
export const logTreeHistoryKey = (generation: number) => ({
  pk: LOG_TREE_PK,
  sk: String(generation).padStart(12, '0'),
});
