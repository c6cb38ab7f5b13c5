import type { IsoDate } from './dates.js';
import type { Fen } from './money.js';
import { formatYuan } from './money.js';

export type Standard = { type: 'fixed'; amount: Fen } | { type: 'range'; min: Fen; max: Fen };

export interface LegalBasis {
  title: string;
  number: string;
  issuer: string;
  date: IsoDate;
}

export type Exemption =
  | { who: string; kind: 'waive' }
  /** Reduce the standard by `percent` per cent. */
  | { who: string; kind: 'percent'; percent: number }
  /** Reduce the standard to `amount` per unit. */
  | { who: string; kind: 'amount'; amount: Fen };

export type ItemStatus = 'active' | 'suspended' | 'abolished';
export type FundManagement = 'treasury' | 'special_account';

/** The fields a finance bureau sets on a fee item. */
export interface FeeItem {
  code: string;
  name: string;
  department: string;
  unit: string;
  standard: Standard;
  basis: LegalBasis[];
  fundManagement: FundManagement;
  validFrom: IsoDate;
  validTo: IsoDate | null;
  exemptions: Exemption[];
  status: ItemStatus;
}

export type ChangeType = 'create' | 'revise' | 'status' | 'import';

/** One version of an item: versions are only ever added, never rewritten. */
export interface ItemVersion extends FeeItem {
  version: number;
  effectiveFrom: IsoDate;
  changeType: ChangeType;
  changedBy: string;
  changedAt: string;
  reason: string;
  /** The document that ordered a status change (suspension, reactivation, abolition). */
  changeBasis?: LegalBasis;
}

/**
 * The version in force on `date`: the one with the latest `effectiveFrom` on or before it
 * (the higher version number wins a tie). Undefined when no version is effective yet.
 */
export function versionAsOf(versions: readonly ItemVersion[], date: IsoDate): ItemVersion | undefined {
  let best: ItemVersion | undefined;
  for (const v of versions) {
    if (v.effectiveFrom > date) continue;
    if (
      !best ||
      v.effectiveFrom > best.effectiveFrom ||
      (v.effectiveFrom === best.effectiveFrom && v.version > best.version)
    )
      best = v;
  }
  return best;
}

export type InForceProblem = 'not_yet_effective' | 'expired' | 'suspended' | 'abolished';

/** Why a version does not apply on `date`, or null when it is in force. */
export function inForceProblem(version: ItemVersion | undefined, date: IsoDate): InForceProblem | null {
  if (!version || date < version.validFrom) return 'not_yet_effective';
  if (version.validTo !== null && date > version.validTo) return 'expired';
  if (version.status === 'abolished') return 'abolished';
  if (version.status === 'suspended') return 'suspended';
  return null;
}

/** Groups a flat list of versions by item code, each list sorted by version. */
export function groupVersions(versions: readonly ItemVersion[]): Map<string, ItemVersion[]> {
  const byCode = new Map<string, ItemVersion[]>();
  for (const v of versions) {
    const list = byCode.get(v.code) ?? [];
    list.push(v);
    byCode.set(v.code, list);
  }
  for (const list of byCode.values()) list.sort((a, b) => a.version - b.version);
  return byCode;
}

/** The items in force on `date` (optionally of one department), sorted by department then code. */
export function catalogueAsOf(
  versions: readonly ItemVersion[],
  date: IsoDate,
  department?: string,
): ItemVersion[] {
  const inForce: ItemVersion[] = [];
  for (const list of groupVersions(versions).values()) {
    const v = versionAsOf(list, date);
    if (v && inForceProblem(v, date) === null && (!department || v.department === department))
      inForce.push(v);
  }
  return inForce.sort((a, b) => a.department.localeCompare(b.department) || a.code.localeCompare(b.code));
}

/** The standard as printed: `80.00` or `10.00-50.00`. */
export function standardText(standard: Standard): string {
  return standard.type === 'fixed'
    ? formatYuan(standard.amount)
    : `${formatYuan(standard.min)}-${formatYuan(standard.max)}`;
}
