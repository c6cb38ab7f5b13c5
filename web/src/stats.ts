/**
 * 收费公开数据: a year's fee statistics by department, month and item (GET /v1/stats), as charts,
 * tables and open-data downloads. The year is kept in the URL (`?year=2026`); none means this
 * year. Cells the small-cell rule withholds show as "fewer than N" without amounts.
 */
import type { PublishedCell } from '../../lambdas/core/tlog/published-stats.js';
import { apiUrl, getJson } from './api.js';
import { announce, bi, byId, clear, h } from './dom.js';
import type { Series } from './stats/chart.js';

type GroupBy = 'department' | 'month' | 'item';

/** A cell as GET /v1/stats publishes it (the server's type: no server code enters the bundle). */
type Cell = PublishedCell;

interface StatsAnswer {
  from: string;
  to: string;
  groupBy: GroupBy;
  minReceipts: number;
  updatedAt: string;
  lastReceiptDay: string | null;
  groups: Cell[];
}

const container = byId('stats');
const yearSelect = byId<HTMLSelectElement>('year');
const GROUPINGS: Record<GroupBy, readonly [string, string]> = {
  department: ['按部门', 'By department'],
  month: ['按月份', 'By month'],
  item: ['按收费项目', 'By fee item'],
};

function chosenYear(): number {
  const thisYear = new Date().getFullYear();
  const asked = Number(new URLSearchParams(location.search).get('year'));
  return Number.isInteger(asked) && asked >= 2000 && asked <= thisYear ? asked : thisYear;
}

function months(year: number): { from: string; to: string } {
  const now = new Date();
  const last = year === now.getFullYear() ? now.getMonth() + 1 : 12;
  return { from: `${year}-01`, to: `${year}-${String(last).padStart(2, '0')}` };
}

const statsPath = (groupBy: GroupBy, range: { from: string; to: string }, format = 'json') =>
  apiUrl('v1/stats', { groupBy, ...range, format });

function table(groupBy: GroupBy, answer: StatsAnswer, names: Map<string, string>): HTMLElement {
  const [zh, en] = GROUPINGS[groupBy];
  const min = answer.minReceipts;
  const num = (v: string | number | null) => h('td', { class: 'num' }, v === null ? '' : String(v));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'lines', 'data-testid': `table-${groupBy}` },
      h('caption', {}, bi(zh, en)),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h(
            'th',
            { scope: 'col' },
            bi(groupBy === 'month' ? '月份' : groupBy === 'item' ? '项目' : '部门', groupBy),
          ),
          h('th', { scope: 'col', class: 'num' }, bi('开票笔数', 'Receipts')),
          h('th', { scope: 'col', class: 'num' }, bi('收费金额（元）', 'Collected, yuan')),
          h('th', { scope: 'col', class: 'num' }, bi('冲红笔数', 'Refunds')),
          h('th', { scope: 'col', class: 'num' }, bi('冲红金额（元）', 'Refunded, yuan')),
          h('th', { scope: 'col', class: 'num' }, bi('净额（元）', 'Net, yuan')),
        ),
      ),
      h(
        'tbody',
        {},
        answer.groups.map((c) =>
          h(
            'tr',
            { 'data-group': c.group },
            h('th', { scope: 'row' }, names.get(c.group) ? `${names.get(c.group)} ${c.group}` : c.group),
            c.fewerThanMinimum
              ? h(
                  'td',
                  { colspan: 5, class: 'withheld' },
                  bi(
                    `每月少于${min}张或含有这样的项目，不公开金额`,
                    `fewer than ${min} a month, or holding an item that had: amounts withheld`,
                  ),
                )
              : [
                  num(c.issuedCount),
                  num(c.issuedAmount),
                  num(c.reversedCount),
                  num(c.reversedAmount),
                  num(c.netAmount),
                ],
          ),
        ),
      ),
    ),
  );
}

function chartBox(id: string, zh: string, en: string): HTMLElement {
  return h(
    'figure',
    { class: 'stats-chart panel' },
    h('h2', { id: `${id}-title` }, bi(zh, en)),
    h('div', { id, class: 'chart', role: 'img', 'aria-labelledby': `${id}-title` }),
  );
}

const yuan = (s: string | null) => (s === null ? null : Number(s));

type ChartArgs = [el: HTMLElement, label: string, categories: string[], series: Series[]];

/**
 * The charts' code (ECharts, most of the page's script) is a chunk of its own, loaded after the
 * tables and downloads are shown: the first load stays small, and the page works without it.
 * `data-charts` on the container says when they are drawn (or could not be).
 */
function drawCharts(charts: ChartArgs[]): void {
  import('./stats/chart.js').then(
    ({ drawChart }) => {
      for (const args of charts) drawChart(...args);
      container.dataset.charts = 'ready';
    },
    () => {
      for (const [el] of charts)
        el.replaceChildren(
          h(
            'p',
            { class: 'notice' },
            bi(
              '图表暂时无法显示，数字见下表。',
              'The chart cannot be shown right now; the table below has the figures.',
            ),
          ),
        );
      container.dataset.charts = 'error';
    },
  );
}

