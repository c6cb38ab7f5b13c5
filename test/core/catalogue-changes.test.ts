/**
 * The rules of catalogue changes over an item's history: abolition is final from its date,
 * a change dated before a version already scheduled is not silently undone by it, and what a
 * fee item may not say beyond its schema (exemptions, a new abolished item).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FeeItem, type ItemVersion, versionAsOf } from '../../lambdas/core/catalogue.js';
import {
  itemViolations,
  newItemVersion,
  revisedVersion,
  statusVersion,
} from '../../lambdas/core/catalogue-changes.js';
import { AppError } from '../../lambdas/core/errors.js';
import { addDays, feeItem, version } from './support.js';

const today = '2026-12-01';
const s = { actor: 'finance-1', at: new Date(`${today}T02:00:00Z`), today };
const basis = {
  title: '关于取消收费的通知',
  number: '取〔2026〕1号',
  issuer: '某市财政局',
  date: '2026-11-20',
};
const item = feeItem({ code: 'PROBE-011', validFrom: today, standard: { type: 'fixed', amount: 500 } });
const { code: _c, ...fields } = item;
const created = () => [newItemVersion(item, 'new', s)];

const revise = (h: ItemVersion[], effectiveFrom: string, more: Partial<FeeItem> = {}) => [
  ...h,
  revisedVersion(h, item.code, { ...fields, ...more }, effectiveFrom, 'revise', s),
];
const status = (h: ItemVersion[], to: FeeItem['status'], effectiveFrom: string) => [
  ...h,
  statusVersion(h, item.code, { status: to, effectiveFrom, reason: 'status', basis }, s),
];
const refusal = (run: () => unknown): AppError => {
  try {
    run();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
};
const stateOn = (h: ItemVersion[], date: string) => {
  const v = versionAsOf(h, date);
  return v && `${v.status} ${v.standard.type === 'fixed' ? v.standard.amount : '-'}`;
};

describe('abolition is final from its date', () => {
  it('refuses an abolition dated before a scheduled version, naming it and its date (409)', () => {
    // The probe: 7.00 from 12-20 recorded first, then an abolition from 12-10.
    const h = revise(created(), '2026-12-20', { standard: { type: 'fixed', amount: 700 } });
    const e = refusal(() => status(h, 'abolished', '2026-12-10'));
    expect(e.status).toBe(409);
    expect(e.message).toContain('version 2 from 2026-12-20 (active)');
    expect(e.message).toContain('first record this change on 2026-12-20');
    expect(e.details).toEqual([
      {
        path: 'effectiveFrom',
        rule: 'undone_by_scheduled_version',
        message:
          'effectiveFrom 2026-12-10 is before version 2 from 2026-12-20 (active), which would bring the abolished item back',
        // The date from which the change would pass: a button in the finance form.
        suggestion: '2026-12-20',
      },
    ]);
  });

  it('refuses an abolition dated before a scheduled suspension, which would outlive it', () => {
    const h = status(created(), 'suspended', '2026-12-20');
    const e = refusal(() => status(h, 'abolished', '2026-12-10'));
    expect(e.status).toBe(409);
    expect(e.details.map((d) => d.message)).toEqual([
      expect.stringContaining('version 2 from 2026-12-20 (suspended)'),
    ]);
  });

  it('names every scheduled version that would bring it back, latest first', () => {
    let h = revise(created(), '2026-12-20', { standard: { type: 'fixed', amount: 700 } });
    h = status(h, 'suspended', '2026-12-30');
    const e = refusal(() => status(h, 'abolished', '2026-12-10'));
    expect(e.message).toContain(
      'version 3 from 2026-12-30 (suspended), version 2 from 2026-12-20 (active) are scheduled after 2026-12-10',
    );
    expect(e.message).toContain('on 2026-12-30, then on 2026-12-20');
    expect(e.details).toHaveLength(2);
  });

  it('is reached by abolishing on the scheduled dates first, latest first: never rewriting a version', () => {
    let h = revise(created(), '2026-12-20', { standard: { type: 'fixed', amount: 700 } });
    h = status(h, 'suspended', '2026-12-30');
    h = status(h, 'abolished', '2026-12-30');
    h = status(h, 'abolished', '2026-12-20');
    h = status(h, 'abolished', '2026-12-10');
    expect(h.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stateOn(h, '2026-12-09')).toBe('active 500');
    for (const d of ['2026-12-10', '2026-12-12', '2026-12-20', '2026-12-25', '2026-12-30', '2027-06-01'])
      expect(stateOn(h, d)).toMatch(/^abolished/);
  });

  it('refuses any change on or after an abolition, even one only scheduled (409)', () => {
    const h = status(created(), 'abolished', '2026-12-20');
    for (const run of [
      () => revise(h, '2026-12-20'),
      () => revise(h, '2027-01-01'),
      () => status(h, 'active', '2026-12-25'),
      () => status(h, 'suspended', '2026-12-21'),
    ]) {
      const e = refusal(run);
      expect(e.status).toBe(409);
      expect(e.message).toBe('item PROBE-011 is abolished from 2026-12-20 and can no longer be changed');
      expect(e.details[0]).toMatchObject({ path: 'effectiveFrom', rule: 'item_abolished' });
    }
  });

  it('repairs a history recorded before this rule: abolishing on the date the item came back', () => {
    // Recorded as the probe left it: 7.00 from 12-20, then an abolition from 12-10 below it.
    const h = [
      ...created(),
      version({ ...item, version: 2, effectiveFrom: '2026-12-20', standard: { type: 'fixed', amount: 700 } }),
      version({
        ...item,
        version: 3,
        effectiveFrom: '2026-12-10',
        status: 'abolished',
        changeType: 'status',
      }),
    ];
    expect(stateOn(h, '2026-12-25')).toBe('active 700');
    expect(refusal(() => revise(h, '2026-12-25')).details[0]?.rule).toBe('item_abolished');
    const repaired = status(h, 'abolished', '2026-12-20');
    expect(stateOn(repaired, '2026-12-25')).toBe('abolished 700');
    expect(refusal(() => status(repaired, 'abolished', '2026-12-25')).message).toBe(
      'item PROBE-011 is already abolished on 2026-12-25',
    );
  });

  it('takes a new standard dated before a scheduled abolition, which still ends the item', () => {
    const h = revise(status(created(), 'abolished', '2026-12-20'), '2026-12-10', {
      standard: { type: 'fixed', amount: 600 },
    });
    expect(stateOn(h, '2026-12-10')).toBe('active 600');
    expect(stateOn(h, '2026-12-20')).toMatch(/^abolished/);
    expect(stateOn(h, '2030-01-01')).toMatch(/^abolished/);
  });
});

describe('a change dated before a scheduled version', () => {
  it('refuses a suspension that a scheduled active version would end (409)', () => {
    const h = revise(created(), '2026-12-20', { standard: { type: 'fixed', amount: 700 } });
    const e = refusal(() => status(h, 'suspended', '2026-12-10'));
    expect(e.status).toBe(409);
    expect(e.details[0]!.message).toBe(
      'effectiveFrom 2026-12-10 is before version 2 from 2026-12-20 (active), which would end the suspension without a reactivation',
    );
    // The way through: suspend on the scheduled date first (it replaces version 2 on it, keeping its 7.00).
    const through = status(status(h, 'suspended', '2026-12-20'), 'suspended', '2026-12-10');
    expect(stateOn(through, '2026-12-12')).toBe('suspended 500');
    expect(stateOn(through, '2026-12-25')).toBe('suspended 700');
  });

  it('refuses a new standard that a scheduled suspension, carrying the old one, would drop (409)', () => {
    const h = status(created(), 'suspended', '2026-12-20');
    const e = refusal(() => revise(h, '2026-12-10', { standard: { type: 'fixed', amount: 600 } }));
    expect(e.status).toBe(409);
    expect(e.details).toEqual([
      expect.objectContaining({
        rule: 'undone_by_scheduled_version',
        message: expect.stringContaining(
          'version 2 from 2026-12-20 (suspended), which carries the fields in force when it was recorded',
        ),
      }),
    ]);
    // Recorded from the suspension's date too (stating the status), the new standard holds throughout.
    const through = revise(
      revise(h, '2026-12-20', { standard: { type: 'fixed', amount: 600 }, status: 'suspended' }),
      '2026-12-10',
      {
        standard: { type: 'fixed', amount: 600 },
      },
    );
    expect(stateOn(through, '2026-12-10')).toBe('active 600');
    expect(stateOn(through, '2026-12-20')).toBe('suspended 600');
  });

  it('stages prices: a new standard before a scheduled one holds until it', () => {
    const h = revise(
      revise(created(), '2026-12-20', { standard: { type: 'fixed', amount: 700 } }),
      '2026-12-10',
      {
        standard: { type: 'fixed', amount: 600 },
      },
    );
    expect([stateOn(h, '2026-12-09'), stateOn(h, '2026-12-10'), stateOn(h, '2026-12-20')]).toEqual([
      'active 500',
      'active 600',
      'active 700',
    ]);
  });

  it('takes a status change before a scheduled one that keeps the item restricted', () => {
    const suspended = status(status(created(), 'suspended', '2026-12-20'), 'suspended', '2026-12-10');
    expect(stateOn(suspended, '2026-12-12')).toBe('suspended 500');
    // A planned suspension with its planned end, started earlier: the end stays.
    const planned = status(
      status(status(created(), 'suspended', '2026-12-20'), 'active', '2026-12-30'),
      'suspended',
      '2026-12-10',
    );
    expect(stateOn(planned, '2026-12-12')).toBe('suspended 500');
    expect(stateOn(planned, '2026-12-30')).toBe('active 500');
  });
});

/** One change finance may try: kind, days after today, and a price for a revision. */
const change = fc.record({
  kind: fc.constantFrom('revise', 'revise', 'suspended', 'active', 'abolished' as const),
  offset: fc.integer({ min: 0, max: 40 }),
  price: fc.constantFrom(500, 600, 700),
  status: fc.constantFrom('active', 'active', 'suspended' as const),
});
const DATES = Array.from({ length: 46 }, (_, i) => addDays(today, i));
const fieldsKey = (v: ItemVersion) => JSON.stringify(v.standard);

