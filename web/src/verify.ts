/**
 * 票据查验: is a receipt genuine? Three ways in: the printed code, number and check code;
 * the URL of a receipt's QR code (its compact signature is checked offline first, then the
 * server is asked); or the receipt's PDF, checked by the server. The verdict is one big,
 * coloured state (data-testid="verdict", data-state=genuine|reversed|invalid|not_found|...),
 * then the reasons and the receipt as registered.
 */
import { type ApiError, apiUrl, getJson, retryAfterSeconds } from './api.js';
import { announce, append, bi, byId, type Child, clear, h } from './dom.js';
import { type Bilingual, PAYER_TYPE, yuan } from './format.js';
import {
  OFFLINE_REASONS,
  type OfflineResult,
  type PublishedKey,
  type QrParams,
  qrParamsOf,
  verifyQrSignature,
} from './qr-signature.js';

interface ReceiptRef {
  code: string;
  number: string;
}

interface ReceiptLine {
  itemCode: string;
  name: string;
  unit: string;
  quantity: number;
  standard: string;
  amount: string;
}

export interface PublicReceipt extends ReceiptRef {
  issueDate: string;
  total: string;
  totalInWords: string;
  collectingUnit: string;
  kind: 'blue' | 'red';
  lines: ReceiptLine[];
  payer: { type: string; name: string; idNumber?: string };
}

interface VerifyAnswer {
  valid: boolean;
  status?: 'issued' | 'reversed';
  /** Absent when `valid` is false (e.g. `error: 'tampered'`: the record no longer matches its signature). */
  receipt?: PublicReceipt;
  reversedBy?: ReceiptRef;
  reverses?: ReceiptRef;
  checks?: number;
}

interface PdfCheck {
  name: string;
  ok: boolean;
  reason?: string;
}

interface PdfAnswer {
  valid: boolean;
  checks: PdfCheck[];
  status?: 'issued' | 'reversed';
  receipt?: PublicReceipt;
  reversedBy?: ReceiptRef;
  reverses?: ReceiptRef;
}

type VerdictState = 'checking' | 'genuine' | 'reversed' | 'invalid' | 'not_found' | 'rate_limited' | 'error';

interface Verdict {
  state: VerdictState;
  title: Bilingual;
  summary?: Child;
  reasons?: Child[];
}

const MAX_PDF_BYTES = 10 * 1024 * 1024;

/** Labels of the server's PDF checks; an unknown check is shown by its name. */
const CHECK_LABELS: Record<string, Bilingual> = {
  readable: ['文件格式', 'PDF format'],
  has_signature: ['电子签名', 'Signature present'],
  byte_range: ['签名覆盖范围', 'Signed byte range'],
  cms: ['签名结构', 'Signature structure'],
  message_digest: ['文件完整性', 'File integrity (digest)'],
  signing_certificate: ['签名证书绑定', 'Signing certificate binding'],
  signature: ['签名值', 'Signature value'],
  trusted_certificate: ['证书来源', 'Certificate issued by this service'],
  receipt_exists: ['票据登记', 'Receipt registered'],
  matches_issued_pdf: ['与签发文件比对', 'Same as the issued PDF'],
  receipt_data_signature: ['登记数据签名', 'Registered data signature'],
};

const resultSection = byId('result');
const sourceLine = byId('result-source');
const offlineLine = byId('offline');
const verdictBox = byId('verdict');
const checksBox = byId('checks');
const receiptBox = byId('receipt');
const form = byId<HTMLFormElement>('verify-form');
const fields = {
  code: byId<HTMLInputElement>('code'),
  number: byId<HTMLInputElement>('number'),
  checkCode: byId<HTMLInputElement>('check-code'),
};
const submitButton = byId<HTMLButtonElement>('verify-submit');
const fileInput = byId<HTMLInputElement>('pdf-file');
const dropzone = byId('dropzone');

/** Each check gets a ticket; answers to an older check than the latest are dropped. */
let ticket = 0;

// --- rendering ---------------------------------------------------------------------------

