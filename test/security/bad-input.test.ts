/**
 * Bad input over HTTP, property-based (fast-check): every route with a body or a query gets
 * malformed JSON, wrong types, missing and extra fields, huge strings and arrays, numbers for
 * amounts, bad quantities and dates, control characters, very long Idempotency-Keys, wrong
 * content types and oversized bodies. Every answer must be a 4xx in the JSON error shape
 * (never a 5xx, never a hang), and nothing may be written for a refused request: the
 * service's three tables are compared before and after, allowing only the `charge.refused`
 * events the design records on purpose for a 422 `charge_rejected`.
 *   FUZZ_RUNS=200 npx vitest run test/security/bad-input.test.ts   (more runs per route)
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIsoDate } from '../../lambdas/core/dates.js';
import { formatYuan, parseYuan } from '../../lambdas/core/money.js';
import { getDeps } from '../../lambdas/handlers/deps.js';
import { REQUEST_SCHEMAS } from '../../lambdas/handlers/request-schemas.js';
import { DEFAULT_MAX_BODY, ONE_MIB, ROUTES, type Route } from '../../lambdas/runtime/routes.js';
import { newKey, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';
import {
  type Answer,
  call,
  diffTables,
  expectErrorShape,
  expectNothingWritten,
  expectRefused,
  snapshotTables,
} from './support.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

let svc: TestService;
let finance: string;
let collector: string;
let auditor: string;
// biome-ignore lint/suspicious/noExplicitAny: API answers
let receipt: any;
let receiptKey: string;
let rangeId: string;
let pdf: Buffer;

const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
const basis = {
  title: '关于模糊测试的通知',
  number: '测〔2025〕3号',
  issuer: '某市财政局',
  date: '2025-01-02',
};
const fuzzItem = {
  code: 'FUZZ-001',
  name: '模糊测试收费',
  department: 'FUZZ',
  unit: '件',
  standard: { type: 'fixed', amount: '5.00' },
  basis: [basis],
  fundManagement: 'treasury',
  validFrom: '2025-01-01',
};

beforeAll(async () => {
  svc = await startTestService();
  finance = await svc.token({ role: 'finance' });
  collector = await svc.token({ role: 'collector', department: 'ZRZY' });
  auditor = await svc.token({ role: 'auditor' });
  const created = await svc.api('POST', '/v1/catalogue/items', { token: finance, json: fuzzItem });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const range = await svc.api('POST', '/v1/ranges', {
    token: finance,
    json: { department: 'FUZZ', size: 5 },
  });
  expect(range.status).toBe(201);
  rangeId = range.body.id;
  receiptKey = newKey();
  const issued = await svc.api('POST', '/v1/receipts', {
    token: collector,
    json: registrationCharge(),
    headers: { 'idempotency-key': receiptKey },
  });
  expect(issued.status).toBe(201);
  receipt = issued.body;
  pdf = (await svc.api('GET', `/v1/receipts/${receipt.code}/${receipt.number}/pdf`, { token: collector }))
    .bytes;
});
afterAll(async () => svc?.stop());

// ---------------------------------------------------------------------------------------
// Arbitraries of bad values

type Path = (string | number)[];

const CONTROL = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\n',
  '\r',
  '\u001b',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u009f',
  '\u2028',
  '\u2029',
];
const withControl = fc
  .tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...CONTROL), fc.string({ maxLength: 12 }))
  .map(([a, c, b]) => `甲${a}${c}${b}乙`);
const notString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
const notNumber = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('1', '80', '1e3'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);
const notArray = fc.oneof(
  notNumber,
  fc.integer(),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 2 }),
);
const notObject = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
);
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const badDate = fc.oneof(
  fc.constantFrom(
    '2026-02-30',
    '2025-02-29',
    '2100-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-04-31',
    '2026-01-00',
    '2026-1-1',
    '20260101',
    '2026/01/01',
    '2026-01-01T00:00:00Z',
    ' 2026-01-01',
    '2026-01-01 ',
    '２０２６-０１-０１',
    '',
  ),
  fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
    )
    .map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`)
    .filter((s) => !isIsoDate(s)),
  fc.string({ maxLength: 12 }).filter((s) => !isIsoDate(s)),
);
const badYuanString = fc.oneof(
  fc.constantFrom(
    '-80.00',
    '80.001',
    '8O.00',
    '１２.００',
    '1e2',
    '0x50',
    '',
    ' 80.00',
    '80.00 ',
    '.5',
    '80.',
    '+80.00',
    'NaN',
    'Infinity',
    '1234567890123.00',
    '00.10',
    '-0.00',
  ),
  fc.string({ maxLength: 10 }).filter((s) => parseYuan(s) === null),
);
/** Amounts as JSON numbers (the API refuses them), or strings that are not amounts. */
const badYuan = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(80, 80.0, 0.1, -80),
  badYuanString,
  notString.filter((v) => typeof v !== 'number'),
);
const tooLong = (max: number) =>
  fc.oneof(
    fc.integer({ min: max + 1, max: max + 300 }).map((n) => '费'.repeat(n)),
    fc.constant('x'.repeat(200_000)),
  );
const badText = (max: number) =>
  fc.oneof(fc.constant(''), tooLong(max), withControl, fc.constantFrom(' 前导空格', '尾随空格 '), notString);
