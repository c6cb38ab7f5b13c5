import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { publicStats } from '../../../lambdas/core/stats.js';
import { decodeEntry, encodeEntry, type LogEntry } from '../../../lambdas/core/tlog/entries.js';
import { TlogError } from '../../../lambdas/core/tlog/errors.js';
import {
  type PublishedCell,
  recomputeStats,
  statsDifferences,
  totalsFromLog,
} from '../../../lambdas/core/tlog/published-stats.js';
import { type TotalsRow, totalsOf } from '../../../lambdas/core/totals.js';

/** Receipt entries v1 and v2, and the public statistics recomputed from them (issues 13 and 15). */
const base = {
  type: 'receipt',
  code: '11010126',
  kind: 'blue',
  department: 'ZRZY',
  commitment: 'c'.repeat(64),
} as const;
let n = 0;
const v2 = (issueDate: string, lines: [string, string][], over: Partial<LogEntry> = {}): LogEntry =>
  ({
    ...base,
    v: 2,
    number: String(++n).padStart(10, '0'),
    issueDate,
    total: (lines.reduce((s, [, a]) => s + Math.round(Number(a) * 100), 0) / 100).toFixed(2),
    lines: lines.map(([itemCode, amount]) => ({ itemCode, amount })),
    ...over,
  }) as LogEntry;
const enc = (s: string) => new TextEncoder().encode(s);

describe('receipt entries', () => {
  it('v2 carries each line’s item and amount; v1 (items only) still decodes; neither takes the other’s fields', () => {
    const e = v2('2026-03-01', [
      ['ZRZY-001', '80.00'],
      ['ZRZY-002', '550.00'],
    ]);
    const text = new TextDecoder().decode(encodeEntry(e));
    expect(text).toContain('"lines":[{"amount":"80.00","itemCode":"ZRZY-001"}');
    expect(decodeEntry(enc(text))).toEqual(e);
    const v1 = { ...base, v: 1, number: '0000000009', issueDate: '2026-03-01', total: '80.00', items: ['A'] };
    expect(decodeEntry(encodeEntry(v1 as LogEntry))).toEqual(v1);
    expect(() => encodeEntry({ ...v1, v: 2 } as unknown as LogEntry)).toThrow(TlogError);
    expect(() => encodeEntry({ ...e, v: 1 } as LogEntry)).toThrow(TlogError);
    expect(() => encodeEntry({ ...e, items: ['A'] } as unknown as LogEntry)).toThrow(TlogError);
    expect(() => decodeEntry(enc(text.replace('"80.00"', '"80"')))).toThrow(TlogError);
    expect(() => decodeEntry(enc(text.replace('"v":2', '"v":3')))).toThrow(TlogError);
  });
});