const SVG_NS = 'http://www.w3.org/2000/svg';
const ICONS: Record<VerdictState, string> = {
  genuine: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4L9 16.2Z',
  reversed:
    'M11 7h2v7h-2V7Zm0 9h2v2h-2v-2Zm1-14a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16Z',
  invalid: 'M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4Z',
  not_found:
    'M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4Z',
  rate_limited:
    'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16Zm.5-13H11v6l5.2 3.2.8-1.3-4.5-2.7V7Z',
  error: 'M1 21h22L12 2 1 21Zm12-3h-2v-2h2v2Zm0-4h-2v-4h2v4Z',
  checking: 'M12 4V1L8 5l4 4V6a6 6 0 1 1-6 6H4a8 8 0 1 0 8-8Z',
};

function icon(state: VerdictState): SVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'verdict__icon');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[state]);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}

const ref = (r: ReceiptRef) => `代码 ${r.code} 号码 ${r.number}`;
const refEn = (r: ReceiptRef) => `code ${r.code}, number ${r.number}`;

function renderVerdict(verdict: Verdict) {
  clear(verdictBox);
  verdictBox.dataset.state = verdict.state;
  verdictBox.className = `verdict verdict--${verdict.state}`;
  const [zh, en] = verdict.title;
  verdictBox.append(
    icon(verdict.state),
    h(
      'div',
      { class: 'verdict__body' },
      h(
        'p',
        { class: 'verdict__title', 'data-testid': 'verdict-title' },
        zh,
        ' ',
        h('span', { lang: 'en' }, en),
      ),
      verdict.summary ? h('p', { class: 'verdict__summary' }, verdict.summary) : null,
      verdict.reasons?.length
        ? h(
            'ul',
            { class: 'verdict__reasons', 'data-testid': 'reasons' },
            verdict.reasons.map((r) => h('li', {}, r)),
          )
        : null,
    ),
  );
  verdictBox.setAttribute('aria-busy', String(verdict.state === 'checking'));
}

function renderOffline(result: OfflineResult | 'checking' | null) {
  clear(offlineLine);
  if (result === null) {
    offlineLine.hidden = true;
    delete offlineLine.dataset.state;
    return;
  }
  offlineLine.hidden = false;
  if (result === 'checking') {
    offlineLine.dataset.state = 'checking';
    offlineLine.append(bi('正在离线验证二维码签名…', 'Checking the QR signature offline…'));
    return;
  }
  offlineLine.dataset.state = result.state;
  const mark = h(
    'span',
    { class: 'offline__mark', 'aria-hidden': 'true' },
    result.state === 'valid' ? '✓' : result.state === 'invalid' ? '✗' : '–',
  );
  if (result.state === 'valid') {
    const status = result.key.status === 'retired' ? '（已停用密钥）' : '';
    offlineLine.append(
      mark,
      bi(`离线签名有效${status}`, 'offline signature valid'),
      ' ',
      h('code', {}, result.key.keyId),
    );
  } else {
    const [rzh, ren] = OFFLINE_REASONS[result.reason];
    offlineLine.append(
      mark,
      result.state === 'invalid'
        ? bi(`离线签名无效：${rzh}`, `offline signature invalid: ${ren}`)
        : bi(`无法离线验签：${rzh}`, `offline check unavailable: ${ren}`),
    );
  }
}

function fact(dt: Node | string, dd: Child, testid?: string) {
  return h(
    'div',
    { class: 'fact' },
    h('dt', {}, dt),
    h('dd', { class: 'fact__value', 'data-testid': testid }, dd),
  );
}

