import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OFFICE_HOURS,
  DEFAULT_THRESHOLDS,
  issueAlerts,
  outsideOfficeHours,
  refusalAlerts,
  stuckAlert,
} from '../../lambdas/core/alerts.js';
import type { ReceiptContent } from '../../lambdas/core/receipt.js';
import { ZERO } from '../../lambdas/core/totals.js';

const receipt = (overrides: Partial<ReceiptContent> = {}): ReceiptContent => ({
  code: '11010126',
  number: '0000000007',
  checkCode: 'ABCDEF',
  kind: 'blue',
  issuedAt: '2026-11-25T02:00:00.000Z', // Wednesday 10:00 in Beijing
  issueDate: '2026-11-25',
  chargeDate: '2026-11-25',
  department: 'GA',
  collectingUnit: '某市公安局',
  payer: { type: 'person', name: '张三' },
  lines: [
    {
      itemCode: 'GA-001',
      itemVersion: 1,
      name: '居民身份证工本费',
      unit: '证',
      quantity: 1,
      standard: '20.00',
      amount: 2000,
      fundManagement: 'treasury',
    },
  ],
  total: 2000,
  handledBy: 'clerk',
  ...overrides,
});

const quiet = {
  department: { ...ZERO, issuedCount: 100, issuedAmount: 200_000 },
  items: new Map([['GA-001', { ...ZERO, issuedCount: 100, issuedAmount: 200_000 }]]),
};

describe('office hours (UTC+8)', () => {
  it.each([
    ['2026-11-25T00:29:00Z', true], // Wed 08:29
    ['2026-11-25T00:30:00Z', false], // Wed 08:30
    ['2026-11-25T09:29:00Z', false], // Wed 17:29
    ['2026-11-25T09:30:00Z', true], // Wed 17:30
    ['2026-11-28T02:00:00Z', true], // Sat 10:00
    ['2026-11-29T17:00:00Z', true], // Mon 01:00
  ])('%s outside: %s', (instant, outside) => {
    expect(outsideOfficeHours(instant, DEFAULT_OFFICE_HOURS)).toBe(outside);
  });
});

describe('rules', () => {
  it('say nothing about an ordinary receipt in office hours', () => {
    expect(issueAlerts(receipt(), quiet, DEFAULT_THRESHOLDS, DEFAULT_OFFICE_HOURS)).toEqual([]);
  });

  it('flag an amount above the usual only past the factor and with enough samples', () => {
    const big = receipt({ lines: [{ ...receipt().lines[0]!, quantity: 4, amount: 8000 }], total: 8000 });
    expect(issueAlerts(big, quiet, DEFAULT_THRESHOLDS, DEFAULT_OFFICE_HOURS).map((a) => a.rule)).toEqual([
      'amount_above_usual',
    ]);
    const few = { ...quiet, items: new Map([['GA-001', { ...ZERO, issuedCount: 2, issuedAmount: 4000 }]]) };
    expect(issueAlerts(big, few, DEFAULT_THRESHOLDS, DEFAULT_OFFICE_HOURS)).toEqual([]);
  });

  it('flag a late reversal and a high reversal share', () => {
    const red = receipt({
      kind: 'red',
      total: -2000,
      reverses: { code: '11010126', number: '0000000001' },
      issuedAt: '2026-11-25T02:00:00.000Z',
    });
    const context = {
      department: { ...ZERO, issuedCount: 30, reversedCount: 10 },
      items: new Map(),
      originalIssuedAt: '2026-10-01T02:00:00.000Z',
    };
    const rules = issueAlerts(red, context, DEFAULT_THRESHOLDS, DEFAULT_OFFICE_HOURS).map((a) => a.rule);
    expect(rules).toEqual(['late_reversal', 'reversal_share']);
    const recent = {
      department: { ...ZERO, issuedCount: 30, reversedCount: 1 },
      items: new Map(),
      originalIssuedAt: '2026-11-20T02:00:00.000Z',
    };
    expect(issueAlerts(red, recent, DEFAULT_THRESHOLDS, DEFAULT_OFFICE_HOURS)).toEqual([]);
  });

  it('escalate refusals exactly once per hour at the threshold', () => {
    const refusal = {
      department: 'GA',
      eventId: 'e1',
      violations: [{ path: 'lines[0]', rule: 'unknown_item', message: 'x' }],
      at: '2026-11-25T02:10:00.000Z',
    };
    const counts = [1, 2, 3, 4].map((n) => refusalAlerts(refusal, n, DEFAULT_THRESHOLDS).map((a) => a.rule));
    expect(counts).toEqual([
      ['charge_refused'],
      ['charge_refused'],
      ['charge_refused', 'repeated_refusals'],
      ['charge_refused'],
    ]);
  });

  it('call a pending receipt stuck only after the threshold', () => {
    const r = receipt();
    expect(stuckAlert(r, new Date(Date.parse(r.issuedAt) + 14 * 60_000), DEFAULT_THRESHOLDS)).toBeNull();
    expect(stuckAlert(r, new Date(Date.parse(r.issuedAt) + 16 * 60_000), DEFAULT_THRESHOLDS)?.rule).toBe(
      'receipt_stuck',
    );
  });
});
