import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { BoundedCache } from '../../core/bounded-cache.js';
import type {
  CheckedReceipt,
  CheckStore,
  LogPosition,
  StoredReceipt,
  UnreadableCopy,
} from '../../core/ports.js';
import type { ReceiptRef, ReceiptStatus } from '../../core/receipt.js';
import { ENV } from '../../runtime/env.js';
import { CheckCountBlocks, type HeldCount } from './check-count-blocks.js';
import { checksKey } from './keys.js';
import { LogIndexReader } from './log-index.js';
import { storedCopy } from './receipt-copy.js';

/** How long a process holds its check counts before it writes them (one ADD per block of 100 receipts). */
export const DEFAULT_FLUSH_MS = 5_000;

const S = (v: string): AttributeValue => ({ S: v });
const keyOf = (ref: ReceiptRef) => {
  const k = checksKey(ref);
  return { pk: S(k.pk), sk: S(k.sk) };
};

/**
 * Check counts held per receipt until they are written: a process's own, and in `feeproof
 * serve` the primary's, merged from every worker's (lambdas/local/cluster-checks.ts).
 */
export class CheckCounts {
  private held = new Map<string, HeldCount>();
  /** When the oldest count held was added. */
  oldest: number | undefined;

  /** Adds `n` checks of `ref`; returns the count now held for it. */
  add(ref: ReceiptRef, n = 1): number {
    const id = `${ref.code}#${ref.number}`;
    const entry = this.held.get(id) ?? { ref: { code: ref.code, number: ref.number }, count: 0 };
    entry.count += n;
    this.held.set(id, entry);
    this.oldest ??= Date.now();
    return entry.count;
  }

  get(ref: ReceiptRef): number {
    return this.held.get(`${ref.code}#${ref.number}`)?.count ?? 0;
  }

  get size(): number {
    return this.held.size;
  }

  /** Every count held, which are then no longer held here. */
  take(): HeldCount[] {
    const all = [...this.held.values()];
    this.held = new Map();
    this.oldest = undefined;
    return all;
  }
}

/**
 * Public checks of receipts. A check is one strongly consistent GetItem of the receipt's
 * check row (see checksKey: the check code, the current status and a copy of the complete
 * receipt, receipt-copy.ts), so a reversal shows at the very next check. The count is not
 * written per check: each process adds its checks up per receipt and writes them, one ADD per
 * block of 100 receipts (CheckCountBlocks), per flush, at most `flushMs` after the first check
 * of a batch (a timer where the process lives on, the end of an invocation in Lambda: see
 * flushIfDue), and on a graceful stop (flush). A killed process loses the counts of at most
 * its last interval. In `feeproof serve` with workers the primary writes for all of them
 * instead (joinCluster). The count a check shows is its block as read at most `flushMs` ago
 * (held per process, read once the check row matched) plus what this process holds.
 *
 * The plain client and attributes read by hand: the check path does no more than the floor
 * (docs/speed.md), and the row has four attributes.
 */
