import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOG_HEAD_KEY,
  RECEIPT_LOG_ENTRY,
  rangeKey,
  rangeListingKey,
  rangeLoggedKey,
  receiptKey,
} from '../../lambdas/adapters/dynamo/keys.js';
import { transactWrite } from '../../lambdas/adapters/dynamo/transactions.js';
import { auditEntries } from '../../lambdas/adapters/tlog/audit.js';
import {
  DynamoSequence,
  pendingEntryPut,
  rangeAllocationMark,
} from '../../lambdas/adapters/tlog/dynamo-sequence.js';
import { getDeps } from '../../lambdas/app/deps.js';
import type { NumberRange } from '../../lambdas/core/numbering.js';
import { formatReceiptNumber, type ReceiptRef } from '../../lambdas/core/receipt.js';
import { decodeEntry, encodeEntry, type LogEntry } from '../../lambdas/core/tlog/entries.js';
import { freshTable } from '../adapters/tlog/stores.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * Receipts logged from their ranges (DynamoSequence): completion leaves a receipt's entry on its
 * row, and the sequencer takes each range's receipts in number order from its log watermark,
 * merged with the queue in commit-time order. Rows written by hand on DynamoDB Local (one fresh
 * table as ledger and receipts table), so that each order and hold can be set up exactly: a
 * receipt still pending holds back the later ones of its range; a range's receipts wait for its
 * allocation's entry, a red receipt and a reversal for their original; receipts whose entries
 * were queued (before entries were left on rows) are passed, not logged twice; racing
 * sequencers and a crash at the commit log each receipt once; `log audit` passes on the result.
 */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ seed: false });
});
afterAll(async () => svc?.stop());

const T0 = Date.parse('2026-12-02T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const ref = (code: string, n: number): ReceiptRef => ({ code, number: formatReceiptNumber(n) });

function receiptEntry(r: ReceiptRef, reverses?: ReceiptRef): LogEntry {
  const amount = reverses ? '-80.00' : '80.00';
  return {
    v: 2,
    type: 'receipt',
    code: r.code,
    number: r.number,
    kind: reverses ? 'red' : 'blue',
    department: 'ZRZY',
    issueDate: '2026-12-02',
    total: amount,
    lines: [{ itemCode: 'ZRZY-001', amount }],
    ...(reverses ? { reverses } : {}),
    commitment: 'ab'.repeat(32),
  };
}

const catalogueEntry = (version: number): LogEntry => ({
  v: 1,
  type: 'catalogue',
  itemCode: 'ZRZY-001',
  version,
  change: version === 1 ? 'create' : 'revise',
  department: 'ZRZY',
  effectiveFrom: '2026-12-02',
  status: 'active',
  contentSha256: 'cd'.repeat(32),
});

/** A log of its own: the fresh table, its sequencer, and how to write what the service would. */
async function freshLog() {
  const { db } = getDeps();
  const table = await freshTable(db);
  const put = (Item: Record<string, unknown>) => db.send(new PutCommand({ TableName: table, Item }));

  /** A range with `taken` numbers from `first`, its allocation queued at `allocatedAt` (seconds). */
  async function range(
    id: string,
    code: string,
    o: { first?: number; taken: number; allocatedAt: number; marked?: boolean },
  ): Promise<NumberRange> {
    const first = o.first ?? 1;
    const r: NumberRange = {
      id,
      department: 'ZRZY',
      code,
      first,
      last: first + 99,
      next: first + o.taken,
      status: 'open',
      allocatedAt: at(o.allocatedAt),
      allocatedBy: 'finance',
    };
    const allocation: LogEntry = {
      v: 1,
      type: 'range',
      event: 'allocated',
      rangeId: id,
      department: 'ZRZY',
      code,
      first,
      last: r.last,
    };
    // As the allocation's transaction writes them (RangeRepository.allocateRange); a range
    // allocated before receipts were logged from their rows has no watermark row (`marked: false`).
    const queued = pendingEntryPut(table, allocation, at(o.allocatedAt));
    await transactWrite(db, [
      { Put: { TableName: table, Item: { ...rangeKey(id), ...r } } },
      { Put: { TableName: table, Item: { ...rangeListingKey(r), id } } },
      queued,
      ...(o.marked === false ? [] : [rangeAllocationMark(table, id, queued)]),
    ]);
    return r;
  }

  /** A receipt row: pending, or complete at `completedAt` (seconds) with its entry on the row or queued. */
  async function receipt(
    r: ReceiptRef,
    o: { completedAt?: number; reverses?: ReceiptRef; queued?: boolean } = {},
  ): Promise<void> {
    const entry = encodeEntry(receiptEntry(r, o.reverses));
    const complete = o.completedAt !== undefined;
    await put({
      ...receiptKey(r),
      ...r,
      kind: o.reverses ? 'red' : 'blue',
      ...(o.reverses ? { reverses: o.reverses } : {}),
      status: complete ? 'issued' : 'pending',
      ...(complete ? { completedAt: at(o.completedAt!) } : {}),
      ...(complete && !o.queued ? { [RECEIPT_LOG_ENTRY]: entry } : {}),
    });
    if (complete && o.queued)
      await transactWrite(db, [pendingEntryPut(table, decodeEntry(entry), at(o.completedAt!))]);
  }

  /** Completes a pending receipt as completion does: status, completion time, its entry. */
  async function complete(r: ReceiptRef, completedAt: number, reverses?: ReceiptRef): Promise<void> {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: receiptKey(r),
        UpdateExpression: 'SET #s = :issued, completedAt = :at, #e = :entry',
        ExpressionAttributeNames: { '#s': 'status', '#e': RECEIPT_LOG_ENTRY },
        ExpressionAttributeValues: {
          ':issued': 'issued',
          ':at': at(completedAt),
          ':entry': encodeEntry(receiptEntry(r, reverses)),
        },
      }),
    );
  }

  const queue = (entry: LogEntry, s: number) => transactWrite(db, [pendingEntryPut(table, entry, at(s))]);
  const sequencer = (client: DynamoDBDocumentClient = db) => new DynamoSequence(client, table, table);

  /** Every entry logged, in log order, as labels: `alloc:<id>`, `<code>/<number>`, `reversal:<number>`, `cat:<version>`. */
  async function logged(): Promise<string[]> {
    const sequence = sequencer();
    const entries = await sequence.read(0, (await sequence.size()) + 1);
    return entries.map(({ entry }) => {
      const e = decodeEntry(entry);
      if (e.type === 'range') return `alloc:${e.rangeId}`;
      if (e.type === 'receipt') return `${e.code}/${e.number}`;
      if (e.type === 'reversal') return `reversal:${e.original.number}`;
      return `cat:${e.version}`;
    });
  }

  /** `log audit`'s checks over what is logged: all must pass. */
  async function audit() {
    const sequence = sequencer();
    const entries = await sequence.read(0, await sequence.size());
    return auditEntries(entries.map(({ entry }) => decodeEntry(entry))).filter((c) => !c.ok);
  }

  async function watermark(rangeId: string) {
    const out = await db.send(
      new GetCommand({ TableName: table, Key: rangeLoggedKey(rangeId), ConsistentRead: true }),
    );
    return out.Item;
  }

  return { db, table, range, receipt, complete, queue, sequencer, logged, audit, watermark };
}

