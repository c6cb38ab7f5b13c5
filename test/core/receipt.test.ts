import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChargedLine } from '../../lambdas/core/charge.js';
import { parseYuan } from '../../lambdas/core/money.js';
import {
  CHECK_CODE_ALPHABET,
  canonicalReceipt,
  formatReceiptNumber,
  type ReceiptContent,
  receiptCode,
  redLines,
  totalInWords,
  verifyUrl,
} from '../../lambdas/core/receipt.js';
import { blueReceipt, redReceipt } from '../support/sample-receipts.js';
import { prng, receiptContentArb, shuffle } from './support.js';

describe('receiptCode', () => {
  it('is region + 0101 + two-digit year', () => {
    expect(receiptCode('11', '2026-11-26')).toBe('11010126');
    expect(receiptCode('44', '2030-01-01')).toBe('44010130');
    expect(receiptCode('31', '2009-12-31')).toBe('31010109');
  });

  it.each(['1', '111', 'AB', '1a', '', ' 1'])('refuses region %j', (region) => {
    expect(() => receiptCode(region, '2026-11-26')).toThrow(RangeError);
  });
});

describe('formatReceiptNumber', () => {
  it('pads to ten digits', () => {
    expect(formatReceiptNumber(1)).toBe('0000000001');
    expect(formatReceiptNumber(1234)).toBe('0000001234');
    expect(formatReceiptNumber(9_999_999_999)).toBe('9999999999');
  });

  it.each([0, -1, 10 ** 10, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d', (n) => {
    expect(() => formatReceiptNumber(n)).toThrow(RangeError);
  });

  it('gives ten digits that read back as the number (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 10 - 1 }), (n) => {
        const text = formatReceiptNumber(n);
        expect(text).toMatch(/^\d{10}$/);
        expect(Number(text)).toBe(n);
      }),
    );
  });
});

describe('check code alphabet', () => {
  it('has no characters that are easy to confuse', () => {
    expect(new Set(CHECK_CODE_ALPHABET).size).toBe(CHECK_CODE_ALPHABET.length);
    for (const c of '01IO') expect(CHECK_CODE_ALPHABET).not.toContain(c);
  });
});

const receiptContent = receiptContentArb({ text: fc.string({ minLength: 1, maxLength: 12 }) });

/** Every way of changing one field of a receipt; each mutation really changes the value. */
type Mutation = (r: ReceiptContent) => ReceiptContent;
const bump = (s: string) => `${s}x`;
const bumpDigits = (s: string) => s.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
const onLine =
  (f: (l: ChargedLine) => ChargedLine): Mutation =>
  (r) => ({ ...r, lines: [f(r.lines[0]!), ...r.lines.slice(1)] });
const MUTATIONS: Record<string, Mutation> = {
  code: (r) => ({ ...r, code: bumpDigits(r.code) }),
  number: (r) => ({ ...r, number: bumpDigits(r.number) }),
  checkCode: (r) => ({
    ...r,
    checkCode: r.checkCode.endsWith('2') ? `${r.checkCode.slice(0, 5)}3` : `${r.checkCode.slice(0, 5)}2`,
  }),
  kind: (r) => ({ ...r, kind: r.kind === 'blue' ? 'red' : 'blue' }),
  issuedAt: (r) => ({ ...r, issuedAt: new Date(Date.parse(r.issuedAt) + 1).toISOString() }),
  issueDate: (r) => ({ ...r, issueDate: bumpDigits(r.issueDate) }),
  chargeDate: (r) => ({ ...r, chargeDate: bumpDigits(r.chargeDate) }),
  department: (r) => ({ ...r, department: bump(r.department) }),
  collectingUnit: (r) => ({ ...r, collectingUnit: bump(r.collectingUnit) }),
  payerType: (r) => ({ ...r, payer: { ...r.payer, type: r.payer.type === 'person' ? 'unit' : 'person' } }),
  payerName: (r) => ({ ...r, payer: { ...r.payer, name: bump(r.payer.name) } }),
  payerId: (r) => ({ ...r, payer: { ...r.payer, idNumber: bump(r.payer.idNumber ?? '') } }),
  total: (r) => ({ ...r, total: r.total + 1 }),
  handledBy: (r) => ({ ...r, handledBy: bump(r.handledBy) }),
  remark: (r) => ({ ...r, remark: bump(r.remark ?? '') }),
  reason: (r) => ({ ...r, reason: bump(r.reason ?? '') }),
  reverses: (r) => ({
    ...r,
    reverses: r.reverses
      ? { ...r.reverses, number: bumpDigits(r.reverses.number) }
      : { code: r.code, number: r.number },
  }),
  addLine: (r) => ({ ...r, lines: [...r.lines, r.lines[0]!] }),
  dropLine: (r) => ({ ...r, lines: r.lines.length > 1 ? r.lines.slice(1) : [] }),
  lineOrder: (r) => ({ ...r, lines: [...r.lines, { ...r.lines[0]!, itemCode: 'ZZ-999' }].reverse() }),
  lineItemCode: onLine((l) => ({ ...l, itemCode: bump(l.itemCode) })),
  lineVersion: onLine((l) => ({ ...l, itemVersion: l.itemVersion + 1 })),
  lineName: onLine((l) => ({ ...l, name: bump(l.name) })),
  lineUnit: onLine((l) => ({ ...l, unit: bump(l.unit) })),
  lineQuantity: onLine((l) => ({ ...l, quantity: l.quantity + 1 })),
  lineStandard: onLine((l) => ({ ...l, standard: bump(l.standard) })),
  lineAmount: onLine((l) => ({ ...l, amount: l.amount + 1 })),
  lineFund: onLine((l) => ({
    ...l,
    fundManagement: l.fundManagement === 'treasury' ? 'special_account' : 'treasury',
  })),
  lineExemption: onLine((l) => ({ ...l, exemption: bump(l.exemption ?? '') })),
};

