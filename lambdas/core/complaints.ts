/**
 * Payer complaints (投诉): a payer who was charged off the catalogue, above the standard, refused
 * an exemption or given no receipt says so; every complaint raises a `payer_complaint` alert,
 * an auditor replies and resolves it, and the payer looks the reply up with a secret code.
 * Complaints and what happens to them are events, never deleted; only the contact details
 * are removed, after the retention period, and that removal is an event too.
 */
import { z } from 'zod';
import type { AlertDraft } from './alerts.js';
import { COMPLAINT_CATEGORIES, type ComplaintCategory } from './complaint-categories.js';
import { type IsoDate, shiftDays } from './dates.js';
import type { Violation } from './errors.js';
import { departmentCode, isoDate, paragraphs } from './schemas.js';

export type ComplaintStatus = 'open' | 'replied' | 'resolved';

/** The most a complaint's free text may hold (characters). */
export const MAX_COMPLAINT_TEXT = 2000;
/**
 * The largest complaint body the API reads, in bytes. A full text is at most about 8 KB; above
 * this a body is refused unread (413), and up to it the schema names what is too long (400). In
 * AWS the WAF's 8 KB rule for JSON bodies comes first (lib/waf.ts).
 */
export const MAX_COMPLAINT_BYTES = 256 * 1024;

/** Abuse limits of the public form; FEEPROOF_COMPLAINT_LIMITS (JSON) overrides any of them. */
export interface ComplaintLimits {
  /** Complaints one address may file per day (bureau zone). */
  perAddressPerDay: number;
  /** Complaints about one receipt, ever. */
  perReceipt: number;
  /** Days after filing that the contact details are removed (about 3 years). */
  contactRetentionDays: number;
}
export const DEFAULT_COMPLAINT_LIMITS: ComplaintLimits = {
  perAddressPerDay: 5,
  perReceipt: 3,
  contactRetentionDays: 1096,
};

/**
 * What is wrong with overrides of the limits (unknown keys, values that are not whole numbers
 * of at least 1), or undefined: checked by the runtime at start-up and by the stack at synth.
 */
export function complaintLimitsProblem(limits: Record<string, unknown>): string | undefined {
  const known = Object.keys(DEFAULT_COMPLAINT_LIMITS);
  const unknown = Object.keys(limits).filter((k) => !known.includes(k));
  if (unknown.length) return `unknown keys: ${unknown.join(', ')} (known: ${known.join(', ')})`;
  const bad = Object.entries(limits).find(([, v]) => !Number.isSafeInteger(v) || (v as number) < 1);
  if (bad) return `${bad[0]} must be a whole number of at least 1, got ${JSON.stringify(bad[1])}`;
  return undefined;
}

/**
 * Days a per-address counter row is kept (DynamoDB TTL) after its day: the limit only ever
 * reads today's row, and a keyed hash of an address is still personal data.
 */
export const ADDRESS_COUNTER_DAYS = 3;

const CN_MOBILE = /^1[3-9]\d{9}$/;
/** A landline with its area code (010-12345678) or a service number such as 12345. */
const CN_LANDLINE = /^(0\d{2,3}-?\d{7,8}|\d{5})$/;
/** An address a mail server takes: local@domain.tld, no blanks, no quotes. */
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export const contactSchema = z
  .string()
  .max(254, 'must be at most 254 characters')
  .refine(
    (s) => CN_MOBILE.test(s) || CN_LANDLINE.test(s) || EMAIL.test(s),
    'must be a phone number (13812345678, 010-12345678) or an e-mail address',
  )
  .meta({ example: '13812345678' });

const receiptProof = z.strictObject({
  code: z.string().regex(/^\d{8}$/, 'must be the 8-digit receipt code'),
  number: z.string().regex(/^\d{10}$/, 'must be the 10-digit receipt number'),
  checkCode: z.string().regex(/^[0-9A-Z]{6}$/, 'must be the 6-character check code'),
});

export const complaintRequest = z
  .strictObject({
    category: z.enum(Object.keys(COMPLAINT_CATEGORIES) as [ComplaintCategory, ...ComplaintCategory[]]),
    text: paragraphs(MAX_COMPLAINT_TEXT),
    contact: contactSchema.optional(),
    /** The receipt complained about: its code, number and check code prove the payer holds it. */
    receipt: receiptProof.optional(),
    /** Without a receipt: which department (of the catalogue: checked when filed), on which day. */
    department: departmentCode.optional(),
    /** Today or at most MAX_COMPLAINT_AGE_DAYS before (complaintDayViolations, when filed). */
    date: isoDate.optional(),
    /** The page's honeypot: a person never sees it, so never fills it. */
    website: z.string().max(200).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.receipt) {
      for (const field of ['department', 'date'] as const)
        if (c[field] !== undefined)
          ctx.addIssue({ code: 'custom', path: [field], message: 'must not be given with a receipt' });
    } else
      for (const field of ['department', 'date'] as const)
        if (c[field] === undefined)
          ctx.addIssue({ code: 'custom', path: [field], message: 'is required without a receipt' });
  });
