/**
 * The auditors' side at scale: seeds N receipts through the real number-taking write path
 * (ReceiptRepository.takeNumbers: receipt rows, item-index rows, running totals, in
 * batches of 24 per transaction), spread over the past year across the demo departments,
 * then measures the audit endpoints over HTTP. The receipts stay unsigned (pending): signing
 * and PDFs are measured elsewhere, and the queries do not read them. Alerts and events (one
 * of each per 100 receipts, over the same year) are stored by their own write paths.
 * The wide ranges (a year, five years) show that a request costs what it answers, not what
 * it asks: p99 of one page each.
 */
import { randomBytes } from 'node:crypto';
import { AuditRepository } from '../lambdas/adapters/dynamo/audit-repo.js';
import { createDocumentClient } from '../lambdas/adapters/dynamo/client.js';
import { newEvent, recordEvent } from '../lambdas/adapters/dynamo/events.js';
import { RangeRepository } from '../lambdas/adapters/dynamo/range-repo.js';
import { ReceiptRepository } from '../lambdas/adapters/dynamo/receipt-repo.js';
import { groupVersions } from '../lambdas/core/catalogue.js';
import { createdVersion } from '../lambdas/core/catalogue-changes.js';
import { checkCharge } from '../lambdas/core/charge.js';
import { dateInZone } from '../lambdas/core/dates.js';
import type { StoredReceipt, TakeEntry } from '../lambdas/core/ports.js';
import { formatReceiptNumber, receiptCode } from '../lambdas/core/receipt.js';
import { DEMO_CATALOGUE } from '../lambdas/local/demo-catalogue.js';
import { loadConfig } from '../lambdas/runtime/config.js';
import { measure, row } from './stats.js';

const SEED_CONCURRENCY = 4;
const PAYERS = ['张三', '李四', '王五', '赵六', '钱七', '孙八', '周九', '吴十'];

export async function seedReceipts(
  count: number,
  prefix: string,
  endpoint: string,
): Promise<{ seconds: number; transactions: number }> {
  const config = loadConfig({
    ...process.env,
    FEEPROOF_TABLE_PREFIX: prefix,
    FEEPROOF_DYNAMODB_ENDPOINT: endpoint,
  });
  const db = createDocumentClient(config);
  const repo = new ReceiptRepository(db, config.tables);
  const rangeRepo = new RangeRepository(db, config.tables.ledger);
  const stamp = { actor: 'bench', at: new Date(), today: '2000-01-01' };
  const versions = groupVersions(DEMO_CATALOGUE.map((i) => createdVersion(i, 'bench', stamp)));
  const fixed = DEMO_CATALOGUE.filter((i) => i.validTo === null && i.standard.type === 'fixed');
  const started = performance.now();
  const now = Date.now();
  let transactions = 0;
  // Receipts of each year are numbered in that year's code, from a range allocated to the bench.
  const byCode = new Map<string, StoredReceipt[]>();
  for (let i = 0; i < count; i++) {
    const item = fixed[i % fixed.length]!;
    const issuedAt = new Date(now - Math.floor(Math.random() * 365 * 86_400_000));
    const issueDate = dateInZone(issuedAt);
    const quantity = 1 + (i % 3);
    const charged = checkCharge(
      {
        department: item.department,
        chargeDate: issueDate,
        lines: [
          { itemCode: item.code, quantity, amount: (item.standard as { amount: number }).amount * quantity },
        ],
      },
      versions,
    );
    if (!charged.ok) throw new Error(JSON.stringify(charged.violations));
    const code = receiptCode(config.regionCode, issueDate);
    const list = byCode.get(code) ?? [];
    list.push({
      code,
      number: '',
      checkCode: 'BENCH2',
      kind: 'blue',
      issuedAt: issuedAt.toISOString(),
      issueDate,
      chargeDate: issueDate,
      department: item.department,
      collectingUnit: item.department,
      payer: {
        type: 'person',
        name: PAYERS[i % PAYERS.length]!,
        idNumber: `11010119900101${String(i % 10_000).padStart(4, '0')}`,
      },
      lines: charged.lines,
      total: charged.total,
      handledBy: 'bench',
      status: 'pending',
      rangeId: '',
      idempotencyKey: `bench-${i}`,
    });
    byCode.set(code, list);
  }
  // Each code's receipts, in time order, go to a few ranges seeded side by side.
  const jobs: { code: string; receipts: StoredReceipt[]; billingPoint: string }[] = [];
  for (const [code, receipts] of byCode) {
    receipts.sort((a, b) => (a.issuedAt < b.issuedAt ? -1 : 1)); // numbers follow time
    const slice = Math.ceil(receipts.length / SEED_CONCURRENCY);
    for (let k = 0; k < SEED_CONCURRENCY; k++)
      jobs.push({ code, receipts: receipts.slice(k * slice, (k + 1) * slice), billingPoint: `BENCH${k}` });
  }
  await Promise.all(
    jobs.map(async ({ code, receipts, billingPoint }) => {
      if (receipts.length === 0) return;
      const allocate = () =>
        rangeRepo.allocateRange(billingPoint, code, receipts.length, 'bench', new Date(), 'open_only');
      let range = await allocate();
      for (let attempt = 0; !range && attempt < 20; attempt++) range = await allocate();
      if (!range) throw new Error('could not allocate a bench range');
      for (let i = 0; i < receipts.length; ) {
        const at = range;
        const entryAt = (r: StoredReceipt, j: number): TakeEntry => {
          const number = formatReceiptNumber(at.next + j);
          return {
            receipt: { ...r, number, rangeId: at.id },
            idem: {
              department: r.department,
              key: randomBytes(8).toString('hex'),
              operation: 'issue',
              requestHash: 'bench',
              code,
              number,
              createdAt: r.issuedAt,
            },
          };
        };
        const batch = receipts.slice(i, i + 24).map(entryAt);
        // As the number taker does: as many as fit in one transaction.
        const entries = batch.slice(0, repo.takeCapacity(batch));
        const outcome = await repo.takeNumbers(range, entries);
        if (!outcome.ok) throw new Error(`seeding failed: ${JSON.stringify(outcome)}`);
        transactions++;
        i += entries.length;
        range = { ...range, next: range.next + entries.length };
      }
    }),
  );
  // Alerts and events of the same year, through the repository and event writer the service uses.
  const audit = new AuditRepository(db, config.tables);
  const dated = (i: number) => new Date(now - ((i * 7_919) % 365) * 86_400_000 - (i % 86_400) * 1000);
  const listed = Math.floor(count / 100);
  for (let i = 0; i < listed; i += SEED_CONCURRENCY)
    await Promise.all(
      Array.from({ length: Math.min(SEED_CONCURRENCY, listed - i) }, (_, j) => i + j).map(async (k) => {
        const at = dated(k);
        await audit.raise(
          {
            key: `bench#${k}`,
            severity: 'warning',
            rule: 'outside_office_hours',
            department: fixed[k % fixed.length]!.department,
            subjects: [`bench-${k}`],
            message: { zh: '基准测试', en: 'bench' },
          },
          at,
        );
        await recordEvent(
          db,
          config.tables.ledger,
          newEvent('charge.refused', 'bench', `bench-${k}`, {}, at),
        );
      }),
    );
  return { seconds: (performance.now() - started) / 1000, transactions };
}

