/**
 * The running totals as stored (adapters/dynamo/totals-rows.ts), on DynamoDB Local: a
 * department's day rows, written by the update that taking numbers sends, read back by the
 * auditors' reads as the rows of every key (rows written one per key before summed in), and by
 * the alert rules' as a year: the row of its closed days and the days since (year-totals.ts);
 * and a row's size for a department with many items, which is what each update of it costs.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { closedDaysKey, totalsKey } from '../../lambdas/adapters/dynamo/keys.js';
import { totalsUpdate } from '../../lambdas/adapters/dynamo/totals-rows.js';
import { transactWrite } from '../../lambdas/adapters/dynamo/transactions.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { shiftDays } from '../../lambdas/core/dates.js';
import {
  departmentTotals,
  mergeTotals,
  OPEN_DAYS,
  rowsOf,
  type TotalsRow,
} from '../../lambdas/core/totals.js';
import { itemSize } from '../support/item-size.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => svc?.stop());

const receipt = (department: string, kind: 'blue' | 'red', lines: [string, number][]) => {
  const charged = lines.map(([itemCode, amount]) => ({
    itemCode,
    amount: kind === 'red' ? -amount : amount,
  }));
  return {
    kind,
    issueDate: '2031-05-06',
    department,
    lines: charged as never,
    total: charged.reduce((s, l) => s + l.amount, 0),
  };
};

async function write(receipts: ReturnType<typeof receipt>[]) {
  const { db, config } = getDeps();
  await transactWrite(
    db,
    departmentTotals(receipts).map((d) => totalsUpdate(config.tables.ledger, d)),
  );
}

it('read back as the rows of every key, summed with rows written one per key before; a year as the sum of its days', async () => {
  const { db, config, audit } = getDeps();
  const receipts = [
    receipt('TT', 'blue', [
      ['TT-1', 1000],
      ['TT-2', 250],
    ]),
    receipt('TT', 'blue', [['TT-1', 1000]]),
    receipt('TT', 'red', [['TT-1', 1000]]),
    receipt('UU', 'blue', [['UU-1', 70]]),
  ];
  for (const r of receipts) await write([r]);
  // A row of one item, as issuing wrote them before: read beside the department's.
  await db.send(
    new PutCommand({
      TableName: config.tables.ledger,
      Item: {
        ...totalsKey('2031-05-06', 'ITEM#TT-2'),
        day: '2031-05-06',
        key: 'ITEM#TT-2',
        issuedCount: 4,
        issuedAmount: 1000,
        reversedCount: 0,
        reversedAmount: 0,
      },
    }),
  );
  const expected = mergeTotals(departmentTotals(receipts).flatMap(rowsOf));
  const days = await audit.totals('2031-05-06', '2031-05-06');
  const tt2 = (rows: TotalsRow[]) => rows.find((r) => r.key === 'ITEM#TT-2')!;
  expect(mergeTotals(days).filter((r) => r.key !== 'ITEM#TT-2')).toEqual(
    expect.arrayContaining(expected.filter((r) => r.key !== 'ITEM#TT-2')),
  );
  // 1 of its own receipts and 4 from the row of one item.
  expect(tt2(mergeTotals(days))).toMatchObject({ issuedCount: 5, issuedAmount: 1250 });
  expect(days).toHaveLength(expected.length + 1);

  const year = await audit.yearTotals('TT', '2031-05-06');
  expect(year.get('DEPT#TT')).toEqual({
    issuedCount: 2,
    issuedAmount: 2250,
    reversedCount: 1,
    reversedAmount: 1000,
  });
  expect(year.get('ITEM#TT-1')).toEqual({
    issuedCount: 2,
    issuedAmount: 2000,
    reversedCount: 1,
    reversedAmount: 1000,
  });
  // The row of one item is no department's: a year holds the folded rows' items only.
  expect(year.get('ITEM#TT-2')).toMatchObject({ issuedCount: 1, issuedAmount: 250 });
  expect((await audit.yearTotals('UU', '2031-05-06')).get('DEPT#UU')?.issuedAmount).toBe(70);
});

it("a year is its closed days' row, brought forward by the reads, and the days since", async () => {
  const { db, config, audit } = getDeps();
  const on = (issueDate: string, amount: number) => ({
    ...receipt('VV', 'blue', [['VV-1', amount]]),
    issueDate,
  });
  const closedRow = async () =>
    (await db.send(new GetCommand({ TableName: config.tables.ledger, Key: closedDaysKey('2032', 'VV') })))
      .Item;
  const amounts = {
    '2032-01-05': 1,
    '2032-03-01': 10,
    '2032-05-03': 100,
    '2032-05-04': 1_000,
    '2032-05-05': 10_000,
  };
  for (const [day, amount] of Object.entries(amounts)) await write([on(day, amount)]);

  // The first read of the year sums every day, and keeps the closed ones' sum.
  const first = await audit.yearTotals('VV', '2032-05-05');
  expect(first.get('DEPT#VV')?.issuedAmount).toBe(11_111);
  expect(first.get('ITEM#VV-1')).toMatchObject({ issuedCount: 5, issuedAmount: 11_111 });
  const closedThrough = shiftDays('2032-05-05', -OPEN_DAYS);
  const row = await closedRow();
  expect(row).toMatchObject({ through: closedThrough, issuedCount: 3, issuedAmount: 111 });
  expect(row?.['I#VV-1#ia']).toBe(111);

  // Later reads take the closed days from that row: a closed day's row is not read again.
  await write([on('2032-03-01', 7)]); // behind the service's back: a closed day changed
  expect((await audit.yearTotals('VV', '2032-05-05')).get('DEPT#VV')?.issuedAmount).toBe(11_111);

  // Days later, the days since are read and the row brought forward (a quiet stretch between).
  await write([on('2032-05-20', 100_000)]);
  const later = await audit.yearTotals('VV', '2032-05-21');
  expect(later.get('DEPT#VV')?.issuedAmount).toBe(111_111);
  expect(await closedRow()).toMatchObject({
    through: shiftDays('2032-05-21', -OPEN_DAYS),
    issuedAmount: 11_111,
  });

  // Reads at once bring it forward once; each answers the same.
  await write([on('2032-06-01', 1_000_000)]);
  const together = await Promise.all(Array.from({ length: 4 }, () => audit.yearTotals('VV', '2032-06-09')));
  for (const t of together) expect(t.get('DEPT#VV')?.issuedAmount).toBe(1_111_111);
  expect(await closedRow()).toMatchObject({ through: '2032-06-07', issuedAmount: 1_111_111 });

  // The auditors' totals are the day rows alone, over any range of years: the closed days' row
  // is no day (every day above, the closed day changed behind the service's back included).
  const vv = (rows: TotalsRow[]) =>
    rows.filter((r) => r.key === 'DEPT#VV').reduce((sum, r) => sum + r.issuedAmount, 0);
  expect(vv(await audit.totals('2032-01-01', '2032-12-31'))).toBe(1_111_118);
  expect(vv(await audit.totals('2031-06-01', '2033-01-31'))).toBe(1_111_118);
});

it('a department with nothing in its closed days gets its row all the same: later reads are one request', async () => {
  const { db, config, audit } = getDeps();
  await write([{ ...receipt('NN', 'blue', [['NN-1', 5]]), issueDate: '2033-11-30' }]);
  const sent: string[] = [];
  const send = db.send.bind(db);
  const counting = vi.spyOn(db, 'send').mockImplementation(((command: { constructor: { name: string } }) => {
    sent.push(command.constructor.name);
    return send(command as never);
  }) as never);
  try {
    expect((await audit.yearTotals('NN', '2033-12-01')).get('DEPT#NN')?.issuedAmount).toBe(5);
    expect(sent).toEqual(['BatchGetCommand', 'QueryCommand', 'PutCommand']);
    sent.length = 0;
    expect((await audit.yearTotals('NN', '2033-12-01')).get('DEPT#NN')?.issuedAmount).toBe(5);
    expect(sent).toEqual(['BatchGetCommand']);
  } finally {
    counting.mockRestore();
  }
  const row = await db.send(
    new GetCommand({ TableName: config.tables.ledger, Key: closedDaysKey('2033', 'NN') }),
  );
  expect(row.Item).toMatchObject({ through: '2033-11-29', issuedCount: 0, issuedAmount: 0 });
});

it("a department that charged 25 items keeps its day's row under 1 KB, and under 2 KB with each reversed once", async () => {
  const { db, config } = getDeps();
  const items = Array.from({ length: 25 }, (_, i) => `ZRZY-${String(i + 1).padStart(3, '0')}`);
  const dayRow = async (department: string) =>
    (
      await db.send(
        new GetCommand({
          TableName: config.tables.ledger,
          Key: totalsKey('2031-05-06', `DEPT#${department}`),
        }),
      )
    ).Item!;
  for (const code of items) await write([receipt('WW', 'blue', [[code, 1_000_000]])]);
  const issuedOnly = itemSize(await dayRow('WW'));
  for (const code of items) await write([receipt('WW', 'red', [[code, 1_000_000]])]);
  const withReversals = itemSize(await dayRow('WW'));
  console.log("day's row of 25 items:", { issuedOnly, withReversals });
  expect(issuedOnly).toBeLessThanOrEqual(1024);
  expect(withReversals).toBeGreaterThan(1024);
  expect(withReversals).toBeLessThanOrEqual(2048);
});

it("the fullest batch one transaction takes updates its department's day within DynamoDB's 4 KB expression limit", async () => {
  // Receipts of 25 items each, every other one reversing the one before: the most counters (all
  // four of each item) a batch can add, until the transaction's 100 writes stop it.
  const codes = Array.from({ length: 25 }, (_, i) => `XX-${String(i + 1).padStart(3, '0')}`);
  const entries = Array.from({ length: 24 }, (_, i) => {
    const r = receipt(
      'XX',
      i % 2 ? 'red' : 'blue',
      codes.map((c) => [c, 100]),
    );
    const ref = { code: '11010126', number: String(i + 1).padStart(10, '0') };
    return {
      receipt: {
        ...r,
        ...ref,
        issuedAt: '2031-05-06T01:02:03.000Z',
        ...(i % 2 ? { reverses: { code: ref.code, number: String(i).padStart(10, '0') } } : {}),
      },
      idem: {},
    } as never;
  });
  const { config, receipts } = getDeps();
  const taken = entries.slice(0, receipts.takeCapacity(entries));
  expect(taken.length).toBeGreaterThan(1);
  expect(taken.length).toBeLessThan(entries.length);
  const updates = departmentTotals(taken.map((e: { receipt: never }) => e.receipt)).map((d) =>
    totalsUpdate(config.tables.ledger, d),
  );
  console.log(
    'the fullest batch:',
    taken.length,
    'receipts, expressions',
    updates.map((u) => u.Update!.UpdateExpression!.length),
  );
  for (const u of updates) expect(u.Update!.UpdateExpression!.length).toBeLessThan(4096);
  await transactWrite(getDeps().db, updates);
});
