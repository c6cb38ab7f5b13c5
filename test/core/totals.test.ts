import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  departmentTotals,
  groupTotals,
  mergeTotals,
  rowsOf,
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

  it('keeps a year row beside each day row, which day groupings ignore', () => {
    const rows = totalsOf({
      kind: 'blue',
      issueDate: '2026-03-04',
      department: 'GA',
      lines: [{ itemCode: 'X', amount: 100 } as never],
      total: 100,
    });
    expect(rows.map((r) => r.day).sort()).toEqual(['2026', '2026', '2026-03-04', '2026-03-04']);
    expect(groupTotals(rows, 'month')).toEqual([
      {
        group: '2026-03',
        issuedCount: 1,
        issuedAmount: 100,
        reversedCount: 0,
        reversedAmount: 0,
        netAmount: 100,
      },
    ]);
  });

  it("stored a department's day at a time, hold exactly the rows of every key (property)", () => {
    const sorted = (rows: TotalsRow[]) =>
      mergeTotals(rows).sort((a, b) => `${a.day}|${a.key}`.localeCompare(`${b.day}|${b.key}`));
    fc.assert(
      fc.property(fc.array(receiptArb.map(asIssued), { maxLength: 40 }), (receipts) => {
        const stored = departmentTotals(receipts);
        // One row per department and day, and per department and year.
        const days = new Set(
          receipts.flatMap((r) => [r.issueDate, r.issueDate.slice(0, 4)].map((d) => `${d}|${r.department}`)),
        );
        expect(stored).toHaveLength(days.size);
        expect(sorted(stored.flatMap(rowsOf))).toEqual(sorted(receipts.flatMap((r) => totalsOf(r))));
      }),
      { numRuns: 200 },
    );
  });
});
