/**
 * The alert feed (预警): filtered by rule, severity, department, state and date, a page at a
 * time; each alert links to the receipts or events it names, and an auditor acknowledges or
 * resolves it with a note (POST /v1/audit/alerts/{id}/state, recorded as an event).
 */
import { useState } from 'preact/hooks';
import { ALERT_RULES } from '../../../../lambdas/core/alerts.js';
import { type ApiErrorBody, apiJson } from '../api.js';
import { localTime } from '../collector/receipt.js';
import { SelectField, TextField } from '../fields.js';
import { DateRange, FilterForm, type Filters, queryOf, useRemembered } from '../filters.js';
import { More } from '../table.js';
import { Bi, Failed } from '../ui.js';
import { errorText, NETWORK_ERROR, usePaged } from '../use-api.js';

export interface Alert {
  id: string;
  at: string;
  rule: string;
  severity: 'info' | 'warning' | 'critical';
  department: string;
  subjects: string[];
  message: { zh: string; en: string };
  state?: 'acknowledged' | 'resolved';
  stateAt?: string;
  stateBy?: string;
  stateNote?: string;
}

const SEVERITIES: Record<string, [string, string]> = {
  critical: ['严重', 'critical'],
  warning: ['警告', 'warning'],
  info: ['提示', 'info'],
};
const STATES: Record<string, [string, string]> = {
  open: ['待处理', 'open'],
  acknowledged: ['已确认', 'acknowledged'],
  resolved: ['已解决', 'resolved'],
};

const RECEIPT_REF = /^(\d{8})\/(\d{10})$/;
const LEDGER_ID = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z-[0-9a-f]{8}$/;

/** Where a subject of an alert is shown: a receipt, a complaint, a range, an event of the history. */
function subjectLink(alert: Alert, subject: string): string | null {
  if (RECEIPT_REF.test(subject)) return `#receipts/${subject}`;
  if (alert.rule === 'payer_complaint' && subject.startsWith('TS-')) return `#complaints/${subject}`;
  if (!LEDGER_ID.test(subject)) return null;
  return alert.rule === 'range_closed_unused' ? `#ranges/${subject}` : `#history/${subject}`;
}

function AlertCard(props: { alert: Alert; onChange: (a: Alert) => void }) {
  const { alert } = props;
  const state = alert.state ?? 'open';
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const noteId = `note-${alert.id}`;

  const change = async (to: 'acknowledged' | 'resolved') => {
    if (!note.trim()) return setError('请填写处理说明。 Enter a note.');
    setBusy(true);
    setError(null);
    try {
      const answer = await apiJson<Alert & ApiErrorBody>(`/v1/audit/alerts/${alert.id}/state`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ state: to, note: note.trim() }),
      });
      if (answer.status === 200) {
        setNote('');
        props.onChange(answer.body);
      } else setError(errorText(answer.status, answer.body));
    } catch {
      setError(NETWORK_ERROR);
    } finally {
      setBusy(false);
    }
  };

  return (
    <li
      class={`alert-card alert-card--${alert.severity}`}
      data-testid="alert"
      data-rule={alert.rule}
      data-state={state}
    >
      <p class="alert-card__head">
        <span class={`severity severity--${alert.severity}`}>
          <Bi zh={SEVERITIES[alert.severity]![0]} en={SEVERITIES[alert.severity]![1]} />
        </span>{' '}
        <span class="mono">{alert.rule}</span> · {alert.department} · {localTime(alert.at)} ·{' '}
        <span class={`alert-state alert-state--${state}`} data-testid="alert-state">
          <Bi zh={STATES[state]![0]} en={STATES[state]![1]} />
        </span>
      </p>
      <p class="alert-card__message">
        {alert.message.zh} <span lang="en">{alert.message.en}</span>
      </p>
      <p class="alert-card__subjects">
        <Bi zh="涉及" en="Concerns" />:{' '}
        {alert.subjects.map((s) => {
          const href = subjectLink(alert, s);
          return href ? (
            <a key={s} href={href} class="mono subject-link" data-testid="alert-subject">
              {s}
            </a>
          ) : (
            <span key={s} class="mono">
              {s}
            </span>
          );
        })}
      </p>
      {alert.state && (
        <p class="muted">
          {alert.stateBy} · {alert.stateAt ? localTime(alert.stateAt) : ''} · {alert.stateNote}
        </p>
      )}
      {state !== 'resolved' && (
        <div class="alert-card__actions">
          <div class="field">
            <label for={noteId}>
              处理说明 <span lang="en">Note</span>
            </label>
            <input
              id={noteId}
              type="text"
              maxLength={500}
              value={note}
              data-testid="alert-note"
              onInput={(e) => setNote(e.currentTarget.value)}
            />
          </div>
          {state === 'open' && (
            <button
              type="button"
              class="button button--secondary"
              disabled={busy}
              data-testid="alert-acknowledge"
              onClick={() => change('acknowledged')}
            >
              <Bi zh="确认" en="Acknowledge" />
            </button>
          )}
          <button
            type="button"
            class="button button--secondary"
            disabled={busy}
            data-testid="alert-resolve"
            onClick={() => change('resolved')}
          >
            <Bi zh="解决" en="Resolve" />
          </button>
          {error && (
            <p class="field-error" role="alert">
              {error}
            </p>
          )}
        </div>
      )}
    </li>
  );
}

