/**
 * Checking by the printed code, number and check code: the form, and the check itself, which
 * the QR flow (by-qr.ts) also runs with the QR code's evidence.
 */
import type { VerifyAnswer } from '../../../lambdas/handlers/verify.js';
import { apiUrl, getJson, retryAfterSeconds } from '../api.js';
import { bi, byId } from '../dom.js';
import type { OfflineResult, QrParams } from '../qr-signature.js';
import { checkFields, FIELD_RULES, type FieldName, type ReceiptFields } from './fields.js';
import { checkInLog } from './log.js';
import {
  beginCheck,
  clearResult,
  renderOffline,
  renderReceipt,
  renderVerdict,
  setFormBusy,
  showVerdict,
} from './render.js';
import { CHECKING, type NumbersOutcome, numbersVerdict, offlineNote, type QrEvidence } from './verdict.js';

const form = byId<HTMLFormElement>('verify-form');
const inputs: Record<FieldName, HTMLInputElement> = {
  code: byId<HTMLInputElement>('code'),
  number: byId<HTMLInputElement>('number'),
  checkCode: byId<HTMLInputElement>('check-code'),
};

/** Reads the form, marking malformed fields with their message and writing back the normalised values. */
export function readFields(): { values: ReceiptFields; invalid: FieldName[] } {
  const checked = checkFields({
    code: inputs.code.value,
    number: inputs.number.value,
    checkCode: inputs.checkCode.value,
  });
  for (const name of Object.keys(inputs) as FieldName[]) {
    const input = inputs[name];
    const error = byId(`${input.id}-error`);
    const ok = !checked.invalid.includes(name);
    input.setAttribute('aria-invalid', String(!ok));
    error.hidden = ok;
    error.replaceChildren(ok ? '' : bi(...FIELD_RULES[name].message));
    if (ok) input.value = checked.values[name];
  }
  return checked;
}

export function fillFields(values: ReceiptFields): void {
  for (const name of Object.keys(inputs) as FieldName[]) inputs[name].value = values[name];
}

/** A QR code's fields and its offline signature check, run once the check has begun. */
export interface QrSource {
  params: Partial<QrParams>;
  checkOffline: () => Promise<OfflineResult>;
}

/** Checks a receipt by its fields (from the form, or from a QR code's URL with its signature). */
export async function verifyByNumbers(values: ReceiptFields, qr: QrSource | null, userStarted: boolean) {
  const current = beginCheck(qr ? bi('扫描二维码', 'QR code') : bi('票面信息', 'receipt details'));
  renderVerdict(CHECKING);
  setFormBusy(true);

  let evidence: QrEvidence | null = null;
  if (qr) {
    renderOffline('checking');
    const offline = await qr.checkOffline();
    if (!current()) return;
    renderOffline(offlineNote(offline));
    evidence = { params: qr.params, offline };
  }

  let outcome: NumbersOutcome;
  let answer: VerifyAnswer | null = null;
  try {
    const res = await getJson<VerifyAnswer>(apiUrl('v1/verify', { ...values }));
    if (!current()) return;
    if (res.status === 200) answer = res.body;
    outcome = numbersVerdict({ ...res, retryAfter: retryAfterSeconds(res.headers) }, evidence);
  } catch {
    if (!current()) return;
    outcome = numbersVerdict(null, evidence);
  }
  setFormBusy(false);
  renderReceipt(outcome.receipt, { checks: outcome.checks });
  showVerdict(outcome.verdict, { focus: userStarted });
  // Then the receipt's place in the public log, checked here (genuine and tampered answers alike).
  await checkInLog(answer, values, current);
}

export function startByNumbers(): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const { values, invalid } = readFields();
    if (invalid.length) {
      // Not the receipt the last result is about: a genuine verdict must not stay beside it.
      clearResult();
      inputs[invalid[0]!].focus();
      return;
    }
    // A check typed by hand is not the QR code the page may have been opened with.
    if (location.search) history.replaceState(null, '', location.pathname);
    void verifyByNumbers(values, null, true);
  });
}
