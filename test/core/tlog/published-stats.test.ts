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
import { totalsOf } from '../../../lambdas/core/totals.js';

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
    expect(cells.find((c) => c.group === 'ZRZY')).toMatchObject({
      issuedCount: 3,
      issuedAmount: 87000,
      reversedAmount: 8000,
      netAmount: 79000,
    });
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
