/**
 * The authorization matrix: every route of the route table x every kind of caller -> the
 * status it must get. The table below is keyed by route id; a route without an entry fails
 * the test, so a new route cannot ship without deciding who may call it. Routes of the
 * audit group are auditor-only by rule. Also: no public answer carries a payer's full name
 * or ID number.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateInZone } from '../../lambdas/core/dates.js';
import { issueToken, loadIssuerKey } from '../../lambdas/local/tokens.js';
import { isPublic, ROUTES, type Route } from '../../lambdas/runtime/routes.js';
import { newKey, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';
import { type Call, call, expectErrorShape } from './support.js';

const UNAUTHENTICATED = ['none', 'expired', 'otherKey', 'wrongAudience', 'wrongIssuer', 'algNone'] as const;
const CALLERS = [
  ...UNAUTHENTICATED,
  'finance',
  'auditor',
  'collectorOwn',
  'collectorOther',
  'collectorNoDept',
] as const;
type CallerKind = (typeof CALLERS)[number];

type Expected = Record<CallerKind, number>;
/** Everyone gets the same answer: the route needs no token and ignores one. */
const anyone = (status: number): Expected => Object.fromEntries(CALLERS.map((k) => [k, status])) as Expected;
/** Without a valid token 401, with the wrong role 403; `allowed` says what the right callers get. */
const only = (allowed: Partial<Expected>): Expected =>
  Object.fromEntries(
    CALLERS.map((k) => [
      k,
      allowed[k] ?? ((UNAUTHENTICATED as readonly CallerKind[]).includes(k) ? 401 : 403),
    ]),
  ) as Expected;

interface Entry {
  expect: Expected;
  /** A fresh request for the route (objects created as needed), for a caller of this kind. */
  request: () => Promise<Omit<Call, 'token' | 'method'>>;
}

const PAYER = { type: 'person', name: '欧阳明华', idNumber: '11010519491231002X' };
const basis = {
  title: '关于测试收费的通知',
  number: '测价〔2025〕9号',
  issuer: '某市财政局',
  date: '2025-01-02',
};
const today = dateInZone(new Date());
const tomorrow = dateInZone(new Date(Date.now() + 86_400_000));
const item = (code: string) => ({
  code,
  name: '权限测试收费',
  department: 'ACL',
  unit: '件',
  standard: { type: 'fixed', amount: '5.00' },
  basis: [basis],
  fundManagement: 'treasury',
  validFrom: today, // a new item takes effect today or later
});
const CSV_HEADER =
  'code,name,department,unit,standard_type,amount,min,max,fund_management,valid_from,valid_to,basis_title,basis_number,basis_issuer,basis_date,exemptions,status,effective_from,reason';

let svc: TestService;
const tokens = {} as Record<CallerKind, string | undefined>;
let counter = 0;
// biome-ignore lint/suspicious/noExplicitAny: API answers
let receipt: any;
let pdf: Buffer;
let rangeId: string;

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  body: JSON.stringify(body),
  contentType: 'application/json',
  headers,
});
const verifyQuery = (r: { code: string; number: string; checkCode: string }) =>
  `code=${r.code}&number=${r.number}&checkCode=${r.checkCode}`;

