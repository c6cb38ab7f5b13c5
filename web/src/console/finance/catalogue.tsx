/**
 * The catalogue tab: every item as on a date, filtered by department and state; an item's page
 * with every version as a timeline (who, when, why, on what basis) and a side-by-side diff of
 * two versions; the forms to create, revise and change the status of an item.
 *   #catalogue            the table          #catalogue/new            create
 *   #catalogue/<code>     the item's page    #catalogue/<code>/revise  #catalogue/<code>/status
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { exemptionText, FUND_MANAGEMENT, standardText } from '../../format.js';
import { localTime } from '../collector/receipt.js';
import { SelectField } from '../fields.js';
import { DataTable, TableScroll } from '../table.js';
import { Bi, Failed } from '../ui.js';
import { useApi } from '../use-api.js';
import { ItemForm, StatusForm } from './forms.js';
import { basisText, CHANGE_TYPE, type ItemState, type ItemVersion, Label, STATE, STATUS } from './shared.js';

type Listed = ItemVersion & { state: ItemState };

export function CatalogueTab(props: { rest: string }) {
  const [code, action] = props.rest.split('/');
  if (!code) return <CatalogueTable />;
  if (code === 'new') return <ItemForm />;
  // Keyed by the hash: coming back from a form reads the item's versions again.
  return <ItemPage key={props.rest} code={code} action={action ?? ''} />;
}

function CatalogueTable() {
  const [asOf, setAsOf] = useState('');
  const [department, setDepartment] = useState('');
  const [state, setState] = useState('');
  const { data, error } = useApi<{ asOf: string; items: Listed[] }>(
    `/v1/catalogue/items${asOf ? `?asOf=${asOf}` : ''}`,
  );
  const items = data?.items ?? [];
  const departments = useMemo(() => [...new Set(items.map((i) => i.department))].sort(), [items]);
  const shown = items.filter(
    (i) => (!department || i.department === department) && (!state || i.state === state),
  );

  return (
    <section aria-labelledby="catalogue-title">
      <div class="finance-heading">
        <h1 id="catalogue-title">
          <Bi zh="收费目录" en="Catalogue" />
        </h1>
        <a class="button" href="#catalogue/new" data-testid="new-item">
          <Bi zh="新设收费项目" en="New item" />
        </a>
      </div>
      <form class="finance-filters" aria-label="筛选 Filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="filter-date">
            <Bi zh="施行日期" en="In force on" />
          </label>
          <input
            id="filter-date"
            type="date"
            data-testid="filter-date"
            value={asOf || data?.asOf || ''}
            onChange={(e) => setAsOf(e.currentTarget.value)}
          />
        </div>
        <SelectField
          id="filter-department"
          testId="filter-department"
          zh="执收部门"
          en="Department"
          all
          value={department}
          options={departments.map((d) => [d, d])}
          onValue={setDepartment}
        />
        <SelectField
          id="filter-status"
          testId="filter-status"
          zh="状态"
          en="State"
          all
          value={state}
          options={(Object.keys(STATE) as ItemState[]).map((s) => [s, `${STATE[s][0]} ${STATE[s][1]}`])}
          onValue={setState}
        />
      </form>
      <Failed message={error} />
      <p class="muted" role="status">
        {data ? `${shown.length} / ${items.length} 项 items` : '正在读取… Loading…'}
      </p>
      <DataTable
        testId="catalogue-table"
        caption="收费目录 Catalogue"
        columns={[
          { zh: '编码', en: 'Code' },
          { zh: '名称', en: 'Name' },
          { zh: '部门', en: 'Dept.' },
          { zh: '标准', en: 'Standard' },
          { zh: '状态', en: 'State' },
          { zh: '版本', en: 'Version' },
        ]}
      >
        {shown.map((i) => (
          <tr key={i.code} data-testid="catalogue-row" data-code={i.code} data-state={i.state}>
            <td class="mono">
              <a href={`#catalogue/${i.code}`}>{i.code}</a>
            </td>
            <td class="text">{i.name}</td>
            <td class="mono">{i.department}</td>
            <td class="nowrap">
              {standardText(i.standard)}/{i.unit}
            </td>
            <td>
              <span class={`finance-state finance-state--${i.state}`}>
                <Label text={STATE[i.state]} />
              </span>
            </td>
            <td class="nowrap">
              v{i.version} · {i.effectiveFrom}
            </td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}

interface History {
  code: string;
  today: string;
  state: ItemState;
  versions: ItemVersion[];
}

function ItemPage(props: { code: string; action: string }) {
  const { data, error } = useApi<History>(`/v1/catalogue/items/${encodeURIComponent(props.code)}`);
  if (!data)
    return (
      <>
        <p>
          <a href="#catalogue">← 收费目录 Catalogue</a>
        </p>
        <Failed message={error} />
        {!error && <p class="muted">正在读取… Loading…</p>}
      </>
    );
  const latest = data.versions[data.versions.length - 1]!;
  if (props.action === 'revise') return <ItemForm base={latest} />;
  if (props.action === 'status') return <StatusForm item={latest} />;
  const abolished = latest.status === 'abolished';
  return (
    <div data-testid="item-page">
      <p>
        <a href="#catalogue">← 收费目录 Catalogue</a>
      </p>
      <div class="finance-heading">
        <h1>
          <span class="mono">{data.code}</span> {latest.name}
        </h1>
        <span class={`finance-state finance-state--${data.state}`} data-testid="item-state">
          <Label text={STATE[data.state]} />
        </span>
      </div>
      <p class="finance-actions">
        {!abolished && (
          <>
            <a class="button" href={`#catalogue/${data.code}/revise`} data-testid="revise-item">
              <Bi zh="修订标准" en="Revise" />
            </a>
            <a
              class="button button--secondary"
              href={`#catalogue/${data.code}/status`}
              data-testid="change-status"
            >
              <Bi zh="暂停 / 恢复 / 取消" en="Suspend / reactivate / abolish" />
            </a>
          </>
        )}
      </p>
      <h2>
        <Bi zh="版本记录" en="Versions" />
      </h2>
      <ol class="finance-timeline" data-testid="timeline" reversed>
        {[...data.versions].reverse().map((v) => (
          <li key={v.version} data-testid="timeline-entry" data-version={v.version}>
            <p class="finance-timeline__head">
              <strong>
                第 {v.version} 版 <span lang="en">Version {v.version}</span>
              </strong>{' '}
              · <Label text={CHANGE_TYPE[v.changeType]} /> · {v.effectiveFrom} 起施行{' '}
              <span lang="en">in force from {v.effectiveFrom}</span>
            </p>
            <dl class="finance-facts">
              <dt>
                <Bi zh="标准" en="Standard" />
              </dt>
              <dd>
                {standardText(v.standard)}/{v.unit} · <Label text={STATUS[v.status]} />
              </dd>
              <dt>
                <Bi zh="经办" en="By" />
              </dt>
              <dd>
                {v.changedBy} · {localTime(v.changedAt)}
              </dd>
              <dt>
                <Bi zh="理由" en="Why" />
              </dt>
              <dd>{v.reason}</dd>
              <dt>
                <Bi zh="依据" en="Basis" />
              </dt>
              <dd>
                {v.changeBasis ? (
                  basisText(v.changeBasis)
                ) : (
                  <ul class="finance-plain">
                    {v.basis.map((b) => (
                      <li key={b.number}>{basisText(b)}</li>
                    ))}
                  </ul>
                )}
              </dd>
            </dl>
          </li>
        ))}
      </ol>
      {data.versions.length > 1 && <VersionDiff versions={data.versions} />}
    </div>
  );
}

/** The fields compared, each as one line of text per version. */
const DIFF_FIELDS: [string, string, string, (v: ItemVersion) => string][] = [
  ['name', '名称', 'Name', (v) => v.name],
  ['department', '部门', 'Department', (v) => v.department],
  ['unit', '单位', 'Unit', (v) => v.unit],
  ['standard', '标准', 'Standard', (v) => standardText(v.standard)],
  ['status', '状态', 'Status', (v) => STATUS[v.status].join(' ')],
  [
    'fundManagement',
    '资金管理',
    'Funds',
    (v) => FUND_MANAGEMENT[v.fundManagement]?.join(' ') ?? v.fundManagement,
  ],
  ['validFrom', '有效期起', 'Valid from', (v) => v.validFrom],
  ['validTo', '有效期止', 'Valid to', (v) => v.validTo ?? '—'],
  ['effectiveFrom', '施行日期', 'In force from', (v) => v.effectiveFrom],
  ['basis', '依据', 'Basis', (v) => v.basis.map(basisText).join('\n')],
  [
    'exemptions',
    '减免',
    'Exemptions',
    (v) => v.exemptions.map((e) => `${e.who}：${exemptionText(e)[0]}`).join('\n') || '—',
  ],
  ['changeBasis', '变更依据', 'Change basis', (v) => (v.changeBasis ? basisText(v.changeBasis) : '—')],
  ['reason', '理由', 'Reason', (v) => v.reason],
  ['changedBy', '经办', 'By', (v) => `${v.changedBy} · ${localTime(v.changedAt)}`],
];

