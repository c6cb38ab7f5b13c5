import { type Fen, formatYuan, parseSignedYuan } from '../money.js';
import { publicStats, type StatsCell, type StatsGroupBy } from '../stats.js';
import { type TotalsRow, totalsOf } from '../totals.js';
import type { LogEntry } from './entries.js';

/**
 * The public statistics (GET /v1/stats, issue 15) recomputed from the transparency log: the
 * receipt entries give back the running totals rows that issuing wrote (core/totals.ts
 * `totalsOf`, the one definition of what a receipt adds), and the published cells come from
 * them through the service's own `publicStats`, small-cell rule included. So a published
 * figure that differs from the recomputation was not made from the logged receipts.
 */

/** A cell as GET /v1/stats publishes it: amounts in yuan, null where the rule withheld them. */
export interface PublishedCell {
  group: string;
  issuedCount: number | null;
  issuedAmount: string | null;
  reversedCount: number | null;
  reversedAmount: string | null;
  netAmount: string | null;
  withheldReceipts: number;
  fewerThanMinimum: boolean;
}

export interface LogTotals {
  /** Day rows as issuing wrote them. */
  rows: TotalsRow[];
  /** Years with receipt entries of schema v1: no line amounts, so no item rows for them. */
  yearsWithoutItems: Map<string, number>;
  /** Every year with a logged receipt, ascending. */
  years: string[];
}

const fen = (yuan: string): Fen => {
  const v = parseSignedYuan(yuan);
  if (v === null) throw new Error(`not an amount: ${yuan}`); // the entry schema already refused it
  return v;
};

export function totalsFromLog(entries: readonly LogEntry[]): LogTotals {
  const rows: TotalsRow[] = [];
  const yearsWithoutItems = new Map<string, number>();
  const years = new Set<string>();
  for (const e of entries) {
    if (e.type !== 'receipt') continue;
    const year = e.issueDate.slice(0, 4);
    years.add(year);
    const lines = e.v === 2 ? e.lines.map((l) => ({ itemCode: l.itemCode, amount: fen(l.amount) })) : [];
    if (e.v === 1) yearsWithoutItems.set(year, (yearsWithoutItems.get(year) ?? 0) + 1);
    rows.push(...totalsOf({ ...e, total: fen(e.total), lines }));
  }
  return { rows, yearsWithoutItems, years: [...years].sort() };
}

/** The cells GET /v1/stats?from&to&groupBy publishes, from the log's rows (months YYYY-MM). */
export function recomputeStats(
  rows: readonly TotalsRow[],
  from: string,
  to: string,
  groupBy: StatsGroupBy,
  minReceipts: number,
): StatsCell[] {
  const inRange = rows.filter((r) => r.day.slice(0, 7) >= from && r.day.slice(0, 7) <= to);
  return publicStats(inRange, groupBy, minReceipts);
}

const FIELDS = [
  'issuedCount',
  'issuedAmount',
  'reversedCount',
  'reversedAmount',
  'netAmount',
  'withheldReceipts',
  'fewerThanMinimum',
] as const;

const publishedValue = (c: PublishedCell, f: (typeof FIELDS)[number]) => {
  const v = c[f];
  return typeof v === 'string' ? fen(v) : v;
};

const shown = (f: (typeof FIELDS)[number], v: number | boolean | null) =>
  typeof v === 'number' && f.endsWith('Amount') ? formatYuan(v) : String(v);

/** Every difference between the published cells and the recomputed ones, in words. */
export function statsDifferences(
  published: readonly PublishedCell[],
  recomputed: readonly StatsCell[],
): string[] {
  const mine = new Map(recomputed.map((c) => [c.group, c]));
  const theirs = new Map(published.map((c) => [c.group, c]));
  const out: string[] = [];
  for (const [group, p] of theirs) {
    const r = mine.get(group);
    if (!r) {
      out.push(`${group} is published but no logged receipt is in it`);
      continue;
    }
    for (const f of FIELDS) {
      const a = publishedValue(p, f);
      if (a !== r[f]) out.push(`${group} ${f}: published ${shown(f, a)}, the log gives ${shown(f, r[f])}`);
    }
  }
  for (const group of mine.keys())
    if (!theirs.has(group)) out.push(`${group} has logged receipts but is not published`);
  return out;
}