const badInt = (min: number, max: number) =>
  fc
    .oneof(
      fc.integer({ min: -1_000_000_000, max: min - 1 }),
      fc.integer({ min: max + 1, max: Number.MAX_SAFE_INTEGER }),
      fc.double({ min: min, max: Math.min(max, 1e6), noNaN: true }).filter((x) => !Number.isInteger(x)),
      fc.constantFrom(-1, 0.5, 1.5, -0.5, 1e308, -1e308, 2 ** 53 + 2),
      notNumber,
    )
    .filter((x) => !(typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max));
const badPattern = (re: RegExp, samples: string[]) =>
  fc
    .oneof(fc.constantFrom(...samples), fc.string({ maxLength: 40 }), notString)
    .filter((v) => !(typeof v === 'string' && re.test(v)));

type Kind =
  | { t: 'text'; max: number }
  | { t: 'date'; nullable?: boolean }
  | { t: 'yuan' }
  | { t: 'int'; min: number; max: number }
  | { t: 'enum'; values: string[] }
  | { t: 'pattern'; re: RegExp; samples: string[] }
  | { t: 'array'; min: number; max: number; item: unknown }
  | { t: 'object' };

function invalid(kind: Kind): fc.Arbitrary<unknown> {
  switch (kind.t) {
    case 'text':
      return badText(kind.max);
    case 'date':
      return fc.oneof(badDate, notString).filter((v) => !(kind.nullable && v === null));
    case 'yuan':
      return badYuan;
    case 'int':
      return badInt(kind.min, kind.max);
    case 'enum':
      return fc
        .oneof(fc.string({ maxLength: 12 }), notString)
        .filter((v) => !kind.values.includes(v as string));
    case 'pattern':
      return badPattern(kind.re, kind.samples);
    case 'array':
      return fc.oneof(
        notArray,
        ...(kind.min > 0 ? [fc.constant([])] : []),
        fc
          .integer({ min: kind.max + 1, max: kind.max + 2000 })
          .map((n) => Array.from({ length: n }, () => kind.item)),
        fc.array(notObject, { minLength: 1, maxLength: 3 }),
      );
    case 'object':
      return notObject;
  }
}

interface Field {
  path: Path;
  kind: Kind;
  required: boolean;
}

interface BodySpec {
  base: () => Record<string, unknown>;
  fields: Field[];
  /** Objects that refuse unknown keys, with the keys they know. */
  objects: { path: Path; known: string[] }[];
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Sets (as an own, enumerable property, even `__proto__`) or deletes the value at a path. */
function edit(base: unknown, path: Path, value: unknown, remove = false): unknown {
  const root = clone(base) as Record<string | number, unknown>;
  let at = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) delete at[last];
  else Object.defineProperty(at, last, { value, enumerable: true, writable: true, configurable: true });
  return root;
}

const extraKey = (known: string[]) =>
  fc
    .oneof(
      fc.constantFrom(
        '__proto__',
        'constructor',
        'prototype',
        'toString',
        'hasOwnProperty',
        '',
        ' ',
        'status',
        'total',
        'number',
        'department',
      ),
      fc.string({ minLength: 1, maxLength: 16 }),
    )
    .filter((k) => !known.includes(k));

interface Case {
  label: string;
  path?: string;
  body?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

const MALFORMED_JSON = [
  '{',
  '{"payer":',
  '[1,2',
  "{'a':1}",
  'NaN',
  '{"a":1,}',
  '{"a" 1}',
  'undefined',
  '\u0000',
  '{"a":"\\x41"}',
  ' ',
  '\ufeff{}',
  '{"a":01}',
  '{"a":"\ud800"',
  'nul',
  'tru',
];
const isJson = (s: string) => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};
const WRONG_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  'application/json-patch+json',
  'text/json',
  'application/xml',
  'application/pdf',
  'text/csv',
];

/** Bad bodies of a JSON route: body-level garbage and, per field, every kind of wrong value. */
function jsonBodyCases(spec: BodySpec): fc.Arbitrary<Case> {
  const json = (label: string, v: unknown): Case => ({
    label,
    body: JSON.stringify(v),
    contentType: 'application/json',
  });
  const required = spec.fields.filter((f) => f.required);
  return fc.oneof(
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom(...MALFORMED_JSON),
          fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !isJson(s)),
        )
        .map(
          (s): Case => ({
            label: `malformed ${JSON.stringify(s)}`,
            body: s,
            contentType: 'application/json',
          }),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .jsonValue({ maxDepth: 2 })
        .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
        .map((v) => json('not an object', v)),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...WRONG_TYPES)
        .map(
          (t): Case => ({ label: `content type ${t}`, body: JSON.stringify(spec.base()), contentType: t }),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(...required)
        .map((f) => json(`missing ${f.path.join('.')}`, edit(spec.base(), f.path, undefined, true))),
    },
    {
      weight: 5,
      arbitrary: fc
        .constantFrom(...spec.fields)
        .chain((f) =>
          invalid(f.kind).map((v) => json(`bad ${f.path.join('.')}`, edit(spec.base(), f.path, v))),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(...spec.objects)
        .chain((o) =>
          fc
            .tuple(extraKey(o.known), fc.jsonValue({ maxDepth: 1 }))
            .map(([k, v]) => json(`extra ${[...o.path, k].join('.')}`, edit(spec.base(), [...o.path, k], v))),
        ),
    },
  );
}

