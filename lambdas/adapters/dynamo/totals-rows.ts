import type { IsoDate } from '../../core/dates.js';
import {
  type DepartmentTotals,
  rowsOf,
  type Totals,
  type TotalsKey,
  type TotalsRow,
  ZERO,
} from '../../core/totals.js';
import { closedDaysKey, totalsKey } from './keys.js';
import type { TransactItem } from './transactions.js';

/**
 * The running totals in the ledger (core/totals.ts DepartmentTotals): a department's row of a
 * day (keys.ts totalsKey(day, `DEPT#department`)), or of a year's closed days, has the
 * department's four counters by name and each item's as `I#<item code>#ic|ia|rc|ra`, short
 * because a row's size is what a write of it costs (a department's row stays under 1 KB up to
 * 25 items, reversals aside: test/integration/totals-rows.test.ts).
 * Rows written one per key before (`ITEM#<code>` rows) read as they are.
 */
const ITEM_FIELDS = {
  ic: 'issuedCount',
  ia: 'issuedAmount',
  rc: 'reversedCount',
  ra: 'reversedAmount',
} as const satisfies Record<string, keyof Totals>;
type Short = keyof typeof ITEM_FIELDS;

const ITEM_ATTRIBUTE = /^I#(.+)#(ic|ia|rc|ra)$/;

/** A department's counters and its items' as the row's attributes (an item's zeros left out). */
function counterAttributes(d: DepartmentTotals): Record<string, number> {
  const attributes: Record<string, number> = { ...d.totals };
  for (const [code, totals] of d.items)
    for (const [short, field] of Object.entries(ITEM_FIELDS))
      if (totals[field] !== 0) attributes[`I#${code}#${short}`] = totals[field]; // absent reads as 0
  return attributes;
}

/**
 * The update that adds a department's day to its row, created on first use. Its expression
 * grows with the items, and stays far under DynamoDB's 4 KB: each item a receipt charges past
 * its first is also a write of its own, so the 100 writes of a transaction stop a batch first
 * (the fullest, three receipts of 25 items, is 1.2 KB: totals-rows.test.ts).
 */
export function totalsUpdate(table: string, d: DepartmentTotals): TransactItem {
  const names: Record<string, string> = { '#d': 'day', '#k': 'key' };
  const values: Record<string, unknown> = { ':day': d.day, ':key': `DEPT#${d.department}` };
  const adds = Object.entries(counterAttributes(d)).map(([name, value], n) => {
    names[`#a${n}`] = name;
    values[`:a${n}`] = value;
    return `#a${n} :a${n}`;
  });
  return {
    Update: {
      TableName: table,
      Key: totalsKey(d.day, `DEPT#${d.department}`),
      UpdateExpression: `SET #d = :day, #k = :key ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** The row of a department's year summed through its closed day `through` (keys.ts closedDaysKey). */
export const closedDaysItem = (d: DepartmentTotals, through: IsoDate) => ({
  ...closedDaysKey(d.day, d.department),
  day: d.day,
  key: `DEPT#${d.department}`,
  through,
  ...counterAttributes(d),
});

/**
 * The totals rows a stored row holds: a department's row, its own and its items'
 * (core/totals.ts rowsOf); a row written one per key before, its key's.
 */
export function totalsRowsOf(item: Record<string, unknown>): TotalsRow[] {
  const day = item.day as string;
  const key = item.key as TotalsKey;
  const counter = (name: keyof Totals) => Number(item[name] ?? 0);
  const totals: Totals = {
    issuedCount: counter('issuedCount'),
    issuedAmount: counter('issuedAmount'),
    reversedCount: counter('reversedCount'),
    reversedAmount: counter('reversedAmount'),
  };
  if (!key.startsWith('DEPT#')) return [{ day, key, ...totals }];
  const items = new Map<string, Totals>();
  for (const [name, value] of Object.entries(item)) {
    const match = ITEM_ATTRIBUTE.exec(name);
    if (!match) continue;
    const [, code, short] = match as unknown as [string, string, Short];
    const sum = items.get(code) ?? { ...ZERO };
    sum[ITEM_FIELDS[short]] += Number(value);
    items.set(code, sum);
  }
  return rowsOf({ day, department: key.slice(5), totals, items });
}
