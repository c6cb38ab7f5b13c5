/**
 * What an answer means for the person checking a receipt: genuine, reversed, not genuine
 * (altered QR code, altered file, tampered record), not found, too many checks, or an error.
 * Pure (no DOM, no fetch), so that it is unit-tested in Node; render.ts draws what it says.
 * The answer types are the server's own (imported as types only: nothing of the server is bundled).
 */
import type { PdfCheckName } from '../../../lambdas/adapters/pdf/verify.js';
import type { ReceiptRef } from '../../../lambdas/core/receipt.js';
import type {
  PdfCheck,
  PdfCheckAnswer,
  PublicReceipt,
  ReceiptRelations,
  SignatureKind,
  VerifyAnswer,
} from '../../../lambdas/handlers/verify.js';
import type { ApiError } from '../api.js';
import type { Bilingual } from '../format.js';
import { OFFLINE_REASONS, type OfflineResult, type QrParams } from '../qr-signature.js';
import { FIELD_RULES, type FieldName } from './fields.js';

export type { PdfCheck, PublicReceipt };

export type VerdictState =
  | 'checking'
  | 'genuine'
  | 'reversed'
  | 'invalid'
  | 'not_found'
  | 'rate_limited'
  | 'error';

/** A sentence in Chinese with its English; `testid` marks one that readers (and tests) look for. */
export interface Said {
  zh: string;
  en: string;
  testid?: string;
}

/** A PDF check that failed: its label (when the page knows the check) and the server's reason. */
export interface FailedCheck {
  check: string;
  label: Bilingual;
  reason?: string;
}

/** A reason under the verdict: a sentence, a failed PDF check, or the server's own words. */
export type Reason = Said | FailedCheck | string;

export interface Verdict {
  state: VerdictState;
  title: Bilingual;
  summary?: Said;
  reasons?: Reason[];
}

/** An API answer as the page got it: the status, the JSON body, and Retry-After in seconds. */
export interface Got<T> {
  status: number;
  body: (T & ApiError) | null;
  retryAfter: number | null;
}

/** The QR code a check came from: its fields and what its signature checked offline says. */
export interface QrEvidence {
  params: Partial<QrParams>;
  offline: OfflineResult;
}

/** Receipt files are far smaller; a bigger one is refused before it is sent. */
export const MAX_PDF_BYTES = 10 * 1024 * 1024;

/** Labels of the server's PDF checks, one for each name the verifier exports. */
export const CHECK_LABELS: Record<PdfCheckName, Bilingual> = {
  readable: ['文件格式', 'PDF format'],
  has_signature: ['电子签名', 'Signature present'],
  byte_range: ['签名覆盖范围', 'Signed byte range'],
  cms: ['签名结构', 'Signature structure'],
  message_digest: ['文件完整性', 'File integrity (digest)'],
  signing_certificate: ['签名证书绑定', 'Signing certificate binding'],
  signature: ['签名值', 'Signature value'],
  trusted_certificate: ['证书来源', 'Certificate issued by this service'],
  embedded_data: ['内嵌票据数据', 'Embedded receipt data (XML)'],
  receipt_exists: ['票据登记', 'Receipt registered'],
  matches_issued_pdf: ['与签发文件比对', 'Same as the issued PDF'],
  receipt_data_signature: ['登记数据签名', 'Registered data signature'],
};

/** A check's label; a check newer than this page (a cached script) is shown by its name. */
export function checkLabel(name: string): Bilingual {
  return (CHECK_LABELS as Record<string, Bilingual>)[name] ?? [name, ''];
}

const said = (zh: string, en: string, testid?: string): Said => (testid ? { zh, en, testid } : { zh, en });

export const CHECKING: Verdict = { state: 'checking', title: ['查验中…', 'Checking…'] };

export const UNREACHABLE: Verdict = {
  state: 'error',
  title: ['无法连接服务器', 'Server unreachable'],
  summary: said('请检查网络后重试。', 'Check the connection and try again.'),
};

const NOT_GENUINE: Bilingual = ['非真票', 'Not genuine'];

/** Which signatures held: both of a receipt issued under supervision, or an older receipt's one. */
const TWO_SIGNATURES: Record<SignatureKind, Reason[]> = {
  two: [
    said(
      '开票单位签章与财政部门监制签章均有效。',
      'The collecting unit’s signature and the finance bureau’s supervision signature both verify.',
      'signatures-two',
    ),
  ],
  bureau_only: [],
};

const ref = (r: ReceiptRef) => `代码 ${r.code} 号码 ${r.number}`;
const refEn = (r: ReceiptRef) => `code ${r.code}, number ${r.number}`;

