/**
 * Money is integer fen (1 yuan = 100 fen) everywhere inside; the API speaks decimal
 * strings in yuan. Strings only: a JSON number would already have lost precision.
 */
export type Fen = number;

const YUAN_PATTERN = /^(0|[1-9]\d{0,11})(\.\d{1,2})?$/;
/**
 * The largest amount an amount field holds: twelve digits of yuan (999,999,999,999.99), as
 * the API's amounts and the e-invoice's (core/einvoice.ts) are written. A receipt's total
 * above it could be neither answered nor written.
 */
export const MAX_FEN: Fen = 99_999_999_999_999;

/** Parses `"120.00"`, `"120.5"` or `"120"`; returns null for anything else (negative, 3 decimals, exponent). */
export function parseYuan(text: string): Fen | null {
  if (!YUAN_PATTERN.test(text)) return null;
  const [whole, frac = ''] = text.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

/** Like parseYuan, with an optional minus sign (red receipts' amounts as formatYuan writes them). */
export function parseSignedYuan(text: string): Fen | null {
  const fen = parseYuan(text.replace(/^-/, ''));
  return fen === null ? null : text.startsWith('-') ? 0 - fen : fen;
}

/** Formats fen as yuan with exactly two decimals; negative amounts (red receipts) get a minus sign. */
export function formatYuan(fen: Fen): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

const DIGITS = '零壹贰叁肆伍陆柒捌玖';
const SMALL_UNITS = ['', '拾', '佰', '仟'];
const BIG_UNITS = ['', '万', '亿', '万亿'];

/** Writes a four-digit group (0..9999) in capitals, with 零 for inner zero runs. */
function group(n: number): string {
  let out = '';
  let zero = false;
  for (let i = 3; i >= 0; i--) {
    const d = Math.floor(n / 10 ** i) % 10;
    if (d === 0) {
      if (out) zero = true;
    } else {
      if (zero) out += '零';
      zero = false;
      out += DIGITS[d]! + SMALL_UNITS[i]!;
    }
  }
  return out;
}

/**
 * The total in Chinese capital characters (大写金额) as printed on receipts:
 * 8000 fen -> 捌拾元整, 12050 fen -> 壹佰贰拾元伍角, 100005 -> 壹仟元零伍分.
 * Negative amounts (red receipts) are prefixed with 负.
 */
export function toChineseCapital(fen: Fen): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError('amount must be a safe integer of fen');
  if (fen < 0) return `负${toChineseCapital(-fen)}`;
  if (fen === 0) return '零元整';
  const yuan = Math.floor(fen / 100);
  const jiao = Math.floor(fen / 10) % 10;
  const fenDigit = fen % 10;

  let words = '';
  if (yuan > 0) {
    const groups: number[] = [];
    for (let y = yuan; y > 0; y = Math.floor(y / 10000)) groups.push(y % 10000);
    let needZero = false;
    for (let i = groups.length - 1; i >= 0; i--) {
      const g = groups[i]!;
      if (g === 0) {
        needZero = words.length > 0;
        continue;
      }
      if (words && (needZero || g < 1000)) words += '零';
      words += group(g) + (i === 3 && groups[2] ? '万' : BIG_UNITS[i]!);
      needZero = false;
    }
    words += '元';
  }
  if (jiao === 0 && fenDigit === 0) return `${words}整`;
  if (jiao > 0) words += `${DIGITS[jiao]}角`;
  else if (yuan > 0) words += '零';
  if (fenDigit > 0) words += `${DIGITS[fenDigit]}分`;
  return words;
}
