import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatYuan, parseYuan, toChineseCapital } from '../../lambdas/core/money.js';

const MAX_PARSEABLE_FEN = 10 ** 14 - 1; // 999 999 999 999.99 yuan: twelve integer digits

describe('parseYuan / formatYuan', () => {
  it('round-trips every amount of fen from 0 to 999 999 999 999.99 yuan', () => {
    const fen = fc.oneof(
      fc.integer({ min: 0, max: MAX_PARSEABLE_FEN }),
      fc.integer({ min: 0, max: 100_000 }),
      fc.constantFrom(0, 1, 9, 10, 99, 100, 101, MAX_PARSEABLE_FEN),
    );
    fc.assert(
      fc.property(fen, (f) => {
        const text = formatYuan(f);
        expect(text).toMatch(/^(0|[1-9]\d*)\.\d{2}$/);
        expect(parseYuan(text)).toBe(f);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads whole yuan with zero, one or two decimals (checked with BigInt arithmetic)', () => {
    const parts = fc.tuple(
      fc.bigInt({ min: 0n, max: 999_999_999_999n }),
      fc.oneof(fc.constant(''), fc.stringMatching(/^\d$/), fc.stringMatching(/^\d\d$/)),
    );
    fc.assert(
      fc.property(parts, ([whole, frac]) => {
        const text = frac === '' ? `${whole}` : `${whole}.${frac}`;
        const expected = whole * 100n + BigInt((frac + '00').slice(0, 2));
        expect(parseYuan(text)).toBe(Number(expected));
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['80.00', 8000],
    ['80', 8000],
    ['80.5', 8050],
    ['0.05', 5],
    ['0', 0],
    ['0.0', 0],
    ['999999999999.99', MAX_PARSEABLE_FEN],
  ])('parses %s as %i fen', (text, fen) => {
    expect(parseYuan(text)).toBe(fen);
  });

  it.each([
    '-1.00',
    '-0.00',
    '1.001',
    '0.005',
    '1e2',
    '1E2',
    '1.5e1',
    '01.00',
    '00',
    '00.50',
    '',
    ' 1.00',
    '1.00 ',
    '1.',
    '.5',
    '+1',
    '1,000.00',
    '１.00',
    '0x10',
    'NaN',
    'Infinity',
    '1_000',
    '12.3.4',
    '1000000000000.00', // thirteen integer digits: above the supported maximum
  ])('refuses %j', (text) => {
    expect(parseYuan(text)).toBeNull();
  });

  it('gives either null or a non-negative safe integer below 10^14 for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[-+.\de ]{0,16}$/)), (s) => {
        const fen = parseYuan(s);
        if (fen === null) return;
        expect(Number.isSafeInteger(fen)).toBe(true);
        expect(fen).toBeGreaterThanOrEqual(0);
        expect(fen).toBeLessThan(10 ** 14);
        expect(Number(s)).toBeCloseTo(fen / 100, 2);
      }),
      { numRuns: 1000 },
    );
  });

  it('formats negative amounts (red receipts) with a minus sign', () => {
    expect(formatYuan(-8000)).toBe('-80.00');
    expect(formatYuan(-5)).toBe('-0.05');
    expect(formatYuan(-12050)).toBe('-120.50');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_PARSEABLE_FEN }), (f) => {
        expect(formatYuan(-f)).toBe(`-${formatYuan(f)}`);
      }),
    );
  });
});

/**
 * Correct values written by hand from the People's Bank of China rules for writing amounts
 * on bills (正确填写票据和结算凭证的基本规定): 整 after 元; 零 for inner zeros (one 零 for a
 * run); 元 followed by 零 when the 角 digit is 0 but 分 is not; 壹拾 not bare 拾.
 * Where the rules allow two forms, the table uses the one without the optional 零 / 整.
 */
