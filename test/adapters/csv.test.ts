import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvWriter, readCsv } from '../../lambdas/adapters/csv.js';
import { AppError } from '../../lambdas/core/errors.js';

describe('readCsv', () => {
  it('reads quoted commas, quotes and line breaks, with or without a BOM, any line ending', () => {
    for (const bom of ['', '\uFEFF'])
      expect(readCsv(`${bom}a,b\r\n"x, y","say ""hi"""\n"two\r\nlines",z\rlast,1`)).toEqual({
        header: { line: 1, cells: ['a', 'b'] },
        rows: [
          { line: 2, cells: ['x, y', 'say "hi"'] },
          { line: 3, cells: ['two\nlines', 'z'] },
          { line: 5, cells: ['last', '1'] },
        ],
      });
  });

  it('numbers each row by the line it starts on, past blank lines and broken cells', () => {
    const table = readCsv('\n\na,b\n\n1,"x\n\ny"\n2,3,4\n\n5\n');
    expect(table.header).toEqual({ line: 3, cells: ['a', 'b'] });
    expect(table.rows).toEqual([
      { line: 5, cells: ['1', 'x\n\ny'] },
      // Rows keep their own cell count: the caller reports the wrong ones, all of them.
      { line: 8, cells: ['2', '3', '4'] },
      { line: 10, cells: ['5'] },
    ]);
  });

  it('reads any text as a table or refuses it with a 400, never anything else', () => {
    const text = fc.array(
      fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('"', ',', '\n', '\r', '\r\n', '""')),
      {
        maxLength: 30,
      },
    );
    fc.assert(
      fc.property(text, (parts) => {
        try {
          const { header, rows } = readCsv(parts.join(''));
          const lines = [header.line, ...rows.map((r) => r.line)];
          expect([...lines].sort((a, b) => a - b)).toEqual(lines);
        } catch (e) {
          expect(e).toBeInstanceOf(AppError);
          expect((e as AppError).status).toBe(400);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads nothing as an empty header and no rows', () => {
    expect(readCsv('')).toEqual({ header: { line: 1, cells: [] }, rows: [] });
  });

  it.each([
    ['an unclosed quote (where reading stopped)', 'a,b\n1,"x\n2,3', 3],
    ['a quote inside a bare cell', 'a,b\n1,x"y"', 2],
    ['text after a closing quote', 'a,b\n1,2\n"3"x,4', 3],
  ])('refuses %s with a 400 naming the line', (_label, text, line) => {
    let error: unknown;
    try {
      readCsv(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    const e = error as AppError;
    expect(e.status).toBe(400);
    expect(e.details).toEqual([expect.objectContaining({ path: `line ${line}`, rule: 'malformed_csv' })]);
    expect(e.message).toContain(`line ${line}`);
  });
});

describe('csvWriter', () => {
  const writer = csvWriter(['name', 'amount', 'remark'], ['amount']);
  const cellsOf = (csv: string) => parse(csv, { bom: true, record_delimiter: '\r\n' }) as string[][];

  it('writes a BOM and the header, then CRLF rows', () => {
    expect(writer.header).toBe('\uFEFFname,amount,remark\r\n');
    expect(
      writer.rows([
        ['张三', '80.00', ''],
        ['a,b', '0.50', 'x"y'],
      ]),
    ).toBe('张三,80.00,\r\n"a,b",0.50,"x""y"\r\n');
  });

  // OWASP's classic payloads: each starts a formula in Excel or LibreOffice.
  const payloads = ['=HYPERLINK("http://x","c")', "+cmd|' /C calc'!A0", '-2+3', '@SUM(1+1)', '\t=1', '\r=1'];

  it.each(payloads)('neutralises %j in a free-text cell: quoted, with a leading apostrophe', (payload) => {
    const out = writer.rows([[payload, '1.00', payload]]);
    const quoted = `"'${payload.replace(/"/g, '""')}"`;
    expect(out).toBe(`${quoted},1.00,${quoted}\r\n`);
    expect(cellsOf(out)).toEqual([[`'${payload}`, '1.00', `'${payload}`]]);
  });

  it('writes the full-width formula starters that Apple Numbers reads as formulas neutralised too', () => {
    for (const c of ['＝', '＋', '－', '＠'])
      expect(writer.rows([[`${c}1`, '1', '']])).toBe(`"'${c}1",1,\r\n`);
  });

  it("leaves a negative amount in a number column a bare number (a red receipt's -80.00)", () => {
    expect(writer.rows([['冲红', '-80.00', '']])).toBe('冲红,-80.00,\r\n');
  });

  it('neutralises a number column that holds anything but a plain decimal, and -80.00 as free text', () => {
    expect(writer.rows([['-80.00', '-2+3', '-1']])).toBe(`"'-80.00","'-2+3","'-1"\r\n`);
  });

  it('round-trips any text, and no cell a spreadsheet reads begins a formula', () => {
    const starter = /^[=+\-@\t\r＝＋－＠]/;
    const cell = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(...payloads, '"', '""', ',', '\n', '\r\n', "'", '-80.00', ''),
      fc
        .tuple(fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', '"'), fc.string({ maxLength: 6 }))
        .map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell, cell), { minLength: 1, maxLength: 4 }), (rows) => {
        const read = cellsOf(writer.rows(rows));
        expect(read).toHaveLength(rows.length);
        rows.forEach((written, r) => {
          written.forEach((value, c) => {
            const got = read[r]![c]!;
            const bare = c === 1 && /^-?\d+(\.\d+)?$/.test(value);
            expect(got).toBe(starter.test(value) && !bare ? `'${value}` : value);
            if (!bare) expect(got).not.toMatch(starter);
          });
        });
      }),
      { numRuns: 300 },
    );
  });
});
