/**
 * Bad input over HTTP, property-based (fast-check). The bad requests come from the route
 * table: each part of a request that a route has a schema for (runtime/routes.ts: body,
 * query, path parameters, headers) is fuzzed from that schema's JSON Schema. Every field goes
 * missing, gets the wrong type, lands just past its limits (minLength/maxLength,
 * minimum/maximum, minItems/maxItems) and far past them, leaves its pattern, format or enum,
 * carries control characters or blanks; every strict object gets unknown keys (`__proto__`
 * too). The schema itself tells which of these must be refused. Around them: malformed JSON,
 * wrong content types, empty and oversized bodies, very long Idempotency-Keys, and what only
 * an operation can tell (rule-breaking charges, unknown items, ranges and receipts, CSV and
 * PDF bodies). Every answer must be a 4xx in the JSON error shape (never a 5xx, never a hang);
 * a request the schemas refuse gets a 400 naming the field (or the route's 404, where it
 * answers malformed input as a miss); and nothing may be written for a refused request: the
 * service's three tables are compared before and after, allowing only the `charge.refused`
 * events the design records on purpose for a 422 `charge_rejected`.
 *   FUZZ_RUNS=200 npx vitest run test/security/bad-input.test.ts   (more runs per route)
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { getDeps } from '../../lambdas/app/deps.js';
import { dateInZone, isIsoDate } from '../../lambdas/core/dates.js';
import { formatYuan, parseYuan } from '../../lambdas/core/money.js';
import {
  CONTENT_TYPES,
  DEFAULT_MAX_BODY,
  isPublic,
  ONE_MIB,
  type RequestSchemas,
  ROUTES,
  type Route,
} from '../../lambdas/runtime/routes.js';
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

const today = dateInZone(new Date());
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
  validFrom: today, // a new item takes effect today or later
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
// Bad values of every kind

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
/** For `format: date`. */
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
/** For `format: decimal` (amounts in yuan); JSON numbers come with every string's bad types. */
const badDecimal = fc.oneof(
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
    '--1.00',
  ),
  fc.constantFrom(80, 80.0, 0.1, -80),
  fc.string({ maxLength: 10 }).filter((s) => parseYuan(s.replace(/^-/, '')) === null),
);
/** What a one-character slip puts in a code: blanks, look-alikes, separators, non-ASCII. */
const SLIPS = [' ', '\t', '-', '_', '.', ';', ',', '/', 'é', 'Ａ', '中', '\u0000', '\u00a0', 'a', 'Z', '0'];
/**
 * Near misses of a pattern: a matching string with one slip (or repeated past any length). A
 * slip can land on another match ("00023-05" less a digit is a month too): those are left out.
 */
const offPattern = (pattern: string) =>
  fc
    .stringMatching(new RegExp(pattern))
    .chain((s) =>
      fc.oneof(
        fc
          .tuple(fc.nat({ max: s.length }), fc.constantFrom(...SLIPS))
          .map(([i, c]) => s.slice(0, i) + c + s.slice(i)),
        fc.nat({ max: Math.max(0, s.length - 1) }).map((i) => s.slice(0, i) + s.slice(i + 1)),
        fc.constantFrom(s.toLowerCase(), s.toUpperCase(), `-${s}`, s.repeat(3), s.repeat(40)),
      ),
    )
    .filter((v) => !new RegExp(pattern).test(v));
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

// ---------------------------------------------------------------------------------------
// Bad values from a schema: its JSON Schema says what each field is and where its limits lie

/** The JSON Schema that zod makes of a request schema (what the OpenAPI document shows). */
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: unknown;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  example?: unknown;
}

const jsonSchemaOf = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
const alternatives = (s: JsonSchema) => [...(s.anyOf ?? []), ...(s.oneOf ?? [])];

/** How long a string may grow where a URL or a header carries it (a body takes far more). */
type Carrier = 'body' | 'url' | 'header';
const HUGE: Record<Carrier, number> = { body: 200_000, url: 3000, header: 3000 };

/** `n` characters made of `seed`'s, so that only the length is wrong. */
function ofLength(seed: string, n: number): string {
  const chars = [...seed];
  return Array.from({ length: n }, (_, i) => chars[i % chars.length]).join('');
}

function badStrings(s: JsonSchema, seed: string, carrier: Carrier): fc.Arbitrary<unknown> {
  const arbs: fc.Arbitrary<unknown>[] = [
    fc.constantFrom('', ` ${seed}`, `${seed} `, `${seed}\n`),
    withControl,
    fc.string({ maxLength: 40 }),
  ];
  if (s.minLength !== undefined && s.minLength > 1) arbs.push(fc.constant(ofLength(seed, s.minLength - 1)));
  if (s.maxLength !== undefined)
    arbs.push(
      fc.constant(ofLength(seed, s.maxLength + 1)),
      fc.integer({ min: s.maxLength + 2, max: s.maxLength + 300 }).map((n) => ofLength(seed, n)),
      fc.constant('x'.repeat(Math.max(HUGE[carrier], s.maxLength + 1))),
    );
  if (s.pattern) arbs.push(offPattern(s.pattern));
  if (s.format === 'date') arbs.push(badDate);
  if (s.format === 'decimal') arbs.push(badDecimal);
  return fc.oneof(...arbs);
}

function badNumbers(s: JsonSchema): fc.Arbitrary<unknown> {
  const min = s.minimum ?? Number.MIN_SAFE_INTEGER;
  const max = s.maximum ?? Number.MAX_SAFE_INTEGER;
  const arbs: fc.Arbitrary<unknown>[] = [
    fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, -0.5),
    fc.constantFrom(min - 1, max + 1),
    fc.integer({ min: -1_000_000_000, max: Math.max(-1_000_000_000, min - 1) }),
    fc.integer({ min: Math.min(max + 1, Number.MAX_SAFE_INTEGER), max: Number.MAX_SAFE_INTEGER }),
  ];
  if (s.type === 'integer')
    arbs.push(
      fc.constantFrom(0.5, 1.5, min + 0.5),
      fc
        .double({ min: Math.max(min, -1e6), max: Math.min(max, 1e6), noNaN: true })
        .filter((x) => !Number.isInteger(x)),
    );
  return fc.oneof(...arbs);
}

