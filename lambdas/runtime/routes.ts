/**
 * The route table: the one source of routes for the CDK stack (one HTTP API route per
 * entry, one function per group) and for the local server. Nothing else lists routes. Each
 * entry also names the schemas its request must pass (core/schemas.ts): the request
 * middleware validates with them, the OpenAPI document and the fuzz suite read them here.
 */
import type { z } from 'zod';
import {
  complaintListQuery,
  complaintLookupQuery,
  complaintPath,
  complaintReplyRequest,
  complaintRequest,
  complaintResolveRequest,
  MAX_COMPLAINT_BYTES,
} from '../core/complaints.js';
import { exportJobPath } from '../core/export-jobs.js';
import {
  alertPath,
  alertStateRequest,
  allocateRangeRequest,
  auditAlertsQuery,
  auditEInvoiceQuery,
  auditExportQuery,
  auditListQuery,
  auditReceiptsQuery,
  auditStatsQuery,
  catalogueQuery,
  closeRangeRequest,
  createItemRequest,
  departmentPath,
  idempotencyHeaders,
  issueReceiptRequest,
  itemPath,
  rangePath,
  receiptPath,
  receiptsListQuery,
  renameDepartmentRequest,
  reversalRequest,
  reviseItemRequest,
  statusChangeRequest,
  verifyQuery,
} from '../core/schemas.js';
import { statsQuery } from '../core/stats.js';

export type Role = 'finance' | 'collector' | 'auditor';
export type HttpMethod = 'GET' | 'POST' | 'PUT';

/** Each group becomes one Lambda function; a group's handler module is `lambdas/handlers/<group>.ts`. */
export type RouteGroup =
  | 'public'
  | 'verify'
  | 'catalogue-admin'
  | 'ranges'
  | 'receipts'
  | 'audit'
  // Issue 15: public statistics (reads only the running totals) and payer complaints.
  | 'stats'
  | 'complaints';

/** The schema of each part of a request that has one; the operation gets what they parse. */
export interface RequestSchemas {
  /** A JSON body (CSV and PDF bodies are read by their operations). */
  body?: z.ZodType;
  query?: z.ZodType;
  /** The path template's `{name}` parameters. */
  params?: z.ZodType;
  /** Header names in lower case; other headers pass. */
  headers?: z.ZodType;
  /**
   * What the schemas refuse answers 400 naming each field; with this, the operation gets null
   * instead and answers for itself (public verification: a malformed query must read exactly
   * like a wrong check code).
   */
  nullWhenInvalid?: true;
}

export interface Route {
  /** Operation id, unique; used by the OpenAPI document. */
  id: string;
  method: HttpMethod;
  /** API Gateway path template: `{name}` segments. */
  path: string;
  group: RouteGroup;
  /** `public` needs no token; otherwise the groups allowed (checked by the handler). */
  access: 'public' | readonly Role[];
  summary: string;
  /** What the request body is, if there is one; its largest size (default 1 MiB) is enforced. */
  body?: { type: 'json' | 'csv' | 'pdf'; maxBytes?: number };
  /** Checked before the operation runs, which gets the parsed values (`input`). */
  request?: RequestSchemas;
}

export const CONTENT_TYPES = { json: 'application/json', csv: 'text/csv', pdf: 'application/pdf' } as const;

export const ONE_MIB = 1024 * 1024;
export const DEFAULT_MAX_BODY = ONE_MIB;

