import type { ChangeType, FeeItem, ItemVersion, LegalBasis } from './catalogue.js';
import { versionAsOf } from './catalogue.js';
import type { IsoDate } from './dates.js';
import { AppError, conflict, notFound } from './errors.js';

/** Who makes a change and when: stamped on every version. */
export interface ChangeStamp {
  actor: string;
  at: Date;
  /** Today in the bureau's zone: changes may not take effect before it. */
  today: IsoDate;
}

function stamp(s: ChangeStamp, changeType: ChangeType, reason: string) {
  return { changeType, changedBy: s.actor, changedAt: s.at.toISOString(), reason };
}

function latest(versions: readonly ItemVersion[]): ItemVersion {
  return versions.reduce((a, b) => (b.version > a.version ? b : a));
}

function refuseRewritingThePast(date: IsoDate, s: ChangeStamp, field: 'effectiveFrom' | 'validFrom') {
  if (date < s.today)
    throw new AppError(
      'unprocessable',
      'a change cannot take effect before today: the past is never rewritten',
      [{ path: field, rule: 'effective_in_past', message: `${field} ${date} is before today (${s.today})` }],
    );
}

function refuseIfAbolished(versions: readonly ItemVersion[], code: string) {
  if (latest(versions).status === 'abolished')
    throw conflict(`item ${code} is abolished and can no longer be changed`);
}

/**
 * Version 1 of an item, in force from its `validFrom` as given, past or not: the record of an
 * item the bureau already charges (the demo catalogue's seed). A change never uses it directly:
 * a new item goes through `newItemVersion`.
 */
export function createdVersion(
  item: FeeItem,
  reason: string,
  s: ChangeStamp,
  changeType: ChangeType = 'create',
): ItemVersion {
  return { ...item, version: 1, effectiveFrom: item.validFrom, ...stamp(s, changeType, reason) };
}

/**
 * Version 1 of a new item (created or imported): like any change it takes effect today or
 * later. An item created today in force from a past date would let charges be dated back into
 * that past and pass the check.
 */
export function newItemVersion(
  item: FeeItem,
  reason: string,
  s: ChangeStamp,
  changeType: ChangeType = 'create',
): ItemVersion {
  refuseRewritingThePast(item.validFrom, s, 'validFrom');
  return createdVersion(item, reason, s, changeType);
}

/** A new version of an existing item with new fields, effective from a date (today or later). */
export function revisedVersion(
  versions: readonly ItemVersion[],
  code: string,
  fields: Omit<FeeItem, 'code'>,
  effectiveFrom: IsoDate,
  reason: string,
  s: ChangeStamp,
  changeType: ChangeType = 'revise',
): ItemVersion {
  if (versions.length === 0) throw notFound(`item ${code} is not in the catalogue`);
  refuseIfAbolished(versions, code);
  refuseRewritingThePast(effectiveFrom, s, 'effectiveFrom');
  return {
    ...fields,
    code,
    version: latest(versions).version + 1,
    effectiveFrom,
    ...stamp(s, changeType, reason),
  };
}

/** A status change (suspend, reactivate, abolish) from a date, carrying the fields in force then. */
export function statusVersion(
  versions: readonly ItemVersion[],
  code: string,
  change: { status: FeeItem['status']; effectiveFrom: IsoDate; reason: string; basis: LegalBasis },
  s: ChangeStamp,
): ItemVersion {
  if (versions.length === 0) throw notFound(`item ${code} is not in the catalogue`);
  refuseIfAbolished(versions, code);
  refuseRewritingThePast(change.effectiveFrom, s, 'effectiveFrom');
  const base = versionAsOf(versions, change.effectiveFrom) ?? latest(versions);
  if (base.status === change.status)
    throw conflict(`item ${code} is already ${change.status} on ${change.effectiveFrom}`);
  return {
    ...base,
    status: change.status,
    version: latest(versions).version + 1,
    effectiveFrom: change.effectiveFrom,
    changeBasis: change.basis,
    ...stamp(s, 'status', change.reason),
  };
}
