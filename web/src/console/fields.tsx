/**
 * The console's form fields: a label (Chinese, then English), the control, a hint, and the
 * API's violations of the field's `path` right under it (the rules and messages are the
 * server's, never restated here: errors.ts puts them in Chinese beside the server's English).
 * Filter forms have no path: nothing to show but the label.
 */
import type { ComponentChildren, Ref } from 'preact';
import type { Violation } from './api.js';
import { violationWords } from './errors.js';
import { Said } from './refusal.js';
import { Bi } from './ui.js';

/** The attributes a field's control needs to be tied to its label and its errors. */
export interface FieldControl {
  id: string;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}

interface Labelled {
  id: string;
  zh: string;
  en: string;
  /** The request's path whose violations this field shows. */
  path?: string;
  violations?: Violation[];
  hint?: string;
}

/**
 * A labelled field around any control (`children` gets the control's attributes); `after`, under
 * its errors (what the field offers to mend them).
 */
export function Field(
  props: Labelled & { children: (control: FieldControl) => ComponentChildren; after?: ComponentChildren },
) {
  const mine = props.path ? (props.violations ?? []).filter((v) => v.path === props.path) : [];
  const errorId = `${props.id}-error`;
  const hintId = `${props.id}-hint`;
  const described = [props.hint ? hintId : '', mine.length ? errorId : ''].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={props.id}>
        <Bi zh={props.zh} en={props.en} />
      </label>
      {props.children({
        id: props.id,
        ...(props.path ? { 'aria-invalid': mine.length > 0 } : {}),
        ...(described ? { 'aria-describedby': described } : {}),
      })}
      {props.hint && (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {mine.length > 0 && (
        <p class="field-error" id={errorId} data-testid="field-error" data-path={props.path}>
          {mine.map((v, i) => (
            <span key={`${i}-${v.rule}`}>
              {i > 0 && '；'}
              <Said words={violationWords(v)} />
            </span>
          ))}
        </p>
      )}
      {props.after}
    </div>
  );
}

/**
 * A text (or date) input in a Field. Where the API's refusal offers a value the rule would accept
 * (a violation's `suggestion`: a date after a scheduled version), a button puts it in the field.
 */
export function TextField(
  props: Labelled & {
    value: string | undefined;
    onValue: (v: string) => void;
    type?: 'text' | 'date';
    inputMode?: 'decimal' | 'numeric' | 'text';
    testId?: string;
    inputRef?: Ref<HTMLInputElement>;
  },
) {
  const suggested = props.path
    ? props.violations?.find((v) => v.path === props.path && v.suggestion && v.suggestion !== props.value)
        ?.suggestion
    : undefined;
  return (
    <Field
      {...props}
      after={
        suggested && (
          <button
            type="button"
            class="button button--secondary field-suggestion"
            data-testid={`${props.id}-suggestion`}
            onClick={() => props.onValue(suggested)}
          >
            <Bi zh={`改用 ${suggested}`} en={`Use ${suggested}`} />
          </button>
        )
      }
    >
      {(c) => {
        const input = {
          ...c,
          inputMode: props.inputMode,
          value: props.value ?? '',
          'data-testid': props.testId,
          ref: props.inputRef,
          onInput: (e: { currentTarget: HTMLInputElement }) => props.onValue(e.currentTarget.value),
        };
        // Two branches: preact types a date input apart from a text one.
        return props.type === 'date' ? <input {...input} type="date" /> : <input {...input} type="text" />;
      }}
    </Field>
  );
}

/** A select in a Field; `all` puts "全部 All" (no filter: the empty value) first. */
export function SelectField(
  props: Labelled & {
    value: string | undefined;
    options: [value: string, label: string][];
    onValue: (v: string) => void;
    all?: boolean;
    testId?: string;
  },
) {
  return (
    <Field {...props}>
      {(c) => (
        <select
          {...c}
          value={props.value ?? ''}
          data-testid={props.testId}
          onChange={(e) => props.onValue(e.currentTarget.value)}
        >
          {props.all && <option value="">全部 All</option>}
          {props.options.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
