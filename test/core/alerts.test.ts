import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALERT_RULES,
  type AlertDraft,
  DEFAULT_OFFICE_HOURS,
  DEFAULT_THRESHOLDS,
  issueAlerts,
  outsideOfficeHours,
  rangeClosedAlert,
  rangeUnavailableAlert,
  refusalAlerts,
  stuckAlert,
} from '../../lambdas/core/alerts.js';
import { CHARGE_RULES, type ChargeRule } from '../../lambdas/core/charge.js';
import { complaintAlert } from '../../lambdas/core/complaints.js';
import type { ReceiptContent } from '../../lambdas/core/receipt.js';
import { ZERO } from '../../lambdas/core/totals.js';
import { addDays } from './support.js';

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
      violations: [{ path: 'lines[0]', rule: 'unknown_item' as const, message: 'x' }],
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

  it('flag a receipt issued after its charge date, by how many days, and only then', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), (daysLate) => {
        const late = receipt({ chargeDate: addDays('2026-11-25', -daysLate) });
        const alerts = issueAlerts(late, quiet, DEFAULT_THRESHOLDS, DEFAULT_OFFICE_HOURS);
        if (daysLate === 0) expect(alerts).toEqual([]);
        else
          expect(alerts).toEqual([
            {
              key: 'late_issuance#11010126/0000000007',
              severity: 'warning',
              rule: 'late_issuance',
              department: 'GA',
              subjects: ['11010126/0000000007'],
              message: {
                zh: expect.stringContaining(`晚 ${daysLate} 天`),
                en: expect.stringContaining(
                  `issued ${daysLate} day(s) after its charge date ${late.chargeDate}`,
                ),
              },
            },
          ]);
      }),
    );
  });
});

/** snake_case words: what a rule code looks like, and what a person should never have to read. */
const CODE_LIKE = /[a-z]+(?:_[a-z]+)+/;
const ruleCodes = [...Object.keys(CHARGE_RULES), ...ALERT_RULES];

describe('messages', () => {
  it('name refused rules by their labels, never by their codes', () => {
    const rule = fc.constantFrom(...(Object.keys(CHARGE_RULES) as ChargeRule[]));
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 6 }), (rules) => {
        const violations = rules.map((r, i) => ({ path: `lines[${i}]`, rule: r, message: 'x' }));
        const refusal = { department: 'GA', eventId: 'e1', violations, at: '2026-11-25T02:10:00.000Z' };
        const [refused] = refusalAlerts(refusal, 1, DEFAULT_THRESHOLDS);
        for (const r of new Set(rules)) {
          expect(refused!.message.zh).toContain(CHARGE_RULES[r].zh);
          expect(refused!.message.en).toContain(CHARGE_RULES[r].en);
        }
        for (const code of ruleCodes) expect(refused!.message.zh).not.toContain(code);
        expect(refused!.message.en).not.toMatch(CODE_LIKE);
      }),
    );
  });

  it('in Chinese, carry no rule code, whichever rule raised them', () => {
    const red = receipt({
      kind: 'red',
      total: -2000,
      reverses: { code: '11010126', number: '0000000001' },
      issuedAt: '2026-11-28T02:00:00.000Z', // a Saturday
      chargeDate: '2026-11-20',
    });
    const big = receipt({
      lines: [{ ...receipt().lines[0]!, quantity: 4, amount: 8000 }],
      issuedAt: '2026-11-28T02:00:00.000Z',
      chargeDate: '2026-11-20',
    });
    const context = {
      department: { ...ZERO, issuedCount: 30, reversedCount: 10 },
      items: quiet.items,
      originalIssuedAt: '2026-10-01T02:00:00.000Z',
    };
    const violations = (Object.keys(CHARGE_RULES) as ChargeRule[]).map((rule) => ({
      path: 'lines[0]',
      rule,
      message: 'x',
    }));
    const all: (AlertDraft | null)[] = [
      ...issueAlerts(red, context, DEFAULT_THRESHOLDS, DEFAULT_OFFICE_HOURS),
      ...issueAlerts(big, context, DEFAULT_THRESHOLDS, DEFAULT_OFFICE_HOURS),
      ...refusalAlerts(
        { department: 'GA', eventId: 'e1', violations, at: '2026-11-25T02:10:00.000Z' },
        DEFAULT_THRESHOLDS.repeatedRefusalsPerHour,
        DEFAULT_THRESHOLDS,
      ),
      stuckAlert(red, new Date('2026-11-29T00:00:00Z'), DEFAULT_THRESHOLDS),
      rangeClosedAlert({ id: 'r1', department: 'GA', unused: 3 }),
      rangeUnavailableAlert('GA', '11010126', '号码已用尽', '2026-11-25T02:10:00.000Z'),
      complaintAlert({
        id: 'C20261125X',
        codeHash: '0'.repeat(64),
        category: 'above_standard',
        text: '超标准收费',
        department: 'GA',
        receipt: { code: '11010126', number: '0000000001' },
        filedAt: '2026-11-25T02:10:00.000Z',
        status: 'open',
        hasContact: false,
      }),
    ];
    const drafts = all.filter((a): a is AlertDraft => a !== null);
    // Every rule is here, so the check below covers each one's message.
    expect(new Set(drafts.map((a) => a.rule))).toEqual(new Set(ALERT_RULES));
    for (const a of drafts) expect(a.message.zh, `${a.rule}: ${a.message.zh}`).not.toMatch(CODE_LIKE);
  });
});
