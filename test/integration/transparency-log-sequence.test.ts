import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
  logIndexBlockKey,
  logQueueKey,
} from '../../lambdas/adapters/dynamo/keys.js';
import { DEFAULT_REREAD_MS, LogIndexReader } from '../../lambdas/adapters/dynamo/log-index.js';
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
 * receipts' indexes go to index-block rows (one per code and block of 100 numbers), which the
 * public check's reader finds, holds, and reads again for a receipt sequenced since.
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
const receipt = (n: number, code = '11010126'): LogEntry => ({
  v: 1,
  type: 'receipt',
  code,
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

type Request = { constructor: { name: string }; input: { Key?: { pk?: string } } };

/**
 * A client that fails the `nth` request (from 1) that `step` matches and every one after it, as
 * a crash just before it would be sent; the requests before it go through (and have landed when
 * the failure is seen, as a crash after them).
 */
function crashingAt(db: DynamoDBDocumentClient, step: Step, nth = 1): DynamoDBDocumentClient {
  let seen = 0;
  const sent: Promise<unknown>[] = [];
  return {
    send: async (c: Request) => {
      if (STEPS[step](c) && ++seen >= nth) {
        await Promise.allSettled(sent);
        throw new Error(`crash at ${step}`);
      }
      const out = db.send(c as never);
      sent.push(out);
      return out;
    },
  } as unknown as DynamoDBDocumentClient;
}

/** A batch's steps, by the request that makes each. */
const STEPS = {
  commit: (c: Request) => c.constructor.name === 'TransactWriteCommand',
  'queue deletion': (c: Request) => c.constructor.name === 'BatchWriteCommand',
  'index-block rows': (c: Request) =>
    c.constructor.name === 'UpdateCommand' && String(c.input.Key?.pk).startsWith('LOGINDEX#'),
  'cleanup cleared': (c: Request) =>
    c.constructor.name === 'UpdateCommand' && c.input.Key?.pk === LOG_HEAD_KEY.pk,
};
type Step = keyof typeof STEPS;

/** The index-block row of `numbers`' block as stored, without its key. */
async function indexRow(db: DynamoDBDocumentClient, table: string, number: number, code = '11010126') {
  const key = logIndexBlockKey({ code, number: String(number).padStart(10, '0') });
  const out = await db.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
  if (!out.Item) return undefined;
  const { pk: _pk, sk: _sk, ...indexes } = out.Item;
  return indexes;
}

/** `{ number: index }` of receipts `first..last` at indexes from `at`. */
const indexesOf = (first: number, last: number, at: number) =>
  Object.fromEntries(
    Array.from({ length: last - first + 1 }, (_, i) => [String(first + i).padStart(10, '0'), at + i]),
  );

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
    ['commit', 1],
    ['queue deletion', 1],
    ['index-block rows', 1],
    ['index-block rows', 2], // the first block's row written, the second's not
    ['cleanup cleared', 1],
  ] as [Step, number][])(
    'a crash at the %s (request %i) leaves a consistent log, and the next run completes it',
    async (step, nth) => {
      const { db } = getDeps();
      const table = await freshTable(db); // the ledger and the receipts' index-block rows
      // Numbers 81-120: two blocks (00000000xx, 00000001xx).
      await queue(
        db,
        table,
        Array.from({ length: 40 }, (_, i) => receipt(81 + i)),
      );
      for (let n = 81; n <= 120; n++)
        await db.send(new PutCommand({ TableName: table, Item: { ...checkKey(n), status: 'valid' } }));

      await expect(new DynamoSequence(crashingAt(db, step, nth), table, table).sequence()).rejects.toThrow(
        `crash at ${step}`,
      );
      const numbers = Array.from({ length: 40 }, (_, i) => String(81 + i).padStart(10, '0'));
      const sequence = new DynamoSequence(db, table, table);
      // Committed or not, all or nothing; committed, its cleanup is marked unfinished on the head.
      const committed = step !== 'commit';
      expect(await logged(sequence)).toEqual(committed ? numbers : []);
      expect((await head(db, table))?.cleanup).toBe(committed ? 0 : undefined);
      if (step === 'index-block rows' && nth === 2) {
        expect(await indexRow(db, table, 81)).toEqual(indexesOf(81, 99, 0));
        expect(await indexRow(db, table, 100)).toBeUndefined();
      }

      // New entries meanwhile; the next run finishes the cleanup first, then sequences them once.
      await queue(db, table, [range('later')], 1_000);
      expect(await sequence.sequence()).toBe(committed ? 1 : 41);
      expect(await logged(sequence)).toEqual([...numbers, 'later']);
      expect(await queueLeft(db, table)).toEqual([]);
      expect((await head(db, table))?.cleanup).toBeUndefined();
      // The rerun wrote the same indexes, a row per block, and left the check rows as they were.
      expect(await indexRow(db, table, 81)).toEqual(indexesOf(81, 99, 0));
      expect(await indexRow(db, table, 100)).toEqual(indexesOf(100, 120, 19));
      for (let n = 81; n <= 120; n++) {
        const row = await db.send(
          new GetCommand({ TableName: table, Key: checkKey(n), ConsistentRead: true }),
        );
        expect(row.Item).toEqual({ ...checkKey(n), status: 'valid' });
      }
    },
  );

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

  it("indexes receipts of two codes across blocks, one row write per code and block, found by the check's reader", async () => {
    const { db } = getDeps();
    const table = await freshTable(db);
    const other = '11010127';
    // 95-105 of one code (two blocks), 1-3 of another, and entries that are not receipts.
    const entries = [
      range('r1'),
      ...Array.from({ length: 11 }, (_, i) => receipt(95 + i)),
      range('r2'),
      ...[1, 2, 3].map((n) => receipt(n, other)),
    ];
    await queue(db, table, entries);
    const writes: string[] = [];
    const counting = {
      send: (c: Request) => {
        if (STEPS['index-block rows'](c)) writes.push(String(c.input.Key?.pk));
        return db.send(c as never);
      },
    } as unknown as DynamoDBDocumentClient;
    expect(await new DynamoSequence(counting, table, table).sequence()).toBe(entries.length);
    expect(writes.sort()).toEqual([
      'LOGINDEX#11010126#00000000',
      'LOGINDEX#11010126#00000001',
      'LOGINDEX#11010127#00000000',
    ]);
    expect(await indexRow(db, table, 95)).toEqual(indexesOf(95, 99, 1));
    expect(await indexRow(db, table, 100)).toEqual(indexesOf(100, 105, 6));
    expect(await indexRow(db, table, 1, other)).toEqual(indexesOf(1, 3, 13));
    // No check row was written: there are none in this table, and none was made.
    const checkRows = await db.send(
      new GetCommand({ TableName: table, Key: checkKey(95), ConsistentRead: true }),
    );
    expect(checkRows.Item).toBeUndefined();

    const reader = new LogIndexReader(getDeps().plainDb, table);
    const ref = (n: number, code = '11010126') => ({ code, number: String(n).padStart(10, '0') });
    expect(await reader.indexOf(ref(95))).toBe(1);
    expect(await reader.indexOf(ref(99))).toBe(5);
    expect(await reader.indexOf(ref(100))).toBe(6);
    expect(await reader.indexOf(ref(105))).toBe(11);
    expect(await reader.indexOf(ref(2, other))).toBe(14);
    expect(await reader.indexOf(ref(106))).toBeUndefined(); // not logged
    expect(await reader.indexOf(ref(95, '11010128'))).toBeUndefined(); // no such row
  });

  it('the reader holds a block: no request for a number it has; one read a second for one it lacks, shared', async () => {
    const { db } = getDeps();
    const table = await freshTable(db);
    await queue(
      db,
      table,
      [1, 2].map((n) => receipt(n)),
    );
    const sequence = new DynamoSequence(db, table, table);
    await sequence.sequence();
    let reads = 0;
    const counting = {
      send: (c: Request) => {
        reads++;
        return getDeps().plainDb.send(c as never);
      },
    } as unknown as DynamoDBClient;
    const reader = new LogIndexReader(counting, table, DEFAULT_REREAD_MS);
    const ref = (n: number) => ({ code: '11010126', number: String(n).padStart(10, '0') });

    // Ten lookups at once of a block not held: one read.
    expect(await Promise.all(Array.from({ length: 10 }, () => reader.indexOf(ref(1))))).toEqual(
      Array(10).fill(0),
    );
    expect(reads).toBe(1);
    // Held: what it has, with no request; what it lacks, with none either within the interval.
    expect(await reader.indexOf(ref(2))).toBe(1);
    expect(await reader.indexOf(ref(3))).toBeUndefined();
    expect(reads).toBe(1);

    // Receipt 3 is sequenced after the block was read: seen once the read is a second old.
    await queue(db, table, [receipt(3)], 1_000);
    await sequence.sequence();
    expect(await reader.indexOf(ref(3))).toBeUndefined();
    expect(reads).toBe(1);
    await new Promise((r) => setTimeout(r, DEFAULT_REREAD_MS + 50));
    expect(await Promise.all([reader.indexOf(ref(3)), reader.indexOf(ref(3))])).toEqual([2, 2]);
    expect(reads).toBe(2);
    // Found once, it is answered from the block held ever after.
    await new Promise((r) => setTimeout(r, DEFAULT_REREAD_MS + 50));
    expect(await reader.indexOf(ref(3))).toBe(2);
    expect(reads).toBe(2);
  });
});
