import type { z } from 'zod';
import { csvWriter } from '../adapters/csv.js';
import {
  type Cursor,
  decodeCursor,
  monthsDescending,
  type QueryPlan,
  type StoredAlert,
} from '../adapters/dynamo/audit-repo.js';
import { newEvent, recordEvent } from '../adapters/dynamo/events.js';
import { getDeps } from '../app/deps.js';
import { dateInZone } from '../core/dates.js';
import { badRequest } from '../core/errors.js';
import { formatYuan } from '../core/money.js';
import type { LedgerEvent, StoredReceipt } from '../core/ports.js';
import { linesInYuan } from '../core/receipt.js';
import type { auditExportQuery, auditListQuery } from '../core/schemas.js';
import { groupTotals } from '../core/totals.js';
import { groupHandler } from './http/group.js';
import { type ApiRequest, json, streamed } from './http/types.js';
import { rangeOut } from './ranges.js';

type Filters = Omit<z.output<typeof auditExportQuery>, 'format'>;

const DAY = 86_400_000;
const shiftDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);

/** The date range of a query: to defaults to today, from to a year before it. */
function dateRange(q: { from?: string; to?: string }) {
  const to = q.to ?? dateInZone(getDeps().now());
  return { from: q.from ?? shiftDays(to, -365), to };
}

/** Bureau-zone dates to the UTC instants that issuedSk holds. */
const startOf = (date: string) => new Date(`${date}T00:00:00+08:00`).toISOString();
const endOf = (date: string) => new Date(`${date}T23:59:59.999+08:00`).toISOString();

/**
 * The access pattern for a query: the most selective filter picks its index (payer ID,
 * payer name, item, department, else the month index across departments); the rest are
 * applied to what that index returns. Never a table scan.
 */
export function planFor(f: Filters): QueryPlan {
  const { from, to } = dateRange(f);
  const base = { from: startOf(from), to: endOf(to) };
  if (f.payerId)
    return { ...base, index: 'by-payer-id', partitionKey: 'payerIdPk', partitions: [`PAYERID#${f.payerId}`] };
  if (f.payerName)
    return {
      ...base,
      index: 'by-payer-name',
      partitionKey: 'payerNamePk',
      partitions: [`PAYER#${f.payerName}`],
    };
  if (f.itemCode)
    return { ...base, index: 'by-item', partitionKey: 'itemPk', partitions: [`ITEM#${f.itemCode}`] };
  if (f.department)
    return { ...base, index: 'by-department', partitionKey: 'deptPk', partitions: [`DEPT#${f.department}`] };
  return {
    ...base,
    index: 'by-month',
    partitionKey: 'monthPk',
    partitions: monthsDescending(from, to).map((m) => `MONTH#${m}`),
  };
}

/** The filters the chosen index did not already apply. */
function matches(f: Filters) {
  return (r: StoredReceipt) =>
    (!f.department || r.department === f.department) &&
    (!f.itemCode || r.lines.some((l) => l.itemCode === f.itemCode)) &&
    (!f.payerName || r.payer.name === f.payerName) &&
    (!f.payerId || r.payer.idNumber === f.payerId) &&
    (f.minAmount === undefined || r.total >= f.minAmount) &&
    (f.maxAmount === undefined || r.total <= f.maxAmount) &&
    (!f.status ||
      (f.status === 'red'
        ? r.kind === 'red'
        : f.status === 'issued'
          ? r.status === 'issued' && r.kind === 'blue'
          : r.status === f.status));
}

/** Auditors see everything, payer included; amounts in yuan. */
function receiptOut(r: StoredReceipt) {
  const { signature: _s, qrSignature: _q, idempotencyKey: _i, ...rest } = r;
  return {
    ...rest,
    total: formatYuan(r.total),
    lines: linesInYuan(r.lines),
  };
}

/** Every audit read is itself recorded: who read what, when. */
async function recordRead(req: ApiRequest) {
  const deps = getDeps();
  await recordEvent(
    deps.db,
    deps.config.tables.ledger,
    newEvent(
      'audit.read',
      req.caller!.username,
      req.route.id,
      { route: req.route.path, query: req.query },
      deps.now(),
    ),
  );
}

const CSV_COLUMNS = [
  'code',
  'number',
  'kind',
  'status',
  'issue_date',
  'issued_at',
  'charge_date',
  'department',
  'collecting_unit',
  'payer_type',
  'payer_name',
  'payer_id_number',
  'line',
  'item_code',
  'item_name',
  'item_version',
  'unit',
  'quantity',
  'standard',
  'line_amount',
  'fund_management',
  'exemption',
  'total',
  'handled_by',
  'remark',
  'reverses',
  'reversed_by',
  'reason',
];
/** The export's own numbers (amounts, counts): written bare, so `-80.00` stays a number (see csvWriter). */
const EXPORT_CSV = csvWriter(CSV_COLUMNS, ['line', 'item_version', 'quantity', 'line_amount', 'total']);