async function issueAs(kind: CallerKind, body: unknown = registrationCharge({ payer: PAYER })) {
  const res = await call(svc.url, {
    method: 'POST',
    path: '/v1/receipts',
    token: tokens[kind],
    ...json(body, { 'idempotency-key': newKey() }),
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

const MATRIX: Record<string, Entry> = {
  health: { expect: anyone(200), request: async () => ({ path: '/health' }) },
  listCatalogue: { expect: anyone(200), request: async () => ({ path: '/v1/catalogue?department=ZRZY' }) },
  getCatalogueItem: { expect: anyone(200), request: async () => ({ path: '/v1/catalogue/ZRZY-001' }) },
  openapi: { expect: anyone(200), request: async () => ({ path: '/v1/openapi.json' }) },
  verifyReceipt: {
    expect: anyone(200),
    request: async () => ({ path: `/v1/verify?${verifyQuery(receipt)}` }),
  },
  getVerifiedPdf: {
    expect: anyone(200),
    request: async () => ({ path: `/v1/verify/pdf?${verifyQuery(receipt)}` }),
  },
  // Issue 13: integrated first, so that the receipt is in a checkpoint (else 409 for everyone).
  getLogProof: {
    expect: anyone(200),
    request: async () => {
      await svc.log.run();
      return { path: `/v1/verify/log-proof?${verifyQuery(receipt)}` };
    },
  },
  verifyPdf: {
    expect: anyone(200),
    request: async () => ({ path: '/v1/verify/pdf', body: pdf, contentType: 'application/pdf' }),
  },
  listKeys: { expect: anyone(200), request: async () => ({ path: '/v1/keys' }) },
  createItem: {
    expect: only({ finance: 201 }),
    request: async () => ({ path: '/v1/catalogue/items', ...json(item(`ACL-NEW-${++counter}`)) }),
  },
  reviseItem: {
    expect: only({ finance: 200 }),
    request: async () => {
      const { code: _code, ...fields } = item('ACL-REVISE');
      return {
        path: '/v1/catalogue/items/ACL-REVISE',
        ...json({
          ...fields,
          standard: { type: 'fixed', amount: '6.00' },
          effectiveFrom: tomorrow,
          reason: '调价',
        }),
      };
    },
  },
  changeItemStatus: {
    expect: only({ finance: 200 }),
    request: async () => ({
      path: '/v1/catalogue/items/ACL-STATUS/status',
      ...json({ status: 'suspended', effectiveFrom: tomorrow, reason: '暂停', basis }),
    }),
  },
  importCatalogue: {
    expect: only({ finance: 200 }),
    request: async () => ({
      path: '/v1/catalogue/import',
      body: `${CSV_HEADER}\nACL-IMP-${++counter},导入,ACL,件,fixed,3.00,,,treasury,${today},,通知,文〔2025〕1号,某市财政局,2025-01-01,,active,,\n`,
      contentType: 'text/csv',
    }),
  },
  allocateRange: {
    expect: only({ finance: 201 }),
    request: async () => ({ path: '/v1/ranges', ...json({ department: 'ACL', size: 10 }) }),
  },
  closeRange: {
    expect: only({ finance: 200 }),
    request: async () => ({ path: `/v1/ranges/${rangeId}/close`, ...json({ reason: '停用' }) }),
  },
  previewImport: {
    expect: only({ finance: 200 }),
    request: async () => ({
      path: '/v1/catalogue/import/preview',
      body: `${CSV_HEADER}\nACL-PRE-1,预览,ACL,件,fixed,3.00,,,treasury,${today},,通知,文〔2025〕1号,某市财政局,2025-01-01,,active,,\n`,
      contentType: 'text/csv',
    }),
  },
  listCatalogueItems: {
    expect: only({ finance: 200 }),
    request: async () => ({ path: '/v1/catalogue/items?department=ZRZY' }),
  },
  itemHistory: {
    expect: only({ finance: 200 }),
    request: async () => ({ path: '/v1/catalogue/items/ZRZY-001' }),
  },
  listDepartments: {
    // A collector without a department is no collector (403 on every collector route).
    expect: only({ finance: 200, auditor: 200, collectorOwn: 200, collectorOther: 200 }),
    request: async () => ({ path: '/v1/departments' }),
  },
  listRanges: { expect: only({ finance: 200 }), request: async () => ({ path: '/v1/ranges' }) },
  renameDepartment: {
    expect: only({ finance: 200 }),
    // A new name each time, so that each allowed call renames (an unchanged name writes nothing).
    request: async () => ({
      path: '/v1/departments/ACL',
      ...json({ name: `访问控制局${++counter}`, reason: '机构改革' }),
    }),
  },
  issueReceipt: {
    // Another department's collector is authorized to charge, but not for a ZRZY item: the
    // catalogue check refuses it (422), and nothing is issued.
    expect: only({ collectorOwn: 201, collectorOther: 422 }),
    request: async () => ({
      path: '/v1/receipts',
      ...json(registrationCharge({ payer: PAYER }), { 'idempotency-key': newKey() }),
    }),
  },
  checkCharge: {
    // The dry run of issueReceipt: the same check, so the same 422 for another department's collector.
    expect: only({ collectorOwn: 200, collectorOther: 422 }),
    request: async () => ({ path: '/v1/charges/check', ...json(registrationCharge({ payer: PAYER })) }),
  },
  getReceipt: {
    expect: only({ collectorOwn: 200, collectorOther: 403 }),
    request: async () => ({ path: `/v1/receipts/${receipt.code}/${receipt.number}` }),
  },
  getReceiptPdf: {
    expect: only({ collectorOwn: 200, collectorOther: 403 }),
    request: async () => ({ path: `/v1/receipts/${receipt.code}/${receipt.number}/pdf` }),
  },
  getReceiptEInvoice: {
    expect: only({ collectorOwn: 200, collectorOther: 403, auditor: 200 }),
    request: async () => ({ path: `/v1/receipts/${receipt.code}/${receipt.number}/einvoice.xml` }),
  },
  reverseReceipt: {
    expect: only({ collectorOwn: 201, collectorOther: 403 }),
    request: async () => {
      const fresh = await issueAs('collectorOwn');
      return {
        path: `/v1/receipts/${fresh.code}/${fresh.number}/reversal`,
        ...json({ reason: '退费' }, { 'idempotency-key': newKey() }),
      };
    },
  },
};

const auditGet = (path: string): Entry => ({
  expect: only({ auditor: 200 }),
  request: async () => ({ path }),
});
Object.assign(MATRIX, {
  auditReceipts: auditGet('/v1/audit/receipts?department=ZRZY'),
  auditStats: auditGet(`/v1/audit/stats?from=2025-01-01&to=${today}`),
  auditExport: auditGet('/v1/audit/export?department=ZRZY'),
  auditEInvoiceExport: auditGet('/v1/audit/einvoice.zip?department=ZRZY'),
  // Export jobs (issue 14): a job is accepted (202), then read by its id.
  createAuditExport: {
    expect: only({ auditor: 202 }),
    request: async () => ({ path: '/v1/audit/exports', ...json({ department: 'ZRZY' }) }),
  },
  getAuditExport: {
    expect: only({ auditor: 200 }),
    request: async () => ({ path: `/v1/audit/exports/${await exportJobId()}` }),
  },
  auditAlerts: auditGet('/v1/audit/alerts'),
  auditEvents: auditGet('/v1/audit/events'),
  auditRanges: auditGet('/v1/audit/ranges'),
  auditReceipt: {
    expect: only({ auditor: 200 }),
    request: async () => ({ path: `/v1/audit/receipts/${receipt.code}/${receipt.number}` }),
  },
  changeAlertState: {
    // Each call acknowledges a fresh alert: a charge the catalogue refuses raises one.
    expect: only({ auditor: 200 }),
    request: async () => ({
      path: `/v1/audit/alerts/${await freshAlertId()}/state`,
      ...json({ state: 'acknowledged', note: '核实中' }),
    }),
  },
  listReceipts: {
    // Each collector lists its own department's receipts.
    expect: only({ collectorOwn: 200, collectorOther: 200 }),
    request: async () => ({ path: '/v1/receipts?limit=5' }),
  },
});

/** The id of a new export job, started by an auditor. */
async function exportJobId(): Promise<string> {
  const res = await call(svc.url, {
    method: 'POST',
    path: '/v1/audit/exports',
    token: tokens.auditor,
    ...json({ department: 'ZRZY' }),
  });
  expect(res.status, res.text).toBe(202);
  return res.body.id;
}

/** The id of a new charge_refused alert (the newest alert, raised before the 422 answers). */
async function freshAlertId(): Promise<string> {
  const refused = await call(svc.url, {
    method: 'POST',
    path: '/v1/receipts',
    token: tokens.collectorOwn,
    ...json(registrationCharge({ lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '1.00' }] }), {
      'idempotency-key': newKey(),
    }),
  });
  expect(refused.status).toBe(422);
  const listed = await call(svc.url, {
    method: 'GET',
    path: '/v1/audit/alerts?type=charge_refused&limit=1',
    token: tokens.auditor,
  });
  return listed.body.items[0].id;
}

// Issue 15: open data and complaints. Complaints are filed from one address here, under a
// limit raised for the test (startTestService below); each request files its own.
const complaintBody = () => ({ category: 'other', text: '权限测试投诉', department: 'ACL', date: today });
async function fileComplaint() {
  const res = await call(svc.url, { method: 'POST', path: '/v1/complaints', ...json(complaintBody()) });
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; code: string };
}
const complaintAs = (suffix: string, body?: unknown): Entry => ({
  expect: only({ auditor: 200 }),
  request: async () => {
    const { id } = await fileComplaint();
    return { path: `/v1/audit/complaints/${id}${suffix}`, ...(body ? json(body) : {}) };
  },
});
Object.assign(MATRIX, {
  publicStats: { expect: anyone(200), request: async () => ({ path: '/v1/stats?groupBy=month' }) },
  supervisionChannel: { expect: anyone(200), request: async () => ({ path: '/v1/supervision' }) },
  fileComplaint: {
    expect: anyone(201),
    request: async () => ({ path: '/v1/complaints', ...json(complaintBody()) }),
  },
  lookupComplaint: {
    expect: anyone(200),
    request: async () => {
      const { id, code } = await fileComplaint();
      return { path: `/v1/complaints/${id}?code=${code}` };
    },
  },
  listComplaints: auditGet('/v1/audit/complaints'),
  readComplaint: complaintAs(''),
  replyToComplaint: complaintAs('/reply', { reply: '已答复' }),
  resolveComplaint: {
    expect: only({ auditor: 200 }),
    request: async () => {
      // Only a replied complaint can be resolved.
      const { id } = await fileComplaint();
      const replied = await call(svc.url, {
        method: 'POST',
        path: `/v1/audit/complaints/${id}/reply`,
        token: tokens.auditor,
        ...json({ reply: '已答复' }),
      });
      expect(replied.status, replied.text).toBe(200);
      return { path: `/v1/audit/complaints/${id}/resolve`, ...json({ note: '办结' }) };
    },
  },
} satisfies Record<string, Entry>);

