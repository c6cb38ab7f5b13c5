import { canonicalJson } from './canonical.js';
import type { ChangeType, FeeItem, ItemVersion, LegalBasis } from './catalogue.js';
import { standardText, versionAsOf } from './catalogue.js';
import type { IsoDate } from './dates.js';
import { AppError, conflict, notFound, type Violation } from './errors.js';
import { formatYuan } from './money.js';

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

const PAST_MESSAGE = 'a change cannot take effect before today: the past is never rewritten';

function pastViolations(date: IsoDate, s: ChangeStamp, field: 'effectiveFrom' | 'validFrom'): Violation[] {
  return date < s.today
    ? [{ path: field, rule: 'effective_in_past', message: `${field} ${date} is before today (${s.today})` }]
    : [];
}

/** One 422 for every rule the change breaks; the past's own words when that is among them. */
function refuseUnprocessable(violations: Violation[]) {
  if (violations.length === 0) return;
  const past = violations.some((v) => v.rule === 'effective_in_past');
  throw new AppError(
    'unprocessable',
    past ? PAST_MESSAGE : violations.map((v) => v.message).join('; '),
    violations,
  );
}

/**
 * What a fee item (as created, revised or imported) may not say, beyond its schema: each
 * exemption names a payer group once (the charge check applies the first it finds), an
 * `amount` exemption reduces the standard (at or above it, it reduces nothing and only misleads
 * whoever reads the catalogue), and a new item is not abolished (abolition ends an item that
 * was in force). Messages start with the path, as schema violations do, so an import can say
 * them in its CSV terms.
 */
export function itemViolations(item: FeeItem, isNew: boolean): Violation[] {
  const violations: Violation[] = [];
  const ceiling = item.standard.type === 'fixed' ? item.standard.amount : item.standard.max;
  const seen = new Set<string>();
  item.exemptions.forEach((e, i) => {
    if (seen.has(e.who))
      violations.push({
        path: `exemptions[${i}].who`,
        rule: 'duplicate_exemption',
        message: `exemptions[${i}].who ${e.who} is given an exemption more than once: one per payer group`,
      });
    seen.add(e.who);
    if (e.kind === 'amount' && e.amount >= ceiling)
      violations.push({
        path: `exemptions[${i}].amount`,
        rule: 'exemption_not_below_standard',
        message: `exemptions[${i}].amount ${formatYuan(e.amount)} is not below the standard ${standardText(item.standard)}: an amount exemption reduces the charge to it`,
      });
  });
  if (isNew && item.status === 'abolished')
    violations.push({
      path: 'status',
      rule: 'abolished_new_item',
      message: 'status must not be abolished for a new item: abolition ends an item that was in force',
    });
  return violations;
}

/** The versions in force on their own date: each one a later version with its date does not replace. */
function governing(versions: readonly ItemVersion[]): ItemVersion[] {
  return versions
    .filter((v) => versionAsOf(versions, v.effectiveFrom) === v)
    .sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
}

const label = (v: ItemVersion) => `version ${v.version} from ${v.effectiveFrom} (${v.status})`;

/** Abolition is final: nothing takes effect on or after it. */
function refuseIfAbolished(versions: readonly ItemVersion[], code: string, date: IsoDate) {
  const abolition = governing(versions).find((v) => v.status === 'abolished' && v.effectiveFrom <= date);
  if (abolition)
    throw conflict(`item ${code} is abolished from ${abolition.effectiveFrom} and can no longer be changed`, [
      {
        path: 'effectiveFrom',
        rule: 'item_abolished',
        message: `effectiveFrom ${date} is on or after the abolition: ${label(abolition)}`,
      },
    ]);
}

/** The fields a status change carries from the version in force (all but the status). */
const fieldsKey = ({
  name,
  department,
  unit,
  standard,
  basis,
  fundManagement,
  validFrom,
  validTo,
  exemptions,
}: FeeItem) =>
  canonicalJson({ name, department, unit, standard, basis, fundManagement, validFrom, validTo, exemptions });

/**
 * Refuses a change that a version already scheduled after it would undo. Versions are never
 * rewritten, and each governs from its date on, so a version recorded earlier but dated later
 * takes over from the new one on its date. That is how revisions are staged (a price from
 * 12-10, another already set from 12-20), but it must not:
 *  - bring an abolished item back: an abolition is refused while any version scheduled after it
 *    is not one;
 *  - lift a suspension that no reactivation lifted: a suspension is refused when the next
 *    scheduled version is active;
 *  - drop new fields: a suspension or reactivation carries the fields in force when it was
 *    recorded, so new fields are refused before a scheduled one that carries others.
 * Finance first records the change on the scheduled versions' dates, latest first (a change
 * dated the same day as a version replaces it), or dates it on or after them.
 */
