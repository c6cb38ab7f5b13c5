/**
 * How the audit reads find their rows: which index and partitions a query reads (from the key
 * scheme in keys.ts), how much one request may read, and the cursor that resumes it.
 */
import { dayEndInstant, dayStartInstant, type IsoDate } from '../../core/dates.js';
import { badRequest } from '../../core/errors.js';
import {
  ISSUED_SK,
  LISTING_INDEX,
  type ListingPrefix,
  listingMonth,
  monthListingPartition,
  RECEIPT_INDEXES,
  type ReceiptIndex,
} from './keys.js';

/** Month partitions (`yyyy-mm`) read newest first, only those the record says have rows. */
export interface MonthPartitions {
  first: string;
  last: string;
  of: (month: string) => string;
  /**
   * What records the months with rows: the running totals' day rows (receipts), a listing's
   * months row, or nothing (every month of the range is read).
   */
  record: 'totals' | { listing: ListingPrefix } | 'none';
}

/** One audit read: where its rows are and the inclusive bounds of their sort key. */
export interface ReadPlan {
  table: 'receipts' | 'ledger';
  index: string;
  partitionAttr: string;
  sortAttr: string;
  partition: string | MonthPartitions;
  from: string;
  to: string;
}

export interface ReceiptFilters {
  payerId?: string;
  payerName?: string;
  itemCode?: string;
  department?: string;
}

/** The filters that have an index of their own, most selective first: the first given picks it. */
const INDEXED: readonly (readonly [keyof ReceiptFilters, Exclude<ReceiptIndex, 'by-month'>])[] = [
  ['payerId', 'by-payer-id'],
  ['payerName', 'by-payer-name'],
  ['itemCode', 'by-item'],
  ['department', 'by-department'],
];

/**
 * The receipts of a date range (bureau-zone dates, both included) that match the filters:
 * the most selective indexed filter picks one partition; without one, the by-month index is
 * read month by month. The other filters are applied to what the index returns. Never a scan.
 */
export function planReceipts(filters: ReceiptFilters, range: { from: IsoDate; to: IsoDate }): ReadPlan {
  const base = {
    table: 'receipts' as const,
    sortAttr: ISSUED_SK,
    from: dayStartInstant(range.from),
    to: dayEndInstant(range.to),
  };
  for (const [filter, index] of INDEXED) {
    const value = filters[filter];
    if (value === undefined) continue;
    const { attribute, partition } = RECEIPT_INDEXES[index];
    return { ...base, index, partitionAttr: attribute, partition: partition(value) };
  }
  const byMonth = RECEIPT_INDEXES['by-month'];
  return {
    ...base,
    index: 'by-month',
    partitionAttr: byMonth.attribute,
    // A receipt's month is its issue date's, in the bureau's zone, as the range's dates are.
    partition: {
      first: range.from.slice(0, 7),
      last: range.to.slice(0, 7),
      of: byMonth.partition,
      record: 'totals',
    },
  };
}

/**
 * Which listings keep a record of their months (keys.ts listingMonthsKey). Events are written
 * by the transactions of several repositories (events.ts eventPut), which do not note their
 * months yet: an events listing reads every month of its range, bounded per request all the same.
 */
const RECORDED_LISTINGS: ReadonlySet<ListingPrefix> = new Set(['ALERTS']);

/** Alerts or events of a date range (bureau-zone dates), newest first. */
export function planListing(prefix: ListingPrefix, range: { from: IsoDate; to: IsoDate }): ReadPlan {
  const from = dayStartInstant(range.from);
  const to = dayEndInstant(range.to);
  return {
    table: 'ledger',
    index: LISTING_INDEX.name,
    partitionAttr: LISTING_INDEX.partition,
    sortAttr: LISTING_INDEX.sort,
    from,
    to,
    partition: {
      // Listing rows sit in their instant's month (UTC), so the range's instants give the months.
      first: listingMonth(from),
      last: listingMonth(to),
      of: (month) => monthListingPartition(prefix, month),
      record: RECORDED_LISTINGS.has(prefix) ? { listing: prefix } : 'none',
    },
  };
}

/**
 * How much one request may read, whatever range it asks: DynamoDB requests and rows examined.
 * When either runs out the answer is what was found so far, with a cursor to go on.
 */
export class Budget {
  constructor(
    public requests: number,
    public rows: number,
  ) {}
  static perRequest = () => new Budget(20, 1_000);
  static unbounded = () => new Budget(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
  use(requests: number, rows = 0) {
    this.requests -= requests;
    this.rows -= rows;
  }
  get spent() {
    return this.requests <= 0 || this.rows <= 0;
  }
}

/**
 * Where a read resumes: the month partition (absent for one fixed partition) and the index key
 * to start after (DynamoDB's LastEvaluatedKey, or the key of the last row returned). Without a
 * key: the newest month at or before `m` that has rows, from its top.
 */
export interface Cursor {
  m?: string;
  k?: Record<string, string>;
}

export const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The cursor a client sent back, if this plan can have made it; otherwise a 400. */
export function decodeCursor(text: string | undefined, plan: ReadPlan): Cursor {
  if (!text) return {};
  const cursor = parse(text);
  if (!cursor || !fits(cursor, plan))
    throw badRequest('the cursor is not one this API gave for this query', [
      { path: 'cursor', rule: 'bad_cursor', message: 'cursor is invalid for this query' },
    ]);
  return cursor;
}

function parse(text: string): Cursor | null {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Cursor) : null;
  } catch {
    return null;
  }
}

/** The month is one of the plan's and the key is a key of its index within the plan's bounds. */
function fits({ m, k, ...rest }: Cursor, plan: ReadPlan): boolean {
  if (Object.keys(rest).length) return false;
  const months = typeof plan.partition === 'string' ? null : plan.partition;
  if (months) {
    if (typeof m !== 'string' || !MONTH.test(m) || m < months.first || m > months.last) return false;
  } else if (m !== undefined) return false;
  if (k === undefined) return true;
  if (!k || typeof k !== 'object') return false;
  const names = ['pk', 'sk', plan.partitionAttr, plan.sortAttr];
  const keys = Object.keys(k);
  // Strings DynamoDB takes as key values: not empty, at most 1,024 bytes (a sort key's limit).
  const keyValue = (v: unknown) => typeof v === 'string' && v.length > 0 && Buffer.byteLength(v) <= 1024;
  if (keys.length !== names.length || !names.every((n) => keyValue(k[n]))) return false;
  const partition = months ? months.of(m!) : plan.partition;
  const sort = k[plan.sortAttr]!;
  return k[plan.partitionAttr] === partition && sort >= plan.from && sort <= `${plan.to}~`;
}

/** The month before `yyyy-mm`. */
export function previousMonth(month: string): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return m === 1
    ? `${String(y - 1).padStart(4, '0')}-12`
    : `${month.slice(0, 5)}${String(m - 1).padStart(2, '0')}`;
}
