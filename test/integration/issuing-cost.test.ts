/**
 * What one receipt costs DynamoDB, measured on DynamoDB Local: every request an issuance sends
 * (counted by a middleware on the service's client, within the issuance's async context, so the
 * log sequencer's and other background requests stay out), the write units DynamoDB Local
 * reports for them (ReturnConsumedCapacity INDEXES), and the write units they cost in AWS, priced
 * from the real sizes of the rows written by DynamoDB's rules: a transactional write 2 WRU per
 * started KB of the item, a plain one 1, an index entry 1 per started KB of what the index
 * projects (runtime/tables.ts), an update that changes no key or projected attribute of an index
 * nothing there. docs/speed.md and docs/deployment.md quote the figures this test prints.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getDeps } from '../../lambdas/app/deps.js';
import { issueReceipt, reverseReceipt } from '../../lambdas/app/issuing.js';
import { issueReceiptRequest } from '../../lambdas/core/schemas.js';
import { PARTITION_KEY, SORT_KEY, TABLES, type TableDefinition } from '../../lambdas/runtime/tables.js';
import { itemSize } from '../support/item-size.js';
import { newKey, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => svc?.stop());

type Row = Record<string, unknown>;
interface Write {
  table: string;
  transactional: boolean;
  key: Row;
  /** A put's item; an update's changed attributes (after it, the row is read back). */
  item?: Row;
  touched?: string[];
}
interface Request {
  command: string;
  writes: Write[];
  /** Write units DynamoDB Local reported: table and indexes. */
  localWru: number;
}

const context = new AsyncLocalStorage<Request[]>();

/** The attribute names an update expression sets, adds or removes. */
function touched(expression: string, names: Record<string, string> = {}): string[] {
  const out: string[] = [];
  for (const [, verb, body] of expression.matchAll(
    /\b(SET|REMOVE|ADD|DELETE)\s+(.*?)(?=\s+\b(?:SET|REMOVE|ADD|DELETE)\b|$)/gs,
  ))
    for (const part of body!.split(',')) {
      const name = (verb === 'SET' ? part.split('=')[0]! : part).trim().split(/\s+/)[0]!;
      out.push(names[name] ?? name);
    }
  return out;
}

function writesOf(command: string, input: Row): Write[] {
  // The document client's own middleware marshals before or after this one.
  const plain = (row: Row) => (typeof row.pk === 'string' ? row : unmarshall(row as never));
  const write = (op: Row, transactional: boolean, kind: string): Write => {
    const table = op.TableName as string;
    if (kind === 'Put') {
      const item = plain(op.Item as Row);
      return { table, transactional, key: { pk: item.pk, sk: item.sk }, item };
    }
    const key = plain(op.Key as Row);
    const names = op.ExpressionAttributeNames as Record<string, string> | undefined;
    return { table, transactional, key, touched: touched((op.UpdateExpression as string) ?? '', names) };
  };
  if (command === 'TransactWriteItemsCommand')
    return (input.TransactItems as Row[]).flatMap((t) =>
      Object.entries(t)
        .filter(([kind]) => kind === 'Put' || kind === 'Update')
        .map(([kind, op]) => write(op as Row, true, kind)),
    );
  if (command === 'PutItemCommand') return [write(input, false, 'Put')];
  if (command === 'UpdateItemCommand') return [write(input, false, 'Update')];
  if (command === 'BatchWriteItemCommand') throw new Error('an issuance sends no batch writes');
  return [];
}

function counting() {
  const name = 'issuing-cost';
  getDeps().db.middlewareStack.add(
    (next, ctx) => async (args) => {
      const requests = context.getStore();
      if (!requests) return next(args);
      const input = args.input as Row;
      input.ReturnConsumedCapacity = 'INDEXES';
      const out = await next(args);
      const consumed = [(out.output as Row).ConsumedCapacity ?? []].flat() as {
        WriteCapacityUnits?: number;
      }[];
      requests.push({
        command: ctx.commandName!,
        writes: writesOf(ctx.commandName!, input),
        localWru: consumed.reduce((n, c) => n + (c.WriteCapacityUnits ?? 0), 0),
      });
      return out;
    },
    { step: 'initialize', name },
  );
}

