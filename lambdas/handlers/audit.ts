import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { csvWriter } from '../adapters/csv.js';
import { decodeCursor, planListing, planReceipts } from '../adapters/dynamo/audit-query.js';
import type { StoredAlert } from '../adapters/dynamo/audit-repo.js';
import { newEvent, recordEvent } from '../adapters/dynamo/events.js';
import { einvoiceZip } from '../adapters/exports/einvoice-zip.js';
import { getDeps } from '../app/deps.js';
import {
  createExportJob,
  type ExportSource,
  exportJobStatus,
  isExportJobEvent,
  runExportJob,
} from '../app/exports.js';
import { changeAlertState } from '../app/supervision.js';
import { dateInZone } from '../core/dates.js';
import { notFound } from '../core/errors.js';
import type { ExportJob } from '../core/export-jobs.js';
import { formatYuan } from '../core/money.js';
import type { LedgerEvent, StoredReceipt } from '../core/ports.js';
import { linesInYuan } from '../core/receipt.js';
import { auditDateRange, type auditExportQuery } from '../core/schemas.js';
import { groupTotals } from '../core/totals.js';
import { groupHandler } from './http/group.js';
import { type ApiRequest, json, streamed } from './http/types.js';
import { rangesInUse } from './ranges.js';

type Filters = Omit<z.output<typeof auditExportQuery>, 'format'>;

/** The query's date range, its defaults taken from the service's today (bureau zone). */
const dateRange = (q: { from?: string; to?: string }) => auditDateRange(q, dateInZone(getDeps().now()));

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

/**
 * The export's CSV, header first, every receipt the filters find (newest first, page by page
 * through the audit repository), counting the data rows as they go.
 */
function exportCsv(f: Filters, range: { from: string; to: string }): ExportSource {
  const deps = getDeps();
  const receipts = deps.audit.allReceipts(planReceipts(f, range), matches(f), deps.now());
  let rows = 0;
  async function* chunks() {
    yield EXPORT_CSV.header;
    for await (const receipt of receipts) {
      rows += receipt.lines.length;
      yield csvRows(receipt);
    }
  }
  return { chunks: chunks(), rows: () => rows };
}

/** An export job's CSV: the query stored in its row, date range included. */
const jobCsv = (query: ExportJob['query']) => exportCsv(query as Filters, query);

/** The auditors' side: query, totals, export, alerts, history, reconciliation. */
const http = groupHandler('audit', {
  auditReceipts: async (req) => {
    const q = req.input.query;
    const plan = planReceipts(q, dateRange(q));
    const start = decodeCursor(q.cursor, plan);
    await recordRead(req);
    const deps = getDeps();
    const page = await deps.audit.receiptsPage(plan, matches(q), start, q.limit, deps.now());
    return json(200, { count: page.items.length, items: page.items.map(receiptOut), cursor: page.cursor });
  },

  auditExport: async (req) => {
    const q = req.input.query;
    const csv = exportCsv(q, dateRange(q));
    await recordRead(req);
    return streamed('text/csv; charset=utf-8', csv.chunks, {
      'content-disposition': `attachment; filename="feeproof-receipts.csv"`,
    });
  },

  auditEInvoiceExport: async (req) => {
    const q = req.input.query;
    const range = dateRange(q);
    const deps = getDeps();
    const receipts = deps.audit.allReceipts(planReceipts(q, range), matches(q), deps.now());
    await recordRead(req);
    return streamed('application/zip', einvoiceZip(receipts), {
      'content-disposition': `attachment; filename="feeproof-einvoice-${range.from}-${range.to}.zip"`,
    });
  },

  createAuditExport: async (req) => {
    const { format: _format, ...filters } = req.input.body;
    const range = dateRange(filters);
    planReceipts(filters, range); // a filter the plan refuses answers 400 before anything is written
    const job = await createExportJob(
      getDeps(),
      req.caller!.username,
      { ...filters, ...range },
      req.body,
      jobCsv,
    );
    return json(
      202,
      { id: job.id, status: job.status, createdAt: job.createdAt },
      {
        location: `/v1/audit/exports/${job.id}`,
      },
    );
  },

  getAuditExport: async (req) => {
    const job = await exportJobStatus(getDeps(), req.input.params.id);
    await recordRead(req);
    return json(200, job);
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
    const plan = planListing('ALERTS', dateRange(q));
    const start = decodeCursor(q.cursor, plan);
    await recordRead(req);
    const deps = getDeps();
    const keep = (a: StoredAlert) =>
      (!q.type || a.rule === q.type) &&
      (!q.severity || a.severity === q.severity) &&
      (!q.department || a.department === q.department) &&
      (!q.state || (a.state ?? 'open') === q.state);
    return json(200, await deps.audit.listingPage(plan, keep, start, q.limit, deps.now()));
  },

  changeAlertState: async (req) => {
    const alert = await changeAlertState(
      getDeps(),
      req.caller!.username,
      req.input.params.id,
      req.input.body,
    );
    return json(200, alert);
  },

  auditReceipt: async (req) => {
    const deps = getDeps();
    const ref = req.input.params;
    const stored = await deps.receipts.getReceipt(ref);
    if (!stored) throw notFound(`receipt ${ref.code}/${ref.number} does not exist`);
    await recordRead(req);
    return json(200, { ...receiptOut(stored), checks: await deps.checks.count(ref) });
  },

  auditEvents: async (req) => {
    const q = req.input.query;
    const plan = planListing('EVENTS', dateRange(q));
    const start = decodeCursor(q.cursor, plan);
    const deps = getDeps();
    const keep = (e: LedgerEvent) => !q.type || e.type === q.type;
    const page = await deps.audit.listingPage(plan, keep, start, q.limit, deps.now());
    await recordRead(req);
    return json(200, page);
  },

  auditRanges: async (req) => {
    const deps = getDeps();
    await recordRead(req);
    return json(200, { ranges: await rangesInUse(deps) });
  },
});

/**
 * The audit function: the HTTP routes above, and the asynchronous invocations (Lambda Invoke,
 * `InvocationType: Event`) by which it runs its own export jobs (app/exports.ts).
 */
export async function handler(event: unknown, context: Context) {
  if (isExportJobEvent(event)) return runExportJob(getDeps(), event.feeproofExportJob, jobCsv);
  return http(event as Parameters<typeof http>[0], context as Parameters<typeof http>[1]);
}
