import type { ChargedLine } from './charge.js';
import type { IsoDate } from './dates.js';
import type { Fen } from './money.js';
import type { ReceiptContent } from './receipt.js';

/**
 * Running totals: per day and department, and per day and item. Issuing a receipt adds to them
 * in the same transaction that takes its number, so a year's totals are a query of at most 366
 * days' rows, never a scan of receipts. They are stored a department's day at a time
 * (DepartmentTotals).
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
  /** A day (yyyy-mm-dd), or a year (yyyy) for the year's running total. */
  day: IsoDate | string;
  key: TotalsKey;
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

/**
 * What one receipt adds: to its department once and to each item per line, on its day and
 * in its year (the year rows give the alert rules a department's or an item's usual).
 */
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
  return [receipt.issueDate, receipt.issueDate.slice(0, 4)].flatMap((day) => [
    { day, key: `DEPT#${receipt.department}` as TotalsKey, ...one(receipt.total) },
    ...receipt.lines.map((l) => ({ day, key: `ITEM#${l.itemCode}` as TotalsKey, ...one(l.amount) })),
  ]);
}

export const isYearRow = (row: Pick<TotalsRow, 'day'>) => row.day.length === 4;

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
 * How the running totals are stored: one row per day (or year) and department, holding the
 * department's totals and each of its items'. A receipt's items are its department's, so taking
 * its number writes one row a day and one a year, where a row per key wrote four.
 */
export interface DepartmentTotals {
  /** A day (yyyy-mm-dd), or a year (yyyy). */
  day: IsoDate | string;
  department: string;
  totals: Totals;
  /** By item code. */
  items: Map<string, Totals>;
}

/** What these receipts add, a department's day (and year) at a time. */
export function departmentTotals(receipts: readonly Parameters<typeof totalsOf>[0][]): DepartmentTotals[] {
  const folded = new Map<string, DepartmentTotals>();
  for (const receipt of receipts)
    for (const row of totalsOf(receipt)) {
      const id = `${row.day}|${receipt.department}`;
      let d = folded.get(id);
      if (!d) {
        d = { day: row.day, department: receipt.department, totals: ZERO, items: new Map() };
        folded.set(id, d);
      }
      if (row.key.startsWith('ITEM#')) {
        const code = row.key.slice(5);
        d.items.set(code, addTotals(d.items.get(code) ?? ZERO, row));
      } else d.totals = addTotals(d.totals, row);
    }
  return [...folded.values()];
}

/** A department's day as the rows it holds: the department's, then each item's. */
export function rowsOf({ day, department, totals, items }: DepartmentTotals): TotalsRow[] {
  return [
    { day, key: `DEPT#${department}`, ...totals },
    ...[...items].map(([code, t]): TotalsRow => ({ day, key: `ITEM#${code}`, ...t })),
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
    if (isYearRow(row)) continue;
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
