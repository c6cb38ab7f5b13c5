/**
 * What the verification page concludes from an answer (web/src/verify/verdict.ts), without a
 * browser: genuine, reversed, altered (QR code or file), tampered record, unknown key, not
 * found, too many checks, errors; and the typed fields' normalisation.
 */
import { describe, expect, it } from 'vitest';
import { PDF_CHECK_NAMES } from '../../lambdas/adapters/pdf/verify.js';
import type { PdfCheckAnswer, PublicReceipt, VerifyAnswer } from '../../lambdas/handlers/verify.js';
import type { ApiError } from '../../web/src/api.js';
import type { OfflineResult, PublishedKey } from '../../web/src/qr-signature.js';
import { checkFields, fieldsOfUrl } from '../../web/src/verify/fields.js';
import {
  CHECK_LABELS,
  checkLabel,
  fileVerdict,
  type Got,
  MAX_PDF_BYTES,
  malformedLinkVerdict,
  numbersVerdict,
  offlineNote,
  pdfVerdict,
  type QrEvidence,
  type Reason,
  type Said,
  UNREACHABLE,
  type Verdict,
} from '../../web/src/verify/verdict.js';

const receipt: PublicReceipt = {
  code: '11010126',
  number: '0000000042',
  kind: 'blue',
  issueDate: '2026-03-05',
  total: '80.00',
  totalInWords: '捌拾元整',
  collectingUnit: '某市自然资源局',
  lines: [
    {
      itemCode: 'ZRZY-001',
      name: '不动产登记费（住宅）',
      unit: '件',
      quantity: 1,
      standard: '80.00',
      amount: '80.00',
    },
  ],
  payer: { type: 'person', name: '张*' },
};
const red = { code: '11010126', number: '0000000043' };

const ok = <T>(body: T, status = 200): Got<T> => ({ status, body: body as T & ApiError, retryAfter: null });
const genuine: VerifyAnswer = { valid: true, status: 'issued', receipt, checks: 3 };
const key: PublishedKey = { keyId: 'k1', status: 'current', jwk: { kty: 'EC', crv: 'P-256', x: '', y: '' } };
const qr = (offline: OfflineResult, params: QrEvidence['params'] = { d: '2026-03-05', t: '80.00' }) => ({
  params,
  offline,
});

/** Every sentence of a verdict in Chinese, to look for words in. */
function text(v: Verdict): string {
  const of = (r: Reason | Said | undefined): string =>
    r === undefined ? '' : typeof r === 'string' ? r : 'check' in r ? `${r.label[0]}：${r.reason}` : r.zh;
  return [v.title[0], of(v.summary), ...(v.reasons ?? []).map(of)].join('\n');
}

describe('by code, number and check code', () => {
  it('says genuine, with the receipt and the count of checks', () => {
    const { verdict, receipt: shown, checks } = numbersVerdict(ok(genuine), null);
    expect(verdict.state).toBe('genuine');
    expect(verdict.title).toEqual(['真票', 'Genuine']);
    expect(shown).toBe(receipt);
    expect(checks).toBe(3);
    expect(verdict.reasons).toEqual([]);
  });

  it('says reversed, naming the red receipt that reversed it', () => {
    const { verdict } = numbersVerdict(ok({ ...genuine, status: 'reversed', reversedBy: red }), null);
    expect(verdict.state).toBe('reversed');
    expect(verdict.summary).toMatchObject({ testid: 'reversed-by' });
    expect(verdict.summary?.zh).toContain(`代码 ${red.code} 号码 ${red.number}`);
  });

  it('says a red receipt is genuine and names the original it reverses', () => {
    const answer: VerifyAnswer = {
      ...genuine,
      receipt: { ...receipt, ...red, kind: 'red', total: '-80.00' },
      reverses: { code: receipt.code, number: receipt.number },
    };
    const { verdict } = numbersVerdict(ok(answer), null);
    expect(verdict.state).toBe('genuine');
    expect(verdict.reasons).toEqual([expect.objectContaining({ testid: 'reverses' })]);
    expect(text(verdict)).toContain(`号码 ${receipt.number}`);
  });

  it('says not genuine when the stored record no longer matches its signature, in the server words', () => {
    const tampered: VerifyAnswer = {
      valid: false,
      error: 'tampered',
      message: 'no longer matches',
      checks: 4,
    };
    const { verdict, receipt: shown, checks } = numbersVerdict(ok(tampered), null);
    expect(verdict.state).toBe('invalid');
    expect(verdict.reasons).toEqual(['no longer matches']);
    expect(shown).toBeUndefined();
    expect(checks).toBe(4);
  });

  it('says not found, too many checks (with the wait), malformed, a server error, unreachable', () => {
    expect(numbersVerdict(ok({ error: 'not_found' } as never, 404), null).verdict.state).toBe('not_found');
    const limited = numbersVerdict({ status: 429, body: null, retryAfter: 12 }, null).verdict;
    expect(limited.state).toBe('rate_limited');
    expect(limited.summary?.zh).toBe('请 12 秒后再试。');
    expect(numbersVerdict({ status: 429, body: null, retryAfter: null }, null).verdict.summary?.zh).toBe(
      '请稍后再试。',
    );
    const malformed = numbersVerdict(ok({ message: 'code: 8 digits' } as never, 400), null).verdict;
    expect(malformed).toMatchObject({ state: 'error', title: ['信息格式有误', 'Malformed details'] });
    expect(malformed.summary?.zh).toContain('code: 8 digits');
    const broken = numbersVerdict({ status: 500, body: null, retryAfter: null }, null).verdict;
    expect(broken.state).toBe('error');
    expect(broken.summary?.zh).toContain('（500）');
    expect(numbersVerdict(null, null).verdict).toBe(UNREACHABLE);
  });
});

