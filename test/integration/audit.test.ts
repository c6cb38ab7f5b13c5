import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Budget } from '../../lambdas/adapters/dynamo/audit-query.js';
import {
  LOG_ENTRY_PK_PREFIX,
  LOG_HEAD_KEY,
  LOG_INDEX_PK_PREFIX,
  LOG_QUEUE_PK,
  LOG_RANGE_PK_PREFIX,
  RECEIPT_LOG_ENTRY,
} from '../../lambdas/adapters/dynamo/keys.js';
import { recoverPending } from '../../lambdas/app/completion.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { DEFAULT_THRESHOLDS } from '../../lambdas/core/alerts.js';
import { dateInZone } from '../../lambdas/core/dates.js';
import { faultySigner } from '../support/faulty-signer.js';
import { issue, newKey } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let auditor: string;
const tokens: Record<string, string> = {};
const yuan = (s: string) => Math.round(Number(s) * 100);

const charges = {
  ZRZY: (name: string, id?: string) => ({
    payer: { type: 'person', name, ...(id ? { idNumber: id } : {}) },
    lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '80.00' }],
  }),
  ZRZY2: (name: string) => ({
    payer: { type: 'unit', name },
    lines: [
      { itemCode: 'ZRZY-001', quantity: 2, amount: '160.00' },
      { itemCode: 'ZRZY-002', quantity: 1, amount: '550.00' },
    ],
  }),
  GA: (name: string) => ({
    payer: { type: 'person', name },
    lines: [{ itemCode: 'GA-001', quantity: 1, amount: '20.00' }],
  }),
  RS: (name: string, amount: string) => ({
    payer: { type: 'person', name },
    lines: [{ itemCode: 'RS-001', quantity: 1, amount }],
  }),
};

const get = (path: string, token = auditor) => svc.api('GET', path, { token });
// biome-ignore lint/suspicious/noExplicitAny: API answers
async function allPages(path: string, limit: number): Promise<any[]> {
  const items = [];
  let cursor: string | null = null;
  do {
    const res = await get(
      `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.cursor;
  } while (cursor);
  return items;
}

beforeAll(async () => {
  svc = await startTestService();
  const deps = getDeps();
  // Office hours around the clock, so normal traffic raises nothing here; one test narrows them.
  deps.config.officeHours = { start: '00:00', end: '24:00', days: [1, 2, 3, 4, 5, 6, 7] };
  deps.config.alerts = {
    ...DEFAULT_THRESHOLDS,
    reversalShareMinReceipts: 1000,
    amountAboveUsualMinSamples: 1000,
    stuckMinutes: 1000,
  };
  auditor = await svc.token({ role: 'auditor', username: 'inspector-zhou' });
  for (const d of ['ZRZY', 'GA', 'RS']) tokens[d] = await svc.token({ role: 'collector', department: d });
  const issued = [
    await issue(svc, tokens.ZRZY!, charges.ZRZY('张三', '110101199003071234')),
    await issue(svc, tokens.ZRZY!, charges.ZRZY('李四')),
    await issue(svc, tokens.ZRZY!, charges.ZRZY2('某某建设有限公司')),
    await issue(svc, tokens.GA!, charges.GA('王五')),
    await issue(svc, tokens.GA!, charges.GA('张三')),
    await issue(svc, tokens.RS!, charges.RS('赵六', '30.00')),
  ];
  expect(issued.map((r) => r.status)).toEqual(Array(6).fill(201));
  const original = issued[1]!.body;
  const red = await svc.api('POST', `/v1/receipts/${original.code}/${original.number}/reversal`, {
    token: tokens.ZRZY,
    json: { reason: '重复缴费' },
    headers: { 'idempotency-key': newKey() },
  });
  expect(red.status).toBe(201);
});
afterAll(async () => svc?.stop());

describe('access', () => {
  it('is for auditors only', async () => {
    for (const token of [tokens.ZRZY!, await svc.token({ role: 'finance' })])
      for (const path of [
        '/v1/audit/receipts',
        '/v1/audit/stats?from=2026-01-01&to=2026-12-31',
        '/v1/audit/export',
        '/v1/audit/alerts',
        '/v1/audit/events',
        '/v1/audit/ranges',
      ])
        expect((await get(path, token)).status).toBe(403);
    expect((await svc.api('GET', '/v1/audit/receipts')).status).toBe(401);
  });
});

describe('query', () => {
  it('lists every receipt newest first, with the payer in full', async () => {
    const all = await allPages('/v1/audit/receipts', 500);
    expect(all).toHaveLength(7);
    const times = all.map((r) => r.issuedAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(all.some((r) => r.payer.name === '张三' && r.payer.idNumber === '110101199003071234')).toBe(true);
  });

  it.each([
    ['department=GA', 2],
    ['department=ZRZY', 4],
    ['itemCode=ZRZY-002', 1],
    ['itemCode=ZRZY-001', 4],
    ['payerName=%E5%BC%A0%E4%B8%89', 2],
    ['payerId=110101199003071234', 1],
    ['status=red', 1],
    ['status=reversed', 1],
    ['status=issued', 5],
    ['department=ZRZY&status=issued', 2],
    ['minAmount=100.00', 1],
    ['maxAmount=0.00', 1],
    ['minAmount=20.00&maxAmount=30.00', 3],
  ])('filters by %s', async (query, count) => {
    const res = await get(`/v1/audit/receipts?${query}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(count);
  });

  it('pages with an opaque cursor: every receipt once, in order', async () => {
    const whole = (await get('/v1/audit/receipts?limit=500')).body.items.map(
      (r: { number: string }) => r.number,
    );
    for (const limit of [1, 2, 3])
      expect((await allPages('/v1/audit/receipts', limit)).map((r) => r.number)).toEqual(whole);
    const byItem = (await allPages('/v1/audit/receipts?itemCode=ZRZY-001', 1)).map((r) => r.number);
    expect(new Set(byItem).size).toBe(4);
  });

  it('answers dates outside the range with nothing, and refuses bad filters with 400', async () => {
    expect((await get('/v1/audit/receipts?from=2020-01-01&to=2020-12-31')).body.items).toHaveLength(0);
    for (const bad of [
      'limit=501',
      'from=2026-02-30',
      'status=lost',
      'cursor=nonsense',
      'minAmount=1.234',
      'from=2026-05-02&to=2026-05-01',
      'colour=red',
    ])
      expect((await get(`/v1/audit/receipts?${bad}`)).status).toBe(400);
  });
});

