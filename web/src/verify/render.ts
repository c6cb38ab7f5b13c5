/**
 * Draws a check's result on the verification page: one big, coloured verdict
 * (data-testid="verdict", data-state=genuine|reversed|invalid|not_found|...), the reasons, the
 * QR code's offline signature line, the PDF checks and the receipt as registered. The page
 * shows one check at a time: a newer check supersedes an older one whose answer is still due.
 */
import { announce, append, bi, byId, type Child, clear, h } from '../dom.js';
import { type Bilingual, PAYER_TYPE, yuan } from '../format.js';
import { clearLogCheck } from './log.js';
import {
  checkLabel,
  type OfflineNote,
  type PdfCheck,
  type PublicReceipt,
  type Reason,
  type Said,
  type Verdict,
  type VerdictState,
} from './verdict.js';

const resultSection = byId('result');
const sourceLine = byId('result-source');
const offlineLine = byId('offline');
const verdictBox = byId('verdict');
const checksBox = byId('checks');
const receiptBox = byId('receipt');
const submitButton = byId<HTMLButtonElement>('verify-submit');

/** Each check gets a ticket; answers to an older check than the latest are dropped. */
let ticket = 0;

/**
 * Starts a check from `source` (how it was asked), clearing the last result; answers whether
 * the check is still the latest. A check this one supersedes no longer keeps the form busy.
 */
export function beginCheck(source: Child): () => boolean {
  const mine = ++ticket;
  resultSection.hidden = false;
  clear(sourceLine);
  append(sourceLine, [h('span', { class: 'muted' }, bi('查验方式', 'Method')), '：', source]);
  renderOffline(null);
  renderChecks(null);
  renderReceipt(undefined);
  clearLogCheck();
  setFormBusy(false);
  return () => mine === ticket;
}

/**
 * Hides the last result, and drops any answer still coming to it: the form now holds something
 * else (fields it refuses), which that result does not answer.
 */
export function clearResult(): void {
  ticket++;
  resultSection.hidden = true;
  setFormBusy(false);
}

/** The form's button is disabled while a check by code and number waits for its answer. */
export function setFormBusy(busy: boolean): void {
  submitButton.disabled = busy;
}

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

/** A sentence with its English; one marked with a test id is wrapped so that it can be found. */
function sentence(s: Said): Child {
  const text = bi(s.zh, s.en);
  return s.testid ? h('span', { 'data-testid': s.testid }, text) : text;
}

function reason(r: Reason): Child {
  if (typeof r === 'string') return r;
  if ('check' in r) {
    const [zh, en] = r.label;
    return [
      h('strong', {}, zh, en ? [' ', h('span', { lang: 'en' }, en)] : null),
      r.reason ? `：${r.reason}` : '',
    ];
  }
  return sentence(r);
}

export function renderVerdict(verdict: Verdict): void {
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
      verdict.summary ? h('p', { class: 'verdict__summary' }, sentence(verdict.summary)) : null,
      verdict.reasons?.length
        ? h(
            'ul',
            { class: 'verdict__reasons', 'data-testid': 'reasons' },
            verdict.reasons.map((r) => h('li', {}, reason(r))),
          )
        : null,
    ),
  );
  verdictBox.setAttribute('aria-busy', String(verdict.state === 'checking'));
}

/** The QR code's offline signature line: hidden (null), checking, or what the check says. */
export function renderOffline(note: OfflineNote | 'checking' | null): void {
  clear(offlineLine);
  if (note === null) {
    offlineLine.hidden = true;
    delete offlineLine.dataset.state;
    return;
  }
  offlineLine.hidden = false;
  if (note === 'checking') {
    offlineLine.dataset.state = 'checking';
    offlineLine.append(bi('正在离线验证二维码签名…', 'Checking the QR signature offline…'));
    return;
  }
  offlineLine.dataset.state = note.state;
  offlineLine.append(
    h('span', { class: 'offline__mark', 'aria-hidden': 'true' }, note.mark),
    bi(note.text.zh, note.text.en),
  );
  if (note.keyId) offlineLine.append(' ', h('code', {}, note.keyId));
}