describe('from a QR code', () => {
  it('says genuine when the signature is valid and its date and total match the record', () => {
    const { verdict } = numbersVerdict(ok(genuine), qr({ state: 'valid', key }));
    expect(verdict.state).toBe('genuine');
    // An issue date registered with its time still matches the QR code's date.
    const timed = { ...genuine, receipt: { ...receipt, issueDate: '2026-03-05T14:30:12+08:00' } };
    expect(numbersVerdict(ok(timed), qr({ state: 'valid', key })).verdict.state).toBe('genuine');
  });

  it('says not genuine when the signature does not match, still showing the receipt as registered', () => {
    const outcome = numbersVerdict(ok(genuine), qr({ state: 'invalid', reason: 'signature_mismatch', key }));
    expect(outcome.verdict.state).toBe('invalid');
    expect(text(outcome.verdict)).toContain('二维码签名无效');
    expect(outcome.receipt).toBe(receipt);
  });

  it('says not genuine when the QR code is signed by a key this service does not publish', () => {
    const { verdict } = numbersVerdict(ok(genuine), qr({ state: 'invalid', reason: 'unknown_key' }));
    expect(verdict.state).toBe('invalid');
    expect(text(verdict)).toContain('不是本系统公布的密钥');
  });

  it('says not genuine when the QR total or date differs from the record, even if the keys could not be had', () => {
    const unavailable: OfflineResult = { state: 'unavailable', reason: 'keys_unreachable' };
    const total = numbersVerdict(ok(genuine), qr(unavailable, { d: '2026-03-05', t: '8.00' })).verdict;
    expect(total.state).toBe('invalid');
    expect(text(total)).toContain('二维码金额 8.00 元与登记的 80.00 元不符');
    const date = numbersVerdict(ok(genuine), qr({ state: 'valid', key }, { d: '2026-03-04', t: '80.00' }));
    expect(text(date.verdict)).toContain('二维码开票日期 2026-03-04');
    // Keys out of reach alone do not make a matching receipt suspect.
    expect(numbersVerdict(ok(genuine), qr(unavailable)).verdict.state).toBe('genuine');
  });

  it('describes the offline signature line', () => {
    expect(offlineNote({ state: 'valid', key })).toMatchObject({ state: 'valid', mark: '✓', keyId: 'k1' });
    expect(offlineNote({ state: 'valid', key: { ...key, status: 'retired' } }).text.zh).toContain(
      '已停用密钥',
    );
    expect(offlineNote({ state: 'invalid', reason: 'unknown_key' })).toMatchObject({
      state: 'invalid',
      mark: '✗',
    });
    const none = offlineNote({ state: 'unavailable', reason: 'no_webcrypto' });
    expect(none).toMatchObject({ state: 'unavailable', mark: '–' });
    expect(none.text.zh).toContain('无法离线验签');
  });

  it('refuses a link with malformed fields, saying which', () => {
    const verdict = malformedLinkVerdict(['code', 'checkCode']);
    expect(verdict.state).toBe('invalid');
    expect(text(verdict)).toContain('票据代码应为 8 位数字');
    expect(text(verdict)).toContain('校验码应为 6 位字母或数字');
  });
});