function csvRows(r: StoredReceipt): string {
  const ref = (x?: { code: string; number: string }) => (x ? `${x.code}/${x.number}` : '');
  return EXPORT_CSV.rows(
    r.lines.map((l, i) => [
      r.code,
      r.number,
      r.kind,
      r.status,
      r.issueDate,
      r.issuedAt,
      r.chargeDate,
      r.department,
      r.collectingUnit,
      r.payer.type,
      r.payer.name,
      r.payer.idNumber ?? '',
      String(i + 1),
      l.itemCode,
      l.name,
      String(l.itemVersion),
      l.unit,
      String(l.quantity),
      l.standard,
      formatYuan(l.amount),
      l.fundManagement,
      l.exemption ?? '',
      formatYuan(r.total),
      r.handledBy,
      r.remark ?? '',
      ref(r.reverses),
      ref(r.reversedBy),
      r.reason ?? '',
    ]),
  );
}

/** Pages of a listing (alerts, events) by a cursor that is the last row's sort key. */
function page<T extends { at: string; id: string }>(rows: T[], q: z.output<typeof auditListQuery>) {
  const after = q.cursor ? Buffer.from(q.cursor, 'base64url').toString('utf8') : null;
  const start = after ? rows.findIndex((r) => `${r.at}#${r.id}` < after) : 0;
  const items = start < 0 ? [] : rows.slice(start, start + q.limit);
  const last = items[items.length - 1];
  const more = start >= 0 && start + q.limit < rows.length;
  return { items, cursor: more && last ? Buffer.from(`${last.at}#${last.id}`).toString('base64url') : null };
}

/** The auditors' side: query, totals, export, alerts, history, reconciliation. */
export const handler = groupHandler('audit', {
  auditReceipts: async (req) => {
    const q = req.input.query;
    const start: Cursor | null = q.cursor ? decodeCursor(q.cursor) : { p: 0 };
    if (!start)
      throw badRequest('the cursor is not one this API gave', [
        { path: 'cursor', rule: 'bad_cursor', message: 'cursor is invalid' },
      ]);
    await recordRead(req);
    const items: ReturnType<typeof receiptOut>[] = [];
    let cursor: string | null = null;
    for await (const found of getDeps().audit.receipts(planFor(q), matches(q), start)) {
      items.push(receiptOut(found.receipt));
      cursor = found.cursor;
      if (items.length === q.limit) break;
    }
    return json(200, { count: items.length, items, cursor: items.length === q.limit ? cursor : null });
  },

  auditExport: async (req) => {
    const q = req.input.query;
    await recordRead(req);
    const receipts = getDeps().audit.receipts(planFor(q), matches(q));
    async function* csv() {
      yield EXPORT_CSV.header;
      for await (const { receipt } of receipts) yield csvRows(receipt);
    }
    return streamed('text/csv; charset=utf-8', csv(), {
      'content-disposition': `attachment; filename="feeproof-receipts.csv"`,
    });
  },

  auditStats: async (req) => {
    const q = req.input.query;
    await recordRead(req);
    const groups = groupTotals(await getDeps().audit.totals(q.from, q.to), q.groupBy).map((g) => ({
      group: g.group,
      issuedCount: g.issuedCount,
      issuedAmount: formatYuan(g.issuedAmount),
      reversedCount: g.reversedCount,
      reversedAmount: formatYuan(g.reversedAmount),
      netAmount: formatYuan(g.netAmount),
    }));
    return json(200, { from: q.from, to: q.to, groupBy: q.groupBy, groups });
  },

  auditAlerts: async (req) => {
    const q = req.input.query;
    const { from, to } = dateRange(q);
    await recordRead(req);
    const all = await getDeps().audit.listing<StoredAlert>('ALERTS', startOf(from), endOf(to));
    return json(200, page(q.type ? all.filter((a) => a.rule === q.type) : all, q));
  },

  auditEvents: async (req) => {
    const q = req.input.query;
    const { from, to } = dateRange(q);
    const all = await getDeps().audit.listing<LedgerEvent>('EVENTS', startOf(from), endOf(to));
    await recordRead(req);
    return json(200, page(q.type ? all.filter((e) => e.type === q.type) : all, q));
  },

  auditRanges: async (req) => {
    const deps = getDeps();
    await recordRead(req);
    const [ranges, pending] = await Promise.all([deps.ranges.listRanges(), deps.receipts.pending(1000)]);
    const unfinished = new Map<string, number>();
    for (const p of pending) unfinished.set(p.rangeId, (unfinished.get(p.rangeId) ?? 0) + 1);
    return json(200, {
      ranges: ranges.map((r) => {
        const out = rangeOut(r);
        const red = r.redCount ?? 0;
        const open = unfinished.get(r.id) ?? 0;
        return {
          ...out,
          issued: out.taken - red - open,
          red,
          unfinished: open,
          unusedForGood: r.status === 'closed' ? out.unused : 0,
        };
      }),
    });
  },
});
