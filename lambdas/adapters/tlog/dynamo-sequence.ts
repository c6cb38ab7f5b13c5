import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { encodeEntry, type LogEntry } from '../../core/tlog/entries.js';
import type { SequencedEntries, SequencedEntry } from '../../core/tlog/ports.js';
import { loggedReceipt } from '../../core/tlog/receipt-inclusion.js';
import {
  checksKey,
  LOG_BUNDLE_SIZE,
  LOG_HEAD_KEY,
  LOG_QUEUE_PK,
  logEntryKey,
  logEntryPk,
  logEntrySk,
  logQueueKey,
} from '../dynamo/keys.js';
import { failedConditions, type TransactItem, transactWrite } from '../dynamo/transactions.js';
import { newId } from '../ids.js';

/**
 * The log's sequencing in DynamoDB (docs/transparency-log.md). A committing transaction adds its
 * entry to the pending queue (pendingEntryPut), so nothing committed can miss its entry and no
 * entry exists for what did not commit. The sequencer then gives queued entries their indexes
 * under a conditional counter, and DynamoSequence is the SequencedEntries the integrator reads.
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
 * Per sequencing transaction: the head's update, then per entry a Put, a Delete and (receipt
 * entries) the check row's logIndex: 1 + 3k ≤ 100.
 */
export const SEQUENCE_BATCH = 33;

export class DynamoSequence implements SequencedEntries {
  /**
   * `receiptsTable`: where receipts' check rows live; each receipt entry's index is written on
   * its check row (`logIndex`) in the transaction that sequences it, so that the public check
   * finds it in the one read it already makes. Without it (tests of the sequence alone) no
   * index is written.
   */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly receiptsTable?: string,
  ) {}

  async size(): Promise<number> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: LOG_HEAD_KEY, ConsistentRead: true }),
    );
    return (out.Item?.size as number | undefined) ?? 0;
  }

  async read(from: number, limit: number): Promise<SequencedEntry[]> {
    const out: SequencedEntry[] = [];
    let index = from;
    while (out.length < limit) {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :p AND sk >= :s',
          ExpressionAttributeValues: { ':p': logEntryPk(index), ':s': logEntrySk(index) },
          Limit: Math.min(limit - out.length, LOG_BUNDLE_SIZE),
          ConsistentRead: true,
        }),
      );
      const items = page.Items ?? [];
      for (const item of items) {
        // No gap: the sequencer writes indexes in order under the head, so a gap is corruption.
        if (Number(item.sk) !== index) throw new Error(`the log sequence has no entry ${index}`);
        out.push({ index, entry: item.entry as Uint8Array });
        index++;
      }
      // The end of the sequence, or of this bundle's partition (then read the next one).
      if (items.length === 0 || index % LOG_BUNDLE_SIZE !== 0) break;
    }
    return out;
  }

  /**
   * Sequences queued entries, oldest commit first, in transactions of SEQUENCE_BATCH: the head
   * moves from n to n + k only if it is still n, each entry gets its LOG row, its queue item
   * goes. Two sequencers at once: one transaction wins, the other stops (the next run
   * continues). Returns how many entries this call sequenced.
   */
  async sequence(maxEntries = Number.POSITIVE_INFINITY): Promise<number> {
    let done = 0;
    while (done < maxEntries) {
      const queued = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': LOG_QUEUE_PK },
          Limit: Math.min(SEQUENCE_BATCH, maxEntries - done),
          ConsistentRead: true,
        }),
      );
      const items = queued.Items ?? [];
      if (items.length === 0) break;
      const size = await this.size();
      const TransactItems: TransactItem[] = [
        {
          Update: {
            TableName: this.table,
            Key: LOG_HEAD_KEY,
            UpdateExpression: 'SET #size = :next',
            ConditionExpression: size === 0 ? 'attribute_not_exists(pk) OR #size = :n' : '#size = :n',
            ExpressionAttributeNames: { '#size': 'size' },
            ExpressionAttributeValues: { ':n': size, ':next': size + items.length },
          },
        },
      ];
      const checkUpdates = new Set<TransactItem>();
      items.forEach((item, i) => {
        TransactItems.push(
          {
            Put: {
              TableName: this.table,
              Item: { ...logEntryKey(size + i), entry: item.entry, queued: item.sk },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Delete: {
              TableName: this.table,
              Key: { pk: item.pk, sk: item.sk },
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
        );
        const receipt = this.receiptsTable ? loggedReceipt(item.entry as Uint8Array) : null;
        if (receipt) {
          const update: TransactItem = {
            Update: {
              TableName: this.receiptsTable!,
              Key: checksKey(receipt),
              UpdateExpression: 'SET logIndex = :i',
              ConditionExpression: 'attribute_exists(pk)', // never creates a row
              ExpressionAttributeValues: { ':i': size + i },
            },
          };
          checkUpdates.add(update);
          TransactItems.push(update);
        }
      });
      if (!(await this.commit(TransactItems, checkUpdates))) break; // lost the race: stop
      done += items.length;
    }
    return done;
  }

  /**
   * Commits one sequencing transaction; false when another sequencer moved the head or took
   * these entries first. A receipt's check row that is gone (deleted behind the service's back:
   * its entry is logged all the same, and `log audit --api` reports the row missing) fails only
   * its own index update: that update is left out and the rest committed, since a condition that
   * always fails would cancel the batch on every run and stop the log. No read before: rows that
   * exist cost nothing more than their update.
   */
  private async commit(items: TransactItem[], checkUpdates: Set<TransactItem>): Promise<boolean> {
    for (;;) {
      try {
        await transactWrite(this.db, items);
        return true;
      } catch (e) {
        const failed = failedConditions(e).map((i) => items[i]!);
        if (failed.length === 0 || !failed.every((item) => checkUpdates.has(item))) return false;
        items = items.filter((item) => !failed.includes(item));
      }
    }
  }
}
