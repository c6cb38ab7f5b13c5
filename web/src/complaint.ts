/**
 * 收费投诉: a payer files a complaint (about a receipt, proved by its check code, or about a
 * department and day) and looks up the auditors' reply with the number and lookup code. The
 * receipt fields come from the URL (`?code=&number=&checkCode=`, the verification page's
 * link); a lookup from `?id=&lookupCode=`.
 */
import { type ApiError, apiUrl, getJson } from './api.js';
import { announce, bi, byId, clear, h } from './dom.js';

interface Channel {
  bureau: string;
  phone: string | null;
  categories: Record<string, { zh: string; en: string }>;
}
interface Filed {
  id: string;
  code: string;
}
interface Lookup {
  id: string;
  status: 'open' | 'replied' | 'resolved';
  filedAt: string;
  reply: string | null;
  repliedAt: string | null;
  resolvedAt: string | null;
}

const STATUS: Record<Lookup['status'], readonly [string, string]> = {
  open: ['处理中', 'being looked into'],
  replied: ['已答复', 'replied'],
  resolved: ['已办结', 'resolved'],
};

const value = (id: string) => byId<HTMLInputElement | HTMLTextAreaElement>(id).value.trim();
const params = new URLSearchParams(location.search);

async function showChannel(): Promise<void> {
  const answer = await getJson<Channel>(apiUrl('v1/supervision'));
  const channel = answer.body;
  if (!channel) return;
  byId('channel').replaceChildren(
    bi(
      `受理单位：${channel.bureau}${channel.phone ? `，监督电话 ${channel.phone}` : ''}。`,
      `Handled by ${channel.bureau}${channel.phone ? `; supervision phone ${channel.phone}` : ''}.`,
    ),
  );
  const box = byId('categories');
  for (const [key, label] of Object.entries(channel.categories))
    box.append(
      h(
        'div',
        { class: 'choice' },
        h('input', {
          type: 'radio',
          name: 'category',
          id: `category-${key}`,
          value: key,
          required: true,
          checked: key === 'other',
        }),
        ' ',
        h('label', { for: `category-${key}` }, bi(label.zh, label.en)),
      ),
    );
}

async function showDepartments(): Promise<void> {
  const answer = await getJson<{ items: { department: string }[] }>(apiUrl('v1/catalogue'));
  const list = byId('departments');
  for (const d of new Set((answer.body?.items ?? []).map((i) => i.department)))
    list.append(h('option', { value: d }));
}

function body(): Record<string, unknown> {
  const category =
    document.querySelector<HTMLInputElement>('input[name="category"]:checked')?.value ?? 'other';
  const out: Record<string, unknown> = { category, text: value('text') };
  if (value('contact')) out.contact = value('contact');
  if (value('website')) out.website = value('website');
  if (value('code') || value('number') || value('check-code'))
    out.receipt = {
      code: value('code'),
      number: value('number'),
      checkCode: value('check-code').toUpperCase(),
    };
  else {
    out.department = value('department').toUpperCase();
    out.date = value('date');
  }
  return out;
}

function errorText(
  status: number,
  error: (ApiError & { details?: { path: string; message: string }[] }) | null,
): Node {
  if (status === 429)
    return bi('提交过于频繁，请稍后再试。', error?.message ?? 'Too many complaints; try again later.');
  if (status === 422)
    return bi(
      '未找到这张票据：请核对票据代码、号码和校验码。',
      'No genuine receipt has this code, number and check code.',
    );
  const details = (error?.details ?? []).map((d) => d.message).join('; ');
  return bi('请检查填写的内容。', details || error?.message || 'Please check what you entered.');
}

byId<HTMLFormElement>('complaint-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const errorBox = byId('form-error');
  const submit = byId<HTMLButtonElement>('submit');
  submit.disabled = true;
  errorBox.hidden = true;
  try {
    const res = await getJson<Filed & ApiError>(apiUrl('v1/complaints'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body()),
    });
    if (res.status !== 201 || !res.body) {
      errorBox.replaceChildren(errorText(res.status, res.body));
      errorBox.hidden = false;
      return;
    }
    const { id, code } = res.body;
    const filed = byId('filed');
    filed.replaceChildren(
      h(
        'p',
        {},
        bi(
          '投诉已提交。请记下投诉编号和查询码，凭此查询答复：',
          'Your complaint is filed. Keep the number and the lookup code to read the reply:',
        ),
      ),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, bi('投诉编号', 'Complaint number')),
        h('dd', { class: 'mono', 'data-testid': 'complaint-id' }, id),
        h('dt', {}, bi('查询码', 'Lookup code')),
        h('dd', { class: 'mono', 'data-testid': 'complaint-code' }, code),
      ),
      h(
        'p',
        {},
        h(
          'a',
          { href: `complaint.html?id=${encodeURIComponent(id)}&lookupCode=${encodeURIComponent(code)}` },
          bi('查询此投诉', 'Look this complaint up'),
        ),
      ),
    );
    filed.hidden = false;
    byId<HTMLFormElement>('complaint-form').hidden = true;
    filed.focus();
    announce(`投诉已提交 ${id}`);
  } finally {
    submit.disabled = false;
  }
});

async function lookup(id: string, code: string): Promise<void> {
  const status = byId('status');
  clear(status);
  const res = await getJson<Lookup>(
    apiUrl(`v1/complaints/${encodeURIComponent(id)}`, { code: code.toUpperCase() }),
  );
  if (res.status !== 200 || !res.body) {
    status.append(
      h(
        'p',
        { class: 'notice notice--error', 'data-testid': 'lookup-miss' },
        bi('没有找到：请核对投诉编号和查询码。', 'Not found: check the number and the lookup code.'),
      ),
    );
    return;
  }
  const c = res.body;
  const [zh, en] = STATUS[c.status];
  status.append(
    h(
      'dl',
      { class: 'facts', 'data-state': c.status },
      h('dt', {}, bi('状态', 'Status')),
      h('dd', { 'data-testid': 'complaint-status' }, bi(zh, en)),
      h('dt', {}, bi('提交时间', 'Filed')),
      h('dd', {}, new Date(c.filedAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' })),
      h('dt', {}, bi('答复', 'Reply')),
      h(
        'dd',
        { 'data-testid': 'complaint-reply', class: 'paragraphs' },
        c.reply ?? bi('尚未答复', 'No reply yet'),
      ),
    ),
  );
}

byId<HTMLFormElement>('lookup-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void lookup(value('lookup-id'), value('lookup-code'));
});

for (const [param, id] of [
  ['code', 'code'],
  ['number', 'number'],
  ['checkCode', 'check-code'],
  ['id', 'lookup-id'],
  ['lookupCode', 'lookup-code'],
] as const)
  if (params.get(param)) byId<HTMLInputElement>(id).value = params.get(param)!;
void showChannel();
void showDepartments();
if (params.get('id') && params.get('lookupCode')) void lookup(params.get('id')!, params.get('lookupCode')!);