/** A copy with keys inserted in another order at every level. */
function reorder<T>(value: T, seed: number): T {
  const random = prng(seed);
  const go = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(go);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(shuffle(Object.entries(v), random).map(([k, x]) => [k, go(x)]));
  };
  return go(value) as T;
}

describe('canonicalReceipt', () => {
  it('writes amounts as yuan strings and the total in capitals', () => {
    const parsed = JSON.parse(canonicalReceipt(blueReceipt));
    expect(parsed.v).toBe(1);
    expect(parsed.total).toBe('660.00');
    expect(parsed.totalInWords).toBe('陆佰陆拾元整');
    expect(parsed.lines.map((l: { amount: string }) => l.amount)).toEqual(['80.00', '550.00', '30.00']);
    expect(parsed.remark).toBe(blueReceipt.remark);
    expect(JSON.parse(canonicalReceipt({ ...blueReceipt, remark: undefined }))).not.toHaveProperty('remark');
    expect(totalInWords(blueReceipt)).toBe('陆佰陆拾元整');
  });

  it('writes a red receipt with negative amounts and 负', () => {
    const parsed = JSON.parse(canonicalReceipt(redReceipt));
    expect(parsed.total).toBe('-660.00');
    expect(parsed.totalInWords).toBe('负陆佰陆拾元整');
    expect(parsed.lines.map((l: { amount: string }) => l.amount)).toEqual(['-80.00', '-550.00', '-30.00']);
    expect(parsed.reverses).toEqual({ code: '11010126', number: '0000001234' });
    expect(parsed.reason).toBe(redReceipt.reason);
  });

  it('holds every field of the content, amounts as parseable yuan (property)', () => {
    fc.assert(
      fc.property(receiptContent, (r) => {
        const parsed = JSON.parse(canonicalReceipt(r));
        expect(parseYuan(parsed.total)).toBe(r.total);
        parsed.lines.forEach((l: { amount: string }, i: number) => {
          expect(parseYuan(l.amount)).toBe(r.lines[i]!.amount);
        });
        const { total: _t, lines: _l, ...rest } = r;
        expect(parsed).toMatchObject(JSON.parse(JSON.stringify(rest)));
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic: equal content in any key order gives the same bytes (property)', () => {
    fc.assert(
      fc.property(receiptContent, fc.integer(), (r, seed) => {
        const once = canonicalReceipt(r);
        expect(canonicalReceipt(r)).toBe(once);
        expect(canonicalReceipt(structuredClone(r))).toBe(once);
        expect(canonicalReceipt(reorder(r, seed))).toBe(once);
      }),
      { numRuns: 200 },
    );
  });

  it('changes when any field changes (property)', () => {
    fc.assert(
      fc.property(receiptContent, fc.constantFrom(...Object.keys(MUTATIONS)), (r, name) => {
        const changed = MUTATIONS[name]!(r);
        expect(changed).not.toEqual(r);
        expect(canonicalReceipt(changed)).not.toBe(canonicalReceipt(r));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('redLines', () => {
  it('negates every amount and keeps the rest', () => {
    const lines = redLines([
      {
        itemCode: 'A-1',
        itemVersion: 1,
        name: 'n',
        unit: '件',
        quantity: 2,
        standard: '80.00',
        amount: 16000,
        fundManagement: 'treasury',
      },
    ]);
    expect(lines).toEqual([
      {
        itemCode: 'A-1',
        itemVersion: 1,
        name: 'n',
        unit: '件',
        quantity: 2,
        standard: '80.00',
        amount: -16000,
        fundManagement: 'treasury',
      },
    ]);
  });
});

describe('verifyUrl', () => {
  it('points at the public verification page with the three keys', () => {
    const url = new URL(verifyUrl('https://fees.example.gov.cn/', blueReceipt));
    expect(url.origin + url.pathname).toBe('https://fees.example.gov.cn/verify.html');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      code: '11010126',
      number: '0000001234',
      checkCode: 'K7PQ2M',
    });
  });
});
