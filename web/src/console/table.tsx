/** The console's tables: headed columns in a scrolling wrapper, and a list's "more" button. */
import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import { Bi, Loading } from './ui.js';

export interface Column {
  zh: string;
  en: string;
  /** Figures: right-aligned. */
  num?: boolean;
}

/**
 * A table's wrapper, which scrolls sideways when the table is wider than the screen (cells keep
 * codes, figures and short labels whole: console.css `.data-table`). It takes the keyboard, so
 * that arrow keys can scroll it, and is a region named by the table's caption (`captionId`).
 */
export function TableScroll(props: { captionId: string; children: ComponentChildren }) {
  return (
    // A named section is a region. It scrolls, so it must take the keyboard (WCAG 2.1.1; axe
    // scrollable-region-focusable), though the linter would keep sections out of the tab order.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region takes the keyboard
    <section class="table-wrap" tabIndex={0} aria-labelledby={props.captionId}>
      {props.children}
    </section>
  );
}

/** A table of `columns`; its caption is for screen readers only unless `showCaption`. */
export function DataTable(props: {
  caption: ComponentChildren;
  showCaption?: boolean;
  columns: Column[];
  /** Classes added to `data-table`. */
  class?: string;
  testId?: string;
  children: ComponentChildren;
}) {
  const captionId = useId();
  return (
    <TableScroll captionId={captionId}>
      <table class={props.class ? `data-table ${props.class}` : 'data-table'} data-testid={props.testId}>
        <caption id={captionId} class={props.showCaption ? undefined : 'visually-hidden'}>
          {props.caption}
        </caption>
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
    </TableScroll>
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
