/**
 * 收费目录公示: the fee items in force on a date, grouped by department. The date is
 * kept in the URL (`?asOf=YYYY-MM-DD`) so that any view can be linked; no date means today.
 */
import { type ApiError, apiUrl, getJson } from './api.js';
import { announce, bi, byId, clear, h } from './dom.js';
import {
  type Exemption,
  exemptionText,
  FUND_MANAGEMENT,
  isIsoDate,
  type Standard,
  standardText,
} from './format.js';

interface LegalBasis {
  title: string;
  number: string;
  issuer: string;
  date: string;
}

export interface CatalogueItem {
  code: string;
  name: string;
  department: string;
  /** Not in the API yet; shown beside the code once it is. */
  departmentName?: string;
  unit: string;
  standard: Standard;
  basis: LegalBasis[];
  fundManagement: string;
  validFrom: string;
  validTo: string | null;
  exemptions: Exemption[];
  status: string;
  version: number;
  effectiveFrom: string;
}

interface CatalogueAnswer {
  asOf: string;
  count: number;
  items: CatalogueItem[];
}

const STATUS: Record<string, readonly [string, string]> = {
  active: ['施行中', 'in force'],
  suspended: ['暂停', 'suspended'],
  abolished: ['已取消', 'abolished'],
};

const form = byId<HTMLFormElement>('as-of-form');
const input = byId<HTMLInputElement>('as-of');
const todayButton = byId<HTMLButtonElement>('today');
const container = byId('catalogue');
const summary = byId('summary');
const departmentsNav = byId('departments-nav');

/** Today as the server sees it (the bureau's calendar), learned from the first answer without a date. */
let serverToday: string | null = null;
let inFlight: AbortController | null = null;

/** The date asked for in the URL; an impossible one (2026-02-30) is dropped from the URL and today shown. */
function requestedDate(): string | null {
  const url = new URL(location.href);
  const asOf = url.searchParams.get('asOf');
  if (asOf && isIsoDate(asOf)) return asOf;
  if (asOf !== null) {
    url.searchParams.delete('asOf');
    history.replaceState(null, '', url);
  }
  return null;
}

function fact(dt: Node | string, dd: Node | string, testid?: string) {
  return h(
    'div',
    { class: 'fact' },
    h('dt', {}, dt),
    h('dd', { class: 'fact__value', 'data-testid': testid }, dd),
  );
}

function validity(item: CatalogueItem) {
  return item.validTo
    ? bi(`${item.validFrom} 至 ${item.validTo}`, `${item.validFrom} to ${item.validTo}`)
    : bi(`${item.validFrom} 起，长期有效`, `from ${item.validFrom}, open-ended`);
}

function renderItem(item: CatalogueItem): HTMLElement {
  const [fundZh, fundEn] = FUND_MANAGEMENT[item.fundManagement] ?? [item.fundManagement, ''];
  const status = STATUS[item.status];
  const headingId = `item-${item.code}`;
  return h(
    'article',
    { class: 'item', 'data-testid': 'item', 'data-code': item.code, 'aria-labelledby': headingId },
    h(
      'header',
      { class: 'item__header' },
      h(
        'h3',
        { id: headingId, class: 'item__name' },
        h('span', { class: 'item__code' }, item.code),
        ' ',
        item.name,
      ),
      h(
        'p',
        { class: 'item__price', 'data-testid': 'standard' },
        h('span', { class: 'item__amount' }, standardText(item.standard)),
        h('span', { class: 'item__unit' }, ` / ${item.unit}`),
      ),
    ),
    h(
      'dl',
      { class: 'facts' },
      fact(bi('资金管理', 'Funds'), bi(fundZh, fundEn), 'fund'),
      fact(bi('有效期', 'Valid'), validity(item), 'validity'),
      fact(
        bi('版本', 'Version'),
        bi(
          `第 ${item.version} 版，${item.effectiveFrom} 起施行`,
          `v${item.version}, effective ${item.effectiveFrom}`,
        ),
      ),
      item.status !== 'active' && status ? fact(bi('状态', 'Status'), bi(status[0], status[1])) : null,
    ),
    h(
      'div',
      { class: 'item__more' },
      h(
        'div',
        {},
        h('h4', {}, bi('收费依据', 'Legal basis')),
        h(
          'ul',
          { class: 'basis', 'data-testid': 'basis' },
          item.basis.map((b) =>
            h(
              'li',
              {},
              h('span', { class: 'basis__title' }, `《${b.title}》`),
              ' ',
              h('span', { class: 'basis__number' }, b.number),
              h('span', { class: 'basis__meta' }, `${b.issuer} · ${b.date}`),
            ),
          ),
        ),
      ),
      h(
        'div',
        {},
        h('h4', {}, bi('减免政策', 'Exemptions')),
        item.exemptions.length
          ? h(
              'ul',
              { class: 'exemptions', 'data-testid': 'exemptions' },
              item.exemptions.map((e) => {
                const [zh, en] = exemptionText(e);
                return h('li', {}, h('span', { class: 'exemptions__who' }, e.who), '：', bi(zh, en));
              }),
            )
          : h('p', { class: 'muted', 'data-testid': 'exemptions' }, bi('无', 'none')),
      ),
    ),
  );
}