// ---------------------------------------------------------------------------------------
// The routes and their bad input

const text = (max: number): Kind => ({ t: 'text', max });
const ITEM_CODE: Kind = {
  t: 'pattern',
  re: /^[A-Z0-9][A-Z0-9-]{0,31}$/,
  samples: ['zrzy-001', '-A', 'A'.repeat(33), 'A B', 'Ａ1', 'A_1'],
};
const DEPT: Kind = {
  t: 'pattern',
  re: /^[A-Z0-9]{2,16}$/,
  samples: ['Z', 'zrzy', 'Z'.repeat(17), 'ZR-ZY', 'ＺＲ'],
};
const BASIS_FIELDS = (at: Path): Field[] => [
  { path: [...at, 'title'], kind: text(200), required: true },
  { path: [...at, 'number'], kind: text(100), required: true },
  { path: [...at, 'issuer'], kind: text(100), required: true },
  { path: [...at, 'date'], kind: { t: 'date' }, required: true },
];
const ITEM_FIELDS: Field[] = [
  { path: ['name'], kind: text(100), required: true },
  { path: ['department'], kind: DEPT, required: true },
  { path: ['unit'], kind: text(20), required: true },
  { path: ['standard'], kind: { t: 'object' }, required: true },
  { path: ['standard', 'type'], kind: { t: 'enum', values: ['fixed', 'range'] }, required: true },
  { path: ['standard', 'amount'], kind: { t: 'yuan' }, required: true },
  { path: ['basis'], kind: { t: 'array', min: 1, max: 20, item: basis }, required: true },
  ...BASIS_FIELDS(['basis', 0]),
  { path: ['fundManagement'], kind: { t: 'enum', values: ['treasury', 'special_account'] }, required: true },
  { path: ['validFrom'], kind: { t: 'date' }, required: true },
  { path: ['validTo'], kind: { t: 'date', nullable: true }, required: false },
  {
    path: ['exemptions'],
    kind: { t: 'array', min: 0, max: 20, item: { who: '小微企业', kind: 'waive' } },
    required: false,
  },
  { path: ['status'], kind: { t: 'enum', values: ['active', 'suspended', 'abolished'] }, required: false },
];
const ITEM_OBJECTS = (extra: string[]) => [
  { path: [], known: [...Object.keys(fuzzItem), 'validTo', 'exemptions', 'status', ...extra] },
  { path: ['standard'], known: ['type', 'amount'] },
  { path: ['basis', 0], known: ['title', 'number', 'issuer', 'date'] },
];
const { code: _fuzzCode, ...fuzzFields } = fuzzItem;

const issueBody = (): Record<string, unknown> =>
  registrationCharge({ chargeDate: '2026-01-05' }) as Record<string, unknown>;
const ISSUE: BodySpec = {
  base: issueBody,
  fields: [
    { path: ['payer'], kind: { t: 'object' }, required: true },
    { path: ['payer', 'type'], kind: { t: 'enum', values: ['person', 'unit'] }, required: true },
    { path: ['payer', 'name'], kind: text(100), required: true },
    {
      path: ['payer', 'idNumber'],
      kind: {
        t: 'pattern',
        re: /^[0-9A-Z]{6,30}$/,
        samples: ['12345', '1'.repeat(31), '11010119900307123x', '1101-01'],
      },
      required: false,
    },
    {
      path: ['lines'],
      kind: { t: 'array', min: 1, max: 50, item: { itemCode: 'ZRZY-001', quantity: 1, amount: '80.00' } },
      required: true,
    },
    { path: ['lines', 0, 'itemCode'], kind: ITEM_CODE, required: true },
    { path: ['lines', 0, 'quantity'], kind: { t: 'int', min: 1, max: 1_000_000 }, required: true },
    { path: ['lines', 0, 'amount'], kind: { t: 'yuan' }, required: true },
    { path: ['lines', 0, 'exemption'], kind: text(100), required: false },
    { path: ['chargeDate'], kind: { t: 'date' }, required: false },
    { path: ['remark'], kind: text(200), required: false },
  ],
  objects: [
    { path: [], known: ['payer', 'lines', 'chargeDate', 'remark'] },
    { path: ['payer'], known: ['type', 'name', 'idNumber'] },
    { path: ['lines', 0], known: ['itemCode', 'quantity', 'amount', 'exemption'] },
  ],
};

/** Charges that are well formed but refused by the rules (422, recorded for auditors). */
const ruleBreaking: fc.Arbitrary<Case> = fc
  .oneof(
    fc
      .integer({ min: 0, max: 10 ** 9 })
      .filter((fen) => fen !== 8000)
      .map((fen) => ({ amount: formatYuan(fen) })),
    fc.constantFrom('ZRZY-999', 'GA-001', 'NOPE', 'FUZZ-001').map((itemCode) => ({ itemCode })),
    fc.constantFrom(tomorrow, '2999-12-31').map((chargeDate) => ({ chargeDate })),
  )
  .map((change) => {
    const body = issueBody() as { lines: Record<string, unknown>[]; chargeDate?: string };
    if ('chargeDate' in change) body.chargeDate = change.chargeDate;
    else Object.assign(body.lines[0]!, change);
    return {
      label: `rule-breaking ${JSON.stringify(change)}`,
      body: JSON.stringify(body),
      contentType: 'application/json',
    };
  });