const label = (r: ReceiptRef) => `${r.code}/${r.number}`;

describe('receipts logged from their ranges', () => {
  it('in commit-time order with the queue; a receipt still pending holds back the later ones of its range, then they follow in number order', async () => {
    const log = await freshLog();
    const A = '11010101';
    await log.range('a', A, { taken: 5, allocatedAt: 0 });
    const n = (i: number) => ref(A, i);
    await log.receipt(n(1), { completedAt: 1 });
    await log.queue(catalogueEntry(1), 2);
    await log.receipt(n(2), { completedAt: 3 });
    await log.receipt(n(3)); // pending
    await log.receipt(n(4), { completedAt: 4 });
    await log.receipt(n(5), { completedAt: 5 });

    expect(await log.sequencer().sequence()).toBe(4);
    expect(await log.logged()).toEqual(['alloc:a', label(n(1)), 'cat:1', label(n(2))]);
    // The watermark stops at the pending receipt; the allocation's flag is gone with its entry logged.
    expect(await log.watermark('a')).toEqual({ ...rangeLoggedKey('a'), below: 3 });

    // Nothing new: a run logs nothing and writes nothing.
    expect(await log.sequencer().sequence()).toBe(0);
    await log.complete(n(3), 9);
    await log.queue(catalogueEntry(2), 8);
    expect(await log.sequencer().sequence()).toBe(4);
    expect((await log.logged()).slice(4)).toEqual(['cat:2', label(n(3)), label(n(4)), label(n(5))]);
    expect(await log.watermark('a')).toMatchObject({ below: 6 });
    expect(await log.audit()).toEqual([]);
  });

  it("a range's receipts wait for its allocation's entry, whatever the clocks say", async () => {
    const log = await freshLog();
    const B = '11010102';
    // The allocation's commit time after its receipts' (a clock behind in the allocating process).
    await log.range('b', B, { taken: 2, allocatedAt: 50 });
    await log.receipt(ref(B, 1), { completedAt: 10 });
    await log.receipt(ref(B, 2), { completedAt: 11 });
    await log.queue(catalogueEntry(1), 20);
    expect(await log.sequencer().sequence()).toBe(4);
    expect(await log.logged()).toEqual(['cat:1', 'alloc:b', label(ref(B, 1)), label(ref(B, 2))]);
    expect(await log.audit()).toEqual([]);
  });

  it('a red receipt and the reversal wait for their original, held back in another range by a receipt still pending', async () => {
    const log = await freshLog();
    const [C, D] = ['11010103', '11010104'];
    await log.range('c', C, { taken: 2, allocatedAt: 0 });
    await log.range('d', D, { taken: 1, allocatedAt: 1 });
    await log.receipt(ref(C, 1)); // pending: holds back C/2, the original
    await log.receipt(ref(C, 2), { completedAt: 2 });
    // The reversal of C/2 by D/1: queued when D/1's number was taken; D/1 completed after.
    await log.queue({ v: 1, type: 'reversal', original: ref(C, 2), reversedBy: ref(D, 1) }, 3);
    await log.receipt(ref(D, 1), { completedAt: 4, reverses: ref(C, 2) });

    await log.sequencer().sequence();
    expect(await log.logged()).toEqual(['alloc:c', 'alloc:d']);
    expect(await log.watermark('d')).toEqual(rangeLoggedKey('d')); // flag cleared, no receipt passed

    await log.complete(ref(C, 1), 6);
    expect(await log.sequencer().sequence()).toBe(4);
    expect((await log.logged()).slice(2)).toEqual([
      label(ref(C, 1)),
      label(ref(C, 2)),
      'reversal:0000000002',
      label(ref(D, 1)),
    ]);
    expect(await log.audit()).toEqual([]);
  });

  it('a flag left by a sequencer that logged the allocation and did not clear it (a deploy, a rollback) holds nothing back', async () => {
    const log = await freshLog();
    const S = '11010110';
    await log.range('s', S, { taken: 1, allocatedAt: 0 });
    await log.receipt(ref(S, 1)); // pending
    await log.sequencer().sequence();
    expect(await log.logged()).toEqual(['alloc:s']);
    // As a sequencer of before would leave it: the entry logged, its queue item gone, the flag kept.
    await log.db.send(
      new PutCommand({
        TableName: log.table,
        Item: { ...rangeLoggedKey('s'), allocationQueued: `${at(0)}#gone` },
      }),
    );
    await log.complete(ref(S, 1), 5);
    expect(await log.sequencer().sequence()).toBe(1);
    expect(await log.logged()).toEqual(['alloc:s', label(ref(S, 1))]);
    expect(await log.watermark('s')).toEqual({ ...rangeLoggedKey('s'), below: 2 });
    expect(await log.audit()).toEqual([]);
  });

  it('receipts whose entries were queued (completed before entries were left on rows) are passed, each logged once', async () => {
    const log = await freshLog();
    const E = '11010105';
    // A range allocated then: no watermark row; its first two receipts queued their entries.
    await log.range('e', E, { taken: 4, allocatedAt: 0, marked: false });
    await log.receipt(ref(E, 1), { completedAt: 1, queued: true });
    await log.receipt(ref(E, 2), { completedAt: 2, queued: true });
    await log.receipt(ref(E, 3), { completedAt: 3 });
    await log.receipt(ref(E, 4), { completedAt: 4 });
    expect(await log.sequencer().sequence()).toBe(5);
    expect(await log.logged()).toEqual(['alloc:e', ...[1, 2, 3, 4].map((i) => label(ref(E, i)))]);
    expect(await log.watermark('e')).toMatchObject({ below: 5 });
    // A range whose queued receipts were all logged already (by a sequencer of the queue alone):
    // its watermark moves past them with nothing to log.
    const F = '11010106';
    await log.range('f', F, { taken: 2, allocatedAt: 10, marked: false });
    await log.receipt(ref(F, 1), { completedAt: 11, queued: true });
    await log.receipt(ref(F, 2), { completedAt: 12, queued: true });
    expect(await new DynamoSequence(log.db, log.table).sequence()).toBe(3);
    // Its allocation logged: the watermark row holds no flag (and no watermark yet).
    expect(await log.watermark('f')).toEqual(rangeLoggedKey('f'));
    expect(await log.sequencer().sequence()).toBe(0);
    expect(await log.watermark('f')).toEqual({ ...rangeLoggedKey('f'), below: 3 });
    expect(await log.logged()).toHaveLength(8);
    expect(await log.audit()).toEqual([]);
  });

  it('ranges held by a receipt still pending, more than a batch can hold, keep no range after them waiting; their rows are read together', async () => {
    const log = await freshLog();
    // 50 ranges whose first receipt is pending (a batch moves at most 45 watermarks), then one with a complete receipt.
    const codes = Array.from({ length: 51 }, (_, i) => String(11020100 + i));
    for (const [i, code] of codes.entries()) {
      await log.range(`h${i}`, code, { taken: 1, allocatedAt: i });
      await log.receipt(ref(code, 1), i === 50 ? { completedAt: 100 } : {});
    }
    // The ranges' rows are read in shared requests (100 keys each), not a request a range.
    let batchGets = 0;
    const counting = {
      send: (c: { constructor: { name: string } }) => {
        if (c.constructor.name === 'BatchGetCommand') batchGets++;
        return log.db.send(c as never);
      },
    } as unknown as DynamoDBDocumentClient;
    await log.sequencer(counting).sequence();
    expect((await log.logged()).filter((e) => !e.startsWith('alloc:'))).toEqual([label(ref(codes[50]!, 1))]);
    expect(batchGets).toBeLessThan(codes.length / 2);
    expect(await log.audit()).toEqual([]);
  });

  it('more ranges with receipts to log than a batch moves watermarks of: one run logs them all, the oldest first', async () => {
    const log = await freshLog();
    const codes = Array.from({ length: 50 }, (_, i) => String(11030100 + i));
    for (const [i, code] of codes.entries()) {
      await log.range(`m${i}`, code, { taken: 1, allocatedAt: i });
      await log.receipt(ref(code, 1));
    }
    await log.sequencer().sequence(); // the allocations
    // Completed newest range first: the batch's 45 are the oldest receipts, the rest follow.
    for (const [i, code] of codes.entries()) await log.complete(ref(code, 1), 200 - i);
    expect(await log.sequencer().sequence()).toBe(50);
    const receipts = (await log.logged()).filter((e) => !e.startsWith('alloc:'));
    expect(receipts).toEqual([...codes].reverse().map((code) => label(ref(code, 1))));
    expect(await log.audit()).toEqual([]);
  });

  it('racing sequencers log every receipt of three ranges once; a crash at the commit moves no watermark', async () => {
    const log = await freshLog();
    const codes = ['11010107', '11010108', '11010109'];
    for (const [i, code] of codes.entries()) {
      await log.range(`r${i}`, code, { taken: 90, allocatedAt: i });
      for (let n = 1; n <= 90; n++) await log.receipt(ref(code, n), { completedAt: 10 + n * 3 + i });
    }
    const crashing = {
      send: async (c: { constructor: { name: string } }) => {
        if (c.constructor.name === 'TransactWriteCommand') throw new Error('crash at commit');
        return log.db.send(c as never);
      },
    } as unknown as DynamoDBDocumentClient;
    await expect(log.sequencer(crashing).sequence()).rejects.toThrow('crash at commit');
    expect(await log.logged()).toEqual([]);
    expect(await log.watermark('r0')).toMatchObject({
      allocationQueued: expect.stringMatching(/^2026-12-02T/),
    });

    // Sequencers race until every receipt is in: a loser stops, the next run goes on.
    const [a, b] = [log.sequencer(), log.sequencer()];
    for (let runs = 0; runs < 20; runs++) {
      await Promise.all([a.sequence(), b.sequence()]);
      if ((await a.size()) === 3 + 270) break;
    }
    const entries = await log.logged();
    expect(entries).toHaveLength(273);
    expect(new Set(entries).size).toBe(273);
    // Commit-time order: the three ranges' receipts interleave as they were completed.
    expect(entries.slice(3, 9)).toEqual([1, 2].flatMap((n) => codes.map((code) => label(ref(code, n)))));
    for (const i of [0, 1, 2])
      expect(await log.watermark(`r${i}`)).toEqual({ ...rangeLoggedKey(`r${i}`), below: 91 });
    expect(
      (await log.db.send(new GetCommand({ TableName: log.table, Key: LOG_HEAD_KEY, ConsistentRead: true })))
        .Item,
    ).toMatchObject({ size: 273 });
    expect(await log.audit()).toEqual([]);
  });
});
