import { type StoredAlert, storedAlert } from '../adapters/dynamo/audit-repo.js';
import { newEvent } from '../adapters/dynamo/events.js';
import { logger } from '../adapters/logger.js';
import {
  type AlertDraft,
  issueAlerts,
  rangeClosedAlert,
  rangeUnavailableAlert,
  refusalAlerts,
  stuckAlert,
} from '../core/alerts.js';
import type { ChargeViolation } from '../core/charge.js';
import { conflict, notFound } from '../core/errors.js';
import type { LedgerEvent, StoredReceipt } from '../core/ports.js';
import { contentOf } from '../core/receipt.js';
import type { ALERT_STATES } from '../core/schemas.js';
import { totalsOf, ZERO } from '../core/totals.js';
import type { Deps } from './deps.js';

/**
 * Electronic supervision in the request path: the rules of core/alerts.ts run as receipts
 * are issued and charges refused. A failure here is logged, never fails the request: the
 * receipt is already issued, and the refusal already recorded.
 */
async function raiseAll(deps: Deps, drafts: (AlertDraft | null)[]) {
  const now = deps.now();
  await Promise.all(drafts.filter((d): d is AlertDraft => d !== null).map((d) => deps.audit.raise(d, now)));
}

async function guarded(what: string, work: () => Promise<void>) {
  try {
    await work();
  } catch (error) {
    logger.warn(`alert evaluation failed: ${what}`, { error });
  }
}

/**
 * The alerts a receipt's issue raises (the rules of core/alerts.ts), for completion to store with
 * it (or raise apart, those not keyed by the receipt alone). A blue receipt's rule compares each
 * line with its item's average this year, from totals this process read at most a few seconds
 * ago (AuditRepository.recentYearTotals); a red one's reversal share reads its department's
 * totals as they are. A failure is logged and raises nothing: the receipt is issued all the same.
 */
export async function issueAlertDrafts(deps: Deps, receipt: StoredReceipt): Promise<AlertDraft[]> {
  try {
    const [totals, original] = await Promise.all([
      receipt.kind === 'red'
        ? deps.audit.yearTotals(receipt.department, receipt.issueDate)
        : deps.audit.recentYearTotals(
            receipt.department,
            totalsOf(receipt).filter((r) => r.key.startsWith('ITEM#')),
          ),
      receipt.reverses ? deps.receipts.getReceipt(receipt.reverses) : undefined,
    ]);
    // A red receipt's rules read its department's totals only; a blue one's, its items'.
    const items = new Map(receipt.lines.map((l) => [l.itemCode, totals.get(`ITEM#${l.itemCode}`) ?? ZERO]));
    const context = {
      department: totals.get(`DEPT#${receipt.department}`) ?? ZERO,
      items,
      originalIssuedAt: original?.issuedAt,
    };
    return issueAlerts(contentOf(receipt), context, deps.config.alerts, deps.config.officeHours);
  } catch (error) {
    logger.warn('alert evaluation failed: issue', { error });
    return [];
  }
}

/**
 * Stores a receipt's issue alerts: those keyed by the receipt itself go with its completing
 * transaction (`complete`, given them as stored alerts), the others (keyed by a department and
 * day: a second finding is the same alert) are raised apart.
 */
export async function withIssueAlerts(
  deps: Deps,
  receipt: StoredReceipt,
  drafts: readonly AlertDraft[],
  complete: (alerts: StoredAlert[]) => Promise<boolean>,
): Promise<boolean> {
  const subject = `${receipt.code}/${receipt.number}`;
  const own = drafts.filter((d) => d.key.split('#')[1] === subject);
  const others = drafts.filter((d) => !own.includes(d));
  const now = deps.now();
  let alerts = own.map((d) => storedAlert(d, now));
  if (alerts.length)
    try {
      await deps.audit.noteMonth('ALERTS', now.toISOString()); // once per process and month
    } catch (error) {
      logger.warn('alert evaluation failed: issue', { error });
      alerts = []; // not listable without its month: raised apart below, or logged
    }
  let completed = false;
  try {
    completed = await complete(alerts);
    return completed;
  } finally {
    // Not stored with the receipt (completed by another, or the transaction failed): raised apart.
    const apart = [...others, ...(completed && alerts.length ? [] : own)];
    await guarded('issue', () => raiseAll(deps, apart));
  }
}

export function superviseRefusal(
  deps: Deps,
  event: LedgerEvent,
  department: string,
  violations: ChargeViolation[],
): Promise<void> {
  return guarded('refusal', async () => {
    const count = await deps.audit.countRefusal(department, event.at);
    await raiseAll(
      deps,
      refusalAlerts({ department, eventId: event.id, violations, at: event.at }, count, deps.config.alerts),
    );
  });
}

/** Raises an alert for each receipt pending past the stuck threshold; returns how many are. */
export async function superviseStuck(deps: Deps, pending: readonly StoredReceipt[]): Promise<number> {
  const drafts = pending.map((p) => stuckAlert(p, deps.now(), deps.config.alerts));
  await guarded('stuck', () => raiseAll(deps, drafts));
  return drafts.filter((d) => d !== null).length;
}

export function superviseRangeClosed(
  deps: Deps,
  range: { id: string; department: string; unused: number },
): Promise<void> {
  return guarded('range', () => raiseAll(deps, [rangeClosedAlert(range)]));
}

export function superviseRangeUnavailable(
  deps: Deps,
  department: string,
  code: string,
  why: string,
): Promise<void> {
  logger.error('a department cannot get a number range', { department, code, why });
  return guarded('range unavailable', () =>
    raiseAll(deps, [rangeUnavailableAlert(department, code, why, deps.now().toISOString())]),
  );
}

/**
 * Where an alert may go from where it stands: an open alert is acknowledged (being looked
 * into) or resolved; an acknowledged one is resolved; a resolved one stays resolved.
 */
type AlertState = (typeof ALERT_STATES)[number];

const NEXT_STATES: Record<AlertState, readonly AlertState[]> = {
  open: ['acknowledged', 'resolved'],
  acknowledged: ['resolved'],
  resolved: [],
};

/**
 * An auditor acknowledges or resolves an alert with a note; the change and the event that
 * records it (who, when, why, from which state) are one write. A change the alert's state
 * does not allow, or that another auditor's change overtook, is a 409 and writes nothing.
 */
export async function changeAlertState(
  deps: Deps,
  actor: string,
  id: string,
  change: { state: 'acknowledged' | 'resolved'; note: string },
): Promise<StoredAlert> {
  const alert = await deps.audit.alertById(id);
  if (!alert) throw notFound(`alert ${id} does not exist`);
  const from: AlertState = alert.state ?? 'open';
  if (!NEXT_STATES[from].includes(change.state))
    throw conflict(`the alert is ${from}; it cannot become ${change.state}`, [
      { path: 'state', rule: 'alert_state', message: `state ${from} -> ${change.state} is not allowed` },
    ]);
  const event = newEvent(
    'alert.state',
    actor,
    id,
    { rule: alert.rule, department: alert.department, from, to: change.state, note: change.note },
    deps.now(),
  );
  if (!(await deps.audit.changeAlertState(alert, change, event)))
    throw conflict('the alert changed meanwhile; read it again');
  return { ...alert, state: change.state, stateAt: event.at, stateBy: actor, stateNote: change.note };
}
