/**
 * Payer complaints (投诉, issue 15): the list, newest first, by status; one complaint with its
 * contact details (only auditors see them, and every read is recorded as complaint.read); the
 * reply, which is what the payer's lookup shows; and resolving it.
 */
import { useEffect, useState } from 'preact/hooks';
import { COMPLAINT_CATEGORIES } from '../../../../lambdas/core/complaint-categories.js';
import { type ApiErrorBody, apiJson } from '../api.js';
import { localTime } from '../collector/receipt.js';
import { DepartmentName } from '../department-names.js';
import { SelectField } from '../fields.js';
import { Bi, Failed, Loading } from '../ui.js';
import { errorText, NETWORK_ERROR, useApi } from '../use-api.js';

interface Complaint {
  id: string;
  category: keyof typeof COMPLAINT_CATEGORIES;
  text: string;
  department: string;
  receipt?: { code: string; number: string };
  date?: string;
  filedAt: string;
  status: 'open' | 'replied' | 'resolved';
  reply?: string;
  repliedAt?: string;
  repliedBy?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  hasContact: boolean;
  contactRemovedAt?: string;
  contact?: string | null;
}

const STATUS: Record<Complaint['status'], [string, string]> = {
  open: ['待处理', 'open'],
  replied: ['已答复', 'replied'],
  resolved: ['已办结', 'resolved'],
};

const receiptLink = (r: { code: string; number: string }) => (
  <a href={`#receipts/${r.code}/${r.number}`} class="mono">
    {r.code}/{r.number}
  </a>
);

/** What a complaint names in a list: its receipt, or the department and the day. */
const subjectOf = (c: Complaint) =>
  c.receipt ? (
    receiptLink(c.receipt)
  ) : (
    <span class="mono">
      {c.department} · {c.date}
    </span>
  );

function StatusText(props: { status: Complaint['status'] }) {
  const [zh, en] = STATUS[props.status];
  return (
    <span class={`alert-state alert-state--${props.status}`} data-testid="complaint-status">
      <Bi zh={zh} en={en} />
    </span>
  );
}