async function show(): Promise<void> {
  const year = chosenYear();
  const thisYear = new Date().getFullYear();
  for (let y = thisYear; y >= thisYear - 4; y--)
    yearSelect.append(h('option', { value: y, selected: y === year }, String(y)));
  const range = months(year);
  const [byDepartment, byMonth, byItem, catalogue] = await Promise.all([
    getJson<StatsAnswer>(statsPath('department', range)),
    getJson<StatsAnswer>(statsPath('month', range)),
    getJson<StatsAnswer>(statsPath('item', range)),
    getJson<{ items: { code: string; name: string }[] }>(apiUrl('v1/catalogue')),
  ]);
  clear(container);
  container.removeAttribute('aria-busy');
  if (!byDepartment.body || !byMonth.body || !byItem.body) {
    container.dataset.state = 'error';
    container.append(
      h(
        'p',
        { class: 'notice notice--error', role: 'alert' },
        bi('暂时无法读取数据，请稍后再试。', 'The figures cannot be read right now; try again later.'),
      ),
    );
    return;
  }
  const names = new Map((catalogue.body?.items ?? []).map((i) => [i.code, i.name]));
  const d = byDepartment.body;
  const updated = new Date(d.updatedAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' });
  byId('summary').replaceChildren(
    bi(
      `${range.from} 至 ${range.to}。数据更新于 ${updated}${d.lastReceiptDay ? `，最近开票日 ${d.lastReceiptDay}` : ''}。`,
      `${range.from} to ${range.to}. Updated ${updated}${d.lastReceiptDay ? `; last receipt ${d.lastReceiptDay}` : ''}.`,
    ),
  );
  byId('small-cells').replaceChildren(
    bi(
      `为保护缴款人，某部门或某项目在一个月内开票少于 ${d.minReceipts} 张时，该月金额不计入任何公开数字，仅显示“少于${d.minReceipts}张”；含有这样的项目的部门，该月金额也不公开（否则相减即可得出）。`,
      `To protect payers, a department or item with fewer than ${d.minReceipts} receipts in a month is left out of every published amount; it shows as "fewer than ${d.minReceipts}". So is a department's month that holds such an item's (subtraction would give it).`,
    ),
  );
  container.append(
    h(
      'div',
      { class: 'stats-charts' },
      chartBox('chart-department', '各部门收费净额（元）', 'Net collected by department, yuan'),
      chartBox('chart-month', '各月收费金额与笔数', 'Collected and receipts by month'),
    ),
    table('department', d, new Map()),
    table('month', byMonth.body, new Map()),
    table('item', byItem.body, names),
  );
  const shown = (cells: Cell[]) => cells.filter((c) => !c.fewerThanMinimum);
  const dept = shown(d.groups);
  const month = shown(byMonth.body.groups);
  const charts: ChartArgs[] = [
    [
      byId('chart-department'),
      '各部门收费净额 Net collected by department',
      dept.map((c) => c.group),
      [
        { name: '净额 Net', data: dept.map((c) => yuan(c.netAmount)) },
        { name: '冲红 Refunded', data: dept.map((c) => yuan(c.reversedAmount)) },
      ],
    ],
    [
      byId('chart-month'),
      '各月收费 Collected by month',
      month.map((c) => c.group),
      [
        { name: '收费金额 Collected', data: month.map((c) => yuan(c.issuedAmount)) },
        { name: '开票笔数 Receipts', data: month.map((c) => c.issuedCount), line: true },
      ],
    ],
  ];
  const links = byId('downloads');
  for (const groupBy of ['department', 'month', 'item'] as const)
    for (const format of ['csv', 'json'] as const) {
      const [zh, en] = GROUPINGS[groupBy];
      links.append(
        h(
          'li',
          {},
          h(
            'a',
            {
              href: statsPath(groupBy, range, format),
              download: format === 'csv' ? '' : false,
              'data-testid': `download-${groupBy}-${format}`,
            },
            bi(`${zh} ${format.toUpperCase()}`, `${en}, ${format.toUpperCase()}`),
          ),
        ),
      );
    }
  container.dataset.state = 'ready';
  announce(`已显示 ${year} 年数据 Showing ${year}`);
  drawCharts(charts);
}

/** The bureau's published supervision phone number, where one is configured. */
async function showPhone(): Promise<void> {
  const answer = await getJson<{ phone: string | null }>(apiUrl('v1/supervision')).catch(() => null);
  if (answer?.body?.phone) byId('phone').textContent = `，或致电 ${answer.body.phone}`;
}

/**
 * The `feeproof log audit` command that recomputes this page's figures from the transparency
 * log, with this site's address and the log's key (GET /v1/keys) filled in.
 */
async function showAuditCommand(): Promise<void> {
  const keys = await getJson<{ log?: { vkey?: string } }>(apiUrl('v1/keys')).catch(() => null);
  const vkey = keys?.body?.log?.vkey;
  if (!vkey) return;
  const site = apiUrl('v1/stats').replace(/\/v1\/stats$/, ''); // --stats-url takes the API's base
  byId('audit-command').textContent =
    `feeproof log audit --url ${new URL('log', document.baseURI).href} --key '${vkey}' --stats-url ${site}`;
}

void showPhone();
void showAuditCommand();
void show();
