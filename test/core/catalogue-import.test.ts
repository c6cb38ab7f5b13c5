import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newItemVersion, statusVersion } from '../../lambdas/core/catalogue-changes.js';
import {
  type CsvTable,
  catalogueRows,
  IMPORT_COLUMNS,
  importPlan,
  inCsvTerms,
} from '../../lambdas/core/catalogue-import.js';

type Cells = Partial<Record<(typeof IMPORT_COLUMNS)[number], string>>;

const GOOD: Cells = {
  code: 'IMP-001',
  name: '导入项目',
  department: 'IMP',
  unit: '次',
  standard_type: 'fixed',
  amount: '12.00',
  fund_management: 'treasury',
  valid_from: '2025-01-01',
  basis_title: '关于导入的通知',
  basis_number: '导〔2025〕1号',
  basis_issuer: '某市财政局',
  basis_date: '2025-01-01',
};

/** A table as the CSV adapter gives it: the header on line 1, rows on the lines given. */
function table(rows: Cells[], columns: readonly string[] = IMPORT_COLUMNS, lines?: number[]): CsvTable {
  return {
    header: { line: 1, cells: [...columns] },
    rows: rows.map((r, i) => ({
      line: lines?.[i] ?? i + 2,
      cells: columns.map((c) => r[c as keyof Cells] ?? ''),
    })),
  };
}

/** The one bad row's violations, as { path: message }. */
function errorsOf(cells: Cells) {
  const { rows, errors } = catalogueRows(table([{ ...GOOD, ...cells }]));
  expect(rows).toEqual([]);
  expect(errors).toHaveLength(1);
  expect(errors[0]!.row).toBe(2);
  return Object.fromEntries(errors[0]!.violations.map((v) => [v.path, v.message]));
}

