/**
 * Request and response schemas. The route table (runtime/routes.ts) names which schema checks
 * which part of each request; the request middleware validates with them, the OpenAPI document
 * and the fuzz suite read them there, so none of the three can drift from the others.
 */
import { z } from 'zod';
import { ALERT_RULES } from './alerts.js';
import type { FeeItem, ItemVersion, Standard } from './catalogue.js';
import { MAX_QUANTITY } from './charge.js';
import { isIsoDate, shiftDays } from './dates.js';
import { badRequest, type Violation } from './errors.js';
import { formatYuan, parseSignedYuan, parseYuan } from './money.js';
import { EVENT_TYPES } from './ports.js';
import { DEPARTMENT_CODE, DEPARTMENT_CODE_RULE } from './receipt.js';

const CONTROL_CHARS = /[\p{Cc}\u2028\u2029]/u;

const kindOf = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

// zod's default words are for developers ("expected string, received undefined", "Too small:
// expected number to be >=1"); API callers read these. Only where a schema gives no message of
// its own (schema messages take precedence).
z.config({
  customError: (issue) => {
    if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value'))
      return 'is required';
    if (issue.code === 'invalid_type') {
      // z.coerce.number() (query numbers) makes NaN of text that reads as no number: "a number" is
      // what NaN's typeof says, the opposite of what is wrong.
      if (typeof issue.input === 'number' && Number.isNaN(issue.input)) return 'must be a number';
      if (issue.expected === 'int') return 'must be a whole number';
      return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}, not ${kindOf(issue.input)}`;
    }
    if (issue.code === 'invalid_value')
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    if (issue.code === 'too_small' || issue.code === 'too_big') {
      const small = issue.code === 'too_small';
      const bound = String(small ? issue.minimum : issue.maximum);
      const words = small
        ? issue.inclusive
          ? 'at least'
          : 'more than'
        : issue.inclusive
          ? 'at most'
          : 'less than';
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint')
        return `must be ${words} ${bound}`;
      if (issue.origin === 'string') return `must be ${words} ${bound} characters long`;
      if (issue.origin === 'array') return `must have ${words} ${bound} items`;
    }
    return undefined;
  },
});

/**
 * Free text: 1..max characters, no control characters, no surrounding blanks. With
 * `lineBreaks`, text in paragraphs (a complaint, its reply, a note) keeps its line breaks as a
 * textarea sends them (LF or CR LF), and still no other control character.
 */
export const text = (max: number, { lineBreaks = false } = {}) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(
      (s) => !CONTROL_CHARS.test(lineBreaks ? s.replace(/\r?\n/g, '') : s),
      lineBreaks
        ? 'must not contain control characters but line breaks'
        : 'must not contain control characters',
    )
    .refine((s) => s.trim() === s, 'must not start or end with blanks');

/** Free text in paragraphs: `text` with its line breaks kept. */
export const paragraphs = (max: number) => text(max, { lineBreaks: true });

export const isoDate = z
  .string()
  .refine(isIsoDate, 'must be a real calendar date YYYY-MM-DD')
  .meta({ format: 'date', example: '2026-11-26' });

/** An amount's type error: JSON numbers are refused, since they may already be rounded. */
const decimalString = {
  error: (issue: { input?: unknown }) =>
    issue.input === undefined
      ? 'is required'
      : `must be a decimal string in yuan, e.g. "80.00", not ${kindOf(issue.input)}`,
};

/** Amounts are decimal strings in yuan (OpenAPI's `decimal` format), never JSON numbers. */
export const yuan = z
  .string(decimalString)
  .refine(
    (s) => parseYuan(s) !== null,
    'must be a non-negative amount in yuan with at most two decimals, e.g. "80.00"',
  )
  .transform((s) => parseYuan(s)!)
  .meta({ format: 'decimal', example: '80.00' });

export const itemCode = z
  .string()
  .regex(/^[A-Z0-9][A-Z0-9-]{0,31}$/, 'must be 1-32 uppercase letters, digits or hyphens')
  .meta({ example: 'ZRZY-001' });
export const departmentCode = z
  .string()
  .regex(DEPARTMENT_CODE, `must be ${DEPARTMENT_CODE_RULE}`)
  .meta({ example: 'ZRZY' });

const standardSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('fixed'), amount: yuan }),
    z.strictObject({ type: z.literal('range'), min: yuan, max: yuan }),
  ])
  .superRefine((s, ctx) => {
    if (s.type === 'range' && s.min > s.max)
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'must not exceed max' });
    // A fee item charges something: what is free is an exemption (waive), or not a fee at all.
    const [path, most] = s.type === 'fixed' ? ['amount', s.amount] : ['max', s.max];
    if (most === 0)
      ctx.addIssue({
        code: 'custom',
        path: [path],
        message: 'must be more than 0.00: a fee item charges something (waive it for whom it is free)',
      });
  });

const basisSchema = z.strictObject({
  title: text(200),
  number: text(100),
  issuer: text(100),
  date: isoDate,
});

const exemptionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ who: text(100), kind: z.literal('waive') }),
  z.strictObject({ who: text(100), kind: z.literal('percent'), percent: z.number().int().min(1).max(99) }),
  z.strictObject({ who: text(100), kind: z.literal('amount'), amount: yuan }),
]);

const itemStatus = z.enum(['active', 'suspended', 'abolished']);

const itemFields = {
  name: text(100),
  department: departmentCode,
  unit: text(20),
  standard: standardSchema,
  basis: z.array(basisSchema).min(1, 'needs at least one legal basis').max(20),
  fundManagement: z.enum(['treasury', 'special_account']),
  validFrom: isoDate,
  validTo: isoDate.nullable().default(null),
  exemptions: z.array(exemptionSchema).max(20).default([]),
  status: itemStatus.default('active'),
};

function validityOrder(item: { validFrom: string; validTo: string | null }, ctx: z.RefinementCtx) {
  if (item.validTo !== null && item.validTo < item.validFrom)
    ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'must not be before validFrom' });
}

export const createItemRequest = z
  .strictObject({ code: itemCode, ...itemFields, reason: text(500).optional() })
  .superRefine(validityOrder);

export const reviseItemRequest = z
  // Without a status, the one in force on effectiveFrom (core/catalogue-changes.ts revisedVersion).
  .strictObject({ ...itemFields, status: itemStatus.optional(), effectiveFrom: isoDate, reason: text(500) })
  .superRefine(validityOrder);

export const statusChangeRequest = z.strictObject({
  status: itemStatus,
  effectiveFrom: isoDate,
  reason: text(500),
  basis: basisSchema,
});

export const catalogueQuery = z.strictObject({
  asOf: isoDate.optional(),
  department: departmentCode.optional(),
});

/** The API shape of a standard: amounts back to yuan strings. */
function standardOut(s: Standard) {
  return s.type === 'fixed'
    ? { type: s.type, amount: formatYuan(s.amount) }
    : { type: s.type, min: formatYuan(s.min), max: formatYuan(s.max) };
}

export function feeItemOut(item: FeeItem) {
  return {
    code: item.code,
    name: item.name,
    department: item.department,
    unit: item.unit,
    standard: standardOut(item.standard),
    basis: item.basis,
    fundManagement: item.fundManagement,
    validFrom: item.validFrom,
    validTo: item.validTo,
    exemptions: item.exemptions.map((e) =>
      e.kind === 'amount' ? { ...e, amount: formatYuan(e.amount) } : e,
    ),
    status: item.status,
  };
}

export function versionOut(v: ItemVersion) {
  return {
    ...feeItemOut(v),
    version: v.version,
    effectiveFrom: v.effectiveFrom,
    changeType: v.changeType,
    changedBy: v.changedBy,
    changedAt: v.changedAt,
    reason: v.reason,
  };
}

/**
 * zod issues as API violations: the path names the field, the message says what is wrong with
 * it. `prefix` names the part of the request (`header`); an issue of the part as a whole is
 * `(body)`, `(query)`...
 */
export function violationsOf(error: z.ZodError, prefix = '', part = prefix || 'body'): Violation[] {
  return error.issues.map((issue) => {
    const path = issue.path.reduce<string>(
      (acc, key) =>
        typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key),
      prefix,
    );
    const rule = issue.code === 'unrecognized_keys' ? 'unknown_field' : issue.code;
    const message =
      issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
    return { path: path || `(${part})`, rule, message: `${path || part} ${message}`.trim() };
  });
}

const IDEMPOTENCY_RULE = '8–128 printable ASCII characters (no spaces), new for each new request';

/** The Idempotency-Key header of a charge or a reversal: the README states the same rule. */
export const idempotencyKey = z
  .string({ error: `is required: ${IDEMPOTENCY_RULE}` })
  .min(8, { error: `must be ${IDEMPOTENCY_RULE}`, abort: true })
  .max(128, { error: `must be ${IDEMPOTENCY_RULE}`, abort: true })
  .regex(/^[\x21-\x7e]+$/, `must be ${IDEMPOTENCY_RULE}`)
  .meta({ example: '7f1c2a9e-charge-0001' });

/** Headers are not strict: a request carries many more than the API reads. */
export const idempotencyHeaders = z.object({ 'idempotency-key': idempotencyKey });

const payerSchema = z.strictObject({
  type: z.enum(['person', 'unit']),
  name: text(100),
  idNumber: z
    .string()
    .regex(
      /^[0-9A-Z]{6,30}$/,
      'must be 6-30 digits or uppercase letters (resident ID or unified social credit code)',
    )
    .optional(),
});

const chargeLineSchema = z.strictObject({
  itemCode,
  quantity: z.number().int('must be a whole number').min(1).max(MAX_QUANTITY),
  amount: yuan,
  exemption: text(100).optional(),
});

export const issueReceiptRequest = z.strictObject({
  payer: payerSchema,
  // 25 lines keep a receipt's writes (rows, item index, totals) within one transaction.
  lines: z.array(chargeLineSchema).min(1, 'needs at least one line').max(25),
  chargeDate: isoDate.optional(),
  remark: text(200).optional(),
});

export const reversalRequest = z.strictObject({ reason: text(200) });

/** Path parameters. */
export const itemPath = z.strictObject({ itemCode });

export const receiptPath = z.strictObject({
  code: z.string().regex(/^\d{8}$/, 'must be 8 digits'),
  number: z.string().regex(/^\d{10}$/, 'must be 10 digits'),
});

export const allocateRangeRequest = z.strictObject({
  department: departmentCode,
  size: z.number().int().min(1).max(1_000_000),
  departmentName: text(100).optional(),
});

export const closeRangeRequest = z.strictObject({ reason: text(500) });

export const departmentPath = z.strictObject({ department: departmentCode });

/** A department's new name as its receipts print it, and why (an institutional reform, a correction). */
export const renameDepartmentRequest = z.strictObject({ name: text(100), reason: text(500) });

/** Any id is well formed in a path; one that allocation cannot have made names no range (404). */
export const rangePath = z.strictObject({ id: z.string() });

/** A range id as allocation makes it (adapters/ids.ts newId: ISO instant + 8 hex digits). */
export const rangeId = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z-[0-9a-f]{8}$/,
    'must be a range id as allocation returned it',
  );

/** The public verification query: malformed values answer the same 404 as a wrong check code. */
export const verifyQuery = z.object({
  code: z.string().regex(/^\d{8}$/),
  number: z.string().regex(/^\d{10}$/),
  checkCode: z.string().regex(/^[0-9A-Z]{6}$/),
});

/** A signed amount in yuan, for ranges that include red (negative) receipts. */
const signedYuan = z
  .string(decimalString)
  .refine(
    (s) => parseSignedYuan(s) !== null,
    'must be an amount in yuan with at most two decimals, e.g. "-80.00"',
  )
  .transform((s) => parseSignedYuan(s)!)
  .meta({ format: 'decimal', example: '100.00' });

const auditFilters = {
  department: departmentCode.optional(),
  itemCode: itemCode.optional(),
  status: z.enum(['issued', 'reversed', 'red', 'pending']).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  payerName: text(100).optional(),
  payerId: z
    .string()
    .regex(/^[0-9A-Z]{6,30}$/, 'must be 6-30 digits or uppercase letters')
    .optional(),
  minAmount: signedYuan.optional(),
  maxAmount: signedYuan.optional(),
};

/**
 * The widest date range an audit query reads: 30 years, as long as accounting vouchers
 * (receipts among them) are kept. Any width up to it is planned and paged at a bounded cost
 * per request (adapters/dynamo/audit-query.ts); the limit refuses nonsense, not work.
 */
export const MAX_AUDIT_YEARS = 30;

/** What is wrong with an audit date range (said of `from`), or null. */
function rangeProblem(from: string, to: string): string | null {
  if (from > to) return 'must not be after to';
  const earliest = `${String(Number(to.slice(0, 4)) - MAX_AUDIT_YEARS).padStart(4, '0')}${to.slice(4)}`;
  return from < earliest
    ? `must be at most ${MAX_AUDIT_YEARS} years before to (${earliest} at the earliest): an audit query reads at most ${MAX_AUDIT_YEARS} years`
    : null;
}

function dateOrder(q: { from?: string; to?: string }, ctx: z.RefinementCtx) {
  const problem = q.from && q.to ? rangeProblem(q.from, q.to) : null;
  if (problem) ctx.addIssue({ code: 'custom', path: ['from'], message: problem });
}

/** The audit filters' ranges in order: dates (dateOrder), and amounts, which would match nothing reversed. */
function filterOrder(
  q: { from?: string; to?: string; minAmount?: number; maxAmount?: number },
  ctx: z.RefinementCtx,
) {
  dateOrder(q, ctx);
  if (q.minAmount !== undefined && q.maxAmount !== undefined && q.minAmount > q.maxAmount)
    ctx.addIssue({ code: 'custom', path: ['minAmount'], message: 'must not be more than maxAmount' });
}

/**
 * The date range of an audit query (bureau-zone dates, both included): `to` defaults to
 * today, `from` to a year before `to`. A range that is reversed or wider than
 * MAX_AUDIT_YEARS once the defaults are in is a 400 naming the limit.
 */
export function auditDateRange(
  q: { from?: string; to?: string },
  today: string,
): { from: string; to: string } {
  const to = q.to ?? today;
  const from = q.from ?? shiftDays(to, -365);
  const problem = rangeProblem(from, to);
  if (problem)
    throw badRequest(`the date range is invalid${q.to ? '' : ` (to defaults to today, ${today})`}`, [
      { path: 'from', rule: 'custom', message: `from ${problem}` },
    ]);
  return { from, to };
}

export const auditReceiptsQuery = z
  .strictObject({
    ...auditFilters,
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().max(2000).optional(),
  })
  .superRefine(filterOrder);

export const auditExportQuery = z
  .strictObject({ ...auditFilters, format: z.literal('csv').default('csv') })
  .superRefine(filterOrder);

/** The national-XML export (issue 17): the export's filters; the format is the route's (a zip). */
export const auditEInvoiceQuery = z.strictObject({ ...auditFilters }).superRefine(filterOrder);

export const auditStatsQuery = z
  .strictObject({
    from: isoDate,
    to: isoDate,
    groupBy: z.enum(['department', 'item', 'day', 'month']).default('department'),
  })
  .superRefine(dateOrder);

const listingFields = {
  from: isoDate.optional(),
  to: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(2000).optional(),
};

export const auditListQuery = z
  .strictObject({ ...listingFields, type: z.enum(EVENT_TYPES).optional() })
  .superRefine(dateOrder);

/**
 * The query of every route that declares none (http/validate.ts): empty, so a parameter such a
 * route would ignore (a filter it does not take, a misspelt name) is a 400 naming it.
 */
export const noQuery = z.strictObject({});

// The staff console's additions (issue 12): the alert feed's own filters, an alert's state
// change, an auditor's read of one receipt, a collector's listing of the department's receipts.

/** Where an alert stands: new alerts are open; an auditor acknowledges or resolves them. */
export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const;

/** The alert feed: the listing's query (`type` is the rule) plus the alert's own fields. */
export const auditAlertsQuery = z
  .strictObject({
    ...listingFields,
    type: z.enum(ALERT_RULES).optional(),
    severity: z.enum(['info', 'warning', 'critical']).optional(),
    department: departmentCode.optional(),
    state: z.enum(ALERT_STATES).optional(),
  })
  .superRefine(dateOrder);

/** An alert id as the feed gives it (adapters/ids.ts newId: the instant it was raised + 8 hex digits). */
export const alertPath = z.strictObject({
  id: z
    .string()
    .regex(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z-[0-9a-f]{8}$/,
      'must be an alert id as the alert feed gives it',
    ),
});

export const alertStateRequest = z.strictObject({
  state: z.enum(['acknowledged', 'resolved']),
  note: paragraphs(500),
});

/** A collector's listing of the department's receipts, newest first (default: the last year). */
export const receiptsListQuery = z
  .strictObject({
    from: isoDate.optional(),
    to: isoDate.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(2000).optional(),
  })
  .superRefine(dateOrder);
