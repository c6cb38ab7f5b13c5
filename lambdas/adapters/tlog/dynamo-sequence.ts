import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ReceiptRef } from '../../core/receipt.js';
import { encodeEntry, type LogEntry } from '../../core/tlog/entries.js';
import type { SequencedEntries, SequencedEntry } from '../../core/tlog/ports.js';
import { loggedReceipt } from '../../core/tlog/receipt-inclusion.js';
import {
  CHECK_KEY_PREFIX,
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
      const checkRows = await this.existingCheckRows(items.map((item) => item.entry as Uint8Array));
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
        const receipt = loggedReceipt(item.entry as Uint8Array);
        if (receipt && checkRows.has(refId(receipt)))
          TransactItems.push({
            Update: {
              TableName: this.receiptsTable!,
              Key: checksKey(receipt),
              UpdateExpression: 'SET logIndex = :i',
              // Never creates a row: one deleted between the read above and now cancels this
              // batch, and the next run's read leaves it out.
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':i': size + i },
            },
          });
      });
      try {
        await transactWrite(this.db, TransactItems);
      } catch (e) {
        failedConditions(e); // another sequencer moved the head or took these entries first
        break;
      }
      done += items.length;
    }
    return done;
  }

  /**
   * Which of the receipts these entries log still have a check row (one BatchGetItem). An entry
   * whose row is gone (deleted behind the service's back: the log keeps it, `log audit` finds
   * it) gets no index update: a condition that always fails would cancel every run of the batch
   * and stop the log.
   */
  private async existingCheckRows(entries: Uint8Array[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (!this.receiptsTable) return found;
    const refs = new Map<string, ReceiptRef>();
    for (const e of entries) {
      const r = loggedReceipt(e);
      if (r) refs.set(refId(r), r);
    }
    let keys = [...refs.values()].map(checksKey);
    while (keys.length) {
      const out = await this.db.send(
        new BatchGetCommand({
          RequestItems: {
            [this.receiptsTable]: { Keys: keys, ProjectionExpression: 'pk', ConsistentRead: true },
          },
        }),
      );
      for (const row of out.Responses?.[this.receiptsTable] ?? [])
        found.add((row.pk as string).slice(CHECK_KEY_PREFIX.length));
      keys = (out.UnprocessedKeys?.[this.receiptsTable]?.Keys ?? []) as typeof keys;
    }
    return found;
  }
}

const refId = (r: ReceiptRef) => `${r.code}#${r.number}`;
