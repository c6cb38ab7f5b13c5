import { describe, expect, it } from 'vitest';
import { catalogueAsOf, groupVersions, type ItemVersion } from '../../lambdas/core/catalogue.js';
import { checkCharge } from '../../lambdas/core/charge.js';
import { isIsoDate } from '../../lambdas/core/dates.js';
import { createItemRequest, feeItemOut } from '../../lambdas/core/schemas.js';
import { DEMO_CATALOGUE, DEMO_DEPARTMENTS, DEMO_NOTICE } from '../../lambdas/local/demo-catalogue.js';

const asVersions = (): ItemVersion[] =>
  DEMO_CATALOGUE.map((item) => ({
    ...item,
    version: 1,
    effectiveFrom: item.validFrom,
    changeType: 'import',
    changedBy: 'demo',
    changedAt: '2026-01-01T00:00:00Z',
    reason: 'demo catalogue',
  }));

describe('demo catalogue', () => {
  it('says it is not an official catalogue', () => {
    expect(DEMO_NOTICE).toContain('不是正式收费目录');
    expect(DEMO_NOTICE).toMatch(/not an official catalogue/i);
  });

  it('has at least ten items across at least four departments, each department named', () => {
    expect(DEMO_CATALOGUE.length).toBeGreaterThanOrEqual(10);
    const departments = new Set(DEMO_CATALOGUE.map((i) => i.department));
    expect(departments.size).toBeGreaterThanOrEqual(4);
    for (const d of departments) expect(DEMO_DEPARTMENTS[d]?.trim()).toBeTruthy();
    for (const [code, name] of Object.entries(DEMO_DEPARTMENTS)) {
      expect(code).toMatch(/^[A-Z0-9]{2,16}$/);
      expect(name).toMatch(/^某市.+/);
      expect(departments.has(code)).toBe(true); // no unused department
    }
  });

  it('has unique, well-formed item codes that name their department', () => {
    const codes = DEMO_CATALOGUE.map((i) => i.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const item of DEMO_CATALOGUE) {
      expect(item.code).toMatch(/^[A-Z0-9][A-Z0-9-]{0,31}$/);
      expect(item.code.startsWith(`${item.department}-`)).toBe(true);
    }
  });

  it.each(DEMO_CATALOGUE.map((i) => [i.code, i] as const))('%s is well-formed', (_code, item) => {
    expect(item.name.trim()).toBe(item.name);
    expect(item.name.length).toBeGreaterThan(0);
    expect(item.unit.length).toBeGreaterThan(0);
    const amounts =
      item.standard.type === 'fixed' ? [item.standard.amount] : [item.standard.min, item.standard.max];
    for (const a of amounts) {
      expect(Number.isSafeInteger(a)).toBe(true);
      expect(a).toBeGreaterThan(0);
    }
    if (item.standard.type === 'range') expect(item.standard.min).toBeLessThanOrEqual(item.standard.max);
    expect(isIsoDate(item.validFrom)).toBe(true);
    if (item.validTo !== null) {
      expect(isIsoDate(item.validTo)).toBe(true);
      expect(item.validTo >= item.validFrom).toBe(true);
    }
    expect(item.basis.length).toBeGreaterThan(0);
    for (const b of item.basis) {
      expect(isIsoDate(b.date)).toBe(true);
      expect(b.date <= item.validFrom).toBe(true);
      expect(b.number).toMatch(/〔\d{4}〕\d+号$/);
      expect(b.title.length).toBeGreaterThan(0);
      expect(b.issuer.length).toBeGreaterThan(0);
    }
    expect(['treasury', 'special_account']).toContain(item.fundManagement);
    expect(['active', 'suspended', 'abolished']).toContain(item.status);
    const whos = item.exemptions.map((e) => e.who);
    expect(new Set(whos).size).toBe(whos.length);
    for (const e of item.exemptions) {
      if (e.kind === 'percent')
        expect(Number.isInteger(e.percent) && e.percent >= 1 && e.percent <= 99).toBe(true);
      if (e.kind === 'amount') expect(Number.isSafeInteger(e.amount) && e.amount >= 0).toBe(true);
    }
  });

  it('is accepted by the catalogue import schema', () => {
    for (const item of DEMO_CATALOGUE) {
      const parsed = createItemRequest.safeParse(feeItemOut(item));
      expect(parsed.error?.issues ?? [], item.code).toEqual([]);
      expect(parsed.data).toMatchObject({
        code: item.code,
        standard: item.standard,
        validFrom: item.validFrom,
      });
    }
  });

  it('has a range standard, exemptions of each kind, an expired item and both fund kinds', () => {
    expect(DEMO_CATALOGUE.some((i) => i.standard.type === 'range')).toBe(true);
    const kinds = new Set(DEMO_CATALOGUE.flatMap((i) => i.exemptions.map((e) => e.kind)));
    expect([...kinds].sort()).toEqual(['amount', 'percent', 'waive']);
    expect(DEMO_CATALOGUE.some((i) => i.validTo !== null && i.validTo < '2026-01-01')).toBe(true);
    expect(new Set(DEMO_CATALOGUE.map((i) => i.fundManagement)).size).toBe(2);
  });

  it('carries the well-known standards of the real-estate registration fee', () => {
    const byName = new Map(DEMO_CATALOGUE.map((i) => [i.name, i]));
    expect(byName.get('不动产登记费（住宅）')?.standard).toEqual({ type: 'fixed', amount: 8000 });
    expect(byName.get('不动产登记费（非住宅）')?.standard).toEqual({ type: 'fixed', amount: 55000 });
    expect(byName.get('不动产登记费（住宅）')?.basis[0]?.number).toBe('发改价格规〔2016〕2559号');
  });

  it('can be charged today: every item in force is chargeable at its standard by its department', () => {
    const versions = asVersions();
    const byCode = groupVersions(versions);
    const today = '2026-11-26';
    const inForce = catalogueAsOf(versions, today);
    expect(inForce.length).toBe(
      DEMO_CATALOGUE.filter((i) => i.validTo === null || i.validTo >= today).length,
    );
    for (const item of inForce) {
      const amount = item.standard.type === 'fixed' ? item.standard.amount : item.standard.min;
      const result = checkCharge(
        {
          department: item.department,
          chargeDate: today,
          lines: [{ itemCode: item.code, quantity: 2, amount: amount * 2 }],
        },
        byCode,
      );
      expect(result.ok, item.code).toBe(true);
    }
  });
});