/** The versions in force on their own date, by date. */
const governing = (h: ItemVersion[]) =>
  h
    .filter((v) => versionAsOf(h, v.effectiveFrom) === v)
    .sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));

describe('any history made of accepted changes', () => {
  it('keeps abolition final, suspensions unlifted and status versions current, refusing only with 409', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 12 }), (changes) => {
        let h = created();
        for (const c of changes) {
          const date = addDays(today, c.offset);
          let next: ItemVersion[];
          try {
            next =
              c.kind === 'revise'
                ? revise(h, date, { standard: { type: 'fixed', amount: c.price }, status: c.status })
                : status(h, c.kind, date);
          } catch (e) {
            // Every refusal is a conflict with the history (409), never a 5xx or a crash.
            expect(e).toBeInstanceOf(AppError);
            expect((e as AppError).status).toBe(409);
            refused++;
            continue;
          }
          accepted++;
          const added = next.at(-1)!;
          const before = versionAsOf(h, date);
          const after = governing(next).find((v) => v.effectiveFrom > date);
          // The change holds from its date, and leaves every earlier date as it was.
          expect(versionAsOf(next, date)).toBe(added);
          for (const d of DATES.filter((d) => d < date)) expect(versionAsOf(next, d)).toBe(versionAsOf(h, d));
          // A new suspension runs into a version that keeps the item restricted, never one that lifts it.
          if (added.status === 'suspended' && before?.status !== 'suspended')
            expect(after?.status).not.toBe('active');
          // New fields are not dropped by a scheduled status change carrying the old ones.
          const onlyStatus = h.every(
            (u) => u.effectiveFrom !== after?.effectiveFrom || u.changeType === 'status',
          );
          if (after && onlyStatus && after.status !== 'abolished' && fieldsKey(added) !== fieldsKey(before!))
            expect(fieldsKey(after)).toBe(fieldsKey(added));
          h = next;
        }
        // Abolition is final: from the first date abolished, abolished on every later date.
        const first = DATES.findIndex((d) => versionAsOf(h, d)?.status === 'abolished');
        if (first >= 0)
          for (const d of DATES.slice(first)) expect(versionAsOf(h, d)?.status).toBe('abolished');
        // A date with only status changes (suspension, reactivation) carries the fields in force
        // before it: no new fields were dropped by a copy made earlier.
        const g = governing(h);
        g.forEach((v, i) => {
          const onlyStatus = h.every((u) => u.effectiveFrom !== v.effectiveFrom || u.changeType === 'status');
          if (i > 0 && onlyStatus && v.status !== 'abolished')
            expect(fieldsKey(v)).toBe(fieldsKey(g[i - 1]!));
        });
        // Versions are only added, numbered in order.
        expect(h.map((v) => v.version)).toEqual(h.map((_, i) => i + 1));
      }),
      { numRuns: 400 },
    );
    // The histories exercise both sides of the rules.
    expect(accepted).toBeGreaterThan(400);
    expect(refused).toBeGreaterThan(100);
  });
});

