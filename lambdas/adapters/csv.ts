import { CsvError, parse } from 'csv-parse/sync';
import { type Options, stringify } from 'csv-stringify/sync';
import type { CsvTable } from '../core/catalogue-import.js';
import { badRequest } from '../core/errors.js';

/**
 * Reads an RFC 4180 CSV (UTF-8, with or without BOM; quoted cells may hold commas, quotes and
 * line breaks; blank lines are skipped). Rows keep their cell counts as written, so that a row
 * of the wrong length is reported with the others rather than stopping the read. Unreadable
 * CSV (an unclosed quote, a quote inside a bare cell) answers 400 naming the line.
 */
export function readCsv(text: string): CsvTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // One line ending throughout: csv-parse takes the first one it sees as the only record
    // delimiter, and counts lines wrongly when given several. Cells lose nothing a catalogue
    // may hold (line breaks in a cell are refused anyway).
    records = parse(text.replace(/\r\n?/g, '\n'), {
      bom: true,
      info: true,
      record_delimiter: '\n',
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as typeof records; // with `info`, each record comes as { record, info }
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    const line = typeof e.lines === 'number' ? e.lines : undefined;
    throw badRequest(`the CSV cannot be read: ${e.message}`, [
      { path: line ? `line ${line}` : 'csv', rule: 'malformed_csv', message: e.message },
    ]);
  }
  // info.lines is the line a record ends on; it starts as many lines earlier as its cells break.
  const rows = records.map(({ record, info }) => ({
    line: info.lines - record.reduce((n, cell) => n + cell.split('\n').length - 1, 0),
    cells: record,
  }));
  const [header = { line: 1, cells: [] }, ...body] = rows;
  return { header, rows: body };
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
/** OWASP's formula starters (= + - @ tab CR), and the full-width forms Apple Numbers also reads. */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * Writes CSV for spreadsheets (RFC 4180, CRLF, UTF-8 with BOM), a batch of rows at a time so an
 * export can stream.
 *
 * Formula injection (OWASP "CSV Injection"): a cell beginning with = + - @ tab or CR is run by
 * Excel and LibreOffice as a formula (`=HYPERLINK(...)`, `+cmd|' /C calc'!A0`). Such a cell is
 * written quoted with a leading apostrophe, `"'=HYPERLINK(...)"`, so it shows as text. The rule
 * goes by column: a free-text column (payer names, remarks, reasons, names, codes: anything a
 * caller could have typed) is always neutralised; a number column (amounts, counts) holds only
 * what the service formats, and a plain decimal there is written bare, so a red receipt's
 * `-80.00` stays a number an auditor can sum. A number column holding anything but a plain
 * decimal is neutralised like text: it can never carry a formula.
 *
 * csv-stringify's own `escape_formulas` is not used: it prepends the apostrophe but leaves the
 * cell unquoted (OWASP asks for both), and it exempts `-` only for cells of JavaScript type
 * number, so our formatted amounts (strings) would gain an apostrophe and become text; exempting
 * them per cell (a `cast` returning options) writes an export more than twice as slowly as this.
 */
export function csvWriter(columns: readonly string[], numberColumns: readonly string[]) {
  const numeric = columns.map((c) => numberColumns.includes(c));
  const options: Options = {
    record_delimiter: 'windows',
    // Set with record_delimiter, csv-stringify would otherwise leave a lone CR or LF unquoted.
    quote_record_delimiter: true,
    // Quotes exactly the neutralised cells (and any cell that starts with an apostrophe).
    quoted_match: /^'/,
    cast: {
      string: (value, { index }) =>
        FORMULA_START.test(value) && !(numeric[index] && DECIMAL.test(value)) ? `'${value}` : value,
    },
  };
  return {
    header: stringify([columns], { ...options, bom: true }),
    rows: (records: readonly (readonly string[])[]) => stringify(records as string[][], options),
  };
}