const started = (bytes: number) => Math.ceil(bytes / 1024);

/** What a write costs in AWS, the row read back after the issuance. */
async function awsWru(w: Write, definitions: Map<string, TableDefinition>) {
  const deps = getDeps();
  const row =
    w.item ??
    ((await deps.db.send(new GetCommand({ TableName: w.table, Key: w.key, ConsistentRead: true })))
      .Item as Row);
  const base = (w.transactional ? 2 : 1) * started(itemSize(row));
  let indexes = 0;
  for (const index of definitions.get(w.table)?.indexes ?? []) {
    const keyAttrs = [PARTITION_KEY, SORT_KEY, index.partitionKey, index.sortKey];
    const entry = Object.fromEntries(keyAttrs.map((a) => [a, row[a]]));
    const entrySize = index.projection === 'KEYS_ONLY' ? itemSize(entry) : itemSize(row);
    const inIndex = row[index.partitionKey] !== undefined && row[index.sortKey] !== undefined;
    if (w.item) indexes += inIndex ? started(entrySize) : 0;
    else if (w.touched!.some((a) => a === index.partitionKey || a === index.sortKey))
      indexes += started(entrySize); // entered or left the index (an entry that only leaves costs 1)
    else if (inIndex && index.projection !== 'KEYS_ONLY') indexes += started(entrySize);
  }
  return { base, indexes };
}

async function measure(work: () => Promise<unknown>) {
  const requests: Request[] = [];
  await context.run(requests, work);
  const config = getDeps().config;
  const definitions = new Map(TABLES.map((t) => [config.tables[t.id], t]));
  let wru = 0;
  const lines: string[] = [];
  for (const r of requests) {
    let units = 0;
    for (const w of r.writes) {
      const { base, indexes } = await awsWru(w, definitions);
      units += base + indexes;
      lines.push(
        `  ${w.table.replace(/^[^-]+-/, '')} ${w.key.pk}/${w.key.sk} ${w.item ? 'put' : 'update'}: ${base}+${indexes}`,
      );
    }
    wru += units;
    lines.push(
      `${r.command} (${r.writes.length} writes): ${units} WRU in AWS, ${r.localWru} reported by DynamoDB Local`,
    );
  }
  return { requests: requests.length, wru, localWru: requests.reduce((n, r) => n + r.localWru, 0), lines };
}

const collector = { username: 'cost-collector', department: 'ZRZY' };
const charge = (overrides: Record<string, unknown> = {}) => {
  const body = registrationCharge(overrides);
  return () => issueReceipt(getDeps(), collector, newKey(), body, issueReceiptRequest.parse(body));
};

it('a receipt costs DynamoDB two requests (three when its catalogue or totals are not held) and 26 WRU in AWS, 3 more with an alert', async () => {
  counting();
  await charge()(); // the range opened, the font and keys loaded
  const cold = await measure(charge()); // the catalogue and the year's totals already read: within their TTL
  const figures = [];
  for (let i = 0; i < 3; i++) figures.push(await measure(charge()));
  // Without a payer ID number, the receipt is in one index fewer.
  const noId = await measure(charge({ payer: { type: 'person', name: '李四' } }));
  const original = await charge()();
  const red = await measure(() =>
    reverseReceipt(getDeps(), collector, newKey(), original.receipt, 'cost of a reversal'),
  );
  const report = { warm: figures[0], noPayerId: noId, reversal: red };
  console.log('one receipt, DynamoDB:', JSON.stringify(report, null, 1));
  expect(cold.requests).toBeLessThanOrEqual(3);
  for (const f of figures) {
    // Taking the number, completing (the alert with it): the catalogue and totals from the caches.
    expect(f.requests).toBe(2);
    // 17 to take the number (4 of them the running totals: the department's day and year
    // rows), 9 to complete (the check row under 1 KB: receipt-copy.ts), 3 for the
    // outside-office-hours alert that a run at night raises (the test does not pick its hour).
    expect(f.wru).toBeLessThanOrEqual(29);
  }
  expect(noId.wru).toBe(figures[0]!.wru - 1); // one index entry fewer
});