describe('what a fee item may not say', () => {
  const fixed = (amount: number) => ({ ...item, standard: { type: 'fixed' as const, amount } });

  it('refuses an amount exemption not below the standard, naming the field (422)', () => {
    const e = refusal(() =>
      newItemVersion(
        { ...fixed(500), exemptions: [{ who: '学生', kind: 'amount', amount: 5000 }] },
        'new',
        s,
      ),
    );
    expect(e.status).toBe(422);
    expect(e.details).toEqual([
      {
        path: 'exemptions[0].amount',
        rule: 'exemption_not_below_standard',
        message:
          'exemptions[0].amount 50.00 is not below the standard 5.00: an amount exemption reduces the charge to it',
      },
    ]);
    expect(e.message).toBe(e.details[0]!.message);
    // Equal reduces nothing either; a range's ceiling is its max.
    expect(
      itemViolations({ ...fixed(500), exemptions: [{ who: '学生', kind: 'amount', amount: 500 }] }, true),
    ).toHaveLength(1);
    const range = { ...item, standard: { type: 'range' as const, min: 1000, max: 5000 } };
    expect(
      itemViolations({ ...range, exemptions: [{ who: '学生', kind: 'amount', amount: 1000 }] }, true),
    ).toEqual([]);
    expect(
      itemViolations({ ...range, exemptions: [{ who: '学生', kind: 'amount', amount: 5000 }] }, true),
    ).toEqual([
      expect.objectContaining({
        path: 'exemptions[0].amount',
        message: expect.stringContaining('standard 10.00-50.00'),
      }),
    ]);
  });

  it('accepts an amount exemption exactly when it is below the standard', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (standard, amount) => {
          const v = itemViolations(
            { ...fixed(standard), exemptions: [{ who: '学生', kind: 'amount', amount }] },
            true,
          );
          expect(v.length === 0).toBe(amount < standard);
        },
      ),
    );
  });

  it('refuses a payer group given an exemption twice, in a revision too (422)', () => {
    const exemptions = [
      { who: '学生', kind: 'waive' as const },
      { who: '低保户', kind: 'percent' as const, percent: 50 },
      { who: '学生', kind: 'percent' as const, percent: 20 },
    ];
    const e = refusal(() => revise(created(), '2026-12-10', { exemptions }));
    expect(e.status).toBe(422);
    expect(e.details).toEqual([
      {
        path: 'exemptions[2].who',
        rule: 'duplicate_exemption',
        message: 'exemptions[2].who 学生 is given an exemption more than once: one per payer group',
      },
    ]);
  });

  it('refuses a new item that is abolished, and says every broken rule at once', () => {
    const e = refusal(() =>
      newItemVersion(
        {
          ...fixed(500),
          status: 'abolished',
          validFrom: '2026-11-30',
          exemptions: [
            { who: '学生', kind: 'amount', amount: 900 },
            { who: '学生', kind: 'waive' },
          ],
        },
        'new',
        s,
      ),
    );
    expect(e.status).toBe(422);
    expect(e.details.map((d) => [d.path, d.rule])).toEqual([
      ['validFrom', 'effective_in_past'],
      ['exemptions[0].amount', 'exemption_not_below_standard'],
      ['exemptions[1].who', 'duplicate_exemption'],
      ['status', 'abolished_new_item'],
    ]);
    // A suspended new item is allowed: it may be published before it is collected.
    expect(newItemVersion({ ...item, status: 'suspended' }, 'new', s).status).toBe('suspended');
  });
});

describe('a revision without a status', () => {
  const { status: _status, ...withoutStatus } = fields;
  const price = (amount: number) => ({ ...withoutStatus, standard: { type: 'fixed' as const, amount } });

  it('keeps the status in force on its date: a new standard for a suspended item leaves it suspended', () => {
    const h = status(created(), 'suspended', addDays(today, 1));
    const revised = revisedVersion(h, item.code, price(700), addDays(today, 5), 'new price', s);
    expect(revised.status).toBe('suspended');
    expect(stateOn([...h, revised], addDays(today, 6))).toBe('suspended 700');
  });

  it('keeps an active item active, and a status given is the one recorded', () => {
    const h = created();
    expect(revisedVersion(h, item.code, price(700), addDays(today, 5), 'new price', s).status).toBe('active');
    const suspended = revisedVersion(
      h,
      item.code,
      { ...price(700), status: 'suspended' },
      addDays(today, 5),
      'r',
      s,
    );
    expect(suspended.status).toBe('suspended');
  });
});
