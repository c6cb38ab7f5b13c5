import type { Exemption, FundManagement, ItemVersion, Standard } from './catalogue.js';
import { inForceProblem, standardText, versionAsOf } from './catalogue.js';
import type { IsoDate } from './dates.js';
import type { Violation } from './errors.js';
import type { Fen } from './money.js';
import { formatYuan, MAX_FEN } from './money.js';

export const MAX_QUANTITY = 1_000_000;

export interface ChargeLine {
  itemCode: string;
  quantity: number;
  amount: Fen;
  /** The `who` of an exemption of the item that this payer qualifies for. */
  exemption?: string;
}

/** A line as it will be printed on the receipt: everything copied from the version in force. */
export interface ChargedLine {
  itemCode: string;
  itemVersion: number;
  name: string;
  unit: string;
  quantity: number;
  standard: string;
  amount: Fen;
  fundManagement: FundManagement;
  exemption?: string;
}

/**
 * Every rule a charge can break, with the words an auditor reads: alerts and their messages
 * name a rule by these labels, never by its code.
 */
export const CHARGE_RULES = {
  charge_date_in_future: { zh: '收费日期晚于今天', en: 'charge date in the future' },
  charge_date_too_old: { zh: '收费日期超出补开期限', en: 'charge date older than allowed' },
  no_lines: { zh: '没有收费明细', en: 'no charge lines' },
  unknown_item: { zh: '收费项目不在目录内', en: 'item not in the catalogue' },
  not_yet_effective: { zh: '收费项目尚未生效', en: 'item not yet in force' },
  expired: { zh: '收费项目已过有效期', en: 'item expired' },
  suspended: { zh: '收费项目已暂停', en: 'item suspended' },
  abolished: { zh: '收费项目已取消', en: 'item abolished' },
  wrong_department: { zh: '非本部门的收费项目', en: "another department's item" },
  bad_quantity: { zh: '数量不正确', en: 'bad quantity' },
  bad_amount: { zh: '金额不是整分', en: 'amount not in whole fen' },
  exemption_not_applicable: { zh: '减免不适用', en: 'exemption not applicable' },
  amount_mismatch: { zh: '金额与收费标准不符', en: 'amount differs from the standard' },
  amount_out_of_range: { zh: '金额超出收费标准范围', en: 'amount outside the standard range' },
  total_too_large: { zh: '合计金额超出票据上限', en: 'total above what a receipt holds' },
} as const satisfies Record<string, { zh: string; en: string }>;

export type ChargeRule = keyof typeof CHARGE_RULES;

/** A violation of one of the charge rules: its rule always has a label. */
export interface ChargeViolation extends Violation {
  rule: ChargeRule;
}

export type ChargeResult =
  | { ok: true; lines: ChargedLine[]; total: Fen }
  | { ok: false; violations: ChargeViolation[] };

export interface ChargeRequest {
  department: string;
  chargeDate: IsoDate;
  lines: ChargeLine[];
}

const IN_FORCE_MESSAGES = {
  not_yet_effective: 'is not yet in force on the charge date',
  expired: 'had expired by the charge date',
  suspended: 'is suspended on the charge date',
  abolished: 'is abolished on the charge date',
} as const;

const DAY_MS = 86_400_000;
const daysBefore = (date: IsoDate, days: number): IsoDate =>
  new Date(Date.parse(`${date}T00:00:00Z`) - days * DAY_MS).toISOString().slice(0, 10);

/**
 * The charge date's own rule, checked before the catalogue: never after today (a receipt
 * cannot precede its charge), and at most `maxAgeDays` before it (a late receipt is allowed
 * for a while, not back-dating into any past; the alerts flag every late one).
 */
export function chargeDateViolations(
  chargeDate: IsoDate,
  today: IsoDate,
  maxAgeDays: number,
): ChargeViolation[] {
  if (chargeDate > today)
    return [
      {
        path: 'chargeDate',
        rule: 'charge_date_in_future',
        message: `chargeDate ${chargeDate} is after today (${today})`,
      },
    ];
  const earliest = daysBefore(today, maxAgeDays);
  if (chargeDate < earliest)
    return [
      {
        path: 'chargeDate',
        rule: 'charge_date_too_old',
        message: `chargeDate ${chargeDate} is more than ${maxAgeDays} days before today (${today}): a charge may be dated from ${earliest} on`,
      },
    ];
  return [];
}