/** The matrix entry of a route: every route has one, written above (the first test checks). */
const entryOf = (route: Route): Entry | undefined => MATRIX[route.id];

beforeAll(async () => {
  svc = await startTestService({
    env: { FEEPROOF_COMPLAINT_LIMITS: JSON.stringify({ perAddressPerDay: 10_000, perReceipt: 10_000 }) },
  });
  const other = await loadIssuerKey(mkdtempSync(join(tmpdir(), 'feeproof-other-issuer-')));
  const payload = (await svc.token({ role: 'finance' })).split('.')[1];
  const unsignedHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  Object.assign(tokens, {
    none: undefined,
    expired: await svc.token({ role: 'finance', ttlSeconds: -120 }),
    otherKey: await issueToken(other, { role: 'finance' }),
    wrongAudience: await svc.token({ role: 'finance', audience: 'some-other-client' }),
    wrongIssuer: await svc.token({ role: 'finance', issuer: 'https://evil.example/issuer' }),
    algNone: `${unsignedHeader}.${payload}.`,
    finance: await svc.token({ role: 'finance' }),
    auditor: await svc.token({ role: 'auditor' }),
    collectorOwn: await svc.token({ role: 'collector', department: 'ZRZY' }),
    collectorOther: await svc.token({ role: 'collector', department: 'GA' }),
    collectorNoDept: await svc.token({ role: 'collector' }),
  });
  const finance = tokens.finance!;
  // ACLX: a department of its own (numbers go only to a department of the catalogue), whose
  // range the matrix closes without touching anyone's issuing.
  for (const body of [item('ACL-REVISE'), item('ACL-STATUS'), { ...item('ACLX-001'), department: 'ACLX' }]) {
    const res = await call(svc.url, {
      method: 'POST',
      path: '/v1/catalogue/items',
      token: finance,
      ...json(body),
    });
    expect(res.status, res.text).toBe(201);
  }
  const range = await call(svc.url, {
    method: 'POST',
    path: '/v1/ranges',
    token: finance,
    ...json({ department: 'ACLX', size: 5 }),
  });
  expect(range.status, range.text).toBe(201);
  rangeId = range.body.id;
  receipt = await issueAs('collectorOwn');
  const got = await call(svc.url, {
    method: 'GET',
    path: `/v1/receipts/${receipt.code}/${receipt.number}/pdf`,
    token: tokens.collectorOwn,
  });
  pdf = got.bytes;
});
afterAll(async () => svc?.stop());

