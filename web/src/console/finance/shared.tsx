/**
 * What the finance bureau's screens share: loading an API answer, sending a form and showing
 * the API's own violations next to their fields (the rules and messages are the server's,
 * never restated here), and the labels of the catalogue's states.
 */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Bilingual, Exemption, Standard } from '../../format.js';
import { type ApiErrorBody, apiJson, type Violation } from '../api.js';
import { Bi } from '../ui.js';

export interface LegalBasis {
  title: string;
  number: string;
  issuer: string;
  date: string;
}

/** A version of a fee item as the API shows it (versionOut), with the basis of a status change. */
export interface ItemVersion {
  code: string;
  name: string;
  department: string;
  unit: string;
  standard: Standard;
  basis: LegalBasis[];
  fundManagement: string;
  validFrom: string;
  validTo: string | null;
  exemptions: Exemption[];
  status: 'active' | 'suspended' | 'abolished';
  version: number;
  effectiveFrom: string;
  changeType: 'create' | 'revise' | 'status' | 'import';
  changedBy: string;
  changedAt: string;
  reason: string;
  changeBasis?: LegalBasis;
}

export type ItemState = 'in_force' | 'not_yet_effective' | 'expired' | 'suspended' | 'abolished';

export const STATE: Record<ItemState, Bilingual> = {
  in_force: ['执行中', 'In force'],
  not_yet_effective: ['尚未施行', 'Not yet in force'],
  expired: ['已到期', 'Expired'],
  suspended: ['已暂停', 'Suspended'],
  abolished: ['已取消', 'Abolished'],
};

export const STATUS: Record<ItemVersion['status'], Bilingual> = {
  active: ['正常', 'Active'],
  suspended: ['暂停', 'Suspended'],
  abolished: ['取消', 'Abolished'],
};

export const CHANGE_TYPE: Record<ItemVersion['changeType'], Bilingual> = {
  create: ['新设', 'Created'],
  revise: ['修订', 'Revised'],
  status: ['状态变更', 'Status changed'],
  import: ['导入', 'Imported'],
};

export function Label(props: { text: Bilingual }) {
  return <Bi zh={props.text[0]} en={props.text[1]} />;
}

/** A moment as the bureau reads it: its own zone, 24-hour clock. */
export function when(iso: string): string {
  return new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}

/** An API read: loading, its answer, or why it failed; `reload` reads again. */
export function useApi<T>(path: string | null) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [count, setCount] = useState(0);
  useEffect(() => {
    if (!path) return;
    let current = true;
    setError(null);
    apiJson<T & ApiErrorBody>(path).then(
      (answer) => {
        if (!current) return;
        if (answer.status === 200) setData(answer.body);
        else setError(answer.body?.message ?? `HTTP ${answer.status}`);
      },
      () => current && setError('网络错误 Network error'),
    );
    return () => {
      current = false;
    };
  }, [path, count]);
  const reload = useCallback(() => setCount((c) => c + 1), []);
  return { data, error, reload };
}

export function LoadError(props: { error: string | null }) {
  return props.error ? (
    <p class="notice notice--error" role="alert">
      {props.error}
    </p>
  ) : null;
}

/** What a form's submission came to: the answer, or the API's refusal with its violations. */
export type Sent<T> = { ok: true; body: T } | { ok: false; message: string; violations: Violation[] };

export async function send<T>(method: string, path: string, body: unknown): Promise<Sent<T>> {
  try {
    const answer = await apiJson<T & ApiErrorBody>(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (answer.status >= 200 && answer.status < 300) return { ok: true, body: answer.body };
    return {
      ok: false,
      message: answer.body?.message ?? `HTTP ${answer.status}`,
      violations: answer.body?.details ?? [],
    };
  } catch {
    return { ok: false, message: '网络错误，请重试。Network error: try again.', violations: [] };
  }
}

/** The attributes a field's control needs to be tied to its label and its errors. */
export interface FieldControl {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby'?: string;
}

/**
 * A labelled field whose control gets the API's violations of `path` right under it (and is
 * marked invalid, and described by them).
 */
export function Field(props: {
  id: string;
  zh: string;
  en: string;
  path: string;
  violations: Violation[];
  hint?: string;
  children: (control: FieldControl) => ComponentChildren;
}) {
  const mine = props.violations.filter((v) => v.path === props.path);
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
        'aria-invalid': mine.length > 0,
        ...(described ? { 'aria-describedby': described } : {}),
      })}
      {props.hint && (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {mine.length > 0 && (
        <p class="field-error" id={errorId} data-testid="field-error" data-path={props.path}>
          {mine.map((v) => v.message).join('；')}
        </p>
      )}
    </div>
  );
}

/** A refused form's message, and the violations that no field shows (e.g. a 409). */
export function FormError(props: { sent: Sent<unknown> | null; shown: (path: string) => boolean }) {
  const { sent } = props;
  if (!sent || sent.ok) return null;
  const rest = sent.violations.filter((v) => !props.shown(v.path));
  return (
    <div class="notice notice--error" role="alert" data-testid="form-error">
      <p>{sent.message}</p>
      {rest.length > 0 && (
        <ul>
          {rest.map((v) => (
            <li key={v.path + v.rule}>
              {v.path}: {v.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A list of legal bases as text: title, number, issuer, date. */
export function basisText(b: LegalBasis): string {
  return `《${b.title}》（${b.number}，${b.issuer}，${b.date}）`;
}
