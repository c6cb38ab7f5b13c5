/**
 * The auditors' dashboard (概览): amounts and counts by department and by month, the share of
 * red receipts per department, the items that bring the most, for a date range. Every number
 * comes from the running totals (GET /v1/audit/stats), never from reading receipts. The
 * charts' code (ECharts) is loaded when the dashboard first draws one.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { dateInZone } from '../../../../lambdas/core/dates.js';
import { formatYuan, parseYuan } from '../../../../lambdas/core/money.js';
import { type ApiErrorBody, apiJson } from '../api.js';
import { FilterForm } from '../filters.js';
import { type Column, DataTable } from '../table.js';
import { Bi, ReadState } from '../ui.js';
import { errorText, NETWORK_ERROR } from '../use-api.js';
import type { ChartSpec } from './charts.js';

interface Group {
  group: string;
  issuedCount: number;
  issuedAmount: string;
  reversedCount: number;
  reversedAmount: string;
  netAmount: string;
}

type GroupBy = 'department' | 'month' | 'item';
type Stats = Record<GroupBy, Group[]>;

const fen = (yuan: string) =>
  yuan.startsWith('-') ? -(parseYuan(yuan.slice(1)) ?? 0) : (parseYuan(yuan) ?? 0);
/** Yuan as a chart's number (charts plot numbers; the tables keep the exact strings). */
const chartYuan = (yuan: string) => fen(yuan) / 100;
/** Red receipts as a share of the receipts issued, in percent with one decimal. */
export const redShare = (g: Pick<Group, 'issuedCount' | 'reversedCount'>) =>
  g.issuedCount === 0 ? 0 : Math.round((g.reversedCount / g.issuedCount) * 1000) / 10;

function sum(groups: Group[]): Group {
  let issuedAmount = 0;
  let reversedAmount = 0;
  let issuedCount = 0;
  let reversedCount = 0;
  for (const g of groups) {
    issuedCount += g.issuedCount;
    reversedCount += g.reversedCount;
    issuedAmount += fen(g.issuedAmount);
    reversedAmount += fen(g.reversedAmount);
  }
  return {
    group: 'total',
    issuedCount,
    reversedCount,
    issuedAmount: formatYuan(issuedAmount),
    reversedAmount: formatYuan(reversedAmount),
    netAmount: formatYuan(issuedAmount - reversedAmount),
  };
}

/** A chart drawn by the lazily loaded ECharts module, named for screen readers. */
function Chart(props: { spec: ChartSpec; testId: string }) {
  const el = useRef<HTMLDivElement>(null);
  const key = JSON.stringify(props.spec);
  useEffect(() => {
    let live = true;
    let dispose: (() => void) | undefined;
    import('./charts.js').then((charts) => {
      if (live && el.current) dispose = charts.drawChart(el.current, props.spec);
    });
    return () => {
      live = false;
      dispose?.();
    };
  }, [key]);
  const height = props.spec.horizontal ? Math.max(160, props.spec.categories.length * 36) : 260;
  return (
    <div
      class="chart"
      ref={el}
      role="img"
      aria-label={props.spec.label}
      data-testid={props.testId}
      style={{ height: `${height}px` }}
    />
  );
}

function Panel(props: { zh: string; en: string; children: preact.ComponentChildren }) {
  return (
    <section class="dashboard__panel">
      <h2>
        <Bi zh={props.zh} en={props.en} />
      </h2>
      {props.children}
    </section>
  );
}

const GROUP_COLUMNS: Column[] = [
  { zh: '开具张数', en: 'Issued', num: true },
  { zh: '开具金额', en: 'Amount', num: true },
  { zh: '红字张数', en: 'Red', num: true },
  { zh: '红字金额', en: 'Red amount', num: true },
  { zh: '净额', en: 'Net', num: true },
];

/** The numbers behind a chart, for reading and for screen readers. */
function GroupTable(props: { groups: Group[]; zh: string; en: string; testId: string; share?: boolean }) {
  return (
    <DataTable
      testId={props.testId}
      caption={`${props.zh} ${props.en}`}
      columns={[
        { zh: props.zh, en: props.en },
        ...GROUP_COLUMNS,
        ...(props.share ? [{ zh: '红字占比', en: 'Red share', num: true }] : []),
      ]}
    >
      {props.groups.map((g) => (
        <tr key={g.group} data-group={g.group}>
          <th scope="row" class="mono">
            {g.group}
          </th>
          <td class="num" data-col="issuedCount">
            {g.issuedCount}
          </td>
          <td class="num" data-col="issuedAmount">
            {g.issuedAmount}
          </td>
          <td class="num" data-col="reversedCount">
            {g.reversedCount}
          </td>
          <td class="num" data-col="reversedAmount">
            {g.reversedAmount}
          </td>
          <td class="num" data-col="netAmount">
            {g.netAmount}
          </td>
          {props.share && (
            <td class="num" data-col="redShare">
              {redShare(g)}%
            </td>
          )}
        </tr>
      ))}
    </DataTable>
  );
}

