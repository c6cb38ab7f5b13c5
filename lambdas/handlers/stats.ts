import { csvWriter } from '../adapters/csv.js';
import { getDeps } from '../app/deps.js';
import { dateInZone } from '../core/dates.js';
import { badRequest } from '../core/errors.js';
import { formatYuan } from '../core/money.js';
import { publicStats, type StatsCell, statsMonths } from '../core/stats.js';
import { groupHandler } from './http/group.js';
import { json } from './http/types.js';

/** Figures change as receipts are issued; a few minutes' staleness spares the totals rows. */
const CACHE = { 'cache-control': 'public, max-age=300' };

const COLUMNS = [
  'group',
  'issued_count',
  'issued_amount',
  'reversed_count',
  'reversed_amount',
  'net_amount',
  'withheld_receipts',
  'note',
];
const STATS_CSV = csvWriter(COLUMNS, COLUMNS.slice(1, 7));

const yuanOrNull = (fen: number | null) => (fen === null ? null : formatYuan(fen));

function cellOut(c: StatsCell) {
  return {
    ...c,
    issuedAmount: yuanOrNull(c.issuedAmount),
    reversedAmount: yuanOrNull(c.reversedAmount),
    netAmount: yuanOrNull(c.netAmount),
  };
}

/** Open data (收费公开): only aggregates of the running totals, under the small-cell rule. */
export const handler = groupHandler('stats', {
  publicStats: async (req) => {
    const q = req.input.query;
    const deps = getDeps();
    const now = deps.now();
    const { from, to, problem } = statsMonths(q, dateInZone(now));
    if (problem)
      throw badRequest('the months are invalid', [
        { path: 'from', rule: 'custom', message: `from ${problem}` },
      ]);
    const rows = await deps.audit.totals(`${from}-01`, `${to}-31`);
    const minReceipts = deps.config.statsMinReceipts;
    const cells = publicStats(rows, q.groupBy, minReceipts);
    const days = rows.map((r) => r.day);
    const lastReceiptDay = days.sort().at(-1) ?? null;
    if (q.format === 'csv') {
      const note = `fewer than ${minReceipts} receipts a month, or holding an item that had / 每月少于${minReceipts}张，或含有这样的项目`;
      const body =
        STATS_CSV.header +
        STATS_CSV.rows(
          cells.map((c) => {
            const o = cellOut(c);
            const n = (v: number | string | null) => (v === null ? '' : String(v));
            return [
              c.group,
              n(o.issuedCount),
              n(o.issuedAmount),
              n(o.reversedCount),
              n(o.reversedAmount),
              n(o.netAmount),
              String(c.withheldReceipts),
              c.fewerThanMinimum ? note : '',
            ];
          }),
        );
      return {
        statusCode: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="feeproof-stats-${q.groupBy}-${from}-${to}.csv"`,
          ...CACHE,
        },
        body,
      };
    }
    return json(
      200,
      {
        from,
        to,
        groupBy: q.groupBy,
        minReceipts,
        updatedAt: now.toISOString(),
        lastReceiptDay,
        groups: cells.map(cellOut),
      },
      CACHE,
    );
  },
});