describe('the public statistics from the log', () => {
  const red = v2('2026-03-09', [['ZRZY-001', '-80.00']], {
    kind: 'red',
    reverses: { code: '11010126', number: '0000000001' },
  } as Partial<LogEntry>);
  const entries = [
    v2('2026-03-01', [['ZRZY-001', '80.00']]),
    v2('2026-03-02', [
      ['ZRZY-001', '160.00'],
      ['ZRZY-002', '550.00'],
    ]),
    v2('2026-03-05', [['ZRZY-001', '80.00']]),
    red,
    v2('2026-04-01', [['ZRZY-001', '80.00']], { department: 'GA' } as Partial<LogEntry>),
  ];

  it('gives back the totals rows issuing wrote, so the cells are the service’s own', () => {
    const { rows, years } = totalsFromLog(entries);
    expect(years).toEqual(['2026']);
    expect(rows).toContainEqual(
      totalsOf({
        kind: 'red',
        issueDate: '2026-03-09',
        department: 'ZRZY',
        total: -8000,
        lines: [{ itemCode: 'ZRZY-001', amount: -8000 }],
      })[0],
    );
    const cells = recomputeStats(rows, '2026-01', '2026-12', 'department', 3);
    expect(cells).toEqual(publicStats(rows, 'department', 3));
    // ZRZY's March holds ZRZY-002's, one line of 550.00 (withheld): published, ZRZY's 870.00
    // less ZRZY-001's 320.00 (published by item) would give it. So ZRZY's March is withheld too.
    expect(cells.find((c) => c.group === 'ZRZY')).toMatchObject({
      issuedAmount: null,
      fewerThanMinimum: true,
      withheldReceipts: 4,
    });
    const byItem = recomputeStats(rows, '2026-01', '2026-12', 'item', 3);
    expect(byItem.find((c) => c.group === 'ZRZY-001')).toMatchObject({
      issuedAmount: 32000,
      reversedAmount: 8000,
    });
    expect(byItem.find((c) => c.group === 'ZRZY-002')).toMatchObject({
      issuedAmount: null,
      withheldReceipts: 1,
    });
    // Without ZRZY-002's receipt, the month is published whole.
    const without = totalsFromLog(entries.filter((e) => e !== entries[1])).rows;
    expect(recomputeStats(without, '2026-03', '2026-03', 'department', 3)).toEqual([
      expect.objectContaining({ group: 'ZRZY', issuedCount: 2, issuedAmount: 16000, reversedAmount: 8000 }),
    ]);
    // GA has one receipt: withheld, "fewer than 3".
    expect(cells.find((c) => c.group === 'GA')).toMatchObject({
      fewerThanMinimum: true,
      withheldReceipts: 1,
    });
    expect(recomputeStats(rows, '2026-04', '2026-04', 'department', 3).map((c) => c.group)).toEqual(['GA']);
  });

  it('names every difference, in yuan', () => {
    const { rows } = totalsFromLog(entries);
    const published: PublishedCell[] = recomputeStats(rows, '2026-01', '2026-12', 'item', 3).map((c) => ({
      ...c,
      issuedAmount: c.issuedAmount === null ? null : (c.issuedAmount / 100).toFixed(2),
      reversedAmount: c.reversedAmount === null ? null : (c.reversedAmount / 100).toFixed(2),
      netAmount: c.netAmount === null ? null : (c.netAmount / 100).toFixed(2),
    }));
    expect(statsDifferences(published, recomputeStats(rows, '2026-01', '2026-12', 'item', 3))).toEqual([]);
    const zrzy1 = published.find((c) => c.group === 'ZRZY-001')!;
    const tampered = [
      ...published.filter((c) => c !== zrzy1),
      { ...zrzy1, issuedAmount: '330.00' },
      { ...zrzy1, group: 'XX-001' },
    ];
    expect(statsDifferences(tampered, recomputeStats(rows, '2026-01', '2026-12', 'item', 3))).toEqual([
      'ZRZY-001 issuedAmount: published 330.00, the log gives 320.00',
      'XX-001 is published but no logged receipt is in it',
    ]);
  });

  it('counts v1 receipt entries for departments and months, and says which years lack item amounts', () => {
    const v1 = { ...base, v: 1, number: '0000000099', issueDate: '2025-12-31', total: '80.00', items: ['A'] };
    const { rows, yearsWithoutItems, years } = totalsFromLog([v1 as LogEntry, ...entries]);
    expect(years).toEqual(['2025', '2026']);
    expect(yearsWithoutItems).toEqual(new Map([['2025', 1]]));
    // Its day's department row; no item row, the v1 entry naming no amounts per item.
    expect(rows.filter((r) => r.day.startsWith('2025')).map((r) => `${r.day}|${r.key}`)).toEqual([
      '2025-12-31|DEPT#ZRZY',
    ]);
  });
});

describe('the small-cell rule', () => {
  // Receipts of two departments, each with items of its own, in one month: 1-3 lines each.
  const receipt = fc.record({
    department: fc.constantFrom('A', 'B'),
    red: fc.boolean(),
    lines: fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 99_999 })), {
      minLength: 1,
      maxLength: 3,
    }),
  });

  it('publishes no department whose amount, less its items shown, would leave an amount withheld (property)', () => {
    fc.assert(
      fc.property(fc.array(receipt, { maxLength: 30 }), (receipts) => {
        const rows: TotalsRow[] = receipts.flatMap((r) => {
          const sign = r.red ? -1 : 1;
          const lines = r.lines.map(([k, amount]) => ({
            itemCode: `${r.department}-${k}`,
            amount: sign * amount,
          }));
          return totalsOf({
            kind: r.red ? 'red' : 'blue',
            issueDate: '2026-03-01',
            department: r.department,
            total: lines.reduce((s, l) => s + l.amount, 0),
            lines,
          });
        });
        const items = publicStats(rows, 'item', 3);
        for (const department of publicStats(rows, 'department', 3)) {
          if (department.issuedAmount === null) continue;
          const shown = items.filter((i) => i.group.startsWith(`${department.group}-`));
          // Every item of a published department is published, and they add up to it.
          expect(shown.every((i) => i.issuedAmount !== null)).toBe(true);
          expect(shown.reduce((s, i) => s + i.issuedAmount!, 0)).toBe(department.issuedAmount);
          expect(shown.reduce((s, i) => s + i.reversedAmount!, 0)).toBe(department.reversedAmount);
        }
      }),
      { numRuns: 300 },
    );
  });
});
