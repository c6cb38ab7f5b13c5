/**
 * The cashier's charge form as data: the draft kept in sessionStorage (so that signing in
 * again loses nothing, and the form keeps its one Idempotency-Key until it is issued), and
 * the request body it makes. A fixed standard's amount is computed with the server's own rule
 * (core/charge.ts allowedAmounts, exemptions included), never restated here; the server's
 * charge check has the last word.
 */

import type {
  Exemption as CoreExemption,
  Standard as CoreStandard,
} from '../../../lambdas/core/catalogue.js';
import { allowedAmounts, CHARGE_RULES, MAX_QUANTITY } from '../../../lambdas/core/charge.js';
import { formatYuan, parseYuan } from '../../../lambdas/core/money.js';
import type { Exemption, Standard } from '../format.js';
import type { Words } from './errors.js';

/** A fee item as the public catalogue lists it (amounts in yuan strings). */
export interface Item {
  code: string;
  name: string;
  department: string;
  unit: string;
  standard: Standard;
  exemptions: Exemption[];
}

export interface DraftLine {
  itemCode: string;
  /** As typed. */
  quantity: string;
  /** As typed; used for range standards only (a fixed standard's amount is computed). */
  amount: string;
  /** The `who` of the exemption chosen, or ''. */
  exemption: string;
}

export interface Draft {
  /** The form's one Idempotency-Key: a retry or a double click never makes two receipts. */
  key: string;
  payer: { type: 'person' | 'unit'; name: string; idNumber: string };
  lines: DraftLine[];
  remark: string;
}

export const newDraft = (): Draft => ({
  key: `console-${crypto.randomUUID()}`,
  payer: { type: 'person', name: '', idNumber: '' },
  lines: [],
  remark: '',
});

const storageKey = (department: string) => `feeproof.console.charge-draft.${department}`;

export function loadDraft(department: string): Draft {
  try {
    const saved = JSON.parse(sessionStorage.getItem(storageKey(department)) ?? 'null') as Draft | null;
    if (saved && typeof saved.key === 'string' && Array.isArray(saved.lines)) return saved;
  } catch {
    // a damaged draft is dropped
  }
  return newDraft();
}

export function saveDraft(department: string, draft: Draft): void {
  sessionStorage.setItem(storageKey(department), JSON.stringify(draft));
}

export function clearDraft(department: string): void {
  sessionStorage.removeItem(storageKey(department));
}

function toCoreStandard(s: Standard): CoreStandard | null {
  if (s.type === 'fixed') {
    const amount = parseYuan(s.amount ?? '');
    return amount === null ? null : { type: 'fixed', amount };
  }
  const [min, max] = [parseYuan(s.min ?? ''), parseYuan(s.max ?? '')];
  return min === null || max === null ? null : { type: 'range', min, max };
}

function toCoreExemption(e: Exemption | undefined): CoreExemption | undefined {
  if (!e) return undefined;
  if (e.kind === 'percent') return { who: e.who, kind: 'percent', percent: e.percent ?? 0 };
  if (e.kind === 'amount') return { who: e.who, kind: 'amount', amount: parseYuan(e.amount ?? '') ?? 0 };
  return { who: e.who, kind: 'waive' };
}

/**
 * A number or code as a person typed it, as the API reads it: a Chinese input method's
 * full-width digits, letters and point (１２．５０) as ASCII (NFKC), no spaces around it.
 * Names and texts are sent as typed: NFKC would change a name's full-width brackets.
 */
const typed = (text: string) => text.normalize('NFKC').trim();

/** An ID number as typed: as `typed`, without inner spaces, letters uppercase (a check digit x as X). */
const typedIdNumber = (text: string) => typed(text).replace(/\s+/g, '').toUpperCase();

/** A whole quantity from 1 on, or null. */
export function quantityOf(line: DraftLine): number | null {
  const text = typed(line.quantity);
  const quantity = Number(text);
  return /^\d{1,7}$/.test(text) && quantity >= 1 && quantity <= MAX_QUANTITY ? quantity : null;
}

