import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shiftDays } from '../../lambdas/core/dates.js';
import {
  departmentTotals,
  groupTotals,
  lastClosedDay,
  mergeTotals,
  OPEN_DAYS,
  rowsOf,
  sumByKey,
  type TotalsRow,
  totalsOf,
} from '../../lambdas/core/totals.js';

const receiptArb = fc.record({
  kind: fc.constantFrom('blue' as const, 'red' as const),
  issueDate: fc.constantFrom('2026-01-31', '2026-02-01', '2026-02-15', '2026-12-31'),
  department: fc.constantFrom('GA', 'ZRZY', 'RS'),
  lines: fc.array(
    fc.record({
      itemCode: fc.constantFrom('A-1', 'B-2', 'C-3'),
      amount: fc.integer({ min: 0, max: 1_000_000 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});

/** Red receipts carry negated amounts, as issuing makes them. */
type Generated = typeof receiptArb extends fc.Arbitrary<infer T> ? T : never;
const asIssued = (r: Generated) => {
  const lines = r.lines.map((l) => ({ ...l, amount: r.kind === 'red' ? 0 - l.amount : l.amount }));
  return { ...r, lines: lines as never, total: lines.reduce((s, l) => s + l.amount, 0) };
};

describe('running totals', () => {
  it('grouped any way, equal a recount of the receipts (property)', () => {
    fc.assert(
      fc.property(fc.array(receiptArb.map(asIssued), { maxLength: 40 }), (receipts) => {
        // Batches merge rows before writing; merging must not change the sums.
        const rows = mergeTotals(receipts.flatMap((r) => totalsOf(r)));
        for (const [groupBy, key] of [
          ['department', (r: (typeof receipts)[number]) => r.department],
          ['day', (r: (typeof receipts)[number]) => r.issueDate],
          ['month', (r: (typeof receipts)[number]) => r.issueDate.slice(0, 7)],
        ] as const) {
          const groups = groupTotals(rows, groupBy);
          for (const g of groups) {
            const mine = receipts.filter((r) => key(r) === g.group);
            expect(g.issuedCount).toBe(mine.filter((r) => r.kind === 'blue').length);
            expect(g.reversedCount).toBe(mine.filter((r) => r.kind === 'red').length);
            expect(g.issuedAmount).toBe(
              mine.filter((r) => r.kind === 'blue').reduce((s, r) => s + r.total, 0),
            );
            expect(g.reversedAmount).toBe(
              0 - mine.filter((r) => r.kind === 'red').reduce((s, r) => s + r.total, 0),
            );
            expect(g.netAmount).toBe(mine.reduce((s, r) => s + r.total, 0));
          }
          expect(groups.reduce((s, g) => s + g.issuedCount + g.reversedCount, 0)).toBe(receipts.length);
        }
        const byItem = groupTotals(rows, 'item');
        const lines = receipts.flatMap((r) => r.lines);
        expect(byItem.reduce((s, g) => s + g.netAmount, 0)).toBe(
          lines.reduce((s, l) => s + (l as { amount: number }).amount, 0),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('are day rows only: a year is summed from its days, and closed days are those OPEN_DAYS back', () => {
    const rows = totalsOf({
      kind: 'blue',
      issueDate: '2026-03-04',
      department: 'GA',
      lines: [{ itemCode: 'X', amount: 100 } as never],
      total: 100,
    });
    expect(rows.map((r) => `${r.day}|${r.key}`)).toEqual(['2026-03-04|DEPT#GA', '2026-03-04|ITEM#X']);
    expect(lastClosedDay('2026', '2026-03-04')).toBe(shiftDays('2026-03-04', -OPEN_DAYS));
    // None of a year is closed in its first days; all of it once the next year is old enough.
    expect(lastClosedDay('2026', shiftDays('2026-01-01', OPEN_DAYS - 1))).toBeUndefined();
    expect(lastClosedDay('2026', '2026-01-01')).toBeUndefined();
    expect(lastClosedDay('2026', shiftDays('2027-01-01', OPEN_DAYS))).toBe('2026-12-31');
    expect(lastClosedDay('2026', '2027-06-01')).toBe('2026-12-31');
  });

  it('summed by key, whatever the day, equal a recount per department and item (property)', () => {
    fc.assert(
      fc.property(fc.array(receiptArb.map(asIssued), { maxLength: 40 }), (receipts) => {
        const sums = sumByKey(receipts.flatMap((r) => totalsOf(r)));
        for (const department of new Set(receipts.map((r) => r.department))) {
          const mine = receipts.filter((r) => r.department === department);
          expect(sums.get(`DEPT#${department}`)?.issuedCount).toBe(
            mine.filter((r) => r.kind === 'blue').length,
          );
          expect(sums.get(`DEPT#${department}`)?.issuedAmount).toBe(
            mine.filter((r) => r.kind === 'blue').reduce((s, r) => s + r.total, 0),
          );
        }
        const lines = receipts.flatMap((r) =>
          (r.lines as { itemCode: string; amount: number }[]).map((l) => ({ ...l, red: r.kind === 'red' })),
        );
        for (const code of new Set(lines.map((l) => l.itemCode))) {
          const t = sums.get(`ITEM#${code}`)!;
          const mine = lines.filter((l) => l.itemCode === code);
          expect(t.issuedAmount - t.reversedAmount).toBe(mine.reduce((s, l) => s + l.amount, 0));
          expect(t.reversedCount).toBe(mine.filter((l) => l.red).length);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("stored a department's day at a time, hold exactly the rows of every key (property)", () => {
    // Item codes here may recur across departments (the catalogue keeps each to one): merged
    // by key, an item's rows would name whichever department came first.
    const sorted = (rows: TotalsRow[]) =>
      mergeTotals(rows.map(({ department: _, ...row }) => row)).sort((a, b) =>
        `${a.day}|${a.key}`.localeCompare(`${b.day}|${b.key}`),
      );
    fc.assert(
      fc.property(fc.array(receiptArb.map(asIssued), { maxLength: 40 }), (receipts) => {
        const stored = departmentTotals(receipts);
        // One row per department and day.
        const days = new Set(receipts.map((r) => `${r.issueDate}|${r.department}`));
        expect(stored).toHaveLength(days.size);
        expect(sorted(stored.flatMap(rowsOf))).toEqual(sorted(receipts.flatMap((r) => totalsOf(r))));
      }),
      { numRuns: 200 },
    );
  });
});
