import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  BatchGetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AlertDraft } from '../../core/alerts.js';
import type { StoredReceipt } from '../../core/ports.js';
import type { Totals, TotalsRow } from '../../core/totals.js';
import { ZERO } from '../../core/totals.js';
import { newId } from '../ids.js';
import { monthListingKeys, stripKeys } from './keys.js';
import { queryAll } from './query.js';

/** Which index serves a receipts query, and its partitions in the order to read them. */
export interface QueryPlan {
  index: 'by-department' | 'by-month' | 'by-item' | 'by-payer-name' | 'by-payer-id';
  partitionKey: string;
  partitions: string[];
  /** issuedSk bounds: ISO instants (UTC) of the date range. */
  from: string;
  to: string;
}

export interface Cursor {
  /** Index into plan.partitions. */
  p: number;
  k?: Record<string, unknown>;
}

export interface StoredAlert extends AlertDraft {
  id: string;
  at: string;
}

const encode = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

export function decodeCursor(text: string): Cursor | null {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    return Number.isInteger(c.p) && c.p >= 0 && (c.k === undefined || typeof c.k === 'object') ? c : null;
  } catch {
    return null;
  }
}

/** Reads for auditors: receipts by index, running totals, alerts. Never a table scan. */
export class AuditRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { receipts: string; ledger: string },
  ) {}

  /**
   * Walks the plan's partitions newest first, keeping receipts that pass `keep`, until
   * `limit` are found (or, without a limit, to the end, page by page for streaming).
   */
  async *receipts(
    plan: QueryPlan,
    keep: (r: StoredReceipt) => boolean,
    start: Cursor = { p: 0 },
  ): AsyncGenerator<{ receipt: StoredReceipt; cursor: string | null }> {
    let cursor: Cursor | null = start;
    while (cursor && cursor.p < plan.partitions.length) {
      const page: QueryCommandOutput = await this.db.send(
        new QueryCommand({
          TableName: this.tables.receipts,
          IndexName: plan.index,
          KeyConditionExpression: `${plan.partitionKey} = :p AND issuedSk BETWEEN :from AND :to`,
          ExpressionAttributeValues: {
            ':p': plan.partitions[cursor.p],
            ':from': plan.from,
            ':to': `${plan.to}~`,
          },
          ScanIndexForward: false,
          ExclusiveStartKey: cursor.k,
          Limit: 200,
        }),
      );
      const rows = page.Items ?? [];
      const receipts: (StoredReceipt | undefined)[] =
        plan.index === 'by-item'
          ? await this.receiptsOf(rows)
          : rows.map((r) => stripKeys(r) as unknown as StoredReceipt);
      const next: Cursor | null = page.LastEvaluatedKey
        ? { p: cursor.p, k: page.LastEvaluatedKey }
        : { p: cursor.p + 1 };
      for (let i = 0; i < receipts.length; i++) {
        const receipt = receipts[i];
        if (!receipt || !keep(receipt)) continue;
        // Resuming after this receipt: its own key, in the index's key shape.
        const row = rows[i]!;
        const key = {
          pk: row.pk,
          sk: row.sk,
          issuedSk: row.issuedSk,
          [plan.partitionKey]: row[plan.partitionKey],
        };
        yield { receipt, cursor: encode({ p: cursor.p, k: key }) };
      }
      cursor = next.p < plan.partitions.length ? next : null;
    }
  }

  /** The receipts that item-index rows point at, aligned with the rows. */
  private async receiptsOf(rows: Record<string, unknown>[]): Promise<(StoredReceipt | undefined)[]> {
    const byPk = new Map<string, StoredReceipt>();
    for (let i = 0; i < rows.length; i += 100) {
      const keys = rows.slice(i, i + 100).map((r) => ({ pk: r.pk, sk: 'RECEIPT' }));
      let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
        [this.tables.receipts]: { Keys: keys },
      };
      while (request && Object.keys(request).length) {
        const out = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of out.Responses?.[this.tables.receipts] ?? [])
          byPk.set(item.pk as string, stripKeys(item) as unknown as StoredReceipt);
        request = out.UnprocessedKeys as typeof request;
      }
    }
    return rows.map((r) => byPk.get(r.pk as string));
  }

  /** Totals rows of the days from..to (inclusive), from the running totals. */
  async totals(from: string, to: string): Promise<TotalsRow[]> {
    const years: string[] = [];
    for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++)
      years.push(String(year));
    const rows = await Promise.all(
      years.map((year) =>
        queryAll<TotalsRow>(this.db, {
          TableName: this.tables.ledger,
          KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':p': `STATS#${year}`, ':from': from, ':to': `${to}~` },
        }),
      ),
    );
    return rows.flat();
  }

  /** This year's running totals of some departments and items (for the alert rules). */
  async yearTotals(year: string, keys: string[]): Promise<Map<string, Totals>> {
    const unique = [...new Set(keys)];
    const out = await this.db.send(
      new BatchGetCommand({
        RequestItems: {
          [this.tables.ledger]: { Keys: unique.map((k) => ({ pk: `STATS#${year}`, sk: `${year}#${k}` })) },
        },
      }),
    );
    const found = new Map<string, Totals>(unique.map((k) => [k, ZERO]));
    for (const item of out.Responses?.[this.tables.ledger] ?? [])
      found.set(item.key as string, stripKeys(item) as unknown as Totals);
    return found;
  }

  /** Counts a refused charge in its department's hour and returns the count so far. */
  async countRefusal(department: string, at: string): Promise<number> {
    const out = await this.db.send(
      new UpdateCommand({
        TableName: this.tables.ledger,
        Key: { pk: `REFUSALS#${department}`, sk: at.slice(0, 13) },
        UpdateExpression: 'ADD refusals :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.refusals ?? 0);
  }

  /** Stores an alert once: a second finding with the same key is the same alert. */
  async raise(draft: AlertDraft, at: Date): Promise<void> {
    const alert: StoredAlert = { ...draft, id: newId(at), at: at.toISOString() };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tables.ledger,
          Item: {
            pk: `ALERT#${draft.key}`,
            sk: 'ALERT',
            ...monthListingKeys('ALERTS', alert.at, alert.id),
            ...alert,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
    }
  }

  /** Rows of the listing index for the months of from..to, newest first (alerts or events). */
  async listing<T>(prefix: 'ALERTS' | 'EVENTS', from: string, to: string): Promise<T[]> {
    const months = await Promise.all(
      monthsDescending(from, to).map((month) =>
        queryAll<T>(this.db, {
          TableName: this.tables.ledger,
          IndexName: 'listing',
          KeyConditionExpression: 'gsi1pk = :p AND gsi1sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':p': `${prefix}#${month}`, ':from': from, ':to': `${to}~` },
          ScanIndexForward: false,
        }),
      ),
    );
    return months.flat();
  }
}

/** yyyy-mm of every month from..to (ISO instants or dates), newest first. */
export function monthsDescending(from: string, to: string): string[] {
  const months: string[] = [];
  let y = Number(to.slice(0, 4));
  let m = Number(to.slice(5, 7));
  const stop = from.slice(0, 7);
  for (;;) {
    const month = `${y}-${String(m).padStart(2, '0')}`;
    if (month < stop) break;
    months.push(month);
    if (--m === 0) {
      m = 12;
      y--;
    }
  }
  return months;
}
