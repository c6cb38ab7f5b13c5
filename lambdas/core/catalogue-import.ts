import { z } from 'zod';
import type { ItemVersion } from './catalogue.js';
import { type ChangeStamp, newItemVersion, revisedVersion } from './catalogue-changes.js';
import { AppError, badRequest, type Violation } from './errors.js';
import { createItemRequest, isoDate, violationsOf } from './schemas.js';

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

const OPTIONAL_COLUMNS: readonly Column[] = [
  'effective_from',
  'reason',
  'exemptions',
  'status',
  'valid_to',
  'min',
  'max',
  'amount',
];

type Column = (typeof IMPORT_COLUMNS)[number];

/** A CSV as the CSV adapter reads it: cells as written, each row with the file line it starts on. */
export interface CsvTable {
  header: { line: number; cells: string[] };
  rows: { line: number; cells: string[] }[];
}

export type ImportRow = z.output<typeof createItemRequest> & { effectiveFrom?: string; rowNumber: number };
export interface RowError {
  /** The line of the file the row starts on (the header is row 1, as a spreadsheet shows it). */
  row: number;
  violations: Violation[];
}

const split = (cell: string) => (cell === '' ? [] : cell.split('|').map((s) => s.trim()));

/** `小微企业:waive|低保户:percent:50|学生:amount:10.00` to exemption objects (validated later). */
function exemptionsOf(cell: string): unknown[] {
  return split(cell).map((entry) => {
    const [who, kind, value] = entry.split(':').map((s) => s.trim());
    // A percent that is not digits stays a string, so the error says so (Number would make it NaN).
    if (kind === 'percent') return { who, kind, percent: /^\d+$/.test(value ?? '') ? Number(value) : value };
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
    // Blank: active for a new item, the status in force for a new version (revisedVersion).
    ...(cells.status === '' ? {} : { status: cells.status }),
    ...(cells.reason ? { reason: cells.reason } : {}),
  };
}

/** API field names (`fundManagement`) as their CSV columns (`fund_management`), in messages. */
const API_NAMES = new RegExp(
  `\\b(${IMPORT_COLUMNS.filter((c) => c.includes('_'))
    .map((c) => c.replace(/_(\w)/g, (_, x: string) => x.toUpperCase()))
    .join('|')})\\b`,
  'g',
);
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * A violation of the API's item rules (path `fundManagement`, `standard.amount`, `basis[1].number`,
 * `exemptions[0].percent`) in the terms of the CSV the user wrote: its column, and which document
 * or entry of a `|` list.
 */
export function inCsvTerms(v: Violation): Violation {
  const [, field = v.path, index, sub] = /^(\w+)(?:\[(\d+)\])?(?:\.(\w+))?/.exec(v.path) ?? [];
  const nth = index === undefined ? '' : `${Number(index) + 1}`;
  let column: string;
  let where = '';
  if (field === 'standard') column = sub && sub !== 'type' ? sub : 'standard_type';
  else if (field === 'basis') {
    column = `basis_${sub ?? 'title'}`;
    if (nth) where = ` (document ${nth})`;
  } else if (field === 'exemptions') {
    column = 'exemptions';
    if (nth) where = ` (entry ${nth}${sub ? `, ${sub}` : ''})`;
  } else column = snake(field);
  // Messages begin with the path they concern (see violationsOf); other messages keep their words.
  const message = v.message.startsWith(`${v.path} `)
    ? `${column}${where} ${v.message.slice(v.path.length + 1)}`
    : v.message;
  return { ...v, path: column, message: message.replace(API_NAMES, snake) };
}

const importOnly = z.strictObject({ effective_from: isoDate.optional() });

function headerViolations(names: string[], rowCount: number): Violation[] {
  const missing = IMPORT_COLUMNS.filter((c) => !names.includes(c) && !OPTIONAL_COLUMNS.includes(c));
  const unknown = names.filter((n) => !(IMPORT_COLUMNS as readonly string[]).includes(n));
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  return [
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
    ...[...new Set(repeated)].map((c) => ({
      path: `header.${c}`,
      rule: 'duplicate_column',
      message: `column ${c} appears more than once`,
    })),
    ...(rowCount === 0 ? [{ path: 'csv', rule: 'no_rows', message: 'the CSV has no data rows' }] : []),
  ];
}

/** A data row's cells by column name, as written (what a preview shows of a row). */
export interface RowCells {
  row: number;
  cells: Record<string, string>;
}

