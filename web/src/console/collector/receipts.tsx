/**
 * The department's receipts (GET /v1/receipts, newest first, a page at a time) between two
 * issue dates (the last year when none are given), and a receipt's page: its facts, its PDF,
 * its count of public checks, and the red reversal (冲红) with a reason and a confirmation step.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type ApiErrorBody, apiJson } from '../api.js';
import { DateRange, FilterForm, type Filters, queryOf, useRemembered } from '../filters.js';
import { type Column, DataTable, More } from '../table.js';
import { Bi, Failed, PdfLink, ReadState, useFocusOn } from '../ui.js';
import { errorText, useApi, usePaged } from '../use-api.js';
import {
  localTime,
  ReceiptDetails,
  type ReceiptRef,
  type ReceiptView,
  refText,
  StatusChip,
} from './receipt.js';

type Listed = Pick<
  ReceiptView,
  'code' | 'number' | 'kind' | 'status' | 'issuedAt' | 'payer' | 'total' | 'handledBy' | 'reverses'
>;

const receiptHash = (r: ReceiptRef) => `#receipts/${r.code}/${r.number}`;

const LIST_COLUMNS: Column[] = [
  { zh: '开票时间', en: 'Issued' },
  { zh: '票据代码/号码', en: 'Code/number' },
  { zh: '缴款人', en: 'Payer' },
  { zh: '金额', en: 'Total', num: true },
  { zh: '状态', en: 'Status' },
];

export function ReceiptList() {
  // Kept while the console is open, as the auditors' filters are: back from a receipt finds them.
  const [draft, setDraft] = useRemembered<Filters>('our-receipts.draft', {});
  const [filters, setFilters] = useRemembered<Filters>('our-receipts.filters', {});
  return (
    <section data-testid="receipt-list">
      <h1>
        <Bi zh="本单位票据" en="Our receipts" />
      </h1>
      <FilterForm
        label="开票日期 Issue dates"
        testId="receipt-filter"
        zh="筛选"
        en="Filter"
        onApply={() => setFilters({ ...draft })}
      >
        <DateRange idPrefix="receipts" value={draft} onChange={(r) => setDraft({ ...draft, ...r })} />
      </FilterForm>
      {/* Keyed by the query: new dates start the list afresh, without the last dates' rows. */}
      <ReceiptRows key={queryOf(filters)} filters={filters} />
    </section>
  );
}

