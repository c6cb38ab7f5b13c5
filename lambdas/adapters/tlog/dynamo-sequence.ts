import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NumberRange } from '../../core/numbering.js';
import { formatReceiptNumber, type ReceiptRef } from '../../core/receipt.js';
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
  RECEIPT_LOG_ENTRY,
  rangeLoggedKey,
  receiptKey,
} from '../dynamo/keys.js';
import { rowsByKey } from '../dynamo/query.js';
import { RangeRepository } from '../dynamo/range-repo.js';
import { failedConditions, type TransactItem, transactWrite } from '../dynamo/transactions.js';
import { raiseWatermark } from '../dynamo/watermark.js';
import { newId } from '../ids.js';

/**
 * The log's sequencing in DynamoDB (docs/transparency-log.md). A committing transaction adds its
 * entry to the pending queue (pendingEntryPut), or, for a receipt, its completion leaves the
 * entry on the receipt's row, where the sequencer finds it from the receipt's range: so nothing
 * committed can miss its entry and no entry exists for what did not commit. The sequencer gives
 * entries their indexes a batch at a time under a conditional counter, and DynamoSequence is
 * the SequencedEntries the integrator reads.
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

/**
 * A batch: the entries from index `first` and the queue keys (sk) of those that came from the
 * queue (the others came from receipt rows).
 */
interface Batch {
  first: number;
  entries: Uint8Array[];
  queued: string[];
}

/**
 * An entry the next batch may take, from the queue or from a receipt row of a range, with what
 * decides its place: its commit time, and what must be logged before it.
 */
interface Candidate {
  /** Commit time: the queue key's, or the receipt's completion. */
  at: string;
  entry: Uint8Array;
  /** Its queue key, when it came from the queue. */
  queued?: string;
  /** A red receipt's or reversal's original, while that one is still to be logged from its row. */
  waitsFor?: ReceiptRef;
  /** The range a range allocation's entry allocates. */
  allocates?: string;
  /** The receipt's number, when it came from a range. */
  number?: number;
}

/** A range's receipts read from its log watermark: from `start` (the watermark) up to `end`. */
interface RangeRead {
  id: string;
  /** The watermark as read (undefined: no row yet), the condition of its move. */
  from?: number;
  start: number;
  /** The first number not read: its receipt is still pending, or the window ended there. */
  end: number;
  /** Its allocation is logged (or was before allocations were marked: no mark). */
  allocationLogged: boolean;
}

/**
 * A range's watermark row as read: `below` (absent: none yet); `allocationQueued`, its
 * allocation's queue key while that entry is queued; `staleFlag`, the flag of an allocation
 * logged by a sequencer that did not clear it (one of before, in a deploy or a rollback).
 */
interface Watermark {
  below?: number;
  allocationQueued?: string;
  staleFlag?: boolean;
}

/** The receipt, if it is still to be logged from its range's rows (what names it must wait). */
type Unlogged = (receipt: ReceiptRef) => ReceiptRef | undefined;

/**
 * A receipt is logged once its range's watermark passed it (or its entry was queued, which the
 * watermark passes too: the queue logs it before whatever names it, both in commit order). One in
 * no range read (allocated since the run began) waits for the next run. Without the ranges (a
 * sequencer of the queue alone), nothing waits.
 */
function unloggedBy(
  ranges: readonly NumberRange[],
  marks: ReadonlyMap<string, Watermark>,
  fromRanges: boolean,
): Unlogged {
  return (receipt) => {
    if (!fromRanges) return undefined;
    const n = Number(receipt.number);
    const range = ranges.find((r) => r.code === receipt.code && r.first <= n && n <= r.last);
    const below = range && (marks.get(range.id)?.below ?? range.first);
    return below !== undefined && n < below ? undefined : receipt;
  };
}

/** One source of candidates, in its own order (queue keys; a range's numbers). */
interface Stream {
  /** Those the batch has not taken. */
  items: Candidate[];
  /** More follow those read (the queue's next page, the range's next rows). */
  more: boolean;
  range?: RangeRead;
}

/** A batch being made. */
interface Draft extends Batch {
  bytes: number;
  /** Its receipts (code/number), which a red receipt or reversal later in it may name. */
  receipts: Set<string>;
  /** The ranges whose allocation it logs. */
  allocated: Set<string>;
}