export type ComplaintRequest = z.output<typeof complaintRequest>;

/**
 * How far back the day of a complaint without a receipt may lie: three years (1,096 days). That
 * is the widest window the open data publishes (36 months, MAX_STATS_MONTHS in stats.ts), as
 * long as a complaint's contact is kept by default (contactRetentionDays), and China's general
 * limitation period (three years, Civil Code art. 188). A complaint about an older charge names
 * its receipt, whose check code proves it, however old.
 */
export const MAX_COMPLAINT_AGE_DAYS = 1096;

/**
 * What is wrong with the day a complaint without a receipt names (`today`: the bureau zone's
 * date): it cannot lie after today, nor more than MAX_COMPLAINT_AGE_DAYS before it.
 */
export function complaintDayViolations(date: IsoDate, today: IsoDate): Violation[] {
  if (date > today)
    return [
      {
        path: 'date',
        rule: 'date_in_future',
        message: `date must not be after today (${today}, UTC+8): a complaint is about a charge made already`,
      },
    ];
  const earliest = shiftDays(today, -MAX_COMPLAINT_AGE_DAYS);
  if (date < earliest)
    return [
      {
        path: 'date',
        rule: 'date_too_old',
        message: `date must be ${earliest} or later (at most 3 years ago); for an older charge, name its receipt`,
      },
    ];
  return [];
}

/** A complaint number as filing makes it: TS-yyyymmdd- and 8 characters of the check-code alphabet. */
export const COMPLAINT_ID = /^TS-\d{8}-[2-9A-HJ-NP-Z]{8}$/;
export const LOOKUP_CODE_LENGTH = 12;

export const complaintPath = z.strictObject({ id: z.string().max(40) });
/** The payer's lookup: a malformed one answers the same 404 as a wrong code (nullWhenInvalid). */
export const complaintLookupQuery = z.object({ code: z.string().regex(/^[2-9A-HJ-NP-Z]{12}$/) });

export const complaintReplyRequest = z.strictObject({ reply: paragraphs(MAX_COMPLAINT_TEXT) });
export const complaintResolveRequest = z.strictObject({ note: paragraphs(500).optional() });
export const complaintListQuery = z.strictObject({
  from: isoDate.optional(),
  to: isoDate.optional(),
  status: z.enum(['open', 'replied', 'resolved']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(2000).optional(),
});

/** A complaint as stored (without its contact, which lives apart and is removed in time). */
export interface Complaint {
  id: string;
  /** SHA-256 (hex) of the lookup code; the code itself is only ever given to the payer. */
  codeHash: string;
  category: ComplaintCategory;
  text: string;
  /** The department complained about: the receipt's, or the one named. */
  department: string;
  receipt?: { code: string; number: string };
  /** Without a receipt: the day the payer names. */
  date?: string;
  filedAt: string;
  status: ComplaintStatus;
  reply?: string;
  repliedAt?: string;
  repliedBy?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  hasContact: boolean;
  contactRemovedAt?: string;
}

/** What the payer's lookup shows: the status and the auditors' reply, nothing else. */
export function lookupOut(c: Complaint) {
  return {
    id: c.id,
    status: c.status,
    filedAt: c.filedAt,
    reply: c.reply ?? null,
    repliedAt: c.repliedAt ?? null,
    resolvedAt: c.resolvedAt ?? null,
  };
}

/** The subject a complaint names: the receipt (code/number) or the department and day. */
export const complaintSubject = (c: Pick<Complaint, 'receipt' | 'department' | 'date'>) =>
  c.receipt ? `${c.receipt.code}/${c.receipt.number}` : `${c.department}/${c.date}`;

/** Every complaint is an alert: the auditors must see it, with the receipt or department it names. */
export function complaintAlert(c: Complaint): AlertDraft {
  const what = COMPLAINT_CATEGORIES[c.category];
  const subject = complaintSubject(c);
  return {
    key: `payer_complaint#${c.id}`,
    severity: 'warning',
    rule: 'payer_complaint',
    department: c.department,
    subjects: [c.id, subject],
    message: {
      zh: `缴款人投诉 ${c.id}（${what.zh}）：${subject}`,
      en: `payer complaint ${c.id} (${what.en}): ${subject}`,
    },
  };
}
