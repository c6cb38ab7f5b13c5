/** A refusal's words on screen (errors.ts says what they are): Chinese, then the English marked as such. */
import type { Violation } from './api.js';
import { type Refusal, violationWords, type Words } from './errors.js';

/** `中文 / English`, or the English alone when there is no Chinese. */
export function Said(props: { words: Words }) {
  const { zh, en } = props.words;
  return (
    <>
      {zh && `${zh} / `}
      <span lang="en">{en}</span>
    </>
  );
}

/** A refusal: its headline, then its violations (those no field shows, when fields show some). */
export function RefusalWords(props: { refusal: Refusal }) {
  const { headline, violations } = props.refusal;
  return (
    <>
      <p data-testid="refusal-headline">
        <Said words={headline} />
      </p>
      {violations.length > 0 && <ViolationList violations={violations} />}
    </>
  );
}

/** Violations, one item each. */
export function ViolationList(props: { violations: Violation[]; class?: string }) {
  return (
    <ul class={props.class}>
      {props.violations.map((v, i) => (
        <li key={`${i}-${v.path}-${v.rule}`}>
          <Said words={violationWords(v)} />
        </li>
      ))}
    </ul>
  );
}