const ROUTE_TABLE = [
  {
    id: 'health',
    method: 'GET',
    path: '/health',
    group: 'public',
    access: 'public',
    summary: 'Liveness and dependencies',
  },
  {
    id: 'listCatalogue',
    method: 'GET',
    path: '/v1/catalogue',
    group: 'public',
    access: 'public',
    summary: 'Fee items in force on a date',
    request: { query: catalogueQuery },
  },
  {
    // Before getCatalogueItem, whose `{itemCode}` this path would fit: the local server takes the
    // first route that matches (API Gateway prefers the literal segment anyway; no item code is
    // lower case).
    id: 'listCatalogueItems',
    method: 'GET',
    path: '/v1/catalogue/items',
    group: 'catalogue-admin',
    access: ['finance'],
    summary:
      'Every fee item as on a date (default today), in any state: in_force, not_yet_effective, expired, suspended, abolished',
    request: { query: catalogueQuery },
  },
  {
    id: 'getCatalogueItem',
    method: 'GET',
    path: '/v1/catalogue/{itemCode}',
    group: 'public',
    access: 'public',
    summary: 'A fee item with its whole version history',
    request: { params: itemPath },
  },
  {
    id: 'openapi',
    method: 'GET',
    path: '/v1/openapi.json',
    group: 'public',
    access: 'public',
    summary: 'This API as OpenAPI 3.1',
  },
  {
    id: 'verifyReceipt',
    method: 'GET',
    path: '/v1/verify',
    group: 'verify',
    access: 'public',
    summary: 'Is this receipt genuine? By code, number and check code',
    request: { query: verifyQuery, nullWhenInvalid: true },
  },
  {
    id: 'getVerifiedPdf',
    method: 'GET',
    path: '/v1/verify/pdf',
    group: 'verify',
    access: 'public',
    summary: 'The receipt PDF, byte-identical to what was issued',
    request: { query: verifyQuery, nullWhenInvalid: true },
  },
  {
    // Issue 13: the receipt's inclusion proof in the transparency log (C2SP tlog-proof).
    id: 'getLogProof',
    method: 'GET',
    path: '/v1/verify/log-proof',
    group: 'verify',
    access: 'public',
    summary: "The receipt's inclusion proof in the public log (c2sp.org/tlog-proof@v1)",
    request: { query: verifyQuery, nullWhenInvalid: true },
  },
  {
    id: 'verifyPdf',
    method: 'POST',
    path: '/v1/verify/pdf',
    group: 'verify',
    access: 'public',
    summary: 'Is this PDF a genuine, unaltered receipt?',
    // A receipt is under 60 KB; four times that leaves room for a reader's incremental save and
    // bounds what a hostile upload costs the PDF parser (about 2 ms a KB: a 256 KiB one 0.6 s).
    body: { type: 'pdf', maxBytes: ONE_MIB / 4 },
  },
  {
    id: 'listKeys',
    method: 'GET',
    path: '/v1/keys',
    group: 'verify',
    access: 'public',
    summary: 'The signing certificates and public keys, current and retired',
  },
  {
    id: 'createItem',
    method: 'POST',
    path: '/v1/catalogue/items',
    group: 'catalogue-admin',
    access: ['finance'],
    summary: 'Create a fee item',
    body: { type: 'json' },
    request: { body: createItemRequest },
  },
  {
    id: 'reviseItem',
    method: 'PUT',
    path: '/v1/catalogue/items/{itemCode}',
    group: 'catalogue-admin',
    access: ['finance'],
    summary: 'Add a new version of a fee item, effective from a date',
    body: { type: 'json' },
    request: { params: itemPath, body: reviseItemRequest },
  },
  {
    id: 'changeItemStatus',
    method: 'POST',
    path: '/v1/catalogue/items/{itemCode}/status',
    group: 'catalogue-admin',
    access: ['finance'],
    summary: 'Suspend, reactivate or abolish a fee item from a date',
    body: { type: 'json' },
    request: { params: itemPath, body: statusChangeRequest },
  },
  {
    id: 'importCatalogue',
    method: 'POST',
    path: '/v1/catalogue/import',
    group: 'catalogue-admin',
    access: ['finance'],
    summary: 'Import fee items from CSV, all rows or none',
    body: { type: 'csv' },
  },
  {
    id: 'previewImport',
    method: 'POST',
    path: '/v1/catalogue/import/preview',
    group: 'catalogue-admin',
    access: ['finance'],
    summary: 'Dry run of an import: every row with what it would write or its errors; writes nothing',
    body: { type: 'csv' },
  },
  {
    id: 'itemHistory',
    method: 'GET',
    path: '/v1/catalogue/items/{itemCode}',
    group: 'catalogue-admin',
    access: ['finance'],
    summary: "A fee item's every version: who, when, why, and the document behind each status change",
    request: { params: itemPath },
  },
  {
    id: 'listDepartments',
    method: 'GET',
    path: '/v1/departments',
    group: 'catalogue-admin',
    // Every staff role: the names every receipt prints, which their screens show beside the codes.
    access: ['finance', 'auditor', 'collector'],
    summary: 'The departments of the catalogue and the ranges, with their names as receipts print them',
  },
  {
    id: 'renameDepartment',
    method: 'PUT',
    path: '/v1/departments/{department}',
    // The ranges' function: it holds the receipt font that a printed name is checked against.
    group: 'ranges',
    access: ['finance'],
    summary:
      'Rename a department as its receipts print it (from its next receipt), with the reason; recorded as a department.renamed event',
    body: { type: 'json' },
    request: { params: departmentPath, body: renameDepartmentRequest },
  },
  {
    id: 'listRanges',
    method: 'GET',
    path: '/v1/ranges',
    group: 'ranges',
    access: ['finance'],
    summary: 'Every number range and the use of its numbers: issued, red, unfinished, unused',
  },
  {
    id: 'allocateRange',
    method: 'POST',
    path: '/v1/ranges',
    group: 'ranges',
    access: ['finance'],
    summary: 'Allocate a range of receipt numbers to a department',
    body: { type: 'json' },
    request: { body: allocateRangeRequest },
  },
  {
    id: 'closeRange',
    method: 'POST',
    path: '/v1/ranges/{id}/close',
    group: 'ranges',
    access: ['finance'],
    summary: 'Close a range: its unused numbers stay unused for good',
    body: { type: 'json' },
    request: { params: rangePath, body: closeRangeRequest },
  },
  {
    id: 'issueReceipt',
    method: 'POST',
    path: '/v1/receipts',
    group: 'receipts',
    access: ['collector'],
    summary: 'Charge a payer: checked against the catalogue, issued as a signed receipt',
    body: { type: 'json' },
    request: { headers: idempotencyHeaders, body: issueReceiptRequest },
  },
  {
    id: 'checkCharge',
    method: 'POST',
    path: '/v1/charges/check',
    group: 'receipts',
    access: ['collector'],
    summary:
      'Dry run of a charge: the lines and total that issuing would compute, or its 422; takes no number, writes nothing',
    body: { type: 'json' },
    request: { body: issueReceiptRequest },
  },
  {
    id: 'getReceipt',
    method: 'GET',
    path: '/v1/receipts/{code}/{number}',
    group: 'receipts',
    access: ['collector'],
    summary: "A receipt of the caller's department",
    request: { params: receiptPath },
  },
  {
    id: 'getReceiptPdf',
    method: 'GET',
    path: '/v1/receipts/{code}/{number}/pdf',
    group: 'receipts',
    access: ['collector'],
    summary: "The signed PDF of a receipt of the caller's department",
    request: { params: receiptPath },
  },
  {
    // Issue 17: the receipt as the national data standard's EInvoice XML, with both signatures.
    id: 'getReceiptEInvoice',
    method: 'GET',
    path: '/v1/receipts/{code}/{number}/einvoice.xml',
    group: 'receipts',
    access: ['collector', 'auditor'],
    summary: "A receipt's national XML (EInvoice): the caller's department's, or any for an auditor",
    request: { params: receiptPath },
  },
  {
    id: 'reverseReceipt',
    method: 'POST',
    path: '/v1/receipts/{code}/{number}/reversal',
    group: 'receipts',
    access: ['collector'],
    summary: 'Issue the red reversal (冲红) of a receipt',
    body: { type: 'json' },
    request: { headers: idempotencyHeaders, params: receiptPath, body: reversalRequest },
  },
  {
    id: 'auditReceipts',
    method: 'GET',
    path: '/v1/audit/receipts',
    group: 'audit',
    access: ['auditor'],
    summary: 'Query every charge, newest first, by indexed filters',
    request: { query: auditReceiptsQuery },
  },
  {
    id: 'auditStats',
    method: 'GET',
    path: '/v1/audit/stats',
    group: 'audit',
    access: ['auditor'],
    summary: 'Counts and amounts per department, item, day or month',
    request: { query: auditStatsQuery },
  },
  {
    id: 'auditExport',
    method: 'GET',
    path: '/v1/audit/export',
    group: 'audit',
    access: ['auditor'],
    summary: 'Every matching receipt line as CSV (UTF-8 with BOM)',
    request: { query: auditExportQuery },
  },
  {
    // Issue 17: the export's receipts in the national XML, one file per receipt, as a zip.
    id: 'auditEInvoiceExport',
    method: 'GET',
    path: '/v1/audit/einvoice.zip',
    group: 'audit',
    access: ['auditor'],
    summary:
      'Every matching receipt as its national XML (EInvoice, both signatures), one <code>-<number>.xml each, in a zip with manifest.json',
    request: { query: auditEInvoiceQuery },
  },
  // Export jobs (issue 14): an export larger than one Lambda response, written to a file.
  {
    id: 'createAuditExport',
    method: 'POST',
    path: '/v1/audit/exports',
    group: 'audit',
    access: ['auditor'],
    summary:
      'Start an export job over the filters of GET /v1/audit/export (a JSON body, {} for the defaults); answers 202 with its id (audit.export)',
    body: { type: 'json' },
    request: { body: auditExportQuery },
  },
  {
    id: 'getAuditExport',
    method: 'GET',
    path: '/v1/audit/exports/{id}',
    group: 'audit',
    access: ['auditor'],
    summary:
      'An export job: queued, running, done (with its row count and a download URL valid for 5 minutes) or failed',
    request: { params: exportJobPath },
  },
  {
    id: 'auditAlerts',
    method: 'GET',
    path: '/v1/audit/alerts',
    group: 'audit',
    access: ['auditor'],
    summary: 'Automatic warnings (电子监察), filtered by rule (type), severity, department, state and date',
    request: { query: auditAlertsQuery },
  },
  {
    id: 'auditEvents',
    method: 'GET',
    path: '/v1/audit/events',
    group: 'audit',
    access: ['auditor'],
    summary: 'The change history: catalogue, ranges, reversals, refusals, audit reads',
    request: { query: auditListQuery },
  },
  {
    id: 'auditRanges',
    method: 'GET',
    path: '/v1/audit/ranges',
    group: 'audit',
    access: ['auditor'],
    summary:
      'Number reconciliation (核销): every range and its numbers; first, last and next (the next number it issues) are 10-digit strings, next is null once every number is taken',
  },
  // The staff console's routes (issue 12): collecting department and auditors.
  {
    id: 'listReceipts',
    method: 'GET',
    path: '/v1/receipts',
    group: 'receipts',
    access: ['collector'],
    summary: "The caller's department's receipts, newest first, by cursor pages (default: the last year)",
    request: { query: receiptsListQuery },
  },
  {
    id: 'auditReceipt',
    method: 'GET',
    path: '/v1/audit/receipts/{code}/{number}',
    group: 'audit',
    access: ['auditor'],
    summary: 'One receipt, payer unmasked, with its count of public checks',
    request: { params: receiptPath },
  },
  {
    id: 'changeAlertState',
    method: 'POST',
    path: '/v1/audit/alerts/{id}/state',
    group: 'audit',
    access: ['auditor'],
    summary:
      'Acknowledge or resolve an alert with a note (open -> acknowledged -> resolved); each change is an event (alert.state)',
    body: { type: 'json' },
    request: { params: alertPath, body: alertStateRequest },
  },
  // Fees run in the open (issue 15): public statistics and payer complaints.
  {
    id: 'publicStats',
    method: 'GET',
    path: '/v1/stats',
    group: 'stats',
    access: 'public',
    summary:
      'Open data (收费公开): receipts and amounts per department, item or month, from the running totals; a department or item with fewer receipts in a month than the minimum (default 3) is withheld. JSON or CSV (UTF-8 with BOM)',
    request: { query: statsQuery },
  },
  {
    id: 'supervisionChannel',
    method: 'GET',
    path: '/v1/supervision',
    group: 'complaints',
    access: 'public',
    summary:
      "How to supervise and complain: the bureau's published phone number and the complaint categories",
  },
  {
    id: 'fileComplaint',
    method: 'POST',
    path: '/v1/complaints',
    group: 'complaints',
    access: 'public',
    summary:
      'File a complaint (投诉), about a receipt (with its check code) or a department and day; answers its number and a secret lookup code',
    body: { type: 'json', maxBytes: MAX_COMPLAINT_BYTES },
    request: { body: complaintRequest },
  },
  {
    id: 'lookupComplaint',
    method: 'GET',
    path: '/v1/complaints/{id}',
    group: 'complaints',
    access: 'public',
    summary:
      "A complaint's status and the auditors' reply, with its lookup code; a wrong code reads as a missing complaint",
    request: { params: complaintPath, query: complaintLookupQuery, nullWhenInvalid: true },
  },
  {
    id: 'listComplaints',
    method: 'GET',
    path: '/v1/audit/complaints',
    group: 'complaints',
    access: ['auditor'],
    summary: 'Complaints filed in a date range, newest first (no contact details)',
    request: { query: complaintListQuery },
  },
  {
    id: 'readComplaint',
    method: 'GET',
    path: '/v1/audit/complaints/{id}',
    group: 'complaints',
    access: ['auditor'],
    summary:
      'A complaint with its contact details while they are kept; every read is recorded (complaint.read)',
    request: { params: complaintPath },
  },
  {
    id: 'replyToComplaint',
    method: 'POST',
    path: '/v1/audit/complaints/{id}/reply',
    group: 'complaints',
    access: ['auditor'],
    summary: "The auditors' reply, which the payer's lookup shows (complaint.replied)",
    body: { type: 'json' },
    request: { params: complaintPath, body: complaintReplyRequest },
  },
  {
    id: 'resolveComplaint',
    method: 'POST',
    path: '/v1/audit/complaints/{id}/resolve',
    group: 'complaints',
    access: ['auditor'],
    summary: 'Close a complaint (complaint.resolved)',
    body: { type: 'json' },
    request: { params: complaintPath, body: complaintResolveRequest },
  },
] as const satisfies readonly Route[];

export const ROUTES: readonly Route[] = ROUTE_TABLE;

/** An entry as written, schemas' types and all: what types each operation's input. */
export type RouteEntry = (typeof ROUTE_TABLE)[number];

export function isPublic(route: Route): boolean {
  return route.access === 'public';
}

/** `GET /v1/catalogue/{itemCode}`: the API Gateway route key, also the event's `routeKey`. */
export function routeKey(route: Pick<Route, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

export const ROUTE_GROUPS: readonly RouteGroup[] = [...new Set(ROUTES.map((r) => r.group))];