function renderReceipt(receipt: PublicReceipt | undefined, extra: { checks?: number } = {}) {
  clear(receiptBox);
  receiptBox.hidden = !receipt;
  if (!receipt) return;
  const [payerZh, payerEn] = PAYER_TYPE[receipt.payer.type] ?? [receipt.payer.type, ''];
  const kind: Bilingual =
    receipt.kind === 'red' ? ['红字票据（冲红）', 'red (reversal)'] : ['蓝字票据', 'blue (ordinary)'];
  const columns: Bilingual[] = [
    ['项目编码', 'Code'],
    ['项目名称', 'Item'],
    ['单位', 'Unit'],
    ['数量', 'Qty'],
    ['标准（元）', 'Standard'],
    ['金额（元）', 'Amount'],
  ];
  const label = (c: Bilingual) => `${c[0]} ${c[1]}`;
  receiptBox.append(
    h(
      'div',
      { class: 'receipt' },
      h('h3', { class: 'receipt__title' }, bi('票据信息', 'Receipt details')),
      h(
        'div',
        { class: 'receipt__total' },
        h('p', { class: 'receipt__amount', 'data-testid': 'total' }, yuan(receipt.total)),
        h('p', { class: 'receipt__words', 'data-testid': 'total-in-words' }, `大写 ${receipt.totalInWords}`),
      ),
      h(
        'dl',
        { class: 'facts' },
        fact(bi('票据代码', 'Code'), h('span', { class: 'mono' }, receipt.code), 'receipt-code'),
        fact(bi('票据号码', 'Number'), h('span', { class: 'mono' }, receipt.number), 'receipt-number'),
        fact(bi('开票日期', 'Issued'), receipt.issueDate, 'issue-date'),
        fact(bi('票据类型', 'Kind'), bi(kind[0], kind[1]), 'kind'),
        fact(bi('执收单位', 'Collecting unit'), receipt.collectingUnit, 'collecting-unit'),
        fact(
          bi('交款人', 'Payer'),
          [receipt.payer.name, ' ', h('span', { class: 'muted' }, bi(`（${payerZh}）`, payerEn))],
          'payer',
        ),
        receipt.payer.idNumber
          ? fact(
              bi('证件号码', 'ID number'),
              h('span', { class: 'mono' }, receipt.payer.idNumber),
              'payer-id',
            )
          : null,
        typeof extra.checks === 'number'
          ? fact(
              bi('查验次数', 'Times checked'),
              bi(`${extra.checks} 次`, extra.checks === 1 ? 'once' : `${extra.checks} times`),
              'check-count',
            )
          : null,
      ),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'lines', 'data-testid': 'lines' },
          h('caption', {}, bi('收费项目', 'Items charged')),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              columns.map((c) =>
                h('th', { scope: 'col' }, c[0], h('br'), h('span', { lang: 'en', class: 'en' }, c[1])),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            receipt.lines.map((line) =>
              h(
                'tr',
                { 'data-testid': 'line' },
                h('td', { 'data-label': label(columns[0]!), class: 'mono' }, line.itemCode),
                h('th', { scope: 'row', 'data-label': label(columns[1]!) }, line.name),
                h('td', { 'data-label': label(columns[2]!) }, line.unit),
                h('td', { 'data-label': label(columns[3]!), class: 'num' }, String(line.quantity)),
                h('td', { 'data-label': label(columns[4]!), class: 'num' }, line.standard),
                h('td', { 'data-label': label(columns[5]!), class: 'num' }, line.amount),
              ),
            ),
          ),
          h(
            'tfoot',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'row', colspan: 5 }, bi('合计', 'Total')),
              h('td', { class: 'num', 'data-label': '合计 Total' }, receipt.total),
            ),
          ),
        ),
      ),
    ),
  );
}

function renderChecks(checks: PdfCheck[] | null) {
  clear(checksBox);
  checksBox.hidden = !checks;
  if (!checks) return;
  checksBox.append(
    h('h3', { class: 'checks__title' }, bi('文件检查', 'File checks')),
    h(
      'ul',
      { class: 'checks' },
      checks.map((check) => {
        const [zh, en] = CHECK_LABELS[check.name] ?? [check.name, ''];
        return h(
          'li',
          {
            class: `check check--${check.ok ? 'pass' : 'fail'}`,
            'data-testid': 'check',
            'data-name': check.name,
            'data-ok': String(check.ok),
          },
          h('span', { class: 'check__mark' }, check.ok ? bi('✓ 通过', 'pass') : bi('✗ 未通过', 'fail')),
          h(
            'span',
            { class: 'check__name' },
            zh,
            en ? [' ', h('span', { lang: 'en', class: 'en' }, en)] : null,
          ),
          check.reason
            ? h('span', { class: 'check__reason', 'data-testid': 'check-reason' }, check.reason)
            : null,
        );
      }),
    ),
  );
}