const CAPITALS: [string, string][] = [
  ['0.00', '零元整'],
  ['80.00', '捌拾元整'],
  ['120.00', '壹佰贰拾元整'],
  ['550.00', '伍佰伍拾元整'],
  ['10.00', '壹拾元整'],
  ['15.00', '壹拾伍元整'],
  ['0.05', '伍分'],
  ['0.50', '伍角'],
  ['0.55', '伍角伍分'],
  ['1000.05', '壹仟元零伍分'],
  ['10001.00', '壹万零壹元整'],
  ['100000.00', '壹拾万元整'],
  ['1000000.00', '壹佰万元整'],
  ['100000001.00', '壹亿零壹元整'],
  ['100010000.00', '壹亿零壹万元整'],
  ['110000000.00', '壹亿壹仟万元整'],
  ['20000000000.00', '贰佰亿元整'],
  ['1010.10', '壹仟零壹拾元壹角'],
  ['3.07', '叁元零柒分'],
  ['120.50', '壹佰贰拾元伍角'],
  // The examples printed in the rules themselves:
  ['1409.50', '壹仟肆佰零玖元伍角'],
  ['6007.14', '陆仟零柒元壹角肆分'],
  ['1680.32', '壹仟陆佰捌拾元叁角贰分'],
  ['107000.53', '壹拾万柒仟元伍角叁分'],
  ['16409.02', '壹万陆仟肆佰零玖元零贰分'],
  ['325.04', '叁佰贰拾伍元零肆分'],
  // The largest parseable amount, and totals beyond it (a receipt total is a sum of lines):
  ['999999999999.99', '玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分'],
  ['1000000000000.00', '壹万亿元整'],
  // A whole section of zeros between (the 亿 section here) is read as one 零; a section's
  // own trailing zeros are not (拾亿壹仟万):
  ['1000010000000.00', '壹万亿零壹仟万元整'],
  ['1010000000.00', '壹拾亿壹仟万元整'],
  ['1000100000000.00', '壹万零壹亿元整'],
  ['1000000010000.00', '壹万亿零壹万元整'],
  ['1234567890123.40', '壹万贰仟叁佰肆拾伍亿陆仟柒佰捌拾玖万零壹佰贰拾叁元肆角'],
];

/** `"1234.50"` as fen by string arithmetic, for amounts beyond what parseYuan accepts. */
function fenOf(yuan: string): number {
  const [whole, frac] = yuan.split('.');
  return Number(BigInt(whole!) * 100n + BigInt(frac!));
}

/**
 * An independent reference, written differently from the code under test: recursive on
 * 亿 and 万, digit strings within a four-digit section.
 */
const DIGIT = '零壹贰叁肆伍陆柒捌玖';
function referenceSection(n: number): string {
  const s = String(n);
  let out = '';
  let pendingZero = false;
  for (let i = 0; i < s.length; i++) {
    const d = Number(s[i]);
    if (d === 0) {
      pendingZero = true;
      continue;
    }
    out += (pendingZero ? '零' : '') + DIGIT[d] + ['', '拾', '佰', '仟'][s.length - 1 - i];
    pendingZero = false;
  }
  return out;
}
function referenceInteger(n: number): string {
  for (const [size, name] of [
    [1e8, '亿'],
    [1e4, '万'],
  ] as const) {
    if (n >= size) {
      const high = Math.floor(n / size);
      const low = n % size;
      if (low === 0) return `${referenceInteger(high)}${name}`;
      // 零 where zeros separate the parts: low's leading digits, or a whole zero section at the
      // end of high (10,000 亿 + 1,000 万: the 亿 section is 0000).
      const zeros = low < size / 10 || (high >= 1e4 && high % 1e4 === 0);
      return `${referenceInteger(high)}${name}${zeros ? '零' : ''}${referenceInteger(low)}`;
    }
  }
  return referenceSection(n);
}
function referenceCapital(fen: number): string {
  if (fen < 0) return `负${referenceCapital(-fen)}`;
  if (fen === 0) return '零元整';
  const yuan = Math.floor(fen / 100);
  const jiao = Math.floor(fen / 10) % 10;
  const f = fen % 10;
  let out = yuan > 0 ? `${referenceInteger(yuan)}元` : '';
  if (jiao === 0 && f === 0) return `${out}整`;
  if (jiao > 0) out += `${DIGIT[jiao]}角`;
  else if (yuan > 0) out += '零';
  if (f > 0) out += `${DIGIT[f]}分`;
  return out;
}

