import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { encodeEntry, type LogEntry } from '../../core/tlog/entries.js';
import type { SequencedEntries, SequencedEntry } from '../../core/tlog/ports.js';
import { loggedReceipt } from '../../core/tlog/receipt-inclusion.js';
import {
  LOG_BUNDLE_SIZE,
  LOG_HEAD_KEY,
  LOG_QUEUE_PK,
  logBatchKey,
  logEntryPk,
  logIndexBlockKey,
  logQueueKey,
} from '../dynamo/keys.js';
import { failedConditions, type TransactItem, transactWrite } from '../dynamo/transactions.js';
import { newId } from '../ids.js';

/**
 * The log's sequencing in DynamoDB (docs/transparency-log.md). A committing transaction adds its
 * entry to the pending queue (pendingEntryPut), so nothing committed can miss its entry and no
 * entry exists for what did not commit. The sequencer then gives queued entries their indexes
 * a batch at a time under a conditional counter, and DynamoSequence is the SequencedEntries the
 * integrator reads.
 */

/** The transaction item that queues one log entry; `at` is the commit time (ISO). */
export function pendingEntryPut(table: string, entry: LogEntry, at: string): TransactItem {
  return {
    Put: {
      TableName: table,
      Item: { ...logQueueKey(at, newId(new Date(at))), entry: encodeEntry(entry) },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * A batch item's budget for its entries and queue keys, well under DynamoDB's 400 KB an item. A
 * batch takes at least one entry, which fits: its queue item held it.
 */
const BATCH_BYTES = 300_000;
/** DynamoDB's limit: items per BatchWriteItem. */
const PER_REQUEST = 25;
/**
 * Cleanup requests in flight at once: DynamoDB Local on this 2-core machine gained nothing from
 * four (docs/transparency-log.md, the bench); DynamoDB proper would take more.
 */
const CLEANUP_PARALLEL = 2;
/**
 * Numbers per index-block update: a block holds 100 (keys.ts), and 100 `#nI = :nI` stay well
 * under DynamoDB's 4 KB an expression.
 */
const INDEXES_PER_UPDATE = 100;

/** The tree head's counter: `size` entries sequenced; `cleanup` the first index of a batch whose cleanup is unfinished. */
interface Head {
  size: number;
  cleanup?: number;
}

/** One committed batch: the entries from index `first` and the queue keys (sk) they came from. */
interface Batch {
  first: number;
  entries: Uint8Array[];
  queued: string[];
}

/**
 * A batch item: `LOG#<bundle>`/`<first index, zero-padded>`, `entries` (a list of binaries),
 * `queued` (their queue keys, in the same order). Items the sequencer wrote before batches (one
 * entry an item: `entry`, `queued` a string) read as batches of one.
 */
const batchOf = (item: Record<string, unknown>): Batch => ({
  first: Number(item.sk),
  entries: (item.entries as Uint8Array[] | undefined) ?? [item.entry as Uint8Array],
  queued: Array.isArray(item.queued) ? (item.queued as string[]) : [item.queued as string],
});

export class DynamoSequence implements SequencedEntries {
  /**
   * `receiptsTable`: where the receipts' index-block rows live (keys.ts logIndexBlockKey); a
   * batch's cleanup writes each receipt entry's index there, which the public check reads
   * (log-index.ts). Without it (tests of the sequence alone) no index is written.
   */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly receiptsTable?: string,
  ) {}

  async size(): Promise<number> {
    return (await this.head()).size;
  }

  private async head(): Promise<Head> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: LOG_HEAD_KEY, ConsistentRead: true }),
    );
    const cleanup = out.Item?.cleanup as number | undefined;
    return {
      size: (out.Item?.size as number | undefined) ?? 0,
      ...(cleanup === undefined ? {} : { cleanup }),
    };
  }

  /** One consistent Query per entry-bundle partition (a batch never crosses one), refusing a gap. */
  async read(from: number, limit: number): Promise<SequencedEntry[]> {
    const out: SequencedEntry[] = [];
    let index = from;
    while (out.length < limit) {
      const partitionEnd = (Math.floor(index / LOG_BUNDLE_SIZE) + 1) * LOG_BUNDLE_SIZE;
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :p',
            ExpressionAttributeValues: { ':p': logEntryPk(index) },
            ConsistentRead: true,
            ExclusiveStartKey,
          }),
        );
        for (const { first, entries } of (page.Items ?? []).map(batchOf)) {
          if (first + entries.length <= index) continue; // before `from`
          // No gap: batches are written in order under the head, so a gap is corruption.
          if (first > index) throw new Error(`the log sequence has no entry ${index}`);
          for (let i = index - first; i < entries.length && out.length < limit; i++)
            out.push({ index: index++, entry: entries[i]! });
          if (out.length === limit) return out;
        }
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      // The end of the sequence, or of this bundle's partition (then read the next one).
      if (index < partitionEnd) break;
    }
    return out;
  }

  /**
   * Sequences queued entries, oldest commit first, one transaction per batch: the head moves
   * from n to n + k only if it is still n with no cleanup unfinished, and records `cleanup = n`;
   * the batch item (LOG#<bundle>/n) holds the k entries and their queue keys. A batch stays
   * inside one 256-entry bundle. Then its cleanup (below). Two sequencers at once: one
   * transaction wins, the other stops (the next run continues). Returns how many entries this
   * call sequenced.
   *
   * Why no entry is sequenced twice: the head is read (cleanup finished) before the queue, and
   * a batch's queue items are all deleted before its cleanup is cleared; so every queue item
   * the Query returns is unsequenced as long as the head has not moved, which the commit's
   * condition checks. Why none is lost: an item leaves the queue only once its batch committed,
   * and "done" is never inferred from queue-key order (a transaction that committed late has an
   * older key than entries already sequenced, and is sequenced when it appears).
   */
  async sequence(maxEntries = Number.POSITIVE_INFINITY): Promise<number> {
    let done = 0;
    while (done < maxEntries) {
      const head = await this.head();
      if (head.cleanup !== undefined) {
        // A crash or another sequencer left it: finish it, then read the head again.
        await this.cleanUp(await this.batchAt(head.cleanup));
        continue;
      }
      const room = Math.min(LOG_BUNDLE_SIZE - (head.size % LOG_BUNDLE_SIZE), maxEntries - done);
      const queued = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': LOG_QUEUE_PK },
          Limit: room,
          ConsistentRead: true,
        }),
      );
      const batch: Batch = { first: head.size, entries: [], queued: [] };
      let bytes = 0;
      for (const item of queued.Items ?? []) {
        const entry = item.entry as Uint8Array;
        const sk = item.sk as string;
        bytes += entry.length + sk.length + 8;
        if (batch.entries.length > 0 && bytes > BATCH_BYTES) break;
        batch.entries.push(entry);
        batch.queued.push(sk);
      }
      if (batch.entries.length === 0) break;
      if (!(await this.commit(head.size, batch))) break; // lost the race: stop
      await this.cleanUp(batch);
      done += batch.entries.length;
    }
    return done;
  }

  /** The batch transaction; false when another sequencer moved the head first. */
  private async commit(size: number, batch: Batch): Promise<boolean> {
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.table,
          Key: LOG_HEAD_KEY,
          UpdateExpression: 'SET #size = :next, cleanup = :n',
          ConditionExpression: `(${size === 0 ? 'attribute_not_exists(pk) OR ' : ''}#size = :n) AND attribute_not_exists(cleanup)`,
          ExpressionAttributeNames: { '#size': 'size' },
          ExpressionAttributeValues: { ':n': size, ':next': size + batch.entries.length },
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { ...logBatchKey(size), entries: batch.entries, queued: batch.queued },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    try {
      await transactWrite(this.db, items);
      return true;
    } catch (e) {
      failedConditions(e); // rethrows anything but a failed condition
      return false;
    }
  }

  private async batchAt(first: number): Promise<Batch> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: logBatchKey(first), ConsistentRead: true }),
    );
    if (!out.Item) throw new Error(`the log sequence has no batch at ${first}`);
    return batchOf(out.Item);
  }

  /**
   * A committed batch's cleanup, idempotent (a crash, or two sequencers at once, may run it
   * again, and writes the same): delete its queue items, write its receipt entries' indexes as
   * index-block rows (one UpdateItem per code and block of 100 numbers: a batch of sequential
   * numbers is 2-4 requests, where a write per receipt cost most of the sequencing's time on
   * DynamoDB Local), then clear the head's `cleanup` if it is still this batch's. Any failure
   * throws before the clear, and the next run redoes the cleanup.
   */
  private async cleanUp(batch: Batch): Promise<void> {
    const requests: (() => Promise<void>)[] = [];
    for (let i = 0; i < batch.queued.length; i += PER_REQUEST) {
      const keys = batch.queued.slice(i, i + PER_REQUEST).map((sk) => ({ pk: LOG_QUEUE_PK, sk }));
      requests.push(() => this.deleteQueued(keys));
    }
    const receipts = this.receiptsTable;
    if (receipts)
      for (const { key, indexes } of indexBlocks(batch))
        for (let i = 0; i < indexes.length; i += INDEXES_PER_UPDATE) {
          const some = indexes.slice(i, i + INDEXES_PER_UPDATE);
          requests.push(async () => {
            await this.db.send(
              new UpdateCommand({
                TableName: receipts,
                Key: key,
                UpdateExpression: `SET ${some.map((_, j) => `#n${j} = :n${j}`).join(', ')}`,
                ExpressionAttributeNames: Object.fromEntries(some.map(([number], j) => [`#n${j}`, number])),
                ExpressionAttributeValues: Object.fromEntries(some.map(([, index], j) => [`:n${j}`, index])),
              }),
            );
          });
        }
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(CLEANUP_PARALLEL, requests.length) }, async () => {
        while (next < requests.length) await requests[next++]!();
      }),
    );
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: LOG_HEAD_KEY,
          UpdateExpression: 'REMOVE cleanup',
          ConditionExpression: 'cleanup = :n',
          ExpressionAttributeValues: { ':n': batch.first },
        }),
      );
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException') throw e; // another cleaned up
    }
  }

  /** Deletes queue items (gone already is fine), retrying what DynamoDB left unprocessed. */
  private async deleteQueued(keys: { pk: string; sk: string }[]): Promise<void> {
    let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
      const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
      requests = (out.UnprocessedItems?.[this.table] ?? []) as typeof requests;
    }
  }
}

/**
 * A batch's receipt entries grouped by index-block row: per row its key and [number, index]
 * pairs. A number logged twice keeps its first index (one attribute can be set once a request;
 * `log audit` reports the duplicate).
 */
function indexBlocks(batch: Batch) {
  const blocks = new Map<string, { key: { pk: string; sk: string }; numbers: Map<string, number> }>();
  batch.entries.forEach((entry, i) => {
    const receipt = loggedReceipt(entry);
    if (!receipt) return;
    const key = logIndexBlockKey(receipt);
    const block = blocks.get(key.pk) ?? { key, numbers: new Map<string, number>() };
    blocks.set(key.pk, block);
    if (!block.numbers.has(receipt.number)) block.numbers.set(receipt.number, batch.first + i);
  });
  return [...blocks.values()].map(({ key, numbers }) => ({ key, indexes: [...numbers] }));
}