describe('the authorization matrix', () => {
  it('has an entry for every route of the route table', () => {
    const missing = ROUTES.filter((r) => !entryOf(r)).map((r) => `${r.id} (${r.method} ${r.path})`);
    expect(missing, 'routes without an access-matrix entry').toEqual([]);
    const unknown = Object.keys(MATRIX).filter((id) => !ROUTES.some((r) => r.id === id));
    expect(unknown, 'matrix entries for routes that no longer exist').toEqual([]);
  });

  it('agrees with the route table on which routes are public', () => {
    const publicByMatrix = ROUTES.filter((r) => (entryOf(r)?.expect.none ?? 401) < 400).map((r) => r.id);
    expect(publicByMatrix).toEqual(ROUTES.filter(isPublic).map((r) => r.id));
  });

  it('lets only auditors call the audit routes', () => {
    const audit = ROUTES.filter((r) => r.group === 'audit');
    expect(audit.length).toBeGreaterThan(0);
    // Starting an export job is accepted (202): the job runs after the answer.
    for (const route of audit)
      expect(entryOf(route)?.expect, route.id).toEqual(
        only({ auditor: route.id === 'createAuditExport' ? 202 : 200 }),
      );
  });

  it('publishes every route in the OpenAPI document, with the access the table gives it', async () => {
    const doc = (await call(svc.url, { method: 'GET', path: '/v1/openapi.json' })).body;
    type Operation = { operationId: string; security: unknown[]; 'x-roles'?: unknown };
    const published = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations as Record<string, Operation>).map(([method, op]) => ({
        id: op.operationId,
        route: `${method.toUpperCase()} ${path}`,
        roles: op.security.length === 0 ? 'public' : op['x-roles'],
      })),
    );
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect(published.sort(byId)).toEqual(
      ROUTES.map((r) => ({ id: r.id, route: `${r.method} ${r.path}`, roles: r.access })).sort(byId),
    );
  });

  for (const route of ROUTES) {
    it(`${route.id}: ${route.method} ${route.path}`, async () => {
      const entry = entryOf(route);
      expect(entry, `no matrix entry for ${route.id}`).toBeDefined();
      const got: Partial<Record<CallerKind, number>> = {};
      for (const kind of CALLERS) {
        const request = await entry!.request();
        const res = await call(svc.url, { method: route.method, token: tokens[kind], ...request });
        got[kind] = res.status;
        if (res.status >= 400) expectErrorShape(res, `${route.id} as ${kind}`);
      }
      expect(got).toEqual(entry!.expect);
    });
  }
});

