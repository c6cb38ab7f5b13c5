import { describe, expect, it } from 'vitest';
import { auditEntries } from '../../lambdas/adapters/tlog/audit.js';
import type { LogEntry } from '../../lambdas/core/tlog/entries.js';

/** What `feeproof log audit` finds in a log that is not complete (the entries as parsed). */
const C = '11010126';
const commitment = 'a'.repeat(64);
const num = (n: number) => String(n).padStart(10, '0');
const range = (rangeId: string, first: number, last: number, department = 'ZRZY'): LogEntry => ({
  v: 1,
  type: 'range',
  event: 'allocated',
  rangeId,
  department,
  code: C,
  first,
  last,
});
const closed = (rangeId: string, first: number, last: number, firstUnused: number): LogEntry => ({
  ...(range(rangeId, first, last) as Extract<LogEntry, { type: 'range' }>),
  event: 'closed',
  firstUnused,
});
const blue = (n: number): LogEntry => ({
  v: 1,
  type: 'receipt',
  code: C,
  number: num(n),
  kind: 'blue',
  department: 'ZRZY',
  issueDate: '2026-12-02',
  total: '80.00',
  items: ['ZRZY-001'],
  commitment,
});
const red = (n: number, of: number): LogEntry => ({
  ...(blue(n) as Extract<LogEntry, { type: 'receipt' }>),
  kind: 'red',
  total: '-80.00',
  reverses: { code: C, number: num(of) },
});
const reversal = (of: number, by: number): LogEntry => ({
  v: 1,
  type: 'reversal',
  original: { code: C, number: num(of) },
  reversedBy: { code: C, number: num(by) },
});
const item = (
  version: number,
  change: 'create' | 'revise' = version === 1 ? 'create' : 'revise',
): LogEntry => ({
  v: 1,
  type: 'catalogue',
  itemCode: 'ZRZY-001',
  version,
  change,
  department: 'ZRZY',
  effectiveFrom: '2026-01-01',
  status: 'active',
  contentSha256: commitment,
});

const failing = (entries: LogEntry[]) =>
  auditEntries(entries)
    .filter((c) => !c.ok)
    .map((c) => `${c.name}: ${c.detail}`);

describe('log audit over entries', () => {
  const complete = [
    item(1),
    range('r1', 1, 10),
    blue(1),
    blue(2),
    reversal(1, 3),
    red(3, 1),
    closed('r1', 1, 10, 4),
    item(2),
  ];

  it('passes a complete log', () => {
    expect(failing(complete)).toEqual([]);
  });

  it('finds a number missing from a closed range (a receipt deleted before it was logged cannot hide)', () => {
    expect(failing(complete.filter((e) => !(e.type === 'receipt' && e.number === num(2))))).toEqual([
      expect.stringMatching(/closed ranges: .*number 2 is not logged/),
    ]);
  });

  it('finds a number logged twice, outside any range, in another department’s range, or past closure', () => {
    expect(failing([range('r1', 1, 10), blue(1), blue(1)])).toEqual([expect.stringMatching(/logged twice/)]);
    expect(failing([range('r1', 1, 10), blue(11)])).toEqual([expect.stringMatching(/in no range/)]);
    expect(failing([range('r1', 1, 10, 'GA'), blue(1)])).toEqual([expect.stringMatching(/in a range of GA/)]);
    expect(failing([range('r1', 1, 10), closed('r1', 1, 10, 1), blue(1)])).toEqual([
      expect.stringMatching(/declared unused/),
    ]);
  });

  it('finds a red receipt or reversal before its original, and a reversal without its red receipt', () => {
    expect(failing([range('r1', 1, 10), red(2, 1), blue(1)])).toEqual([
      expect.stringMatching(/reversals: .*names no blue receipt logged before it/),
    ]);
    expect(failing([range('r1', 1, 10), blue(1), red(2, 1)])).toEqual([
      expect.stringMatching(/original's reversal is not logged/),
    ]);
  });

  it('finds a receipt (v2) whose lines do not add up to its total, or whose amounts have the wrong sign', () => {
    const v2 = (n: number, lines: string[], total: string, kind: 'blue' | 'red' = 'blue'): LogEntry => {
      const { items: _items, ...rest } = blue(n) as Extract<LogEntry, { type: 'receipt'; v: 1 }>;
      return { ...rest, v: 2, kind, total, lines: lines.map((amount) => ({ itemCode: 'ZRZY-001', amount })) };
    };
    expect(failing([range('r1', 1, 10), v2(1, ['80.00', '0.00'], '80.00')])).toEqual([]);
    expect(failing([range('r1', 1, 10), v2(1, ['80.00', '550.00'], '80.00')])).toEqual([
      'amounts: 1 finding(s): receipt 11010126/0000000001: its lines add up to 630.00, not its total 80.00',
    ]);
    expect(failing([range('r1', 1, 10), v2(1, ['-80.00'], '-80.00')])).toEqual([
      expect.stringMatching(/amounts: .*a blue receipt with a negative amount/),
    ]);
  });

  it('finds a gap or a rewrite in an item’s history', () => {
    expect(failing([item(1), item(3)])).toEqual([expect.stringMatching(/version 3 follows version 1/)]);
    expect(failing([item(1), item(1)])).toEqual([expect.stringMatching(/version 1 follows version 1/)]);
    expect(failing([item(1, 'revise')])).toEqual([expect.stringMatching(/starts with a revise/)]);
  });
});