describe('totals', () => {
  it('equal a recount of the receipts they cover, for every grouping', async () => {
    const today = dateInZone(new Date()); // the service's day (UTC+8), not UTC's
    const receipts = (await get('/v1/audit/receipts?limit=500')).body.items;
    const recount = (key: (r: { department: string; issueDate: string }) => string) => {
      const groups = new Map<string, { issued: number; reversed: number; count: number }>();
      for (const r of receipts) {
        const g = groups.get(key(r)) ?? { issued: 0, reversed: 0, count: 0 };
        if (r.kind === 'red') g.reversed -= yuan(r.total);
        else g.issued += yuan(r.total);
        g.count++;
        groups.set(key(r), g);
      }
      return groups;
    };
    for (const [groupBy, key] of [
      ['department', (r: { department: string }) => r.department],
      ['day', (r: { issueDate: string }) => r.issueDate],
      ['month', (r: { issueDate: string }) => r.issueDate.slice(0, 7)],
    ] as const) {
      const res = await get(
        `/v1/audit/stats?from=${today.slice(0, 4)}-01-01&to=${today.slice(0, 4)}-12-31&groupBy=${groupBy}`,
      );
      expect(res.status).toBe(200);
      const expected = recount(key as (r: { department: string; issueDate: string }) => string);
      expect(res.body.groups).toHaveLength(expected.size);
      for (const g of res.body.groups) {
        const e = expected.get(g.group)!;
        expect(yuan(g.issuedAmount)).toBe(e.issued);
        expect(yuan(g.reversedAmount)).toBe(e.reversed);
        expect(yuan(g.netAmount)).toBe(e.issued - e.reversed);
        expect(g.issuedCount + g.reversedCount).toBe(e.count);
      }
    }
    const items = (await get(`/v1/audit/stats?from=${today}&to=${today}&groupBy=item`)).body.groups;
    const zrzy001 = items.find((g: { group: string }) => g.group === 'ZRZY-001');
    // Lines of ZRZY-001: 80 + 80 + 160 issued, and the red receipt's -80.
    expect(zrzy001).toMatchObject({ issuedAmount: '320.00', reversedAmount: '80.00', netAmount: '240.00' });
  });
});

