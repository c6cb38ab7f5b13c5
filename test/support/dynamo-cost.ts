/**
 * What issuing costs DynamoDB, measured on DynamoDB Local (test/integration/issuing-cost.test.ts,
 * and `npm run bench`, which prints it): every request an issuance sends (counted by a middleware
 * on the service's client, within the issuance's async context, so the log sequencer's and other
 * background requests stay out), the write units DynamoDB Local reports for them
 * (ReturnConsumedCapacity INDEXES), and the write units they cost in AWS, priced from the real
 * sizes of the rows written by DynamoDB's rules: a transactional write 2 WRU per started KB of
 * the item, a plain one 1, an index entry 1 per started KB of what the index projects
 * (runtime/tables.ts), an update that changes no key or projected attribute of an index nothing
 * there. docs/speed.md and docs/deployment.md quote the figures.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { getDeps } from '../../lambdas/app/deps.js';
import { issueReceipt } from '../../lambdas/app/issuing.js';
import { issueReceiptRequest } from '../../lambdas/core/schemas.js';
import { PARTITION_KEY, SORT_KEY, TABLES, type TableDefinition } from '../../lambdas/runtime/tables.js';
import { itemSize } from './item-size.js';
import { newKey, registrationCharge } from './receipts.js';

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

export interface DynamoCost {
  requests: number;
  /** Write units in AWS, priced from the rows written. */
  wru: number;
  /** Write units DynamoDB Local reported (its own accounting). */
  localWru: number;
  /** Each write and request, priced. */
  lines: string[];
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

/** Clients that count already. */
const counted = new WeakSet<object>();

/** Counts, from now on, the requests the service's client sends within `measure`. */
export function counting() {
  const { db } = getDeps();
  if (counted.has(db)) return;
  counted.add(db);
  db.middlewareStack.add(
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
    { step: 'initialize', name: 'issuing-cost' },
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

/** What `work` sends DynamoDB: its requests, their write units in AWS and as DynamoDB Local reports them. */
export async function measure(work: () => Promise<unknown>): Promise<DynamoCost> {
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

export const costCollector = { username: 'cost-collector', department: 'ZRZY' };
/** A charge of the demo catalogue, issued through the app (no HTTP), as a function to measure. */
export const charge = (overrides: Record<string, unknown> = {}) => {
  const body = registrationCharge(overrides);
  return () => issueReceipt(getDeps(), costCollector, newKey(), body, issueReceiptRequest.parse(body));
};
