import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AlertDraft } from '../../core/alerts.js';
import { ExpiringCache } from '../../core/bounded-cache.js';
import { dateInZone, type IsoDate } from '../../core/dates.js';
import type { LedgerEvent, StoredReceipt } from '../../core/ports.js';
import type { Totals, TotalsKey, TotalsRow } from '../../core/totals.js';
import { addTotals, mergeTotals, ZERO } from '../../core/totals.js';
import { newId } from '../ids.js';
import {
  Budget,
  type Cursor,
  encodeCursor,
  type MonthPartitions,
  previousMonth,
  type ReadPlan,
} from './audit-query.js';
import { eventPut } from './events.js';
import {
  alertKey,
  LISTING_INDEX,
  type ListingPrefix,
  listingMonth,
  listingMonthsKey,
  monthListingKeys,
  monthListingPartition,
  refusalsKey,
  stripKeys,
  totalsDays,
  totalsPartition,
} from './keys.js';
import { queryAll, receiptsByPk } from './query.js';
import { totalsRowsOf } from './totals-rows.js';
import { failedConditions, transactWrite } from './transactions.js';
import { yearTotals } from './year-totals.js';

export interface StoredAlert extends AlertDraft {
  id: string;
  at: string;
  /** Absent until an auditor changes it (open); the change history is in the ledger's events. */
  state?: 'acknowledged' | 'resolved';
  stateAt?: string;
  stateBy?: string;
  stateNote?: string;
}

/** An alert as stored, raised at `at`. */
export const storedAlert = (draft: AlertDraft, at: Date): StoredAlert => ({
  ...draft,
  id: newId(at),
  at: at.toISOString(),
});

/**
 * The put that stores an alert once (a second finding with the same key is the same alert), in
 * the listing index by its month; the month must be noted first (AuditRepository.noteMonth).
 */
export const alertPut = (table: string, alert: StoredAlert) => ({
  TableName: table,
  Item: { ...alertKey(alert.key), ...monthListingKeys('ALERTS', alert.at, alert.id), ...alert },
  ConditionExpression: 'attribute_not_exists(pk)',
});

/** How long the alert rules may use a year's item totals this process read (docs/speed.md). */
export const ITEM_TOTALS_TTL_MS = 10_000;
/** Totals rows held at most (the oldest read is dropped first). */
const HELD_TOTALS = 2_000;

/** One answer of a paged read: the rows found and where to go on, or null at the end. */
export interface Page<T> {
  items: T[];
  cursor: string | null;
}

/** A kept row and where to resume after it, or where the budget ran out. */
type Step<T> = { item: T; cursor: Cursor } | { stop: Cursor };

/** Rows per query: enough for a page of 500 in few requests, few enough not to read far past it. */
const QUERY_ROWS = 200;