function badArrays(s: JsonSchema, value: unknown): fc.Arbitrary<unknown> {
  // Copies of a valid element, so that only the count is wrong.
  const element = Array.isArray(value) && value.length ? value[0] : {};
  const times = (n: number) => Array.from({ length: n }, () => structuredClone(element));
  const arbs: fc.Arbitrary<unknown>[] = [notArray, fc.array(notObject, { minLength: 1, maxLength: 3 })];
  if (s.minItems) arbs.push(fc.constant(times(s.minItems - 1)));
  if (s.maxItems !== undefined)
    arbs.push(
      fc.constant(times(s.maxItems + 1)),
      fc.integer({ min: s.maxItems + 2, max: s.maxItems + 2000 }).map(times),
    );
  return fc.oneof(...arbs);
}

/** Values a field of this schema must not take (the schema decides which it refuses). */
function badValues(s: JsonSchema, value: unknown, carrier: Carrier): fc.Arbitrary<unknown> {
  const alts = alternatives(s);
  if (alts.length) return fc.oneof(...alts.map((a) => badValues(a, value, carrier)));
  const arbs: fc.Arbitrary<unknown>[] = [];
  const listed = s.enum ?? (s.const !== undefined ? [s.const] : undefined);
  if (listed) {
    const words = listed.map(String);
    arbs.push(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(...words.flatMap((w) => [w.toUpperCase(), ` ${w}`, `${w}s`])),
    );
  }
  // A URL or a header carries ASCII at its length (percent-encoded 费 takes nine characters).
  const seed =
    typeof value === 'string' && value
      ? value
      : typeof s.example === 'string'
        ? s.example
        : carrier === 'body'
          ? '费'
          : 'x';
  if (s.type === 'string') arbs.push(notString, badStrings(s, seed, carrier));
  else if (s.type === 'integer' || s.type === 'number') arbs.push(notNumber, badNumbers(s));
  else if (s.type === 'array') arbs.push(badArrays(s, value));
  else if (s.type === 'object') arbs.push(notObject);
  else if (s.type !== 'null') arbs.push(notString, notObject);
  return arbs.length ? fc.oneof(...arbs) : fc.constant(undefined);
}

interface Field {
  path: Path;
  schema: JsonSchema;
  value: unknown;
  required: boolean;
}

/** Every field under a schema that a valid value lets us reach, and every strict object. */
function fieldsOf(schema: JsonSchema, value: unknown) {
  const fields: Field[] = [];
  const strict: { path: Path; known: string[] }[] = [];
  const descend = (s: JsonSchema, v: unknown, path: Path) => {
    for (const alt of alternatives(s)) descend(alt, v, path);
    if (s.properties && v && typeof v === 'object' && !Array.isArray(v)) {
      if (s.additionalProperties === false) strict.push({ path, known: Object.keys(s.properties) });
      for (const [key, property] of Object.entries(s.properties)) {
        const child = (v as Record<string, unknown>)[key];
        const at = [...path, key];
        fields.push({ path: at, schema: property, value: child, required: !!s.required?.includes(key) });
        descend(property, child, at);
      }
    }
    if (s.items && Array.isArray(v) && v.length) {
      fields.push({ path: [...path, 0], schema: s.items, value: v[0], required: true });
      descend(s.items, v[0], [...path, 0]);
    }
  };
  descend(schema, value, []);
  return { fields, strict };
}

/** Sets (as an own, enumerable property, even `__proto__`) or deletes the value at a path. */
function edit(base: unknown, path: Path, value: unknown, remove = false): unknown {
  if (!path.length) return value;
  const root = structuredClone(base) as Record<string | number, unknown>;
  let at = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) delete at[last];
  else Object.defineProperty(at, last, { value, enumerable: true, writable: true, configurable: true });
  return root;
}