describe('a PDF', () => {
  const passed = PDF_CHECK_NAMES.map((name) => ({ name, ok: true }));

  it('has a label for every check the verifier can report', () => {
    expect(Object.keys(CHECK_LABELS).sort()).toEqual([...PDF_CHECK_NAMES].sort());
    expect(checkLabel('some_new_check')).toEqual(['some_new_check', '']);
  });

  it('says genuine when every check passed, and reversed for a reversed receipt', () => {
    const answer: PdfCheckAnswer = { valid: true, checks: passed, status: 'issued', receipt };
    const outcome = pdfVerdict(ok(answer));
    expect(outcome.verdict.state).toBe('genuine');
    expect(outcome.checks).toBe(passed);
    expect(outcome.receipt).toBe(receipt);
    expect(pdfVerdict(ok({ ...answer, status: 'reversed', reversedBy: red })).verdict.state).toBe('reversed');
  });

  it('says not genuine for an altered file, each failed check labelled with its reason', () => {
    const checks = passed.map((c) =>
      c.name === 'message_digest' || c.name === 'matches_issued_pdf'
        ? { ...c, ok: false, reason: `${c.name} failed` }
        : c,
    );
    const outcome = pdfVerdict(ok({ valid: false, checks }));
    expect(outcome.verdict.state).toBe('invalid');
    expect(outcome.verdict.reasons).toEqual([
      { check: 'message_digest', label: CHECK_LABELS.message_digest, reason: 'message_digest failed' },
      {
        check: 'matches_issued_pdf',
        label: CHECK_LABELS.matches_issued_pdf,
        reason: 'matches_issued_pdf failed',
      },
    ]);
    expect(outcome.checks).toBe(checks);
    expect(outcome.receipt).toBeUndefined();
  });

  it('says not genuine for what is not a PDF (400), and too large for 413', () => {
    const unreadable = pdfVerdict(ok({ message: 'not a readable PDF' } as never, 400));
    expect(unreadable.verdict.state).toBe('invalid');
    expect(unreadable.verdict.reasons).toEqual(['not a readable PDF']);
    expect(unreadable.checks).toBeNull();
    expect(pdfVerdict({ status: 413, body: null, retryAfter: null }).verdict.title).toEqual([
      '文件过大',
      'File too large',
    ]);
    expect(pdfVerdict({ status: 429, body: null, retryAfter: 5 }).verdict.state).toBe('rate_limited');
    expect(pdfVerdict(null).verdict).toBe(UNREACHABLE);
  });

  it('refuses an empty or oversized file before sending it', () => {
    expect(fileVerdict(0)?.title).toEqual(['文件为空', 'Empty file']);
    expect(fileVerdict(MAX_PDF_BYTES + 1)?.title).toEqual(['文件过大', 'File too large']);
    expect(fileVerdict(40_000)).toBeNull();
  });
});

describe('typed fields', () => {
  it('accepts full-width digits, spaces and a lower-case check code', () => {
    const wide = '0000000042'.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
    expect(checkFields({ code: ' 1101 0126 ', number: wide, checkCode: 'zjjplz' })).toEqual({
      values: { code: '11010126', number: '0000000042', checkCode: 'ZJJPLZ' },
      invalid: [],
    });
  });

  it('names the malformed fields in form order', () => {
    expect(checkFields({ code: '1101012', number: '42', checkCode: 'ZJJPLZ' }).invalid).toEqual([
      'code',
      'number',
    ]);
  });

  it('reads the fields of a link, or none', () => {
    expect(fieldsOfUrl(new URLSearchParams('code=11010126&number=0000000042'))).toEqual({
      code: '11010126',
      number: '0000000042',
      checkCode: '',
    });
    expect(fieldsOfUrl(new URLSearchParams('foo=1'))).toBeNull();
  });
});
