import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { type IsoDate, shiftDays } from '../../core/dates.js';
import {
  lastClosedDay,
  OPEN_DAYS,
  sumByKey,
  type Totals,
  type TotalsKey,
  type TotalsRow,
} from '../../core/totals.js';
import { closedDaysKey, totalsPartition } from './keys.js';
import { queryAll } from './query.js';
import { closedDaysItem, totalsRowsOf } from './totals-rows.js';

/** The days read beside the closed-days row: the open ones and a day more, for a row one day behind. */
const RECENT_DAYS = OPEN_DAYS + 1;

/**
 * A department's totals of the year of `today` up to it, its own and its items': the sum of its
 * day rows (core/totals.ts lastClosedDay). One query reads the last few days' rows and the row
 * that sums the days before them; when that row is behind (the first read of a year, or of a
 * department quiet for days), the days between are read too, and the row is brought forward to
 * the last closed day, a conditional put that a concurrent read may win (both sums are the same).
 * Item rows written one per key before days were stored a department at a time are not the
 * department's and stay out: the alert rules' item averages start from the folded rows.
 */
export async function yearTotals(
  db: DynamoDBDocumentClient,
  table: string,
  department: string,
  today: IsoDate,
): Promise<Map<TotalsKey, Totals>> {
  const year = today.slice(0, 4);
  const closedSk = closedDaysKey(year, department).sk;
  const days = (from: string, to: string) =>
    queryAll<Record<string, unknown>>(db, {
      TableName: table,
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
      FilterExpression: '#k = :k',
      ExpressionAttributeNames: { '#k': 'key' },
      ExpressionAttributeValues: {
        ':p': totalsPartition(year),
        ':from': from,
        ':to': to,
        ':k': `DEPT#${department}`,
      },
    });
  const recentFrom = [shiftDays(today, -RECENT_DAYS), `${year}-01-01`].sort()[1]!;
  const rows = await days(recentFrom, closedSk);
  const closedRow = rows.find((r) => r.through !== undefined);
  const through = (closedRow?.through as IsoDate | undefined) ?? `${Number(year) - 1}-12-31`;
  const daysAfter = (rows: Record<string, unknown>[], after: IsoDate) =>
    rows.filter((r) => r.through === undefined && (r.day as string) > after).flatMap(totalsRowsOf);
  let recent = daysAfter(rows, through);
  if (through < shiftDays(recentFrom, -1))
    recent = [
      ...daysAfter(await days(shiftDays(through, 1), `${shiftDays(recentFrom, -1)}~`), through),
      ...recent,
    ];

  const closed: TotalsRow[] = closedRow ? totalsRowsOf(closedRow) : [];
  const closable = lastClosedDay(year, today);
  if (closable && closable > through) {
    const sums = sumByKey([...closed, ...recent.filter((r) => r.day <= closable)]);
    const items = [...sums].flatMap(([key, t]) =>
      key.startsWith('ITEM#') ? [[key.slice(5), t] as const] : [],
    );
    const totals = sums.get(`DEPT#${department}`);
    if (totals)
      await bringForward(db, table, { day: year, department, totals, items: new Map(items) }, closable);
  }
  return sumByKey([...closed, ...recent]);
}

async function bringForward(
  db: DynamoDBDocumentClient,
  table: string,
  sums: Parameters<typeof closedDaysItem>[0],
  through: IsoDate,
) {
  try {
    await db.send(
      new PutCommand({
        TableName: table,
        Item: closedDaysItem(sums, through),
        ConditionExpression: 'attribute_not_exists(pk) OR through < :through',
        ExpressionAttributeValues: { ':through': through },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}