function render(answer: CatalogueAnswer) {
  const groups = new Map<string, CatalogueItem[]>();
  for (const item of [...answer.items].sort((a, b) => a.code.localeCompare(b.code)))
    groups.set(item.department, [...(groups.get(item.department) ?? []), item]);
  const departments = [...groups.keys()].sort();

  clear(container);
  clear(departmentsNav);
  if (departments.length === 0) {
    container.append(
      h(
        'p',
        { class: 'notice', 'data-testid': 'empty' },
        bi('该日期没有施行中的收费项目。', 'No fee was in force on this date.'),
      ),
    );
  }
  for (const department of departments) {
    const items = groups.get(department)!;
    const id = `dept-${department}`;
    container.append(
      h(
        'section',
        {
          class: 'department',
          'data-testid': 'department',
          'data-department': department,
          'aria-labelledby': id,
        },
        h(
          'h2',
          { id, class: 'department__title' },
          department,
          items[0]?.departmentName ? h('span', { class: 'department__name' }, items[0].departmentName) : null,
          ' ',
          h(
            'span',
            { class: 'department__count' },
            bi(`${items.length} 项`, `${items.length} item${items.length === 1 ? '' : 's'}`),
          ),
        ),
        items.map(renderItem),
      ),
    );
    departmentsNav.append(h('a', { href: `#${id}`, class: 'chip' }, department));
  }
  departmentsNav.hidden = departments.length < 2;
  const isToday = answer.asOf === serverToday;
  summary.replaceChildren(
    bi(
      `${answer.asOf}${isToday ? '（今天）' : ''}施行的收费项目共 ${answer.count} 项，分属 ${departments.length} 个部门。`,
      `${answer.count} fee item${answer.count === 1 ? '' : 's'} in force on ${answer.asOf}${isToday ? ' (today)' : ''}, in ${departments.length} department${departments.length === 1 ? '' : 's'}.`,
    ),
  );
  container.dataset.asOf = answer.asOf;
  container.dataset.state = 'ready';
  container.setAttribute('aria-busy', 'false');
  announce(`${answer.asOf}：${answer.count} 项 / ${answer.count} items`);
}

function renderError(message: Node) {
  clear(container);
  clear(summary);
  departmentsNav.hidden = true;
  container.append(
    h('div', { class: 'notice notice--error', role: 'alert', 'data-testid': 'error' }, message),
  );
  container.dataset.state = 'error';
  container.setAttribute('aria-busy', 'false');
}

async function load(asOf: string | null) {
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  container.dataset.state = 'loading';
  container.setAttribute('aria-busy', 'true');
  try {
    const res = await getJson<CatalogueAnswer & ApiError>(apiUrl('v1/catalogue', asOf ? { asOf } : {}), {
      signal: controller.signal,
    });
    if (controller.signal.aborted) return;
    if (res.status === 200 && res.body) {
      if (!asOf) serverToday = res.body.asOf;
      if (input.value !== res.body.asOf) input.value = res.body.asOf;
      render(res.body);
    } else if (res.status === 429) {
      renderError(bi('查询过于频繁，请稍后再试。', 'Too many requests; please try again shortly.'));
    } else {
      renderError(
        bi(
          `无法加载收费目录（${res.status}）${res.body?.message ? `：${res.body.message}` : ''}`,
          `The catalogue could not be loaded (${res.status}).`,
        ),
      );
    }
  } catch (error) {
    if ((error as Error).name === 'AbortError') return;
    renderError(
      bi('无法连接服务器，请检查网络后重试。', 'Could not reach the server; check the connection and retry.'),
    );
  } finally {
    if (inFlight === controller) inFlight = null;
  }
}

/** Shows the catalogue as of `asOf` (null: today, whatever day the link is opened) and records it in the URL. */
function show(asOf: string | null) {
  const url = new URL(location.href);
  if (asOf) url.searchParams.set('asOf', asOf);
  else url.searchParams.delete('asOf');
  if (url.href !== location.href) history.pushState(null, '', url);
  void load(asOf);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!input.value) {
    show(null);
    return;
  }
  if (isIsoDate(input.value)) show(input.value);
});
input.addEventListener('change', () => {
  if (isIsoDate(input.value)) show(input.value);
});
todayButton.addEventListener('click', () => show(null));
window.addEventListener('popstate', () => void load(requestedDate()));

void load(requestedDate());

/** The supervision channel (issue 15): the bureau's published phone number, where configured. */
void getJson<{ phone: string | null }>(apiUrl('v1/supervision')).then((answer) => {
  if (answer.body?.phone)
    byId('supervision-phone').replaceChildren(
      bi(`，或致电 ${answer.body.phone}`, `or call ${answer.body.phone}`),
    );
});
