import { randomBytes } from 'node:crypto';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checksKey,
  LOG_BUNDLE_SIZE,
  LOG_HEAD_KEY,
  LOG_QUEUE_PK,
  logEntryPk,
  logQueueKey,
} from '../../lambdas/adapters/dynamo/keys.js';
import { transactWrite } from '../../lambdas/adapters/dynamo/transactions.js';
import { DynamoSequence, pendingEntryPut } from '../../lambdas/adapters/tlog/dynamo-sequence.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { decodeEntry, type LogEntry } from '../../lambdas/core/tlog/entries.js';
import { freshTable } from '../adapters/tlog/stores.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * The DynamoDB sequencer on DynamoDB Local: sequencers racing (two here, plus the service's own
 * timer) give every queued entry exactly one index, with no gap, across entry-bundle partitions;
 * a crash at each step of a batch leaves a consistent log that the next run completes; an entry
 * committed late (an older commit time than entries already sequenced) is sequenced, not dropped;
 * a receipt's check row deleted behind the service's back does not stall the log.
 */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ seed: false });
});
afterAll(async () => svc?.stop());

const T0 = Date.parse('2026-12-02T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const range = (rangeId: string): LogEntry => ({
  v: 1,
  type: 'range',
  event: 'allocated',
  rangeId,
  department: 'ZRZY',
  code: '11010126',
  first: 1,
  last: 9,
});
const receipt = (n: number): LogEntry => ({
  v: 1,
  type: 'receipt',
  code: '11010126',
  number: String(n).padStart(10, '0'),
  kind: 'blue',
  department: 'ZRZY',
  issueDate: '2026-12-02',
  total: '80.00',
  items: ['ZRZY-001'],
  commitment: 'ab'.repeat(32),
});
const checkKey = (n: number) => checksKey({ code: '11010126', number: String(n).padStart(10, '0') });
const label = (bytes: Uint8Array) => {
  const e = decodeEntry(bytes);
  return e.type === 'range' ? e.rangeId : e.type === 'receipt' ? e.number : e.type;
};

/** Queues entries as the committing transactions do, 25 a transaction; `at(ms + i)` each. */
async function queue(db: DynamoDBDocumentClient, table: string, entries: LogEntry[], ms = 0) {
  for (let i = 0; i < entries.length; i += 25)
    await transactWrite(
      db,
      entries.slice(i, i + 25).map((e, j) => pendingEntryPut(table, e, at(ms + i + j))),
    );
}