function showResult(source: Child) {
  resultSection.hidden = false;
  clear(sourceLine);
  append(sourceLine, [h('span', { class: 'muted' }, bi('查验方式', 'Method')), '：', source]);
}

/** After a check the user started, focus moves to the verdict so it is read out and in view. */
function focusVerdict() {
  verdictBox.focus({ preventScroll: true });
  resultSection.scrollIntoView({
    behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth',
    block: 'start',
  });
}

function announceVerdict(verdict: Verdict) {
  announce(`查验结果：${verdict.title[0]}。Result: ${verdict.title[1]}.`);
}

// --- verdicts from answers -----------------------------------------------------------------

function genuineOrReversed(
  answer: { status?: string; receipt?: PublicReceipt; reversedBy?: ReceiptRef; reverses?: ReceiptRef },
  extraReasons: Child[] = [],
): Verdict {
  const r = answer.receipt;
  const reasons: Child[] = [...extraReasons];
  if (r?.kind === 'red' || answer.reverses) {
    const original = answer.reverses;
    reasons.push(
      original
        ? h(
            'span',
            { 'data-testid': 'reverses' },
            bi(`这是一张红字冲红票据，冲销 ${ref(original)}。`, `A red reversal of ${refEn(original)}.`),
          )
        : bi('这是一张红字冲红票据。', 'A red reversal receipt.'),
    );
  }
  if (answer.status === 'reversed') {
    const by = answer.reversedBy;
    return {
      state: 'reversed',
      title: ['已冲红', 'Reversed'],
      summary: by
        ? h(
            'span',
            { 'data-testid': 'reversed-by' },
            bi(
              `票据真实，但已被红字票据冲销：${ref(by)}。`,
              `Genuine, but reversed by red receipt ${refEn(by)}.`,
            ),
          )
        : bi('票据真实，但已被红字票据冲销。', 'Genuine, but reversed by a red receipt.'),
      reasons,
    };
  }
  return {
    state: 'genuine',
    title: ['真票', 'Genuine'],
    summary: r
      ? bi(
          `票据 ${r.code}-${r.number} 由本系统签发，与登记信息一致。`,
          'Issued by this service; matches the registered record.',
        )
      : bi('票据由本系统签发，与登记信息一致。', 'Issued by this service; matches the registered record.'),
    reasons,
  };
}

function rateLimited(headers: Headers): Verdict {
  const seconds = retryAfterSeconds(headers);
  return {
    state: 'rate_limited',
    title: ['查验过于频繁', 'Too many checks'],
    summary:
      seconds !== null
        ? bi(`请 ${seconds} 秒后再试。`, `Please try again in ${seconds} s.`)
        : bi('请稍后再试。', 'Please try again shortly.'),
  };
}

function failure(status: number, body: ApiError | null): Verdict {
  if (status === 413)
    return {
      state: 'error',
      title: ['文件过大', 'File too large'],
      summary: bi(
        '该文件超过了允许的大小，不是本系统开具的票据 PDF。',
        'The file is larger than any receipt PDF of this service.',
      ),
    };
  return {
    state: 'error',
    title: ['无法查验', 'Could not check'],
    summary: bi(
      `服务器未能完成查验（${status}）${body?.message ? `：${body.message}` : '。'}`,
      `The server could not check it (${status}).`,
    ),
  };
}

const unreachable: Verdict = {
  state: 'error',
  title: ['无法连接服务器', 'Server unreachable'],
  summary: bi('请检查网络后重试。', 'Check the connection and try again.'),
};

// --- by code, number and check code (form or QR) -----------------------------------------------

