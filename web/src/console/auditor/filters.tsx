/** The auditors' filter forms: labelled fields, and a filter set as a query string. */
import { useState } from 'preact/hooks';
import { Bi } from '../ui.js';

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

export function TextField(props: {
  id: string;
  zh: string;
  en: string;
  value: string | undefined;
  onInput: (v: string) => void;
  type?: 'text' | 'date';
  inputMode?: 'decimal' | 'text';
  testId?: string;
}) {
  return (
    <div class="field">
      <label for={props.id}>
        <Bi zh={props.zh} en={props.en} />
      </label>
      {props.type === 'date' ? (
        <input
          id={props.id}
          type="date"
          value={props.value ?? ''}
          data-testid={props.testId}
          onInput={(e) => props.onInput(e.currentTarget.value)}
        />
      ) : (
        <input
          id={props.id}
          type="text"
          inputMode={props.inputMode}
          value={props.value ?? ''}
          data-testid={props.testId}
          onInput={(e) => props.onInput(e.currentTarget.value)}
        />
      )}
    </div>
  );
}

export function SelectField(props: {
  id: string;
  zh: string;
  en: string;
  value: string | undefined;
  options: [value: string, label: string][];
  onChange: (v: string) => void;
}) {
  return (
    <div class="field">
      <label for={props.id}>
        <Bi zh={props.zh} en={props.en} />
      </label>
      <select id={props.id} value={props.value ?? ''} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">全部 All</option>
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
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
        onInput={(from) => props.onChange({ from: from || undefined })}
      />
      <TextField
        id={`${props.idPrefix}-to`}
        zh="截止日期"
        en="To"
        type="date"
        value={props.value.to}
        onInput={(to) => props.onChange({ to: to || undefined })}
      />
    </>
  );
}
