/**
 * Public fee statistics (收费公开): what each department and item collected, per month, as open
 * data. Read from the running totals (core/totals.ts), never from receipts, and published only
 * as aggregates that no single payer's payment can be read from (the small-cell rule below).
 */
import { z } from 'zod';
import type { Fen } from './money.js';
import { addTotals, type Totals, type TotalsRow, ZERO } from './totals.js';

/** The default of the small-cell rule: FEEPROOF_STATS_MIN_RECEIPTS overrides it. */
export const DEFAULT_MIN_RECEIPTS = 3;

/** The widest range one statistics request covers: the page shows a year, the open data any 3. */
export const MAX_STATS_MONTHS = 36;

const month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM')
  .meta({ example: '2026-01' });

export type StatsGroupBy = 'department' | 'item' | 'month';

export const statsQuery = z
  .strictObject({
    from: month.optional(),
    to: month.optional(),
    groupBy: z.enum(['department', 'item', 'month']).default('department'),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.from > q.to)
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
  });

const monthIndex = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;

/**
 * The months of a statistics request: `to` defaults to this month, `from` to January of `to`'s
 * year (the year so far). Wider than MAX_STATS_MONTHS is refused by the caller (a 400).
 */
export function statsMonths(q: { from?: string; to?: string }, today: string) {
  const to = q.to ?? today.slice(0, 7);
  const from = q.from ?? `${to.slice(0, 4)}-01`;
  const problem =
    from > to
      ? 'must not be after to'
      : monthIndex(to) - monthIndex(from) + 1 > MAX_STATS_MONTHS
        ? `must be at most ${MAX_STATS_MONTHS} months before to`
        : null;
  return { from, to, problem };
}

/**
 * One published cell. Counts are receipts for departments and months, receipt lines for items
 * (a receipt charging two items counts once for each). `withheldReceipts` counts what the rule
 * kept out of the cell's amounts; when it kept out everything, the amounts are null.
 */
export interface StatsCell {
  group: string;
  issuedCount: number | null;
  issuedAmount: Fen | null;
  reversedCount: number | null;
  reversedAmount: Fen | null;
  netAmount: Fen | null;
  withheldReceipts: number;
  /**
   * True when every receipt of the cell was withheld: published as "fewer than N" (a month of
   * fewer than N receipts, or a department's month that holds an item's month of fewer).
   */
  fewerThanMinimum: boolean;
}

/**
 * The small-cell rule. The finest unit any request can isolate is one department (or item) in
 * one month: ranges are whole months, so subtracting one answer from another yields at most
 * such a unit. A unit with fewer than `minReceipts` receipts (blue and red together) therefore
 * goes into no published amount at all, in every grouping; only its count of receipts is said
 * (as withheld). A department's month holds its items' months, so it is withheld too when one
 * of its items' months is: published, it would give the withheld item's amounts as itself less
 * its items shown (complementary suppression). Amounts so published are sums of units of at
 * least `minReceipts` receipts, and no difference of published figures singles one out.
 */
export function publicStats(
  rows: readonly TotalsRow[],
  groupBy: StatsGroupBy,
  minReceipts: number,
): StatsCell[] {
  const units = (items: boolean) => {
    const out = new Map<string, { month: string; key: string; department?: string; totals: Totals }>();
    for (const row of rows) {
      if (items !== row.key.startsWith('ITEM#')) continue;
      const unit = `${row.day.slice(0, 7)}|${row.key}`;
      const prev = out.get(unit);
      out.set(unit, {
        month: row.day.slice(0, 7),
        key: row.key.slice(5),
        department: prev?.department ?? row.department,
        totals: addTotals(prev?.totals ?? ZERO, row),
      });
    }
    return out;
  };
  const receiptsOf = (t: Totals) => t.issuedCount + t.reversedCount;
  const itemUnits = units(true);
  // Departments' months that hold a withheld item's month (`month|department`).
  const holdingWithheld = new Set(
    [...itemUnits.values()]
      .filter((u) => u.department !== undefined && receiptsOf(u.totals) < minReceipts)
      .map((u) => `${u.month}|${u.department}`),
  );
  const groups = new Map<string, { shown: Totals; withheld: number; any: boolean }>();
  for (const { month, key, totals } of (groupBy === 'item' ? itemUnits : units(false)).values()) {
    const group = groupBy === 'month' ? month : key;
    const g = groups.get(group) ?? { shown: ZERO, withheld: 0, any: false };
    const receipts = receiptsOf(totals);
    if (receipts < minReceipts || (groupBy !== 'item' && holdingWithheld.has(`${month}|${key}`)))
      g.withheld += receipts;
    else {
      g.shown = addTotals(g.shown, totals);
      g.any = true;
    }
    groups.set(group, g);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, { shown, withheld, any }]) => ({
      group,
      issuedCount: any ? shown.issuedCount : null,
      issuedAmount: any ? shown.issuedAmount : null,
      reversedCount: any ? shown.reversedCount : null,
      reversedAmount: any ? shown.reversedAmount : null,
      netAmount: any ? shown.issuedAmount - shown.reversedAmount : null,
      withheldReceipts: withheld,
      fewerThanMinimum: !any,
    }));
}
