/**
 * The console's filter forms (the auditors' screens, the department's receipt list): what they
 * remember, a filter set as a query string, a date range.
 */

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { TextField } from './fields.js';
import { Bi } from './ui.js';

/** What a screen was showing, kept while the console is open (in memory only). */
const remembered = new Map<string, unknown>();

/**
 * State that outlives its screen: going from a search result to the receipt and back (or
 * from an alert to the event it names) finds the same filters and page.
 */
export function useRemembered<T>(key: string, initial: T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => (remembered.has(key) ? (remembered.get(key) as T) : initial));
  return [
    value,
    (next: T) => {
      remembered.set(key, next);
      setValue(next);
    },
  ];
}

/** Filter values as typed; an empty one is left out of the query. */
export type Filters = Record<string, string | undefined>;

export function queryOf(filters: Filters): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    const v = value?.trim();
    if (v) q.set(name, v);
  }
  return q.toString();
}

/** From and to (bureau-zone dates); the API's defaults (the last year) when left empty. */
export function DateRange(props: {
  idPrefix: string;
  value: Filters;
  onChange: (range: { from?: string; to?: string }) => void;
}) {
  return (
    <>
      <TextField
        id={`${props.idPrefix}-from`}
        zh="起始日期"
        en="From"
        type="date"
        value={props.value.from}
        onValue={(from) => props.onChange({ from: from || undefined })}
      />
      <TextField
        id={`${props.idPrefix}-to`}
        zh="截止日期"
        en="To"
        type="date"
        value={props.value.to}
        onValue={(to) => props.onChange({ to: to || undefined })}
      />
    </>
  );
}

/** A filter form: its fields, then the button that applies them (`testId`, `zh`, `en`). */
export function FilterForm(props: {
  label: string;
  onApply: () => void;
  testId: string;
  zh: string;
  en: string;
  children: ComponentChildren;
}) {
  return (
    <form
      class="filters"
      aria-label={props.label}
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply();
      }}
    >
      {props.children}
      <button type="submit" class="button" data-testid={props.testId}>
        <Bi zh={props.zh} en={props.en} />
      </button>
    </form>
  );
}