/** Amounts with many zero digits, where the 零 rules matter. */
const zeroHeavyFen = fc
  .array(fc.constantFrom(0, 0, 0, 0, 1, 2, 5, 9), { minLength: 1, maxLength: 16 })
  .map((digits) => Number(digits.join('')));
const anyFen = fc.oneof(
  zeroHeavyFen,
  fc.integer({ min: 0, max: MAX_PARSEABLE_FEN }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

describe('toChineseCapital', () => {
  it.each(CAPITALS)('writes %s yuan as %s', (yuan, words) => {
    expect(toChineseCapital(fenOf(yuan))).toBe(words);
  });

  it('agrees with the reference table through the reference implementation too', () => {
    for (const [yuan, words] of CAPITALS) expect(referenceCapital(fenOf(yuan))).toBe(words);
  });

  it('agrees with an independent reference implementation on any amount', () => {
    fc.assert(
      fc.property(anyFen, (fen) => {
        expect(toChineseCapital(fen)).toBe(referenceCapital(fen));
      }),
      { numRuns: 3000 },
    );
  });

  it('uses only capital digits and units, with 零 only before a digit', () => {
    fc.assert(
      fc.property(anyFen, (fen) => {
        const words = toChineseCapital(fen);
        expect(words).toMatch(/^[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+$/);
        if (fen !== 0) {
          expect(words).not.toMatch(/零(?![壹贰叁肆伍陆柒捌玖])/);
          expect(words.startsWith('零')).toBe(false);
        }
        expect(words).not.toMatch(/(?<![壹贰叁肆伍陆柒捌玖])拾/); // 壹拾, never a bare 拾
        expect(words).toMatch(/(元整|角|分)$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('ends with 整 exactly when there are no 角 and no 分, and shows each non-zero digit', () => {
    fc.assert(
      fc.property(anyFen, (fen) => {
        const words = toChineseCapital(fen);
        const jiao = Math.floor(fen / 10) % 10;
        const fenDigit = fen % 10;
        expect(words.endsWith('整')).toBe(fen % 100 === 0);
        expect(words.includes('整')).toBe(fen % 100 === 0);
        expect(words.includes('角')).toBe(jiao !== 0);
        expect(words.includes('分')).toBe(fenDigit !== 0);
        expect(words.includes('元')).toBe(fen === 0 || fen >= 100);
        if (jiao !== 0) expect(words).toContain(`${DIGIT[jiao]}角`);
        if (fenDigit !== 0) expect(words).toContain(`${DIGIT[fenDigit]}分`);
        // The count of non-zero digits equals the count of digit characters other than 零.
        const nonZeroDigits = [...String(fen)].filter((c) => c !== '0').length;
        expect([...words].filter((c) => '壹贰叁肆伍陆柒捌玖'.includes(c)).length).toBe(nonZeroDigits);
      }),
      { numRuns: 2000 },
    );
  });

  it('prefixes negative amounts (red receipts) with 负', () => {
    expect(toChineseCapital(-8000)).toBe('负捌拾元整');
    expect(toChineseCapital(-5)).toBe('负伍分');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (fen) => {
        expect(toChineseCapital(-fen)).toBe(`负${toChineseCapital(fen)}`);
      }),
    );
  });

  it.each([0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('refuses %d fen', (fen) => {
    expect(() => toChineseCapital(fen)).toThrow(RangeError);
  });
});