export interface CatalogueRows {
  rows: ImportRow[];
  errors: RowError[];
  /** Every data row's cells; empty when the file itself is wrong (its header, or no rows). */
  lines: RowCells[];
}

/**
 * The rows of a catalogue CSV as validated items, or every bad row with why, in the CSV's
 * terms (columns and rows). Pure: the CSV adapter reads the file, the handler writes the items.
 */
export function catalogueRows(table: CsvTable): CatalogueRows {
  const names = table.header.cells.map((h) => h.trim().toLowerCase());
  const bad = headerViolations(names, table.rows.length);
  if (bad.length) return { rows: [], errors: [{ row: table.header.line, violations: bad }], lines: [] };

  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  const lines: RowCells[] = table.rows.map(({ line, cells }) => ({
    row: line,
    cells: Object.fromEntries(names.map((n, i) => [n, (cells[i] ?? '').trim()])),
  }));
  const seen = new Map<string, number>();
  for (const { line, cells: list } of table.rows) {
    if (list.length !== names.length) {
      errors.push({
        row: line,
        violations: [
          {
            path: 'row',
            rule: 'column_count',
            message: `row has ${list.length} cells, the header ${names.length}`,
          },
        ],
      });
      continue;
    }
    const cells = Object.fromEntries(IMPORT_COLUMNS.map((c) => [c, ''])) as Record<Column, string>;
    names.forEach((n, i) => {
      cells[n as Column] = list[i]!.trim();
    });
    const item = createItemRequest.safeParse(rowObject(cells));
    const extra = importOnly.safeParse(cells.effective_from ? { effective_from: cells.effective_from } : {});
    const violations = [
      ...(item.success ? [] : violationsOf(item.error).map(inCsvTerms)),
      ...(extra.success ? [] : violationsOf(extra.error)),
    ];
    const firstRow = seen.get(cells.code);
    if (firstRow !== undefined)
      violations.push({
        path: 'code',
        rule: 'duplicate_code',
        message: `code ${cells.code} already appears in row ${firstRow}`,
      });
    else seen.set(cells.code, line);
    if (violations.length || !item.success) errors.push({ row: line, violations });
    else
      rows.push({
        ...item.data,
        rowNumber: line,
        ...(cells.effective_from ? { effectiveFrom: cells.effective_from } : {}),
      });
  }
  return { rows, errors, lines };
}

/** What an import would write: each valid row's new version, and every invalid row with why. */
export interface ImportPlan {
  planned: { row: number; version: ItemVersion }[];
  errors: RowError[];
}

/**
 * The versions that importing the rows would add (a new item, or a new version of an existing
 * one, by the same rules as creating and revising one by one), and every row that breaks a
 * rule, sorted by row. `existing` holds the versions of the rows' codes already in the catalogue.
 */
export function importPlan(
  parsed: CatalogueRows,
  existing: ReadonlyMap<string, readonly ItemVersion[]>,
  s: ChangeStamp,
): ImportPlan {
  const errors = [...parsed.errors];
  const planned: ImportPlan['planned'] = [];
  for (const { rowNumber, effectiveFrom, reason, ...item } of parsed.rows) {
    const history = existing.get(item.code);
    const why = reason ?? '目录导入 / catalogue import';
    try {
      if (!history)
        planned.push({
          row: rowNumber,
          version: newItemVersion({ ...item, status: item.status ?? 'active' }, why, s, 'import'),
        });
      else {
        if (!effectiveFrom)
          throw badRequest('', [
            {
              path: 'effective_from',
              rule: 'required',
              message: `item ${item.code} exists: effective_from is required to add a version`,
            },
          ]);
        const { code, ...fields } = item;
        planned.push({
          row: rowNumber,
          version: revisedVersion(history, code, fields, effectiveFrom, why, s, 'import'),
        });
      }
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      errors.push({
        row: rowNumber,
        violations: e.details.length
          ? e.details.map(inCsvTerms)
          : [{ path: 'row', rule: e.code, message: e.message }],
      });
    }
  }
  errors.sort((a, b) => a.row - b.row);
  return { planned, errors };
}

/** The 400 of an import with bad rows: every violation, its path prefixed with its row. */
export function invalidRows(errors: readonly RowError[]): AppError {
  return badRequest(
    `${errors.length} row(s) are invalid; nothing was imported`,
    errors.flatMap((e) => e.violations.map((v) => ({ ...v, path: `row ${e.row}: ${v.path}`, row: e.row }))),
  );
}
