/**
 * Number ranges (票据号段): allocate a range to a department, close one with a reason, and see
 * how each range's numbers are used (issued, red, unfinished, unused).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { localTime } from '../collector/receipt.js';
import { TextField } from '../fields.js';
import { DataTable } from '../table.js';
import { Bi, Failed } from '../ui.js';
import { useApi } from '../use-api.js';
import { FormError, type Sent, send } from './shared.js';

interface Range {
  id: string;
  department: string;
  code: string;
  first: string;
  last: string;
  next: string | null;
  status: 'queued' | 'open' | 'exhausted' | 'closed';
  size: number;
  issued: number;
  red: number;
  unfinished: number;
  unused: number;
  unusedForGood: number;
  allocatedAt: string;
  allocatedBy: string;
  closedAt?: string;
  closedBy?: string;
  closeReason?: string;
}

const RANGE_STATUS: Record<Range['status'], [string, string]> = {
  queued: ['待启用', 'Queued'],
  open: ['使用中', 'Open'],
  exhausted: ['已用完', 'Used up'],
  closed: ['已关闭', 'Closed'],
};

export function RangesTab() {
  const { data, error, reload } = useApi<{ ranges: Range[] }>('/v1/ranges');
  const [closing, setClosing] = useState<string | null>(null);
  const ranges = [...(data?.ranges ?? [])].sort(
    (a, b) => a.department.localeCompare(b.department) || a.first.localeCompare(b.first),
  );
  return (
    <section aria-labelledby="ranges-title">
      <h1 id="ranges-title">
        <Bi zh="票据号段" en="Number ranges" />
      </h1>
      <AllocateForm onDone={reload} />
      <h2>
        <Bi zh="各号段使用情况" en="Use of each range" />
      </h2>
      <Failed message={error} />
      <DataTable
        testId="ranges-table"
        caption="号段 Ranges"
        columns={[
          { zh: '部门', en: 'Dept.' },
          { zh: '票据代码 · 号码', en: 'Code · numbers' },
          { zh: '状态', en: 'Status' },
          { zh: '已开', en: 'Issued', num: true },
          { zh: '红票', en: 'Red', num: true },
          { zh: '未完成', en: 'Unfinished', num: true },
          { zh: '未用', en: 'Unused', num: true },
          { zh: '分配 / 关闭', en: 'Allocated / closed' },
          { zh: '操作', en: 'Action' },
        ]}
      >
        {ranges.map((r) => (
          <RangeRow
            key={r.id}
            range={r}
            closing={closing === r.id}
            onClose={() => setClosing(closing === r.id ? null : r.id)}
            onClosed={() => {
              setClosing(null);
              reload();
            }}
          />
        ))}
      </DataTable>
    </section>
  );
}

function RangeRow(props: { range: Range; closing: boolean; onClose: () => void; onClosed: () => void }) {
  const r = props.range;
  const closable = r.status === 'open' || r.status === 'queued';
  return (
    <>
      <tr data-testid="range-row" data-id={r.id} data-department={r.department} data-status={r.status}>
        <td class="mono">{r.department}</td>
        <td>
          <span class="mono">{r.code}</span> ·{' '}
          <span class="mono" data-testid="range-numbers">
            {r.first}–{r.last}
          </span>
          <br />
          <span class="muted">
            {r.size} 个 numbers{closable && r.next ? ` · 下一号 next ${r.next}` : ''}
          </span>
        </td>
        <td>
          {RANGE_STATUS[r.status][0]} <span lang="en">{RANGE_STATUS[r.status][1]}</span>
        </td>
        <td class="num" data-testid="range-issued">
          {r.issued}
        </td>
        <td class="num" data-testid="range-red">
          {r.red}
        </td>
        <td class="num" data-testid="range-unfinished">
          {r.unfinished}
        </td>
        <td class="num" data-testid="range-unused">
          {r.unused}
          {r.status === 'closed' && r.unused > 0 && (
            <>
              <br />
              <span class="muted">永久未用 unused for good</span>
            </>
          )}
        </td>
        <td class="text">
          {r.allocatedBy} · <time dateTime={r.allocatedAt}>{localTime(r.allocatedAt)}</time>
          {r.closedAt && (
            <>
              <br />
              <span data-testid="range-closed">
                关闭 closed: {r.closedBy} · <time dateTime={r.closedAt}>{localTime(r.closedAt)}</time> ·{' '}
                {r.closeReason}
              </span>
            </>
          )}
        </td>
        <td>
          {closable && (
            <button
              type="button"
              class="button button--secondary"
              data-testid="close-range"
              aria-expanded={props.closing}
              onClick={props.onClose}
            >
              <Bi zh="关闭" en="Close" />
              <span class="visually-hidden">
                {' '}
                {r.first}–{r.last}
              </span>
            </button>
          )}
        </td>
      </tr>
      {props.closing && (
        <tr>
          <td colSpan={9}>
            <CloseForm range={r} onDone={props.onClosed} />
          </td>
        </tr>
      )}
    </>
  );
}

function CloseForm(props: { range: Range; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [sent, setSent] = useState<Sent<Range> | null>(null);
  const [busy, setBusy] = useState(false);
  const reasonField = useRef<HTMLInputElement>(null);
  // Opening the form takes the keyboard to its one field.
  useEffect(() => reasonField.current?.focus(), []);
  const violations = sent && !sent.ok ? sent.violations : [];
  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    const answer = await send<Range>('POST', `/v1/ranges/${encodeURIComponent(props.range.id)}/close`, {
      reason,
    });
    setBusy(false);
    setSent(answer);
    if (answer.ok) props.onDone();
  };
  return (
    <form class="finance-form finance-form--inline" data-testid="close-form" onSubmit={submit} noValidate>
      <p>
        <Bi
          zh={`关闭后，本号段未用的 ${props.range.unused} 个号码永久作废，不再开具。`}
          en={`Once closed, the range's ${props.range.unused} unused numbers stay unused for good.`}
        />
      </p>
      <FormError sent={sent} shown={(p) => p === 'reason'} />
      <TextField
        id="close-reason"
        zh="关闭理由"
        en="Reason"
        path="reason"
        violations={violations}
        testId="close-reason"
        inputRef={reasonField}
        value={reason}
        onValue={setReason}
      />
      <p class="finance-actions">
        <button type="submit" class="button" data-testid="close-submit" disabled={busy}>
          <Bi zh="确认关闭" en="Close the range" />
        </button>
      </p>
    </form>
  );
}

function AllocateForm(props: { onDone: () => void }) {
  const [department, setDepartment] = useState('');
  const [size, setSize] = useState('');
  const [name, setName] = useState('');
  const [sent, setSent] = useState<Sent<Range> | null>(null);
  const [busy, setBusy] = useState(false);
  const violations = sent && !sent.ok ? sent.violations : [];
  const allocated = sent?.ok
    ? `${sent.body.department} ${sent.body.code} ${sent.body.first}–${sent.body.last}`
    : '';
  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    // A size that is not digits goes as typed, so the API says what is wrong with it.
    const answer = await send<Range>('POST', '/v1/ranges', {
      department,
      size: /^\d+$/.test(size) ? Number(size) : size,
      ...(name ? { departmentName: name } : {}),
    });
    setBusy(false);
    setSent(answer);
    if (answer.ok) {
      setSize('');
      props.onDone();
    }
  };
  return (
    <form class="finance-form" data-testid="allocate-form" onSubmit={submit} noValidate>
      <h2>
        <Bi zh="分配号段" en="Allocate a range" />
      </h2>
      <FormError sent={sent} shown={(p) => ['department', 'size', 'departmentName'].includes(p)} />
      {sent?.ok && (
        <p class="notice" role="status" data-testid="allocated">
          <Bi
            zh={`已分配 ${allocated}（${RANGE_STATUS[sent.body.status][0]}）`}
            en={`Allocated ${allocated} (${RANGE_STATUS[sent.body.status][1]})`}
          />
        </p>
      )}
      <div class="finance-grid">
        <TextField
          id="allocate-department"
          zh="部门编码"
          en="Department code"
          path="department"
          violations={violations}
          value={department}
          onValue={setDepartment}
        />
        <TextField
          id="allocate-size"
          zh="号码个数"
          en="How many numbers"
          path="size"
          violations={violations}
          inputMode="numeric"
          value={size}
          onValue={setSize}
        />
        <TextField
          id="allocate-name"
          zh="部门名称（选填）"
          en="Department name (optional)"
          path="departmentName"
          violations={violations}
          hint="票据上印的执收单位名称 The collecting unit as receipts print it"
          value={name}
          onValue={setName}
        />
      </div>
      <p class="finance-actions">
        <button type="submit" class="button" data-testid="allocate-submit" disabled={busy}>
          <Bi zh="分配" en="Allocate" />
        </button>
      </p>
    </form>
  );
}
