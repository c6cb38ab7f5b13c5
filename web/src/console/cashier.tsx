/**
 * The cashier screen (收费窗口): search this department's items in force, add lines, choose an
 * exemption, name the payer, see the server's own computed lines and totals (the dry run), and
 * issue. Built for the keyboard: Enter in the search adds the first match and moves to its
 * quantity; the form keeps its Idempotency-Key until the receipt is issued. Each field says what
 * it needs before anything is sent (a whole quantity from 1 to the server's limit, a range item's
 * amount; the search, another department's code): guides only, the server's check still decides.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { linesInYuan } from '../../../lambdas/core/receipt.js';
import { exemptionText, standardText } from '../format.js';
import { type ApiErrorBody, apiFetch, apiJson, publicJson } from './api.js';
import {
  amountNeeded,
  amountRange,
  chargeBody,
  clearDraft,
  type Draft,
  type DraftLine,
  type Item,
  lineAmount,
  loadDraft,
  noMatch,
  quantityOf,
  quantityProblem,
  saveDraft,
  searchItems,
} from './charge.js';
import { useDepartmentNames } from './department-names.js';
import { NETWORK_ERROR_WORDS, type Refusal, refusalOf, violationWords, type Words } from './errors.js';
import { RefusalWords, Said } from './refusal.js';
import { Bi, Fact, PdfLink, useFocusOn } from './ui.js';

/** A line as the server's check answers it: the charged line with its amount in yuan. */
type CheckedLine = ReturnType<typeof linesInYuan>[number];

interface Checked {
  chargeDate: string;
  lines: CheckedLine[];
  total: string;
  totalInWords: string;
}

export interface IssuedReceipt {
  code: string;
  number: string;
  checkCode: string;
  total: string;
  totalInWords: string;
  verifyUrl: string;
}

type CheckState =
  | { state: 'empty' }
  | { state: 'checking' }
  | { state: 'ok'; checked: Checked }
  | ({ state: 'refused' } & Refusal);

/**
 * The catalogue in force, every department's: the cashier charges its own department's items,
 * and knows another department's code when one is typed.
 */
function useCatalogue() {
  const [all, setAll] = useState<Item[] | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    publicJson<{ items: Item[] }>('/v1/catalogue').then(
      (answer) => setAll(answer.items),
      () => setFailed(true),
    );
  }, []);
  return { all, failed };
}

/** Words said at a field, tied to its control by `id` (aria-describedby). */
function FieldWords(props: { id: string; words: Words | null; class?: string }) {
  return props.words ? (
    <p class={props.class ?? 'hint'} id={props.id}>
      <Bi zh={props.words.zh} en={props.words.en} />
    </p>
  ) : null;
}