function ComplaintList() {
  const [status, setStatus] = useState('');
  const { data, error } = useApi<{ items: Complaint[] }>(
    `/v1/audit/complaints${status ? `?status=${status}` : ''}`,
  );
  const items = data?.items;
  return (
    <section aria-labelledby="complaints-title">
      <h1 id="complaints-title">
        <Bi zh="缴款人投诉" en="Payer complaints" />
      </h1>
      <SelectField
        id="complaint-status"
        zh="状态"
        en="Status"
        all
        value={status}
        options={Object.entries(STATUS).map(([k, [zh, en]]) => [k, `${zh} ${en}`])}
        onValue={setStatus}
      />
      {error ? (
        <Failed message={error} />
      ) : !items ? (
        <Loading />
      ) : items.length === 0 ? (
        <p class="muted">
          <Bi zh="没有投诉。" en="No complaints." />
        </p>
      ) : (
        <ul class="alert-list" data-testid="complaints">
          {items.map((c) => (
            <li key={c.id} class="alert-card" data-testid="complaint" data-state={c.status}>
              <p class="alert-card__head">
                <a href={`#complaints/${c.id}`} class="mono" data-testid="complaint-link">
                  {c.id}
                </a>{' '}
                · {c.department} · {localTime(c.filedAt)} · <StatusText status={c.status} />
              </p>
              <p class="alert-card__message">
                {COMPLAINT_CATEGORIES[c.category].zh}{' '}
                <span lang="en">{COMPLAINT_CATEGORIES[c.category].en}</span> · {subjectOf(c)}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ComplaintDetail(props: { id: string }) {
  const [complaint, setComplaint] = useState<Complaint | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reply, setReply] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    apiJson<Complaint & ApiErrorBody>(`/v1/audit/complaints/${encodeURIComponent(props.id)}`)
      .then((a) => {
        if (a.status !== 200) return setError(errorText(a.status, a.body));
        setComplaint(a.body);
        setReply(a.body.reply ?? '');
      })
      .catch(() => setError(NETWORK_ERROR));
  }, [props.id]);

  const act = async (path: 'reply' | 'resolve', body: unknown) => {
    setBusy(true);
    setError(null);
    try {
      const a = await apiJson<Complaint & ApiErrorBody>(
        `/v1/audit/complaints/${encodeURIComponent(props.id)}/${path}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
      );
      if (a.status === 200) setComplaint((c) => ({ ...a.body, contact: c?.contact ?? null }));
      else setError(errorText(a.status, a.body));
    } catch {
      setError(NETWORK_ERROR);
    } finally {
      setBusy(false);
    }
  };

  if (!complaint) return error ? <Failed message={error} /> : <Loading />;
  const c = complaint;
  const category = COMPLAINT_CATEGORIES[c.category];
  return (
    <section aria-labelledby="complaint-title" data-testid="complaint-detail" data-state={c.status}>
      <p>
        <a href="#complaints">
          ← <Bi zh="全部投诉" en="All complaints" />
        </a>
      </p>
      <h1 id="complaint-title">
        <Bi zh="投诉" en="Complaint" /> <span class="mono">{c.id}</span>
      </h1>
      <dl class="facts">
        <dt>
          <Bi zh="状态" en="Status" />
        </dt>
        <dd>
          <StatusText status={c.status} />
        </dd>
        <dt>
          <Bi zh="事项" en="Category" />
        </dt>
        <dd>
          <Bi zh={category.zh} en={category.en} />
        </dd>
        <dt>
          <Bi zh="涉及" en="Concerns" />
        </dt>
        <dd data-testid="complaint-subject">
          <DepartmentName code={c.department} /> · {c.receipt ? receiptLink(c.receipt) : c.date}
        </dd>
        <dt>
          <Bi zh="提交时间" en="Filed" />
        </dt>
        <dd>{localTime(c.filedAt)}</dd>
        <dt>
          <Bi zh="情况说明" en="What the payer says" />
        </dt>
        <dd data-testid="complaint-text" class="paragraphs">
          {c.text}
        </dd>
        <dt>
          <Bi zh="联系方式（阅读已记录）" en="Contact (this read is recorded)" />
        </dt>
        <dd data-testid="complaint-contact">
          {c.contact ??
            (c.contactRemovedAt ? (
              <Bi
                zh={`已于 ${localTime(c.contactRemovedAt)} 按期删除`}
                en="removed after the retention period"
              />
            ) : (
              <Bi zh="未留" en="none given" />
            ))}
        </dd>
      </dl>
      {error && <Failed message={error} />}
      {c.status === 'resolved' ? (
        <p class="muted paragraphs">
          <Bi zh="已办结" en="Resolved" /> · {c.resolvedBy} · {c.resolvedAt ? localTime(c.resolvedAt) : ''} ·{' '}
          <Bi zh="答复" en="Reply" />: {c.reply ?? '—'}
        </p>
      ) : (
        <form
          class="alert-card__actions"
          onSubmit={(e) => {
            e.preventDefault();
            if (reply.trim()) void act('reply', { reply: reply.trim() });
          }}
        >
          <div class="field">
            <label for="complaint-reply">
              答复（缴款人可见） <span lang="en">Reply (the payer sees it)</span>
            </label>
            <textarea
              id="complaint-reply"
              rows={4}
              maxLength={2000}
              value={reply}
              data-testid="complaint-reply"
              onInput={(e) => setReply(e.currentTarget.value)}
            />
          </div>
          <button type="submit" class="button" disabled={busy} data-testid="complaint-send-reply">
            <Bi zh="答复" en="Reply" />
          </button>{' '}
          <button
            type="button"
            class="button button--secondary"
            // Only a replied complaint is resolved: the payer is owed an answer first.
            disabled={busy || c.status !== 'replied'}
            title={c.status === 'replied' ? undefined : '先答复，再办结 · Reply before resolving'}
            data-testid="complaint-resolve"
            onClick={() => act('resolve', {})}
          >
            <Bi zh="办结" en="Resolve" />
          </button>
        </form>
      )}
    </section>
  );
}

/** The complaints tab: `#complaints` the list, `#complaints/<id>` one complaint. */
export function Complaints(props: { id?: string }) {
  return props.id ? <ComplaintDetail id={props.id} /> : <ComplaintList />;
}
