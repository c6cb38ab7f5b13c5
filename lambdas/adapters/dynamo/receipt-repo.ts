import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NumberRange } from '../../core/numbering.js';
import { nextRangeBounds } from '../../core/numbering.js';
import type { ReceiptContent, ReceiptRef, ReceiptStatus } from '../../core/receipt.js';
import { formatReceiptNumber } from '../../core/receipt.js';
import { mergeTotals, type TotalsRow, totalsOf } from '../../core/totals.js';
import { newId } from '../ids.js';
import { eventPut, type LedgerEvent, newEvent, stripKeys } from './events.js';
import { queryAll } from './query.js';

/** A receipt as stored: its content plus what completing and reversing add. */
export interface StoredReceipt extends ReceiptContent {
  status: ReceiptStatus;
  rangeId: string;
  idempotencyKey: string;
  /** ECDSA signature (base64 DER) over SHA-256 of the canonical form, and the key that made it. */
  signature?: string;
  keyId?: string;
  pdfSha256?: string;
  pdfBytes?: number;
  /** base64url r||s over qrMessage(): the QR code's offline-checkable signature. */
  qrSignature?: string;
  completedAt?: string;
  reversedBy?: ReceiptRef;
  /** Public checks so far: kept in the receipt's CHECKS row, filled in by recordCheck. */
  checks?: number;
}

/** A receipt once signed and rendered: what completion stores. */
export interface CompletedReceipt extends StoredReceipt {
  signature: string;
  qrSignature: string;
  keyId: string;
  pdfSha256: string;
  pdfBytes: number;
  completedAt: string;
}

export interface IdempotencyRecord {
  department: string;
  key: string;
  operation: 'issue' | 'reverse';
  requestHash: string;
  code: string;
  number: string;
  createdAt: string;
}

/** A receipt's public check row (see checksKey). */
interface CheckRow {
  checkCode: string;
  checks: number;
  status?: ReceiptStatus;
  reversedBy?: ReceiptRef;
  /** The complete receipt as JSON; status and reversedBy above are its current ones. */
  receipt?: string;
}

/** One receipt of a batch that takes consecutive numbers. */
export interface TakeEntry {
  receipt: StoredReceipt;
  idem: IdempotencyRecord;
  event?: LedgerEvent;
}

type TakeFailure = 'range_moved' | 'idempotency_taken' | 'original_not_reversible';

/** Why numbers could not be taken: the whole batch must retry, or one entry is to blame. */
export type TakeOutcome =
  | { ok: true }
  | { ok: false; reason: 'range_moved' }
  | { ok: false; reason: TakeFailure; entry: number };

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

const receiptKey = (r: ReceiptRef) => ({ pk: `R#${r.code}#${r.number}`, sk: 'RECEIPT' });
const pdfKey = (r: ReceiptRef) => ({ pk: `R#${r.code}#${r.number}`, sk: 'PDF' });
/**
 * The public check row: the counter and a copy of the complete receipt, so that a check is
 * one write that returns all it shows, and never rewrites the indexed receipt row (in AWS,
 * an update of that row is also written to each of its indexes).
 */
const checksKey = (r: ReceiptRef) => ({ pk: `R#${r.code}#${r.number}`, sk: 'CHECKS' });
const idemKey = (department: string, key: string) => ({ pk: `IDEM#${department}#${key}`, sk: 'IDEM' });
const rangeKey = (id: string) => ({ pk: `RANGE#${id}`, sk: 'RANGE' });
const pointerKey = (department: string, code: string) => ({ pk: `DEPT#${department}`, sk: `OPEN#${code}` });
const allocatorKey = (code: string) => ({ pk: `CODE#${code}`, sk: 'ALLOCATOR' });
const profileKey = (department: string) => ({ pk: `DEPT#${department}`, sk: 'PROFILE' });

/** The sort key of every receipt index: newest first, and date ranges by prefix. */
export const issuedSk = (r: Pick<ReceiptContent, 'issuedAt' | 'code' | 'number'>) =>
  `${r.issuedAt}#${r.code}#${r.number}`;