const badIdempotencyKey = fc.oneof(
  fc.constant(undefined),
  fc.string({ minLength: 0, maxLength: 7, unit: 'binary-ascii' }).filter((s) => /^[\x21-\x7e]*$/.test(s)),
  fc.integer({ min: 129, max: 8000 }).map((n) => 'k'.repeat(n)),
  fc.constantFrom('key with spaces', 'key\twith-tab', 'clé-non-ascii-é', 'semi;colon key'),
);

interface Spec {
  id: string;
  token: () => string | undefined;
  path: () => string;
  method: string;
  headers?: () => Record<string, string>;
  cases: () => fc.Arbitrary<Case>;
}

const collectorHeaders = () => ({ 'idempotency-key': newKey() });

const SPECS: Spec[] = [
  {
    id: 'createItem',
    method: 'POST',
    token: () => finance,
    path: () => '/v1/catalogue/items',
    cases: () =>
      fc.oneof(
        jsonBodyCases({
          base: () => ({ ...clone(fuzzItem), code: 'FUZZ-NEW' }),
          fields: [
            { path: ['code'], kind: ITEM_CODE, required: true },
            ...ITEM_FIELDS,
            { path: ['reason'], kind: text(500), required: false },
          ],
          objects: ITEM_OBJECTS(['code', 'reason']),
        }),
        fc.constant<Case>({
          label: 'existing code',
          body: JSON.stringify({ ...fuzzItem, code: 'ZRZY-001', department: 'ZRZY' }),
          contentType: 'application/json',
        }),
        fc.constant<Case>({
          label: 'validTo before validFrom',
          body: JSON.stringify({ ...fuzzItem, code: 'FUZZ-NEW', validTo: '2024-12-31' }),
          contentType: 'application/json',
        }),
        fc.constant<Case>({
          label: 'range min > max',
          body: JSON.stringify({
            ...fuzzItem,
            code: 'FUZZ-NEW',
            standard: { type: 'range', min: '9.00', max: '1.00' },
          }),
          contentType: 'application/json',
        }),
      ),
  },
  {
    id: 'reviseItem',
    method: 'PUT',
    token: () => finance,
    path: () => '/v1/catalogue/items/FUZZ-001',
    cases: () =>
      fc.oneof(
        jsonBodyCases({
          base: () => ({ ...clone(fuzzFields), effectiveFrom: tomorrow, reason: '调整' }),
          fields: [
            ...ITEM_FIELDS,
            { path: ['effectiveFrom'], kind: { t: 'date' }, required: true },
            { path: ['reason'], kind: text(500), required: true },
          ],
          objects: ITEM_OBJECTS(['effectiveFrom', 'reason']),
        }),
        badPattern(/^[A-Z0-9][A-Z0-9-]{0,31}$/, ['zrzy-001', 'A'.repeat(33)])
          .filter(
            (v): v is string =>
              typeof v === 'string' &&
              v.length > 0 &&
              !v.includes('/') &&
              !v.includes('?') &&
              !v.includes('#'),
          )
          .map(
            (code): Case => ({
              label: `item code ${code}`,
              path: `/v1/catalogue/items/${encodeURIComponent(code)}`,
              body: JSON.stringify({ ...fuzzFields, effectiveFrom: tomorrow, reason: '调整' }),
              contentType: 'application/json',
            }),
          ),
        fc.constantFrom('NOPE-1', 'ZZZ').map(
          (code): Case => ({
            label: `missing item ${code}`,
            path: `/v1/catalogue/items/${code}`,
            body: JSON.stringify({ ...fuzzFields, effectiveFrom: tomorrow, reason: '调整' }),
            contentType: 'application/json',
          }),
        ),
      ),
  },
  {
    id: 'changeItemStatus',
    method: 'POST',
    token: () => finance,
    path: () => '/v1/catalogue/items/FUZZ-001/status',
    cases: () =>
      fc.oneof(
        jsonBodyCases({
          base: () => ({ status: 'suspended', effectiveFrom: tomorrow, reason: '暂停', basis: clone(basis) }),
          fields: [
            {
              path: ['status'],
              kind: { t: 'enum', values: ['active', 'suspended', 'abolished'] },
              required: true,
            },
            { path: ['effectiveFrom'], kind: { t: 'date' }, required: true },
            { path: ['reason'], kind: text(500), required: true },
            { path: ['basis'], kind: { t: 'object' }, required: true },
            ...BASIS_FIELDS(['basis']),
          ],
          objects: [
            { path: [], known: ['status', 'effectiveFrom', 'reason', 'basis'] },
            { path: ['basis'], known: ['title', 'number', 'issuer', 'date'] },
          ],
        }),
        fc.constantFrom('NOPE-1', 'lower', 'A'.repeat(40)).map(
          (code): Case => ({
            label: `item ${code}`,
            path: `/v1/catalogue/items/${code}/status`,
            body: JSON.stringify({ status: 'suspended', effectiveFrom: tomorrow, reason: '暂停', basis }),
            contentType: 'application/json',
          }),
        ),
      ),
  },
  {
    id: 'allocateRange',
    method: 'POST',
    token: () => finance,
    path: () => '/v1/ranges',
    cases: () =>
      jsonBodyCases({
        base: () => ({ department: 'FUZZ', size: 10, departmentName: '模糊测试局' }),
        fields: [
          { path: ['department'], kind: DEPT, required: true },
          { path: ['size'], kind: { t: 'int', min: 1, max: 1_000_000 }, required: true },
          { path: ['departmentName'], kind: text(100), required: false },
        ],
        objects: [{ path: [], known: ['department', 'size', 'departmentName'] }],
      }),
  },
  {
    id: 'closeRange',
    method: 'POST',
    token: () => finance,
    path: () => `/v1/ranges/${rangeId}/close`,
    cases: () =>
      fc.oneof(
        jsonBodyCases({
          base: () => ({ reason: '停用' }),
          fields: [{ path: ['reason'], kind: text(500), required: true }],
          objects: [{ path: [], known: ['reason'] }],
        }),
        fc
          .oneof(
            fc.constantFrom('nope', '0', 'RANGE#x', '..', '%00'),
            fc.string({ minLength: 1, maxLength: 40 }),
          )
          .map(
            (id): Case => ({
              label: `range id ${JSON.stringify(id)}`,
              path: `/v1/ranges/${encodeURIComponent(id)}/close`,
              body: JSON.stringify({ reason: '停用' }),
              contentType: 'application/json',
            }),
          ),
      ),
  },
  {
    id: 'issueReceipt',
    method: 'POST',
    token: () => collector,
    path: () => '/v1/receipts',
    headers: collectorHeaders,
    cases: () =>
      fc.oneof(
        { weight: 6, arbitrary: jsonBodyCases(ISSUE) },
        { weight: 2, arbitrary: ruleBreaking },
        {
          weight: 1,
          arbitrary: badIdempotencyKey.map(
            (key): Case => ({
              label: `idempotency key ${JSON.stringify(key)?.slice(0, 40)} (${key?.length})`,
              body: JSON.stringify(issueBody()),
              contentType: 'application/json',
              headers: key === undefined ? { 'idempotency-key': '' } : { 'idempotency-key': key },
            }),
          ),
        },
        {
          weight: 1,
          arbitrary: fc.constant<Case>({
            label: 'a used Idempotency-Key with another body',
            body: JSON.stringify(registrationCharge({ remark: '另一笔' })),
            contentType: 'application/json',
            headers: { 'idempotency-key': 'REUSED' },
          }),
        },
      ),
  },
  {
    id: 'reverseReceipt',
    method: 'POST',
    token: () => collector,
    path: () => `/v1/receipts/${receipt.code}/${receipt.number}/reversal`,
    headers: collectorHeaders,
    cases: () =>
      fc.oneof(
        jsonBodyCases({
          base: () => ({ reason: '退费' }),
          fields: [{ path: ['reason'], kind: text(200), required: true }],
          objects: [{ path: [], known: ['reason'] }],
        }),
        fc
          .tuple(
            fc.oneof(fc.stringMatching(/^\d{8}$/), fc.string({ minLength: 1, maxLength: 12 })),
            fc.oneof(fc.stringMatching(/^\d{10}$/), fc.string({ minLength: 1, maxLength: 12 })),
          )
          .filter(([c, n]) => !(c === receipt.code && n === receipt.number))
          .map(
            ([c, n]): Case => ({
              label: `receipt ${c}/${n}`,
              path: `/v1/receipts/${encodeURIComponent(c)}/${encodeURIComponent(n)}/reversal`,
              body: JSON.stringify({ reason: '退费' }),
              contentType: 'application/json',
            }),
          ),
        badIdempotencyKey.map(
          (key): Case => ({
            label: `idempotency key (${key?.length})`,
            body: JSON.stringify({ reason: '退费' }),
            contentType: 'application/json',
            headers: { 'idempotency-key': key ?? '' },
          }),
        ),
      ),
  },
  {
    id: 'importCatalogue',
    method: 'POST',
    token: () => finance,
    path: () => '/v1/catalogue/import',
    cases: () => {
      const header =
        'code,name,department,unit,standard_type,amount,min,max,fund_management,valid_from,valid_to,basis_title,basis_number,basis_issuer,basis_date,exemptions,status,effective_from,reason';
      const cell = fc.oneof(
        fc.string({ maxLength: 12 }),
        withControl,
        fc.constantFrom('"', '""', '"a,b"', '\r\n', 'ZRZY-001', 'fixed', '80.00'),
      );
      // Every generated row has a valid_from that is no date, so no row can be valid.
      const row = fc.array(cell, { minLength: 19, maxLength: 19 }).chain((cells) =>
        badDate.map((d) => {
          const c = [...cells];
          c[9] = d.replace(/[",\r\n]/g, '') === d ? d : '2026-02-30';
          return c.map((x) => (/[",\r\n]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x)).join(',');
        }),
      );
      const csv = (label: string, body: string | Uint8Array): Case => ({
        label,
        body,
        contentType: 'text/csv',
      });
      return fc.oneof(
        fc.string({ minLength: 1, maxLength: 200 }).map((s) => csv('random text', s)),
        fc
          .array(row, { minLength: 1, maxLength: 5 })
          .map((rows) => csv('header and bad rows', [header, ...rows].join('\n'))),
        fc.constant(csv('header only', `${header}\n`)),
        fc.constant(csv('unterminated quote', `${header}\n"ZRZY-900,名称`)),
        fc.constant(
          csv(
            'too many rows',
            [
              header,
              ...Array.from(
                { length: 120 },
                (_, i) =>
                  `IMP-${i},名,IMP,次,fixed,1.00,,,treasury,2025-01-01,,通知,文1号,财政局,2025-01-01,,active,,`,
              ),
            ].join('\n'),
          ),
        ),
        fc
          .uint8Array({ minLength: 1, maxLength: 200 })
          .map((b) => csv('bytes', new Uint8Array([0xff, 0xfe, ...b]))),
        fc
          .constantFrom(...WRONG_TYPES.filter((t) => t !== 'text/csv'), 'application/json')
          .map((t): Case => ({ label: `content type ${t}`, body: `${header}\n`, contentType: t })),
      );
    },
  },
  {
    id: 'verifyPdf',
    method: 'POST',
    token: () => undefined,
    path: () => '/v1/verify/pdf',
    cases: () =>
      fc.oneof(
        fc
          .uint8Array({ minLength: 1, maxLength: 2000 })
          .filter((b) => !Buffer.from(b).subarray(0, 5).equals(Buffer.from('%PDF-')))
          .map((b): Case => ({ label: 'random bytes', body: b, contentType: 'application/pdf' })),
        fc
          .string({ minLength: 1, maxLength: 200 })
          .filter((s) => !s.startsWith('%PDF-'))
          .map((s): Case => ({ label: 'text', body: s, contentType: 'application/pdf' })),
        fc
          .constantFrom(...WRONG_TYPES.filter((t) => t !== 'application/pdf'))
          .map((t): Case => ({ label: `content type ${t}`, body: pdf, contentType: t })),
      ),
  },
  {
    id: 'listCatalogue',
    method: 'GET',
    token: () => undefined,
    path: () => '/v1/catalogue',
    cases: () =>
      fc
        .oneof(
          badDate.map((d) => ({ asOf: d })),
          badPattern(/^[A-Z0-9]{2,16}$/, ['z', 'zrzy', 'ZR-ZY'])
            .filter((v): v is string => typeof v === 'string')
            .map((d) => ({ department: d })),
          fc
            .tuple(extraKey(['asOf', 'department']), fc.string({ maxLength: 10 }))
            .map(([k, v]) => ({ [k]: v })),
          fc.constant({ asOf: ['2026-01-01', '2026-01-02'] }),
        )
        .map((q): Case => ({ label: `query ${JSON.stringify(q)}`, path: `/v1/catalogue?${query(q)}` })),
  },
  ...(['verifyReceipt', 'getVerifiedPdf'] as const).map(
    (id): Spec => ({
      id,
      method: 'GET',
      token: () => undefined,
      path: () => (id === 'verifyReceipt' ? '/v1/verify' : '/v1/verify/pdf'),
      cases: () =>
        fc
          .record({
            code: fc.oneof(
              fc.stringMatching(/^\d{8}$/),
              fc.string({ maxLength: 12 }),
              fc.constant(undefined),
            ),
            number: fc.oneof(
              fc.stringMatching(/^\d{10}$/),
              fc.constant(undefined),
              fc.string({ maxLength: 12 }),
              fc.constant(receipt.number),
            ),
            checkCode: fc.oneof(
              fc.stringMatching(/^[0-9A-Z]{6}$/),
              fc.string({ maxLength: 8 }),
              fc.constant(undefined),
            ),
            extra: fc.option(
              fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 })),
            ),
          })
          .filter((q) => q.checkCode !== receipt.checkCode)
          .map((q): Case => {
            const { extra, ...rest } = q;
            const all = { ...rest, ...(extra ? { [extra[0]]: extra[1] } : {}) };
            return {
              label: `query ${JSON.stringify(all)}`,
              path: `${id === 'verifyReceipt' ? '/v1/verify' : '/v1/verify/pdf'}?${query(all)}`,
            };
          }),
    }),
  ),
];

function query(q: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else p.append(k, String(v));
  }
  return p.toString();
}

/** The keys a (strict) object schema knows, as zod keeps them. */
function schemaKeys(schema: unknown): string[] {
  const def = (schema as { def?: { shape?: object; in?: unknown; schema?: unknown } }).def;
  if (def?.shape) return Object.keys(def.shape);
  const inner = def?.in ?? def?.schema;
  return inner ? schemaKeys(inner) : [];
}

const isAudit = (r: Route) => r.id.startsWith('audit') || (r.group as string) === 'audit';

/** Routes that take a body or a query; each must be fuzzed here. */
const takesInput = (r: Route) => !!r.body || !!REQUEST_SCHEMAS[r.id]?.query;

async function send(spec: Spec, c: Case): Promise<Answer> {
  const headers = { ...(spec.headers?.() ?? {}), ...(c.headers ?? {}) };
  if (headers['idempotency-key'] === '') delete headers['idempotency-key'];
  if (headers['idempotency-key'] === 'REUSED') headers['idempotency-key'] = receiptKey;
  return call(svc.url, {
    method: spec.method,
    path: c.path ?? spec.path(),
    token: spec.token(),
    headers,
    body: c.body,
    contentType: c.contentType,
  });
}

/** Runs `body` and then checks that the tables changed by no more than the allowed refusals. */
async function expectNoWrites(context: string, body: (countRefusal: (res: Answer) => void) => Promise<void>) {
  const before = await snapshotTables();
  let chargeRefused = 0;
  await body((res) => {
    if (res.status === 422 && res.body?.error === 'charge_rejected') chargeRefused++;
  });
  expectNothingWritten(diffTables(before, await snapshotTables()), { chargeRefused }, context);
}

describe('bad input over HTTP', () => {
  it('covers every route that takes a body or a query', () => {
    const covered = new Set(SPECS.map((s) => s.id));
    const missing = ROUTES.filter((r) => takesInput(r) && !covered.has(r.id) && !isAudit(r)).map((r) => r.id);
    expect(missing, 'routes with input but no bad-input spec').toEqual([]);
  });

  for (const spec of SPECS) {
    it(`${spec.id}: every bad request is a 4xx in the error shape, and writes nothing`, async () => {
      await expectNoWrites(spec.id, async (count) => {
        await fc.assert(
          fc.asyncProperty(spec.cases(), async (c) => {
            const res = await send(spec, c);
            count(res);
            expectRefused(res, `${spec.id} ${c.label}`);
            if (spec.id === 'issueReceipt' && c.label.startsWith('rule-breaking'))
              expect(res.status, c.label).toBe(422);
          }),
          { numRuns: RUNS },
        );
      });
    });
  }

  const bodyRoutes = ROUTES.filter((r) => r.body);
  const specOf = (r: Route): Spec =>
    SPECS.find((s) => s.id === r.id) ?? {
      id: r.id,
      method: r.method,
      token: () => auditor,
      path: () => r.path,
      cases: () => fc.constant({ label: '' }),
    };

  it('refuses an empty body, a body without a content type, and one larger than the route allows', async () => {
    await expectNoWrites('body limits', async (count) => {
      for (const route of bodyRoutes) {
        const spec = specOf(route);
        const type = { json: 'application/json', csv: 'text/csv', pdf: 'application/pdf' }[route.body!.type];
        const max = route.body!.maxBytes ?? DEFAULT_MAX_BODY;
        const cases: [Case, number][] = [
          [{ label: 'empty body', body: '', contentType: type }, 400],
          [{ label: 'no content type', body: new Uint8Array(Buffer.from('{"reason":"退费"}')) }, 415],
          [{ label: 'largest + 1', body: new Uint8Array(max + 1).fill(0x20), contentType: type }, 413],
        ];
        if (max > ONE_MIB)
          // Within this route's limit, so it must be refused for what it is, not for its size.
          cases.push([
            { label: '1 MiB + 1', body: new Uint8Array(ONE_MIB + 1).fill(0x41), contentType: type },
            400,
          ]);
        else
          cases.push([
            { label: '1 MiB + 1', body: new Uint8Array(ONE_MIB + 1).fill(0x41), contentType: type },
            413,
          ]);
        for (const [c, status] of cases) {
          const res = await send(spec, c);
          count(res);
          expectRefused(res, `${route.id} ${c.label}`);
          expect(res.status, `${route.id} ${c.label}`).toBe(status);
        }
      }
    });
  });

  it('refuses an Idempotency-Key too long for any header limit with a JSON answer', async () => {
    await expectNoWrites('long key', async () => {
      for (const length of [129, 4096, 12_000, 40_000]) {
        const res = await call(svc.url, {
          method: 'POST',
          path: '/v1/receipts',
          token: collector,
          headers: { 'idempotency-key': 'k'.repeat(length) },
          body: JSON.stringify(issueBody()),
          contentType: 'application/json',
        });
        expectRefused(res, `key of ${length}`);
      }
    });
  });

  it('takes names from every Unicode plane: issued exactly as sent, or refused without a write', async () => {
    const planeChar = (plane: number) =>
      fc
        .integer({ min: plane * 0x10000, max: plane * 0x10000 + 0xffff })
        .filter((cp) => cp < 0xd800 || cp > 0xdfff)
        .map((cp) => String.fromCodePoint(cp));
    const name = fc.oneof(
      fc.tuple(...Array.from({ length: 17 }, (_, p) => planeChar(p))).map((cs) => `张${cs.join('')}`),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
      fc
        .array(
          fc.integer({ min: 0x4e00, max: 0x9fff }).map((cp) => String.fromCodePoint(cp)),
          { minLength: 1, maxLength: 6 },
        )
        .map((cs) => cs.join('')),
      fc.constantFrom(
        '\ud800',
        'a\udfffb',
        '王\u200d五',
        '李\ufe0f',
        '\u{1f600}',
        '\u{20000}',
        '\u{e0041}',
        '\u{10fffd}',
        '\ufffe',
      ),
    );
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(name, async (n) => {
        const before = await snapshotTables();
        const res = await call(svc.url, {
          method: 'POST',
          path: '/v1/receipts',
          token: collector,
          headers: { 'idempotency-key': newKey() },
          body: JSON.stringify(registrationCharge({ payer: { type: 'person', name: n } })),
          contentType: 'application/json',
        });
        if (res.status === 201) {
          accepted++;
          expect(res.body.status, 'an issued receipt is complete').toBe('issued');
          const got = await svc.api('GET', `/v1/receipts/${res.body.code}/${res.body.number}`, {
            token: collector,
          });
          expect(got.body.payer.name).toBe(n);
        } else {
          refused++;
          expectRefused(res, `name ${JSON.stringify(n)}`);
          expectNothingWritten(
            diffTables(before, await snapshotTables()),
            { chargeRefused: 0 },
            `name ${JSON.stringify(n)}`,
          );
        }
      }),
      { numRuns: Math.max(15, Math.round(RUNS / 2)) },
    );
    expect(accepted + refused).toBeGreaterThan(0);
    expect(await getDeps().receipts.pending(10)).toEqual([]);
  });

  it('catalogue names from every Unicode plane never leave a charge half-issued', async () => {
    // A fee item's name and unit are printed on the receipt: whatever finance names an item,
    // charging it must end issued or refused before a number is taken, never a 5xx.
    const name = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }),
      fc.constantFrom('停车费\u{1f697}', '\u{20000}登记费', '证照\u{e0041}工本费', '检测费\ufffe', '登记费'),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(name, fc.constantFrom('件', '次', '\u{1f4e6}'), async (itemName, unit) => {
        const code = `UNI-${++n}`;
        const created = await call(svc.url, {
          method: 'POST',
          path: '/v1/catalogue/items',
          token: finance,
          body: JSON.stringify({ ...fuzzItem, code, department: 'ZRZY', name: itemName, unit }),
          contentType: 'application/json',
        });
        if (created.status !== 201) return expectRefused(created, `item name ${JSON.stringify(itemName)}`);
        const charged = await call(svc.url, {
          method: 'POST',
          path: '/v1/receipts',
          token: collector,
          headers: { 'idempotency-key': newKey() },
          body: JSON.stringify({
            payer: { type: 'person', name: '张三' },
            lines: [{ itemCode: code, quantity: 1, amount: '5.00' }],
          }),
          contentType: 'application/json',
        });
        if (charged.status !== 201) expectRefused(charged, `charge of ${JSON.stringify(itemName)} / ${unit}`);
      }),
      { numRuns: Math.max(10, Math.round(RUNS / 2)) },
    );
    expect(
      await getDeps().receipts.pending(10),
      'receipts left pending (numbers taken, never issued)',
    ).toEqual([]);
  });

  it('fuzzes the query of every other route with a query schema (audit routes as they land)', async () => {
    const others = ROUTES.filter((r) => REQUEST_SCHEMAS[r.id]?.query && !SPECS.some((s) => s.id === r.id));
    for (const route of others) {
      const schema = REQUEST_SCHEMAS[route.id]!.query!;
      const token = isAudit(route) ? auditor : route.access === 'public' ? undefined : finance;
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(
            fc.oneof(
              fc.string({ minLength: 1, maxLength: 10 }),
              fc.constantFrom(...schemaKeys(schema), 'month', 'kind'),
            ),
            fc.oneof(
              fc.string({ maxLength: 12 }),
              badDate,
              withControl,
              fc.constantFrom(
                '-1',
                '0',
                '501',
                '1.5',
                '1e9',
                'csv',
                'json',
                '2026-01-01',
                'ZRZY',
                'ZRZY-001',
                '-80.00',
                '80.001',
                'x'.repeat(3000),
              ),
            ),
            { maxKeys: 3 },
          ),
          async (q) => {
            const before = await snapshotTables();
            const res = await call(svc.url, {
              method: route.method,
              path: `${route.path}?${query(q)}`,
              token,
            });
            expect(res.status, `${route.id} ${JSON.stringify(q)}: ${res.text.slice(0, 200)}`).toBeLessThan(
              500,
            );
            if (!schema.safeParse(q).success || res.status >= 400) {
              expectRefused(res, `${route.id} ${JSON.stringify(q)}`);
              expectNothingWritten(
                diffTables(before, await snapshotTables()),
                { chargeRefused: 0 },
                route.id,
              );
            }
          },
        ),
        { numRuns: Math.max(10, Math.round(RUNS / 3)) },
      );
    }
  });

  it('records a refused charge (422) and nothing else: the allowance is exercised, not just allowed', async () => {
    await expectNoWrites('rule-breaking charges', async (count) => {
      for (const lines of [
        [{ itemCode: 'ZRZY-001', quantity: 1, amount: '79.99' }],
        [{ itemCode: 'GA-001', quantity: 1, amount: '20.00' }],
        [{ itemCode: 'ZRZY-999', quantity: 2, amount: '1.00' }],
      ]) {
        const res = await send(SPECS.find((x) => x.id === 'issueReceipt')!, {
          label: 'rule-breaking',
          body: JSON.stringify({ payer: { type: 'person', name: '张三' }, lines }),
          contentType: 'application/json',
        });
        expect(res.status).toBe(422);
        expect(res.body.error).toBe('charge_rejected');
        expect(res.body.details.length).toBeGreaterThan(0);
        count(res);
      }
    });
  });

  it('refuses a query parameter named __proto__ like any unknown one', async () => {
    for (const path of [
      '/v1/catalogue?__proto__=x',
      '/v1/catalogue?constructor=x',
      '/v1/catalogue?asOf=2026-01-01&__proto__[a]=1',
    ])
      expectRefused(await call(svc.url, { method: 'GET', path }), path);
  });

  it('answers a 4xx in the error shape for what is not a route or method', async () => {
    for (const [method, path] of [
      ['DELETE', '/v1/receipts'],
      ['GET', '/v1/nothing-here'],
      ['PATCH', '/v1/catalogue/items/ZRZY-001'],
      ['GET', '/v1/receipts/%E0%A4%A/0000000001'],
    ] as const) {
      const res = await call(svc.url, { method, path, token: collector });
      expectRefused(res, `${method} ${path}`);
      expectErrorShape(res);
    }
  });
});
