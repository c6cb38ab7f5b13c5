/**
 * Receipt search (票据查询) with every filter GET /v1/audit/receipts has, a page at a time by
 * its cursor (back and forth), the CSV export of the same query (GET /v1/audit/export), and
 * one receipt's page (payer unmasked). Every read is recorded by the API as an audit read.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiErrorBody, apiFetch, apiJson } from '../api.js';
import {
  localTime,
  ReceiptDetails,
  type ReceiptRef,
  type ReceiptView,
  refText,
  StatusChip,
} from '../collector/receipt.js';
import { SelectField, TextField } from '../fields.js';
import { DateRange, FilterForm, type Filters, queryOf, useRemembered } from '../filters.js';
import { type Column, DataTable } from '../table.js';
import { Bi, Failed, Loading, ReadState } from '../ui.js';
import { errorText, NETWORK_ERROR, useApi } from '../use-api.js';

const PAGE = 50;
const receiptHash = (r: ReceiptRef) => `#receipts/${r.code}/${r.number}`;

const STATUS_OPTIONS: [string, string][] = [
  ['issued', '已开具 issued'],
  ['reversed', '已冲红 reversed'],
  ['red', '红字 red'],
  ['pending', '开具中 pending'],
];

/** The by-payer indexes hold the name and the ID number whole: a search finds only an exact match. */
const PAYER_NAME_HINT = '完全一致，不查部分名称 Exact match, the whole name';
const PAYER_ID_HINT = '完整号码，完全一致 Exact match, the whole number';

const SEARCH_COLUMNS: Column[] = [
  { zh: '开票时间', en: 'Issued' },
  { zh: '票据代码/号码', en: 'Code/number' },
  { zh: '单位', en: 'Dept.' },
  { zh: '缴款人', en: 'Payer' },
  { zh: '金额', en: 'Total', num: true },
  { zh: '状态', en: 'Status' },
];

