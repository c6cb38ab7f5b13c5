/**
 * What the finance bureau's screens share: sending a form and showing the API's violations that
 * no field shows (fields.tsx shows the others), and the labels of the catalogue's states.
 */
import { useRef } from 'preact/hooks';
import type { Bilingual, Exemption, Standard } from '../../format.js';
import { type ApiErrorBody, apiJson } from '../api.js';
import { NETWORK_ERROR_WORDS, type Refusal, refusalOf } from '../errors.js';
import { RefusalWords } from '../refusal.js';
import { Bi, useFocusOn } from '../ui.js';

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

/** What a form's submission came to: the answer, or the API's refusal with its violations. */
export type Sent<T> = { ok: true; body: T } | ({ ok: false } & Refusal);

export async function send<T>(method: string, path: string, body: unknown): Promise<Sent<T>> {
  try {
    const answer = await apiJson<T & ApiErrorBody>(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (answer.status >= 200 && answer.status < 300) return { ok: true, body: answer.body };
    return { ok: false, ...refusalOf(answer.status, answer.body) };
  } catch {
    return {
      ok: false,
      headline: NETWORK_ERROR_WORDS,
      violations: [],
    };
  }
}

/**
 * A refused form's message, and the violations that no field shows (e.g. a 409). Each refusal
 * takes the keyboard here (the submit button was disabled while sending) and into view.
 */
export function FormError(props: { sent: Sent<unknown> | null; shown: (path: string) => boolean }) {
  const { sent } = props;
  const summary = useRef<HTMLDivElement>(null);
  useFocusOn(summary, sent && !sent.ok && sent);
  if (!sent || sent.ok) return null;
  const rest = sent.violations.filter((v) => !props.shown(v.path));
  return (
    <div class="notice notice--error" role="alert" data-testid="form-error" tabIndex={-1} ref={summary}>
      <RefusalWords refusal={{ headline: sent.headline, violations: rest }} />
    </div>
  );
}

/** A list of legal bases as text: title, number, issuer, date. */
export function basisText(b: LegalBasis): string {
  return `《${b.title}》（${b.number}，${b.issuer}，${b.date}）`;
}
