import type { Exemption, FundManagement, ItemVersion, Standard } from './catalogue.js';
import { inForceProblem, standardText, versionAsOf } from './catalogue.js';
import type { IsoDate } from './dates.js';
import type { Violation } from './errors.js';
import type { Fen } from './money.js';
import { formatYuan } from './money.js';

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

export type ChargeResult =
  | { ok: true; lines: ChargedLine[]; total: Fen }
  | { ok: false; violations: Violation[] };

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
  const violations: Violation[] = [];
  const charged: ChargedLine[] = [];
  if (request.lines.length === 0)
    violations.push({ path: 'lines', rule: 'no_lines', message: 'a charge needs at least one line' });

  request.lines.forEach((line, index) => {
    const path = `lines[${index}]`;
    const fail = (rule: string, message: string, field = '') =>
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
  return { ok: true, lines: charged, total: charged.reduce((sum, l) => sum + l.amount, 0) };
}