describe('public answers', () => {
  it("never carry a payer's full name or ID number", async () => {
    // A reversed receipt too: its answers name the red one, and the red one repeats the payer.
    const reversed = await issueAs('collectorOwn');
    const red = await call(svc.url, {
      method: 'POST',
      path: `/v1/receipts/${reversed.code}/${reversed.number}/reversal`,
      token: tokens.collectorOwn,
      ...json({ reason: '退费' }, { 'idempotency-key': newKey() }),
    });
    expect(red.status).toBe(201);
    const secrets = [PAYER.name, PAYER.idNumber];
    const encodings = (s: string) => [
      Buffer.from(s, 'utf8'),
      Buffer.from(s, 'utf16le').swap16(), // UTF-16BE, as PDF text strings hold it
      Buffer.from(JSON.stringify(s).slice(1, -1)), // \\u escapes, as JSON may hold it
      Buffer.from([...s].map((c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`).join('')),
    ];
    const publicRoutes = ROUTES.filter(isPublic);
    expect(publicRoutes.length).toBeGreaterThan(0);
    const targets = [receipt, reversed, red.body];
    let checked = 0;
    for (const route of publicRoutes) {
      for (const target of targets) {
        const saved = receipt;
        receipt = target;
        const request = await MATRIX[route.id]!.request();
        receipt = saved;
        const res = await call(svc.url, { method: route.method, ...request });
        // 201: filing a complaint (its answer is the new complaint's number and code).
        expect(res.status, `${route.id}: ${res.text.slice(0, 200)}`).toBe(
          route.id === 'fileComplaint' ? 201 : 200,
        );
        for (const secret of secrets)
          for (const encoded of encodings(secret))
            expect(res.bytes.includes(encoded), `${route.id} answers ${secret}`).toBe(false);
        checked++;
      }
    }
    // The masked forms are what the verification answers do show.
    const verified = await call(svc.url, { method: 'GET', path: `/v1/verify?${verifyQuery(receipt)}` });
    expect(verified.body.receipt.payer).toEqual({
      type: 'person',
      name: '欧***',
      idNumber: '110***********002X',
    });
    expect(checked).toBe(publicRoutes.length * targets.length);
  });

  it('error answers of public routes carry nothing personal either', async () => {
    const wrong = await call(svc.url, {
      method: 'GET',
      path: `/v1/verify?code=${receipt.code}&number=${receipt.number}&checkCode=ZZZZZZ`,
    });
    expect(wrong.status).toBe(404);
    expect(wrong.text).not.toContain(PAYER.name);
    expect(wrong.text).not.toContain(PAYER.idNumber);
  });
});