/** A receipt row with the attributes that place it in each index (see runtime/tables.ts). */
function receiptRow(receipt: StoredReceipt) {
  return {
    ...receiptKey(receipt),
    issuedSk: issuedSk(receipt),
    deptPk: `DEPT#${receipt.department}`,
    monthPk: `MONTH#${receipt.issueDate.slice(0, 7)}`,
    payerNamePk: `PAYER#${receipt.payer.name}`,
    itemCodes: [...new Set(receipt.lines.map((l) => l.itemCode))],
    ...(receipt.payer.idNumber ? { payerIdPk: `PAYERID#${receipt.payer.idNumber}` } : {}),
    ...(receipt.status === 'pending' ? { pendingPk: 'PENDING' } : {}),
    ...receipt,
  };
}

/** One small row per distinct item code of a receipt, for the by-item index. */
function itemIndexRows(receipt: StoredReceipt) {
  return [...new Set(receipt.lines.map((l) => l.itemCode))].map((itemCode) => ({
    pk: receiptKey(receipt).pk,
    sk: `ITEM#${itemCode}`,
    itemPk: `ITEM#${itemCode}`,
    issuedSk: issuedSk(receipt),
  }));
}

/** DynamoDB's limit of writes in one transaction. */
export const MAX_TRANSACTION_WRITES = 100;

/** How many writes taking numbers for these entries makes: the range, each receipt's rows, the totals. */
export function takeWrites(entries: readonly TakeEntry[]): number {
  const perReceipt = entries.reduce(
    (n, e) => n + 2 + itemIndexRows(e.receipt).length + (e.receipt.reverses ? 2 : 0) + (e.event ? 1 : 0),
    0,
  );
  return 1 + perReceipt + mergeTotals(entries.flatMap((e) => totalsOf(e.receipt))).length;
}

function totalsUpdate(table: string, row: TotalsRow): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: { pk: `STATS#${row.day.slice(0, 4)}`, sk: `${row.day}#${row.key}` },
      UpdateExpression:
        'SET #d = :day, #k = :key ADD issuedCount :ic, issuedAmount :ia, reversedCount :rc, reversedAmount :ra',
      ExpressionAttributeNames: { '#d': 'day', '#k': 'key' },
      ExpressionAttributeValues: {
        ':day': row.day,
        ':key': row.key,
        ':ic': row.issuedCount,
        ':ia': row.issuedAmount,
        ':rc': row.reversedCount,
        ':ra': row.reversedAmount,
      },
    },
  };
}