/** A registered receipt that passed: reversed (amber) or genuine; a red one names its original. */
function genuineOrReversed(
  answer: ReceiptRelations & { status?: string; receipt?: PublicReceipt },
  extraReasons: Reason[] = [],
): Verdict {
  const r = answer.receipt;
  const reasons: Reason[] = [...extraReasons];
  if (r?.kind === 'red' || answer.reverses) {
    const original = answer.reverses;
    reasons.push(
      original
        ? said(
            `这是一张红字冲红票据，冲销 ${ref(original)}。`,
            `A red reversal of ${refEn(original)}.`,
            'reverses',
          )
        : said('这是一张红字冲红票据。', 'A red reversal receipt.'),
    );
  }
  if (answer.status === 'reversed') {
    const by = answer.reversedBy;
    return {
      state: 'reversed',
      title: ['已冲红', 'Reversed'],
      summary: by
        ? said(
            `票据真实，但已被红字票据冲销：${ref(by)}。`,
            `Genuine, but reversed by red receipt ${refEn(by)}.`,
            'reversed-by',
          )
        : said('票据真实，但已被红字票据冲销。', 'Genuine, but reversed by a red receipt.'),
      reasons,
    };
  }
  return {
    state: 'genuine',
    title: ['真票', 'Genuine'],
    summary: r
      ? said(
          `票据 ${r.code}-${r.number} 由本系统签发，与登记信息一致。`,
          'Issued by this service; matches the registered record.',
        )
      : said('票据由本系统签发，与登记信息一致。', 'Issued by this service; matches the registered record.'),
    reasons,
  };
}

function rateLimited(seconds: number | null): Verdict {
  return {
    state: 'rate_limited',
    title: ['查验过于频繁', 'Too many checks'],
    summary:
      seconds !== null
        ? said(`请 ${seconds} 秒后再试。`, `Please try again in ${seconds} s.`)
        : said('请稍后再试。', 'Please try again shortly.'),
  };
}

function failure(status: number, body: ApiError | null): Verdict {
  if (status === 413)
    return {
      state: 'error',
      title: ['文件过大', 'File too large'],
      summary: said(
        '该文件超过了允许的大小，不是本系统开具的票据 PDF。',
        'The file is larger than any receipt PDF of this service.',
      ),
    };
  return {
    state: 'error',
    title: ['无法查验', 'Could not check'],
    summary: said(
      `服务器未能完成查验（${status}）${body?.message ? `：${body.message}` : '。'}`,
      `The server could not check it (${status}).`,
    ),
  };
}

/** What the QR code says (its signed issue date and total) against the registered receipt. */
function qrMismatches(qr: Partial<QrParams>, receipt: PublicReceipt): Said[] {
  const reasons: Said[] = [];
  if (qr.d && !(receipt.issueDate === qr.d || receipt.issueDate.startsWith(`${qr.d}T`)))
    reasons.push(
      said(
        `二维码开票日期 ${qr.d} 与登记的 ${receipt.issueDate} 不符。`,
        `The QR issue date ${qr.d} differs from the record.`,
      ),
    );
  if (qr.t && qr.t !== receipt.total)
    reasons.push(
      said(
        `二维码金额 ${qr.t} 元与登记的 ${receipt.total} 元不符。`,
        `The QR total ${qr.t} differs from the record ${receipt.total}.`,
      ),
    );
  return reasons;
}

/** The line under the verdict that says what the QR code's own signature, checked offline, shows. */
export interface OfflineNote {
  state: OfflineResult['state'];
  mark: '✓' | '✗' | '–';
  text: Said;
  /** The key that made a valid signature. */
  keyId?: string;
}

export function offlineNote(result: OfflineResult): OfflineNote {
  if (result.state === 'valid') {
    const retired = result.key.status === 'retired' ? '（已停用密钥）' : '';
    return {
      state: 'valid',
      mark: '✓',
      text: said(`离线签名有效${retired}`, 'offline signature valid'),
      keyId: result.key.keyId,
    };
  }
  const [zh, en] = OFFLINE_REASONS[result.reason];
  return result.state === 'invalid'
    ? { state: 'invalid', mark: '✗', text: said(`离线签名无效：${zh}`, `offline signature invalid: ${en}`) }
    : {
        state: 'unavailable',
        mark: '–',
        text: said(`无法离线验签：${zh}`, `offline check unavailable: ${en}`),
      };
}

/** What a check by code, number and check code (typed, or from a QR code) shows. */
export interface NumbersOutcome {
  verdict: Verdict;
  /** The receipt as registered, shown to compare against (also when the QR code was altered). */
  receipt?: PublicReceipt;
  checks?: number;
}