describe('export', () => {
  it('streams one CSV row per receipt line, UTF-8 with a BOM', async () => {
    const res = await get('/v1/audit/export?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = res.bytes.toString('utf8').slice(1).trim().split('\r\n');
    expect(lines[0]).toMatch(/^code,number,kind,status,/);
    expect(lines).toHaveLength(1 + 8); // 7 receipts, one of them with two lines
    expect(lines.some((l) => l.includes('某某建设有限公司') && l.includes('550.00'))).toBe(true);
    const ga = await get('/v1/audit/export?department=GA');
    expect(ga.bytes.toString('utf8').trim().split('\r\n')).toHaveLength(3);
  });

  it("writes typed formulas as text (quoted, with a leading apostrophe), and a red receipt's amount as a number", async () => {
    // OWASP's classic payloads as a payer would type them (the API refuses tabs and line breaks;
    // the CSV adapter's tests cover those).
    const payloads = ['=HYPERLINK("http://x","c")', "+cmd|' /C calc'!A0", '-2+3', '@SUM(1+1)'];
    const issued = [];
    for (const name of payloads) {
      const res = await issue(svc, tokens.GA!, { ...charges.GA(name), remark: name });
      expect(res.status).toBe(201);
      issued.push(res.body);
    }
    const red = await svc.api('POST', `/v1/receipts/${issued[0].code}/${issued[0].number}/reversal`, {
      token: tokens.GA,
      json: { reason: '=1+1' },
      headers: { 'idempotency-key': newKey() },
    });
    expect(red.status).toBe(201);

    const text = (await get('/v1/audit/export?department=GA')).bytes.toString('utf8');
    const rows: string[][] = parse(text, { bom: true, record_delimiter: '\r\n' });
    const [header, ...body] = rows;
    const at = (column: string) => header!.indexOf(column);
    for (const name of payloads) {
      expect(text).toContain(`"'${name.replace(/"/g, '""')}"`);
      const row = body.find((r) => r[at('kind')] === 'blue' && r[at('payer_name')] === `'${name}`);
      expect(row?.[at('remark')]).toBe(`'${name}`);
    }
    const redRow = body.find((r) => r[at('number')] === red.body.number)!;
    expect(redRow[at('reason')]).toBe("'=1+1");
    expect([redRow[at('line_amount')], redRow[at('total')]]).toEqual(['-20.00', '-20.00']);
    expect(text).toMatch(/,-20\.00,[^\r\n]*,-20\.00,/);
    // No cell outside the number columns starts a formula.
    const numbers = new Set(['line', 'item_version', 'quantity', 'line_amount', 'total'].map(at));
    for (const r of body)
      r.forEach((cell, i) => {
        if (!numbers.has(i)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      });
  });
});

describe('alerts', () => {
  it('warn of refused charges, and of repeated ones by one department', async () => {
    for (let i = 0; i < DEFAULT_THRESHOLDS.repeatedRefusalsPerHour; i++)
      expect(
        (
          await issue(svc, tokens.GA!, {
            payer: { type: 'person', name: '某人' },
            lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '80.00' }],
          })
        ).status,
      ).toBe(422);
    const alerts = (await get('/v1/audit/alerts')).body.items;
    const refused = alerts.filter(
      (a: { rule: string; department: string }) => a.rule === 'charge_refused' && a.department === 'GA',
    );
    expect(refused).toHaveLength(DEFAULT_THRESHOLDS.repeatedRefusalsPerHour);
    const repeated = alerts.filter((a: { rule: string }) => a.rule === 'repeated_refusals');
    expect(repeated).toHaveLength(1);
    expect(repeated[0]).toMatchObject({ severity: 'critical', department: 'GA' });
    expect(repeated[0].message.zh).toContain('GA');
    expect(repeated[0].message.en).toContain('GA');
  });

  it('stay silent for normal traffic', async () => {
    const before = (await get('/v1/audit/alerts?limit=500')).body.items.length;
    for (let i = 0; i < 3; i++)
      expect((await issue(svc, tokens.GA!, charges.GA('正常缴费人'))).status).toBe(201);
    expect((await get('/v1/audit/alerts?limit=500')).body.items.length).toBe(before);
  });

  it('warn of issuing outside office hours', async () => {
    const deps = getDeps();
    const hours = deps.config.officeHours;
    deps.config.officeHours = { start: '00:00', end: '00:00', days: [] };
    try {
      const res = await issue(svc, tokens.GA!, charges.GA('夜间缴费人'));
      const alerts = (await get('/v1/audit/alerts?type=outside_office_hours')).body.items;
      expect(alerts.map((a: { subjects: string[] }) => a.subjects[0])).toContain(
        `${res.body.code}/${res.body.number}`,
      );
    } finally {
      deps.config.officeHours = hours;
    }
  });

  it('warn of an amount far above the usual for the item', async () => {
    const deps = getDeps();
    const saved = deps.config.alerts;
    deps.config.alerts = { ...saved, amountAboveUsualMinSamples: 3, amountAboveUsualFactor: 2 };
    try {
      for (let i = 0; i < 3; i++) await issue(svc, tokens.RS!, charges.RS('考生', '10.00'));
      const usual = await issue(svc, tokens.RS!, charges.RS('考生', '20.00'));
      const high = await issue(svc, tokens.RS!, charges.RS('考生', '50.00'));
      const subjects = (await get('/v1/audit/alerts?type=amount_above_usual')).body.items.map(
        (a: { subjects: string[] }) => a.subjects[0],
      );
      expect(subjects).toContain(`${high.body.code}/${high.body.number}`);
      expect(subjects).not.toContain(`${usual.body.code}/${usual.body.number}`);
    } finally {
      deps.config.alerts = saved;
    }
  });

  it('warn of a reversal long after issue, and of a department reversing too much', async () => {
    const deps = getDeps();
    const savedNow = deps.now;
    const savedAlerts = deps.config.alerts;
    deps.now = () => new Date(Date.now() - 40 * 86_400_000);
    const old = await issue(svc, tokens.RS!, charges.RS('往年考生', '30.00'));
    deps.now = savedNow;
    deps.config.alerts = { ...savedAlerts, reversalShareMinReceipts: 2, reversalSharePercent: 5 };
    try {
      const red = await svc.api('POST', `/v1/receipts/${old.body.code}/${old.body.number}/reversal`, {
        token: tokens.RS,
        json: { reason: '退考' },
        headers: { 'idempotency-key': newKey() },
      });
      expect(red.status).toBe(201);
      const alerts = (await get('/v1/audit/alerts?limit=500')).body.items;
      const late = alerts.find((a: { rule: string }) => a.rule === 'late_reversal');
      expect(late.subjects).toEqual([
        `${red.body.code}/${red.body.number}`,
        `${old.body.code}/${old.body.number}`,
      ]);
      expect(
        alerts.find(
          (a: { rule: string; department: string }) => a.rule === 'reversal_share' && a.department === 'RS',
        ),
      ).toBeDefined();
    } finally {
      deps.config.alerts = savedAlerts;
    }
  });

  it('warn of a receipt stuck unfinished', async () => {
    const deps = getDeps();
    const savedSigner = deps.signer;
    const savedAlerts = deps.config.alerts;
    deps.signer = async () => faultySigner(await savedSigner(), () => true, 'KMS down');
    const stuck = await issue(svc, tokens.GA!, charges.GA('卡住的人'));
    expect(stuck.status).toBe(503);
    deps.signer = savedSigner;
    deps.config.alerts = { ...savedAlerts, stuckMinutes: 0 };
    try {
      await recoverPending(deps);
      const alerts = (await get('/v1/audit/alerts?type=receipt_stuck')).body.items;
      expect(alerts).toHaveLength(1);
      expect(alerts[0].department).toBe('GA');
    } finally {
      deps.config.alerts = savedAlerts;
    }
  });
});

