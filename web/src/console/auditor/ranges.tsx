/**
 * Number reconciliation (核销, GET /v1/audit/ranges): every range of receipt numbers and what
 * became of each number: issued, red, unfinished, unused, unused for good once closed. Every
 * number is accounted for when the columns add up to the range's size.
 */
import { useEffect, useState } from 'preact/hooks';
import { type ApiErrorBody, apiJson } from '../api.js';
import { Failed, Loading, localTime } from '../collector/receipt.js';
import { Bi } from '../ui.js';

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

export function Ranges(props: { highlight?: string }) {
  const [ranges, setRanges] = useState<RangeUse[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    apiJson<{ ranges: RangeUse[] } & ApiErrorBody>('/v1/audit/ranges').then(
      (a) =>
        a.status === 200 ? setRanges(a.body.ranges) : setError(`${a.body?.message ?? ''} (HTTP ${a.status})`),
      () => setError('网络错误 Network error'),
    );
  }, []);
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
      {error && <Failed message={error} />}
      {!ranges && !error && <Loading />}
      {ranges && (
        <div class="table-wrap">
          <table class="data-table">
            <caption class="visually-hidden">号段 Number ranges</caption>
            <thead>
              <tr>
                <th scope="col">
                  <Bi zh="单位" en="Dept." />
                </th>
                <th scope="col">
                  <Bi zh="票据代码" en="Code" />
                </th>
                <th scope="col">
                  <Bi zh="起止号码" en="Numbers" />
                </th>
                <th scope="col">
                  <Bi zh="状态" en="Status" />
                </th>
                <th scope="col" class="num">
                  <Bi zh="容量" en="Size" />
                </th>
                <th scope="col" class="num">
                  <Bi zh="已开具" en="Issued" />
                </th>
                <th scope="col" class="num">
                  <Bi zh="红字" en="Red" />
                </th>
                <th scope="col" class="num">
                  <Bi zh="开具中" en="Unfinished" />
                </th>
                <th scope="col" class="num">
                  <Bi zh="未用" en="Unused" />
                </th>
                <th scope="col">
                  <Bi zh="分配" en="Allocated" />
                </th>
              </tr>
            </thead>
            <tbody>
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
                  <td>
                    {localTime(r.allocatedAt)} {r.allocatedBy}
                    {r.closedAt ? ` · 关闭 closed ${localTime(r.closedAt)} ${r.closedBy ?? ''}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
