import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import {
  checksKey,
  LOG_ENTRY_PK_PREFIX,
  LOG_HEAD_KEY,
  LOG_QUEUE_PK,
  LOG_RANGE_PK_PREFIX,
  listingMonthsKey,
  logIndexBlockKey,
  RECEIPT_LOG_ENTRY,
  receiptKey,
} from '../../lambdas/adapters/dynamo/keys.js';
import { encodeCopy, storedCopy } from '../../lambdas/adapters/dynamo/receipt-copy.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { loggedReceipt } from '../../lambdas/core/tlog/receipt-inclusion.js';

/** How long any single request may take before the test calls it a hang. */
export const REQUEST_TIMEOUT_MS = 15_000;

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected freely
  body: any;
  text: string;
  bytes: Buffer;
}

export interface Call {
  method: string;
  path: string;
  token?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  contentType?: string;
}

/** One HTTP request with a deadline: a hang fails the test instead of stalling it. */
export async function call(baseUrl: string, c: Call, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer> {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  if (c.contentType !== undefined) headers['content-type'] = c.contentType;
  const res = await fetch(baseUrl + c.path, {
    method: c.method,
    headers,
    body: c.body as BodyInit | undefined,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = { unparsable: text };
    }
  }
  return { status: res.status, headers: res.headers, body, text, bytes };
}

/** The API's error shape: `{ error, message, details }`, nothing else at the top. */
export function expectErrorShape(res: Answer, context = '') {
  const where = `${context} -> ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.headers.get('content-type') ?? '', where).toContain('application/json');
  expect(typeof res.body, where).toBe('object');
  expect(typeof res.body.error, where).toBe('string');
  expect(res.body.error.length, where).toBeGreaterThan(0);
  expect(typeof res.body.message, where).toBe('string');
  expect(Array.isArray(res.body.details), where).toBe(true);
}

/** A refusal: a 4xx in the error shape. Never a 5xx. */
export function expectRefused(res: Answer, context = '') {
  expect(res.status, `${context} -> ${res.status} ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${context} -> ${res.status} ${res.text.slice(0, 300)}`).toBeLessThan(500);
  expectErrorShape(res, context);
}

function stable(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${createHash('sha256').update(value).digest('hex')}`;
  if (value instanceof Set) return [...value].map(stable).sort();
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, stable((value as Record<string, unknown>)[k])]),
    );
  return value;
}

export interface Row {
  table: string;
  key: string;
  item: Record<string, unknown>;
  json: string;
}

/** Every row of the service's three tables (its own prefix), keyed by table, pk and sk. */
export async function snapshotTables(): Promise<Map<string, Row>> {
  const { db, config, checks } = getDeps();
  // Check counts of earlier requests are written later (check-repo.ts): write them now, so that
  // they do not land between two snapshots as if the request under test had written them.
  await checks.flush();
  const rows = new Map<string, Row>();
  for (const table of Object.values(config.tables)) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new ScanCommand({ TableName: table, ExclusiveStartKey, ConsistentRead: true }),
      );
      for (const item of page.Items ?? []) {
        const key = `${table}|${String(item.pk)}|${String(item.sk)}`;
        rows.set(key, { table, key, item, json: JSON.stringify(stable(item)) });
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  return rows;
}

export interface TableDiff {
  added: Row[];
  removed: string[];
  changed: string[];
  /** How much the hourly refusal counters (REFUSALS#...) went up in all. */
  counterIncrease?: number;
}

/**
 * The transparency log's sequencer runs in the background: between two snapshots it may move
 * entries into a batch item (LOG#<bundle>/<first index>): entries queued before the first
 * snapshot (LOGQ rows, listed in the batch's `queued`) and entries completion had left on
 * receipt rows before it (`logEntry`); raise LOGHEAD (and set or clear its `cleanup`), delete
 * the moved LOGQ rows, move ranges' watermarks (LOGRANGE# rows: `below` raised, the allocation's
 * flag cleared) and give each moved receipt its index on its index-block row (receipts table,
 * LOGINDEX#code#block). Those moves are not writes of the request under test; a batch holding an
 * entry queued or left in between is. A snapshot is not atomic (one scan after another), so a
 * move may also show half in the first (the batch there, its queue rows still there or its
 * index-block rows not yet, or partly, written).
 */
