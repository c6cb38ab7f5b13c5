import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { NumberRange } from '../../core/numbering.js';
import type {
  BlobStore,
  Completion,
  IdempotencyRecord,
  ReceiptStore,
  StoredReceipt,
  TakeEntry,
  TakeFailure,
  TakeOutcome,
} from '../../core/ports.js';
import { formatReceiptNumber, type ReceiptRef } from '../../core/receipt.js';
import { encodeEntry } from '../../core/tlog/entries.js';
import { departmentTotals } from '../../core/totals.js';
import { sha256Hex } from '../signing/certificate.js';
import { pendingEntryPut } from '../tlog/dynamo-sequence.js';
import { receiptLogEntry, reversalLogEntry } from '../tlog/ledger-entries.js';
import { alertPut } from './audit-repo.js';
import { eventPut } from './events.js';
import {
  checksKey,
  idempotencyKey,
  itemIndexRows,
  pdfKey,
  RECEIPT_INDEXES,
  RECEIPT_LOG_ENTRY,
  rangeCompleteKey,
  rangeKey,
  receiptIndexAttributes,
  receiptKey,
  stripKeys,
} from './keys.js';
import { receiptsByPk, rowsByKey } from './query.js';
import { RangeRepository } from './range-repo.js';
import { encodeCopy } from './receipt-copy.js';
import { totalsUpdate } from './totals-rows.js';
import {
  cancelledByCondition,
  failedConditions,
  MAX_TRANSACTION_WRITES,
  type TransactItem,
  transactWrite,
} from './transactions.js';
import { raiseWatermark } from './watermark.js';

/** Receipt rows a pending scan reads at a time (rowsByKey: 100 a request, four at once). */
const PENDING_READ = 1_000;

/** A receipt row with the attributes that place it in each index (see runtime/tables.ts). */
const receiptRow = (receipt: StoredReceipt) => ({
  ...receiptKey(receipt),
  ...receiptIndexAttributes(receipt),
  ...receipt,
});

/**
 * How many writes taking numbers for these entries makes: the range, each receipt's rows (a red
 * one also updates its original's two rows and queues the reversal's log entry), the totals
 * (a row per department and day).
 */
/** The range row that the taking transaction's first item found, when DynamoDB returned it. */
function rangeFoundBy(error: unknown): NumberRange | undefined {
  const item = (error as TransactionCanceledException).CancellationReasons?.[0]?.Item;
  return item && (stripKeys(unmarshall(item)) as unknown as NumberRange);
}

/** The writes of completing one receipt: its row, its check row, its alerts. */
const completionWrites = (completion: Completion) => 2 + (completion.alerts?.length ?? 0);

function takeWrites(entries: readonly TakeEntry[]): number {
  const perReceipt = entries.reduce(
    (n, e) => n + 2 + itemIndexRows(e.receipt).length + (e.receipt.reverses ? 3 : 0) + (e.event ? 1 : 0),
    0,
  );
  return 1 + perReceipt + departmentTotals(entries.map((e) => e.receipt)).length;
}

/**
 * Receipts: taking numbers (each receipt written pending with its number), completing them
 * (signature, the PDF's key and hash, public check row), their idempotency records. Writes
 * that must agree are one transaction. PDFs live in the blob store (which reading them needs;
 * a repository only writing rows, such as the bench's seeding, can do without).
 */
