import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { NumberRange } from '../../core/numbering.js';
import { isExhausted, nextRangeBounds } from '../../core/numbering.js';
import type { RangeSlot, RangeStore } from '../../core/ports.js';
import { formatReceiptNumber } from '../../core/receipt.js';
import { newId } from '../ids.js';
import { pendingEntryPut, rangeAllocationMark } from '../tlog/dynamo-sequence.js';
import { rangeLogEntry } from '../tlog/ledger-entries.js';
import { renameItems } from './departments.js';
import { eventPut, newEvent } from './events.js';
import {
  allocatorKey,
  departmentProfileKey,
  RANGE_LISTING_PARTITION,
  rangeKey,
  rangeListingKey,
  rangeSlotKey,
  stripKeys,
} from './keys.js';
import { queryAll, rowsByKey } from './query.js';
import { failedConditions, type TransactItem, transactWrite } from './transactions.js';

/**
 * The row that holds a department's range slot for one receipt code. `version` grows with
 * every write, and every write is conditional on the version it read: two changes to one
 * department's ranges (an allocation, an opening, a closing) can never both apply on stale
 * reads, so no queued range is ever dropped from the queue.
 */
interface RangeSlotRow {
  rangeId?: string;
  queue: string[];
  version: number;
}

/** Number ranges: allocation per receipt code, each department's open and queued ranges, closing. */
export class RangeRepository implements RangeStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  private async get<T>(key: Record<string, string>): Promise<T | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    return out.Item ? (stripKeys(out.Item) as T) : undefined;
  }

  getRange(id: string): Promise<NumberRange | undefined> {
    return this.get<NumberRange>(rangeKey(id));
  }

  private async slotRow(department: string, code: string): Promise<RangeSlotRow | undefined> {
    const row = await this.get<Partial<RangeSlotRow>>(rangeSlotKey(department, code));
    return row && { rangeId: row.rangeId, queue: row.queue ?? [], version: row.version ?? 0 };
  }

  async slot(department: string, code: string): Promise<RangeSlot> {
    const row = await this.slotRow(department, code);
    const current = row?.rangeId ? await this.getRange(row.rangeId) : undefined;
    return { current, queued: row?.queue ?? [] };
  }

  /** A write of the slot row, conditional on the version read (or on its absence). */
  private slotPut(
    department: string,
    code: string,
    read: RangeSlotRow | undefined,
    next: Omit<RangeSlotRow, 'version'>,
  ): TransactItem {
    return {
      Put: {
        TableName: this.table,
        Item: { ...rangeSlotKey(department, code), ...next, version: (read?.version ?? 0) + 1 },
        ...(read
          ? {
              // A row from before versions were kept has none: it counts as version 0.
              ConditionExpression: '#v = :v OR attribute_not_exists(#v)',
              ExpressionAttributeNames: { '#v': 'version' },
              ExpressionAttributeValues: { ':v': read.version },
            }
          : { ConditionExpression: 'attribute_not_exists(pk)' }),
      },
    };
  }

  /**
   * Every range, ordered by code and first number: the listing's rows name them (rangeListingKey),
   * their rows are read by key. A range allocated before it had a listing row is in the listing
   * index instead, whole.
   */
  async listRanges(): Promise<NumberRange[]> {
    const [listed, older] = await Promise.all([
      queryAll<{ id: string }>(this.db, {
        TableName: this.table,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': RANGE_LISTING_PARTITION },
      }),
      queryAll<NumberRange>(this.db, {
        TableName: this.table,
        IndexName: 'listing',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': RANGE_LISTING_PARTITION },
      }),
    ]);
    const rows = await rowsByKey(
      this.db,
      this.table,
      listed.map((l) => rangeKey(l.id)),
    );
    const ranges = rows.map((row) => stripKeys(row) as unknown as NumberRange);
    const order = (r: NumberRange) => rangeListingKey(r).sk;
    return [...older, ...ranges].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  }

  /**
   * Allocates the next `size` numbers of a code to a department. It opens at once when the
   * department has no usable range for the code and none queued; otherwise `open_or_queue`
   * queues it and `open_only` (automatic allocation) allocates nothing and returns null, so
   * that a retry can never reserve numbers. Returns null too when another change to the
   * department's ranges won the race (the caller re-reads).
   */
  async allocateRange(
    department: string,
    code: string,
    size: number,
    actor: string,
    at: Date,
    mode: 'open_or_queue' | 'open_only',
    departmentName?: string,
  ): Promise<NumberRange | null> {
    const [allocator, slot, profile] = await Promise.all([
      this.get<{ nextFree: number }>(allocatorKey(code)),
      this.slotRow(department, code),
      departmentName === undefined
        ? undefined
        : this.get<{ name?: string }>(departmentProfileKey(department)),
    ]);
    const current = slot?.rangeId ? await this.getRange(slot.rangeId) : undefined;
    const nextFree = allocator?.nextFree ?? 1;
    const bounds = nextRangeBounds(nextFree, size);
    if (!bounds) throw new RangeError(`receipt code ${code} has no numbers left for a range of ${size}`);
    const usable = current?.status === 'open' && !isExhausted(current);
    const opensNow = !usable && !slot?.queue.length;
    if (!opensNow && mode === 'open_only') return null;
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
        ...(departmentName ? { departmentName } : {}),
      },
      at,
    );
    const allocationEntry = pendingEntryPut(this.table, rangeLogEntry('allocated', range), event.at);
    const TransactItems: TransactItem[] = [
      {
        Put: {
          TableName: this.table,
          Item: { ...allocatorKey(code), code, nextFree: bounds.last + 1 },
          ConditionExpression: allocator ? 'nextFree = :f' : 'attribute_not_exists(pk)',
          ...(allocator ? { ExpressionAttributeValues: { ':f': nextFree } } : {}),
        },
      },
      // The range's row, which taking numbers updates, is in no index: the listing has a row of its own.
      {
        Put: {
          TableName: this.table,
          Item: { ...rangeKey(range.id), ...range },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { ...rangeListingKey(range), id: range.id },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      this.slotPut(
        department,
        code,
        slot,
        opensNow
          ? { rangeId: range.id, queue: [] }
          : { rangeId: slot?.rangeId, queue: [...(slot?.queue ?? []), range.id] },
      ),
      eventPut(this.table, event),
      allocationEntry,
      // Its receipts are logged from its rows once that entry is (DynamoSequence).
      rangeAllocationMark(this.table, range.id, allocationEntry),
    ];
    if (opensNow && current) TransactItems.push(this.retire(current));
    // The name with the range, or neither: a refused allocation leaves the printed name as it
    // was. A new name is a rename as any other (on the name read: a rename meanwhile makes this
    // attempt fail, and the caller's next one reads it); the same name writes nothing.
    if (departmentName !== undefined && departmentName !== profile?.name)
      TransactItems.push(
        ...renameItems(this.table, {
          department,
          from: profile?.name,
          to: departmentName,
          actor,
          reason: `named with the allocation of range ${range.id}`,
          at,
        }),
      );
    try {
      await transactWrite(this.db, TransactItems);
      return range;
    } catch (e) {
      failedConditions(e);
      return null;
    }
  }

  /**
   * The write that takes a range out of the slot: an open range that ran out becomes
   * exhausted; a closed (or already exhausted) one stays as it is, provided it still is.
   */
  private retire(range: NumberRange): TransactItem {
    if (range.status === 'open')
      return {
        Update: {
          TableName: this.table,
          Key: rangeKey(range.id),
          UpdateExpression: 'SET #s = :exhausted',
          ConditionExpression: '#s = :open AND #n > #l',
          ExpressionAttributeNames: { '#s': 'status', '#n': 'next', '#l': 'last' },
          ExpressionAttributeValues: { ':exhausted': 'exhausted', ':open': 'open' },
        },
      };
    return {
      ConditionCheck: {
        TableName: this.table,
        Key: rangeKey(range.id),
        ConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': range.status },
      },
    };
  }

  /**
   * Opens the department's first queued range in place of its current one, once that is
   * exhausted or closed. Returns false when there is none queued, the current one is still
   * usable, or another request changed the slot first.
   */
  async openQueuedRange(department: string, code: string): Promise<boolean> {
    const slot = await this.slotRow(department, code);
    const [nextId, ...rest] = slot?.queue ?? [];
    if (!slot || !nextId) return false;
    const current = slot.rangeId ? await this.getRange(slot.rangeId) : undefined;
    if (current?.status === 'open' && !isExhausted(current)) return false;
    const TransactItems: TransactItem[] = [
      this.slotPut(department, code, slot, { rangeId: nextId, queue: rest }),
      {
        Update: {
          TableName: this.table,
          Key: rangeKey(nextId),
          UpdateExpression: 'SET #s = :open',
          ConditionExpression: '#s = :queued',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':open': 'open', ':queued': 'queued' },
        },
      },
    ];
    if (current) TransactItems.push(this.retire(current));
    try {
      await transactWrite(this.db, TransactItems);
      return true;
    } catch (e) {
      failedConditions(e);
      return false;
    }
  }

  /**
   * Closes a range: its unused numbers (next..last) stay unused for good, since taking a
   * number requires an open range. A queued range leaves its department's queue; the
   * department's next queued range opens when the number-taker next needs a number.
   */
  async closeRange(id: string, actor: string, reason: string, at: Date): Promise<NumberRange | undefined> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const range = await this.getRange(id);
      if (!range) return undefined;
      if (range.status === 'closed') return range;
      const slot = await this.slotRow(range.department, range.code);
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
            TableName: this.table,
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
        eventPut(this.table, event),
        pendingEntryPut(this.table, rangeLogEntry('closed', range), event.at),
      ];
      if (slot?.queue.includes(id))
        TransactItems.push(
          this.slotPut(range.department, range.code, slot, {
            rangeId: slot.rangeId,
            queue: slot.queue.filter((q) => q !== id),
          }),
        );
      try {
        await transactWrite(this.db, TransactItems);
        return this.getRange(id);
      } catch (e) {
        failedConditions(e);
      }
    }
    throw new Error(`range ${id} kept changing while being closed`);
  }
}
