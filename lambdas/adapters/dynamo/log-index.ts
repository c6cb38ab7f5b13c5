import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { BoundedCache } from '../../core/bounded-cache.js';
import type { ReceiptRef } from '../../core/receipt.js';
import { ENV } from '../../runtime/env.js';
import { blockValues, logIndexBlockKey } from './keys.js';

/** How long a block read answers for the numbers it lacks, unless FEEPROOF_LOG_INDEX_REREAD_MS says. */
export const DEFAULT_REREAD_MS = 1_000;

/** A block row as read: its numbers' indexes, and when the read began. */
interface Block {
  indexes: Map<string, number>;
  readAt: number;
}

/**
 * Blocks a process holds: 100 numbers each, so 2,048 blocks cover 200,000 receipts in a few MB;
 * a full cache starts over (BoundedCache), which costs one read per block checked again.
 */
const BLOCKS_HELD = 2_048;

/**
 * Where receipts are in the transparency log, from the index-block rows the sequencer writes
 * (keys.ts logIndexBlockKey), held per process: an index, once written, never changes, so a
 * number found in a held block is answered with no request. A number not in a held block (not
 * sequenced yet when the block was read) re-reads the block, strongly consistent, at most once
 * per `rereadMs`; lookups of one block at the same moment share one read. Until its batch is
 * sequenced a receipt has no index (the answer says it waits for the next checkpoint).
 */
export class LogIndexReader {
  private readonly blocks = new BoundedCache<string, Block>(BLOCKS_HELD);
  /** Reads in flight, by block key. */
  private readonly reading = new Map<string, Promise<Block>>();

  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
    private readonly rereadMs = Number(process.env[ENV.logIndexRereadMs] ?? DEFAULT_REREAD_MS),
  ) {}

  /** The receipt's entry index in the log, or undefined while it is not sequenced. */
  async indexOf(ref: ReceiptRef): Promise<number | undefined> {
    const key = logIndexBlockKey(ref);
    const held = this.blocks.get(key.pk);
    const index = held?.indexes.get(ref.number);
    if (index !== undefined || (held && Date.now() - held.readAt < this.rereadMs)) return index;
    return (await this.read(key)).indexes.get(ref.number);
  }

  private read(key: { pk: string; sk: string }): Promise<Block> {
    const inFlight = this.reading.get(key.pk);
    if (inFlight) return inFlight;
    const readAt = Date.now();
    const read = this.db
      .send(
        new GetItemCommand({
          TableName: this.table,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
          ConsistentRead: true,
        }),
      )
      .then((out) => {
        const block = { indexes: blockValues(out.Item ?? {}), readAt };
        this.blocks.set(key.pk, block);
        return block;
      })
      .finally(() => this.reading.delete(key.pk));
    this.reading.set(key.pk, read);
    return read;
  }
}
