import { z } from 'zod';
import { parseCsv } from './csv.js';
import type { Violation } from './errors.js';
import { createItemRequest, isoDate, text, violationsOf } from './schemas.js';

/** The columns of a catalogue CSV, in order; the README documents each. Lists inside a cell use `|`. */
export const IMPORT_COLUMNS = [
  'code',
  'name',
  'department',
  'unit',
  'standard_type',
  'amount',
  'min',
  'max',
  'fund_management',
  'valid_from',
  'valid_to',
  'basis_title',
  'basis_number',
  'basis_issuer',
  'basis_date',
  'exemptions',
  'status',
  'effective_from',
  'reason',
] as const;

type Column = (typeof IMPORT_COLUMNS)[number];
export type ImportRow = z.output<typeof createItemRequest> & { effectiveFrom?: string; rowNumber: number };
export interface RowError {
  row: number;
  violations: Violation[];
}

const split = (cell: string) => (cell === '' ? [] : cell.split('|').map((s) => s.trim()));

/** `小微企业:waive|低保户:percent:50|学生:amount:10.00` to exemption objects (validated later). */
function exemptionsOf(cell: string): unknown[] {
  return split(cell).map((entry) => {
    const [who, kind, value] = entry.split(':').map((s) => s.trim());
    if (kind === 'percent') return { who, kind, percent: Number(value) };
    if (kind === 'amount') return { who, kind, amount: value };
    return { who, kind };
  });
}

function rowObject(cells: Record<Column, string>): Record<string, unknown> {
  const titles = split(cells.basis_title);
  const numbers = split(cells.basis_number);
  const issuers = split(cells.basis_issuer);
  const dates = split(cells.basis_date);
  const standard =
    cells.standard_type === 'range'
      ? { type: 'range', min: cells.min, max: cells.max }
      : { type: cells.standard_type, amount: cells.amount };
  return {
    code: cells.code,
    name: cells.name,
    department: cells.department,
    unit: cells.unit,
    standard,
    basis: titles.map((title, i) => ({ title, number: numbers[i], issuer: issuers[i], date: dates[i] })),
    fundManagement: cells.fund_management,
    validFrom: cells.valid_from,
    validTo: cells.valid_to === '' ? null : cells.valid_to,
    exemptions: exemptionsOf(cells.exemptions),
    status: cells.status === '' ? 'active' : cells.status,
    ...(cells.reason ? { reason: cells.reason } : {}),
  };
}

const importOnly = z.strictObject({ effective_from: isoDate.optional(), reason: text(500).optional() });

/**
 * Parses a catalogue CSV into validated rows, or every bad row with why. Row numbers count
 * the header as row 1, as a spreadsheet shows them.
 */
export function parseCatalogueCsv(csvText: string): { rows: ImportRow[]; errors: RowError[] } {
  let table: string[][];
  try {
    table = parseCsv(csvText);
  } catch (e) {
    return {
      rows: [],
      errors: [
        { row: 0, violations: [{ path: 'csv', rule: 'malformed_csv', message: (e as Error).message }] },
      ],
    };
  }
  const [header, ...body] = table;
  const names = (header ?? []).map((h) => h.trim().toLowerCase());
  const missing = IMPORT_COLUMNS.filter(
    (c) =>
      !names.includes(c) &&
      !['effective_from', 'reason', 'exemptions', 'status', 'valid_to', 'min', 'max', 'amount'].includes(c),
  );
  const unknown = names.filter((n) => !(IMPORT_COLUMNS as readonly string[]).includes(n));
  if (missing.length || unknown.length || body.length === 0) {
    const violations: Violation[] = [
      ...missing.map((c) => ({
        path: `header.${c}`,
        rule: 'missing_column',
        message: `column ${c} is missing`,
      })),
      ...unknown.map((c) => ({
        path: `header.${c}`,
        rule: 'unknown_column',
        message: `column ${c} is not a catalogue column`,
      })),
      ...(body.length === 0 ? [{ path: 'csv', rule: 'no_rows', message: 'the CSV has no data rows' }] : []),
    ];
    return { rows: [], errors: [{ row: 1, violations }] };
  }

  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  body.forEach((cellsList, index) => {
    const rowNumber = index + 2;
    if (cellsList.length !== names.length) {
      errors.push({
        row: rowNumber,
        violations: [
          {
            path: 'row',
            rule: 'column_count',
            message: `row has ${cellsList.length} cells, the header ${names.length}`,
          },
        ],
      });
      return;
    }
    const cells = Object.fromEntries(IMPORT_COLUMNS.map((c) => [c, ''])) as Record<Column, string>;
    names.forEach((n, i) => {
      cells[n as Column] = cellsList[i]!.trim();
    });
    const item = createItemRequest.safeParse(rowObject(cells));
    const extra = importOnly.safeParse({
      ...(cells.effective_from ? { effective_from: cells.effective_from } : {}),
      ...(cells.reason ? { reason: cells.reason } : {}),
    });
    const violations = [
      ...(item.success ? [] : violationsOf(item.error)),
      ...(extra.success ? [] : violationsOf(extra.error)),
    ];
    const firstRow = seen.get(cells.code);
    if (firstRow !== undefined)
      violations.push({
        path: 'code',
        rule: 'duplicate_code',
        message: `code ${cells.code} already appears in row ${firstRow}`,
      });
    else seen.set(cells.code, rowNumber);
    if (violations.length || !item.success) errors.push({ row: rowNumber, violations });
    else
      rows.push({
        ...item.data,
        rowNumber,
        ...(cells.effective_from ? { effectiveFrom: cells.effective_from } : {}),
      });
  });
  return { rows, errors };
}