function Summary(props: { total: Group }) {
  const t = props.total;
  const card = (zh: string, en: string, value: string, id: string) => (
    <div class="stat-card">
      <dt>
        <Bi zh={zh} en={en} />
      </dt>
      <dd data-testid={`total-${id}`}>{value}</dd>
    </div>
  );
  return (
    <dl class="stat-cards">
      {card('开具张数', 'Receipts issued', String(t.issuedCount), 'issuedCount')}
      {card('开具金额（元）', 'Amount issued (yuan)', t.issuedAmount, 'issuedAmount')}
      {card('红字张数', 'Red receipts', String(t.reversedCount), 'reversedCount')}
      {card('净额（元）', 'Net (yuan)', t.netAmount, 'netAmount')}
      {card('红字占比', 'Red share', `${redShare(t)}%`, 'redShare')}
    </dl>
  );
}

export function Dashboard() {
  const today = dateInZone(new Date());
  const [range, setRange] = useState({ from: `${today.slice(0, 4)}-01-01`, to: today });
  const [draft, setDraft] = useState(range);
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setStats(null);
    setError(null);
    const query = (groupBy: GroupBy) =>
      apiJson<{ groups: Group[] } & ApiErrorBody>(
        `/v1/audit/stats?from=${range.from}&to=${range.to}&groupBy=${groupBy}`,
      );
    Promise.all((['department', 'month', 'item'] as const).map(query)).then(
      (answers) => {
        if (!live) return;
        const bad = answers.find((a) => a.status !== 200);
        if (bad) return setError(errorText(bad.status, bad.body));
        const [department, month, item] = answers.map((a) => a.body.groups) as [Group[], Group[], Group[]];
        setStats({ department, month, item });
      },
      () => live && setError(NETWORK_ERROR),
    );
    return () => {
      live = false;
    };
  }, [range.from, range.to]);

  const topItems = stats
    ? [...stats.item].sort((a, b) => fen(b.netAmount) - fen(a.netAmount)).slice(0, 10)
    : [];

  return (
    <section class="dashboard" data-testid="dashboard">
      <h1>
        <Bi zh="收费概览" en="Dashboard" />
      </h1>
      <FilterForm
        label="日期范围 Date range"
        testId="stats-apply"
        zh="查看"
        en="Show"
        onApply={() => setRange(draft)}
      >
        <div class="field">
          <label for="stats-from">
            起始日期 <span lang="en">From</span>
          </label>
          <input
            id="stats-from"
            type="date"
            value={draft.from}
            required
            onInput={(e) => setDraft({ ...draft, from: e.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for="stats-to">
            截止日期 <span lang="en">To</span>
          </label>
          <input
            id="stats-to"
            type="date"
            value={draft.to}
            required
            onInput={(e) => setDraft({ ...draft, to: e.currentTarget.value })}
          />
        </div>
      </FilterForm>
      <ReadState error={error} done={!!stats} />
      {stats && (
        <>
          <Summary total={sum(stats.department)} />
          <div class="dashboard__grid">
            <Panel zh="各单位收费金额" en="Amounts by department">
              <Chart
                testId="chart-department"
                spec={{
                  label: '各单位开具金额与红字金额（元） Amounts issued and reversed by department (yuan)',
                  categories: stats.department.map((g) => g.group),
                  series: [
                    { name: '开具 issued', data: stats.department.map((g) => chartYuan(g.issuedAmount)) },
                    { name: '红字 red', data: stats.department.map((g) => chartYuan(g.reversedAmount)) },
                  ],
                }}
              />
            </Panel>
            <Panel zh="各单位红字占比" en="Red share by department">
              <Chart
                testId="chart-red-share"
                spec={{
                  label: '各单位红字票据占比 Share of red receipts by department (%)',
                  categories: stats.department.map((g) => g.group),
                  series: [{ name: '红字占比 red share', data: stats.department.map(redShare) }],
                  percent: true,
                }}
              />
            </Panel>
            <Panel zh="按月收费" en="By month">
              <Chart
                testId="chart-month"
                spec={{
                  label: '每月净收费金额（元）与开具张数 Net amount (yuan) and receipts issued by month',
                  categories: stats.month.map((g) => g.group),
                  series: [
                    { name: '净额 net', data: stats.month.map((g) => chartYuan(g.netAmount)) },
                    { name: '张数 receipts', data: stats.month.map((g) => g.issuedCount), type: 'line' },
                  ],
                }}
              />
            </Panel>
            <Panel zh="收费最多的项目" en="Top items">
              <Chart
                testId="chart-items"
                spec={{
                  label: '净收费金额最多的项目（元） Items that bring the most (net, yuan)',
                  categories: topItems.map((g) => g.group),
                  series: [{ name: '净额 net', data: topItems.map((g) => chartYuan(g.netAmount)) }],
                  horizontal: true,
                }}
              />
            </Panel>
          </div>
          <h2>
            <Bi zh="各单位明细" en="By department" />
          </h2>
          <GroupTable groups={stats.department} zh="单位" en="Department" testId="by-department" share />
          <details class="dashboard__more">
            <summary>
              <Bi zh="按月与按项目的数据" en="The numbers by month and by item" />
            </summary>
            <GroupTable groups={stats.month} zh="月份" en="Month" testId="by-month" />
            <GroupTable groups={topItems} zh="项目" en="Item" testId="by-item" />
          </details>
        </>
      )}
    </section>
  );
}
