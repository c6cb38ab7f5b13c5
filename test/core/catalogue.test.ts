import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  catalogueAsOf,
  groupVersions,
  inForceProblem,
  standardText,
  versionAsOf,
} from '../../lambdas/core/catalogue.js';
import { createdVersion, newItemVersion, revisedVersion } from '../../lambdas/core/catalogue-changes.js';
import { AppError } from '../../lambdas/core/errors.js';
import { addDays, feeItem, isoDateArb, prng, shuffle, version } from './support.js';

/** A price history: distinct effective dates in increasing order, each with a price in fen. */
const priceHistory = fc
  .uniqueArray(isoDateArb('2017-01-02', '2035-12-31'), { minLength: 1, maxLength: 8 })
  .chain((dates) =>
    fc
      .array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: dates.length, maxLength: dates.length })
      .map((prices) => [...dates].sort().map((effectiveFrom, i) => ({ effectiveFrom, price: prices[i]! }))),
  );

function versionsOf(history: { effectiveFrom: string; price: number }[]) {
  return history.map((h, i) =>
    version({ version: i + 1, effectiveFrom: h.effectiveFrom, standard: { type: 'fixed', amount: h.price } }),
  );
}

describe('versionAsOf', () => {
  const v1 = version({ version: 1, effectiveFrom: '2017-01-01' });
  const v2 = version({ version: 2, effectiveFrom: '2020-07-01', standard: { type: 'fixed', amount: 6000 } });
  const v3 = version({ version: 3, effectiveFrom: '2020-07-01', standard: { type: 'fixed', amount: 5000 } });
  const v4 = version({ version: 4, effectiveFrom: '2025-01-01', standard: { type: 'fixed', amount: 4000 } });

  it('is undefined before the first effective date', () => {
    expect(versionAsOf([v1, v2], '2016-12-31')).toBeUndefined();
    expect(versionAsOf([], '2026-01-01')).toBeUndefined();
  });

  it('picks the version with the latest effectiveFrom on or before the date', () => {
    expect(versionAsOf([v1, v2, v4], '2017-01-01')?.version).toBe(1);
    expect(versionAsOf([v1, v2, v4], '2020-06-30')?.version).toBe(1);
    expect(versionAsOf([v1, v2, v4], '2020-07-01')?.version).toBe(2);
    expect(versionAsOf([v1, v2, v4], '2024-12-31')?.version).toBe(2);
    expect(versionAsOf([v1, v2, v4], '2025-01-01')?.version).toBe(4);
  });

  it('breaks a tie on effectiveFrom by the higher version, whatever the input order', () => {
    expect(versionAsOf([v1, v2, v3], '2021-01-01')?.version).toBe(3);
    expect(versionAsOf([v3, v2, v1], '2021-01-01')?.version).toBe(3);
    expect(versionAsOf([v2, v3, v1], '2021-01-01')?.version).toBe(3);
  });

  it('prefers a later effective date over a higher version (a back-dated correction)', () => {
    const backDated = version({ version: 5, effectiveFrom: '2018-01-01' });
    expect(versionAsOf([v1, v2, backDated], '2021-01-01')?.version).toBe(2);
    expect(versionAsOf([v1, v2, backDated], '2019-01-01')?.version).toBe(5);
  });

  it('finds the price in force on any date of a random history, in any input order', () => {
    fc.assert(
      fc.property(
        priceHistory,
        isoDateArb('2016-06-01', '2036-06-30'),
        fc.integer(),
        (history, date, seed) => {
          const expected = history.filter((h) => h.effectiveFrom <= date).at(-1);
          const found = versionAsOf(shuffle(versionsOf(history), prng(seed)), date);
          if (!expected) expect(found).toBeUndefined();
          else expect(found?.standard).toEqual({ type: 'fixed', amount: expected.price });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives the old price the day before a change and the new price on the day', () => {
    const withChange = priceHistory
      .filter((h) => h.length >= 2)
      .chain((h) => fc.tuple(fc.constant(h), fc.integer({ min: 1, max: h.length - 1 })));
    fc.assert(
      fc.property(withChange, ([history, i]) => {
        const versions = versionsOf(history);
        const change = history[i]!.effectiveFrom;
        expect(versionAsOf(versions, addDays(change, -1))?.standard).toEqual({
          type: 'fixed',
          amount: history[i - 1]!.price,
        });
        expect(versionAsOf(versions, change)?.standard).toEqual({ type: 'fixed', amount: history[i]!.price });
      }),
      { numRuns: 300 },
    );
  });
});

describe('inForceProblem', () => {
  it('names why a version does not apply', () => {
    expect(inForceProblem(undefined, '2026-01-01')).toBe('not_yet_effective');
    expect(inForceProblem(version({ validFrom: '2026-01-02' }), '2026-01-01')).toBe('not_yet_effective');
    expect(inForceProblem(version({ validFrom: '2026-01-01' }), '2026-01-01')).toBeNull();
    expect(inForceProblem(version({ validTo: '2025-12-31' }), '2025-12-31')).toBeNull();
    expect(inForceProblem(version({ validTo: '2025-12-31' }), '2026-01-01')).toBe('expired');
    expect(inForceProblem(version({ status: 'suspended' }), '2026-01-01')).toBe('suspended');
    expect(inForceProblem(version({ status: 'abolished' }), '2026-01-01')).toBe('abolished');
  });
});

describe('groupVersions', () => {
  it('groups by code and sorts each list by version', () => {
    const grouped = groupVersions([
      version({ code: 'B', version: 2 }),
      version({ code: 'A', version: 1 }),
      version({ code: 'B', version: 1 }),
      version({ code: 'B', version: 3 }),
    ]);
    expect([...grouped.keys()].sort()).toEqual(['A', 'B']);
    expect(grouped.get('B')?.map((v) => v.version)).toEqual([1, 2, 3]);
  });
});

describe('catalogueAsOf', () => {
  const date = '2026-11-26';
  const versions = [
    version({ code: 'ZRZY-001', department: 'ZRZY' }),
    version({ code: 'ZRZY-002', department: 'ZRZY', status: 'suspended' }),
    version({ code: 'ZRZY-003', department: 'ZRZY', status: 'abolished' }),
    version({ code: 'ZRZY-004', department: 'ZRZY', validTo: '2026-11-25' }),
    version({ code: 'ZRZY-005', department: 'ZRZY', validFrom: '2026-11-27', effectiveFrom: '2026-11-01' }),
    version({ code: 'ZRZY-006', department: 'ZRZY', effectiveFrom: '2026-12-01' }),
    version({ code: 'GA-002', department: 'GA' }),
    version({ code: 'GA-001', department: 'GA' }),
    // suspended by a later version that is already in force: excluded
    version({ code: 'GA-003', department: 'GA', version: 1 }),
    version({
      code: 'GA-003',
      department: 'GA',
      version: 2,
      effectiveFrom: '2026-06-01',
      status: 'suspended',
    }),
    // reinstated by a later version: included, as version 3
    version({ code: 'GA-004', department: 'GA', version: 1 }),
    version({
      code: 'GA-004',
      department: 'GA',
      version: 2,
      effectiveFrom: '2025-01-01',
      status: 'suspended',
    }),
    version({ code: 'GA-004', department: 'GA', version: 3, effectiveFrom: '2026-01-01' }),
    // abolished from a future date: still in force today
    version({ code: 'GA-005', department: 'GA', version: 1 }),
    version({
      code: 'GA-005',
      department: 'GA',
      version: 2,
      effectiveFrom: '2027-01-01',
      status: 'abolished',
    }),
    version({ code: 'SW-001', department: 'SW' }),
  ];

  it('lists only the items in force, sorted by department then code', () => {
    const listed = catalogueAsOf(versions, date).map((v) => `${v.code}@${v.version}`);
    expect(listed).toEqual(['GA-001@1', 'GA-002@1', 'GA-004@3', 'GA-005@1', 'SW-001@1', 'ZRZY-001@1']);
  });

  it('filters by department', () => {
    expect(catalogueAsOf(versions, date, 'ZRZY').map((v) => v.code)).toEqual(['ZRZY-001']);
    expect(catalogueAsOf(versions, date, 'SW').map((v) => v.code)).toEqual(['SW-001']);
    expect(catalogueAsOf(versions, date, 'NONE')).toEqual([]);
  });

  it('follows the date: earlier and later views differ as the history says', () => {
    expect(catalogueAsOf(versions, '2016-12-31')).toEqual([]);
    const early = catalogueAsOf(versions, '2024-01-01').map((v) => v.code);
    expect(early).toContain('GA-003');
    expect(early).toContain('ZRZY-004');
    const late = catalogueAsOf(versions, '2027-01-01').map((v) => v.code);
    expect(late).not.toContain('GA-005');
    expect(late).toContain('ZRZY-005');
    expect(late).toContain('ZRZY-006');
  });

  it('includes an item exactly when its version as of the date is in force and of the department', () => {
    const item = fc.record({
      code: fc.constantFrom('A-1', 'A-2', 'B-1', 'B-2', 'C-1'),
      department: fc.constantFrom('AA', 'BB'),
      effectiveFrom: isoDateArb('2020-01-01', '2030-12-31'),
      validFrom: isoDateArb('2020-01-01', '2030-12-31'),
      validTo: fc.option(isoDateArb('2020-01-01', '2030-12-31'), { nil: null }),
      status: fc.constantFrom('active', 'active', 'suspended', 'abolished' as const),
    });
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 12 }),
        isoDateArb('2019-06-01', '2031-06-01'),
        fc.option(fc.constantFrom('AA', 'BB'), { nil: undefined }),
        (rows, asOf, department) => {
          const all = rows.map((r, i) => version({ ...r, version: i + 1 }));
          const listed = catalogueAsOf(all, asOf, department);
          const codes = [...new Set(rows.map((r) => r.code))];
          for (const code of codes) {
            const current = all
              .filter((v) => v.code === code && v.effectiveFrom <= asOf)
              .sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom) || a.version - b.version)
              .at(-1);
            const inForce =
              current !== undefined &&
              current.status === 'active' &&
              current.validFrom <= asOf &&
              (current.validTo === null || asOf <= current.validTo) &&
              (department === undefined || current.department === department);
            const found = listed.filter((v) => v.code === code);
            expect(found).toEqual(inForce ? [current] : []);
          }
          const keys = listed.map((v) => `${v.department}/${v.code}`);
          expect(keys).toEqual([...keys].sort());
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('standardText', () => {
  it('prints fixed and range standards in yuan', () => {
    expect(standardText({ type: 'fixed', amount: 8000 })).toBe('80.00');
    expect(standardText({ type: 'range', min: 1000, max: 5000 })).toBe('10.00-50.00');
    expect(standardText({ type: 'range', min: 5, max: 95 })).toBe('0.05-0.95');
  });
});

describe('a new item', () => {
  const item = feeItem();
  const stampOn = (today: string) => ({ actor: 'finance-1', at: new Date(`${today}T02:00:00Z`), today });
  const refusal = (run: () => unknown) => {
    try {
      run();
    } catch (e) {
      if (e instanceof AppError) return e;
      throw e;
    }
    return null;
  };

  it('takes effect today or later, as a revision does: never from a past date', () => {
    fc.assert(
      fc.property(
        isoDateArb('2020-01-01', '2030-12-31'),
        fc.integer({ min: -400, max: 400 }),
        (today, offset) => {
          const validFrom = addDays(today, offset);
          const error = refusal(() => newItemVersion({ ...item, validFrom }, 'new', stampOn(today)));
          if (offset >= 0) expect(error).toBeNull();
          else {
            expect(error?.status).toBe(422);
            expect(error?.details).toEqual([
              {
                path: 'validFrom',
                rule: 'effective_in_past',
                message: `validFrom ${validFrom} is before today (${today})`,
              },
            ]);
            // The same rule, in the same words, as a revision that reaches into the past.
            const revision = refusal(() =>
              revisedVersion([version()], item.code, item, validFrom, 'x', stampOn(today)),
            );
            expect(revision?.details[0]?.rule).toBe(error?.details[0]?.rule);
            expect(revision?.message).toBe(error?.message);
          }
        },
      ),
    );
  });

  it('is in force from its validFrom, version 1, stamped', () => {
    const v = newItemVersion({ ...item, validFrom: '2026-12-02' }, 'new', stampOn('2026-12-02'), 'import');
    expect(v).toMatchObject({
      version: 1,
      effectiveFrom: '2026-12-02',
      changeType: 'import',
      changedBy: 'finance-1',
    });
  });

  it("recorded from the bureau's existing history (the demo seed) keeps its past dates", () => {
    const v = createdVersion(item, 'seed', stampOn('2026-12-02'), 'import');
    expect(v.effectiveFrom).toBe(item.validFrom);
    expect(item.validFrom < '2026-12-02').toBe(true);
  });
});