/** A path as the API's error details write it: `lines[0].amount`, `header.idempotency-key`. */
function detailPath(part: Part, path: Path): string {
  const written = path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${key}` : String(key)),
    part === 'headers' ? 'header' : '',
  );
  return written || `(${PART_NAMES[part]})`;
}

// ---------------------------------------------------------------------------------------
// Requests: a valid one per route, and bad ones made by changing one thing in it

type Part = Exclude<keyof RequestSchemas, 'nullWhenInvalid'>;
const PARTS: readonly Part[] = ['headers', 'params', 'query', 'body'];
/** How the API's details name a part as a whole: `(body)`, `(query)`... */
const PART_NAMES: Record<Part, string> = { headers: 'headers', params: 'path', query: 'query', body: 'body' };
const CARRIER: Record<Part, Carrier> = { headers: 'header', params: 'url', query: 'url', body: 'body' };

/** A valid request of a route, part by part. */
interface Valid {
  headers?: Record<string, string>;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

interface Case {
  label: string;
  /** Parts given here replace the valid request's. */
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  contentType?: string;
  /** Where the route's schemas refuse the case: the answer must name this field. */
  refused?: { part: Part; path: string };
  /** The status the case must get, where only one is right. */
  status?: number;
}

interface Spec {
  token: () => string | undefined;
  valid: () => Valid;
  /** Bad requests that only the operation can tell (its schemas let them through). */
  more?: () => fc.Arbitrary<Case>;
  /** A dry run: its 422 charge_rejected records no refusal, so none may be written. */
  dryRun?: true;
}

const queryValue = (v: unknown): string | string[] =>
  typeof v === 'string' ? v : Array.isArray(v) ? v.map(String) : JSON.stringify(v);

function query(q: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    const value = queryValue(v);
    if (Array.isArray(value)) for (const x of value) p.append(k, x);
    else p.append(k, value);
  }
  return p.toString();
}

const HEADER_VALUE = /^([\x21-\x7e\x80-\xff]([\x20-\x7e\x80-\xff\t]*[\x21-\x7e\x80-\xff])?)?$/;
const PATH_SEGMENT = (s: string) => s !== '' && s !== '.' && s !== '..' && !/[\ud800-\udfff]/.test(s);

/**
 * A part as the service will see it once sent (JSON and URLs change some values on the way),
 * or null where HTTP cannot carry it (a header with a line break, a path segment `..`).
 */
function wire(part: Part, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (part === 'body') return JSON.parse(JSON.stringify(value));
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (part === 'headers')
    return entries.every(([, v]) => typeof v === 'string' && HEADER_VALUE.test(v))
      ? Object.fromEntries(entries)
      : null;
  if (part === 'params')
    return entries.every(([, v]) => typeof v === 'string' && PATH_SEGMENT(v))
      ? Object.fromEntries(entries)
      : null;
  // As the local server and API Gateway read a query: repeated names joined with commas.
  const seen: Record<string, string> = Object.create(null);
  for (const [k, v] of new URLSearchParams(query(Object.fromEntries(entries))))
    seen[k] = k in seen ? `${seen[k]},${v}` : v;
  return { ...seen };
}

/** Bad requests derived from the route's schemas: each changes one field of one part of a valid request. */
function schemaCases(route: Route, valid: Valid): fc.WeightedArbitrary<Case>[] {
  const arbitraries: fc.WeightedArbitrary<Case>[] = [];
  for (const part of PARTS) {
    const schema = route.request?.[part];
    const base = valid[part];
    if (!schema || base === undefined) continue;
    const { fields, strict } = fieldsOf(jsonSchemaOf(schema), base);
    /** The case, where the schema refuses it as sent; null where it does not (or HTTP cannot send it). */
    const attempt = (label: string, value: unknown, path: Path): Case | null => {
      const sent = wire(part, value);
      if (sent === null || schema.safeParse(sent).success) return null;
      const c: Case = { label: `${part} ${label}`, refused: { part, path: detailPath(part, path) } };
      if (part === 'body') c.body = JSON.stringify(value);
      else c[part] = value as Record<string, string>;
      return c;
    };
    const show = (v: unknown) => (JSON.stringify(v) ?? 'undefined').slice(0, 60);
    const badField = (f: Field) =>
      badValues(f.schema, f.value, CARRIER[part]).map((v) =>
        attempt(`${f.path.join('.')} = ${show(v)}`, edit(base, f.path, v), f.path),
      );
    // Only fields that some bad value can reach (a path id that takes any string has none):
    // checked on a fixed sample, so the filter below always ends.
    const reachable = fields.filter((f) =>
      fc.sample(badField(f), { numRuns: 40, seed: 11 }).some((c) => c !== null),
    );
    // Weighted as before the schemas were read: wrong values most, then missing and unknown fields.
    const options: fc.WeightedArbitrary<Case | null>[] = [];
    if (reachable.length)
      options.push({ weight: 5, arbitrary: fc.constantFrom(...reachable).chain(badField) });
    // A path cannot leave out one of its parameters, nor add one.
    const missing = part === 'params' ? [] : fields.filter((f) => f.required && f.value !== undefined);
    if (missing.length)
      options.push({
        weight: 2,
        arbitrary: fc
          .constantFrom(...missing)
          .map((f) => attempt(`missing ${f.path.join('.')}`, edit(base, f.path, undefined, true), f.path)),
      });
    if (part !== 'params' && strict.length)
      options.push({
        weight: 2,
        arbitrary: fc
          .constantFrom(...strict)
          .chain((o) =>
            fc
              .tuple(extraKey(o.known), fc.jsonValue({ maxDepth: 1 }))
              .map(([k, v]) =>
                attempt(`extra ${[...o.path, k].join('.')}`, edit(base, [...o.path, k], v), o.path),
              ),
          ),
      });
    if (options.length)
      arbitraries.push({
        // A part with more fields gets more of the cases.
        weight: 1 + Math.min(fields.length, 6),
        arbitrary: fc.oneof(...options).filter((c): c is Case => c !== null),
      });
  }
  return arbitraries;
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

/** A JSON route's body as a whole: not JSON, not an object, or sent as something else. */
function bodyCases(valid: Valid): fc.Arbitrary<Case> {
  return fc.oneof(
    fc
      .oneof(
        fc.constantFrom(...MALFORMED_JSON),
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !isJson(s)),
      )
      .map((s): Case => ({ label: `malformed ${JSON.stringify(s)}`, body: s, status: 400 })),
    fc
      .jsonValue({ maxDepth: 2 })
      .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
      .map(
        (v): Case => ({
          label: `not an object: ${JSON.stringify(v).slice(0, 40)}`,
          body: JSON.stringify(v),
          refused: { part: 'body', path: '(body)' },
        }),
      ),
    fc.constantFrom(...WRONG_TYPES).map(
      (t): Case => ({
        label: `content type ${t}`,
        body: JSON.stringify(valid.body),
        contentType: t,
        status: 415,
      }),
    ),
  );
}

/** Every bad request of a route: from its schemas, of its body as a whole, and its own. */
function casesOf(route: Route, spec: Spec): fc.Arbitrary<Case> {
  const valid = spec.valid();
  const options = schemaCases(route, valid);
  if (route.body?.type === 'json') options.push({ weight: 2, arbitrary: bodyCases(valid) });
  if (spec.more) options.push({ weight: 2, arbitrary: spec.more() });
  return fc.oneof(...options);
}

/** Whether a detail's path names the field (or a part of it, or what holds it). */
function names(detail: string, field: string): boolean {
  const under = (a: string, b: string) => a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
  return detail === field || under(detail, field) || under(field, detail);
}

// ---------------------------------------------------------------------------------------
// The routes: a valid request of each, and what only its operation can refuse

const issueBody = (): Record<string, unknown> =>
  registrationCharge({ chargeDate: today }) as Record<string, unknown>;
/** A fee item with every optional field set, so that the fuzz reaches into each. */
const fullItem = () => ({
  ...structuredClone(fuzzItem),
  validTo: null,
  exemptions: [{ who: '小微企业', kind: 'waive' }],
  status: 'active',
});
const { code: _fuzzCode, ...fuzzFields } = fullItem();
const receiptParams = () => ({ code: receipt.code as string, number: receipt.number as string });
const json = (label: string, body: unknown, more: Partial<Case> = {}): Case => ({
  label,
  body: JSON.stringify(body),
  ...more,
});

/** Charges that are well formed but refused by the rules (422, recorded for auditors). */
const ruleBreaking: fc.Arbitrary<Case> = fc
  .oneof(
    fc
      .integer({ min: 0, max: 10 ** 9 })
      .filter((fen) => fen !== 8000)
      .map((fen) => ({ amount: formatYuan(fen) })),
    fc.constantFrom('ZRZY-999', 'GA-001', 'NOPE', 'FUZZ-001').map((itemCode) => ({ itemCode })),
    // After today, or before the window a charge may be dated back (30 days).
    fc.constantFrom(tomorrow, '2999-12-31', '2018-06-01').map((chargeDate) => ({ chargeDate })),
  )
  .map((change) => {
    const body = issueBody() as { lines: Record<string, unknown>[]; chargeDate?: string };
    if ('chargeDate' in change) body.chargeDate = change.chargeDate;
    else Object.assign(body.lines[0]!, change);
    return json(`rule-breaking ${JSON.stringify(change)}`, body, { status: 422 });
  });

/** Valid-looking ids that name nothing (404) or what the caller may not touch (403). */
const otherReceipts = fc
  .tuple(
    fc.oneof(fc.stringMatching(/^\d{8}$/), fc.string({ minLength: 1, maxLength: 12 })),
    fc.oneof(fc.stringMatching(/^\d{10}$/), fc.string({ minLength: 1, maxLength: 12 })),
  )
  .filter(([c, n]) => !(c === receipt.code && n === receipt.number) && PATH_SEGMENT(c) && PATH_SEGMENT(n));

/** Catalogue CSVs that an import refuses; `withBadRows` adds files whose header is right but no row is. */
function badCsv(withBadRows: boolean): fc.Arbitrary<Case> {
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
    // Bad rows are what a preview is for: it answers them with a 200 that names each error.
    ...(withBadRows
      ? [
          fc
            .array(row, { minLength: 1, maxLength: 5 })
            .map((rows) => csv('header and bad rows', [header, ...rows].join('\n'))),
        ]
      : []),
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
              `IMP-${i},名,IMP,次,fixed,1.00,,,treasury,${today},,通知,文1号,财政局,2025-01-01,,active,,`,
          ),
        ].join('\n'),
      ),
    ),
    fc
      .uint8Array({ minLength: 1, maxLength: 200 })
      .map((b) => csv('bytes', new Uint8Array([0xff, 0xfe, ...b]))),
    fc
      .constantFrom(...WRONG_TYPES.filter((t) => t !== 'text/csv'), 'application/json')
      .map((t): Case => ({ label: `content type ${t}`, body: `${header}\n`, contentType: t, status: 415 })),
  );
}

const SPECS: Partial<Record<string, Spec>> = {
  createItem: {
    token: () => finance,
    valid: () => ({ body: { ...fullItem(), code: 'FUZZ-NEW', reason: '新设' } }),
    more: () =>
      fc.constantFrom(
        json('existing code', { ...fuzzItem, code: 'ZRZY-001', department: 'ZRZY' }),
        json('validTo before validFrom', { ...fuzzItem, code: 'FUZZ-NEW', validTo: '2024-12-31' }),
        json('range min > max', {
          ...fuzzItem,
          code: 'FUZZ-NEW',
          standard: { type: 'range', min: '9.00', max: '1.00' },
        }),
      ),
  },
  reviseItem: {
    token: () => finance,
    valid: () => ({
      params: { itemCode: 'FUZZ-001' },
      body: { ...structuredClone(fuzzFields), effectiveFrom: tomorrow, reason: '调整' },
    }),
    more: () =>
      fc.constantFrom('NOPE-1', 'ZZZ').map(
        (itemCode): Case => ({
          label: `missing item ${itemCode}`,
          params: { itemCode },
          status: 404,
        }),
      ),
  },
  changeItemStatus: {
    token: () => finance,
    valid: () => ({
      params: { itemCode: 'FUZZ-001' },
      body: { status: 'suspended', effectiveFrom: tomorrow, reason: '暂停', basis: structuredClone(basis) },
    }),
    more: () =>
      fc
        .constantFrom('NOPE-1', 'lower', 'A'.repeat(40))
        .map((itemCode): Case => ({ label: `item ${itemCode}`, params: { itemCode } })),
  },
  allocateRange: {
    token: () => finance,
    valid: () => ({ body: { department: 'FUZZ', size: 10, departmentName: '模糊测试局' } }),
  },
  renameDepartment: {
    token: () => finance,
    valid: () => ({ params: { department: 'FUZZ' }, body: { name: '模糊测试局', reason: '机构改革' } }),
    more: () =>
      fc.oneof(
        fc.constantFrom('NOSUCHDEPT', 'ZRZY1').map(
          (department): Case => ({
            label: `department ${department}`,
            params: { department },
            status: 422,
          }),
        ),
        fc.constantFrom('😀', '模糊\u0007测试局', '\u{20000}局').map(
          (name): Case => ({
            label: `name ${JSON.stringify(name)}`,
            body: JSON.stringify({ name, reason: '机构改革' }),
            contentType: 'application/json',
          }),
        ),
      ),
  },
  closeRange: {
    token: () => finance,
    valid: () => ({ params: { id: rangeId }, body: { reason: '停用' } }),
    more: () =>
      fc
        .oneof(
          fc.constantFrom('nope', '0', 'RANGE#x', '..', '%00'),
          fc.string({ minLength: 1, maxLength: 40 }),
        )
        .map((id): Case => ({ label: `range id ${JSON.stringify(id)}`, params: { id } })),
  },
  issueReceipt: {
    token: () => collector,
    valid: () => ({ headers: { 'idempotency-key': newKey() }, body: issueBody() }),
    more: () =>
      fc.oneof(
        { weight: 4, arbitrary: ruleBreaking },
        {
          weight: 1,
          arbitrary: fc.constant(
            json('a used Idempotency-Key with another body', registrationCharge({ remark: '另一笔' }), {
              headers: { 'idempotency-key': receiptKey },
            }),
          ),
        },
      ),
  },
  checkCharge: {
    token: () => collector,
    valid: () => ({ body: issueBody() }),
    more: () => ruleBreaking,
    dryRun: true,
  },
  reverseReceipt: {
    token: () => collector,
    valid: () => ({
      headers: { 'idempotency-key': newKey() },
      params: receiptParams(),
      body: { reason: '退费' },
    }),
    more: () =>
      otherReceipts.map(
        ([code, number]): Case => ({ label: `receipt ${code}/${number}`, params: { code, number } }),
      ),
  },
  getReceipt: {
    token: () => collector,
    valid: () => ({ params: receiptParams() }),
    more: () =>
      otherReceipts.map(
        ([code, number]): Case => ({ label: `receipt ${code}/${number}`, params: { code, number } }),
      ),
  },
  getReceiptPdf: {
    token: () => collector,
    valid: () => ({ params: receiptParams() }),
  },
  getReceiptEInvoice: {
    token: () => collector,
    valid: () => ({ params: receiptParams() }),
  },
  getCatalogueItem: {
    token: () => undefined,
    valid: () => ({ params: { itemCode: 'FUZZ-001' } }),
    more: () =>
      fc
        .constantFrom('NOPE-1', 'ZZZ')
        .map((itemCode): Case => ({ label: `missing item ${itemCode}`, params: { itemCode }, status: 404 })),
  },
  listCatalogue: {
    token: () => undefined,
    valid: () => ({ query: { asOf: '2026-01-01', department: 'ZRZY' } }),
  },
  importCatalogue: { token: () => finance, valid: () => ({}), more: () => badCsv(true) },
  previewImport: { token: () => finance, valid: () => ({}), more: () => badCsv(false) },
  listCatalogueItems: {
    token: () => finance,
    valid: () => ({ query: { asOf: '2026-01-01', department: 'ZRZY' } }),
  },
  itemHistory: {
    token: () => finance,
    valid: () => ({ params: { itemCode: 'FUZZ-001' } }),
    more: () =>
      fc
        .constantFrom('NOPE-1', 'ZZZ')
        .map((itemCode): Case => ({ label: `missing item ${itemCode}`, params: { itemCode }, status: 404 })),
  },
  verifyPdf: {
    token: () => undefined,
    valid: () => ({}),
    more: () =>
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
          .map((t): Case => ({ label: `content type ${t}`, body: pdf, contentType: t, status: 415 })),
      ),
  },
  ...Object.fromEntries(
    (['verifyReceipt', 'getVerifiedPdf', 'getLogProof'] as const).map((id): [string, Spec] => [
      id,
      {
        token: () => undefined,
        valid: () => ({
          query: { code: receipt.code, number: receipt.number, checkCode: receipt.checkCode },
        }),
        // Well formed but wrong, or with a field too many: the same 404 as malformed ones.
        more: () =>
          fc
            .record({
              code: fc.oneof(fc.stringMatching(/^\d{8}$/), fc.constant(receipt.code)),
              number: fc.oneof(fc.stringMatching(/^\d{10}$/), fc.constant(receipt.number)),
              checkCode: fc.stringMatching(/^[0-9A-Z]{6}$/),
              extra: fc.option(
                fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 })),
              ),
            })
            .filter((q) => q.checkCode !== receipt.checkCode)
            .map((q): Case => {
              const { extra, ...rest } = q;
              const all = { ...rest, ...(extra ? { [extra[0]]: extra[1] } : {}) };
              return { label: `query ${JSON.stringify(all)}`, query: all, status: 404 };
            }),
      },
    ]),
  ),
  auditReceipts: {
    token: () => auditor,
    valid: () => ({
      query: { department: 'ZRZY', status: 'issued', from: '2026-01-01', to: '2026-01-31', limit: '10' },
    }),
  },
  auditExport: {
    token: () => auditor,
    valid: () => ({ query: { department: 'ZRZY', from: '2026-01-01', to: '2026-01-31', format: 'csv' } }),
  },
  auditEInvoiceExport: {
    token: () => auditor,
    valid: () => ({ query: { department: 'ZRZY', from: '2026-01-01', to: '2026-01-31' } }),
  },
  // Export jobs (issue 14): the export's filters as a JSON body; a job by its id.
  createAuditExport: {
    token: () => auditor,
    valid: () => ({
      body: {
        department: 'ZRZY',
        status: 'issued',
        from: '2026-01-01',
        to: '2026-01-31',
        minAmount: '1.00',
        format: 'csv',
      },
    }),
  },
  getAuditExport: {
    token: () => auditor,
    valid: () => ({ params: { id: '0123456789abcdef0123456789abcdef' } }),
  },
  auditStats: {
    token: () => auditor,
    valid: () => ({ query: { from: '2026-01-01', to: '2026-01-31', groupBy: 'item' } }),
  },
  ...Object.fromEntries(
    (['auditAlerts', 'auditEvents'] as const).map((id): [string, Spec] => [
      id,
      {
        token: () => auditor,
        valid: () => ({
          query: {
            from: '2026-01-01',
            to: '2026-01-31',
            // An alert's rule, an event's type.
            type: id === 'auditAlerts' ? 'charge_refused' : 'charge.refused',
            limit: '10',
            // The alert feed's own filters.
            ...(id === 'auditAlerts' ? { severity: 'warning', department: 'ZRZY', state: 'open' } : {}),
          },
        }),
      },
    ]),
  ),
  auditReceipt: {
    token: () => auditor,
    valid: () => ({ params: receiptParams() }),
    more: () =>
      otherReceipts.map(
        ([code, number]): Case => ({ label: `receipt ${code}/${number}`, params: { code, number } }),
      ),
  },
  changeAlertState: {
    token: () => auditor,
    valid: () => ({
      params: { id: '2026-01-01T00:00:00.000Z-0000abcd' },
      body: { state: 'acknowledged', note: '核实中' },
    }),
    // Well formed, but no alert has the id.
    more: () =>
      fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map(
        (d): Case => ({
          label: `alert ${d.toISOString()}`,
          params: { id: `${d.toISOString()}-0000abcd` },
          status: 404,
        }),
      ),
  },
  listReceipts: {
    token: () => collector,
    valid: () => ({ query: { from: '2026-01-01', to: '2026-01-31', limit: '10' } }),
  },
  // Issue 15: open data and complaints. A complaint id and code that name nothing: a well-formed
  // miss is the same 404 as a malformed one (lookup), and a missing complaint for auditors.
  publicStats: {
    token: () => undefined,
    valid: () => ({ query: { from: '2026-01', to: '2026-03', groupBy: 'item', format: 'json' } }),
  },
  fileComplaint: {
    token: () => undefined,
    valid: () => ({
      body: {
        category: 'other',
        text: '模糊测试投诉',
        contact: 'a@example.cn',
        department: 'ZRZY',
        date: today,
      },
    }),
    more: () =>
      fc.constantFrom(
        json(
          'honeypot filled',
          { category: 'other', text: '垃圾', department: 'ZRZY', date: today, website: 'x' },
          { status: 400 },
        ),
        json(
          'receipt with a wrong check code',
          {
            category: 'other',
            text: '伪造票据',
            receipt: {
              code: receipt.code,
              number: receipt.number,
              checkCode: receipt.checkCode === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA',
            },
          },
          { status: 422 },
        ),
        json('no department without a receipt', { category: 'other', text: '无部门' }, { status: 400 }),
      ),
  },
  lookupComplaint: {
    token: () => undefined,
    valid: () => ({ params: { id: 'TS-20260101-AAAAAAAA' }, query: { code: 'AAAAAAAAAAAA' } }),
  },
  listComplaints: {
    token: () => auditor,
    valid: () => ({ query: { from: '2026-01-01', to: '2026-01-31', status: 'open', limit: '10' } }),
  },
  readComplaint: { token: () => auditor, valid: () => ({ params: { id: 'TS-20260101-AAAAAAAA' } }) },
  replyToComplaint: {
    token: () => auditor,
    valid: () => ({ params: { id: 'TS-20260101-AAAAAAAA' }, body: { reply: '答复' } }),
  },
  resolveComplaint: {
    token: () => auditor,
    valid: () => ({ params: { id: 'TS-20260101-AAAAAAAA' }, body: { note: '办结' } }),
  },
};

async function send(route: Route, spec: Spec, c: Case): Promise<Answer> {
  const valid = spec.valid();
  const params = c.params ?? valid.params ?? {};
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const q = c.query ?? valid.query;
  return call(svc.url, {
    method: route.method,
    path: q ? `${path}?${query(q)}` : path,
    token: spec.token(),
    headers: c.headers ?? valid.headers ?? {},
    body: 'body' in c ? c.body : valid.body === undefined ? undefined : JSON.stringify(valid.body),
    contentType: 'contentType' in c ? c.contentType : route.body ? CONTENT_TYPES[route.body.type] : undefined,
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

const routeOf = (id: string) => ROUTES.find((r) => r.id === id)!;
const specOf = (route: Route) => SPECS[route.id]!;
const pathNames = (route: Route) => [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

describe('bad input over HTTP', () => {
  it('has a valid request for every route that takes input, which its schemas accept', () => {
    const missing = ROUTES.filter((r) => (r.request || r.body) && !SPECS[r.id]).map((r) => r.id);
    expect(missing, 'routes with input but no valid request to fuzz from').toEqual([]);
    const unknown = Object.keys(SPECS).filter((id) => !ROUTES.some((r) => r.id === id));
    expect(unknown, 'specs of routes that no longer exist').toEqual([]);
    for (const route of ROUTES) {
      const spec = SPECS[route.id];
      if (!spec) continue;
      const valid = spec.valid();
      for (const part of PARTS) {
        const schema = route.request?.[part];
        if (!schema) continue;
        const parsed = schema.safeParse(wire(part, valid[part]));
        expect(parsed.success, `${route.id} ${part}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      }
    }
  });

  it("gives every path parameter a schema: the route's params name exactly the template's", () => {
    for (const route of ROUTES) {
      const params = route.request?.params;
      const declared = params ? Object.keys(jsonSchemaOf(params).properties ?? {}) : [];
      expect(declared.sort(), route.id).toEqual(pathNames(route).sort());
    }
  });

  it("takes its boundary cases from the schemas' limits (a charge's lines, quantity, name)", () => {
    // The limits are read from the schema, never restated here: a changed limit moves the cases.
    const route = routeOf('issueReceipt');
    const schema = jsonSchemaOf(route.request!.body!);
    const { fields } = fieldsOf(schema, issueBody());
    const field = (path: string) => fields.find((f) => f.path.join('.') === path)!;
    const sample = (path: string) =>
      fc.sample(badValues(field(path).schema, field(path).value, 'body'), { numRuns: 3000, seed: 5 });
    const lines = field('lines').schema;
    expect(sample('lines').some((v) => Array.isArray(v) && v.length === lines.maxItems! + 1)).toBe(true);
    expect(sample('lines').some((v) => Array.isArray(v) && v.length === lines.minItems! - 1)).toBe(true);
    const quantity = field('lines.0.quantity').schema;
    expect(sample('lines.0.quantity')).toContain(quantity.maximum! + 1);
    expect(sample('lines.0.quantity')).toContain(quantity.minimum! - 1);
    const name = field('payer.name').schema;
    expect(
      sample('payer.name').some((v) => typeof v === 'string' && [...v].length === name.maxLength! + 1),
    ).toBe(true);
  });

  for (const route of ROUTES) {
    if (!SPECS[route.id]) continue;
    it(`${route.id}: every bad request is a 4xx in the error shape naming what is wrong, and writes nothing`, async () => {
      const spec = specOf(route);
      let fromSchemas = 0;
      await expectNoWrites(route.id, async (count) => {
        await fc.assert(
          fc.asyncProperty(casesOf(route, spec), async (c) => {
            const res = await send(route, spec, c);
            if (!spec.dryRun) count(res);
            const context = `${route.id} ${c.label}`;
            expectRefused(res, context);
            if (c.status) expect(res.status, context).toBe(c.status);
            if (!c.refused) return;
            fromSchemas++;
            if (route.request?.nullWhenInvalid) {
              // Malformed reads exactly like a miss: nothing tells which fields are well formed.
              expect(res.status, context).toBe(404);
              return;
            }
            expect(res.status, context).toBe(400);
            const paths = (res.body.details as { path: string }[]).map((d) => d.path);
            expect(
              paths.some((p) => names(p, c.refused!.path)),
              `${context}: details ${JSON.stringify(paths)} name ${c.refused.path}`,
            ).toBe(true);
          }),
          { numRuns: RUNS },
        );
      });
      if (route.request) expect(fromSchemas, 'cases derived from the schemas').toBeGreaterThan(0);
    });
  }

  it('refuses an empty body, a body without a content type, and one larger than the route allows', async () => {
    await expectNoWrites('body limits', async (count) => {
      for (const route of ROUTES.filter((r) => r.body)) {
        const type = CONTENT_TYPES[route.body!.type];
        const max = route.body!.maxBytes ?? DEFAULT_MAX_BODY;
        const cases: [Case, number][] = [
          [{ label: 'empty body', body: '', contentType: type }, 400],
          [
            {
              label: 'no content type',
              body: new Uint8Array(Buffer.from('{"reason":"退费"}')),
              contentType: undefined,
            },
            415,
          ],
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
          const res = await send(route, specOf(route), c);
          count(res);
          expectRefused(res, `${route.id} ${c.label}`);
          expect(res.status, `${route.id} ${c.label}`).toBe(status);
        }
      }
    });
  });

  it('refuses a text body in another charset (415) or holding bytes that are not UTF-8 (400), naming it', async () => {
    await expectNoWrites('charsets', async (count) => {
      for (const route of ROUTES.filter((r) => r.body && r.body.type !== 'pdf')) {
        const spec = specOf(route);
        const type = CONTENT_TYPES[route.body!.type];
        const text = route.body!.type === 'json' ? JSON.stringify(spec.valid().body ?? {}) : 'code,name\n';
        const cases: [Case, number, string][] = [
          [
            { label: 'latin1', body: text, contentType: `${type}; charset=ISO-8859-1` },
            415,
            'the body must be UTF-8 encoded, not iso-8859-1',
          ],
          [
            {
              label: 'UTF-16',
              body: new Uint8Array(Buffer.from(text, 'utf16le')),
              contentType: `${type}; charset="utf-16"`,
            },
            415,
            'the body must be UTF-8 encoded, not utf-16',
          ],
          [
            {
              label: 'not UTF-8',
              body: new Uint8Array(
                Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
              ),
              contentType: `${type}; charset=utf-8`,
            },
            400,
            'the body holds bytes that are not UTF-8',
          ],
        ];
        for (const [c, status, message] of cases) {
          const res = await send(route, spec, c);
          count(res);
          expect(res.status, `${route.id} ${c.label}`).toBe(status);
          expect(res.body.message, `${route.id} ${c.label}`).toBe(message);
        }
      }
    });
    // UTF-8 declared, in any spelling, is read.
    const check = routeOf('checkCharge');
    for (const charset of ['utf-8', 'UTF-8', '"utf-8"', 'utf8'])
      expect(
        (
          await send(check, specOf(check), {
            label: charset,
            contentType: `application/json; charset=${charset}`,
          })
        ).status,
      ).toBe(200);
  });

  it('names the Idempotency-Key header and its rule, however the key is wrong', async () => {
    // The header's own detail, not `(body)`; the rule as the README states it.
    await expectNoWrites('idempotency keys', async () => {
      for (const key of [undefined, '', 'short', 'key with spaces', 'clé-non-ascii-é', 'k'.repeat(129)]) {
        const res = await call(svc.url, {
          method: 'POST',
          path: '/v1/receipts',
          token: collector,
          headers: key === undefined ? {} : { 'idempotency-key': key },
          body: JSON.stringify(issueBody()),
          contentType: 'application/json',
        });
        expect(res.status, String(key)).toBe(400);
        expect(res.body.details, String(key)).toEqual([
          {
            path: 'header.idempotency-key',
            rule: expect.any(String),
            message: expect.stringMatching(
              /^header\.idempotency-key (is required: |must be )8–128 printable ASCII characters \(no spaces\)/,
            ),
          },
        ]);
      }
    });
  });

  it('says an amount sent as a JSON number must be a decimal string, in every amount field', async () => {
    await expectNoWrites('amounts as numbers', async () => {
      const charge = issueBody() as { lines: Record<string, unknown>[] };
      charge.lines[0]!.amount = 80;
      const item = fullItem();
      const cases: [string, string, unknown, string][] = [
        ['/v1/receipts', 'lines[0].amount', charge, collector],
        [
          '/v1/catalogue/items',
          'standard.amount',
          { ...item, code: 'NUM-1', standard: { type: 'fixed', amount: 80 } },
          finance,
        ],
        [
          '/v1/catalogue/items',
          'standard.min',
          { ...item, code: 'NUM-2', standard: { type: 'range', min: 1, max: '9.00' } },
          finance,
        ],
        [
          '/v1/catalogue/items',
          'exemptions[0].amount',
          { ...item, code: 'NUM-3', exemptions: [{ who: '学生', kind: 'amount', amount: 10 }] },
          finance,
        ],
      ];
      for (const [path, field, body, token] of cases) {
        const res = await call(svc.url, {
          method: 'POST',
          path,
          token,
          headers: { 'idempotency-key': newKey() },
          body: JSON.stringify(body),
          contentType: 'application/json',
        });
        expect(res.status, field).toBe(400);
        expect(res.body.details, field).toContainEqual(
          expect.objectContaining({
            path: field,
            message: `${field} must be a decimal string in yuan, e.g. "80.00", not a number`,
          }),
        );
      }
    });
  });

  it('refuses a token whose custom:department is no department code (403), writing nothing', async () => {
    await expectNoWrites('department claims', async () => {
      for (const department of ['Z'.repeat(5000), '../../x', 'zrzy', 'ZRZY ', 'Z', '自然资源', 'ZRZY#1']) {
        // A username of its own: the local issuer would otherwise derive it from the department.
        const token = await svc.token({ role: 'collector', department, username: 'collector-odd' });
        for (const [method, path, body] of [
          ['POST', '/v1/receipts', issueBody()],
          ['POST', '/v1/charges/check', issueBody()],
          ['GET', '/v1/receipts', undefined],
        ] as const) {
          const res = await call(svc.url, {
            method,
            path,
            token,
            headers: { 'idempotency-key': newKey() },
            ...(body ? { body: JSON.stringify(body), contentType: 'application/json' } : {}),
          });
          const context = `${method} ${path} as ${JSON.stringify(department.slice(0, 20))}`;
          expect(res.status, `${context}: ${res.text.slice(0, 200)}`).toBe(403);
          expect(res.body.error, context).toBe('forbidden');
          expect(res.body.message, context).toContain('custom:department');
          expect(res.body.message, context).toContain('2-16 uppercase letters or digits');
          expect(res.text.length, 'the claim is not echoed whole').toBeLessThan(500);
        }
      }
    });
    const alerts = await svc.api('GET', '/v1/audit/alerts?type=charge_refused&limit=500', { token: auditor });
    expect(alerts.status).toBe(200);
    expect(
      alerts.body.items.filter((a: { department: string }) => !/^[A-Z0-9]{2,16}$/.test(a.department)),
    ).toEqual([]);
  });

  it('refuses filters that could match nothing: amounts reversed, a rule or event type that does not exist', async () => {
    for (const [path, query, field, message] of [
      ['receipts', 'minAmount=100&maxAmount=10', 'minAmount', 'minAmount must not be more than maxAmount'],
      [
        'export',
        'minAmount=100.00&maxAmount=99.99',
        'minAmount',
        'minAmount must not be more than maxAmount',
      ],
      ['alerts', 'type=nope', 'type', undefined],
      ['events', 'type=nope', 'type', undefined],
    ] as const) {
      const res = await svc.api('GET', `/v1/audit/${path}?${query}`, { token: auditor });
      expect(res.status, `${path}?${query}`).toBe(400);
      expect(res.body.details, `${path}?${query}`).toEqual([
        expect.objectContaining({ path: field, ...(message ? { message } : {}) }),
      ]);
    }
    // The rule and type that exist, and amounts in order, are fine.
    for (const query of [
      'alerts?type=charge_refused',
      'events?type=receipt.reversed',
      'receipts?minAmount=10&maxAmount=10',
    ])
      expect((await svc.api('GET', `/v1/audit/${query}`, { token: auditor })).status, query).toBe(200);
  });

  it('says what is wrong with a query number, and that a parameter was given twice', async () => {
    const ask = (query: string) => svc.api('GET', `/v1/audit/receipts?${query}`, { token: auditor });
    for (const [query, message] of [
      ['limit=abc', 'limit must be a number'],
      ['limit=1.5', 'limit must be a whole number'],
      ['limit=0', 'limit must be at least 1'],
      ['limit=501', 'limit must be at most 500'],
      ['limit=1&limit=2', 'limit was given twice: give it once'],
      ['limit=1&limit=1&limit=1', 'limit was given 3 times: give it once'],
      // A value that would pass once joined ("a,b") is refused all the same.
      ['payerName=%E5%BC%A0&payerName=%E6%9D%8E', 'payerName was given twice: give it once'],
    ] as const) {
      const res = await ask(query);
      expect(res.status, query).toBe(400);
      expect(res.body.message, query).toBe('the query is invalid');
      expect(res.body.details, query).toEqual([
        expect.objectContaining({ path: query.split('=')[0], message }),
      ]);
    }
    // A repeated parameter of the public verification reads as a miss, like any malformed query.
    const verify = await svc.api(
      'GET',
      `/v1/verify?code=${receipt.code}&number=${receipt.number}&checkCode=${receipt.checkCode}&checkCode=${receipt.checkCode}`,
    );
    expect(verify.status).toBe(404);
  });

  it('says the headers are invalid, in the plural', async () => {
    const send = (headers: Record<string, string>, body: unknown) =>
      call(svc.url, {
        method: 'POST',
        path: '/v1/receipts',
        token: collector,
        headers,
        body: JSON.stringify(body),
        contentType: 'application/json',
      });
    expect((await send({}, issueBody())).body.message).toBe('the headers are invalid');
    expect((await send({}, { payer: {} })).body.message).toBe('the headers and body are invalid');
    expect((await send({ 'idempotency-key': newKey() }, { payer: {} })).body.message).toBe(
      'the body is invalid',
    );
  });

  it('refuses any query on a route that takes none, naming the fields, and writes nothing', async () => {
    const tokens: Record<string, () => string> = {
      finance: () => finance,
      collector: () => collector,
      auditor: () => auditor,
    };
    const takesNone = ROUTES.filter((r) => !r.request?.query);
    expect(takesNone.map((r) => r.id)).toEqual(
      expect.arrayContaining(['auditRanges', 'listRanges', 'health']),
    );
    await expectNoWrites('a query on routes that take none', async () => {
      for (const route of takesNone) {
        const spec: Spec = SPECS[route.id] ?? {
          token: isPublic(route) ? () => undefined : tokens[(route.access as readonly string[])[0]!]!,
          valid: () => ({}),
        };
        const res = await send(route, spec, {
          label: 'unknown fields',
          query: { department: 'ZRZY', x: '1' },
          // A CSV or PDF body is read by the operation, after the query is checked: any will do.
          ...(route.body && route.body.type !== 'json' ? { body: 'x' } : {}),
        });
        expect(res.status, `${route.id}: ${JSON.stringify(res.body)}`).toBe(400);
        expect(res.body.details, route.id).toEqual([
          { path: '(query)', rule: 'unknown_field', message: 'query unknown field(s): department, x' },
        ]);
      }
    });
    // Without the query, the same request is answered.
    expect((await svc.api('GET', '/v1/audit/ranges', { token: auditor })).status).toBe(200);
    expect((await svc.api('GET', '/v1/ranges', { token: finance })).status).toBe(200);
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

  it('takes any query on an authenticated route: answered, or refused without a write', async () => {
    for (const route of ROUTES.filter((r) => r.request?.query && !isPublic(r))) {
      const schema = route.request!.query!;
      const token = specOf(route).token();
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(
            fc.oneof(
              fc.string({ minLength: 1, maxLength: 10 }),
              fc.constantFrom(...Object.keys(jsonSchemaOf(schema).properties ?? {}), 'month', 'kind'),
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
        const route = routeOf('issueReceipt');
        const res = await send(
          route,
          specOf(route),
          json('rule-breaking', { payer: { type: 'person', name: '张三' }, lines }),
        );
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