interface ReceiptFields {
  code: string;
  number: string;
  checkCode: string;
}

/** Full-width digits and letters (as Chinese input methods type them) to ASCII, spaces removed. */
function normalise(value: string): string {
  return value
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\s\u3000-]/g, '');
}

const RULES: Record<keyof ReceiptFields, { pattern: RegExp; message: Bilingual }> = {
  code: { pattern: /^\d{8}$/, message: ['票据代码应为 8 位数字。', 'The receipt code is 8 digits.'] },
  number: { pattern: /^\d{10}$/, message: ['票据号码应为 10 位数字。', 'The receipt number is 10 digits.'] },
  checkCode: {
    pattern: /^[0-9A-Z]{6}$/,
    message: ['校验码应为 6 位字母或数字。', 'The check code is 6 letters or digits.'],
  },
};

function readFields(): { values: ReceiptFields; invalid: (keyof ReceiptFields)[] } {
  const values: ReceiptFields = {
    code: normalise(fields.code.value),
    number: normalise(fields.number.value),
    checkCode: normalise(fields.checkCode.value).toUpperCase(),
  };
  const invalid: (keyof ReceiptFields)[] = [];
  for (const name of Object.keys(RULES) as (keyof ReceiptFields)[]) {
    const input = fields[name];
    const error = byId(`${input.id}-error`);
    const ok = RULES[name].pattern.test(values[name]);
    input.setAttribute('aria-invalid', String(!ok));
    error.hidden = ok;
    error.replaceChildren(ok ? '' : bi(RULES[name].message[0], RULES[name].message[1]));
    if (!ok) invalid.push(name);
    else input.value = values[name];
  }
  return { values, invalid };
}

function fillFields(values: Partial<ReceiptFields>) {
  fields.code.value = values.code ?? '';
  fields.number.value = values.number ?? '';
  fields.checkCode.value = values.checkCode ?? '';
}

async function offlineCheck(qr: Partial<QrParams>): Promise<OfflineResult> {
  if (!globalThis.crypto?.subtle) return { state: 'unavailable', reason: 'no_webcrypto' };
  let keys: PublishedKey[];
  try {
    const res = await getJson<{ keys: PublishedKey[] }>(apiUrl('v1/keys'));
    if (res.status !== 200 || !Array.isArray(res.body?.keys))
      return { state: 'unavailable', reason: 'keys_unreachable' };
    keys = res.body.keys;
  } catch {
    return { state: 'unavailable', reason: 'keys_unreachable' };
  }
  try {
    return await verifyQrSignature(qr, keys);
  } catch {
    return { state: 'invalid', reason: 'malformed_signature' };
  }
}

/** What the QR says (signed issue date and total) against the registered receipt. */
function qrMismatches(qr: Partial<QrParams>, receipt: PublicReceipt): Child[] {
  const reasons: Child[] = [];
  if (qr.d && !(receipt.issueDate === qr.d || receipt.issueDate.startsWith(`${qr.d}T`)))
    reasons.push(
      bi(
        `二维码开票日期 ${qr.d} 与登记的 ${receipt.issueDate} 不符。`,
        `The QR issue date ${qr.d} differs from the record.`,
      ),
    );
  if (qr.t && qr.t !== receipt.total)
    reasons.push(
      bi(
        `二维码金额 ${qr.t} 元与登记的 ${receipt.total} 元不符。`,
        `The QR total ${qr.t} differs from the record ${receipt.total}.`,
      ),
    );
  return reasons;
}

