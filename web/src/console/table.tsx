/** The console's tables: headed columns in a scrolling wrapper, and a list's "more" button. */
import type { ComponentChildren } from 'preact';
import { Bi, Loading } from './ui.js';

export interface Column {
  zh: string;
  en: string;
  /** Figures: right-aligned. */
  num?: boolean;
}

/** A table of `columns`; its caption is for screen readers only unless `showCaption`. */
export function DataTable(props: {
  caption: ComponentChildren;
  showCaption?: boolean;
  columns: Column[];
  class?: string;
  testId?: string;
  children: ComponentChildren;
}) {
  return (
    <div class="table-wrap">
      <table class={props.class ?? 'data-table'} data-testid={props.testId}>
        <caption class={props.showCaption ? undefined : 'visually-hidden'}>{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.en} scope="col" class={c.num ? 'num' : undefined}>
                <Bi zh={c.zh} en={c.en} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

/** Below a list read a page at a time (usePaged): loading, or the button that reads the next page. */
export function More(props: {
  list: { cursor: string | null; loading: boolean; more: () => unknown };
  zh: string;
  en: string;
}) {
  const { list } = props;
  if (list.loading) return <Loading />;
  return list.cursor ? (
    <button type="button" class="button button--secondary" onClick={() => list.more()}>
      <Bi zh={props.zh} en={props.en} />
    </button>
  ) : null;
}
