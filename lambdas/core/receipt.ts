import { canonicalJson } from './canonical.js';
import type { ChargedLine } from './charge.js';
import type { IsoDate } from './dates.js';
import type { Fen } from './money.js';
import { formatYuan, toChineseCapital } from './money.js';

/** 0101: the general non-tax income receipt (非税收入通用票据). */
const GENERAL_RECEIPT_TYPE = '0101';
const NUMBER_DIGITS = 10;
export const MAX_RECEIPT_NUMBER = 10 ** NUMBER_DIGITS - 1;
export const CHECK_CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const CHECK_CODE_LENGTH = 6;

export const RECEIPT_CODE_PATTERN = /^\d{8}$/;
export const RECEIPT_NUMBER_PATTERN = /^\d{10}$/;
/** A department code: every `department` field and claim, key names, the log's entries, the e-invoice. */
export const DEPARTMENT_CODE = /^[A-Z0-9]{2,16}$/;
export const DEPARTMENT_CODE_RULE = '2-16 uppercase letters or digits';
export const isDepartmentCode = (value: unknown): boolean =>
  typeof value === 'string' && DEPARTMENT_CODE.test(value);

/** 票据代码: region (2) + receipt type (4) + year (2). */
export function receiptCode(region: string, issueDate: IsoDate): string {
  if (!/^\d{2}$/.test(region)) throw new RangeError('region code must be two digits');
  return `${region}${GENERAL_RECEIPT_TYPE}${issueDate.slice(2, 4)}`;
}

export function formatReceiptNumber(n: number): string {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_RECEIPT_NUMBER)
    throw new RangeError(`bad receipt number ${n}`);
  return String(n).padStart(NUMBER_DIGITS, '0');
}

export interface Payer {
  type: 'person' | 'unit';
  name: string;
  idNumber?: string;
}

export interface ReceiptRef {
  code: string;
  number: string;
}

export type ReceiptKind = 'blue' | 'red';
/** pending: number taken, not yet signed; issued; reversed: a red receipt names it. */
export type ReceiptStatus = 'pending' | 'issued' | 'reversed';

/** What a receipt says. Once the number is taken none of this changes. */
export interface ReceiptContent {
  code: string;
  number: string;
  checkCode: string;
  kind: ReceiptKind;
  issuedAt: string;
  issueDate: IsoDate;
  chargeDate: IsoDate;
  department: string;
  collectingUnit: string;
  payer: Payer;
  lines: ChargedLine[];
  total: Fen;
  handledBy: string;
  remark?: string;
  /** On a red receipt: the receipt it reverses, and why. */
  reverses?: ReceiptRef;
  reason?: string;
}

const CONTENT_KEYS: readonly (keyof ReceiptContent)[] = [
  'code',
  'number',
  'checkCode',
  'kind',
  'issuedAt',
  'issueDate',
  'chargeDate',
  'department',
  'collectingUnit',
  'payer',
  'lines',
  'total',
  'handledBy',
  'remark',
  'reverses',
  'reason',
];

/** Just the content of a stored receipt (which also carries status, signature and the like). */
export function contentOf(stored: ReceiptContent): ReceiptContent {
  const out: Record<string, unknown> = {};
  for (const key of CONTENT_KEYS) if (stored[key] !== undefined) out[key] = stored[key];
  return out as unknown as ReceiptContent;
}

export function totalInWords(receipt: Pick<ReceiptContent, 'total'>): string {
  return toChineseCapital(receipt.total);
}

/**
 * The canonical form that is hashed and signed: every field of the content, amounts in
 * yuan strings, keys sorted. A version tag lets the form evolve without breaking old signatures.
 */
export function canonicalReceipt(content: ReceiptContent): string {
  return canonicalJson({
    v: 1,
    ...content,
    total: formatYuan(content.total),
    totalInWords: totalInWords(content),
    lines: linesInYuan(content.lines),
  });
}

/** Lines as the API and the canonical form write them: amounts as yuan strings. */
export function linesInYuan(lines: readonly ChargedLine[]) {
  return lines.map((l) => ({ ...l, amount: formatYuan(l.amount) }));
}

/** Negates a receipt's lines for its red reversal. */
export function redLines(lines: readonly ChargedLine[]): ChargedLine[] {
  return lines.map((l) => ({ ...l, amount: 0 - l.amount }));
}

/** The public verification URL that the QR code carries. */
export function verifyUrl(
  publicUrl: string,
  r: ReceiptRef & { checkCode: string },
  extra: Record<string, string> = {},
) {
  const params = new URLSearchParams({ code: r.code, number: r.number, checkCode: r.checkCode, ...extra });
  return `${publicUrl.replace(/\/$/, '')}/verify.html?${params}`;
}

/**
 * What the QR code's compact signature covers: the fields a payer reads off the receipt.
 * The verification page checks it with the published key before asking the server.
 */
export function qrMessage(
  r: Pick<ReceiptContent, 'code' | 'number' | 'checkCode' | 'issueDate' | 'total'>,
): string {
  return `feeproof-qr-v1|${r.code}|${r.number}|${r.checkCode}|${r.issueDate}|${formatYuan(r.total)}`;
}

/** The QR parameters beside code, number and check code: what the offline check needs. */
export function qrParams(
  r: Pick<ReceiptContent, 'issueDate' | 'total'>,
  keyId: string,
  signature: string,
): Record<string, string> {
  return { d: r.issueDate, t: formatYuan(r.total), kid: keyId, sig: signature };
}

function maskMiddle(text: string, keepStart: number, keepEnd: number): string {
  const chars = [...text];
  if (chars.length <= keepStart + keepEnd) return chars[0] + '*'.repeat(Math.max(chars.length - 1, 1));
  return (
    chars.slice(0, keepStart).join('') +
    '*'.repeat(chars.length - keepStart - keepEnd) +
    chars.slice(chars.length - keepEnd).join('')
  );
}

/**
 * The payer as public answers show it: a person's name keeps its first character (张*),
 * an ID number its first 3 and last 4 characters; a unit's name is public.
 */
export function maskPayer(payer: Payer): Payer {
  const name =
    payer.type === 'unit'
      ? payer.name
      : `${[...payer.name][0]}${'*'.repeat(Math.max([...payer.name].length - 1, 1))}`;
  return {
    type: payer.type,
    name,
    ...(payer.idNumber ? { idNumber: maskMiddle(payer.idNumber, 3, 4) } : {}),
  };
}