async function verifyByFields(values: ReceiptFields, qr: Partial<QrParams> | null, userStarted: boolean) {
  const mine = ++ticket;
  showResult(qr ? bi('扫描二维码', 'QR code') : bi('票面信息', 'receipt details'));
  renderChecks(null);
  renderReceipt(undefined);
  renderVerdict({ state: 'checking', title: ['查验中…', 'Checking…'] });
  submitButton.disabled = true;

  let offline: OfflineResult | null = null;
  if (qr) {
    renderOffline('checking');
    offline = await offlineCheck(qr);
    if (mine !== ticket) return;
    renderOffline(offline);
  } else {
    renderOffline(null);
  }

  let verdict: Verdict;
  let receipt: PublicReceipt | undefined;
  let checks: number | undefined;
  try {
    const res = await getJson<VerifyAnswer & ApiError>(apiUrl('v1/verify', { ...values }));
    if (mine !== ticket) return;
    if (res.status === 200 && res.body && (!res.body.valid || !res.body.receipt)) {
      checks = res.body.checks;
      verdict = {
        state: 'invalid',
        title: ['非真票', 'Not genuine'],
        summary: bi(
          '本系统登记的票据数据与签发时的签名不符。',
          'The registered receipt no longer matches the signature made when it was issued.',
        ),
        reasons: [res.body.message ?? res.body.error ?? ''].filter(Boolean),
      };
    } else if (res.status === 200 && res.body?.receipt) {
      receipt = res.body.receipt;
      checks = res.body.checks;
      const tampered: Child[] = [];
      if (offline?.state === 'invalid') {
        const [zh, en] = OFFLINE_REASONS[offline.reason];
        tampered.push(bi(`二维码签名无效：${zh}。`, `The QR signature is invalid: ${en}.`));
      }
      if (qr && offline?.state !== 'invalid') tampered.push(...qrMismatches(qr, receipt));
      if (tampered.length) {
        verdict = {
          state: 'invalid',
          title: ['非真票', 'Not genuine'],
          summary: bi(
            '二维码内容与本系统签发的不一致，可能被改动。下方为该代码和号码在本系统登记的票据，请逐项核对。',
            'The QR code is not as this service issued it and may have been altered. The receipt registered under this code and number is shown below: compare it line by line.',
          ),
          reasons: tampered,
        };
      } else {
        verdict = genuineOrReversed(res.body);
      }
    } else if (res.status === 404) {
      verdict = {
        state: 'not_found',
        title: ['非真票', 'Not genuine'],
        summary: bi(
          '查无此票：票据代码、号码或校验码不符。',
          'No receipt matches this code, number and check code.',
        ),
        reasons: [
          bi(
            '请核对票面上的代码、号码和校验码后重试。',
            'Check the code, number and check code printed on the receipt and try again.',
          ),
        ],
      };
    } else if (res.status === 429) {
      verdict = rateLimited(res.headers);
    } else if (res.status === 400) {
      verdict = {
        state: 'error',
        title: ['信息格式有误', 'Malformed details'],
        summary: bi(
          `请检查输入${res.body?.message ? `：${res.body.message}` : '。'}`,
          'Please check what was entered.',
        ),
      };
    } else {
      verdict = failure(res.status, res.body);
    }
  } catch {
    if (mine !== ticket) return;
    verdict = unreachable;
  }
  submitButton.disabled = false;
  renderVerdict(verdict);
  renderReceipt(receipt, { checks });
  announceVerdict(verdict);
  if (userStarted) focusVerdict();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const { values, invalid } = readFields();
  if (invalid.length) {
    fields[invalid[0]!].focus();
    return;
  }
  // A check typed by hand is not the QR code the page may have been opened with.
  if (location.search) history.replaceState(null, '', location.pathname);
  void verifyByFields(values, null, true);
});

// --- by PDF --------------------------------------------------------------------------------------

