/** Labels and formats shared by the pages, Chinese with English. */

export type Bilingual = readonly [zh: string, en: string];

/** `80.00` -> `80.00 元`; amounts stay the decimal strings the API gives. */
export function yuan(amount: string): string {
  return `${amount} 元`;
}

export interface Standard {
  type: 'fixed' | 'range';
  amount?: string;
  min?: string;
  max?: string;
}

export function standardText(standard: Standard): string {
  return standard.type === 'fixed' ? yuan(standard.amount ?? '') : `${standard.min} – ${standard.max} 元`;
}

export const FUND_MANAGEMENT: Record<string, Bilingual> = {
  treasury: ['缴入国库', 'Treasury'],
  special_account: ['缴入财政专户', 'Special fiscal account'],
};

export interface Exemption {
  who: string;
  kind: 'waive' | 'percent' | 'amount';
  percent?: number;
  amount?: string;
}

/** What an exemption grants: waived, reduced by a percentage, or charged at most an amount. */
export function exemptionText(e: Exemption): Bilingual {
  switch (e.kind) {
    case 'waive':
      return ['免收', 'waived'];
    case 'percent':
      return [`减收 ${e.percent}%`, `${e.percent}% off`];
    case 'amount':
      return [`按 ${e.amount} 元收取`, `charged ${e.amount} yuan`];
    default:
      return [String((e as { kind: unknown }).kind), ''];
  }
}

export const PAYER_TYPE: Record<string, Bilingual> = {
  person: ['个人', 'person'],
  unit: ['单位', 'organisation'],
};

/** A date `YYYY-MM-DD` in the browser's own calendar (used only before the server has said what today is). */
export function localToday(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function isIsoDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}