function VersionDiff(props: { versions: ItemVersion[] }) {
  const { versions } = props;
  const n = versions.length;
  const [a, setA] = useState(versions[n - 2]!.version);
  const [b, setB] = useState(versions[n - 1]!.version);
  // A new version (after a revision) moves the comparison to the newest two.
  useEffect(() => {
    setA(versions[n - 2]!.version);
    setB(versions[n - 1]!.version);
  }, [n]);
  const va = versions.find((v) => v.version === a) ?? versions[0]!;
  const vb = versions.find((v) => v.version === b) ?? versions[n - 1]!;
  const pick = (id: string, value: number, set: (v: number) => void, zh: string, en: string) => (
    <div class="field">
      <label for={id}>
        <Bi zh={zh} en={en} />
      </label>
      <select id={id} data-testid={id} value={value} onChange={(e) => set(Number(e.currentTarget.value))}>
        {versions.map((v) => (
          <option key={v.version} value={v.version}>
            第 {v.version} 版 v{v.version} · {v.effectiveFrom}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <section aria-labelledby="diff-title" data-testid="diff">
      <h2 id="diff-title">
        <Bi zh="版本对比" en="Compare versions" />
      </h2>
      <div class="finance-filters">
        {pick('diff-a', a, setA, '左', 'Left')}
        {pick('diff-b', b, setB, '右', 'Right')}
      </div>
      <TableScroll captionId="diff-caption">
        <table class="data-table finance-diff">
          <caption id="diff-caption" class="visually-hidden">
            第 {va.version} 版与第 {vb.version} 版 Version {va.version} and version {vb.version}
          </caption>
          <thead>
            <tr>
              <th scope="col">
                <Bi zh="字段" en="Field" />
              </th>
              <th scope="col">v{va.version}</th>
              <th scope="col">v{vb.version}</th>
            </tr>
          </thead>
          <tbody>
            {DIFF_FIELDS.map(([key, zh, en, show]) => {
              const [x, y] = [show(va), show(vb)];
              const changed = x !== y;
              return (
                <tr
                  key={key}
                  class={changed ? 'finance-diff__changed' : undefined}
                  data-testid={changed ? 'diff-changed' : 'diff-same'}
                  data-field={key}
                >
                  <th scope="row">
                    <Bi zh={zh} en={en} />
                    {changed && <span class="finance-diff__mark"> ≠ 已变更 changed</span>}
                  </th>
                  <td>{x}</td>
                  <td>{y}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}
