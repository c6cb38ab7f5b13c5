/**
 * How the staff console shows an API refusal (web/src/console/errors.ts): a Chinese headline
 * for each error code, rules and fields in Chinese where known, and the server's English
 * message always beside them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALERT_RULES } from '../../lambdas/core/alerts.js';
import { CHARGE_RULES } from '../../lambdas/core/charge.js';
import { AppError, type ErrorCode } from '../../lambdas/core/errors.js';
import {
  fieldName,
  headline,
  refusalText,
  ruleLabel,
  violationWords,
  wordsText,
} from '../../web/src/console/errors.js';

const CODES: ErrorCode[] = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'charge_rejected',
  'unprocessable',
  'rate_limited',
  'service_unavailable',
  'internal_error',
];

const CJK = /\p{Script=Han}/u;

describe('headline', () => {
  it('says each error code in Chinese, beside the server message', () => {
    const said = CODES.map((code) => {
      const { status } = new AppError(code, 'm');
      const words = headline(status, { error: code, message: `the ${code} message` });
      expect(words.zh).toMatch(CJK);
      expect(words.en).toBe(`the ${code} message`);
      return words.zh;
    });
    // Every code has words of its own (422 has two codes: they read differently).
    expect(new Set(said).size).toBe(CODES.length);
    expect(headline(400, { error: 'bad_request', message: 'the body is invalid' })).toEqual({
      zh: '请求内容有误',
      en: 'the body is invalid',
    });
    expect(headline(422, { error: 'charge_rejected', message: 'x' }).zh).toBe('不符合收费目录，不能开具');
  });

  it('names an answer without a known code by its status, and says the English itself then', () => {
    expect(headline(503, null)).toEqual({
      zh: '服务暂不可用，请稍后再试',
      en: 'Service unavailable: try again shortly',
    });
    expect(headline(409, { error: 'toString', message: 'clash' })).toEqual({
      zh: '与已有记录冲突，未作更改',
      en: 'clash',
    });
    expect(headline(418, null)).toEqual({ zh: '请求未成功', en: 'The request failed' });
  });
});

describe('rules', () => {
  it('labels every charge rule with core/charge.ts CHARGE_RULES words', () => {
    for (const [rule, label] of Object.entries(CHARGE_RULES)) expect(ruleLabel(rule)).toBe(label.zh);
  });

  it("labels zod's codes and the catalogue's rules", () => {
    expect(ruleLabel('too_small')).toBe('为空或不足下限');
    expect(ruleLabel('invalid_type')).toBe('缺少或类型不正确');
    expect(ruleLabel('unknown_field')).toBe('未知字段');
    expect(ruleLabel('effective_in_past')).toMatch(CJK);
    expect(ruleLabel('undone_by_scheduled_version')).toContain('已排定的版本会撤销这一变更');
  });

  it('labels every rule a violation names in lambdas/ (alerts have their own words)', () => {
    const sources = readdirSync('lambdas', { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    );
    const named = sources.flatMap((f) =>
      [...readFileSync(join('lambdas', f), 'utf8').matchAll(/rule: '([a-z_]+)'/g)].map((m) => m[1]!),
    );
    const alerts: readonly string[] = ALERT_RULES;
    const rules = [...new Set(named)].filter((r) => !alerts.includes(r) && r !== 'custom');
    expect(rules.length).toBeGreaterThan(20);
    expect(rules.filter((r) => ruleLabel(r) === null)).toEqual([]);
  });

  it('has no words for a rule it does not know, nor for custom', () => {
    expect(ruleLabel('custom')).toBeNull();
    expect(ruleLabel('no_such_rule')).toBeNull();
    expect(ruleLabel('constructor')).toBeNull();
  });
});

describe('field names', () => {
  it.each([
    ['lines[0].amount', '第1行 金额'],
    ['lines[2].itemCode', '第3行 收费项目'],
    ['lines', '收费明细'],
    ['payer.name', '缴款人名称'],
    ['payer.idNumber', '缴款人证件号码'],
    ['effectiveFrom', '生效日期'],
    ['basis[0].title', '依据1 标题'],
    ['basis.number', '依据 文号'],
    ['standard.amount', '收费标准 金额'],
    ['exemptions[1].percent', '减免2 减收比例'],
    ['validTo', '有效期止'],
    // The import's CSV columns.
    ['fund_management', '资金管理方式'],
    ['basis_title', '依据 标题'],
    ['effective_from', '生效日期'],
  ])('%s is %s', (path, zh) => {
    expect(fieldName(path)).toBe(zh);
  });

  it('has none when any part of the path has none', () => {
    expect(fieldName('payer.shoeSize')).toBeNull();
    expect(fieldName('header.idempotency-key')).toBeNull();
    expect(fieldName('(body)')).toBeNull();
    expect(fieldName('constructor')).toBeNull();
  });
});

describe('violations', () => {
  it('put the field and the rule in Chinese beside the server message', () => {
    const v = {
      path: 'lines[0].amount',
      rule: 'amount_mismatch',
      message: 'amount 30.00 is not 25.00',
      line: 0,
    };
    expect(violationWords(v)).toEqual({
      zh: '第1行 金额：金额与收费标准不符',
      en: 'amount 30.00 is not 25.00',
    });
    expect(wordsText(violationWords(v))).toBe('第1行 金额：金额与收费标准不符 / amount 30.00 is not 25.00');
  });

  it('say the field alone when the rule has no words', () => {
    const v = {
      path: 'standard.amount',
      rule: 'custom',
      message: 'standard.amount must be a non-negative amount',
    };
    expect(wordsText(violationWords(v))).toBe(
      '收费标准 金额 / standard.amount must be a non-negative amount',
    );
  });

  it("fall back to the server's message alone when nothing is known in Chinese", () => {
    const v = { path: 'header.x', rule: 'made_up', message: 'header.x is odd' };
    expect(violationWords(v)).toEqual({ zh: '', en: 'header.x is odd' });
    expect(wordsText(violationWords(v))).toBe('header.x is odd');
  });
});

describe('refusalText', () => {
  it('keeps every English message: the headline, each violation, the status', () => {
    const body = {
      error: 'bad_request',
      message: 'the body is invalid',
      details: [
        { path: 'basis[0].title', rule: 'too_small', message: 'basis[0].title must not be empty' },
        { path: 'zzz', rule: 'custom', message: 'zzz is wrong' },
      ],
    };
    expect(refusalText(400, body)).toBe(
      '请求内容有误 / the body is invalid；依据1 标题：为空或不足下限 / basis[0].title must not be empty；zzz is wrong (HTTP 400)',
    );
  });

  it('reads a 409 of a scheduled version in Chinese too', () => {
    const text = refusalText(409, {
      error: 'conflict',
      message:
        'item X: version 2 from 2026-12-10 (active) is scheduled after 2026-12-05 and would undo this change',
      details: [
        {
          path: 'effectiveFrom',
          rule: 'undone_by_scheduled_version',
          message: 'effectiveFrom 2026-12-05 is before version 2 from 2026-12-10 (active)',
        },
      ],
    });
    expect(text).toContain('与已有记录冲突');
    expect(text).toContain('生效日期：此日期之后已排定的版本会撤销这一变更');
    expect(text).toContain('effectiveFrom 2026-12-05 is before version 2');
    expect(text).toContain('would undo this change');
  });

  it('says what it can of an answer without a body', () => {
    expect(refusalText(502, null)).toBe(
      '服务暂不可用，请稍后再试 / Service unavailable: try again shortly (HTTP 502)',
    );
  });
});