function cancelReasons(error: unknown): string[] | null {
  if (!(error instanceof TransactionCanceledException)) return null;
  return (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
}

/** Receipts, their PDFs, number ranges and idempotency records. All writes that must agree are one transaction. */
export class ReceiptRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { receipts: string; ledger: string },
  ) {}

  private async get<T>(table: string, key: Record<string, string>): Promise<T | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    return out.Item ? (stripKeys(out.Item) as T) : undefined;
  }

  getReceipt(ref: ReceiptRef): Promise<StoredReceipt | undefined> {
    return this.get<StoredReceipt>(this.tables.receipts, receiptKey(ref));
  }

  async getPdf(ref: ReceiptRef): Promise<Uint8Array | undefined> {
    const row = await this.get<{ pdf: Uint8Array }>(this.tables.receipts, pdfKey(ref));
    return row?.pdf;
  }

  getIdempotency(department: string, key: string): Promise<IdempotencyRecord | undefined> {
    return this.get<IdempotencyRecord>(this.tables.ledger, idemKey(department, key));
  }

  getRange(id: string): Promise<NumberRange | undefined> {
    return this.get<NumberRange>(this.tables.ledger, rangeKey(id));
  }

  private readonly names = new Map<string, { at: number; name: Promise<string | undefined> }>();

  /** The collecting unit's name; cached for five minutes (it changes rarely). */
  departmentName(department: string): Promise<string | undefined> {
    const hit = this.names.get(department);
    if (hit && Date.now() - hit.at < 300_000) return hit.name;
    const name = this.get<{ name: string }>(this.tables.ledger, profileKey(department)).then((p) => p?.name);
    this.names.set(department, { at: Date.now(), name });
    name.catch(() => this.names.delete(department));
    return name;
  }

  async setDepartmentName(department: string, name: string): Promise<void> {
    this.names.delete(department);
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tables.ledger, Item: { ...profileKey(department), department, name } } },
        ],
      }),
    );
  }

  /** The department's open range for a receipt code, if any. */
  async openRange(department: string, code: string): Promise<NumberRange | undefined> {
    const pointer = await this.get<{ rangeId?: string }>(this.tables.ledger, pointerKey(department, code));
    return pointer?.rangeId ? this.getRange(pointer.rangeId) : undefined;
  }

  /** Every range, ordered by code and first number. */
  listRanges(): Promise<NumberRange[]> {
    return queryAll(this.db, {
      TableName: this.tables.ledger,
      IndexName: 'listing',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'RANGES' },
    });
  }

  /**
   * Allocates the next `size` numbers of a code to a department. It opens at once when the
   * department has no open range for the code (or only an exhausted one), else it is queued.
   * Returns null when another allocation won the race (the caller re-reads and retries).
   */
  async allocateRange(
    department: string,
    code: string,
    size: number,
    actor: string,
    at: Date,
  ): Promise<NumberRange | null> {
    const allocator = await this.get<{ nextFree: number }>(this.tables.ledger, allocatorKey(code));
    const pointer = await this.get<{ rangeId?: string; queue?: string[] }>(
      this.tables.ledger,
      pointerKey(department, code),
    );
    const current = pointer?.rangeId ? await this.getRange(pointer.rangeId) : undefined;
    const nextFree = allocator?.nextFree ?? 1;
    const bounds = nextRangeBounds(nextFree, size);
    if (!bounds) throw new RangeError(`receipt code ${code} has no numbers left for a range of ${size}`);
    const opensNow = (current?.status !== 'open' || current.next > current.last) && !pointer?.queue?.length;
    const range: NumberRange = {
      id: newId(at),
      department,
      code,
      ...bounds,
      next: bounds.first,
      status: opensNow ? 'open' : 'queued',
      allocatedAt: at.toISOString(),
      allocatedBy: actor,
    };
    const event = newEvent(
      'range.allocated',
      actor,
      range.id,
      {
        department,
        code,
        first: formatReceiptNumber(range.first),
        last: formatReceiptNumber(range.last),
        status: range.status,
      },
      at,
    );
    const TransactItems: TransactItem[] = [
      {
        Put: {
          TableName: this.tables.ledger,
          Item: { ...allocatorKey(code), code, nextFree: bounds.last + 1 },
          ConditionExpression: allocator ? 'nextFree = :f' : 'attribute_not_exists(pk)',
          ...(allocator ? { ExpressionAttributeValues: { ':f': nextFree } } : {}),
        },
      },
      {
        Put: {
          TableName: this.tables.ledger,
          Item: {
            ...rangeKey(range.id),
            gsi1pk: 'RANGES',
            gsi1sk: `${code}#${formatReceiptNumber(range.first)}`,
            ...range,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tables.ledger,
          Item: {
            ...pointerKey(department, code),
            rangeId: opensNow ? range.id : current!.id,
            queue: opensNow ? (pointer?.queue ?? []) : [...(pointer?.queue ?? []), range.id],
          },
          ConditionExpression: pointer ? 'rangeId = :r' : 'attribute_not_exists(pk)',
          ...(pointer ? { ExpressionAttributeValues: { ':r': pointer.rangeId ?? null } } : {}),
        },
      },
      eventPut(this.tables.ledger, event),
    ];
    if (opensNow && current && current.status === 'open')
      TransactItems.push({
        Update: {
          TableName: this.tables.ledger,
          Key: rangeKey(current.id),
          UpdateExpression: 'SET #s = :exhausted',
          ConditionExpression: '#s = :open AND #n > #l',
          ExpressionAttributeNames: { '#s': 'status', '#n': 'next', '#l': 'last' },
          ExpressionAttributeValues: { ':exhausted': 'exhausted', ':open': 'open' },
        },
      });
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems }));
      return range;
    } catch (e) {
      if (cancelReasons(e)) return null;
      throw e;
    }
  }

  /**
   * Opens the department's next queued range when the open one is exhausted. Returns false
   * when there is none queued (or another request did it first).
   */
  async openQueuedRange(department: string, code: string, exhausted: NumberRange): Promise<boolean> {
    const pointer = await this.get<{ rangeId?: string; queue?: string[] }>(
      this.tables.ledger,
      pointerKey(department, code),
    );
    const [nextId, ...rest] = pointer?.queue ?? [];
    if (!nextId || pointer?.rangeId !== exhausted.id) return false;
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tables.ledger,
                Item: { ...pointerKey(department, code), rangeId: nextId, queue: rest },
                ConditionExpression: 'rangeId = :r',
                ExpressionAttributeValues: { ':r': exhausted.id },
              },
            },
            {
              Update: {
                TableName: this.tables.ledger,
                Key: rangeKey(exhausted.id),
                UpdateExpression: 'SET #s = :exhausted',
                ConditionExpression: '#n > #l',
                ExpressionAttributeNames: { '#s': 'status', '#n': 'next', '#l': 'last' },
                ExpressionAttributeValues: { ':exhausted': 'exhausted' },
              },
            },
            {
              Update: {
                TableName: this.tables.ledger,
                Key: rangeKey(nextId),
                UpdateExpression: 'SET #s = :open',
                ConditionExpression: '#s = :queued',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':open': 'open', ':queued': 'queued' },
              },
            },
          ],
        }),
      );
      return true;
    } catch (e) {
      if (cancelReasons(e)) return false;
      throw e;
    }
  }

  /**
   * Takes numbers range.next, range.next+1, ... for a batch of receipts, atomically with
   * each receipt row (status pending, every field final), its idempotency record and, for a
   * red receipt, the original's change to `reversed`. Either all of it happens or none: a
   * number is never taken without a receipt that recovery can complete. On failure it names
   * the entry to blame, if one is (the caller drops it and retries the rest).
   */
  async takeNumbers(range: NumberRange, entries: readonly TakeEntry[]): Promise<TakeOutcome> {
    const TransactItems: TransactItem[] = [
      {
        Update: {
          TableName: this.tables.ledger,
          Key: rangeKey(range.id),
          UpdateExpression: 'SET #n = :after ADD redCount :red',
          ConditionExpression: '#s = :open AND #n = :n AND #l >= :lastTaken',
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
            Item: { ...idemKey(idem.department, idem.key), ...idem },
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
      }
      if (event) add(eventPut(this.tables.ledger, event), 'range_moved');
    });
    for (const row of mergeTotals(entries.flatMap((e) => totalsOf(e.receipt)))) {
      TransactItems.push(totalsUpdate(this.tables.ledger, row));
      owners.push({ entry: -1, reason: 'range_moved' });
    }
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems }));
      return { ok: true };
    } catch (e) {
      const reasons = cancelReasons(e);
      if (!reasons) throw e;
      const failed = reasons.indexOf('ConditionalCheckFailed');
      const owner = owners[failed];
      // A conflict with another transaction, or the range moved: re-read and retry all.
      if (!owner || owner.entry < 0 || owner.reason === 'range_moved')
        return { ok: false, reason: 'range_moved' };
      return { ok: false, reason: owner.reason, entry: owner.entry };
    }
  }

  /**
   * Completes a pending receipt: signature and PDF stored, status issued, the public check
   * row written, in one transaction. Returns false when it was already completed (by a
   * retry or recovery).
   */
  async complete(receipt: CompletedReceipt, pdf: Uint8Array): Promise<boolean> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tables.receipts,
                Key: receiptKey(receipt),
                UpdateExpression:
                  'SET #s = :issued, signature = :sig, qrSignature = :qr, keyId = :kid, pdfSha256 = :hash, pdfBytes = :size, completedAt = :at REMOVE pendingPk',
                ConditionExpression: '#s = :pending',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: {
                  ':issued': 'issued',
                  ':pending': 'pending',
                  ':sig': receipt.signature,
                  ':qr': receipt.qrSignature,
                  ':kid': receipt.keyId,
                  ':hash': receipt.pdfSha256,
                  ':size': receipt.pdfBytes,
                  ':at': receipt.completedAt,
                },
              },
            },
            {
              Put: {
                TableName: this.tables.receipts,
                Item: { ...pdfKey(receipt), pdf },
                ConditionExpression: 'attribute_not_exists(pk)',
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
                  // One string, not a map of attributes: the cheapest form to store, return and read.
                  receipt: JSON.stringify(receipt),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return true;
    } catch (e) {
      if (cancelReasons(e)) return false;
      throw e;
    }
  }

  /**
   * Closes a range: its unused numbers (next..last) stay unused for good, since taking a
   * number requires an open range. A queued range leaves its department's queue.
   */
  async closeRange(id: string, actor: string, reason: string, at: Date): Promise<NumberRange | undefined> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const range = await this.getRange(id);
      if (!range) return undefined;
      if (range.status === 'closed') return range;
      const pointer = await this.get<{ rangeId: string; queue?: string[] }>(
        this.tables.ledger,
        pointerKey(range.department, range.code),
      );
      const event = newEvent(
        'range.closed',
        actor,
        id,
        {
          department: range.department,
          code: range.code,
          reason,
          unused: range.last - range.next + 1,
          next: range.next,
        },
        at,
      );
      const TransactItems: TransactItem[] = [
        {
          Update: {
            TableName: this.tables.ledger,
            Key: rangeKey(id),
            UpdateExpression: 'SET #s = :closed, closedAt = :at, closedBy = :by, closeReason = :why',
            ConditionExpression: '#s = :was AND #n = :n',
            ExpressionAttributeNames: { '#s': 'status', '#n': 'next' },
            ExpressionAttributeValues: {
              ':closed': 'closed',
              ':at': at.toISOString(),
              ':by': actor,
              ':why': reason,
              ':was': range.status,
              ':n': range.next,
            },
          },
        },
        eventPut(this.tables.ledger, event),
      ];
      if (pointer?.queue?.includes(id))
        TransactItems.push({
          Put: {
            TableName: this.tables.ledger,
            Item: {
              ...pointerKey(range.department, range.code),
              rangeId: pointer.rangeId,
              queue: pointer.queue.filter((q) => q !== id),
            },
            ConditionExpression: 'rangeId = :r',
            ExpressionAttributeValues: { ':r': pointer.rangeId },
          },
        });
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems }));
        return this.getRange(id);
      } catch (e) {
        if (!cancelReasons(e)) throw e;
      }
    }
    throw new Error(`range ${id} kept changing while being closed`);
  }

  /**
   * A public check: counts it and returns the receipt only when the check code matches a
   * complete receipt. A wrong check code and a missing number both end at the one
   * conditional write, so they cost the same and cannot be told apart.
   */
  async recordCheck(ref: ReceiptRef, checkCode: string): Promise<StoredReceipt | undefined> {
    let row: CheckRow;
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tables.receipts,
          Key: checksKey(ref),
          UpdateExpression: 'ADD checks :one',
          ConditionExpression: 'attribute_exists(pk) AND checkCode = :c',
          ExpressionAttributeValues: { ':one': 1, ':c': checkCode },
          ReturnValues: 'ALL_NEW',
        }),
      );
      row = out.Attributes as CheckRow;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw e;
    }
    const { status, reversedBy, checks } = row;
    // A check row written before it carried the receipt's copy holds only the counter.
    const receipt = row.receipt ? (JSON.parse(row.receipt) as StoredReceipt) : await this.getReceipt(ref);
    return (
      receipt && { ...receipt, ...(status ? { status } : {}), ...(reversedBy ? { reversedBy } : {}), checks }
    );
  }

  /** Every receipt of a department, newest first (the by-department index). */
  listByDepartment(department: string): Promise<StoredReceipt[]> {
    return queryAll(this.db, {
      TableName: this.tables.receipts,
      IndexName: 'by-department',
      KeyConditionExpression: 'deptPk = :p',
      ExpressionAttributeValues: { ':p': `DEPT#${department}` },
      ScanIndexForward: false,
    });
  }

  /** Receipts whose number is taken but which are not complete, oldest first. */
  async pending(limit = 100): Promise<StoredReceipt[]> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tables.receipts,
        IndexName: 'pending',
        KeyConditionExpression: 'pendingPk = :p',
        ExpressionAttributeValues: { ':p': 'PENDING' },
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map((i) => stripKeys(i) as unknown as StoredReceipt);
  }
}
