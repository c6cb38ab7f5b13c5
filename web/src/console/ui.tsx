/** Small shared pieces of the console. */
import type { ComponentChildren, RefObject } from 'preact';
import { useEffect } from 'preact/hooks';
import { usePdfUrl } from './use-api.js';

/** Chinese first, then English (marked as such for screen readers). */
export function Bi(props: { zh: string; en: string }) {
  return (
    <>
      {props.zh} <span lang="en">{props.en}</span>
    </>
  );
}

/**
 * Takes the keyboard to `ref`'s element (give it tabIndex={-1} unless it takes focus anyway)
 * and scrolls it into view, each time `when` changes to something truthy: a refused submit's
 * error summary, what a finished action left. A submit button disabled while sending drops the
 * focus to the page, and the summary may be scrolled off the screen.
 */
export function useFocusOn(ref: RefObject<HTMLElement | null>, when: unknown): void {
  useEffect(() => {
    const el = ref.current;
    if (!when || !el) return;
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: 'nearest' });
  }, [when]);
}

/** Loading and error lines every screen shows the same way. */
export function Loading() {
  return (
    <p class="muted" role="status">
      <Bi zh="正在读取……" en="Loading…" />
    </p>
  );
}

export function Failed(props: { message: string | null }) {
  return props.message ? (
    <p class="notice notice--error" role="alert">
      {props.message}
    </p>
  ) : null;
}

/** Why a read failed, or that it is still loading (`done`: its answer is in). */
export function ReadState(props: { error: string | null; done: boolean }) {
  if (props.error) return <Failed message={props.error} />;
  return props.done ? null : <Loading />;
}

/** One labelled fact of a `<dl class="facts">`. */
export function Fact(props: {
  zh: string;
  en: string;
  children: ComponentChildren;
  testId?: string;
  mono?: boolean;
}) {
  return (
    <div class="fact">
      <dt>
        <Bi zh={props.zh} en={props.en} />
      </dt>
      <dd class={props.mono ? 'mono' : undefined} data-testid={props.testId}>
        {props.children}
      </dd>
    </div>
  );
}

/** A receipt's PDF (see usePdfUrl) as a button that opens it, or why it is not there yet. */
export function PdfLink(props: {
  path: string | null;
  label: { zh: string; en: string };
  unavailable: string;
}) {
  const pdf = usePdfUrl(props.path);
  return pdf.url ? (
    <a class="button" href={pdf.url} target="_blank" rel="noopener" data-testid="pdf-link">
      <Bi zh={props.label.zh} en={props.label.en} />
    </a>
  ) : (
    <span class="muted" role="status">
      {pdf.failed ? props.unavailable : '正在准备 PDF… Preparing the PDF…'}
    </span>
  );
}
