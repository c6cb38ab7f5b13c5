import { AppError, conflict } from '../core/errors.js';
import { isExhausted, type NumberRange } from '../core/numbering.js';
import type { IdempotencyRecord, LedgerEvent, StoredReceipt, TakeEntry } from '../core/ports.js';
import type { ReceiptContent } from '../core/receipt.js';
import { formatReceiptNumber } from '../core/receipt.js';
import type { Deps } from './deps.js';
import { GroupCommit, type Waiting } from './group-commit.js';
import { superviseRangeUnavailable } from './supervision.js';

/** Receipts taken together at most; fewer when their writes would pass the transaction limit. */
const MAX_BATCH = 24;
/** Tries at taking one batch's numbers (each lost race re-reads the range). */
const MAX_ATTEMPTS = 60;
/** Tries at finding an open range: each opens a queued one or allocates one, or sees another do it. */
const MAX_OPEN_ATTEMPTS = 8;

export interface TakeRequest {
  department: string;
  code: string;
  idem: IdempotencyRecord;
  /** The receipt's content but for the number (and code), which taking fills in. */
  content: Omit<ReceiptContent, 'code' | 'number'>;
  event?: LedgerEvent;
}

const unavailable = (message: string) =>
  new AppError('service_unavailable', `${message}; retry with the same Idempotency-Key`, [], {
    'retry-after': '1',
  });

/** A department's queue for one receipt code: its requests share that range's batches. */
const rangeKeyOf = ({ department, code }: TakeRequest) => `${department}#${code}`;

/**
 * The items of a department's data that a request writes besides its own rows: two requests
 * with one Idempotency-Key, or two reversals of one original, are never in one batch. The
 * second meets the first one's outcome in the next: the same key replays its receipt, a
 * second reversal of one original is refused.
 */
function touches({ idem, content }: TakeRequest): string[] {
  return [
    `idem#${idem.key}`,
    ...(content.reverses ? [`original#${content.reverses.code}/${content.reverses.number}`] : []),
  ];
}

/**
 * Takes receipt numbers for a department (a billing point) in order. Requests arriving
 * together are taken as one batch: one transaction moves the range's counter by the batch's
 * size and writes every pending receipt with it (group commit), so a busy department does
 * not queue on one transaction per receipt. Across processes, the transaction's condition on
 * the counter decides; a loser re-reads and retries.
 */
export class NumberTaker {
  /** The open range as this process last saw it; trusted until a transaction says otherwise. */
  private readonly ranges = new Map<string, NumberRange>();
  private readonly batches: GroupCommit<TakeRequest, StoredReceipt | null>;

  constructor(private readonly deps: Deps) {
    this.batches = new GroupCommit({
      maxBatch: MAX_BATCH,
      queueOf: rangeKeyOf,
      touches,
      // Those queued behind a batch that failed (DynamoDB timing out, say) waited as long as
      // it did and would meet the same failure after as long again: answered with it now, so
      // a client gets its 503 in one request's time, not one per batch ahead of it. Nothing
      // of theirs was written; a retry with the same Idempotency-Key is safe.
      write: (batch) => this.takeBatch(batch),
    });
  }

  /** The pending receipt, or null when another request with the same Idempotency-Key won. */
  take(request: TakeRequest): Promise<StoredReceipt | null> {
    return this.batches.submit(request);
  }

  /**
   * The department's open range with numbers left. When its current range is exhausted or
   * closed, the first queued range opens; when none is queued, one range is allocated,
   * which opens at once. Allocation never queues, so no retry can reserve numbers that
   * nothing will use. A department that still has no range raises a critical alert.
   */
  private async openRange(key: string, department: string, code: string): Promise<NumberRange> {
    const cached = this.ranges.get(key);
    if (cached && cached.status === 'open' && !isExhausted(cached)) return cached;
    const { ranges, config } = this.deps;
    let why = 'other requests kept changing its ranges';
    try {
      for (let attempt = 0; attempt < MAX_OPEN_ATTEMPTS; attempt++) {
        const { current, queued } = await ranges.slot(department, code);
        if (current && current.status === 'open' && !isExhausted(current)) {
          this.ranges.set(key, current);
          return current;
        }
        if (queued.length > 0) await ranges.openQueuedRange(department, code);
        else
          await ranges.allocateRange(
            department,
            code,
            config.rangeSize,
            'system',
            this.deps.now(),
            'open_only',
          );
      }
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      why = error.message; // the receipt code has no numbers left
    }
    await superviseRangeUnavailable(this.deps, department, code, why);
    throw unavailable(`could not open a number range: ${why}`);
  }

  /** Takes the batch's numbers; returns the error that failed what it could not take, if any. */
  private async takeBatch(batch: Waiting<TakeRequest, StoredReceipt | null>[]) {
    const key = rangeKeyOf(batch[0]!.request);
    let remaining = batch;
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS && remaining.length > 0; attempt++) {
        const { department, code } = remaining[0]!.request;
        const range = await this.openRange(key, department, code);
        let now = remaining.slice(0, range.last - range.next + 1);
        const all: TakeEntry[] = now.map(({ request }, i) => {
          const number = formatReceiptNumber(range.next + i);
          const receipt = {
            ...request.content,
            code,
            number,
            status: 'pending',
            rangeId: range.id,
            idempotencyKey: request.idem.key,
          } as StoredReceipt;
          return { receipt, idem: { ...request.idem, code, number }, event: request.event };
        });
        const entries = all.slice(0, this.deps.receipts.takeCapacity(all));
        now = now.slice(0, entries.length);
        const outcome = await this.deps.receipts.takeNumbers(range, entries);
        if (outcome.ok) {
          range.next += entries.length;
          now.forEach((w, i) => {
            w.resolve(entries[i]!.receipt);
          });
          remaining = remaining.slice(now.length);
          attempt = -1; // a new range (if any is needed) starts a fresh count
          continue;
        }
        if (outcome.reason === 'range_moved') {
          // Told the range as it is now (another process took numbers first): again at once.
          // Waiting would starve this process: the one that took them sends its next batch
          // as soon as it is answered, ahead of this one's failure, and a backoff that grew
          // with each loss (as it once did) left batches losing 30 times over, for seconds.
          if ('current' in outcome && outcome.current) this.ranges.set(key, outcome.current);
          else {
            // A cancellation that says nothing (a conflict, a throttle): back off, then read.
            this.ranges.delete(key);
            await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
          }
          continue;
        }
        // One request is to blame: answer it and take the rest.
        const blamed = now[outcome.entry]!;
        if (outcome.reason === 'idempotency_taken') blamed.resolve(null);
        else blamed.reject(conflict('the receipt has already been reversed'));
        remaining = remaining.filter((w) => w !== blamed);
      }
      if (remaining.length > 0) throw unavailable('could not take a receipt number: too much contention');
    } catch (error) {
      this.ranges.delete(key);
      for (const w of remaining) w.reject(error);
      return { error };
    }
    return undefined;
  }
}
