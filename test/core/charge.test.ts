import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ItemVersion } from '../../lambdas/core/catalogue.js';
import { groupVersions } from '../../lambdas/core/catalogue.js';
import {
  allowedAmounts,
  CHARGE_RULES,
  type ChargeLine,
  chargeDateViolations,
  checkCharge,
  MAX_QUANTITY,
} from '../../lambdas/core/charge.js';
import { MAX_FEN } from '../../lambdas/core/money.js';
import { addDays, isoDateArb, version } from './support.js';

const TODAY = '2026-11-26';

const CATALOGUE: ItemVersion[] = [
  version({
    code: 'ZRZY-001',
    exemptions: [
      { who: '小微企业', kind: 'waive' },
      { who: '低保户', kind: 'percent', percent: 50 },
      { who: '优抚对象', kind: 'amount', amount: 2000 },
      { who: '七折对象', kind: 'percent', percent: 30 },
    ],
  }),
  // The same item, cheaper from 2027: a charge dated before then pays 80.00.
  version({
    code: 'ZRZY-001',
    version: 2,
    effectiveFrom: '2027-01-01',
    standard: { type: 'fixed', amount: 6000 },
    exemptions: [{ who: '小微企业', kind: 'waive' }],
  }),
  version({ code: 'ZRZY-002', name: '不动产登记费（非住宅）', standard: { type: 'fixed', amount: 55000 } }),
  version({ code: 'ZRZY-003', status: 'suspended' }),
  version({ code: 'ZRZY-004', status: 'abolished' }),
  version({ code: 'ZRZY-005', validTo: '2025-12-31' }),
  version({ code: 'ZRZY-006', validFrom: '2027-01-01' }),
  version({ code: 'ZRZY-007', effectiveFrom: '2027-01-01' }),
  version({ code: 'ZRZY-008', standard: { type: 'fixed', amount: 555 }, exemptions: [] }),
  version({
    code: 'RS-001',
    name: '职业技能鉴定考试考务费',
    department: 'RS',
    unit: '科',
    standard: { type: 'range', min: 1000, max: 5000 },
    fundManagement: 'special_account',
    exemptions: [
      { who: '残疾人', kind: 'percent', percent: 50 },
      { who: '退役军人', kind: 'waive' },
      { who: '困难学生', kind: 'amount', amount: 2000 },
    ],
  }),
  version({
    code: 'GA-001',
    name: '居民身份证工本费',
    department: 'GA',
    unit: '证',
    standard: { type: 'fixed', amount: 2000 },
  }),
];
const BY_CODE = groupVersions(CATALOGUE);

function check(lines: ChargeLine[], department = 'ZRZY', chargeDate = TODAY) {
  return checkCharge({ department, chargeDate, lines }, BY_CODE);
}
function violationsOf(lines: ChargeLine[], department = 'ZRZY', chargeDate = TODAY) {
  const result = check(lines, department, chargeDate);
  if (result.ok) throw new Error('expected the charge to be refused');
  return result.violations;
}
function rulesOf(lines: ChargeLine[], department = 'ZRZY', chargeDate = TODAY) {
  return violationsOf(lines, department, chargeDate).map((v) => v.rule);
}

// Amounts far above any real fee, which the catalogue does not forbid: each line is within
// its standard, the sum is not within what a receipt's amount fields hold.
const big = groupVersions([version({ code: 'BIG-001', standard: { type: 'range', min: 1, max: MAX_FEN } })]);
const checkBig = (amounts: number[]) =>
  checkCharge(
    {
      department: 'ZRZY',
      chargeDate: TODAY,
      lines: amounts.map((amount) => ({ itemCode: 'BIG-001', quantity: 1, amount })),
    },
    big,
  );

