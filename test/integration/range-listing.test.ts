/**
 * The list of number ranges (RangeRepository.listRanges), on DynamoDB Local: a range's row,
 * which every number taken updates, is in no index; the list reads its own rows and the ranges'
 * rows by key, so it shows each range as it is now. Ranges allocated before, listed by the
 * listing index, are listed beside them.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rangeKey, rangeListingKey } from '../../lambdas/adapters/dynamo/keys.js';
import { getDeps } from '../../lambdas/app/deps.js';
import type { NumberRange } from '../../lambdas/core/numbering.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => svc?.stop());

it('lists each range as it is now, its row in no index; older ranges from the listing index beside them', async () => {
  const { db, config, ranges } = getDeps();
  const token = await svc.token({ role: 'collector', department: 'ZRZY' });
  for (let i = 0; i < 3; i++) expect((await issue(svc, token)).status).toBe(201);
  const [range] = (await ranges.listRanges()).filter((r) => r.department === 'ZRZY');
  expect(range).toMatchObject({ status: 'open', next: range!.first + 3 });
  const row = (await db.send(new GetCommand({ TableName: config.tables.ledger, Key: rangeKey(range!.id) })))
    .Item!;
  expect(row.gsi1pk).toBeUndefined();
  expect(row.gsi1sk).toBeUndefined();
  const listed = await db.send(
    new GetCommand({ TableName: config.tables.ledger, Key: rangeListingKey(range!) }),
  );
  expect(listed.Item?.id).toBe(range!.id);

  // A range as allocation wrote it before: the whole row in the listing index, no listing row.
  const older: NumberRange = {
    ...range!,
    id: '2020-01-01T00:00:00.000Z-older',
    code: '11010120',
    first: 1,
    last: 50,
    next: 51,
    status: 'exhausted',
  };
  await db.send(
    new PutCommand({
      TableName: config.tables.ledger,
      Item: { ...rangeKey(older.id), gsi1pk: 'RANGES', gsi1sk: `${older.code}#0000000001`, ...older },
    }),
  );
  const all = await ranges.listRanges();
  expect(all.map((r) => r.id)).toEqual([older.id, range!.id]);
  expect(all[0]).toEqual(older);
});