function ReceiptRows(props: { filters: Filters }) {
  const { filters } = props;
  const list = usePaged<Listed>(
    queryOf(filters),
    (from) => `/v1/receipts?${queryOf({ ...filters, limit: '20', cursor: from ?? undefined })}`,
  );
  const { items } = list;
  const dated = !!(filters.from || filters.to);
  return (
    <>
      <Failed message={list.error} />
      {!list.loading && !list.error && items.length === 0 && (
        <p class="muted" data-testid="receipt-list-empty">
          {dated ? (
            <Bi zh="此期间没有开具票据。" en="No receipts in these dates." />
          ) : (
            <Bi zh="近一年没有开具票据。" en="No receipts in the last year." />
          )}
        </p>
      )}
      {items.length > 0 && (
        <DataTable caption="本单位票据 Our receipts, newest first" columns={LIST_COLUMNS}>
          {items.map((r) => (
            <tr key={refText(r)} data-testid="receipt-row">
              <td>
                <time dateTime={r.issuedAt}>{localTime(r.issuedAt)}</time>
              </td>
              <td>
                <a href={receiptHash(r)} class="mono">
                  {refText(r)}
                </a>
              </td>
              <td class="text">{r.payer.name}</td>
              <td class="num">{r.total}</td>
              <td>
                <StatusChip receipt={r} />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <More list={list} zh="更早的票据" en="Older receipts" />
    </>
  );
}

/** One receipt's page; keyed by the receipt where it is used, so another receipt starts afresh. */
export function ReceiptPage(props: { ref_: ReceiptRef }) {
  const { code, number } = props.ref_;
  const { data: receipt, error, reload } = useApi<ReceiptView>(`/v1/receipts/${code}/${number}`);
  /** The red receipt this page's reversal just issued. */
  const [red, setRed] = useState<ReceiptRef | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [code, number]);

  return (
    <section class="receipt-page" data-testid="receipt-page">
      <p>
        <a href="#receipts">
          ← <Bi zh="本单位票据" en="Our receipts" />
        </a>
      </p>
      <h1 tabIndex={-1} ref={heading}>
        <Bi zh="票据" en="Receipt" /> <span class="mono">{`${code}/${number}`}</span>
      </h1>
      <ReadState error={error} done={!!receipt} />
      {receipt && (
        <>
          <ReceiptDetails receipt={receipt} link={receiptHash} />
          <p class="issued__actions">
            <PdfLink
              path={receipt.status !== 'pending' ? `/v1/receipts/${code}/${number}/pdf` : null}
              label={{ zh: '打开 PDF', en: 'Open the PDF' }}
              unavailable="PDF 暂不可用 The PDF is not available"
            />
          </p>
          {red ? (
            <ReversalDone red={red} />
          ) : (
            receipt.kind === 'blue' &&
            receipt.status === 'issued' && (
              <Reversal
                receipt={receipt}
                onReversed={(r) => {
                  setRed(r);
                  // The original now reads reversed, with its red receipt.
                  reload();
                }}
              />
            )
          )}
        </>
      )}
    </section>
  );
}

/**
 * 冲红: a reason, then a confirmation that says what will happen. One Idempotency-Key per
 * reversal form, so a double click or a retry never makes two red receipts.
 */
function Reversal(props: { receipt: ReceiptView; onReversed: (red: ReceiptRef) => void }) {
  const { receipt } = props;
  const key = useMemo(() => `reversal-${crypto.randomUUID()}`, []);
  const [step, setStep] = useState<'closed' | 'reason' | 'confirm'>('closed');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const reasonField = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (step === 'confirm') confirmButton.current?.focus();
    if (step === 'reason') reasonField.current?.focus();
  }, [step]);

  const reverse = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await apiJson<ReceiptRef & ApiErrorBody>(
        `/v1/receipts/${receipt.code}/${receipt.number}/reversal`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ reason: reason.trim() }),
        },
      );
      if (answer.status === 201 || answer.status === 200) {
        props.onReversed({ code: answer.body.code, number: answer.body.number });
        return;
      }
      setError(errorText(answer.status, answer.body));
      setStep('reason');
    } catch {
      setError(
        '网络错误：可以再次确认，不会开出两张红字票据。Network error: confirm again; it never makes two red receipts.',
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="reversal" aria-labelledby="reversal-title">
      <h2 id="reversal-title">
        <Bi zh="冲红（退费或作废）" en="Red reversal (refund or void)" />
      </h2>
      {step === 'closed' && (
        <button
          type="button"
          class="button button--secondary"
          data-testid="reverse-start"
          onClick={() => setStep('reason')}
        >
          <Bi zh="冲红此票据" en="Reverse this receipt" />
        </button>
      )}
      {step === 'reason' && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim()) setStep('confirm');
          }}
        >
          <div class="field">
            <label for="reversal-reason">
              冲红原因 <span lang="en">Reason</span>
            </label>
            <textarea
              id="reversal-reason"
              ref={reasonField}
              rows={2}
              maxLength={200}
              required
              value={reason}
              aria-describedby={error ? 'reversal-error' : undefined}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          </div>
          {error && (
            <p id="reversal-error" class="field-error" role="alert" data-testid="reversal-error">
              {error}
            </p>
          )}
          <p class="form-actions">
            <button type="submit" class="button" data-testid="reverse-next" disabled={!reason.trim()}>
              <Bi zh="下一步" en="Next" />
            </button>
            <button type="button" class="button button--secondary" onClick={() => setStep('closed')}>
              <Bi zh="取消" en="Cancel" />
            </button>
          </p>
        </form>
      )}
      {step === 'confirm' && (
        <div class="notice notice--error confirm" role="alertdialog" aria-labelledby="confirm-text">
          <p id="confirm-text">
            将开具红字票据，冲销 <span class="mono">{refText(receipt)}</span>（{receipt.total} 元）。原因：
            {reason.trim()}。此操作不可撤销。
            <span lang="en">
              {' '}
              A red receipt of −{receipt.total} yuan will reverse this receipt. This cannot be undone.
            </span>
          </p>
          <p class="form-actions">
            <button
              type="button"
              class="button"
              ref={confirmButton}
              data-testid="reverse-confirm"
              disabled={busy}
              onClick={reverse}
            >
              {busy ? '正在冲红…' : '确认冲红'}{' '}
              <span lang="en">{busy ? 'Reversing…' : 'Confirm reversal'}</span>
            </button>
            <button type="button" class="button button--secondary" onClick={() => setStep('reason')}>
              <Bi zh="返回修改" en="Back" />
            </button>
          </p>
        </div>
      )}
    </section>
  );
}

/** What a reversal left: its red receipt. The keyboard comes here from the confirm button, now gone. */
function ReversalDone(props: { red: ReceiptRef }) {
  const notice = useRef<HTMLDivElement>(null);
  useFocusOn(notice, refText(props.red));
  return (
    <div class="notice reversal-done" role="status" data-testid="reversal-done" tabIndex={-1} ref={notice}>
      <p>
        <Bi zh="已开具红字票据：" en="Red receipt issued:" />{' '}
        <a href={receiptHash(props.red)} class="mono" data-testid="red-link">
          {refText(props.red)}
        </a>
      </p>
    </div>
  );
}
