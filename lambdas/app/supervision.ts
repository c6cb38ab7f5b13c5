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
import type { LedgerEvent, StoredReceipt } from '../core/ports.js';
import { contentOf } from '../core/receipt.js';
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

export function superviseIssue(deps: Deps, receipt: StoredReceipt): Promise<void> {
  return guarded('issue', async () => {
    const year = receipt.issueDate.slice(0, 4);
    const [totals, original] = await Promise.all([
      deps.audit.yearTotals(year, [
        `DEPT#${receipt.department}`,
        ...receipt.lines.map((l) => `ITEM#${l.itemCode}`),
      ]),
      receipt.reverses ? deps.receipts.getReceipt(receipt.reverses) : undefined,
    ]);
    const items = new Map(receipt.lines.map((l) => [l.itemCode, totals.get(`ITEM#${l.itemCode}`)!]));
    const context = {
      department: totals.get(`DEPT#${receipt.department}`)!,
      items,
      originalIssuedAt: original?.issuedAt,
    };
    await raiseAll(
      deps,
      issueAlerts(contentOf(receipt), context, deps.config.alerts, deps.config.officeHours),
    );
  });
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