const queueLeft = async (db: DynamoDBDocumentClient, table: string) =>
  (
    await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': LOG_QUEUE_PK },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

const head = async (db: DynamoDBDocumentClient, table: string) =>
  (await db.send(new GetCommand({ TableName: table, Key: LOG_HEAD_KEY, ConsistentRead: true }))).Item;

/** Every sequenced entry's label, in index order (read refuses a gap). */
async function logged(sequence: DynamoSequence): Promise<string[]> {
  const size = await sequence.size();
  const read = await sequence.read(0, size + 1);
  expect(read.map((e) => e.index)).toEqual(Array.from({ length: size }, (_, i) => i));
  return read.map((e) => label(e.entry));
}

/** A client whose every request of kind `command` fails, as a crash just before it would. */
function crashingAt(db: DynamoDBDocumentClient, command: string): DynamoDBDocumentClient {
  return {
    send: (c: { constructor: { name: string } }) =>
      c.constructor.name === command ? Promise.reject(new Error(`crash at ${command}`)) : db.send(c as never),
  } as unknown as DynamoDBDocumentClient;
}

describe('DynamoSequence', () => {
  it('sequences 600 queued entries once each, in queue order, readable across bundles', async () => {
    const { db, config } = getDeps();
    const table = config.tables.ledger;
    const ids = Array.from({ length: 600 }, (_, i) => `seq-${String(i).padStart(4, '0')}`);
    await queue(db, table, ids.map(range));
    const a = new DynamoSequence(db, table);
    const b = new DynamoSequence(db, table);
    // Racing sequencers stop at a lost race; run them until the queue is empty.
    while ((await a.size()) < ids.length) await Promise.all([a.sequence(), b.sequence()]);
    expect(await b.size()).toBe(ids.length);
    expect(await a.sequence()).toBe(0);
    // Commit-time order is queue order: each entry once, in the order committed.
    expect(await logged(a)).toEqual(ids);
    expect(await queueLeft(db, table)).toEqual([]);
    expect((await head(db, table))?.cleanup).toBeUndefined();

    expect((await a.read(250, 10)).map((e) => e.index)).toEqual([
      250, 251, 252, 253, 254, 255, 256, 257, 258, 259,
    ]);
    expect(await a.read(600, 10)).toEqual([]);
    // A batch is one item, never across a bundle's partition.
    for (let bundle = 0; bundle * LOG_BUNDLE_SIZE < ids.length; bundle++) {
      const items = (
        await db.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :p',
            ExpressionAttributeValues: { ':p': logEntryPk(bundle * LOG_BUNDLE_SIZE) },
            ConsistentRead: true,
          }),
        )
      ).Items!;
      for (const item of items) {
        const first = Number(item.sk);
        expect(Math.floor((first + item.entries.length - 1) / LOG_BUNDLE_SIZE)).toBe(bundle);
        expect(item.queued).toHaveLength(item.entries.length);
      }
    }
  });

  it('splits batches to stay well under the 400 KB an item (large entries)', async () => {
    const { db } = getDeps();
    const table = await freshTable(db);
    const entries = Array.from({ length: 300 }, () => new Uint8Array(randomBytes(2_000)));
    for (let i = 0; i < entries.length; i += 25)
      await db.send(
        new BatchWriteCommand({
          RequestItems: {
            [table]: entries.slice(i, i + 25).map((entry, j) => ({
              PutRequest: { Item: { ...logQueueKey(at(i + j), 'x'), entry } },
            })),
          },
        }),
      );
    const sequence = new DynamoSequence(db, table);
    expect(await sequence.sequence()).toBe(300);
    const read = await sequence.read(0, 400);
    expect(read.map((e) => Buffer.from(e.entry).toString('hex'))).toEqual(
      entries.map((e) => Buffer.from(e).toString('hex')),
    );
  });

  it.each([
    'TransactWriteCommand', // the batch's commit
    'BatchWriteCommand', // its queue items' deletion
    'BatchExecuteStatementCommand', // its check rows' logIndex
    'UpdateCommand', // the head's cleanup cleared
  ])('a crash at %s leaves a consistent log, and the next run completes it', async (step) => {
    const { db } = getDeps();
    const table = await freshTable(db); // the ledger and the receipts' check rows
    await queue(
      db,
      table,
      Array.from({ length: 40 }, (_, i) => receipt(i + 1)),
    );
    for (let n = 1; n <= 40; n++)
      await db.send(new PutCommand({ TableName: table, Item: { ...checkKey(n), status: 'valid' } }));

    await expect(new DynamoSequence(crashingAt(db, step), table, table).sequence()).rejects.toThrow(
      `crash at ${step}`,
    );
    const numbers = Array.from({ length: 40 }, (_, i) => String(i + 1).padStart(10, '0'));
    const sequence = new DynamoSequence(db, table, table);
    // Committed or not, all or nothing; committed, its cleanup is marked unfinished on the head.
    const committed = step !== 'TransactWriteCommand';
    expect(await logged(sequence)).toEqual(committed ? numbers : []);
    expect((await head(db, table))?.cleanup).toBe(committed ? 0 : undefined);

    // New entries meanwhile; the next run finishes the cleanup first, then sequences them once.
    await queue(db, table, [range('later')], 1_000);
    expect(await sequence.sequence()).toBe(committed ? 1 : 41);
    expect(await logged(sequence)).toEqual([...numbers, 'later']);
    expect(await queueLeft(db, table)).toEqual([]);
    expect((await head(db, table))?.cleanup).toBeUndefined();
    for (let n = 1; n <= 40; n++) {
      const row = await db.send(new GetCommand({ TableName: table, Key: checkKey(n), ConsistentRead: true }));
      expect(row.Item).toMatchObject({ status: 'valid', logIndex: n - 1 });
    }
  });

  it('sequences an entry committed late, with an older queue key than entries already sequenced', async () => {
    const { db } = getDeps();
    const table = await freshTable(db);
    const sequence = new DynamoSequence(db, table);
    await queue(db, table, ['b', 'c', 'd'].map(range), 1_000);
    expect(await sequence.sequence()).toBe(3);
    // Its transaction chose its commit time before b's, and committed after d was sequenced.
    await queue(db, table, [range('a')], 0);
    await queue(db, table, [range('e')], 2_000);
    expect(await sequence.sequence()).toBe(2);
    expect(await logged(sequence)).toEqual(['b', 'c', 'd', 'a', 'e']);
    expect(await queueLeft(db, table)).toEqual([]);
  });

  it('sequences past a receipt whose check row is gone, indexing the others, creating no row', async () => {
    const { db } = getDeps();
    const table = await freshTable(db);
    await queue(db, table, [1, 2, 3].map(receipt));
    for (const n of [1, 3])
      await db.send(new PutCommand({ TableName: table, Item: { ...checkKey(n), status: 'valid' } }));
    const sequence = new DynamoSequence(db, table, table);
    expect(await sequence.sequence()).toBe(3);
    expect((await head(db, table))?.cleanup).toBeUndefined();
    expect(await queueLeft(db, table)).toEqual([]);
    const row = async (n: number) =>
      (await db.send(new GetCommand({ TableName: table, Key: checkKey(n), ConsistentRead: true }))).Item;
    expect(await row(1)).toMatchObject({ logIndex: 0 });
    expect(await row(2)).toBeUndefined();
    expect(await row(3)).toMatchObject({ logIndex: 2 });
  });
});
