/**
 * The change history (变更记录, GET /v1/audit/events): catalogue changes, ranges, reversals,
 * refused charges, alert handling, audit reads, a page at a time, each told in words: who,
 * when, what, and for a catalogue change the fields that changed (before -> after).
 * `#history/<event id>` opens the day of that event with it marked (an alert's link).
 */
import { useState } from 'preact/hooks';
import { dateInZone } from '../../../../lambdas/core/dates.js';
import type { EventType } from '../../../../lambdas/core/ports.js';
import { type Standard, standardText } from '../../format.js';
import { localTime } from '../collector/receipt.js';
import { SelectField } from '../fields.js';
import { DateRange, FilterForm, type Filters, queryOf } from '../filters.js';
import { More } from '../table.js';
import { Bi, Failed } from '../ui.js';
import { usePaged } from '../use-api.js';

interface LedgerEvent {
  id: string;
  type: string;
  at: string;
  actor: string;
  subject: string;
  details: Record<string, unknown>;
}

/** Every event type's label: a type added to the ledger (core/ports.ts) must be named here. */
export const EVENT_TYPES: Record<EventType, string> = {
  'catalogue.created': '新设收费项目 item created',
  'catalogue.revised': '调整收费项目 item revised',
  'catalogue.status': '项目状态变更 item status',
  'catalogue.imported': '导入收费目录 catalogue imported',
  'range.allocated': '分配号段 range allocated',
  'range.closed': '关闭号段 range closed',
  'department.renamed': '部门更名 department renamed',
  'receipt.reversed': '冲红 receipt reversed',
  'charge.refused': '拒绝收费 charge refused',
  'alert.state': '预警处理 alert handled',
  'audit.read': '审计查阅 audit read',
  'audit.export': '导出任务 export job',
  'complaint.filed': '受理投诉 complaint filed',
  'complaint.read': '查阅投诉 complaint read',
  'complaint.replied': '答复投诉 complaint replied',
  'complaint.resolved': '办结投诉 complaint resolved',
  'complaint.contact_removed': '删除投诉联系方式 contact removed',
};

/** A value as read: a fee standard in yuan (`80.00 元`), other objects as JSON. */
function show(v: unknown): string {
  if (typeof v === 'string') return v;
  const standard = v as Standard | null;
  if (standard && (standard.type === 'fixed' || standard.type === 'range')) return standardText(standard);
  return JSON.stringify(v);
}

/** The fields of a before/after pair that differ, or null when the details are not one. */
function changes(details: Record<string, unknown>): [string, string, string][] | null {
  const { before, after } = details as {
    before?: Record<string, unknown> | null;
    after?: Record<string, unknown>;
  };
  if (!after || typeof after !== 'object') return null;
  const skip = new Set(['version', 'changedAt', 'changedBy', 'changeType']);
  return Object.keys(after)
    .filter((k) => !skip.has(k) && show(before?.[k]) !== show(after[k]))
    .map((k) => [k, before ? show(before[k] ?? '') : '', show(after[k])]);
}

function Details(props: { event: LedgerEvent }) {
  const { details } = props.event;
  const changed = changes(details);
  const rest = Object.entries(details).filter(([k]) => !changed || (k !== 'before' && k !== 'after'));
  return (
    <>
      {changed && changed.length > 0 && (
        <ul class="changes">
          {changed.map(([field, before, after]) => (
            <li key={field}>
              <span class="mono">{field}</span>: {before && <del>{before}</del>} → <ins>{after}</ins>
            </li>
          ))}
        </ul>
      )}
      {rest.length > 0 && (
        <dl class="event-details">
          {rest.map(([k, v]) => (
            <div key={k}>
              <dt class="mono">{k}</dt>
              <dd>{show(v).slice(0, 300)}</dd>
            </div>
          ))}
        </dl>
      )}
    </>
  );
}

/** The bureau-zone day of an event id (its instant). */
const dayOf = (id: string) => dateInZone(new Date(id.slice(0, 24)));

/** Keyed by `focus` where it is used: another event to show is a fresh screen. */
export function History(props: { focus?: string }) {
  const initial: Filters = props.focus ? { from: dayOf(props.focus), to: dayOf(props.focus) } : {};
  const [draft, setDraft] = useState<Filters>(initial);
  const [filters, setFilters] = useState<Filters>(initial);
  const list = usePaged<LedgerEvent>(
    queryOf(filters),
    (from) => `/v1/audit/events?${queryOf({ ...filters, limit: '100', cursor: from ?? undefined })}`,
  );
  const { items, loading, error } = list;

  // Without a type, the auditors' own reads (one per query) would bury the changes: choose
  // `audit.read` to see them.
  const shown = filters.type ? items : items.filter((e) => e.type !== 'audit.read');

  return (
    <section data-testid="history">
      <h1>
        <Bi zh="变更记录" en="Change history" />
      </h1>
      <FilterForm
        label="筛选 Filters"
        testId="event-filter"
        zh="筛选"
        en="Filter"
        onApply={() => setFilters(draft)}
      >
        <SelectField
          id="event-type"
          zh="类型"
          en="Type"
          value={draft.type}
          options={Object.entries(EVENT_TYPES)}
          all
          onValue={(type) => setDraft({ ...draft, type: type || undefined })}
        />
        <DateRange idPrefix="event" value={draft} onChange={(r) => setDraft({ ...draft, ...r })} />
      </FilterForm>
      <Failed message={error} />
      <ol class="event-list">
        {shown.map((e) => (
          <li
            key={e.id}
            id={`event-${e.id}`}
            class={e.id === props.focus ? 'event highlight' : 'event'}
            data-testid="event"
            data-type={e.type}
          >
            <p class="event__head">
              <strong>{EVENT_TYPES[e.type as EventType] ?? e.type}</strong> ·{' '}
              <span class="mono">{e.subject}</span> · {e.actor} ·{' '}
              <time dateTime={e.at}>{localTime(e.at)}</time>
            </p>
            <Details event={e} />
          </li>
        ))}
      </ol>
      {!loading && !error && shown.length === 0 && (
        <p class="muted">
          <Bi zh="此期间没有记录。" en="Nothing recorded in this period." />
        </p>
      )}
      <More list={list} zh="更早的记录" en="Older entries" />
    </section>
  );
}