function sequencerMoves(before: Map<string, Row>, after: Map<string, Row>): Set<string> {
  const moves = new Set<string>();
  const { receipts } = getDeps().config.tables;
  const queueKey = (table: string, sk: unknown) => `${table}|${LOG_QUEUE_PK}|${String(sk)}`;
  const hex = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('hex');
  // What could be sequenced from the first snapshot: its queue items' entries and the entries left on its receipt rows.
  const ready = new Set<string>();
  for (const { item } of before.values())
    if (item.pk === LOG_QUEUE_PK) ready.add(hex(item.entry));
    else if (item[RECEIPT_LOG_ENTRY]) ready.add(hex(item[RECEIPT_LOG_ENTRY]));
  const batches = [...after.entries()]
    .filter(([, row]) => String(row.item.pk).startsWith(LOG_ENTRY_PK_PREFIX))
    .map(([key, row]) => ({
      key,
      row,
      queued: (row.item.queued ?? []) as string[],
      entries: (row.item.entries ?? []) as Uint8Array[],
    }));
  // Sequenced before (the batch in the first snapshot) or moved from what was ready then.
  const moved = batches.filter(
    (b) =>
      before.has(b.key) ||
      (b.queued.every((sk) => before.has(queueKey(b.row.table, sk))) &&
        b.entries.every((e) => ready.has(hex(e)))),
  );
  for (const b of moved) moves.add(b.key);
  // A queue row that a batch lists is sequenced: its deletion is the sequencer's cleanup.
  for (const b of batches) for (const sk of b.queued) moves.add(queueKey(b.row.table, sk));
  const head = [...after.values()].find((r) => r.item.pk === LOG_HEAD_KEY.pk);
  const [from, to] = [Number(before.get(head?.key ?? '')?.item.size ?? 0), Number(head?.item.size ?? 0)];
  const grownBy = moved
    .filter((b) => Number(b.row.item.sk) >= from)
    .reduce((n, b) => n + b.entries.length, 0);
  if (head && to - from === grownBy) moves.add(head.key);
  // A range's watermark the sequencer moved: a row of the first snapshot changed, or one made with `below` alone.
  for (const [key, row] of after)
    if (
      String(row.item.pk).startsWith(LOG_RANGE_PK_PREFIX) &&
      (before.has(key) || !row.item.allocationQueued)
    )
      moves.add(key);
  // A receipt entry moved also gives its number its index on its index-block row: the row
  // (new, or as before) gains attributes, each a moved receipt's number with its index; nothing else.
  const given = new Map<string, Map<string, number>>(); // index-block row -> number -> index
  for (const b of moved)
    b.entries.forEach((entry, i) => {
      const receipt = loggedReceipt(entry);
      if (!receipt) return;
      const k = logIndexBlockKey(receipt);
      const row = `${receipts}|${k.pk}|${k.sk}`;
      given.set(row, (given.get(row) ?? new Map()).set(receipt.number, Number(b.row.item.sk) + i));
    });
  for (const [row, numbers] of given) {
    const [was, now] = [before.get(row)?.item ?? {}, after.get(row)?.item];
    if (!now) continue;
    const kept = Object.keys(was).every((a) => JSON.stringify(was[a]) === JSON.stringify(now[a]));
    const added = Object.keys(now).filter((a) => !(a in was) && a !== 'pk' && a !== 'sk');
    if (kept && added.every((a) => numbers.get(a) === now[a])) moves.add(row);
  }
  return moves;
}

export function diffTables(before: Map<string, Row>, after: Map<string, Row>): TableDiff {
  const moves = sequencerMoves(before, after);
  const added: Row[] = [];
  const changed: string[] = [];
  for (const [key, row] of after) {
    if (moves.has(key)) continue;
    const was = before.get(key);
    if (!was) added.push(row);
    else if (was.json !== row.json) changed.push(key);
  }
  const removed = [...before.keys()].filter((k) => !after.has(k) && !moves.has(k));
  let counterIncrease = 0;
  for (const [key, row] of after)
    if (String(row.item.pk).startsWith('REFUSALS#'))
      counterIncrease += Number(row.item.refusals ?? 0) - Number(before.get(key)?.item.refusals ?? 0);
  return { added, removed, changed, counterIncrease };
}

