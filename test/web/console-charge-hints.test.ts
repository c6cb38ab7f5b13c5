/**
 * What the cashier's form says before the server's check (web/src/console/charge.ts): a
 * quantity's rule, the amount a range item's line still needs, and a search that finds none of
 * the department's items (another department's code, or nothing in force).
 */
import { describe, expect, it } from 'vitest';
import {
  amountNeeded,
  chargeBody,
  type Draft,
  type DraftLine,
  type Item,
  noMatch,
  quantityProblem,
} from '../../web/src/console/charge.js';

const item = (code: string, department: string, standard: Item['standard']): Item => ({
  code,
  name: `${code} 名称`,
  department,
  unit: '人',
  standard,
  exemptions: [{ who: '低保', kind: 'percent', percent: 50 }],
});
const line = (change: Partial<DraftLine> = {}): DraftLine => ({
  itemCode: 'RS-001',
  quantity: '1',
  amount: '',
  exemption: '',
  ...change,
});
const RANGE = item('RS-001', 'RS', { type: 'range', min: '10.00', max: '50.00' });
const FIXED = item('GA-001', 'GA', { type: 'fixed', amount: '20.00' });

describe('the cashier form hints', () => {
  it("says a quantity must be a whole number from 1 to the server's limit", () => {
    for (const quantity of ['0', '', ' ', '1.5', '-1', 'abc', '1000001', '9999999'])
      expect(quantityProblem(line({ quantity })), quantity).toEqual({
        zh: '数量须为 1 至 1,000,000 的整数',
        en: 'The quantity must be a whole number from 1 to 1,000,000',
      });
    for (const quantity of ['1', ' 2 ', '1000000']) expect(quantityProblem(line({ quantity }))).toBeNull();
  });

  it("says what a range item's empty amount may be, for the line's quantity and exemption", () => {
    expect(amountNeeded(RANGE, line())?.en).toBe('This item needs an amount between 10.00 and 50.00 yuan');
    expect(amountNeeded(RANGE, line())?.zh).toBe('此项目须填写金额：10.00 – 50.00 元');
    expect(amountNeeded(RANGE, line({ quantity: '3' }))?.en).toContain('between 30.00 and 150.00');
    expect(amountNeeded(RANGE, line({ exemption: '低保' }))?.en).toContain('between 5.00 and 25.00');
    // While the quantity is wrong, the catalogue's own standard.
    expect(amountNeeded(RANGE, line({ quantity: '0' }))?.en).toContain('between 10.00 and 50.00');
    expect(amountNeeded(RANGE, line({ amount: '60' }))).toBeNull();
    expect(amountNeeded(FIXED, line())).toBeNull();
  });

  it("tells another department's code apart from no item at all", () => {
    const all = [RANGE, FIXED];
    expect(noMatch(all, 'ZRZY', ' ga-001 ')).toEqual({
      zh: 'GA-001 GA-001 名称：非本部门的收费项目（由 GA 收取）',
      en: "GA-001 is another department's item: GA collects it, not ZRZY",
    });
    // With the printed names read, the department is named as its receipts name it.
    expect(noMatch(all, 'ZRZY', 'GA-001', new Map([['GA', '某市公安局']]))).toEqual({
      zh: 'GA-001 GA-001 名称：非本部门的收费项目（由 某市公安局 (GA) 收取）',
      en: "GA-001 is another department's item: 某市公安局 (GA) collects it, not ZRZY",
    });
    expect(noMatch(all, 'ZRZY', 'GA-00')).toEqual({
      zh: '本部门现行收费项目中没有匹配项',
      en: 'No item of this department in force matches',
    });
    expect(noMatch(all, 'ZRZY', '  ')).toBeNull();
  });
});

describe('the body the cashier form sends', () => {
  const draft = (payer: Partial<Draft['payer']>, lines: Partial<DraftLine>[]): Draft => ({
    key: 'form-key-0001',
    payer: { type: 'person', name: '李四（代办）', idNumber: '', ...payer },
    lines: lines.map(line),
    remark: '',
  });
  const items = new Map([RANGE, FIXED].map((i) => [i.code, i]));

  it("reads an input method's full-width digits and a lowercase check digit as the API does", () => {
    const body = chargeBody(
      draft({ idNumber: ' １１０１０５ １９９００３０７ ２３１x ' }, [
        { itemCode: 'RS-001', quantity: '２', amount: '３５．５０' },
        { itemCode: 'GA-001', quantity: ' ３ ' },
      ]),
      items,
    );
    expect(body.payer).toEqual({ type: 'person', name: '李四（代办）', idNumber: '11010519900307231X' });
    expect(body.lines.map((l) => [l.quantity, l.amount])).toEqual([
      [2, '35.50'],
      [3, '60.00'],
    ]);
  });

  it('sends no ID number when none is typed, and a name with its full-width brackets as typed', () => {
    const body = chargeBody(draft({ idNumber: '　' }, [{}]), items);
    expect(body.payer).toEqual({ type: 'person', name: '李四（代办）' });
  });
});
