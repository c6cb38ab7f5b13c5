import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { type IsoDate, shiftDays } from '../../core/dates.js';
import {
  foldRows,
  lastClosedDay,
  OPEN_DAYS,
  sumByKey,
  type Totals,
  type TotalsKey,
  type TotalsRow,
} from '../../core/totals.js';
import { closedDaysKey, totalsKey, totalsPartition } from './keys.js';
import { queryAll, rowsByKey } from './query.js';
import { closedDaysItem, totalsRowsOf } from './totals-rows.js';

/** The days read beside the closed-days row: the open ones and a day more, for a row one day behind. */
const RECENT_DAYS = OPEN_DAYS + 1;

/**
 * A department's totals of the year of `today` up to it, its own and its items': the sum of its
 * day rows (core/totals.ts lastClosedDay). One read by key takes the row that sums the closed days
 * and the department's rows of the last few days; when that row is behind (the first read of a
 * year, or of a department quiet for days), the days between are queried too, and the row is
 * brought forward to the last closed day, a conditional put that a concurrent read may win (both
 * sums are the same). Item rows written one per key before days were stored a department at a
 * time are not the department's and stay out: the alert rules' item averages start from the
 * folded rows.
 */
export async function yearTotals(
  db: DynamoDBDocumentClient,
  table: string,
  department: string,
  today: IsoDate,
): Promise<Map<TotalsKey, Totals>> {
  const year = today.slice(0, 4);
  const key = `DEPT#${department}`;
  const firstDay = `${year}-01-01`;
  const recent = Array.from({ length: RECENT_DAYS + 1 }, (_, i) => shiftDays(today, -i)).filter(
    (d) => d >= firstDay,
  );
  const rows = await rowsByKey(db, table, [
    closedDaysKey(year, department),
    ...recent.map((d) => totalsKey(d, key)),
  ]);
  const closedRow = rows.find((r) => r.through !== undefined);
  const through = (closedRow?.through as IsoDate | undefined) ?? shiftDays(firstDay, -1);
  const dayRows = rows.filter((r) => r !== closedRow);
  const beforeRecent = shiftDays(recent.at(-1) ?? today, -1);
  if (through < beforeRecent)
    dayRows.push(
      ...(await queryAll<Record<string, unknown>>(db, {
        TableName: table,
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
        FilterExpression: '#k = :k',
        ExpressionAttributeNames: { '#k': 'key' },
        ExpressionAttributeValues: {
          ':p': totalsPartition(year),
          ':from': shiftDays(through, 1),
          ':to': `${beforeRecent}~`,
          ':k': key,
        },
      })),
    );
  const since = dayRows.filter((r) => (r.day as string) > through).flatMap(totalsRowsOf);
  const closed: TotalsRow[] = closedRow ? totalsRowsOf(closedRow) : [];

  const closable = lastClosedDay(year, today);
  if (closable && closable > through) {
    // Written with zeros too: a department whose closed days charged nothing reads no gap again.
    const sums = foldRows(year, department, [...closed, ...since.filter((r) => r.day <= closable)]);
    await bringForward(db, table, sums, closable);
  }
  return sumByKey([...closed, ...since]);
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