/** A range's log watermark row as one batch changes it. */
interface Mark {
  rangeId: string;
  /** The watermark moves from `from` (undefined: no row yet) to `to`. */
  move?: { from?: number; to: number };
  /** The batch logs the range's allocation. */
  allocated?: boolean;
}

/**
 * Ranges read for one batch and allocations one batch logs: its transaction holds the head, the
 * batch item and one update a range's watermark row, under DynamoDB's 100 items a transaction.
 */
const RANGES_PER_BATCH = 45;
/** A range's rows the first read of a batch asks for: at most a BatchGetItem's worth. */
const ROWS_FIRST_READ = 100;

/**
 * The numbers of a range a batch may read from `start`: up to `last` (its next, or the batch's
 * room), `first` of them at first, then the rest at once if none stopped it (a busy range's
 * unlogged tail is mostly short, and ends at a receipt still pending).
 */
interface Window {
  first: number;
  last: number;
}
const windowOf = (range: NumberRange, start: number, room: number): Window => {
  const last = Math.min(range.next, start + room);
  return { first: Math.min(ROWS_FIRST_READ, last - start), last };
};
/** `count` receipts of a range from number `from`. */
const numbers = (range: NumberRange, from: number, count: number): ReceiptRef[] =>
  Array.from({ length: count }, (_, i) => ({ code: range.code, number: formatReceiptNumber(from + i) }));
/** The receipt attributes the sequencer reads (lib/transparency-log.ts lets it read no other). */
export const SEQUENCER_RECEIPT_ATTRIBUTES = [
  'status',
  'kind',
  'reverses',
  'completedAt',
  RECEIPT_LOG_ENTRY,
] as const;
/** A range watermark row's flag: its range's allocation is queued, not logged yet. */
const ALLOCATION_QUEUED = 'allocationQueued';

const refKey = (r: ReceiptRef) => `${r.code}/${r.number}`;

/** What a queued entry names: a red receipt's or reversal's original, a range it allocates. */
function named(entry: Uint8Array): { original?: ReceiptRef; allocates?: string } {
  let e: Partial<Record<string, unknown>>;
  try {
    e = JSON.parse(new TextDecoder().decode(entry));
  } catch {
    return {}; // not an entry this code reads: sequenced as it is, as any other
  }
  if (e?.type === 'reversal') return { original: e.original as ReceiptRef };
  if (e?.type === 'receipt' && e.kind === 'red') return { original: e.reverses as ReceiptRef };
  if (e?.type === 'range' && e.event === 'allocated') return { allocates: e.rangeId as string };
  return {};
}

/**
 * What holds a new range's receipts back until its allocation's entry is logged: its watermark
 * row, flagged with that entry's queue key (`queued`: the pendingEntryPut that queues it), put by
 * the transaction that allocates the range and queues the entry.
 */