/** The amounts a line may carry, `[min, max]` in yuan (one value for a fixed standard), or null. */
export function amountRange(item: Item, line: DraftLine): [string, string] | null {
  const quantity = quantityOf(line);
  const standard = toCoreStandard(item.standard);
  if (quantity === null || !standard) return null;
  const exemption = toCoreExemption(item.exemptions.find((e) => e.who === line.exemption));
  const [min, max] = allowedAmounts(standard, quantity, exemption);
  return [formatYuan(min), formatYuan(max)];
}

/**
 * What the cashier is told at a line's quantity before anything is sent: the rule it breaks (the
 * server's, MAX_QUANTITY included), or null.
 */
export function quantityProblem(line: DraftLine): Words | null {
  const most = MAX_QUANTITY.toLocaleString('en-US');
  return quantityOf(line) === null
    ? { zh: `数量须为 1 至 ${most} 的整数`, en: `The quantity must be a whole number from 1 to ${most}` }
    : null;
}

/**
 * A range item's line with no amount typed: the amounts it may carry (for its quantity and
 * exemption, or the catalogue's standard while the quantity is wrong). A guide only: the
 * server's check has the last word on any amount typed.
 */
export function amountNeeded(item: Item, line: DraftLine): Words | null {
  if (item.standard.type !== 'range' || typed(line.amount) !== '') return null;
  const [min, max] = amountRange(item, line) ?? [item.standard.min ?? '', item.standard.max ?? ''];
  return {
    zh: `此项目须填写金额：${min} – ${max} 元`,
    en: `This item needs an amount between ${min} and ${max} yuan`,
  };
}

/** What a line charges: computed for a fixed standard, as typed for a range. */
export function lineAmount(item: Item, line: DraftLine): string {
  if (item.standard.type !== 'fixed') return typed(line.amount);
  return amountRange(item, line)?.[0] ?? '';
}

/**
 * The body of POST /v1/receipts (and of the dry run, which takes the same body). The dry run
 * may run before the payer is named: it then carries a placeholder name, since the payer
 * changes nothing in the computed lines.
 */
export function chargeBody(draft: Draft, items: ReadonlyMap<string, Item>, forCheck = false) {
  const name = draft.payer.name.trim();
  const idNumber = typedIdNumber(draft.payer.idNumber);
  return {
    payer: {
      type: draft.payer.type,
      name: name || (forCheck ? '（未填写）' : ''),
      ...(idNumber ? { idNumber } : {}),
    },
    lines: draft.lines.map((l) => {
      const item = items.get(l.itemCode);
      return {
        itemCode: l.itemCode,
        quantity: quantityOf(l) ?? 0,
        amount: item ? lineAmount(item, l) : typed(l.amount),
        ...(l.exemption ? { exemption: l.exemption } : {}),
      };
    }),
    ...(draft.remark.trim() ? { remark: draft.remark.trim() } : {}),
  };
}

/**
 * What a search that found none of this department's items says: that the code is another
 * department's item (the server would refuse it as such), naming who collects it (by the
 * printed name in `names` when known), or that nothing in force matches.
 */
export function noMatch(
  all: readonly Item[],
  department: string,
  query: string,
  names: ReadonlyMap<string, string> = new Map(),
): Words | null {
  const code = query.trim().toUpperCase();
  if (!code) return null;
  const other = all.find((i) => i.code.toUpperCase() === code && i.department !== department);
  if (!other)
    return { zh: '本部门现行收费项目中没有匹配项', en: 'No item of this department in force matches' };
  const rule = CHARGE_RULES.wrong_department;
  const name = names.get(other.department);
  const collector = name ? `${name} (${other.department})` : other.department;
  return {
    zh: `${other.code} ${other.name}：${rule.zh}（由 ${collector} 收取）`,
    en: `${other.code} is ${rule.en}: ${collector} collects it, not ${department}`,
  };
}

/** Items matching a search by code or name (case-insensitive), codes first. */
export function searchItems(items: readonly Item[], query: string, limit = 8): Item[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const byCode = items.filter((i) => i.code.toLowerCase().includes(q));
  const byName = items.filter((i) => !byCode.includes(i) && i.name.toLowerCase().includes(q));
  return [...byCode, ...byName].slice(0, limit);
}