/**
 * Nothing was written for refused requests. What the design records on purpose for a refusal
 * is allowed, and only for a 422 `charge_rejected` (a charge the catalogue check refused),
 * one set per such answer:
 *   - its `charge.refused` event (a new ledger row EVENT#..., type charge.refused): exactly one each;
 *   - the supervision it triggers: a `charge_refused` alert naming that event (ALERT#charge_refused#<event>),
 *     the department's hourly refusal counter (REFUSALS#<department>, incremented by one each), and
 *     at most one `repeated_refusals` alert per department and hour;
 *   - the alerts' months row (keys.ts listingMonthsKey), which gains the month of the first alert.
 * Anything else added, changed or removed fails.
 */
export function expectNothingWritten(diff: TableDiff, allowed: { chargeRefused: number }, context = '') {
  const { ledger } = getDeps().config.tables;
  const inLedger = (r: Row) => r.table === ledger;
  const refusals = diff.added.filter(
    (r) =>
      inLedger(r) &&
      String(r.item.pk).startsWith('EVENT#') &&
      r.item.sk === 'EVENT' &&
      r.item.type === 'charge.refused',
  );
  const refusalIds = new Set(refusals.map((r) => String(r.item.id)));
  const refusalAlerts = diff.added.filter(
    (r) =>
      inLedger(r) &&
      r.item.sk === 'ALERT' &&
      r.item.rule === 'charge_refused' &&
      String(r.item.pk) === `ALERT#charge_refused#${(r.item.subjects as string[] | undefined)?.[0]}` &&
      refusalIds.has(String((r.item.subjects as string[])[0])),
  );
  const repeated = diff.added.filter(
    (r) => inLedger(r) && r.item.sk === 'ALERT' && r.item.rule === 'repeated_refusals',
  );
  const counterKey = (key: string) => key.startsWith(`${ledger}|REFUSALS#`);
  const months = listingMonthsKey('ALERTS');
  const monthsKey = (key: string) => refusals.length > 0 && key === `${ledger}|${months.pk}|${months.sk}`;
  const counters = diff.added.filter((r) => counterKey(r.key));
  const monthsRow = diff.added.filter((r) => monthsKey(r.key));
  const allowedRows = new Set([...refusals, ...refusalAlerts, ...repeated, ...counters, ...monthsRow]);
  const other = diff.added.filter((r) => !allowedRows.has(r));
  expect(
    other.map((r) => `${r.key} ${r.json.slice(0, 200)}`),
    `${context}: rows added by refused requests`,
  ).toEqual([]);
  expect(
    diff.changed.filter((k) => !counterKey(k) && !monthsKey(k)),
    `${context}: rows changed by refused requests`,
  ).toEqual([]);
  expect(diff.removed, `${context}: rows removed by refused requests`).toEqual([]);
  expect(refusals.length, `${context}: charge.refused events vs 422 charge_rejected answers`).toBe(
    allowed.chargeRefused,
  );
  expect(refusalAlerts.length, `${context}: charge_refused alerts`).toBeLessThanOrEqual(
    allowed.chargeRefused,
  );
  expect(new Set(repeated.map((r) => r.key)).size).toBe(repeated.length);
  if (allowed.chargeRefused === 0)
    expect(
      repeated.map((r) => r.key),
      `${context}: alerts`,
    ).toEqual([]);
  if (counters.length > 0 || diff.changed.some(counterKey))
    expect(diff.counterIncrease, `${context}: refusal counters vs 422 charge_rejected answers`).toBe(
      allowed.chargeRefused,
    );
}

// biome-ignore lint/suspicious/noExplicitAny: a stored receipt, changed in place
export type Change = (receipt: any) => void;

/**
 * Changes a stored receipt as an intruder with write access to the table would: its RECEIPT row
 * (staff and audit reads, PDF checks) or the copy in its CHECKS row (public checks).
 */
export async function tamper(
  receipt: { code: string; number: string },
  sk: 'RECEIPT' | 'CHECKS',
  change: Change,
) {
  const { db, config } = getDeps();
  const Key = sk === 'RECEIPT' ? receiptKey(receipt) : checksKey(receipt);
  const row = (await db.send(new GetCommand({ TableName: config.tables.receipts, Key }))).Item!;
  if (sk === 'RECEIPT') change(row);
  else {
    const copy = storedCopy(row)!.parse();
    change(copy);
    row.copy = encodeCopy(copy);
  }
  await db.send(new PutCommand({ TableName: config.tables.receipts, Item: row }));
}
