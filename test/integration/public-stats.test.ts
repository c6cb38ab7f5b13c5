/**
 * Public fee statistics over HTTP on DynamoDB Local: what GET /v1/stats publishes equals a
 * recount of the receipts actually issued (property test over random charges and refunds),
 * under the small-cell rule; the CSV download (UTF-8 with BOM) reads in a CSV reader as the
 * same figures.
 */
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../../lambdas/app/deps.js';
import { DEFAULT_THRESHOLDS } from '../../lambdas/core/alerts.js';
import { dateInZone } from '../../lambdas/core/dates.js';
import { issue, newKey } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
const tokens: Record<string, string> = {};
const MIN = 3;

/** What the test sent and got: enough to recount every published figure. */
interface Issued {
  department: string;
  month: string;
  red: boolean;
  lines: { itemCode: string; fen: number }[];
}
const issued: Issued[] = [];

const CHARGES = {
  ZRZY: () => [{ itemCode: 'ZRZY-001', quantity: 1, amount: '80.00' }],
  ZRZY2: () => [
    { itemCode: 'ZRZY-001', quantity: 2, amount: '160.00' },
    { itemCode: 'ZRZY-002', quantity: 1, amount: '550.00' },
  ],
  GA: () => [{ itemCode: 'GA-001', quantity: 1, amount: '20.00' }],
  RS: (fen: number) => [{ itemCode: 'RS-001', quantity: 1, amount: (fen / 100).toFixed(2) }],
} as const;
const departmentOf = (kind: keyof typeof CHARGES) => (kind === 'ZRZY2' ? 'ZRZY' : kind);

async function charge(kind: keyof typeof CHARGES, rsFen: number, refund: boolean) {
  const department = departmentOf(kind);
  const lines = kind === 'RS' ? CHARGES.RS(rsFen) : CHARGES[kind]();
  const res = await issue(svc, tokens[department]!, { payer: { type: 'person', name: '统计测试' }, lines });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const fenLines = lines.map((l) => ({ itemCode: l.itemCode, fen: Math.round(Number(l.amount) * 100) }));
  issued.push({
    department,
    month: dateInZone(new Date(res.body.issuedAt)).slice(0, 7),
    red: false,
    lines: fenLines,
  });
  if (!refund) return;
  const red = await svc.api('POST', `/v1/receipts/${res.body.code}/${res.body.number}/reversal`, {
    token: tokens[department],
    json: { reason: '退费' },
    headers: { 'idempotency-key': newKey() },
  });
  expect(red.status, JSON.stringify(red.body)).toBe(201);
  issued.push({
    department,
    month: dateInZone(new Date(red.body.issuedAt)).slice(0, 7),
    red: true,
    lines: fenLines,
  });
}

/**
 * The recount, from the receipts themselves: units of (month, department or item), the rule
 * applied; a department's month is withheld too when one of its items' months is.
 */
function recount(groupBy: 'department' | 'item' | 'month') {
  const itemLines = new Map<string, number>();
  for (const r of issued)
    for (const l of r.lines) {
      const unit = `${r.month}|${r.department}|${l.itemCode}`;
      itemLines.set(unit, (itemLines.get(unit) ?? 0) + 1);
    }
  const holdingWithheld = new Set(
    [...itemLines].filter(([, n]) => n < MIN).map(([unit]) => unit.split('|').slice(0, 2).join('|')),
  );
  const units = new Map<
    string,
    { unit: string; group: string; n: number; issued: number; red: number; nIssued: number; nRed: number }
  >();
  const add = (unit: string, group: string, red: boolean, fen: number) => {
    const u = units.get(unit) ?? { unit, group, n: 0, issued: 0, red: 0, nIssued: 0, nRed: 0 };
    u.n++;
    if (red) {
      u.nRed++;
      u.red += fen;
    } else {
      u.nIssued++;
      u.issued += fen;
    }
    units.set(unit, u);
  };
  for (const r of issued) {
    if (groupBy === 'item')
      for (const l of r.lines) add(`${r.month}|${l.itemCode}`, l.itemCode, r.red, l.fen);
    else
      add(
        `${r.month}|${r.department}`,
        groupBy === 'month' ? r.month : r.department,
        r.red,
        r.lines.reduce((s, l) => s + l.fen, 0),
      );
  }
  const groups = new Map<
    string,
    { shown: boolean; issued: number; red: number; nIssued: number; nRed: number; withheld: number }
  >();
  for (const u of units.values()) {
    const g = groups.get(u.group) ?? { shown: false, issued: 0, red: 0, nIssued: 0, nRed: 0, withheld: 0 };
    if (u.n < MIN || (groupBy !== 'item' && holdingWithheld.has(u.unit))) g.withheld += u.n;
    else
      Object.assign(g, {
        shown: true,
        issued: g.issued + u.issued,
        red: g.red + u.red,
        nIssued: g.nIssued + u.nIssued,
        nRed: g.nRed + u.nRed,
      });
    groups.set(u.group, g);
  }
  const yuan = (fen: number) => (fen / 100).toFixed(2);
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([group, g]) => ({
      group,
      issuedCount: g.shown ? g.nIssued : null,
      issuedAmount: g.shown ? yuan(g.issued) : null,
      reversedCount: g.shown ? g.nRed : null,
      reversedAmount: g.shown ? yuan(g.red) : null,
      netAmount: g.shown ? yuan(g.issued - g.red) : null,
      withheldReceipts: g.withheld,
      fewerThanMinimum: !g.shown,
    }));
}

