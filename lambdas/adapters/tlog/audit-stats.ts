import type { StatsGroupBy } from '../../core/stats.js';
import type { LogEntry } from '../../core/tlog/entries.js';
import {
  type PublishedCell,
  recomputeStats,
  statsDifferences,
  totalsFromLog,
} from '../../core/tlog/published-stats.js';
import { type AuditApi, apiGet } from './audit-api.js';
import { findings } from './audit-findings.js';
import type { Check } from './log-verify.js';

const GROUPINGS: readonly StatsGroupBy[] = ['department', 'month', 'item'];

interface StatsAnswer {
  minReceipts: number;
  groups: PublishedCell[];
}

/**
 * `feeproof log audit --stats-url` (issue 15): for every year with a logged receipt, each
 * grouping GET /v1/stats publishes for the whole year is recomputed from the log's receipt
 * entries (core/tlog/published-stats.ts) with the published minimum, and every difference is a
 * finding. Item totals need the line amounts of receipt entries v2; a year with v1 receipt
 * entries says so instead of comparing items.
 */
export async function auditPublishedStats(entries: readonly LogEntry[], api: AuditApi): Promise<Check[]> {
  const { rows, years, yearsWithoutItems } = totalsFromLog(entries);
  const checks: Check[] = [];
  for (const year of years)
    for (const groupBy of GROUPINGS) {
      const name = `published stats ${year} by ${groupBy}`;
      const v1 = yearsWithoutItems.get(year);
      if (groupBy === 'item' && v1) {
        checks.push({
          ok: true,
          name,
          detail: `not recomputable: ${v1} receipt(s) of ${year} are logged in schema v1 (no line amounts)`,
        });
        continue;
      }
      const [from, to] = [`${year}-01`, `${year}-12`];
      const answer = await apiGet<StatsAnswer>(api, `/v1/stats?from=${from}&to=${to}&groupBy=${groupBy}`);
      if (!answer || !Array.isArray(answer.groups) || !Number.isSafeInteger(answer.minReceipts))
        throw new Error(`${api.base}/v1/stats did not answer the public statistics`);
      const cells = recomputeStats(rows, from, to, groupBy, answer.minReceipts);
      checks.push(
        findings(
          name,
          `${cells.length} groups as published (fewer than ${answer.minReceipts} receipts withheld alike)`,
          statsDifferences(answer.groups, cells),
        ),
      );
    }
  if (!years.length) checks.push({ ok: true, name: 'published stats', detail: 'no receipt is logged' });
  return checks;
}