function refuseIfUndoneLater(versions: readonly ItemVersion[], change: ItemVersion) {
  const date = change.effectiveFrom;
  const later = governing(versions).filter((v) => v.effectiveFrom > date);
  const next = later[0];
  const before = versionAsOf(versions, date);
  const problems: { v: ItemVersion; message: string }[] = [];
  if (change.status === 'abolished')
    for (const v of later.filter((l) => l.status !== 'abolished'))
      problems.push({ v, message: 'which would bring the abolished item back' });
  else if (change.status === 'suspended' && before?.status !== 'suspended' && next?.status === 'active')
    problems.push({ v: next, message: 'which would end the suspension without a reactivation' });
  // Status changes copy the fields in force before their date. When only status changes are
  // dated on the next date, their copy comes from what is in force before it: this change.
  const onlyStatusChanges =
    next !== undefined &&
    versions.every((v) => v.effectiveFrom !== next.effectiveFrom || v.changeType === 'status');
  if (
    onlyStatusChanges &&
    next.status !== 'abolished' &&
    fieldsKey(change) !== fieldsKey(next) &&
    (!before || fieldsKey(change) !== fieldsKey(before))
  )
    problems.push({
      v: next,
      message: `which carries the fields in force when it was recorded: these would be lost from then (record them from ${next.effectiveFrom} too, status ${next.status})`,
    });
  if (problems.length === 0) return;
  const named = [...new Set(problems.map((p) => p.v))].sort((a, b) =>
    b.effectiveFrom.localeCompare(a.effectiveFrom),
  );
  const dates = named.map((v) => v.effectiveFrom);
  throw conflict(
    `item ${change.code}: ${named.map(label).join(', ')} ${named.length > 1 ? 'are' : 'is'} scheduled after ${date} and would undo this change. Versions are never rewritten: first record this change on ${dates.join(', then on ')} (a change dated the same day replaces a scheduled version), or date it from ${dates[0]} on`,
    problems.map(({ v, message }) => ({
      path: 'effectiveFrom',
      rule: 'undone_by_scheduled_version',
      message: `effectiveFrom ${date} is before ${label(v)}, ${message}`,
      // The way through that takes one request: from the latest of them on.
      suggestion: dates[0]!,
    })),
  );
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
  refuseUnprocessable([...pastViolations(item.validFrom, s, 'validFrom'), ...itemViolations(item, true)]);
  return createdVersion(item, reason, s, changeType);
}

/**
 * A new version of an existing item with new fields, effective from a date (today or later).
 * Without a status it keeps the one in force on that date: a new standard for a suspended item
 * does not reactivate it (status changes carry their own basis: statusVersion).
 */
export function revisedVersion(
  versions: readonly ItemVersion[],
  code: string,
  given: Omit<FeeItem, 'code' | 'status'> & { status?: FeeItem['status'] },
  effectiveFrom: IsoDate,
  reason: string,
  s: ChangeStamp,
  changeType: ChangeType = 'revise',
): ItemVersion {
  if (versions.length === 0) throw notFound(`item ${code} is not in the catalogue`);
  refuseIfAbolished(versions, code, effectiveFrom);
  const fields = {
    ...given,
    status: given.status ?? (versionAsOf(versions, effectiveFrom) ?? latest(versions)).status,
  };
  refuseUnprocessable([
    ...pastViolations(effectiveFrom, s, 'effectiveFrom'),
    ...itemViolations({ ...fields, code }, false),
  ]);
  const version: ItemVersion = {
    ...fields,
    code,
    version: latest(versions).version + 1,
    effectiveFrom,
    ...stamp(s, changeType, reason),
  };
  refuseIfUndoneLater(versions, version);
  return version;
}

/** A status change (suspend, reactivate, abolish) from a date, carrying the fields in force then. */
export function statusVersion(
  versions: readonly ItemVersion[],
  code: string,
  change: { status: FeeItem['status']; effectiveFrom: IsoDate; reason: string; basis: LegalBasis },
  s: ChangeStamp,
): ItemVersion {
  if (versions.length === 0) throw notFound(`item ${code} is not in the catalogue`);
  // Another abolition is let through: where an older history (recorded before abolitions were
  // checked against scheduled versions) has the item back after one, it makes abolition final.
  if (change.status !== 'abolished') refuseIfAbolished(versions, code, change.effectiveFrom);
  refuseUnprocessable(pastViolations(change.effectiveFrom, s, 'effectiveFrom'));
  const base = versionAsOf(versions, change.effectiveFrom) ?? latest(versions);
  if (base.status === change.status)
    throw conflict(`item ${code} is already ${change.status} on ${change.effectiveFrom}`);
  const version: ItemVersion = {
    ...base,
    status: change.status,
    version: latest(versions).version + 1,
    effectiveFrom: change.effectiveFrom,
    changeBasis: change.basis,
    ...stamp(s, 'status', change.reason),
  };
  refuseIfUndoneLater(versions, version);
  return version;
}
