/** The three printed fields of a receipt, as typed or as given by a link. Pure: no DOM. */
import type { Bilingual } from '../format.js';

export interface ReceiptFields {
  code: string;
  number: string;
  checkCode: string;
}

export type FieldName = keyof ReceiptFields;

/** Full-width digits and letters (as Chinese input methods type them) to ASCII, spaces removed. */
export function normalise(value: string): string {
  return value
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\s\u3000-]/g, '');
}

export const FIELD_RULES: Record<FieldName, { pattern: RegExp; message: Bilingual }> = {
  code: { pattern: /^\d{8}$/, message: ['票据代码应为 8 位数字。', 'The receipt code is 8 digits.'] },
  number: { pattern: /^\d{10}$/, message: ['票据号码应为 10 位数字。', 'The receipt number is 10 digits.'] },
  checkCode: {
    pattern: /^[0-9A-Z]{6}$/,
    message: ['校验码应为 6 位字母或数字。', 'The check code is 6 letters or digits.'],
  },
};

/** The fields normalised (the check code in capitals), and the names of those still malformed, in form order. */
export function checkFields(raw: ReceiptFields): { values: ReceiptFields; invalid: FieldName[] } {
  const values: ReceiptFields = {
    code: normalise(raw.code),
    number: normalise(raw.number),
    checkCode: normalise(raw.checkCode).toUpperCase(),
  };
  const invalid = (Object.keys(FIELD_RULES) as FieldName[]).filter(
    (name) => !FIELD_RULES[name].pattern.test(values[name]),
  );
  return { values, invalid };
}

/** The fields a link (a QR code's URL) gives, or null when it gives none. */
export function fieldsOfUrl(search: URLSearchParams): ReceiptFields | null {
  const given = {
    code: search.get('code') ?? '',
    number: search.get('number') ?? '',
    checkCode: search.get('checkCode') ?? '',
  };
  return given.code || given.number || given.checkCode ? given : null;
}