describe('checkCharge: accepted charges', () => {
  it('accepts a correct fixed-standard line and copies what the receipt prints', () => {
    const result = check([{ itemCode: 'ZRZY-001', quantity: 2, amount: 16000 }]);
    expect(result).toEqual({
      ok: true,
      total: 16000,
      lines: [
        {
          itemCode: 'ZRZY-001',
          itemVersion: 1,
          name: '不动产登记费（住宅）',
          unit: '件',
          quantity: 2,
          standard: '80.00',
          amount: 16000,
          fundManagement: 'treasury',
        },
      ],
    });
  });

  it('accepts a range line anywhere from min x quantity to max x quantity', () => {
    for (const amount of [3000, 4567, 15000]) {
      const result = check([{ itemCode: 'RS-001', quantity: 3, amount }], 'RS');
      expect(result.ok).toBe(true);
      if (result.ok)
        expect(result.lines[0]).toMatchObject({ standard: '10.00-50.00', fundManagement: 'special_account' });
    }
  });

  it('accepts the largest allowed quantity', () => {
    expect(
      check([{ itemCode: 'GA-001', quantity: MAX_QUANTITY, amount: 2000 * MAX_QUANTITY }], 'GA').ok,
    ).toBe(true);
  });

  it('totals to the sum of the line amounts (property)', () => {
    const line = fc.oneof(
      fc.integer({ min: 1, max: 1000 }).map((q) => ({ itemCode: 'ZRZY-001', quantity: q, amount: 8000 * q })),
      fc
        .integer({ min: 1, max: 1000 })
        .map((q) => ({ itemCode: 'ZRZY-002', quantity: q, amount: 55000 * q })),
      fc
        .integer({ min: 1, max: 1000 })
        .map((q) => ({ itemCode: 'ZRZY-001', quantity: q, amount: 0, exemption: '小微企业' })),
      fc
        .integer({ min: 1, max: 1000 })
        .map((q) => ({ itemCode: 'ZRZY-001', quantity: q, amount: 4000 * q, exemption: '低保户' })),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        const result = check(lines);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.lines).toHaveLength(lines.length);
        expect(result.lines.map((l) => l.amount)).toEqual(lines.map((l) => l.amount));
        expect(result.total).toBe(lines.reduce((sum, l) => sum + l.amount, 0));
      }),
      { numRuns: 200 },
    );
  });

  it('accepts range amounts exactly within [min x q, max x q] (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: -10, max: 50_010 }),
        (q, perUnitCents) => {
          const amount = Math.round((perUnitCents * q) / 10);
          const result = check([{ itemCode: 'RS-001', quantity: q, amount }], 'RS');
          const within = amount >= 1000 * q && amount <= 5000 * q;
          expect(result.ok).toBe(within);
          if (result.ok) expect(result.total).toBe(amount);
          else expect(result.violations.map((v) => v.rule)).toEqual(['amount_out_of_range']);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('checkCharge: the total a receipt holds', () => {
  it('accepts a total up to 999,999,999,999.99 yuan and refuses one fen more, naming the total', () => {
    expect(checkBig([MAX_FEN]).ok).toBe(true);
    expect(checkBig([MAX_FEN - 1, 1]).ok).toBe(true);
    const refused = checkBig([MAX_FEN, 1]);
    expect(refused).toEqual({
      ok: false,
      violations: [
        {
          path: 'lines',
          rule: 'total_too_large',
          message:
            'the total 1000000000000.00 is more than a receipt holds (999999999999.99): split the charge',
        },
      ],
    });
  });

  it('refuses exactly the charges whose total is above it (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: MAX_FEN }), { minLength: 1, maxLength: 25 }),
        (amounts) => {
          const total = amounts.reduce((sum, a) => sum + a, 0);
          const result = checkBig(amounts);
          expect(result.ok).toBe(total <= MAX_FEN);
          if (!result.ok) expect(result.violations.map((v) => v.rule)).toEqual(['total_too_large']);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('checkCharge: amounts', () => {
  it('requires exactly price x quantity for a fixed standard (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_QUANTITY }),
        fc.integer({ min: -100_000, max: 100_000 }),
        (q, delta) => {
          const result = check([{ itemCode: 'ZRZY-002', quantity: q, amount: 55000 * q + delta }]);
          expect(result.ok).toBe(delta === 0);
          if (!result.ok) {
            expect(result.violations).toHaveLength(1);
            expect(result.violations[0]).toMatchObject({
              line: 0,
              rule: 'amount_mismatch',
              path: 'lines[0].amount',
            });
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses range amounts one fen outside the bounds', () => {
    expect(rulesOf([{ itemCode: 'RS-001', quantity: 2, amount: 1999 }], 'RS')).toEqual([
      'amount_out_of_range',
    ]);
    expect(rulesOf([{ itemCode: 'RS-001', quantity: 2, amount: 10001 }], 'RS')).toEqual([
      'amount_out_of_range',
    ]);
    expect(check([{ itemCode: 'RS-001', quantity: 2, amount: 2000 }], 'RS').ok).toBe(true);
    expect(check([{ itemCode: 'RS-001', quantity: 2, amount: 10000 }], 'RS').ok).toBe(true);
  });

  it('says in the message what the amount should be', () => {
    const [v] = violationsOf([{ itemCode: 'ZRZY-001', quantity: 2, amount: 8000 }]);
    expect(v?.message).toContain('80.00');
    expect(v?.message).toContain('160.00');
  });
});

describe('checkCharge: item, date and department', () => {
  it.each([
    ['NOPE-001', 'unknown_item'],
    ['ZRZY-003', 'suspended'],
    ['ZRZY-004', 'abolished'],
    ['ZRZY-005', 'expired'],
    ['ZRZY-006', 'not_yet_effective'],
    ['ZRZY-007', 'not_yet_effective'],
  ])('refuses %s with %s', (itemCode, rule) => {
    const violations = violationsOf([{ itemCode, quantity: 1, amount: 8000 }]);
    expect(violations).toEqual([expect.objectContaining({ rule, line: 0, path: 'lines[0].itemCode' })]);
    expect(violations[0]?.message).toContain(itemCode);
  });

  it('accepts an item up to and including its validTo, and from its validFrom', () => {
    expect(check([{ itemCode: 'ZRZY-005', quantity: 1, amount: 8000 }], 'ZRZY', '2025-12-31').ok).toBe(true);
    expect(check([{ itemCode: 'ZRZY-006', quantity: 1, amount: 8000 }], 'ZRZY', '2027-01-01').ok).toBe(true);
  });

  it('refuses an item of another department', () => {
    const violations = violationsOf([{ itemCode: 'GA-001', quantity: 1, amount: 2000 }], 'ZRZY');
    expect(violations).toEqual([expect.objectContaining({ rule: 'wrong_department', line: 0 })]);
    expect(violations[0]?.message).toContain('GA');
  });

  it('refuses a charge without lines', () => {
    expect(rulesOf([])).toEqual(['no_lines']);
  });

  it('checks a charge dated before a price change against the old price', () => {
    expect(check([{ itemCode: 'ZRZY-001', quantity: 1, amount: 8000 }], 'ZRZY', '2026-12-31').ok).toBe(true);
    expect(rulesOf([{ itemCode: 'ZRZY-001', quantity: 1, amount: 6000 }], 'ZRZY', '2026-12-31')).toEqual([
      'amount_mismatch',
    ]);
    const after = check([{ itemCode: 'ZRZY-001', quantity: 1, amount: 6000 }], 'ZRZY', '2027-01-01');
    expect(after.ok && after.lines[0]?.itemVersion).toBe(2);
    expect(rulesOf([{ itemCode: 'ZRZY-001', quantity: 1, amount: 8000 }], 'ZRZY', '2027-01-01')).toEqual([
      'amount_mismatch',
    ]);
    // Exemptions follow the version too: 低保户 is granted by version 1 only.
    expect(
      check([{ itemCode: 'ZRZY-001', quantity: 1, amount: 4000, exemption: '低保户' }], 'ZRZY', '2026-12-31')
        .ok,
    ).toBe(true);
    expect(
      rulesOf(
        [{ itemCode: 'ZRZY-001', quantity: 1, amount: 3000, exemption: '低保户' }],
        'ZRZY',
        '2027-01-01',
      ),
    ).toEqual(['exemption_not_applicable']);
  });

  it('checks each charge date against the price then in force (property)', () => {
    const history = fc
      .uniqueArray(isoDateArb('2018-01-02', '2030-12-31'), { minLength: 1, maxLength: 6 })
      .chain((dates) =>
        fc
          .uniqueArray(fc.integer({ min: 1, max: 100_000 }), {
            minLength: dates.length,
            maxLength: dates.length,
          })
          .map((prices) =>
            [...dates].sort().map((effectiveFrom, i) => ({ effectiveFrom, price: prices[i]! })),
          ),
      );
    fc.assert(
      fc.property(history, fc.nat(), fc.integer({ min: 1, max: 50 }), (changes, pick, q) => {
        const versions = changes.map((c, i) =>
          version({
            code: 'X-1',
            version: i + 2,
            effectiveFrom: c.effectiveFrom,
            standard: { type: 'fixed', amount: c.price },
          }),
        );
        const original = version({
          code: 'X-1',
          version: 1,
          effectiveFrom: '2017-01-01',
          standard: { type: 'fixed', amount: 123_456 },
        });
        const byCode = groupVersions([original, ...versions]);
        const i = pick % changes.length;
        const before = addDays(changes[i]!.effectiveFrom, -1);
        const oldPrice = i === 0 ? 123_456 : changes[i - 1]!.price;
        const newPrice = changes[i]!.price;
        const charge = (chargeDate: string, amount: number) =>
          checkCharge(
            { department: 'ZRZY', chargeDate, lines: [{ itemCode: 'X-1', quantity: q, amount }] },
            byCode,
          );
        expect(charge(before, oldPrice * q).ok).toBe(true);
        expect(charge(before, newPrice * q).ok).toBe(false);
        expect(charge(changes[i]!.effectiveFrom, newPrice * q).ok).toBe(true);
        expect(charge(changes[i]!.effectiveFrom, oldPrice * q).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkCharge: quantity', () => {
  it.each([0, -1, 1.5, 0.999, MAX_QUANTITY + 1, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses quantity %d',
    (quantity) => {
      expect(violationsOf([{ itemCode: 'GA-001', quantity, amount: 2000 }], 'GA')).toEqual([
        expect.objectContaining({ rule: 'bad_quantity', line: 0, path: 'lines[0].quantity' }),
      ]);
    },
  );
});

describe('checkCharge: exemptions', () => {
  it('refuses an exemption the item does not grant', () => {
    expect(rulesOf([{ itemCode: 'ZRZY-002', quantity: 1, amount: 0, exemption: '小微企业' }])).toEqual([
      'exemption_not_applicable',
    ]);
    expect(rulesOf([{ itemCode: 'ZRZY-001', quantity: 1, amount: 0, exemption: '外星人' }])).toEqual([
      'exemption_not_applicable',
    ]);
    // An exemption of another item does not carry over.
    expect(rulesOf([{ itemCode: 'GA-001', quantity: 1, amount: 0, exemption: '退役军人' }], 'GA')).toEqual([
      'exemption_not_applicable',
    ]);
  });

  it('waives the whole amount', () => {
    const result = check([{ itemCode: 'ZRZY-001', quantity: 3, amount: 0, exemption: '小微企业' }]);
    expect(result).toMatchObject({ ok: true, total: 0, lines: [{ exemption: '小微企业', amount: 0 }] });
    expect(rulesOf([{ itemCode: 'ZRZY-001', quantity: 3, amount: 24000, exemption: '小微企业' }])).toEqual([
      'amount_mismatch',
    ]);
    expect(check([{ itemCode: 'RS-001', quantity: 2, amount: 0, exemption: '退役军人' }], 'RS').ok).toBe(
      true,
    );
    expect(rulesOf([{ itemCode: 'RS-001', quantity: 2, amount: 1, exemption: '退役军人' }], 'RS')).toEqual([
      'amount_out_of_range',
    ]);
  });

  it('reduces by a percentage: 50% off 80.00 is 40.00 per unit', () => {
    expect(check([{ itemCode: 'ZRZY-001', quantity: 3, amount: 12000, exemption: '低保户' }]).ok).toBe(true);
    expect(rulesOf([{ itemCode: 'ZRZY-001', quantity: 3, amount: 24000, exemption: '低保户' }])).toEqual([
      'amount_mismatch',
    ]);
    // 30% off 80.00 is 56.00.
    expect(check([{ itemCode: 'ZRZY-001', quantity: 1, amount: 5600, exemption: '七折对象' }]).ok).toBe(true);
    // 50% off a 10.00-50.00 range is 5.00-25.00 per unit.
    expect(check([{ itemCode: 'RS-001', quantity: 2, amount: 1000, exemption: '残疾人' }], 'RS').ok).toBe(
      true,
    );
    expect(check([{ itemCode: 'RS-001', quantity: 2, amount: 5000, exemption: '残疾人' }], 'RS').ok).toBe(
      true,
    );
    expect(rulesOf([{ itemCode: 'RS-001', quantity: 2, amount: 5001, exemption: '残疾人' }], 'RS')).toEqual([
      'amount_out_of_range',
    ]);
    expect(rulesOf([{ itemCode: 'RS-001', quantity: 2, amount: 999, exemption: '残疾人' }], 'RS')).toEqual([
      'amount_out_of_range',
    ]);
  });

  it('rounds a percentage reduction half up to the fen, per unit', () => {
    // 30% off 5.55 is 3.885, which rounds to 3.89.
    const percent = { who: 'x', kind: 'percent' as const, percent: 30 };
    expect(allowedAmounts({ type: 'fixed', amount: 555 }, 1, percent)).toEqual([389, 389]);
    expect(allowedAmounts({ type: 'fixed', amount: 8000 }, 3, percent)).toEqual([16800, 16800]);
  });

  it('reduces to a fixed amount per unit, never above the standard', () => {
    expect(check([{ itemCode: 'ZRZY-001', quantity: 2, amount: 4000, exemption: '优抚对象' }]).ok).toBe(true);
    expect(rulesOf([{ itemCode: 'ZRZY-001', quantity: 2, amount: 16000, exemption: '优抚对象' }])).toEqual([
      'amount_mismatch',
    ]);
    // Range 10.00-50.00 capped at 20.00 per unit: 10.00-20.00.
    expect(check([{ itemCode: 'RS-001', quantity: 1, amount: 2000, exemption: '困难学生' }], 'RS').ok).toBe(
      true,
    );
    expect(check([{ itemCode: 'RS-001', quantity: 1, amount: 1000, exemption: '困难学生' }], 'RS').ok).toBe(
      true,
    );
    expect(rulesOf([{ itemCode: 'RS-001', quantity: 1, amount: 2001, exemption: '困难学生' }], 'RS')).toEqual(
      ['amount_out_of_range'],
    );
    // A reduced amount above the standard does not raise it.
    expect(
      allowedAmounts({ type: 'fixed', amount: 1000 }, 2, { who: 'x', kind: 'amount', amount: 5000 }),
    ).toEqual([2000, 2000]);
  });

  it('never asks more with an exemption than without (property)', () => {
    const standard = fc.oneof(
      fc.integer({ min: 0, max: 10 ** 8 }).map((amount) => ({ type: 'fixed' as const, amount })),
      fc
        .tuple(fc.integer({ min: 0, max: 10 ** 8 }), fc.integer({ min: 0, max: 10 ** 8 }))
        .map(([a, b]) => ({ type: 'range' as const, min: Math.min(a, b), max: Math.max(a, b) })),
    );
    const exemption = fc.oneof(
      fc.constant({ who: 'w', kind: 'waive' as const }),
      fc.integer({ min: 1, max: 99 }).map((percent) => ({ who: 'p', kind: 'percent' as const, percent })),
      fc.integer({ min: 0, max: 10 ** 8 }).map((amount) => ({ who: 'a', kind: 'amount' as const, amount })),
    );
    fc.assert(
      fc.property(standard, fc.integer({ min: 1, max: 1000 }), exemption, (s, q, e) => {
        const [min, max] = allowedAmounts(s, q);
        const [rmin, rmax] = allowedAmounts(s, q, e);
        expect(rmin).toBeGreaterThanOrEqual(0);
        expect(rmin).toBeLessThanOrEqual(rmax);
        expect(rmin).toBeLessThanOrEqual(min);
        expect(rmax).toBeLessThanOrEqual(max);
        expect(Number.isInteger(rmin) && Number.isInteger(rmax)).toBe(true);
        if (e.kind === 'waive') expect([rmin, rmax]).toEqual([0, 0]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('checkCharge: every violation is reported', () => {
  it('reports one violation per bad line, with its index, and none for the good lines', () => {
    const violations = violationsOf([
      { itemCode: 'NOPE', quantity: 1, amount: 100 },
      { itemCode: 'ZRZY-001', quantity: 1, amount: 8000 },
      { itemCode: 'ZRZY-001', quantity: 0, amount: 0 },
      { itemCode: 'ZRZY-002', quantity: 1, amount: 1 },
    ]);
    expect(violations.map((v) => [v.line, v.rule, v.path])).toEqual([
      [0, 'unknown_item', 'lines[0].itemCode'],
      [2, 'bad_quantity', 'lines[2].quantity'],
      [3, 'amount_mismatch', 'lines[3].amount'],
    ]);
  });

  it('reports exactly the bad lines of a random charge (property)', () => {
    const good: ChargeLine = { itemCode: 'ZRZY-001', quantity: 1, amount: 8000 };
    const bad: [ChargeLine, string][] = [
      [{ itemCode: 'NOPE', quantity: 1, amount: 8000 }, 'unknown_item'],
      [{ itemCode: 'GA-001', quantity: 1, amount: 2000 }, 'wrong_department'],
      [{ itemCode: 'ZRZY-003', quantity: 1, amount: 8000 }, 'suspended'],
      [{ itemCode: 'ZRZY-004', quantity: 1, amount: 8000 }, 'abolished'],
      [{ itemCode: 'ZRZY-005', quantity: 1, amount: 8000 }, 'expired'],
      [{ itemCode: 'ZRZY-006', quantity: 1, amount: 8000 }, 'not_yet_effective'],
      [{ itemCode: 'ZRZY-001', quantity: -2, amount: 8000 }, 'bad_quantity'],
      [{ itemCode: 'ZRZY-001', quantity: 1, amount: 7999 }, 'amount_mismatch'],
      [{ itemCode: 'ZRZY-001', quantity: 1, amount: 0, exemption: '外星人' }, 'exemption_not_applicable'],
    ];
    const line = fc.oneof(fc.constant<[ChargeLine, string | null]>([good, null]), fc.constantFrom(...bad));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 12 }), (rows) => {
        const result = check(rows.map(([l]) => l));
        const expected = rows.flatMap(([, rule], index) => (rule ? [[index, rule]] : []));
        if (expected.length === 0) expect(result.ok).toBe(true);
        else {
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.violations.map((v) => [v.line, v.rule])).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkCharge: amounts that are not whole fen', () => {
  // Handlers parse amounts with parseYuan, so only a programming error gets here; the
  // core refuses it anyway (NaN would pass every comparison).
  it('refuses a NaN amount', () => {
    const result = check([{ itemCode: 'ZRZY-001', quantity: 1, amount: Number.NaN }]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.violations[0]!.rule).toBe('bad_amount');
  });
  it('refuses a fractional amount inside a range', () => {
    expect(check([{ itemCode: 'RS-001', quantity: 1, amount: 1234.5 }], 'RS').ok).toBe(false);
  });
});

describe('chargeDateViolations: the charge date lies from maxAgeDays before today up to today', () => {
  it('accepts exactly the dates of the window and names the one rule a date outside breaks', () => {
    fc.assert(
      fc.property(
        isoDateArb('2000-01-01', '2040-12-31'),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: -800, max: 800 }),
        (today, maxAgeDays, daysBack) => {
          const chargeDate = addDays(today, -daysBack);
          const violations = chargeDateViolations(chargeDate, today, maxAgeDays);
          if (daysBack >= 0 && daysBack <= maxAgeDays) expect(violations).toEqual([]);
          else {
            expect(violations).toHaveLength(1);
            const [v] = violations;
            expect(v!.path).toBe('chargeDate');
            expect(v!.rule).toBe(daysBack < 0 ? 'charge_date_in_future' : 'charge_date_too_old');
            expect(v!.message).toContain(chargeDate);
            expect(v!.message).toContain(today);
            // A refusal for age says the window and the first date that would do.
            if (daysBack > 0) {
              expect(v!.message).toContain(`more than ${maxAgeDays} days before today`);
              expect(v!.message).toContain(`from ${addDays(today, -maxAgeDays)} on`);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('draws the line at the window: 30 days back passes, 31 does not, across a year end', () => {
    expect(chargeDateViolations('2026-12-02', '2027-01-01', 30)).toEqual([]);
    expect(chargeDateViolations('2026-12-01', '2027-01-01', 30).map((v) => v.rule)).toEqual([
      'charge_date_too_old',
    ]);
    expect(chargeDateViolations('2018-03-01', '2026-12-02', 30).map((v) => v.rule)).toEqual([
      'charge_date_too_old',
    ]);
    expect(chargeDateViolations('2026-12-03', '2026-12-02', 30).map((v) => v.rule)).toEqual([
      'charge_date_in_future',
    ]);
    // A window of 0: today only.
    expect(chargeDateViolations('2026-12-02', '2026-12-02', 0)).toEqual([]);
    expect(chargeDateViolations('2026-12-01', '2026-12-02', 0)).toHaveLength(1);
  });
});

describe('CHARGE_RULES: every rule a charge can break has words for people', () => {
  it('labels every rule checkCharge and the date rule report, and no rule that none reports', () => {
    const line = (itemCode: string, amount = 8000, more: Partial<ChargeLine> = {}): ChargeLine => ({
      itemCode,
      quantity: 1,
      amount,
      ...more,
    });
    const rulesOfCheck = (result: ReturnType<typeof check>) =>
      result.ok ? [] : result.violations.map((v) => v.rule);
    const rulesOfResult = (lines: ChargeLine[], department = 'ZRZY') =>
      rulesOfCheck(check(lines, department));
    // One charge that breaks each rule: together they must name every labelled rule.
    const reported = [
      ...chargeDateViolations(addDays(TODAY, 1), TODAY, 30).map((v) => v.rule),
      ...chargeDateViolations(addDays(TODAY, -31), TODAY, 30).map((v) => v.rule),
      ...rulesOfResult([]),
      ...rulesOfResult([
        line('NOPE'),
        line('ZRZY-006'),
        line('ZRZY-005'),
        line('ZRZY-003'),
        line('ZRZY-004'),
        line('GA-001', 2000),
        line('ZRZY-001', 8000, { quantity: 0 }),
        line('ZRZY-001', Number.NaN),
        line('ZRZY-001', 0, { exemption: '外星人' }),
        line('ZRZY-001', 7999),
      ]),
      ...rulesOfResult([line('RS-001', 6000)], 'RS'),
      ...rulesOfCheck(checkBig([MAX_FEN, 1])),
    ];
    expect([...new Set(reported)].sort()).toEqual(Object.keys(CHARGE_RULES).sort());
    // And any charge at all reports only labelled rules.
    const anyLine = fc.record({
      itemCode: fc.constantFrom('ZRZY-001', 'ZRZY-003', 'ZRZY-006', 'RS-001', 'GA-001', 'NOPE'),
      quantity: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constant(0.5)),
      amount: fc.oneof(fc.constantFrom(8000, Number.NaN), fc.integer({ min: 0, max: 20_000 })),
      exemption: fc.option(fc.constantFrom('小微企业', '外星人'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(anyLine, { maxLength: 4 }), fc.constantFrom('ZRZY', 'RS'), (lines, department) => {
        for (const rule of rulesOfResult(lines, department))
          expect(Object.keys(CHARGE_RULES)).toContain(rule);
      }),
    );
    for (const [rule, label] of Object.entries(CHARGE_RULES)) {
      expect(label.zh, rule).not.toMatch(/[A-Za-z]/);
      expect(label.en, rule).not.toContain('_');
    }
  });
});
