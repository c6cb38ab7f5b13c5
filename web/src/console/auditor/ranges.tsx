/**
 * Number reconciliation (核销, GET /v1/audit/ranges): every range of receipt numbers and what
 * became of each number: issued, red, unfinished, unused, unused for good once closed. Every
 * number is accounted for when the columns add up to the range's size.
 */
import { localTime } from '../collector/receipt.js';
import { type Column, DataTable } from '../table.js';
import { Bi, ReadState } from '../ui.js';
import { useApi } from '../use-api.js';

interface RangeUse {
  id: string;
  department: string;
  code: string;
  first: string;
  last: string;
  next: string | null;
  status: 'queued' | 'open' | 'exhausted' | 'closed';
  size: number;
  taken: number;
  unused: number;
  issued: number;
  red: number;
  unfinished: number;
  unusedForGood: number;
  allocatedAt: string;
  allocatedBy: string;
  closedAt?: string;
  closedBy?: string;
}

const STATUS: Record<RangeUse['status'], string> = {
  queued: '待用 queued',
  open: '使用中 open',
  exhausted: '已用完 exhausted',
  closed: '已关闭 closed',
};

const COLUMNS: Column[] = [
  { zh: '单位', en: 'Dept.' },
  { zh: '票据代码', en: 'Code' },
  { zh: '起止号码', en: 'Numbers' },
  { zh: '状态', en: 'Status' },
  { zh: '容量', en: 'Size', num: true },
  { zh: '已开具', en: 'Issued', num: true },
  { zh: '红字', en: 'Red', num: true },
  { zh: '开具中', en: 'Unfinished', num: true },
  { zh: '未用', en: 'Unused', num: true },
  { zh: '分配', en: 'Allocated' },
];

export function Ranges(props: { highlight?: string }) {
  const { data, error } = useApi<{ ranges: RangeUse[] }>('/v1/audit/ranges');
  const ranges = data?.ranges;
  return (
    <section data-testid="ranges">
      <h1>
        <Bi zh="票号核销" en="Number reconciliation" />
      </h1>
      <p class="hint">
        <Bi
          zh="每个号段的号码：已开具 + 红字 + 开具中 + 未用 = 号段容量。"
          en="Each range's numbers: issued + red + unfinished + unused = its size."
        />
      </p>
      <ReadState error={error} done={!!ranges} />
      {ranges && (
        <DataTable caption="号段 Number ranges" columns={COLUMNS}>
          {ranges.map((r) => (
            <tr
              key={r.id}
              id={`range-${r.id}`}
              class={r.id === props.highlight ? 'highlight' : undefined}
              data-testid="range-row"
            >
              <td>{r.department}</td>
              <td class="mono">{r.code}</td>
              <td class="mono">
                {r.first}–{r.last}
              </td>
              <td>{STATUS[r.status]}</td>
              <td class="num">{r.size}</td>
              <td class="num">{r.issued}</td>
              <td class="num">{r.red}</td>
              <td class="num">{r.unfinished}</td>
              <td class="num">
                {r.unused}
                {r.status === 'closed' && r.unusedForGood > 0 ? ' (作废 void)' : ''}
              </td>
              <td class="text">
                <time dateTime={r.allocatedAt}>{localTime(r.allocatedAt)}</time> {r.allocatedBy}
                {r.closedAt && (
                  <>
                    {' · 关闭 closed '}
                    <time dateTime={r.closedAt}>{localTime(r.closedAt)}</time> {r.closedBy ?? ''}
                  </>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
