import type { ChargedLine } from './charge.js';
import { type IsoDate, shiftDays } from './dates.js';
import type { Fen } from './money.js';
import type { ReceiptContent } from './receipt.js';

/**
 * Running totals: per day and department, and per day and item. Issuing a receipt adds to them
 * in the same transaction that takes its number, so a year's totals are a sum of at most 366
 * days' rows, never a scan of receipts. They are stored a department's day at a time
 * (DepartmentTotals); a year is its days (lastClosedDay says how it is read).
 */
export interface Totals {
  issuedCount: number;
  issuedAmount: Fen;
  reversedCount: number;
  /** Positive: the amount of red receipts, without their minus sign. */
  reversedAmount: Fen;
}

export type TotalsKey = `DEPT#${string}` | `ITEM#${string}`;

export interface TotalsRow extends Totals {
  /** A day (yyyy-mm-dd); a year (yyyy) where a row sums a year's days. */
  day: IsoDate | string;
  key: TotalsKey;
  /** An item row's department (absent from item rows written one per key, before 1979342). */
  department?: string;
}

export const ZERO: Totals = { issuedCount: 0, issuedAmount: 0, reversedCount: 0, reversedAmount: 0 };

export function addTotals(a: Totals, b: Totals): Totals {
  return {
    issuedCount: a.issuedCount + b.issuedCount,
    issuedAmount: a.issuedAmount + b.issuedAmount,
    reversedCount: a.reversedCount + b.reversedCount,
    reversedAmount: a.reversedAmount + b.reversedAmount,
  };
}

/** What one receipt adds: to its department once and to each item per line, on its day. */
export function totalsOf(
  receipt: Pick<ReceiptContent, 'kind' | 'issueDate' | 'department' | 'total'> & {
    lines: readonly Pick<ChargedLine, 'itemCode' | 'amount'>[];
  },
): TotalsRow[] {
  const red = receipt.kind === 'red';
  const one = (amount: Fen): Totals =>
    red
      ? { ...ZERO, reversedCount: 1, reversedAmount: 0 - amount }
      : { ...ZERO, issuedCount: 1, issuedAmount: amount };
  const day = receipt.issueDate;
  return [
    { day, key: `DEPT#${receipt.department}` as TotalsKey, ...one(receipt.total) },
    ...receipt.lines.map((l) => ({
      day,
      key: `ITEM#${l.itemCode}` as TotalsKey,
      department: receipt.department,
      ...one(l.amount),
    })),
  ];
}

/**
 * Days this close to today may still be added to; older ones never change again: a receipt's
 * day is the day its number is taken, and that transaction commits within seconds.
 */
export const OPEN_DAYS = 2;

/**
 * The last day of `year` that can no longer change on `today` (undefined while none can). A
 * year's totals are the sum of its day rows; the sum of its closed days is kept in one row per
 * department, brought forward by the reads (adapters/dynamo/year-totals.ts), so that a year
 * costs that row and the last few days' rows, not 366, and taking a number writes only its day.
 */
export function lastClosedDay(year: string, today: IsoDate): IsoDate | undefined {
  const closed = shiftDays(today, -OPEN_DAYS);
  if (closed < `${year}-01-01`) return undefined;
  return closed > `${year}-12-31` ? `${year}-12-31` : closed;
}

/** Rows summed by key, whatever their day. */
export function sumByKey(rows: readonly TotalsRow[]): Map<TotalsKey, Totals> {
  const sums = new Map<TotalsKey, Totals>();
  for (const row of rows) sums.set(row.key, addTotals(sums.get(row.key) ?? ZERO, row));
  return sums;
}

/** Adds up rows with the same day and key (a batch of receipts writes each row once). */
export function mergeTotals(rows: readonly TotalsRow[]): TotalsRow[] {
  const merged = new Map<string, TotalsRow>();
  for (const row of rows) {
    const id = `${row.day}|${row.key}`;
    const prev = merged.get(id);
    merged.set(id, prev ? { ...prev, ...addTotals(prev, row) } : { ...row });
  }
  return [...merged.values()];
}

/**
 * How the running totals are stored: one row per day and department, holding the department's
 * totals and each of its items'. A receipt's items are its department's, so taking its number
 * writes one row, where a row per key (and a year row beside each) wrote four.
 */
export interface DepartmentTotals {
  /** A day (yyyy-mm-dd), or a year (yyyy) for the sum of its closed days. */
  day: IsoDate | string;
  department: string;
  totals: Totals;
  /** By item code. */
  items: Map<string, Totals>;
}

/** What these receipts add, a department's day at a time. */
export function departmentTotals(receipts: readonly Parameters<typeof totalsOf>[0][]): DepartmentTotals[] {
  const days = new Map<string, { day: string; department: string; rows: TotalsRow[] }>();
  for (const receipt of receipts) {
    const id = `${receipt.issueDate}|${receipt.department}`;
    const d = days.get(id) ?? { day: receipt.issueDate, department: receipt.department, rows: [] };
    d.rows.push(...totalsOf(receipt));
    days.set(id, d);
  }
  return [...days.values()].map(({ day, department, rows }) => foldRows(day, department, rows));
}

/**
 * A department's rows, its own and its items' (of any days), summed as one DepartmentTotals of
 * `day`: what rowsOf unfolds.
 */
export function foldRows(
  day: IsoDate | string,
  department: string,
  rows: readonly TotalsRow[],
): DepartmentTotals {
  const folded: DepartmentTotals = { day, department, totals: ZERO, items: new Map() };
  for (const row of rows)
    if (row.key.startsWith('ITEM#')) {
      const code = row.key.slice(5);
      folded.items.set(code, addTotals(folded.items.get(code) ?? ZERO, row));
    } else folded.totals = addTotals(folded.totals, row);
  return folded;
}

/** A department's day as the rows it holds: the department's, then each item's. */
export function rowsOf({ day, department, totals, items }: DepartmentTotals): TotalsRow[] {
  return [
    { day, key: `DEPT#${department}`, ...totals },
    ...[...items].map(([code, t]): TotalsRow => ({ day, key: `ITEM#${code}`, department, ...t })),
  ];
}

export type GroupBy = 'department' | 'item' | 'day' | 'month';

export interface TotalsGroup extends Totals {
  group: string;
  netAmount: Fen;
}

/**
 * Groups totals rows: by department or item (their own rows), or by day or month (the
 * department rows, which count every receipt exactly once).
 */
export function groupTotals(rows: readonly TotalsRow[], groupBy: GroupBy): TotalsGroup[] {
  const groups = new Map<string, Totals>();
  for (const row of rows) {
    const isItem = row.key.startsWith('ITEM#');
    if ((groupBy === 'item') !== isItem) continue;
    const group =
      groupBy === 'department' || groupBy === 'item'
        ? row.key.slice(5)
        : groupBy === 'day'
          ? row.day
          : row.day.slice(0, 7);
    groups.set(group, addTotals(groups.get(group) ?? ZERO, row));
  }
  return [...groups.entries()]
    .map(([group, t]) => ({ group, ...t, netAmount: t.issuedAmount - t.reversedAmount }))
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
}