describe('history and reconciliation', () => {
  it('lists changes, reversals, refusals and audit reads, newest first, by type', async () => {
    const finance = await svc.token({ role: 'finance' });
    await svc.api('POST', '/v1/ranges', { token: finance, json: { department: 'SW', size: 10 } });
    const events = await allPages('/v1/audit/events', 50);
    const types = new Set(events.map((e) => e.type));
    for (const t of [
      'catalogue.imported',
      'range.allocated',
      'receipt.reversed',
      'charge.refused',
      'audit.read',
    ])
      expect(types).toContain(t);
    const times = events.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    const reads = (await get('/v1/audit/events?type=audit.read&limit=500')).body.items;
    expect(
      reads.every(
        (e: { type: string; actor: string }) => e.type === 'audit.read' && e.actor === 'inspector-zhou',
      ),
    ).toBe(true);
  });

  it('accounts for every number of every range, and closing leaves the unused unused', async () => {
    const ranges = (await get('/v1/audit/ranges')).body.ranges;
    const zrzy = ranges.find(
      (r: { department: string; status: string }) => r.department === 'ZRZY' && r.status === 'open',
    );
    // Three blue receipts and one red.
    expect(zrzy).toMatchObject({ taken: 4, red: 1, issued: 3, unfinished: 0 });
    expect(zrzy.unused).toBe(zrzy.size - 4);
    // Every number is a 10-digit string: next is the fifth of the range.
    expect([zrzy.first, zrzy.next, zrzy.last]).toEqual(
      [0, 4, zrzy.size - 1].map((i) => String(Number(zrzy.first) + i).padStart(10, '0')),
    );
    const finance = await svc.token({ role: 'finance' });
    const closed = await svc.api('POST', `/v1/ranges/${encodeURIComponent(zrzy.id)}/close`, {
      token: finance,
      json: { reason: '年终核销' },
    });
    expect(closed.status).toBe(200);
    const after = (await get('/v1/audit/ranges')).body.ranges.find((r: { id: string }) => r.id === zrzy.id);
    expect(after).toMatchObject({ status: 'closed', unusedForGood: zrzy.size - 4 });
    // The next receipt of the department comes from a new range.
    const next = await issue(svc, tokens.ZRZY!, charges.ZRZY('新号段'));
    expect(Number(next.body.number)).toBeGreaterThan(Number(zrzy.last));
    const alerts = (await get('/v1/audit/alerts?type=range_closed_unused')).body.items;
    expect(alerts[0].subjects).toEqual([zrzy.id]);
  });
});