/** Reads for auditors: receipts by index, running totals, alerts. Never a table scan. */
export class AuditRepository {
  /** Months this process has noted in a listing's months row (it never forgets one). */
  private readonly noted = new Set<string>();
  /**
   * Year totals rows read for the alert rules, by `year#key`, in a holder to which the receipts
   * this process issues are added.
   */
  private readonly heldTotals = new ExpiringCache<string, { totals: Totals }>(
    ITEM_TOTALS_TTL_MS,
    HELD_TOTALS,
  );

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { receipts: string; ledger: string },
  ) {}

  /**
   * Adds a row's month to its listing's months row before the row is written (keys.ts
   * listingMonthsKey): idempotent, once per process and month. A failed write after it leaves
   * a month that is read for nothing, never a row that no listing reads.
   */
  async noteMonth(prefix: ListingPrefix, at: string): Promise<void> {
    const month = listingMonth(at);
    if (this.noted.has(`${prefix}#${month}`)) return;
    await this.db.send(
      new UpdateCommand({
        TableName: this.tables.ledger,
        Key: listingMonthsKey(prefix),
        UpdateExpression: 'ADD months :m',
        ExpressionAttributeValues: { ':m': new Set([month]) },
      }),
    );
    this.noted.add(`${prefix}#${month}`);
  }

  /**
   * One page of the receipts a plan reads that pass `keep`, newest first: at most `limit`, and
   * no more reading than the per-request budget, whatever the date range (a cursor goes on).
   */
  receiptsPage(
    plan: ReadPlan,
    keep: (r: StoredReceipt) => boolean,
    start: Cursor,
    limit: number,
    now: Date,
  ): Promise<Page<StoredReceipt>> {
    const steps = this.walk(plan, start, Budget.perRequest(), this.receiptLoader(plan), keep, now, limit);
    return collect(steps, limit);
  }

  /** Every receipt a plan reads that passes `keep`, newest first, page by page (the export). */
  async *allReceipts(
    plan: ReadPlan,
    keep: (r: StoredReceipt) => boolean,
    now: Date,
  ): AsyncGenerator<StoredReceipt> {
    const loader = this.receiptLoader(plan);
    for await (const step of this.walk(
      plan,
      {},
      Budget.unbounded(),
      loader,
      keep,
      now,
      Number.POSITIVE_INFINITY,
    ))
      if ('item' in step) yield step.item;
  }

  /** One page of alerts or events (planListing) that pass `keep`, newest first, within the budget. */
  listingPage<T>(plan: ReadPlan, keep: (row: T) => boolean, start: Cursor, limit: number, now: Date) {
    const load = async (rows: Record<string, unknown>[]) => rows.map((r) => stripKeys(r) as T);
    return collect(this.walk(plan, start, Budget.perRequest(), load, keep, now, limit), limit);
  }

  /** The receipts a page of index entries names, read back by key (the indexes project keys only). */
  private receiptLoader(plan: ReadPlan) {
    return async (rows: Record<string, unknown>[], budget: Budget) => {
      const byPk = await receiptsByPk(this.db, this.tables[plan.table], rows, () => budget.use(1));
      return rows.map((r) => byPk.get(r.pk as string));
    };
  }

  /**
   * Reads a plan's partitions newest first from `start`, yielding each row that passes `keep`
   * with the cursor that resumes after it. Month partitions the record says are empty are not
   * read, nor months after today's (rows are dated when they are written). When the budget is
   * spent, the last step is where to resume.
   */
  private async *walk<T>(
    plan: ReadPlan,
    start: Cursor,
    budget: Budget,
    load: (rows: Record<string, unknown>[], budget: Budget) => Promise<(T | undefined)[]>,
    keep: (item: T) => boolean,
    now: Date,
    want: number,
  ): AsyncGenerator<Step<T>> {
    const months = typeof plan.partition === 'string' ? null : plan.partition;
    const nextMonth = months ? this.monthsWithRows(months, budget) : null;
    let month = start.m ?? months?.last;
    let key = start.k;
    // Rows are dated as they are written, so no month after tomorrow's (bureau zone) has any.
    const ceiling = dateInZone(new Date(now.getTime() + 86_400_000)).slice(0, 7);
    if (month && !key && month > ceiling) month = ceiling;
    // Reads no more rows than are wanted until a filter is seen to drop some; then full pages.
    let found = 0;
    let filtering = false;
    for (;;) {
      if (months && !key) {
        if (month! < months.first) return;
        const found = await nextMonth!(month!);
        if (!found) return;
        if ('resume' in found) {
          yield { stop: { m: found.resume } };
          return;
        }
        month = found.month;
      }
      if (budget.spent) {
        yield { stop: { m: month, k: key } };
        return;
      }
      const partition = months ? months.of(month!) : (plan.partition as string);
      const page: QueryCommandOutput = await this.db.send(
        new QueryCommand({
          TableName: this.tables[plan.table],
          IndexName: plan.index,
          KeyConditionExpression: '#p = :p AND #s BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#p': plan.partitionAttr, '#s': plan.sortAttr },
          ExpressionAttributeValues: { ':p': partition, ':from': plan.from, ':to': `${plan.to}~` },
          ScanIndexForward: false,
          ExclusiveStartKey: key,
          Limit: Math.max(1, Math.min(QUERY_ROWS, budget.rows, filtering ? QUERY_ROWS : want - found)),
        }),
      );
      const rows = page.Items ?? [];
      budget.use(1, page.ScannedCount ?? rows.length);
      const items = await load(rows, budget);
      for (let i = 0; i < rows.length; i++) {
        const item = items[i];
        if (item === undefined || !keep(item)) {
          filtering = true;
          continue;
        }
        found++;
        // Resuming after this row: its own key, in the index's key shape.
        const row = rows[i]!;
        const k: Record<string, string> = {};
        for (const name of ['pk', 'sk', plan.partitionAttr, plan.sortAttr]) k[name] = row[name] as string;
        yield { item, cursor: { m: month, k } };
      }
      key = page.LastEvaluatedKey as Record<string, string> | undefined;
      if (key) continue;
      if (!months) return;
      month = previousMonth(month!);
    }
  }

  /**
   * The newest month at or before a given one (and not before the range's first) that may have
   * rows, as the plan's record says; or where to resume when the budget ran out first.
   */
  private monthsWithRows(
    months: MonthPartitions,
    budget: Budget,
  ): (atMost: string) => Promise<{ month: string } | { resume: string } | null> {
    const { record, first } = months;
    if (record === 'none') return async (atMost) => (atMost >= first ? { month: atMost } : null);
    if (record === 'totals')
      // A day row of the running totals exists for every day with a receipt: one query per year
      // finds the newest such day at or before the month.
      return async (atMost) => {
        for (let year = Number(atMost.slice(0, 4)); year >= Number(first.slice(0, 4)); year--) {
          const y = String(year).padStart(4, '0');
          if (budget.spent) return { resume: y === atMost.slice(0, 4) ? atMost : `${y}-12` };
          const days = totalsDays(
            y,
            y === first.slice(0, 4) ? first : `${y}-01`,
            y === atMost.slice(0, 4) ? atMost : `${y}-12`,
          );
          const out = await this.db.send(
            new QueryCommand({
              TableName: this.tables.ledger,
              KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
              ExpressionAttributeValues: { ':p': days.pk, ':from': days.from, ':to': days.to },
              ProjectionExpression: 'sk',
              ScanIndexForward: false,
              Limit: 1,
            }),
          );
          budget.use(1, 1);
          const sk = out.Items?.[0]?.sk as string | undefined;
          if (sk) return { month: sk.slice(0, 7) };
        }
        return null;
      };
    let recorded: string[] | undefined;
    return async (atMost) => {
      if (!recorded) {
        if (budget.spent) return { resume: atMost };
        const out = await this.db.send(
          new GetCommand({ TableName: this.tables.ledger, Key: listingMonthsKey(record.listing) }),
        );
        budget.use(1, 1);
        recorded = [...((out.Item?.months as Set<string> | undefined) ?? [])].sort().reverse();
      }
      const month = recorded.find((m) => m <= atMost);
      return month && month >= first ? { month } : null;
    };
  }

  /** Totals rows of the days from..to (inclusive), from the running totals. */
  async totals(from: string, to: string): Promise<TotalsRow[]> {
    const years: string[] = [];
    for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++)
      years.push(String(year));
    const rows = await Promise.all(
      years.map((year) =>
        queryAll<Record<string, unknown>>(this.db, {
          TableName: this.tables.ledger,
          KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':p': totalsPartition(year), ':from': from, ':to': `${to}~` },
        }),
      ),
    );
    return rows.flat().flatMap(totalsRowsOf);
  }

  /** A department's totals of the year of `today` up to it, its own and its items' (year-totals.ts). */
  yearTotals(department: string, today: IsoDate): Promise<Map<TotalsKey, Totals>> {
    return yearTotals(this.db, this.tables.ledger, department, today);
  }

  /**
   * The year's totals of a receipt's items (`own`: its day rows, which the transaction that took
   * its number has added), for the rule that compares a line with its item's average this year.
   * Totals this process read less than ITEM_TOTALS_TTL_MS ago are used again, with the receipts
   * it issued since added in, so that only other processes' receipts of the last seconds are left
   * out (which an average over the year hardly feels); the others are read, one request.
   */
  async recentYearTotals(department: string, own: readonly TotalsRow[]): Promise<Map<string, Totals>> {
    const found = new Map<string, Totals>();
    const missing: TotalsRow[] = [];
    const year = (row: TotalsRow) => row.day.slice(0, 4);
    for (const row of mergeTotals(own)) {
      const held = this.heldTotals.get(`${year(row)}#${row.key}`);
      if (held) {
        held.totals = addTotals(held.totals, row);
        found.set(row.key, held.totals);
      } else missing.push(row);
    }
    if (missing.length === 0) return found;
    const read = await this.yearTotals(department, missing[0]!.day);
    for (const row of missing) {
      const totals = read.get(row.key) ?? ZERO;
      found.set(row.key, totals);
      this.heldTotals.set(`${year(row)}#${row.key}`, { totals });
    }
    return found;
  }

  /** Counts a refused charge in its department's hour and returns the count so far. */
  async countRefusal(department: string, at: string): Promise<number> {
    const out = await this.db.send(
      new UpdateCommand({
        TableName: this.tables.ledger,
        Key: refusalsKey(department, at),
        UpdateExpression: 'ADD refusals :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.refusals ?? 0);
  }

  /**
   * The alert with this id, as stored now. The id holds the instant it was raised, which
   * places it in the listing index; the alert row itself is then read consistently.
   */
  async alertById(id: string): Promise<StoredAlert | undefined> {
    const at = id.slice(0, 24);
    const listed = await this.db.send(
      new QueryCommand({
        TableName: this.tables.ledger,
        IndexName: LISTING_INDEX.name,
        KeyConditionExpression: '#p = :p AND #s = :s',
        ExpressionAttributeNames: { '#p': LISTING_INDEX.partition, '#s': LISTING_INDEX.sort },
        ExpressionAttributeValues: {
          ':p': monthListingPartition('ALERTS', listingMonth(at)),
          ':s': `${at}#${id}`,
        },
      }),
    );
    const row = listed.Items?.[0];
    if (!row) return undefined;
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tables.ledger,
        Key: alertKey(row.key as string),
        ConsistentRead: true,
      }),
    );
    return out.Item ? (stripKeys(out.Item) as unknown as StoredAlert) : undefined;
  }

  /**
   * Moves an alert from the state it was read in to another, with the event that records who,
   * when and why, in one transaction. False when the alert changed in between (lost the race).
   */
  async changeAlertState(
    alert: StoredAlert,
    change: { state: 'acknowledged' | 'resolved'; note: string },
    event: LedgerEvent,
  ): Promise<boolean> {
    try {
      await transactWrite(this.db, [
        {
          Update: {
            TableName: this.tables.ledger,
            Key: alertKey(alert.key),
            UpdateExpression: 'SET #state = :to, stateAt = :at, stateBy = :by, stateNote = :note',
            ConditionExpression: alert.state
              ? '#state = :from'
              : 'attribute_exists(pk) AND attribute_not_exists(#state)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':to': change.state,
              ':at': event.at,
              ':by': event.actor,
              ':note': change.note,
              ...(alert.state ? { ':from': alert.state } : {}),
            },
          },
        },
        eventPut(this.tables.ledger, event),
      ]);
      return true;
    } catch (e) {
      failedConditions(e);
      return false;
    }
  }

  /** Stores an alert once: a second finding with the same key is the same alert. */
  async raise(draft: AlertDraft, at: Date): Promise<void> {
    const alert = storedAlert(draft, at);
    await this.noteMonth('ALERTS', alert.at);
    try {
      await this.db.send(new PutCommand(alertPut(this.tables.ledger, alert)));
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
    }
  }
}

/** Takes steps until `limit` items are found or the walk stops, and says where to go on. */
async function collect<T>(steps: AsyncGenerator<Step<T>>, limit: number): Promise<Page<T>> {
  const items: T[] = [];
  for await (const step of steps) {
    if ('stop' in step) return { items, cursor: encodeCursor(step.stop) };
    items.push(step.item);
    if (items.length === limit) {
      await steps.return(undefined);
      return { items, cursor: encodeCursor(step.cursor) };
    }
  }
  return { items, cursor: null };
}