export function ReceiptSearch() {
  const [draft, setDraft] = useRemembered<Filters>('receipts.draft', {});
  const [filters, setFilters] = useRemembered<Filters | null>('receipts.filters', null);
  /** The cursors of the pages seen so far: pages[i] opens page i (the first has none). */
  const [pages, setPages] = useRemembered<(string | undefined)[]>('receipts.pages', [undefined]);
  const [page, setPage] = useRemembered('receipts.page', 0);
  const [result, setResult] = useState<{ items: ReceiptView[]; cursor: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [exporting, setExporting] = useState<string | null>(null);

  useEffect(() => {
    if (!filters) return;
    let live = true;
    setResult(null);
    setError(null);
    apiJson<{ items: ReceiptView[]; cursor: string | null } & ApiErrorBody>(
      `/v1/audit/receipts?${queryOf({ ...filters, limit: String(PAGE), cursor: pages[page] })}`,
    ).then(
      (answer) => {
        if (!live) return;
        if (answer.status !== 200) return setError(errorText(answer.status, answer.body));
        setResult(answer.body);
        if (answer.body.cursor && pages.length === page + 1) setPages([...pages, answer.body.cursor]);
      },
      () => live && setError(NETWORK_ERROR),
    );
    return () => {
      live = false;
    };
  }, [filters, page]);

  const set = (name: string) => (value: string) => setDraft({ ...draft, [name]: value || undefined });

  const exportCsv = async () => {
    if (!filters) return;
    setExporting('正在导出… Exporting…');
    const res = await apiFetch(`/v1/audit/export?${queryOf(filters)}`);
    if (!res.ok) return setExporting(`导出失败 Export failed (HTTP ${res.status})`);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = 'feeproof-receipts.csv';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    setExporting('已导出 Exported');
  };

  return (
    <section data-testid="receipt-search">
      <h1>
        <Bi zh="票据查询" en="Receipt search" />
      </h1>
      <FilterForm
        label="查询条件 Search filters"
        testId="search"
        zh="查询"
        en="Search"
        onApply={() => {
          setPages([undefined]);
          setPage(0);
          setFilters({ ...draft });
        }}
      >
        <TextField
          id="q-payer-name"
          zh="缴款人名称"
          en="Payer name"
          hint={PAYER_NAME_HINT}
          value={draft.payerName}
          onValue={set('payerName')}
        />
        <TextField
          id="q-payer-id"
          zh="证件号码"
          en="Payer ID number"
          hint={PAYER_ID_HINT}
          value={draft.payerId}
          onValue={set('payerId')}
        />
        <TextField
          id="q-department"
          zh="单位代码"
          en="Department"
          value={draft.department}
          onValue={set('department')}
        />
        <TextField
          id="q-item"
          zh="项目编码"
          en="Item code"
          value={draft.itemCode}
          onValue={set('itemCode')}
        />
        <SelectField
          id="q-status"
          zh="状态"
          en="Status"
          value={draft.status}
          options={STATUS_OPTIONS}
          all
          onValue={set('status')}
        />
        <TextField
          id="q-min"
          zh="最低金额"
          en="Min amount"
          inputMode="decimal"
          value={draft.minAmount}
          onValue={set('minAmount')}
        />
        <TextField
          id="q-max"
          zh="最高金额"
          en="Max amount"
          inputMode="decimal"
          value={draft.maxAmount}
          onValue={set('maxAmount')}
        />
        <DateRange idPrefix="q" value={draft} onChange={(r) => setDraft({ ...draft, ...r })} />
      </FilterForm>
      {error && <Failed message={error} />}
      {filters && !result && !error && <Loading />}
      {result && (
        <>
          <p class="toolbar">
            <span role="status" data-testid="result-count">
              第 {page + 1} 页，{result.items.length} 张{' '}
              <span lang="en">
                Page {page + 1}, {result.items.length} receipt(s)
              </span>
            </span>
            <button type="button" class="button button--secondary" data-testid="export" onClick={exportCsv}>
              <Bi zh="导出 CSV" en="Export CSV" />
            </button>
            {exporting && (
              <span class="muted" role="status">
                {exporting}
              </span>
            )}
          </p>
          <p class="hint" data-testid="export-time-note">
            <Bi
              zh="导出文件中的时间（issued_at）为 UTC（ISO 8601，带 Z），比本页的时间（UTC+8）早 8 小时；日期列为 UTC+8 的日期。"
              en="Times in the file (issued_at) are UTC (ISO 8601 with Z), 8 hours behind this page's (UTC+8); its date columns are UTC+8 dates."
            />
          </p>
          {result.items.length === 0 && (filters?.payerName?.trim() || filters?.payerId?.trim()) && (
            <p class="notice" role="status" data-testid="payer-exact">
              <Bi
                zh="没有找到：缴款人名称和证件号码须完全一致，部分名称查不到。"
                en="Nothing found: the payer's name and ID number must match exactly; part of a name finds nothing."
              />
            </p>
          )}
          <DataTable caption="查询结果 Receipts found, newest first" columns={SEARCH_COLUMNS}>
            {result.items.map((r) => (
              <tr key={refText(r)} data-testid="result-row">
                <td>
                  <time dateTime={r.issuedAt}>{localTime(r.issuedAt)}</time>
                </td>
                <td>
                  <a href={receiptHash(r)} class="mono">
                    {refText(r)}
                  </a>
                </td>
                <td>{r.department}</td>
                <td class="text">
                  {r.payer.name}
                  {r.payer.idNumber ? <span class="muted"> {r.payer.idNumber}</span> : ''}
                </td>
                <td class="num">{r.total}</td>
                <td>
                  <StatusChip receipt={r} />
                </td>
              </tr>
            ))}
          </DataTable>
          <nav class="pager" aria-label="分页 Pages">
            <button
              type="button"
              class="button button--secondary"
              disabled={page === 0}
              onClick={() => setPage(page - 1)}
            >
              <Bi zh="上一页" en="Previous" />
            </button>
            <button
              type="button"
              class="button button--secondary"
              data-testid="next-page"
              disabled={!result.cursor}
              onClick={() => setPage(page + 1)}
            >
              <Bi zh="下一页" en="Next" />
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

export function AuditedReceipt(props: { ref_: ReceiptRef }) {
  const { code, number } = props.ref_;
  const { data: receipt, error } = useApi<ReceiptView>(`/v1/audit/receipts/${code}/${number}`);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [code, number]);
  return (
    <section data-testid="audited-receipt">
      <p>
        <a href="#receipts">
          ← <Bi zh="票据查询" en="Receipt search" />
        </a>
      </p>
      <h1 tabIndex={-1} ref={heading}>
        <Bi zh="票据" en="Receipt" /> <span class="mono">{`${code}/${number}`}</span>
      </h1>
      <ReadState error={error} done={!!receipt} />
      {receipt && <ReceiptDetails receipt={receipt} link={receiptHash} />}
    </section>
  );
}