describe('number ranges as the API shows them', () => {
  it('give next as a 10-digit string like first and last, and null once every number is taken', async () => {
    const finance = await svc.token({ role: 'finance' });
    const allocated = await svc.api('POST', '/v1/ranges', {
      token: finance,
      json: { department: 'RF', size: 1 },
    });
    expect(allocated.status).toBe(201);
    expect(allocated.body).toMatchObject({
      first: allocated.body.next,
      last: allocated.body.next,
      status: 'open',
    });
    const token = await svc.token({ role: 'collector', department: 'RF' });
    const res = await issue(svc, token, {
      payer: { type: 'unit', name: '某人防工程公司' },
      lines: [{ itemCode: 'RF-001', quantity: 1, amount: '1500.00' }],
    });
    expect(res.status).toBe(201);
    expect(res.body.number).toBe(allocated.body.first);
    const used = (await get('/v1/audit/ranges')).body.ranges.find(
      (r: { id: string }) => r.id === allocated.body.id,
    );
    expect(used).toMatchObject({ next: null, taken: 1, unused: 0 });
  });
});

type Send = (command: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown>;

/** Runs `work` counting the DynamoDB requests it makes (as faults.test.ts wraps the client). */
async function dynamoCalls<T>(work: () => Promise<T>) {
  const db = getDeps().db as unknown as { send: Send };
  const original = db.send;
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  db.send = (command) => {
    // Not the transparency log's sequencer, which runs in the background on the same client:
    // its log rows, the ranges it reads, their watermarks, its receipts' entries and index-block rows.
    const input = JSON.stringify(command.input);
    const logs =
      [
        LOG_QUEUE_PK,
        LOG_HEAD_KEY.pk,
        LOG_ENTRY_PK_PREFIX,
        LOG_INDEX_PK_PREFIX,
        LOG_RANGE_PK_PREFIX,
        'RANGE',
      ].some((pk) => input.includes(`"${pk}`)) || input.includes(`"${RECEIPT_LOG_ENTRY}"`);
    if (!logs) calls.push({ command: command.constructor.name, input: command.input });
    return original.call(db, command);
  };
  try {
    return { result: await work(), calls };
  } finally {
    db.send = original;
  }
}

/** The partitions of an index that a run of requests queried. */
const queried = (calls: { command: string; input: Record<string, unknown> }[], index: string) =>
  calls
    .filter((c) => c.command === 'QueryCommand' && c.input.IndexName === index)
    .map((c) => (c.input.ExpressionAttributeValues as Record<string, string>)[':p']);

describe('wide date ranges', () => {
  const DAY = 86_400_000;
  const today = () => dateInZone(getDeps().now());
  const yearsAgo = (n: number) => `${Number(today().slice(0, 4)) - n}${today().slice(4)}`;
  const ga = (name: string) => ({
    payer: { type: 'person', name },
    lines: [{ itemCode: 'GA-002', quantity: 1, amount: '10.00' }],
  });
  // The per-request bound (adapters/dynamo/audit-query.ts Budget), plus the audit.read event.
  const MAX_CALLS_PER_REQUEST = 20 + 3;

  beforeAll(async () => {
    // Receipts of other months, with empty months between them: 2, 5 and 14 months back.
    const deps = getDeps();
    for (const daysAgo of [0, 61, 153, 426]) {
      deps.now = () => new Date(Date.now() - daysAgo * DAY);
      try {
        for (const name of ['月初', '月末']) {
          const r = await issue(svc, tokens.GA!, ga(name));
          expect(r.status, JSON.stringify(r.body)).toBe(201);
        }
      } finally {
        deps.now = () => new Date();
      }
    }
    // Alerts of months long past, as the supervision would store them then.
    for (const monthsAgo of [3, 9, 40]) {
      const at = new Date(Date.now() - monthsAgo * 31 * DAY);
      await deps.audit.raise(
        {
          key: `test_old#${monthsAgo}`,
          severity: 'warning',
          rule: 'late_reversal',
          department: 'GA',
          subjects: [`month-${monthsAgo}`],
          message: { zh: '测试', en: 'test' },
        },
        at,
      );
    }
  });

  it('page receipts across months: every receipt once, newest first, reading only months that have receipts', async () => {
    const range = `from=${yearsAgo(20)}&to=${today()}`;
    const { result: pages, calls } = await dynamoCalls(async () => {
      const out = [];
      for (const limit of [1, 500]) out.push(await allPages(`/v1/audit/receipts?${range}`, limit));
      return out;
    });
    // The same receipts through another index: every department's, merged newest first.
    const byDepartment = [];
    for (const d of ['ZRZY', 'ZJ', 'GA', 'RS', 'SW', 'RF'])
      byDepartment.push(...(await allPages(`/v1/audit/receipts?${range}&department=${d}`, 500)));
    const key = (r: { issuedAt: string; code: string; number: string }) =>
      `${r.issuedAt}#${r.code}#${r.number}`;
    const expected = byDepartment.map(key).sort().reverse();
    expect(expected.length).toBeGreaterThanOrEqual(8);
    for (const page of pages) expect(page.map(key)).toEqual(expected);
    // A budget of 3 rows a request stops inside months too: the cursor resumes after DynamoDB's key.
    const perRequest = Budget.perRequest;
    Budget.perRequest = () => new Budget(20, 3);
    try {
      const { result: small, calls: smallCalls } = await dynamoCalls(() =>
        allPages(`/v1/audit/receipts?${range}`, 500),
      );
      expect(small.map(key)).toEqual(expected);
      // Each page records its audit.read (one Put): a page for every 3 receipts at most.
      expect(smallCalls.filter((c) => c.command === 'PutCommand').length).toBeGreaterThan(
        expected.length / 3,
      );
      const alerts = await allPages(`/v1/audit/alerts?${range}`, 500);
      Budget.perRequest = perRequest;
      expect(alerts.map((a) => a.id)).toEqual(
        (await allPages(`/v1/audit/alerts?${range}`, 500)).map((a) => a.id),
      );
    } finally {
      Budget.perRequest = perRequest;
    }
    // Receipts of four months at least, 14 months apart; only those months were read.
    const months = new Set(byDepartment.map((r) => `MONTH#${r.issueDate.slice(0, 7)}`));
    expect(months.size).toBeGreaterThanOrEqual(4);
    expect(new Set(queried(calls, 'by-month'))).toEqual(months);
  });

  it('answer a 20-year range with a bounded number of DynamoDB requests, and a cursor to go on', async () => {
    for (const path of [
      `/v1/audit/receipts?from=${yearsAgo(20)}&minAmount=99999.00`,
      `/v1/audit/receipts?from=${yearsAgo(20)}&to=${today()}&department=GA&minAmount=99999.00`,
      // A rule and a type that exist (any other is a 400) and that nothing here raised or recorded.
      `/v1/audit/alerts?from=${yearsAgo(20)}&to=${today()}&type=range_unavailable`,
      `/v1/audit/events?from=${yearsAgo(20)}&to=${today()}&type=complaint.contact_removed`,
    ]) {
      let cursor: string | null = null;
      let pages = 0;
      do {
        const { result: res, calls } = await dynamoCalls(() =>
          get(`${path}&limit=500${cursor ? `&cursor=${cursor}` : ''}`),
        );
        expect(res.status).toBe(200);
        expect(calls.length).toBeLessThanOrEqual(MAX_CALLS_PER_REQUEST);
        expect(res.body.items).toHaveLength(0);
        cursor = res.body.cursor;
        pages++;
      } while (cursor);
      // 240 months, in a few pages at most (every month is read only where nothing records them).
      expect(pages).toBeLessThanOrEqual(15);
    }
  });

  it('list alerts across months newest first, reading only the months that have alerts', async () => {
    const { result: alerts, calls } = await dynamoCalls(() =>
      allPages(`/v1/audit/alerts?from=${yearsAgo(20)}&to=${today()}`, 2),
    );
    const old = alerts.filter((a) => a.key.startsWith('test_old#'));
    expect(old.map((a) => a.subjects[0])).toEqual(['month-3', 'month-9', 'month-40']);
    const times = alerts.map((a) => `${a.at}#${a.id}`);
    expect([...times].sort().reverse()).toEqual(times);
    expect(new Set(times).size).toBe(times.length);
    const months = new Set(alerts.map((a) => `ALERTS#${a.at.slice(0, 7)}`));
    expect(new Set(queried(calls, 'listing'))).toEqual(months);
  });

  it('refuse a range wider than 30 years, or reversed, with a 400 that names the limit', async () => {
    for (const route of ['receipts', 'alerts', 'events', 'export']) {
      for (const query of [`from=${yearsAgo(31)}&to=${today()}`, `from=${yearsAgo(31)}`]) {
        const res = await get(`/v1/audit/${route}?${query}`);
        expect(res.status).toBe(400);
        expect(res.body.details[0]).toMatchObject({ path: 'from' });
        expect(res.body.details[0].message).toContain('at most 30 years');
      }
      const reversed = await get(`/v1/audit/${route}?from=${today()}&to=${yearsAgo(1)}`);
      expect(reversed.status).toBe(400);
      expect(reversed.body.details[0].message).toContain('must not be after to');
      const future = await get(`/v1/audit/${route}?from=2999-01-01`);
      expect(future.status).toBe(400);
    }
    const stats = await get(`/v1/audit/stats?from=${yearsAgo(31)}&to=${today()}`);
    expect(stats.status).toBe(400);
    expect(stats.body.details[0].message).toContain('at most 30 years');
  });

  it('refuse a cursor that another query gave', async () => {
    const page = await get('/v1/audit/receipts?department=GA&limit=1');
    expect(page.body.cursor).toBeTruthy();
    for (const other of ['/v1/audit/receipts?department=RS', '/v1/audit/receipts', '/v1/audit/alerts']) {
      const res = await get(`${other}${other.includes('?') ? '&' : '?'}cursor=${page.body.cursor}`);
      expect(res.status).toBe(400);
      expect(res.body.details[0]).toMatchObject({ path: 'cursor', rule: 'bad_cursor' });
    }
    // Made-up cursors: never passed on to DynamoDB as they are (it would answer a ValidationException).
    const k = JSON.parse(Buffer.from(page.body.cursor, 'base64url').toString()).k;
    const made = (cursor: unknown) => Buffer.from(JSON.stringify(cursor)).toString('base64url');
    for (const cursor of [
      { k: { ...k, pk: '' } },
      { k: { ...k, sk: 'x'.repeat(1025) } },
      { k: { ...k, issuedSk: '1999-01-01T00:00:00.000Z#x' } },
      { k: { ...k, extra: 'x' } },
      { k, m: '2026-01' },
      { k: [k] },
      ['x'],
      'x',
    ]) {
      const res = await get(`/v1/audit/receipts?department=GA&cursor=${made(cursor)}`);
      expect(res.status, JSON.stringify(cursor)).toBe(400);
    }
    expect((await get(`/v1/audit/receipts?department=GA&cursor=${made({ k })}`)).status).toBe(200);
  });
});