export function Alerts() {
  const [filters, setFilters] = useRemembered<Filters>('alerts.filters', {});
  const [draft, setDraft] = useRemembered<Filters>('alerts.draft', {});
  const query = queryOf(filters);
  const list = usePaged<Alert>(
    query,
    (from) => `/v1/audit/alerts?${queryOf({ ...filters, limit: '50', cursor: from ?? undefined })}`,
  );
  const { items, setItems, loading, error } = list;

  const set = (name: string) => (value: string) => setDraft({ ...draft, [name]: value || undefined });
  return (
    <section data-testid="alerts">
      <h1>
        <Bi zh="预警" en="Alerts" />
      </h1>
      <FilterForm
        label="筛选 Filters"
        testId="alert-filter"
        zh="筛选"
        en="Filter"
        onApply={() => setFilters(draft)}
      >
        <SelectField
          id="alert-type"
          zh="规则"
          en="Rule"
          value={draft.type}
          options={ALERT_RULES.map((r) => [r, r])}
          all
          onValue={set('type')}
        />
        <SelectField
          id="alert-severity"
          zh="级别"
          en="Severity"
          value={draft.severity}
          options={Object.entries(SEVERITIES).map(([k, [zh, en]]) => [k, `${zh} ${en}`])}
          all
          onValue={set('severity')}
        />
        <SelectField
          id="alert-state-filter"
          zh="状态"
          en="State"
          value={draft.state}
          options={Object.entries(STATES).map(([k, [zh, en]]) => [k, `${zh} ${en}`])}
          all
          onValue={set('state')}
        />
        <TextField
          id="alert-department"
          zh="单位代码"
          en="Department"
          value={draft.department}
          onValue={set('department')}
        />
        <DateRange idPrefix="alert" value={draft} onChange={(r) => setDraft({ ...draft, ...r })} />
      </FilterForm>
      <Failed message={error} />
      {!loading && !error && items.length === 0 && (
        <p class="muted">
          <Bi zh="没有符合条件的预警。" en="No alerts match." />
        </p>
      )}
      <ul class="alert-list">
        {items.map((a) => (
          <AlertCard
            key={a.id}
            alert={a}
            onChange={(changed) => setItems(items.map((x) => (x.id === changed.id ? changed : x)))}
          />
        ))}
      </ul>
      <More list={list} zh="更多预警" en="More alerts" />
    </section>
  );
}