function fact(dt: Node | string, dd: Child, testid?: string) {
  return h(
    'div',
    { class: 'fact' },
    h('dt', {}, dt),
    h('dd', { class: 'fact__value', 'data-testid': testid }, dd),
  );
}

const COLUMNS: Bilingual[] = [
  ['项目编码', 'Code'],
  ['项目名称', 'Item'],
  ['单位', 'Unit'],
  ['数量', 'Qty'],
  ['标准（元）', 'Standard'],
  ['金额（元）', 'Amount'],
];
const label = (i: number) => `${COLUMNS[i]![0]} ${COLUMNS[i]![1]}`;

function lineRow(line: PublicReceipt['lines'][number]) {
  return h(
    'tr',
    { 'data-testid': 'line' },
    h('td', { 'data-label': label(0), class: 'mono' }, line.itemCode),
    h(
      'th',
      { scope: 'row', 'data-label': label(1) },
      line.name,
      // As the PDF prints it: who the line's exemption was granted to.
      line.exemption
        ? [
            h('br'),
            h(
              'span',
              { class: 'muted', 'data-testid': 'line-exemption' },
              bi(`减免：${line.exemption}`, 'exemption'),
            ),
          ]
        : null,
    ),
    h('td', { 'data-label': label(2) }, line.unit),
    h('td', { 'data-label': label(3), class: 'num' }, String(line.quantity)),
    h('td', { 'data-label': label(4), class: 'num' }, line.standard),
    h('td', { 'data-label': label(5), class: 'num' }, line.amount),
  );
}

export function renderReceipt(receipt: PublicReceipt | undefined, extra: { checks?: number } = {}): void {
  clear(receiptBox);
  receiptBox.hidden = !receipt;
  if (!receipt) return;
  const [payerZh, payerEn] = PAYER_TYPE[receipt.payer.type] ?? [receipt.payer.type, ''];
  const kind: Bilingual =
    receipt.kind === 'red' ? ['红字票据（冲红）', 'red (reversal)'] : ['蓝字票据', 'blue (ordinary)'];
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
              COLUMNS.map((c) =>
                h('th', { scope: 'col' }, c[0], h('br'), h('span', { lang: 'en', class: 'en' }, c[1])),
              ),
            ),
          ),
          h('tbody', {}, receipt.lines.map(lineRow)),
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
  receiptBox.append(complaintLink(receipt));
}

/**
 * A payer who holds this receipt may complain about it (issue 15): the complaint form, with the
 * code, number and the check code typed above (the proof of holding it) filled in.
 */
function complaintLink(receipt: PublicReceipt): HTMLElement {
  const checkCode = (document.getElementById('check-code') as HTMLInputElement | null)?.value.trim() ?? '';
  const query = new URLSearchParams({
    code: receipt.code,
    number: receipt.number,
    checkCode: checkCode.toUpperCase(),
  });
  return h(
    'p',
    { class: 'receipt__complaint' },
    h(
      'a',
      { href: `complaint.html?${query}`, 'data-testid': 'complain' },
      bi('对这笔收费有异议？投诉', 'Charged wrongly? File a complaint'),
    ),
  );
}

export function renderChecks(checks: readonly PdfCheck[] | null): void {
  clear(checksBox);
  checksBox.hidden = !checks;
  if (!checks) return;
  checksBox.append(
    h('h3', { class: 'checks__title' }, bi('文件检查', 'File checks')),
    h(
      'ul',
      { class: 'checks' },
      checks.map((check) => {
        const [zh, en] = checkLabel(check.name);
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

/** Shows the final verdict and has it read out; after a check the user started, focus moves to it. */
export function showVerdict(verdict: Verdict, { focus }: { focus: boolean }): void {
  renderVerdict(verdict);
  announce(`查验结果：${verdict.title[0]}。Result: ${verdict.title[1]}.`);
  if (!focus) return;
  verdictBox.focus({ preventScroll: true });
  resultSection.scrollIntoView({
    behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth',
    block: 'start',
  });
}
