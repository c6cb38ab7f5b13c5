import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { ExpiringCache } from '../../core/bounded-cache.js';
import type { ReceiptRef } from '../../core/receipt.js';
import { blockValues, checkCountsKey } from './keys.js';

/** A receipt's checks, counted and not yet written. */
export interface HeldCount {
  ref: ReceiptRef;
  count: number;
}

/** Blocks held per process: 100 numbers each, so 2,048 blocks cover 200,000 receipts checked. */
const BLOCKS_HELD = 2_048;
/** Block writes sent at once by a flush. */
const WRITES_PARALLEL = 4;

type Key = { pk: string; sk: string };

/** One block's counts as one write, sent again unchanged until DynamoDB answers it. */
interface BlockWrite {
  /** The block's row (its partition key). */
  pk: string;
  counts: HeldCount[];
  input: TransactWriteItemsCommandInput;
}

const keyItem = (key: Key) => ({ pk: { S: key.pk }, sk: { S: key.sk } });

/**
 * Where the check counts are written (issue 14): one row per receipt code and block of 100
 * numbers (keys.ts checkCountsKey), one number attribute per receipt checked, so that a flush is
 * one `ADD` per block, not one write per receipt, and the check row is never rewritten by
 * counting. A check shows the block as this process read it at most `heldMs` ago (the counts of
 * other processes lag by up to that, plus their flush interval); counts this process wrote or
 * handed on are credited to the block it holds, so its own answers never fall back.
 */
export class CheckCountBlocks {
  private readonly held: ExpiringCache<string, Promise<Map<string, number>>>;
  /** Writes whose answer was an error: sent again, unchanged, by the next `add`. */
  private readonly failed: BlockWrite[] = [];

  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
    heldMs: number,
  ) {
    this.held = new ExpiringCache(heldMs, BLOCKS_HELD);
  }

  /**
   * The count written for `ref`, as of the block's read at most `heldMs` ago (lookups of a block
   * share one read), and those of its writes not answered yet (shown as if written).
   */
  async recent(ref: ReceiptRef): Promise<number> {
    const key = checkCountsKey(ref);
    let block = this.held.get(key.pk);
    if (!block) {
      const read = this.read(key, false);
      read.catch(() => this.held.forget(key.pk, read)); // a failed read is not kept
      this.held.set(key.pk, read);
      block = read;
    }
    return ((await block).get(ref.number) ?? 0) + this.unsettled(key.pk, ref);
  }

  /** The count written for `ref` now (a strongly consistent read of its block), and those not answered yet. */
  async current(ref: ReceiptRef): Promise<number> {
    const key = checkCountsKey(ref);
    return ((await this.read(key, true)).get(ref.number) ?? 0) + this.unsettled(key.pk, ref);
  }

  /** Counts written, or handed to the process that writes them: added to the blocks held. */
  credit(counts: HeldCount[]): void {
    for (const { ref, count } of counts)
      void this.held
        .get(checkCountsKey(ref).pk)
        ?.then((block) => block.set(ref.number, (block.get(ref.number) ?? 0) + count))
        .catch(() => {});
  }

  /**
   * Adds the counts to their blocks, one `ADD` per block (which makes the row when it is
   * missing), after the writes of earlier flushes that failed, sent again unchanged. Each is a
   * transaction of that one update with a ClientRequestToken, so DynamoDB applies it once
   * however often it is sent within its ten minutes of idempotency: the SDK's own retries and
   * the next flush's resend of a write whose answer was lost (a timeout, a 500 after the write
   * landed) count nothing twice, where a plain `ADD` would. (A write failing for longer than
   * that, and then resent, counts twice if its first sending had landed.) Returns the first
   * error when a write failed; its counts are shown meanwhile (`recent`, `current`).
   */
  async add(counts: HeldCount[]): Promise<{ error?: unknown }> {
    const blocks = new Map<string, { key: Key; counts: HeldCount[] }>();
    for (const held of counts) {
      const key = checkCountsKey(held.ref);
      const block = blocks.get(key.pk) ?? { key, counts: [] };
      block.counts.push(held);
      blocks.set(key.pk, block);
    }
    const queue: BlockWrite[] = [
      ...this.failed.splice(0),
      ...[...blocks.values()].map(({ key, counts }) => ({
        pk: key.pk,
        counts,
        input: addInput(this.table, key, counts),
      })),
    ];
    let error: unknown;
    const writer = async () => {
      for (let write = queue.shift(); write; write = queue.shift()) {
        try {
          await this.db.send(new TransactWriteItemsCommand(write.input));
          this.credit(write.counts);
        } catch (e) {
          this.failed.push(write);
          error ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITES_PARALLEL, queue.length) }, writer));
    return error === undefined ? {} : { error };
  }

  /** Writes that failed, to be sent again by the next `add`. */
  get failedWrites(): number {
    return this.failed.length;
  }

  /** The checks of `ref` (of block `pk`) in writes not yet answered with success. */
  private unsettled(pk: string, ref: ReceiptRef): number {
    let n = 0;
    for (const write of this.failed)
      if (write.pk === pk)
        for (const held of write.counts) if (held.ref.number === ref.number) n += held.count;
    return n;
  }

  private async read(key: Key, consistent: boolean): Promise<Map<string, number>> {
    const out = await this.db.send(
      new GetItemCommand({ TableName: this.table, Key: keyItem(key), ConsistentRead: consistent }),
    );
    return blockValues(out.Item ?? {});
  }
}

/**
 * `ADD #0 :0, #1 :1, …`: a block's numbers (attribute names) and counts, at most 100 clauses,
 * as a one-item transaction with a token of its own (see CheckCountBlocks.add).
 */
function addInput(table: string, key: Key, counts: HeldCount[]): TransactWriteItemsCommandInput {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const clauses = counts.map(({ ref, count }, i) => {
    names[`#${i}`] = ref.number;
    values[`:${i}`] = { N: String(count) };
    return `#${i} :${i}`;
  });
  return {
    ClientRequestToken: randomUUID(),
    TransactItems: [
      {
        Update: {
          TableName: table,
          Key: keyItem(key),
          UpdateExpression: `ADD ${clauses.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
    ],
  };
}