export class ReceiptRepository implements ReceiptStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { receipts: string; ledger: string },
    private readonly blobs?: BlobStore,
  ) {}

  private async get<T>(table: string, key: Record<string, string>): Promise<T | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    return out.Item ? (stripKeys(out.Item) as T) : undefined;
  }

  getReceipt(ref: ReceiptRef): Promise<StoredReceipt | undefined> {
    return this.get<StoredReceipt>(this.tables.receipts, receiptKey(ref));
  }

  /**
   * Reads both shapes: the blob the row names (pdfKey), or, for a receipt completed before
   * PDFs left DynamoDB, its PDF row. Undefined while the receipt is pending. Bytes that do not
   * hash to the row's pdfSha256 are never served.
   */
  async getPdf(receipt: StoredReceipt): Promise<Uint8Array | undefined> {
    if (!receipt.pdfSha256) return undefined;
    let pdf: Uint8Array | undefined;
    if (receipt.pdfKey) {
      if (!this.blobs) throw new Error('reading a receipt PDF needs the blob store');
      pdf = await this.blobs.get(receipt.pdfKey);
    } else pdf = (await this.get<{ pdf: Uint8Array }>(this.tables.receipts, pdfKey(receipt)))?.pdf;
    if (!pdf) throw new Error(`the PDF of the issued receipt ${receipt.code}/${receipt.number} is missing`);
    if (sha256Hex(pdf) !== receipt.pdfSha256)
      throw new Error(
        `the stored PDF of receipt ${receipt.code}/${receipt.number} does not match its SHA-256`,
      );
    return pdf;
  }

  getIdempotency(department: string, key: string): Promise<IdempotencyRecord | undefined> {
    return this.get<IdempotencyRecord>(this.tables.ledger, idempotencyKey(department, key));
  }

  /** How many of these entries, from the first, one transaction can take (at least one). */
  takeCapacity(entries: readonly TakeEntry[]): number {
    let n = entries.length;
    while (n > 1 && takeWrites(entries.slice(0, n)) > MAX_TRANSACTION_WRITES) n--;
    return n;
  }

  /**
   * Takes numbers range.next, range.next+1, ... for a batch of receipts, atomically with
   * each receipt row (status pending, every field final), its idempotency record and, for a
   * red receipt, the original's change to `reversed`. Either all of it happens or none: a
   * number is never taken without a receipt that recovery can complete. On failure it names
   * the entry to blame, if one is (the caller drops it and retries the rest). The batch must
   * not touch one item twice (DynamoDB refuses such a transaction outright): the caller
   * keeps two requests with one Idempotency-Key, or two reversals of one original, apart.
   */
  async takeNumbers(range: NumberRange, entries: readonly TakeEntry[]): Promise<TakeOutcome> {
    const TransactItems: TransactItem[] = [
      {
        Update: {
          TableName: this.tables.ledger,
          Key: rangeKey(range.id),
          UpdateExpression: 'SET #n = :after ADD redCount :red',
          ConditionExpression: '#s = :open AND #n = :n AND #l >= :lastTaken',
          // Another process took numbers first: the range as it is now, so the retry reads nothing.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ExpressionAttributeNames: { '#n': 'next', '#s': 'status', '#l': 'last' },
          ExpressionAttributeValues: {
            ':n': range.next,
            ':after': range.next + entries.length,
            ':lastTaken': range.next + entries.length - 1,
            ':red': entries.filter((e) => e.receipt.kind === 'red').length,
            ':open': 'open',
          },
        },
      },
    ];
    // Which entry each transaction item belongs to, and what its failure means.
    const owners: { entry: number; reason: TakeFailure }[] = [{ entry: -1, reason: 'range_moved' }];
    entries.forEach(({ receipt, idem, event }, index) => {
      const ref = { code: receipt.code, number: receipt.number };
      const add = (item: TransactItem, reason: TakeFailure) => {
        TransactItems.push(item);
        owners.push({ entry: index, reason });
      };
      add(
        {
          Put: {
            TableName: this.tables.receipts,
            Item: receiptRow(receipt),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        'range_moved',
      );
      for (const row of itemIndexRows(receipt))
        add({ Put: { TableName: this.tables.receipts, Item: row } }, 'range_moved');
      add(
        {
          Put: {
            TableName: this.tables.ledger,
            Item: { ...idempotencyKey(idem.department, idem.key), ...idem },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        'idempotency_taken',
      );
      if (receipt.reverses) {
        add(
          {
            Update: {
              TableName: this.tables.receipts,
              Key: receiptKey(receipt.reverses),
              UpdateExpression: 'SET #s = :reversed, reversedBy = :by',
              ConditionExpression: '#s = :issued AND #k = :blue AND attribute_not_exists(reversedBy)',
              ExpressionAttributeNames: { '#s': 'status', '#k': 'kind' },
              ExpressionAttributeValues: {
                ':reversed': 'reversed',
                ':issued': 'issued',
                ':blue': 'blue',
                ':by': ref,
              },
            },
          },
          'original_not_reversible',
        );
        add(
          {
            Update: {
              TableName: this.tables.receipts,
              Key: checksKey(receipt.reverses),
              UpdateExpression: 'SET #s = :reversed, reversedBy = :by',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: { ':reversed': 'reversed', ':by': ref },
            },
          },
          'original_not_reversible',
        );
        // The original's status change, logged in the transaction that makes it.
        add(
          pendingEntryPut(
            this.tables.ledger,
            reversalLogEntry(receipt.reverses, ref),
            event?.at ?? new Date().toISOString(),
          ),
          'range_moved',
        );
      }
      if (event) add(eventPut(this.tables.ledger, event), 'range_moved');
    });
    for (const totals of departmentTotals(entries.map((e) => e.receipt))) {
      TransactItems.push(totalsUpdate(this.tables.ledger, totals));
      owners.push({ entry: -1, reason: 'range_moved' });
    }
    try {
      await transactWrite(this.db, TransactItems);
      return { ok: true };
    } catch (e) {
      // A cancellation by a conflict or a throttle: nothing was written; retry all.
      if (e instanceof TransactionCanceledException && !cancelledByCondition(e))
        return { ok: false, reason: 'range_moved' };
      const failed = failedConditions(e);
      const owner = owners[failed[0]!];
      if (failed[0] === 0) return { ok: false, reason: 'range_moved', current: rangeFoundBy(e) };
      if (!owner || owner.entry < 0 || owner.reason === 'range_moved')
        return { ok: false, reason: 'range_moved' };
      return { ok: false, reason: owner.reason, entry: owner.entry };
    }
  }

  completeCapacity(completions: readonly Completion[]): number {
    let n = 0;
    for (let writes = 0; n < completions.length; n++) {
      writes += completionWrites(completions[n]!);
      if (writes > MAX_TRANSACTION_WRITES) break;
    }
    return Math.max(n, 1);
  }

  /**
   * Completes pending receipts, each with its signatures, the PDF's key and hash and the
   * receipt's log entry (the PDF itself is in the blob store already), status issued, its
   * public check row and its alerts, all in one transaction. One completed already (by a retry
   * or recovery) fails its conditions, which cancels the transaction: it is answered false and
   * the rest are written again without it. Any other cancellation is thrown, so the caller
   * never takes a receipt that is still pending for a completed one.
   */
  async complete(completions: readonly Completion[]): Promise<boolean[]> {
    const written = completions.map(() => false);
    let remaining = completions.map((_, i) => i);
    while (remaining.length > 0) {
      const owners = remaining.flatMap((i) => Array<number>(completionWrites(completions[i]!)).fill(i));
      try {
        await transactWrite(
          this.db,
          remaining.flatMap((i) => this.completionItems(completions[i]!)),
        );
        for (const i of remaining) written[i] = true;
        return written;
      } catch (e) {
        const completedAlready = new Set(failedConditions(e).map((item) => owners[item]));
        remaining = remaining.filter((i) => !completedAlready.has(i));
      }
    }
    return written;
  }

  /** What completing one receipt writes (completionWrites counts them). */
  private completionItems({ receipt, alerts = [] }: Completion): TransactItem[] {
    // The salt of the receipt's log commitment: on the check row too, which the holder's check reads.
    const logSalt = Buffer.from(receipt.logSalt, 'base64');
    return [
      {
        Update: {
          TableName: this.tables.receipts,
          Key: receiptKey(receipt),
          // Both signatures, or (where departments have no keys yet) the bureau's alone.
          // With its log entry, which the log's sequencer takes from the row (DynamoSequence):
          // a receipt is logged once complete, with no queue item to write and delete.
          UpdateExpression: `SET #s = :issued, ${receipt.signatures ? 'signatures' : 'signature'} = :sigs, qrSignature = :qr, keyId = :kid, pdfSha256 = :hash, pdfBytes = :size, pdfKey = :pdf, completedAt = :at, logSalt = :salt, #entry = :entry`,
          ConditionExpression: '#s = :pending',
          ExpressionAttributeNames: { '#s': 'status', '#entry': RECEIPT_LOG_ENTRY },
          ExpressionAttributeValues: {
            ':issued': 'issued',
            ':pending': 'pending',
            ':sigs': receipt.signatures ?? receipt.signature,
            ':qr': receipt.qrSignature,
            ':kid': receipt.keyId,
            ':hash': receipt.pdfSha256,
            ':size': receipt.pdfBytes,
            ':pdf': receipt.pdfKey,
            ':at': receipt.completedAt,
            ':salt': receipt.logSalt,
            ':entry': encodeEntry(receiptLogEntry(receipt, logSalt)),
          },
        },
      },
      {
        // Exists only once the receipt is complete, with the check code public checks must match.
        Put: {
          TableName: this.tables.receipts,
          Item: {
            ...checksKey(receipt),
            checkCode: receipt.checkCode,
            status: receipt.status,
            checks: 0,
            // One value, not a map of attributes: the cheapest form to store, return and read.
            copy: encodeCopy(receipt),
            logSalt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      // The alerts its issue raised: stored with it, one request fewer (their months noted already).
      ...alerts.map((alert) => ({ Put: alertPut(this.tables.ledger, alert) })),
    ];
  }

  /** Every receipt of a department, newest first (the by-department index). */
  async listByDepartment(department: string): Promise<StoredReceipt[]> {
    const index = RECEIPT_INDEXES['by-department'];
    const entries: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tables.receipts,
          IndexName: 'by-department',
          KeyConditionExpression: `${index.attribute} = :p`,
          ExpressionAttributeValues: { ':p': index.partition(department) },
          ScanIndexForward: false,
          ExclusiveStartKey,
        }),
      );
      entries.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    const byPk = await receiptsByPk(this.db, this.tables.receipts, entries);
    return entries.flatMap((e) => byPk.get(e.pk as string) ?? []);
  }

  /**
   * Receipts whose number is taken but which are not complete, the oldest `limit`. Every number
   * below a range's `next` has its row (taking a number writes both) and a complete receipt never
   * becomes pending again, so each range keeps a watermark below which all are complete
   * (rangeCompleteKey) and only its rows from there to `next` are read, by key (rowsByKey).
   * `ranges`: those to read (all, listed, by default). `advance` (recovery) moves each watermark
   * up to the range's first receipt still pending: a write only when receipts were completed.
   */
  async pending(
    limit = 100,
    { ranges, advance = false }: { ranges?: readonly NumberRange[]; advance?: boolean } = {},
  ): Promise<StoredReceipt[]> {
    const used = (ranges ?? (await new RangeRepository(this.db, this.tables.ledger).listRanges())).filter(
      (r) => r.next > r.first,
    );
    const marks = await rowsByKey(
      this.db,
      this.tables.ledger,
      used.map((r) => rangeCompleteKey(r.id)),
    );
    const below = new Map(marks.map((m) => [m.pk as string, m.below as number]));
    const found = await Promise.all(
      used.map((range) =>
        this.pendingIn(range, below.get(rangeCompleteKey(range.id).pk) ?? range.first, limit, advance),
      ),
    );
    return found
      .flat()
      .sort((a, b) => (a.issuedAt < b.issuedAt ? -1 : a.issuedAt > b.issuedAt ? 1 : 0))
      .slice(0, limit);
  }

  /**
   * A range's pending receipts from its watermark `from` on, in number order (the order they were
   * taken), until `limit` are found or its next number is reached (see pending): recovery after
   * an outage reads a page's worth each time, not every receipt still waiting.
   */
  private async pendingIn(
    range: NumberRange,
    from: number,
    limit: number,
    advance: boolean,
  ): Promise<StoredReceipt[]> {
    const out: StoredReceipt[] = [];
    let firstPending: number | undefined;
    for (
      let start = Math.max(from, range.first);
      start < range.next && out.length < limit;
      start += PENDING_READ
    ) {
      const refs = Array.from({ length: Math.min(PENDING_READ, range.next - start) }, (_, i) => ({
        code: range.code,
        number: formatReceiptNumber(start + i),
      }));
      const rows = await rowsByKey(this.db, this.tables.receipts, refs.map(receiptKey));
      const byPk = new Map(rows.map((row) => [row.pk as string, stripKeys(row) as unknown as StoredReceipt]));
      refs.forEach((ref, i) => {
        const receipt = byPk.get(receiptKey(ref).pk);
        if (receipt && receipt.status !== 'pending') return; // complete
        // A row not read (an eventually consistent read just after its taking) holds the mark too.
        firstPending ??= start + i;
        if (receipt) out.push(receipt);
      });
    }
    const mark = firstPending ?? range.next;
    if (advance && mark > from)
      await raiseWatermark(this.db, this.tables.ledger, rangeCompleteKey(range.id), mark);
    return out;
  }
}