export function rangeAllocationMark(table: string, rangeId: string, queued: TransactItem): TransactItem {
  return {
    Put: {
      TableName: table,
      Item: { ...rangeLoggedKey(rangeId), [ALLOCATION_QUEUED]: queued.Put!.Item!.sk },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * A batch item: `LOG#<bundle>`/`<first index, zero-padded>`, `entries` (a list of binaries),
 * `queued` (the queue keys of those that came from the queue). Items the sequencer wrote before
 * batches (one entry an item: `entry`, `queued` a string) read as batches of one.
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
   * Sequences entries, one transaction per batch: the head moves from n to n + k only if it is
   * still n with no cleanup unfinished, and records `cleanup = n`; the batch item (LOG#<bundle>/n)
   * holds the k entries and the queue keys of those that came from the queue; the watermark rows
   * of the ranges it took receipts from, or whose allocation it logs, change with it. A batch
   * stays inside one 256-entry bundle. Then its cleanup (below). Two sequencers at once: one
   * transaction wins, the other stops (the next run continues). Returns how many entries this
   * call sequenced.
   *
   * Where entries come from: the queue (catalogue and range changes, reversals, receipts
   * completed before completion left entries on rows), and each range's receipts, in number
   * order from its watermark (rangeLoggedKey) to its first receipt still pending. A batch takes
   * them in commit-time order (the queue key's time, the receipt's completion); a range's
   * receipts wait for its allocation's entry, and a red receipt or a reversal for the blue
   * receipt it names (the order `log audit` requires: adapters/tlog/audit.ts).
   *
   * Why no entry is sequenced twice: the head is read (cleanup finished) before the queue and the
   * watermarks, a batch's queue items are all deleted before its cleanup is cleared, and a
   * watermark moves in its batch's transaction, on the value read; so every queue item the Query
   * returns, and every receipt at or above a watermark, is unsequenced as long as the head has not
   * moved, which the commit's condition checks. Why none is lost: an item leaves the queue, and a
   * watermark passes a receipt, only once its batch committed; a watermark stops at a receipt
   * still pending (every number below a range's next has its row); and "done" is never inferred
   * from queue-key order (a transaction that committed late has an older key than entries already
   * sequenced, and is sequenced when it appears).
   */
  async sequence(maxEntries = Number.POSITIVE_INFINITY): Promise<number> {
    const ranges = this.receiptsTable ? await this.rangesInUse() : [];
    let done = 0;
    while (done < maxEntries) {
      const head = await this.head();
      if (head.cleanup !== undefined) {
        // A crash or another sequencer left it: finish it, then read the head again.
        await this.cleanUp(await this.batchAt(head.cleanup));
        continue;
      }
      const room = Math.min(LOG_BUNDLE_SIZE - (head.size % LOG_BUNDLE_SIZE), maxEntries - done);
      const watermarks = await this.watermarks(ranges);
      const unlogged = unloggedBy(ranges, watermarks, this.receiptsTable !== undefined);
      const fromRanges = await this.fromRanges(ranges, watermarks, room, unlogged);
      const streams = [await this.fromQueue(room, unlogged), ...fromRanges.streams];
      const draft: Draft = {
        first: head.size,
        entries: [],
        queued: [],
        bytes: 0,
        receipts: new Set(),
        // Stale flags are cleared by the batch, as if it logged their allocations.
        allocated: new Set([...watermarks].filter(([, m]) => m.staleFlag).map(([id]) => id)),
      };
      // In commit-time order as far as what was read tells it; if that takes nothing (an order
      // that cannot be known yet), whatever may go first.
      if (!this.take(draft, streams, room, true)) this.take(draft, streams, room, false);
      // Nothing left that was read, and nothing more to read: caught up with what is complete.
      const caughtUp = !fromRanges.left && !streams.some((s) => s.more || s.items.length);
      const marks = marksOf(draft, streams);
      if (draft.entries.length === 0) {
        const moves = marks.filter((m) => m.move);
        if (!moves.length) break;
        // Only receipts whose entries were queued (before entries were left on rows): passed,
        // outside a batch (a watermark never lowered: runs at once agree).
        for (const { rangeId, move } of moves)
          await raiseWatermark(this.db, this.table, rangeLoggedKey(rangeId), move!.to);
        continue;
      }
      if (!(await this.commit(head.size, draft, marks))) break; // lost the race: stop
      await this.cleanUp(draft);
      done += draft.entries.length;
      // What completes meanwhile waits for the next run: reading again at once would read the
      // ranges' tails again for a few receipts.
      if (caughtUp) break;
    }
    return done;
  }

  /** Ranges with numbers taken (a range allocated after this is read waits for the next run). */
  private async rangesInUse(): Promise<NumberRange[]> {
    const ranges = await new RangeRepository(this.db, this.table).listRanges();
    return ranges.filter((r) => r.next > r.first);
  }

  /**
   * Moves candidates from the streams into the draft, the earliest first, until it holds
   * `room`: a range's receipts once its allocation is logged, a red receipt or reversal once its
   * original is. `ordered`: nothing later than the earliest of the last candidates read of a
   * stream with more to read (what is not read yet may be earlier). Returns how many it took.
   */
  private take(draft: Draft, streams: Stream[], room: number, ordered: boolean): number {
    const latest = (s: Stream) =>
      s.items
        .map((c) => c.at)
        .sort()
        .at(-1)!;
    const cut = ordered
      ? streams
          .filter((s) => s.more && s.items.length)
          .map(latest)
          .sort()[0]
      : undefined;
    const ready = (c: Candidate) => !c.waitsFor || draft.receipts.has(refKey(c.waitsFor));
    // A stream's next candidate: a range's first; the queue's first that may go (its candidates
    // are independent: one that waits lets the next go).
    const next = (s: Stream) => (s.range ? s.items.slice(0, 1) : s.items).findIndex(ready);
    let took = 0;
    while (draft.entries.length < room) {
      let best: { stream: Stream; at: number } | undefined;
      for (const stream of streams) {
        if (stream.range && !stream.range.allocationLogged && !draft.allocated.has(stream.range.id)) continue;
        const at = next(stream);
        const c = stream.items[at];
        if (!c || (cut !== undefined && c.at > cut)) continue;
        if (!best || c.at < best.stream.items[best.at]!.at) best = { stream, at };
      }
      if (!best) break;
      const c = best.stream.items[best.at]!;
      if (c.allocates && draft.allocated.size >= RANGES_PER_BATCH) break;
      draft.bytes += c.entry.length + (c.queued?.length ?? 0) + 8;
      if (draft.entries.length > 0 && draft.bytes > BATCH_BYTES) break;
      best.stream.items.splice(best.at, 1);
      draft.entries.push(c.entry);
      if (c.queued !== undefined) draft.queued.push(c.queued);
      if (c.allocates) draft.allocated.add(c.allocates);
      const receipt = loggedReceipt(c.entry);
      if (receipt) draft.receipts.add(refKey(receipt));
      took++;
    }
    return took;
  }

  /**
   * The queue, oldest commit first: `room` candidates that may go (and those that wait for their
   * original, which do not count), page after page.
   */
  private async fromQueue(room: number, unlogged: Unlogged): Promise<Stream> {
    const items: Candidate[] = [];
    let free = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': LOG_QUEUE_PK },
          Limit: room,
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const entry = item.entry as Uint8Array;
        const sk = item.sk as string;
        const { original, allocates } = named(entry);
        const waitsFor = original && unlogged(original);
        items.push({ at: sk.slice(0, sk.indexOf('#')), entry, queued: sk, waitsFor, allocates });
        if (!waitsFor && ++free === room) return { items, more: true };
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return { items, more: false };
  }

  /**
   * Each range's receipts from its watermark, in number order, up to `room` read, stopping at
   * the first still pending (or not readable yet: an eventually consistent read just after its
   * taking). A row without an entry was completed before completion left entries on rows: its
   * entry was queued, and the watermark passes it.
   */
  private async fromRanges(
    ranges: readonly NumberRange[],
    marks: ReadonlyMap<string, Watermark>,
    room: number,
    unlogged: Unlogged,
  ): Promise<{ streams: Stream[]; left: boolean }> {
    const reads = ranges.flatMap((range) => {
      const mark = marks.get(range.id);
      const start = mark?.below ?? range.first;
      if (start >= range.next) return [];
      const read: RangeRead = {
        id: range.id,
        ...(mark?.below === undefined ? {} : { from: mark.below }),
        start,
        end: start,
        allocationLogged: !mark?.allocationQueued,
      };
      return [{ range, read, window: windowOf(range, start, room) }];
    });
    // Every range's first request's worth at once, in shared requests (many ranges, few rows each).
    const firstRows = await this.receiptRows(
      reads.flatMap(({ range, read, window }) => numbers(range, read.start, window.first)),
    );
    const streams: Stream[] = [];
    for (const { range, read, window } of reads) {
      const stream = { ...(await this.fromRange(range, read, window, unlogged, firstRows)), range: read };
      // Only ranges with something read: one held at its watermark by a receipt still pending
      // takes no place in the transaction.
      if (stream.items.length || read.end > read.start) streams.push(stream);
    }
    // A batch moves at most RANGES_PER_BATCH watermarks: those whose oldest receipt is oldest
    // (passing queued ones first), and the others are left for the next batch of the run.
    const oldest = (s: Stream) => s.items[0]?.at ?? '';
    streams.sort((a, b) => (oldest(a) < oldest(b) ? -1 : oldest(a) > oldest(b) ? 1 : 0));
    return { streams: streams.slice(0, RANGES_PER_BATCH), left: streams.length > RANGES_PER_BATCH };
  }

  /** Receipt rows by key, the sequencer's attributes alone, by pk. */
  private async receiptRows(refs: readonly ReceiptRef[]): Promise<Map<string, Record<string, unknown>>> {
    const rows = await rowsByKey(this.db, this.receiptsTable!, refs.map(receiptKey), {
      attributes: SEQUENCER_RECEIPT_ATTRIBUTES,
    });
    return new Map(rows.map((row) => [row.pk as string, row]));
  }

  /**
   * The ranges' watermark rows (rangeLoggedKey), strongly consistent, by range id. A flag whose
   * queue item is gone is stale: the entry was logged (its batch committed: an item leaves the
   * queue only then), by a sequencer that did not clear the flag.
   */
  private async watermarks(ranges: readonly NumberRange[]): Promise<Map<string, Watermark>> {
    const rows = await rowsByKey(
      this.db,
      this.table,
      ranges.map((r) => rangeLoggedKey(r.id)),
      { consistent: true },
    );
    const flagged = rows.flatMap((row) => (typeof row[ALLOCATION_QUEUED] === 'string' ? [row] : []));
    const queued = await rowsByKey(
      this.db,
      this.table,
      flagged.map((row) => ({ pk: LOG_QUEUE_PK, sk: row[ALLOCATION_QUEUED] as string })),
      { consistent: true, attributes: [] },
    );
    const stillQueued = new Set(queued.map((item) => item.sk as string));
    const byPk = new Map(rows.map((row) => [row.pk as string, row]));
    return new Map(
      ranges.flatMap((r) => {
        const row = byPk.get(rangeLoggedKey(r.id).pk);
        if (!row) return [];
        const flag = row[ALLOCATION_QUEUED] as string | undefined;
        const stale = flag !== undefined && !stillQueued.has(flag);
        const mark: Watermark = {
          ...(row.below === undefined ? {} : { below: row.below as number }),
          ...(flag !== undefined && !stale ? { allocationQueued: flag } : {}),
          ...(stale ? { staleFlag: true } : {}),
        };
        return [[r.id, mark] as const];
      }),
    );
  }

  private async fromRange(
    range: NumberRange,
    read: RangeRead,
    window: Window,
    unlogged: Unlogged,
    firstRows: ReadonlyMap<string, Record<string, unknown>>,
  ): Promise<Omit<Stream, 'range'>> {
    const items: Candidate[] = [];
    for (let from = read.start; from < window.last; from = read.end) {
      const first = from === read.start;
      const refs = numbers(range, from, first ? window.first : window.last - from);
      const rows = first ? firstRows : await this.receiptRows(refs);
      for (const ref of refs) {
        const row = rows.get(receiptKey(ref).pk);
        if (!row || row.status === 'pending') return { items, more: false };
        const entry = row[RECEIPT_LOG_ENTRY] as Uint8Array | undefined;
        const number = read.end++;
        if (!entry) continue;
        const original = row.kind === 'red' ? (row.reverses as ReceiptRef) : undefined;
        const waitsFor = original && unlogged(original);
        items.push({ at: row.completedAt as string, entry, number, waitsFor });
      }
    }
    return { items, more: read.end < range.next };
  }

  /** The batch transaction; false when another sequencer moved the head first. */
  private async commit(size: number, batch: Batch, marks: readonly Mark[]): Promise<boolean> {
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
      ...marks.map((mark) => ({ Update: { TableName: this.table, ...markUpdate(mark) } })),
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

/** The watermark rows a draft changes: ranges it read past, allocations it logs. */
function marksOf(draft: Draft, streams: readonly Stream[]): Mark[] {
  const marks = new Map<string, Mark>();
  for (const { range, items } of streams) {
    if (!range) continue;
    // Up to the first candidate not taken, or, all taken, past the rows read with no entry.
    const to = items[0]?.number ?? range.end;
    if (to > range.start) marks.set(range.id, { rangeId: range.id, move: { from: range.from, to } });
  }
  for (const id of draft.allocated) marks.set(id, { ...(marks.get(id) ?? { rangeId: id }), allocated: true });
  return [...marks.values()];
}

/** A watermark row's update in a batch's transaction, conditional on the watermark read. */
function markUpdate({ rangeId, move, allocated }: Mark) {
  const set = move ? 'SET below = :to' : '';
  const remove = allocated ? `REMOVE ${ALLOCATION_QUEUED}` : '';
  return {
    Key: rangeLoggedKey(rangeId),
    UpdateExpression: [set, remove].filter(Boolean).join(' '),
    ...(move && {
      ConditionExpression: move.from === undefined ? 'attribute_not_exists(below)' : 'below = :from',
      ExpressionAttributeValues: {
        ':to': move.to,
        ...(move.from === undefined ? {} : { ':from': move.from }),
      },
    }),
  };
}
