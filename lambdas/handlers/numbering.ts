import type { LedgerEvent } from '../adapters/dynamo/events.js';
import {
  type IdempotencyRecord,
  MAX_TRANSACTION_WRITES,
  type StoredReceipt,
  type TakeEntry,
  takeWrites,
} from '../adapters/dynamo/receipt-repo.js';
import { AppError, conflict } from '../core/errors.js';
import { isExhausted, type NumberRange } from '../core/numbering.js';
import type { ReceiptContent } from '../core/receipt.js';
import { formatReceiptNumber } from '../core/receipt.js';
import type { Deps } from './deps.js';

/** Receipts taken together at most; fewer when their writes would pass the transaction limit. */
const MAX_BATCH = 24;
const MAX_ATTEMPTS = 60;

export interface TakeRequest {
  department: string;
  code: string;
  idem: IdempotencyRecord;
  /** The receipt's content but for the number (and code), which taking fills in. */
  content: Omit<ReceiptContent, 'code' | 'number'>;
  event?: LedgerEvent;
}

interface Waiting {
  request: TakeRequest;
  /** The pending receipt, or null when another request with the same Idempotency-Key won. */
  resolve: (receipt: StoredReceipt | null) => void;
  reject: (error: unknown) => void;
}

/**
 * Takes receipt numbers for a department (a billing point) in order. Requests arriving
 * together are taken as one batch: one transaction moves the range's counter by the batch's
 * size and writes every pending receipt with it (group commit), so a busy department does
 * not queue on one transaction per receipt. Across processes, the transaction's condition on
 * the counter decides; a loser re-reads and retries.
 */
export class NumberTaker {
  private readonly queues = new Map<string, Waiting[]>();
  private readonly draining = new Set<string>();
  /** The open range as this process last saw it; trusted until a transaction says otherwise. */
  private readonly ranges = new Map<string, NumberRange>();

  constructor(private readonly deps: Deps) {}

  take(request: TakeRequest): Promise<StoredReceipt | null> {
    const key = `${request.department}#${request.code}`;
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      queue.push({ request, resolve, reject });
      this.queues.set(key, queue);
      if (!this.draining.has(key)) void this.drain(key);
    });
  }

  private async drain(key: string) {
    this.draining.add(key);
    try {
      const queue = this.queues.get(key)!;
      while (queue.length > 0) await this.takeBatch(key, queue.splice(0, MAX_BATCH));
    } finally {
      this.draining.delete(key);
      this.queues.delete(key);
    }
  }

  private async openRange(key: string, department: string, code: string): Promise<NumberRange> {
    const { receipts, config } = this.deps;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const cached = this.ranges.get(key);
      if (cached && cached.status === 'open' && !isExhausted(cached)) return cached;
      const range = await receipts.openRange(department, code);
      if (range && range.status === 'open' && !isExhausted(range)) {
        this.ranges.set(key, range);
        return range;
      }
      this.ranges.delete(key);
      const opened = range && isExhausted(range) && (await receipts.openQueuedRange(department, code, range));
      if (!opened)
        await receipts.allocateRange(department, code, config.rangeSize, 'system', this.deps.now());
    }
    throw new AppError(
      'service_unavailable',
      'could not open a number range; retry with the same Idempotency-Key',
      [],
      { 'retry-after': '1' },
    );
  }

  private async takeBatch(key: string, batch: Waiting[]) {
    let remaining = batch;
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS && remaining.length > 0; attempt++) {
        const { department, code } = remaining[0]!.request;
        const range = await this.openRange(key, department, code);
        let now = remaining.slice(0, range.last - range.next + 1);
        let entries: TakeEntry[] = now.map(({ request }, i) => {
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
        while (entries.length > 1 && takeWrites(entries) > MAX_TRANSACTION_WRITES)
          entries = entries.slice(0, -1);
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
          this.ranges.delete(key);
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
          continue;
        }
        // One request is to blame: answer it and take the rest.
        const blamed = now[outcome.entry]!;
        if (outcome.reason === 'idempotency_taken') blamed.resolve(null);
        else blamed.reject(conflict('the receipt has already been reversed'));
        remaining = remaining.filter((w) => w !== blamed);
      }
      if (remaining.length > 0)
        throw new AppError(
          'service_unavailable',
          'could not take a receipt number: too much contention; retry with the same Idempotency-Key',
          [],
          { 'retry-after': '1' },
        );
    } catch (error) {
      this.ranges.delete(key);
      for (const w of remaining) w.reject(error);
    }
  }
}