/** The per-unit standard after an exemption: waived is zero, percent reduces, amount replaces. */
function reducedPerUnit(perUnit: Fen, exemption: Exemption | undefined): Fen {
  if (!exemption) return perUnit;
  switch (exemption.kind) {
    case 'waive':
      return 0;
    case 'percent':
      return Math.round((perUnit * (100 - exemption.percent)) / 100);
    case 'amount':
      return Math.min(perUnit, exemption.amount);
  }
}

/** The amount range a line may carry: one value for a fixed standard. */
export function allowedAmounts(standard: Standard, quantity: number, exemption?: Exemption): [Fen, Fen] {
  if (standard.type === 'fixed') {
    const expected = reducedPerUnit(standard.amount, exemption) * quantity;
    return [expected, expected];
  }
  return [
    reducedPerUnit(standard.min, exemption) * quantity,
    reducedPerUnit(standard.max, exemption) * quantity,
  ];
}

/**
 * The charge check: every line must name an item that exists, is in force on the charge
 * date, belongs to the charging department, with a whole positive quantity and an amount
 * equal to (or within) the standard after any exemption the item grants. Every violation
 * is reported, not just the first.
 */
export function checkCharge(
  request: ChargeRequest,
  versionsByCode: ReadonlyMap<string, readonly ItemVersion[]>,
): ChargeResult {
  const violations: ChargeViolation[] = [];
  const charged: ChargedLine[] = [];
  if (request.lines.length === 0)
    violations.push({ path: 'lines', rule: 'no_lines', message: 'a charge needs at least one line' });

  request.lines.forEach((line, index) => {
    const path = `lines[${index}]`;
    const fail = (rule: ChargeRule, message: string, field = '') =>
      violations.push({ path: path + field, line: index, rule, message });

    const versions = versionsByCode.get(line.itemCode);
    if (!versions || versions.length === 0) {
      fail('unknown_item', `item ${line.itemCode} is not in the fee catalogue`, '.itemCode');
      return;
    }
    const version = versionAsOf(versions, request.chargeDate);
    const problem = inForceProblem(version, request.chargeDate);
    if (problem || !version) {
      fail(
        problem ?? 'not_yet_effective',
        `item ${line.itemCode} ${IN_FORCE_MESSAGES[problem ?? 'not_yet_effective']}`,
        '.itemCode',
      );
      return;
    }
    if (version.department !== request.department) {
      fail(
        'wrong_department',
        `item ${line.itemCode} is collected by ${version.department}, not ${request.department}`,
        '.itemCode',
      );
      return;
    }
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      fail('bad_quantity', `quantity must be a whole number from 1 to ${MAX_QUANTITY}`, '.quantity');
      return;
    }
    if (!Number.isSafeInteger(line.amount)) {
      fail('bad_amount', 'amount must be a whole number of fen', '.amount');
      return;
    }
    let exemption: Exemption | undefined;
    if (line.exemption !== undefined) {
      exemption = version.exemptions.find((e) => e.who === line.exemption);
      if (!exemption) {
        fail(
          'exemption_not_applicable',
          `item ${line.itemCode} grants no exemption to ${line.exemption}`,
          '.exemption',
        );
        return;
      }
    }
    const [min, max] = allowedAmounts(version.standard, line.quantity, exemption);
    if (line.amount < min || line.amount > max) {
      const rule = version.standard.type === 'fixed' ? 'amount_mismatch' : 'amount_out_of_range';
      const expected = min === max ? formatYuan(min) : `${formatYuan(min)} to ${formatYuan(max)}`;
      fail(
        rule,
        `amount ${formatYuan(line.amount)} should be ${expected} for ${line.quantity} ${version.unit}`,
        '.amount',
      );
      return;
    }
    charged.push({
      itemCode: version.code,
      itemVersion: version.version,
      name: version.name,
      unit: version.unit,
      quantity: line.quantity,
      standard: standardText(version.standard),
      amount: line.amount,
      fundManagement: version.fundManagement,
      ...(exemption ? { exemption: exemption.who } : {}),
    });
  });

  if (violations.length > 0) return { ok: false, violations };
  const total = charged.reduce((sum, l) => sum + l.amount, 0);
  if (total > MAX_FEN)
    return {
      ok: false,
      violations: [
        {
          path: 'lines',
          rule: 'total_too_large',
          message: `the total ${formatYuan(total)} is more than a receipt holds (${formatYuan(MAX_FEN)}): split the charge`,
        },
      ],
    };
  return { ok: true, lines: charged, total };
}