export function Cashier(props: { department: string; onIssued: (r: IssuedReceipt) => void }) {
  const { department } = props;
  const { all, failed } = useCatalogue();
  const items = useMemo(() => all?.filter((i) => i.department === department) ?? null, [all, department]);
  const byCode = useMemo(() => new Map((items ?? []).map((i) => [i.code, i])), [items]);
  const [draft, setDraftState] = useState<Draft>(() => loadDraft(department));
  const [query, setQuery] = useState('');
  const [check, setCheck] = useState<CheckState>({ state: 'empty' });
  const [issuing, setIssuing] = useState(false);
  const [issueError, setIssueError] = useState<Refusal | null>(null);
  // The issue button is disabled while sending, which drops the focus: a refusal takes it.
  const issueErrorLine = useRef<HTMLDivElement>(null);
  useFocusOn(issueErrorLine, issueError);
  const busy = useRef(false);
  const focusLine = useRef<number | null>(null);
  const search = useRef<HTMLInputElement>(null);
  // The cashier's first move is always the search.
  useEffect(() => search.current?.focus(), []);

  const setDraft = (next: Draft) => {
    saveDraft(department, next);
    setDraftState(next);
    setIssueError(null);
  };
  const setLine = (index: number, change: Partial<DraftLine>) =>
    setDraft({ ...draft, lines: draft.lines.map((l, i) => (i === index ? { ...l, ...change } : l)) });

  const matches = useMemo(() => searchItems(items ?? [], query), [items, query]);
  const names = useDepartmentNames();
  const unmatched = all && matches.length === 0 ? noMatch(all, department, query, names) : null;

  const addItem = (item: Item) => {
    focusLine.current = draft.lines.length;
    setDraft({
      ...draft,
      lines: [...draft.lines, { itemCode: item.code, quantity: '1', amount: '', exemption: '' }],
    });
    setQuery('');
  };

  // An earlier render's effect can run after addItem but before the new line is in the DOM
  // (Preact flushes pending effects when the next render starts), so the request to focus
  // stays until the line's field exists.
  useEffect(() => {
    if (focusLine.current === null) return;
    const field = document.getElementById(`quantity-${focusLine.current}`);
    if (!field) return;
    field.focus();
    focusLine.current = null;
  });

  // The live check: the server's dry run of this very form, a moment after the last change.
  const checkable = draft.lines.length > 0 && draft.lines.every((l) => quantityOf(l) !== null);
  const body = JSON.stringify(chargeBody(draft, byCode, true));
  useEffect(() => {
    if (!items || !checkable) {
      setCheck({ state: 'empty' });
      return;
    }
    setCheck({ state: 'checking' });
    let current = true;
    const timer = setTimeout(async () => {
      try {
        const answer = await apiJson<Checked & ApiErrorBody>('/v1/charges/check', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        if (!current) return;
        if (answer.status === 200) setCheck({ state: 'ok', checked: answer.body });
        else setCheck({ state: 'refused', ...refusalOf(answer.status, answer.body) });
      } catch {
        if (current) setCheck({ state: 'refused', headline: NETWORK_ERROR_WORDS, violations: [] });
      }
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [body, items, checkable]);

  // Why the issue button is disabled, when the cashier has something to do about it.
  const badQuantity = draft.lines.findIndex((l) => quantityOf(l) === null);
  const blocked: Words | null =
    badQuantity >= 0
      ? {
          zh: `请先改正第${badQuantity + 1}行的数量。`,
          en: `Correct the quantity of line ${badQuantity + 1} first.`,
        }
      : check.state === 'ok' && !draft.payer.name.trim()
        ? { zh: '请填写缴款人名称。', en: "Enter the payer's name." }
        : null;
  const canIssue = checkable && check.state === 'ok' && draft.payer.name.trim() !== '' && !issuing;

  const issue = async () => {
    if (busy.current || !canIssue) return;
    busy.current = true;
    setIssuing(true);
    setIssueError(null);
    try {
      const res = await apiFetch('/v1/receipts', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': draft.key },
        body: JSON.stringify(chargeBody(draft, byCode)),
      });
      const answer = await res.json();
      if (res.status === 201 || res.status === 200) {
        clearDraft(department);
        props.onIssued(answer as IssuedReceipt);
        return;
      }
      setIssueError(refusalOf(res.status, answer as ApiErrorBody));
    } catch {
      setIssueError({
        headline: {
          zh: '网络错误：可以再次开具，同一张收费单不会开出两张票据。',
          en: 'Network error: issue again; this form never makes two receipts.',
        },
        violations: [],
      });
    } finally {
      busy.current = false;
      setIssuing(false);
    }
  };

  const violationsOfLine = (index: number) =>
    check.state === 'refused' ? check.violations.filter((v) => v.line === index) : [];

  return (
    <div class="cashier" data-testid="cashier">
      <h1>
        <Bi zh="收费窗口" en="Cashier" />
      </h1>
      {failed && (
        <p class="notice notice--error" role="alert">
          <Bi zh="收费目录无法读取。" en="The catalogue could not be read." />
        </p>
      )}
      <div class="cashier__grid">
        <form
          class="cashier__form"
          aria-labelledby="charge-form-title"
          onSubmit={(e) => {
            e.preventDefault();
            issue();
          }}
        >
          <h2 id="charge-form-title" class="visually-hidden">
            收费单 <span lang="en">Charge form</span>
          </h2>
          <div class="field">
            <label for="item-search">
              搜索收费项目 <span lang="en">Search items (code or name)</span>
            </label>
            <input
              id="item-search"
              type="search"
              autocomplete="off"
              value={query}
              aria-controls="item-results"
              aria-describedby="item-search-hint item-search-status"
              onInput={(e) => setQuery(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  if (matches[0]) addItem(matches[0]);
                } else if (e.key === 'Escape') setQuery('');
              }}
              ref={search}
            />
            <p id="item-search-hint" class="hint">
              回车添加第一项 <span lang="en">Enter adds the first match</span>
            </p>
            <div id="item-search-status" aria-live="polite" data-testid="search-status">
              <FieldWords id="item-search-none" words={unmatched} class="field-error" />
            </div>
          </div>
          <ul id="item-results" class="results" aria-label="搜索结果 Search results">
            {matches.map((item) => (
              <li key={item.code}>
                <button
                  type="button"
                  class="result-item"
                  data-testid="search-result"
                  data-code={item.code}
                  onClick={() => addItem(item)}
                >
                  <span class="mono">{item.code}</span> {item.name}{' '}
                  <span class="muted">
                    {standardText(item.standard)}/{item.unit}
                  </span>
                  <span class="visually-hidden">添加 Add</span>
                </button>
              </li>
            ))}
          </ul>

          <fieldset class="lines">
            <legend>
              收费明细 <span lang="en">Lines</span>
            </legend>
            {draft.lines.length === 0 && (
              <p class="muted">
                <Bi zh="尚未添加收费项目。" en="No items yet." />
              </p>
            )}
            {draft.lines.map((line, index) => {
              const item = byCode.get(line.itemCode);
              const range = item ? amountRange(item, line) : null;
              const problems = violationsOfLine(index);
              const quantityWords = quantityProblem(line);
              const amountWords = item ? amountNeeded(item, line) : null;
              return (
                <div class="line" key={`${index}-${line.itemCode}`} data-testid="line">
                  <p class="line__item">
                    <span class="mono">{line.itemCode}</span> {item?.name ?? ''}{' '}
                    <span class="muted">{item ? `${standardText(item.standard)}/${item.unit}` : ''}</span>
                  </p>
                  <div class="line__fields">
                    <div class="field">
                      <label for={`quantity-${index}`}>
                        数量 <span lang="en">Quantity</span>
                      </label>
                      <input
                        id={`quantity-${index}`}
                        type="text"
                        inputmode="numeric"
                        value={line.quantity}
                        aria-invalid={quantityWords !== null}
                        aria-describedby={quantityWords ? `quantity-${index}-error` : undefined}
                        onInput={(e) => setLine(index, { quantity: e.currentTarget.value })}
                      />
                    </div>
                    {item && item.exemptions.length > 0 && (
                      <div class="field">
                        <label for={`exemption-${index}`}>
                          减免 <span lang="en">Exemption</span>
                        </label>
                        <select
                          id={`exemption-${index}`}
                          value={line.exemption}
                          onChange={(e) => setLine(index, { exemption: e.currentTarget.value })}
                        >
                          <option value="">无 None</option>
                          {item.exemptions.map((ex) => (
                            <option key={ex.who} value={ex.who}>
                              {ex.who}（{exemptionText(ex).join(' ')}）
                            </option>
                          ))}
                        </select>
                      </div>
                    )}
                    <div class="field">
                      <label for={`amount-${index}`}>
                        金额 <span lang="en">Amount (yuan)</span>
                      </label>
                      {item?.standard.type === 'range' ? (
                        <input
                          id={`amount-${index}`}
                          type="text"
                          inputmode="decimal"
                          value={line.amount}
                          placeholder={range ? `${range[0]}–${range[1]}` : ''}
                          aria-describedby={amountWords ? `amount-${index}-hint` : undefined}
                          onInput={(e) => setLine(index, { amount: e.currentTarget.value })}
                        />
                      ) : (
                        <output id={`amount-${index}`} class="line__amount">
                          {item ? lineAmount(item, line) : ''}
                        </output>
                      )}
                    </div>
                    <button
                      type="button"
                      class="button button--secondary line__remove"
                      onClick={() => setDraft({ ...draft, lines: draft.lines.filter((_, i) => i !== index) })}
                    >
                      删除 <span lang="en">Remove</span>
                      <span class="visually-hidden"> {line.itemCode}</span>
                    </button>
                  </div>
                  {/* Under the fields (the quantity's is narrow), each named by its field's aria-describedby. */}
                  <FieldWords id={`quantity-${index}-error`} words={quantityWords} class="field-error" />
                  <FieldWords id={`amount-${index}-hint`} words={amountWords} />
                  {problems.map((v) => (
                    <p class="field-error" key={v.path + v.rule}>
                      <Said words={violationWords(v)} />
                    </p>
                  ))}
                </div>
              );
            })}
          </fieldset>

          <fieldset class="payer">
            <legend>
              缴款人 <span lang="en">Payer</span>
            </legend>
            <div class="payer__type" role="radiogroup" aria-label="缴款人类型 Payer type">
              {(['person', 'unit'] as const).map((type) => (
                <label key={type} class="radio">
                  <input
                    type="radio"
                    name="payer-type"
                    value={type}
                    checked={draft.payer.type === type}
                    onChange={() => setDraft({ ...draft, payer: { ...draft.payer, type } })}
                  />{' '}
                  {type === 'person' ? (
                    <>
                      个人 <span lang="en">Person</span>
                    </>
                  ) : (
                    <>
                      单位 <span lang="en">Organisation</span>
                    </>
                  )}
                </label>
              ))}
            </div>
            <div class="field">
              <label for="payer-name">
                缴款人名称 <span lang="en">Payer name</span>
              </label>
              <input
                id="payer-name"
                type="text"
                autocomplete="off"
                value={draft.payer.name}
                required
                onInput={(e) =>
                  setDraft({ ...draft, payer: { ...draft.payer, name: e.currentTarget.value } })
                }
              />
            </div>
            <div class="field">
              <label for="payer-id">
                证件号码（选填） <span lang="en">ID number (optional)</span>
              </label>
              <input
                id="payer-id"
                type="text"
                autocomplete="off"
                value={draft.payer.idNumber}
                onInput={(e) =>
                  setDraft({ ...draft, payer: { ...draft.payer, idNumber: e.currentTarget.value } })
                }
              />
            </div>
            <div class="field">
              <label for="remark">
                备注（选填） <span lang="en">Remark (optional)</span>
              </label>
              <input
                id="remark"
                type="text"
                value={draft.remark}
                onInput={(e) => setDraft({ ...draft, remark: e.currentTarget.value })}
              />
            </div>
          </fieldset>

          <section class="summary-panel" aria-labelledby="summary-title">
            <h2 id="summary-title">
              核对结果 <span lang="en">Checked by the server</span>
            </h2>
            <div aria-live="polite" data-testid="check" data-state={check.state}>
              {check.state === 'empty' && (
                <p class="muted">
                  {badQuantity >= 0 ? (
                    <Bi
                      zh="数量改正后核对金额。"
                      en="The amounts are checked once every quantity is right."
                    />
                  ) : (
                    <Bi zh="添加收费项目后显示金额。" en="Add items to see the amounts." />
                  )}
                </p>
              )}
              {check.state === 'checking' && (
                <p class="muted">
                  <Bi zh="正在核对……" en="Checking…" />
                </p>
              )}
              {check.state === 'refused' && (
                <div class="notice notice--error">
                  <RefusalWords refusal={check} />
                </div>
              )}
              {check.state === 'ok' && (
                <>
                  <table class="checked">
                    <caption class="visually-hidden">收费明细 Lines as charged</caption>
                    <thead>
                      <tr>
                        <th scope="col">
                          项目 <span lang="en">Item</span>
                        </th>
                        <th scope="col">
                          数量 <span lang="en">Qty</span>
                        </th>
                        <th scope="col" class="num">
                          金额 <span lang="en">Amount</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {check.checked.lines.map((l, i) => (
                        <tr key={`${i}-${l.itemCode}`}>
                          <td>
                            {l.name}
                            {l.exemption && <span class="muted">（{l.exemption}）</span>}
                          </td>
                          <td>
                            {l.quantity} {l.unit}
                          </td>
                          <td class="num">{l.amount}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  <p class="total" data-testid="total">
                    <Bi zh="合计" en="Total" />：<strong>{check.checked.total} 元</strong>{' '}
                    <span data-testid="total-in-words">{check.checked.totalInWords}</span>
                  </p>
                </>
              )}
            </div>
            {issueError && (
              <div
                class="notice notice--error"
                role="alert"
                data-testid="issue-error"
                tabIndex={-1}
                ref={issueErrorLine}
              >
                <RefusalWords refusal={issueError} />
              </div>
            )}
            <button
              type="submit"
              class="button issue-button"
              data-testid="issue"
              disabled={!canIssue}
              aria-describedby={blocked ? 'issue-blocked' : undefined}
            >
              {issuing ? '正在开具…' : '开具票据'}{' '}
              <span lang="en">{issuing ? 'Issuing…' : 'Issue receipt'}</span>
            </button>
            <FieldWords id="issue-blocked" words={blocked} />
          </section>
        </form>
      </div>
    </div>
  );
}

/** After issuing: the PDF to print and the payer's verification link. */
export function Issued(props: { receipt: IssuedReceipt; onNext: () => void }) {
  const { receipt } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [receipt.code, receipt.number]);

  return (
    <div class="issued" data-testid="issued">
      <h1 tabIndex={-1} ref={heading}>
        <Bi zh="票据已开具" en="Receipt issued" />
      </h1>
      <dl class="facts">
        <Fact zh="票据代码" en="Code" mono testId="receipt-code">
          {receipt.code}
        </Fact>
        <Fact zh="票据号码" en="Number" mono testId="receipt-number">
          {receipt.number}
        </Fact>
        <Fact zh="校验码" en="Check code" mono>
          {receipt.checkCode}
        </Fact>
        <Fact zh="合计" en="Total">
          {`${receipt.total} 元 ${receipt.totalInWords}`}
        </Fact>
      </dl>
      <p class="issued__actions">
        <PdfLink
          path={`/v1/receipts/${receipt.code}/${receipt.number}/pdf`}
          label={{ zh: '打开 PDF 打印', en: 'Open the PDF to print' }}
          unavailable="PDF 暂不可用 The PDF is not available yet"
        />
        <button
          type="button"
          class="button button--secondary"
          data-testid="next-charge"
          onClick={props.onNext}
        >
          下一笔收费 <span lang="en">Next charge</span>
        </button>
      </p>
      <h2>
        缴款人查验链接 <span lang="en">Verification link for the payer</span>
      </h2>
      <p>
        <a href={receipt.verifyUrl} data-testid="verify-link" class="verify-link">
          {receipt.verifyUrl}
        </a>
      </p>
      <p class="hint">
        <Bi
          zh="票据上的二维码即为此链接；缴款人可据此查验票据真伪。"
          en="The receipt's QR code holds this link; the payer can check the receipt with it."
        />
      </p>
    </div>
  );
}