export class CheckRepository implements CheckStore {
  /** Unwritten counts per receipt. */
  private readonly counts = new CheckCounts();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** In Lambda a frozen container runs no timers: the invocation flushes (flushIfDue). */
  private timers = !process.env.AWS_LAMBDA_FUNCTION_NAME;
  /** Where a flush sends the counts instead of writing them (a cluster worker: the primary). */
  private handOff: ((counts: HeldCount[]) => Promise<void>) | undefined;
  /**
   * Stored copies parsed in this process, by their exact stored form (a copy altered behind the
   * service's back is another, parsed anew). Shared, so never changed by a reader.
   */
  private readonly copies = new BoundedCache<string, StoredReceipt>(4_096);
  /** The counts written, by block. */
  private readonly blocks: CheckCountBlocks;

  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
    readonly flushMs = Number(process.env[ENV.checkFlushMs] ?? DEFAULT_FLUSH_MS),
  ) {
    this.blocks = new CheckCountBlocks(db, table, flushMs);
  }

  /**
   * Makes this process part of `feeproof serve`'s one writer (lambdas/local/cluster-checks.ts):
   * no flush timer of its own. A worker gives `handOff`: its flushes send the counts to the
   * primary, which asks for them every interval. The primary gives none: its counts are the
   * workers' (merge), written when its round flushes them.
   */
  joinCluster(handOff?: (counts: HeldCount[]) => Promise<void>): void {
    this.timers = false;
    this.handOff = handOff;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Counts another process held (a worker's, handed to the primary), to be written with these. */
  merge(counts: HeldCount[]): void {
    for (const { ref, count } of counts) this.hold(ref, count);
  }

  /**
   * A public check: the receipt only when the check code matches a complete receipt, with
   * its count so far (written counts plus this process's unwritten ones). A wrong check code
   * and a missing number both end at the one read, so they cannot be told apart.
   */
  async recordCheck(
    ref: ReceiptRef,
    checkCode: string,
  ): Promise<CheckedReceipt | UnreadableCopy | undefined> {
    const out = await this.db.send(
      new GetItemCommand({ TableName: this.table, Key: keyOf(ref), ConsistentRead: true }),
    );
    const row = out.Item;
    const stored = row && storedCopy({ copy: row.copy?.B, receipt: row.receipt?.S });
    if (!row || row.checkCode?.S !== checkCode || !stored) return undefined;
    // Only for a receipt found: a guess costs the one read, and fills no block held.
    const [written, log] = await Promise.all([this.blocks.recent(ref), this.logOf(ref, row)]);
    const held = this.hold(ref);
    // `checks` on the row: what was counted there before the count blocks.
    const checks = Number(row.checks?.N ?? 0) + written + held;
    let copy: StoredReceipt;
    try {
      copy = this.copies.getOrCompute(stored.id, stored.parse);
    } catch (error) {
      return { unreadable: (error as Error).message, checks };
    }
    const by = row.reversedBy?.M;
    return {
      ...copy,
      copy,
      status: row.status!.S as ReceiptStatus,
      ...(by ? { reversedBy: { code: by.code!.S!, number: by.number!.S! } } : {}),
      checks,
      ...log,
    };
  }

  /** The log position a proof download needs: one GetItem of three attributes (and the index, as a check), no count. */
  async logPosition(ref: ReceiptRef, checkCode: string): Promise<LogPosition | null | undefined> {
    const out = await this.db.send(
      new GetItemCommand({
        TableName: this.table,
        Key: keyOf(ref),
        ConsistentRead: true,
        ProjectionExpression: 'checkCode, logSalt, logIndex',
      }),
    );
    const row = out.Item;
    if (!row || row.checkCode?.S !== checkCode) return undefined;
    return (await this.logOf(ref, row)).log ?? null;
  }

  /** Receipts' log indexes, from the sequencer's index-block rows (held: no request once read). */
  private logIndexes: LogIndexReader | undefined;

  /**
   * The check row's log attributes (issue 13): the commitment salt written at completion, and
   * the entry's index once sequenced: from the sequencer's index-block rows (LogIndexReader), or
   * the row's own `logIndex`, which the sequencer wrote there before those rows. Rows of
   * receipts completed before the log have neither.
   */
  private async logOf(ref: ReceiptRef, row: Record<string, AttributeValue>): Promise<{ log?: LogPosition }> {
    const salt = row.logSalt?.B;
    if (!salt) return {};
    if (row.logIndex?.N) return { log: { salt, index: Number(row.logIndex.N) } };
    this.logIndexes ??= new LogIndexReader(this.db, this.table);
    const index = await this.logIndexes.indexOf(ref);
    return { log: { salt, ...(index === undefined ? {} : { index }) } };
  }

  /** How many public checks a receipt has had: those written and those this process holds. */
  async count(ref: ReceiptRef): Promise<number> {
    const [out, written] = await Promise.all([
      this.db.send(
        new GetItemCommand({
          TableName: this.table,
          Key: keyOf(ref),
          ConsistentRead: true,
          ProjectionExpression: 'checks',
        }),
      ),
      this.blocks.current(ref),
    ]);
    return Number(out.Item?.checks?.N ?? 0) + written + this.counts.get(ref);
  }

  /**
   * Writes the counts held when the oldest is at least an interval old, or a write failed before
   * (Lambda: at the end of each invocation).
   */
  async flushIfDue(now = Date.now()): Promise<void> {
    const oldest = this.counts.oldest;
    if ((oldest !== undefined && now - oldest >= this.flushMs) || this.blocks.failedWrites > 0)
      await this.flush();
  }

  /**
   * Writes every count held now (graceful stop; tests), or hands them to the primary (a cluster
   * worker: always a message, none held or not, since the primary waits for each worker's).
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing; // one flush at a time: never the same counts twice
    if (this.counts.size === 0 && this.blocks.failedWrites === 0 && !this.handOff) return;
    const batch = this.counts.take();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = (
      this.handOff
        ? this.handOff(batch).then(
            () => this.blocks.credit(batch),
            (e) => {
              this.merge(batch); // not sent: held for the next flush
              throw e;
            },
          )
        : this.write(batch)
    ).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  /** Counts `n` checks of `ref`; returns this process's unwritten count for it. */
  private hold(ref: ReceiptRef, n = 1): number {
    const count = this.counts.add(ref, n);
    this.flushLater();
    return count;
  }

  /** A flush an interval from now, where this process runs its own timer and none is set. */
  private flushLater(): void {
    if (!this.timers || this.timer) return;
    this.timer = setTimeout(() => void this.flush().catch(() => {}), this.flushMs);
    this.timer.unref(); // a stop flushes; the timer keeps no process alive
  }

  /** Writes the counts by block; a write that failed is sent again by the next flush. */
  private async write(batch: HeldCount[]): Promise<void> {
    const { error } = await this.blocks.add(batch);
    if (error === undefined) return;
    this.flushLater();
    throw error;
  }
}

/** Marks a receipts table whose check rows were moved (migrateLegacyCheckRows). */
const MIGRATED_KEY = { pk: 'MIGRATION#check-rows', sk: 'MIGRATION' };

/**
 * Copies check rows from where they lived before they had their own partition
 * (`R#code#number`/`CHECKS`, beside the receipt row) to checksKey, once per table: a marker row
 * says it was done, and a row already at the new key is kept (it may have counted since), so
 * running it again, or twice at once, changes nothing. The old rows stay (nothing in the
 * tables is deleted); no code reads them. Locally on each start (lambdas/local/service.ts);
 * in AWS once, by scripts/migrate-check-rows.ts (docs/deployment.md).
 */
export async function migrateLegacyCheckRows(db: DynamoDBClient, table: string): Promise<number> {
  const marker = await db.send(
    new GetItemCommand({ TableName: table, Key: { pk: S(MIGRATED_KEY.pk), sk: S(MIGRATED_KEY.sk) } }),
  );
  if (marker.Item) return 0;
  let moved = 0;
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: table,
        ExclusiveStartKey,
        ConsistentRead: true,
        FilterExpression: 'sk = :checks AND begins_with(pk, :old)',
        ExpressionAttributeValues: { ':checks': S('CHECKS'), ':old': S('R#') },
      }),
    );
    for (const row of page.Items ?? []) {
      const [, code, number] = row.pk!.S!.split('#');
      try {
        await db.send(
          new PutItemCommand({
            TableName: table,
            Item: { ...row, ...keyOf({ code: code!, number: number! }) },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        moved++;
      } catch (e) {
        if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
      }
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  await db.send(
    new PutItemCommand({
      TableName: table,
      Item: { pk: S(MIGRATED_KEY.pk), sk: S(MIGRATED_KEY.sk), at: S(new Date().toISOString()) },
    }),
  );
  return moved;
}
