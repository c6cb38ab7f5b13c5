/**
 * The route table: the one source of routes for the CDK stack (one HTTP API route per
 * entry, one function per group) and for the local server. Nothing else lists routes.
 */
export type Role = 'finance' | 'collector' | 'auditor';
export type HttpMethod = 'GET' | 'POST' | 'PUT';

/** Each group becomes one Lambda function; a group's handler module is `lambdas/handlers/<group>.ts`. */
export type RouteGroup = 'public' | 'verify' | 'catalogue-admin' | 'ranges' | 'receipts' | 'audit';

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
}

export const CONTENT_TYPES = { json: 'application/json', csv: 'text/csv', pdf: 'application/pdf' } as const;

export const ONE_MIB = 1024 * 1024;
export const DEFAULT_MAX_BODY = ONE_MIB;

export const ROUTES: readonly Route[] = [
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
  },
  {
    id: 'getCatalogueItem',
    method: 'GET',
    path: '/v1/catalogue/{itemCode}',
    group: 'public',
    access: 'public',
    summary: 'A fee item with its whole version history',
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
  },
  {
    id: 'getVerifiedPdf',
    method: 'GET',
    path: '/v1/verify/pdf',
    group: 'verify',
    access: 'public',
    summary: 'The receipt PDF, byte-identical to what was issued',
  },
  {
    id: 'verifyPdf',
    method: 'POST',
    path: '/v1/verify/pdf',
    group: 'verify',
    access: 'public',
    summary: 'Is this PDF a genuine, unaltered receipt?',
    body: { type: 'pdf', maxBytes: 2 * ONE_MIB },
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
  },
  {
    id: 'reviseItem',
    method: 'PUT',
    path: '/v1/catalogue/items/{itemCode}',
    group: 'catalogue-admin',
    access: ['finance'],
    summary: 'Add a new version of a fee item, effective from a date',
    body: { type: 'json' },
  },
  {
    id: 'changeItemStatus',
    method: 'POST',
    path: '/v1/catalogue/items/{itemCode}/status',
    group: 'catalogue-admin',
    access: ['finance'],
    summary: 'Suspend, reactivate or abolish a fee item from a date',
    body: { type: 'json' },
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
    id: 'allocateRange',
    method: 'POST',
    path: '/v1/ranges',
    group: 'ranges',
    access: ['finance'],
    summary: 'Allocate a range of receipt numbers to a department',
    body: { type: 'json' },
  },
  {
    id: 'closeRange',
    method: 'POST',
    path: '/v1/ranges/{id}/close',
    group: 'ranges',
    access: ['finance'],
    summary: 'Close a range: its unused numbers stay unused for good',
    body: { type: 'json' },
  },
  {
    id: 'issueReceipt',
    method: 'POST',
    path: '/v1/receipts',
    group: 'receipts',
    access: ['collector'],
    summary: 'Charge a payer: checked against the catalogue, issued as a signed receipt',
    body: { type: 'json' },
  },
  {
    id: 'getReceipt',
    method: 'GET',
    path: '/v1/receipts/{code}/{number}',
    group: 'receipts',
    access: ['collector'],
    summary: "A receipt of the caller's department",
  },
  {
    id: 'getReceiptPdf',
    method: 'GET',
    path: '/v1/receipts/{code}/{number}/pdf',
    group: 'receipts',
    access: ['collector'],
    summary: "The signed PDF of a receipt of the caller's department",
  },
  {
    id: 'reverseReceipt',
    method: 'POST',
    path: '/v1/receipts/{code}/{number}/reversal',
    group: 'receipts',
    access: ['collector'],
    summary: 'Issue the red reversal (冲红) of a receipt',
    body: { type: 'json' },
  },
  {
    id: 'auditReceipts',
    method: 'GET',
    path: '/v1/audit/receipts',
    group: 'audit',
    access: ['auditor'],
    summary: 'Query every charge, newest first, by indexed filters',
  },
  {
    id: 'auditStats',
    method: 'GET',
    path: '/v1/audit/stats',
    group: 'audit',
    access: ['auditor'],
    summary: 'Counts and amounts per department, item, day or month',
  },
  {
    id: 'auditExport',
    method: 'GET',
    path: '/v1/audit/export',
    group: 'audit',
    access: ['auditor'],
    summary: 'Every matching receipt line as CSV (UTF-8 with BOM)',
  },
  {
    id: 'auditAlerts',
    method: 'GET',
    path: '/v1/audit/alerts',
    group: 'audit',
    access: ['auditor'],
    summary: 'Automatic warnings (电子监察)',
  },
  {
    id: 'auditEvents',
    method: 'GET',
    path: '/v1/audit/events',
    group: 'audit',
    access: ['auditor'],
    summary: 'The change history: catalogue, ranges, reversals, refusals, audit reads',
  },
  {
    id: 'auditRanges',
    method: 'GET',
    path: '/v1/audit/ranges',
    group: 'audit',
    access: ['auditor'],
    summary: 'Number reconciliation (核销): every range and its numbers',
  },
];

export function isPublic(route: Route): boolean {
  return route.access === 'public';
}

/** `GET /v1/catalogue/{itemCode}`: the API Gateway route key, also the event's `routeKey`. */
export function routeKey(route: Pick<Route, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

export const ROUTE_GROUPS: readonly RouteGroup[] = [...new Set(ROUTES.map((r) => r.group))];