export async function auditBench(url: string, auditorToken: string, count: number) {
  const headers = { authorization: `Bearer ${auditorToken}` };
  const today = dateInZone(new Date());
  const month = today.slice(0, 7);
  const yearsAgo = (n: number) => `${Number(today.slice(0, 4)) - n}${today.slice(4)}`;
  /** p99 of the first page of a query (each must answer 200). */
  const page = async (label: string, path: string, total = 100, concurrency = 4) => {
    const get = async () => {
      const res = await fetch(`${url}${path}`, { headers });
      await res.arrayBuffer();
      return res.status === 200;
    };
    console.log(row(label, await measure(total, concurrency, get)));
  };
  await page(
    `audit query: one department, one month (of ${count})`,
    `/v1/audit/receipts?department=GA&from=${month}-01&to=${today}&limit=100`,
  );
  await page('audit query: the whole year, page of 100', `/v1/audit/receipts?from=${yearsAgo(1)}&limit=100`);
  await page('audit query: five years, page of 100', `/v1/audit/receipts?from=${yearsAgo(5)}&limit=100`);
  await page(
    'audit query: five years, one department',
    `/v1/audit/receipts?from=${yearsAgo(5)}&department=GA&limit=100`,
  );
  // Nothing matches: each request reads up to its bound and answers a cursor.
  await page(
    'audit query: five years, matching nothing',
    `/v1/audit/receipts?from=${yearsAgo(5)}&minAmount=99999.00&limit=100`,
  );
  await page('audit alerts: five years, page of 100', `/v1/audit/alerts?from=${yearsAgo(5)}&limit=100`);
  await page('audit events: five years, page of 100', `/v1/audit/events?from=${yearsAgo(5)}&limit=100`);
  await page(
    'audit events: twenty years, matching nothing',
    // A type that exists (any other is a 400) and that the seed records none of.
    `/v1/audit/events?from=${yearsAgo(20)}&type=complaint.contact_removed&limit=100`,
  );
  const yearAgo = yearsAgo(1);
  const stats = async () => {
    const res = await fetch(`${url}/v1/audit/stats?from=${yearAgo}&to=${today}&groupBy=department`, {
      headers,
    });
    await res.arrayBuffer();
    return res.status === 200;
  };
  console.log(row('audit stats: a year by department', await measure(30, 2, stats)));
  const started = performance.now();
  const res = await fetch(`${url}/v1/audit/export?format=csv&from=${yearAgo}&to=${today}`, { headers });
  let rows = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const byte of value) if (byte === 10) rows++;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `audit export: ${rows - 1} rows in ${seconds.toFixed(1)} s = ${((rows - 1) / seconds).toFixed(0)} rows/s`,
  );
  // One client following the cursor through the year, across every month partition.
  const walked = performance.now();
  let pages = 0;
  let receipts = 0;
  let slowest = 0;
  for (let cursor: string | null = ''; cursor !== null; pages++) {
    const t0 = performance.now();
    const res = await fetch(
      `${url}/v1/audit/receipts?from=${yearAgo}&to=${today}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
      { headers },
    );
    if (res.status !== 200) throw new Error(`audit query answered ${res.status}`);
    const body = (await res.json()) as { count: number; cursor: string | null };
    slowest = Math.max(slowest, performance.now() - t0);
    receipts += body.count;
    cursor = body.cursor;
  }
  const walkSeconds = (performance.now() - walked) / 1000;
  console.log(
    `audit query, every page of the year (limit 500): ${receipts} receipts in ${pages} pages, ${walkSeconds.toFixed(1)} s, slowest page ${slowest.toFixed(0)} ms`,
  );
}