describe('catalogue import rows', () => {
  it('turns good rows into items, numbered by the line they start on', () => {
    const { rows, errors } = catalogueRows(
      table(
        [
          GOOD,
          {
            ...GOOD,
            code: 'IMP-002',
            standard_type: 'range',
            amount: '',
            min: '1.00',
            max: '9.50',
            valid_to: '2030-12-31',
            basis_title: '通知一 | 通知二',
            basis_number: '1号|2号',
            basis_issuer: '财政局|物价局',
            basis_date: '2025-01-01|2025-02-01',
            exemptions: '小微企业:waive|低保户:percent:50|学生:amount:10.00',
            status: 'suspended',
            effective_from: '2026-03-01',
            reason: '调整',
          },
        ],
        IMPORT_COLUMNS,
        [2, 5],
      ),
    );
    expect(errors).toEqual([]);
    expect(rows[0]).toMatchObject({
      code: 'IMP-001',
      rowNumber: 2,
      standard: { type: 'fixed', amount: 1200 },
    });
    expect(rows[0]!.effectiveFrom).toBeUndefined();
    expect(rows[1]).toMatchObject({
      code: 'IMP-002',
      rowNumber: 5,
      standard: { type: 'range', min: 100, max: 950 },
      validTo: '2030-12-31',
      basis: [
        { title: '通知一', number: '1号', issuer: '财政局', date: '2025-01-01' },
        { title: '通知二', number: '2号', issuer: '物价局', date: '2025-02-01' },
      ],
      exemptions: [
        { who: '小微企业', kind: 'waive' },
        { who: '低保户', kind: 'percent', percent: 50 },
        { who: '学生', kind: 'amount', amount: 1000 },
      ],
      status: 'suspended',
      effectiveFrom: '2026-03-01',
      reason: '调整',
    });
  });

  it('takes the columns in any order and case, trimmed, without the optional ones', () => {
    const required = IMPORT_COLUMNS.filter((c) => GOOD[c] !== undefined).reverse();
    const t = table([GOOD], required);
    t.header.cells = t.header.cells.map((c) => ` ${c.toUpperCase()} `);
    t.rows[0]!.cells = t.rows[0]!.cells.map((c) => ` ${c} `);
    const { rows, errors } = catalogueRows(t);
    expect(errors).toEqual([]);
    expect(rows[0]).toMatchObject({ code: 'IMP-001', name: '导入项目', status: 'active', validTo: null });
  });

  it('refuses a header with missing, unknown or repeated columns, or no rows, on the header line', () => {
    const t = table([], ['code', 'name', 'name', 'colour']);
    t.header.line = 3;
    const { errors } = catalogueRows(t);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.row).toBe(3);
    const rules = errors[0]!.violations.map((v) => `${v.rule} ${v.path}`);
    expect(rules).toEqual([
      ...['department', 'unit', 'standard_type', 'fund_management', 'valid_from']
        .concat(['basis_title', 'basis_number', 'basis_issuer', 'basis_date'])
        .map((c) => `missing_column header.${c}`),
      'unknown_column header.colour',
      'duplicate_column header.name',
      'no_rows csv',
    ]);
  });

  it('reports a row with the wrong number of cells, and every other bad row with it', () => {
    const t = table([GOOD, { ...GOOD, code: 'IMP-002' }, { ...GOOD, code: 'IMP-003', fund_management: 'x' }]);
    t.rows[0]!.cells.pop();
    const { rows, errors } = catalogueRows(t);
    expect(rows.map((r) => r.code)).toEqual(['IMP-002']);
    expect(errors.map((e) => [e.row, e.violations.map((v) => `${v.path} ${v.rule}`)])).toEqual([
      [2, ['row column_count']],
      [4, ['fund_management invalid_value']],
    ]);
    expect(errors[0]!.violations[0]!.message).toBe('row has 18 cells, the header 19');
  });

  it('names a repeated code with the row it first appeared on', () => {
    const { errors } = catalogueRows(table([GOOD, GOOD]));
    expect(errors).toEqual([
      {
        row: 3,
        violations: [
          { path: 'code', rule: 'duplicate_code', message: 'code IMP-001 already appears in row 2' },
        ],
      },
    ]);
  });

  // Each error names the CSV column the user wrote, never the API field it becomes.
  it.each<[string, Cells, Record<string, RegExp>]>([
    ['fund_management', { fund_management: 'cash' }, { fund_management: /^fund_management .*treasury/ }],
    ['valid_from', { valid_from: '2025-02-30' }, { valid_from: /^valid_from must be a real calendar date/ }],
    [
      'valid_to before valid_from',
      { valid_to: '2024-12-31' },
      { valid_to: /^valid_to must not be before valid_from$/ },
    ],
    ['standard_type', { standard_type: 'free' }, { standard_type: /^standard_type / }],
    ['amount', { amount: '-3.00' }, { amount: /^amount must be a non-negative amount/ }],
    [
      'min above max',
      { standard_type: 'range', min: '9.00', max: '1.00' },
      { min: /^min must not exceed max$/ },
    ],
    ['min missing', { standard_type: 'range', max: '1.00' }, { min: /^min must be a non-negative amount/ }],
    ['code', { code: 'imp-1' }, { code: /^code must be 1-32 uppercase/ }],
    ['department', { department: 'x' }, { department: /^department must be 2-16/ }],
    ['name', { name: '' }, { name: /^name must not be empty$/ }],
    ['status', { status: 'open' }, { status: /^status .*suspended/ }],
    ['reason', { reason: 'x'.repeat(501) }, { reason: /^reason must be at most 500/ }],
    [
      'effective_from',
      { effective_from: '2026-13-01' },
      { effective_from: /^effective_from must be a real/ },
    ],
    [
      'no basis',
      { basis_title: '', basis_number: '', basis_issuer: '', basis_date: '' },
      {
        basis_title: /^basis_title needs at least one legal basis$/,
      },
    ],
    [
      'a basis list one short',
      { basis_title: '一|二', basis_number: '1号', basis_issuer: '甲|乙', basis_date: '2025-01-01|bad' },
      {
        basis_number: /^basis_number \(document 2\) is required$/,
        basis_date: /^basis_date \(document 2\) must be a real calendar date/,
      },
    ],
  ])('names the column for a bad %s', (_label, cells, expected) => {
    const got = errorsOf(cells);
    for (const [path, message] of Object.entries(expected)) expect(got[path]).toMatch(message);
    expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
  });

  it('names each bad exemption entry', () => {
    const { errors } = catalogueRows(
      table([{ ...GOOD, exemptions: '学生:waive|低保户:percent:half|老人:gift' }]),
    );
    expect(errors[0]!.violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/^exemptions \(entry 2, percent\) /),
      expect.stringMatching(/^exemptions \(entry 3, kind\) /),
    ]);
  });

  it('never names an API field, whatever the cells hold', () => {
    const columns = [...IMPORT_COLUMNS];
    const apiName = /fundManagement|validFrom|validTo|effectiveFrom|standard\.|basis\[|exemptions\[|\(body\)/;
    const cell = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('', 'x', '1.00', '-1', 'range', 'fixed', '2025-02-30', 'a|b', 'w:percent:x', 'w:kind'),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 19, maxLength: 19 }), { minLength: 1, maxLength: 4 }),
        (rows) => {
          const t: CsvTable = {
            header: { line: 1, cells: columns },
            rows: rows.map((cells, i) => ({ line: i + 2, cells })),
          };
          const { rows: good, errors } = catalogueRows(t);
          expect(good.length + errors.length).toBe(rows.length);
          for (const e of errors)
            for (const v of e.violations) {
              expect([...IMPORT_COLUMNS, 'row']).toContain(v.path);
              expect(`${v.path} ${v.message}`).not.toMatch(apiName);
            }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('inCsvTerms', () => {
  it('puts a catalogue change refusal in CSV terms', () => {
    expect(
      inCsvTerms({
        path: 'effectiveFrom',
        rule: 'effective_in_past',
        message: 'effectiveFrom 2025-01-01 is before today (2026-01-01)',
      }),
    ).toEqual({
      path: 'effective_from',
      rule: 'effective_in_past',
      message: 'effective_from 2025-01-01 is before today (2026-01-01)',
    });
    expect(
      inCsvTerms({ path: 'validFrom', rule: 'x', message: 'an item takes effect from validFrom on' }),
    ).toEqual({ path: 'valid_from', rule: 'x', message: 'an item takes effect from valid_from on' });
  });
});

describe('importPlan', () => {
  const stamp = { actor: 'finance-1', at: new Date('2026-12-01T02:00:00Z'), today: '2026-12-01' };
  const current: Cells = { ...GOOD, valid_from: '2026-12-01', amount: '5.00' };
  const existing = () => {
    const { rows } = catalogueRows(table([current]));
    const { rowNumber: _n, reason: _r, effectiveFrom: _e, ...item } = rows[0]!;
    const v1 = newItemVersion(item, 'new', stamp);
    const basis = { title: '暂停', number: '停1号', issuer: '某市财政局', date: '2026-11-01' };
    const v2 = statusVersion(
      [v1],
      item.code,
      { status: 'suspended', effectiveFrom: '2026-12-20', reason: '暂停', basis },
      stamp,
    );
    return new Map([[item.code, [v1, v2]]]);
  };
  const planOf = (rows: Cells[]) => importPlan(catalogueRows(table(rows)), existing(), stamp);

  it('refuses a new version that a scheduled status change would undo, in CSV terms', () => {
    const { planned, errors } = planOf([{ ...current, amount: '6.00', effective_from: '2026-12-10' }]);
    expect(planned).toEqual([]);
    expect(errors).toEqual([
      {
        row: 2,
        violations: [
          expect.objectContaining({
            path: 'effective_from',
            rule: 'undone_by_scheduled_version',
            message: expect.stringMatching(/^effective_from 2026-12-10 is before version 2 from 2026-12-20/),
          }),
        ],
      },
    ]);
  });

  it('checks what an item may not say by the same rules as the API, for new and existing codes', () => {
    const { errors } = planOf([
      { ...current, amount: '6.00', effective_from: '2026-12-20', exemptions: '学生:amount:6.00' },
      { ...current, code: 'IMP-002', exemptions: '学生:waive|学生:waive', status: 'abolished' },
    ]);
    expect(errors.map((e) => [e.row, e.violations.map((v) => [v.path, v.rule, v.message])])).toEqual([
      [
        2,
        [
          [
            'exemptions',
            'exemption_not_below_standard',
            'exemptions (entry 1, amount) 6.00 is not below the standard 6.00: an amount exemption reduces the charge to it',
          ],
        ],
      ],
      [
        3,
        [
          [
            'exemptions',
            'duplicate_exemption',
            'exemptions (entry 2, who) 学生 is given an exemption more than once: one per payer group',
          ],
          [
            'status',
            'abolished_new_item',
            'status must not be abolished for a new item: abolition ends an item that was in force',
          ],
        ],
      ],
    ]);
  });
});