/** The meaning of GET /v1/verify's answer (null: no answer), with the QR code it came from, if any. */
export function numbersVerdict(got: Got<VerifyAnswer> | null, qr: QrEvidence | null): NumbersOutcome {
  if (!got) return { verdict: UNREACHABLE };
  const { status, body } = got;
  if (status === 200 && body && (!body.valid || !body.receipt))
    return {
      verdict: {
        state: 'invalid',
        title: NOT_GENUINE,
        summary: said(
          '本系统登记的票据数据与签发时的签名不符。',
          'The registered receipt no longer matches the signature made when it was issued.',
        ),
        // Each signature that fails on its own line: 开票单位签章 (the unit's), 财政部门监制签章 (the bureau's).
        reasons:
          'failures' in body && body.failures?.length
            ? body.failures.map((f) => f.message)
            : [body.message ?? body.error ?? ''].filter(Boolean),
      },
      checks: body.checks,
    };
  if (status === 200 && body?.valid) {
    const { receipt, checks } = body;
    const altered: Said[] = [];
    if (qr?.offline.state === 'invalid') {
      const [zh, en] = OFFLINE_REASONS[qr.offline.reason];
      altered.push(said(`二维码签名无效：${zh}。`, `The QR signature is invalid: ${en}.`));
    } else if (qr) {
      altered.push(...qrMismatches(qr.params, receipt));
    }
    if (altered.length)
      return {
        verdict: {
          state: 'invalid',
          title: NOT_GENUINE,
          summary: said(
            '二维码内容与本系统签发的不一致，可能被改动。下方为该代码和号码在本系统登记的票据，请逐项核对。',
            'The QR code is not as this service issued it and may have been altered. The receipt registered under this code and number is shown below: compare it line by line.',
          ),
          reasons: altered,
        },
        receipt,
        checks,
      };
    return {
      verdict: genuineOrReversed(body, TWO_SIGNATURES[body.signatures ?? 'bureau_only']),
      receipt,
      checks,
    };
  }
  if (status === 404)
    return {
      verdict: {
        state: 'not_found',
        title: NOT_GENUINE,
        summary: said(
          '查无此票：票据代码、号码或校验码不符。',
          'No receipt matches this code, number and check code.',
        ),
        reasons: [
          said(
            '请核对票面上的代码、号码和校验码后重试。',
            'Check the code, number and check code printed on the receipt and try again.',
          ),
        ],
      },
    };
  if (status === 429) return { verdict: rateLimited(got.retryAfter) };
  if (status === 400)
    return {
      verdict: {
        state: 'error',
        title: ['信息格式有误', 'Malformed details'],
        summary: said(
          `请检查输入${body?.message ? `：${body.message}` : '。'}`,
          'Please check what was entered.',
        ),
      },
    };
  return { verdict: failure(status, body) };
}

/** A link whose fields are malformed is not a receipt of this service (and is not sent). */
export function malformedLinkVerdict(invalid: readonly FieldName[]): Verdict {
  return {
    state: 'invalid',
    title: NOT_GENUINE,
    summary: said('链接中的票据信息格式不正确。', 'The receipt details in this link are malformed.'),
    reasons: invalid.map((name) => said(...FIELD_RULES[name].message)),
  };
}

/** A file refused before it is sent (empty, or larger than any receipt), or null to send it. */
export function fileVerdict(size: number): Verdict | null {
  if (size === 0)
    return {
      state: 'error',
      title: ['文件为空', 'Empty file'],
      summary: said('请选择票据 PDF 文件。', 'Choose the receipt PDF file.'),
    };
  return size > MAX_PDF_BYTES ? failure(413, null) : null;
}

/** What a PDF check shows: the verdict, the list of checks, and the receipt when all passed. */
export interface PdfOutcome {
  verdict: Verdict;
  checks: PdfCheck[] | null;
  receipt?: PublicReceipt;
}

/** The meaning of POST /v1/verify/pdf's answer (null: no answer). */
export function pdfVerdict(got: Got<PdfCheckAnswer> | null): PdfOutcome {
  if (!got) return { verdict: UNREACHABLE, checks: null };
  const { status, body } = got;
  if (status === 200 && body && Array.isArray(body.checks)) {
    const outcome = { checks: body.checks, receipt: body.receipt };
    if (body.valid) return { ...outcome, verdict: genuineOrReversed(body) };
    const failed = body.checks.filter((c) => !c.ok);
    return {
      ...outcome,
      verdict: {
        state: 'invalid',
        title: NOT_GENUINE,
        summary: said(
          '该文件不是本系统签发的原始票据，或已被改动。',
          'This file is not an unaltered receipt issued by this service.',
        ),
        reasons: failed.length
          ? failed.map((c) => ({ check: c.name, label: checkLabel(c.name), reason: c.reason }))
          : [said('检查未通过。', 'A check failed.')],
      },
    };
  }
  if (status === 429) return { verdict: rateLimited(got.retryAfter), checks: null };
  if (status === 400)
    return {
      verdict: {
        state: 'invalid',
        title: NOT_GENUINE,
        summary: said('无法识别为本系统的票据 PDF。', 'Not recognisable as a receipt PDF of this service.'),
        reasons: body?.message ? [body.message] : [],
      },
      checks: null,
    };
  return { verdict: failure(status, body), checks: null };
}