const thisMonth = () => dateInZone(new Date()).slice(0, 7);
const stats = (query: string) => svc.api('GET', `/v1/stats?${query}`);

beforeAll(async () => {
  svc = await startTestService({ env: { FEEPROOF_STATS_MIN_RECEIPTS: String(MIN) } });
  const deps = getDeps();
  deps.config.officeHours = { start: '00:00', end: '24:00', days: [1, 2, 3, 4, 5, 6, 7] };
  deps.config.alerts = {
    ...DEFAULT_THRESHOLDS,
    reversalShareMinReceipts: 1000,
    amountAboveUsualMinSamples: 1000,
  };
  for (const d of ['ZRZY', 'GA', 'RS']) tokens[d] = await svc.token({ role: 'collector', department: d });
});
afterAll(async () => svc?.stop());

describe('GET /v1/stats', () => {
  it('publishes no groups before any receipt, needs no token, and may be cached', async () => {
    const res = await stats('groupBy=department');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      groupBy: 'department',
      minReceipts: MIN,
      groups: [],
      lastReceiptDay: null,
    });
    expect(res.headers.get('cache-control')).toMatch(/public, max-age=\d+/);
  });

  it('withholds a department-month with fewer receipts than the minimum, in every grouping', async () => {
    await charge('GA', 0, false);
    await charge('GA', 0, false);
    for (const groupBy of ['department', 'month', 'item'] as const) {
      const res = await stats(`groupBy=${groupBy}`);
      expect(res.status).toBe(200);
      const cell = res.body.groups[0];
      expect(cell, groupBy).toMatchObject({
        withheldReceipts: 2,
        fewerThanMinimum: true,
        issuedAmount: null,
        netAmount: null,
      });
      // Not one amount anywhere: the two payments of 20.00 cannot be read off any answer.
      expect(JSON.stringify(res.body)).not.toContain('20.00');
      expect(JSON.stringify(res.body)).not.toContain('40.00');
    }
    await charge('GA', 0, false);
    const shown = (await stats('groupBy=department')).body.groups[0];
    expect(shown).toMatchObject({
      group: 'GA',
      issuedCount: 3,
      issuedAmount: '60.00',
      fewerThanMinimum: false,
      withheldReceipts: 0,
    });
  });

  it('equals a recount of the receipts issued, for random charges and refunds (property)', async () => {
    const kind = fc.constantFrom('ZRZY', 'ZRZY2', 'GA', 'RS') as fc.Arbitrary<keyof typeof CHARGES>;
    const one = fc.record({ kind, rsFen: fc.integer({ min: 1000, max: 5000 }), refund: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(one, { minLength: 1, maxLength: 4 }), async (charges) => {
        for (const c of charges) await charge(c.kind, c.rsFen, c.refund);
        for (const groupBy of ['department', 'item', 'month'] as const) {
          const res = await stats(`groupBy=${groupBy}&from=${thisMonth()}&to=${thisMonth()}`);
          expect(res.status).toBe(200);
          expect(res.body.groups, groupBy).toEqual(recount(groupBy));
        }
      }),
      { numRuns: Number(process.env.STATS_RUNS ?? 5) },
    );
  });

  it('downloads the same figures as CSV with a BOM, which a CSV reader parses', async () => {
    const json = (await stats('groupBy=item')).body;
    const res = await stats('groupBy=item&format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="feeproof-stats-item-/);
    expect([...res.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(res.bytes.toString('utf8'), { bom: true, columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.group)).toEqual(json.groups.map((g: { group: string }) => g.group));
    for (const [i, row] of rows.entries()) {
      const g = json.groups[i];
      expect(row.issued_amount).toBe(g.issuedAmount ?? '');
      expect(row.net_amount).toBe(g.netAmount ?? '');
      expect(row.issued_count).toBe(g.issuedCount === null ? '' : String(g.issuedCount));
      expect(Number(row.withheld_receipts)).toBe(g.withheldReceipts);
      expect(row.note !== '').toBe(g.fewerThanMinimum);
    }
  });

  it('refuses months that are not months, reversed or too wide, with a 400 naming from', async () => {
    for (const q of [
      'from=2026-13',
      'to=2026-1',
      'from=2026-05&to=2026-04',
      'from=2020-01&to=2026-01',
      'groupBy=day',
      'format=xml',
      'x=1',
    ]) {
      const res = await stats(q);
      expect(res.status, q).toBe(400);
      expect(res.body.error, q).toBe('bad_request');
      expect(res.body.details.length, q).toBeGreaterThan(0);
    }
  });
});