function sizeText(bytes: number): string {
  return bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(0)} KB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function verifyPdf(file: File) {
  const mine = ++ticket;
  showResult([
    bi('PDF 文件', 'PDF file'),
    ' ',
    h('span', { class: 'file-name', 'data-testid': 'file-name' }, file.name),
    ` (${sizeText(file.size)})`,
  ]);
  renderOffline(null);
  renderChecks(null);
  renderReceipt(undefined);
  // A check by code and number that this one supersedes must not leave its button disabled.
  submitButton.disabled = false;
  if (file.size === 0 || file.size > MAX_PDF_BYTES) {
    const verdict: Verdict =
      file.size === 0
        ? {
            state: 'error',
            title: ['文件为空', 'Empty file'],
            summary: bi('请选择票据 PDF 文件。', 'Choose the receipt PDF file.'),
          }
        : failure(413, null);
    renderVerdict(verdict);
    announceVerdict(verdict);
    focusVerdict();
    return;
  }
  renderVerdict({ state: 'checking', title: ['查验中…', 'Checking…'] });
  let verdict: Verdict;
  let answer: PdfAnswer | null = null;
  try {
    const bytes = await file.arrayBuffer();
    const res = await getJson<PdfAnswer & ApiError>(apiUrl('v1/verify/pdf'), {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: bytes,
    });
    if (mine !== ticket) return;
    if (res.status === 200 && res.body && Array.isArray(res.body.checks)) {
      answer = res.body;
      if (answer.valid) {
        verdict = genuineOrReversed(answer);
      } else {
        const failed = answer.checks.filter((c) => !c.ok);
        verdict = {
          state: 'invalid',
          title: ['非真票', 'Not genuine'],
          summary: bi(
            '该文件不是本系统签发的原始票据，或已被改动。',
            'This file is not an unaltered receipt issued by this service.',
          ),
          reasons: failed.length
            ? failed.map((c) => {
                const [zh, en] = CHECK_LABELS[c.name] ?? [c.name, ''];
                return [
                  h('strong', {}, zh, en ? [' ', h('span', { lang: 'en' }, en)] : null),
                  c.reason ? `：${c.reason}` : '',
                ];
              })
            : [bi('检查未通过。', 'A check failed.')],
        };
      }
    } else if (res.status === 429) {
      verdict = rateLimited(res.headers);
    } else if (res.status === 400) {
      verdict = {
        state: 'invalid',
        title: ['非真票', 'Not genuine'],
        summary: bi('无法识别为本系统的票据 PDF。', 'Not recognisable as a receipt PDF of this service.'),
        reasons: res.body?.message ? [res.body.message] : [],
      };
    } else {
      verdict = failure(res.status, res.body);
    }
  } catch {
    if (mine !== ticket) return;
    verdict = unreachable;
  }
  renderVerdict(verdict);
  renderChecks(answer?.checks ?? null);
  renderReceipt(answer?.receipt);
  announceVerdict(verdict);
  focusVerdict();
}

function pickPdf(files: FileList | null | undefined) {
  const file = files?.[0];
  if (file) void verifyPdf(file);
}

fileInput.addEventListener('change', () => {
  pickPdf(fileInput.files);
  // The same file chosen again is checked again.
  fileInput.value = '';
});

// A file dropped anywhere on the page is checked (rather than opened by the browser).
let dragDepth = 0;
const hasFiles = (event: DragEvent) => [...(event.dataTransfer?.types ?? [])].includes('Files');
window.addEventListener('dragenter', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth++;
  dropzone.classList.add('dropzone--active');
});
window.addEventListener('dragover', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
});
window.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) dropzone.classList.remove('dropzone--active');
});
window.addEventListener('drop', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth = 0;
  dropzone.classList.remove('dropzone--active');
  pickPdf(event.dataTransfer?.files);
});

// --- opened from a QR code (or a link) ------------------------------------------------------------

function start() {
  const search = new URLSearchParams(location.search);
  const given: Partial<ReceiptFields> = {
    code: search.get('code') ?? undefined,
    number: search.get('number') ?? undefined,
    checkCode: search.get('checkCode') ?? undefined,
  };
  if (!given.code && !given.number && !given.checkCode) return;
  fillFields(given);
  const { values, invalid } = readFields();
  if (invalid.length) {
    showResult(bi('链接', 'link'));
    renderVerdict({
      state: 'invalid',
      title: ['非真票', 'Not genuine'],
      summary: bi('链接中的票据信息格式不正确。', 'The receipt details in this link are malformed.'),
      reasons: invalid.map((name) => bi(RULES[name].message[0], RULES[name].message[1])),
    });
    return;
  }
  void verifyByFields(values, qrParamsOf(search), false);
}

start();
