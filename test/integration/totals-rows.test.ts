/**
 * The running totals as stored (adapters/dynamo/totals-rows.ts), on DynamoDB Local: a
 * department's day and year rows, written by the update that taking numbers sends, read back by
 * the auditors' and the alert rules' reads as the rows of every key; rows written one per key
 * before read as they were, summed with the new ones; and a row's size for a department with
 * many items, which is what each update of it costs.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { totalsKey } from '../../lambdas/adapters/dynamo/keys.js';
import { totalsUpdate } from '../../lambdas/adapters/dynamo/totals-rows.js';
import { transactWrite } from '../../lambdas/adapters/dynamo/transactions.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { departmentTotals, mergeTotals, rowsOf } from '../../lambdas/core/totals.js';
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

it('read back as the rows of every key, day and year, summed with rows written one per key before', async () => {
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
        ...totalsKey('2031', 'ITEM#TT-2'),
        day: '2031',
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
  expect(mergeTotals(days)).toEqual(expect.arrayContaining(expected.filter((r) => r.day.length > 4)));
  expect(days).toHaveLength(expected.filter((r) => r.day.length > 4).length);

  const year = await audit.yearTotals('2031', 'TT', ['TT-1', 'TT-2']);
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
  // 1 of its own receipts and 4 from the row of one item.
  expect(year.get('ITEM#TT-2')).toEqual({
    issuedCount: 5,
    issuedAmount: 1250,
    reversedCount: 0,
    reversedAmount: 0,
  });
  expect((await audit.yearTotals('2031', 'UU')).get('DEPT#UU')?.issuedAmount).toBe(70);
});

it('a department that charged 25 items in a year keeps its year row under 1 KB, and under 2 KB with each reversed once', async () => {
  const { db, config } = getDeps();
  const items = Array.from({ length: 25 }, (_, i) => `ZRZY-${String(i + 1).padStart(3, '0')}`);
  const yearRow = async (department: string) =>
    (
      await db.send(
        new GetCommand({ TableName: config.tables.ledger, Key: totalsKey('2031', `DEPT#${department}`) }),
      )
    ).Item!;
  for (const code of items) await write([receipt('WW', 'blue', [[code, 1_000_000]])]);
  const issuedOnly = itemSize(await yearRow('WW'));
  for (const code of items) await write([receipt('WW', 'red', [[code, 1_000_000]])]);
  const withReversals = itemSize(await yearRow('WW'));
  console.log('year row of 25 items:', { issuedOnly, withReversals });
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
