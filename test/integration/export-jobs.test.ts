/**
 * Audit export jobs over HTTP (issue 14), on DynamoDB Local: a job over a result larger than
 * 5 MB (more than one Lambda response holds) completes in the background, and its file holds
 * every row the same query streams; who may start and fetch one; a bad filter writes nothing;
 * the job row and its audit.export event.
 */
import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportJobKey } from '../../lambdas/adapters/dynamo/keys.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { groupVersions } from '../../lambdas/core/catalogue.js';
import { createdVersion } from '../../lambdas/core/catalogue-changes.js';
import { checkCharge } from '../../lambdas/core/charge.js';
import { dateInZone } from '../../lambdas/core/dates.js';
import { EXPORT_QUEUED_DEADLINE_MS, EXPORT_RUNNING_DEADLINE_MS } from '../../lambdas/core/export-jobs.js';
import type { StoredReceipt, TakeEntry } from '../../lambdas/core/ports.js';
import { formatReceiptNumber, receiptCode } from '../../lambdas/core/receipt.js';
import { DEMO_CATALOGUE } from '../../lambdas/local/demo-catalogue.js';
import { snapshotTables } from '../security/support.js';
import { send } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

/** Receipts of 25 lines (the most a charge has): 25 CSV rows each, about 7 KB of CSV. */
const RECEIPTS = 900;
const LINES = 25;
const DEPARTMENT = 'ZRZY';

let svc: TestService;
let auditor: string;
let collector: string;

/**
 * Seeds pending receipts through the number-taking write path the service uses (as
 * bench/audit.ts seedReceipts does, with many lines a receipt so that seeding stays short).
 */
async function seed(count: number) {
  const { receipts, ranges, config } = getDeps();
  const item = DEMO_CATALOGUE.find((i) => i.code === 'ZRZY-001')!;
  const versions = groupVersions([
    createdVersion(item, 'test', { actor: 'test', at: new Date(), today: '2000-01-01' }),
  ]);
  const issuedAt = new Date();
  const issueDate = dateInZone(issuedAt);
  const amount = (item.standard as { amount: number }).amount;
  const charged = checkCharge(
    {
      department: DEPARTMENT,
      chargeDate: issueDate,
      lines: Array.from({ length: LINES }, () => ({ itemCode: item.code, quantity: 1, amount })),
    },
    versions,
  );
  if (!charged.ok) throw new Error(JSON.stringify(charged.violations));
  const code = receiptCode(config.regionCode, issueDate);
  let range = await ranges.allocateRange('EXPORTTEST', code, count, 'test', new Date(), 'open_only');
  if (!range) throw new Error('no range');
  for (let i = 0; i < count; ) {
    const at = range;
    const batch: TakeEntry[] = Array.from({ length: Math.min(24, count - i) }, (_, j) => {
      const number = formatReceiptNumber(at.next + j);
      const receipt: StoredReceipt = {
        code,
        number,
        checkCode: 'EXPJOB',
        kind: 'blue',
        issuedAt: issuedAt.toISOString(),
        issueDate,
        chargeDate: issueDate,
        department: DEPARTMENT,
        collectingUnit: '某市自然资源局',
        payer: {
          type: 'person',
          name: `导出测试${i + j}`,
          idNumber: `1101011990010${String(i + j).padStart(5, '0')}`,
        },
        lines: charged.lines,
        total: charged.total,
        handledBy: 'test',
        remark: '批量导出测试',
        status: 'pending',
        rangeId: at.id,
        idempotencyKey: `export-${i + j}`,
      };
      return {
        receipt,
        idem: {
          department: DEPARTMENT,
          key: randomBytes(8).toString('hex'),
          operation: 'issue',
          requestHash: 'test',
          code,
          number,
          createdAt: receipt.issuedAt,
        },
      };
    });
    const entries = batch.slice(0, receipts.takeCapacity(batch));
    const outcome = await receipts.takeNumbers(range, entries);
    if (!outcome.ok) throw new Error(`seeding failed: ${JSON.stringify(outcome)}`);
    i += entries.length;
    range = { ...range, next: range.next + entries.length };
  }
}

const post = (token: string, body: unknown) => svc.api('POST', '/v1/audit/exports', { token, json: body });

async function finished(id: string) {
  return vi.waitFor(
    async () => {
      const res = await svc.api('GET', `/v1/audit/exports/${id}`, { token: auditor });
      expect(res.status).toBe(200);
      expect(['done', 'failed']).toContain(res.body.status);
      return res.body;
    },
    { timeout: 50_000, interval: 250 },
  );
}

beforeAll(async () => {
  svc = await startTestService();
  auditor = await svc.token({ role: 'auditor' });
  collector = await svc.token({ role: 'collector', department: DEPARTMENT });
  await seed(RECEIPTS);
}, 60_000);
afterAll(async () => svc?.stop());

describe('an export job', () => {
  it('writes a result larger than 5 MB in the background, every row the query has', async () => {
    const created = await post(auditor, { department: DEPARTMENT, status: 'pending' });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{32}$/), status: 'queued' });
    expect(created.headers.get('location')).toBe(`/v1/audit/exports/${created.body.id}`);

    const job = await finished(created.body.id);
    expect(job).toMatchObject({ id: created.body.id, status: 'done', rows: RECEIPTS * LINES });
    expect(job.bytes).toBeGreaterThan(5 * 1024 * 1024);
    expect(Date.parse(job.download.expiresAt) - Date.now()).toBeGreaterThan(4 * 60_000);

    const file = await send(job.download.url, { headers: { authorization: `Bearer ${auditor}` } });
    expect(file.status).toBe(200);
    expect(file.bytes.length).toBe(job.bytes);
    const rows: Record<string, string>[] = parse(file.bytes, { bom: true, columns: true });
    expect(rows).toHaveLength(RECEIPTS * LINES);
    // The same query streamed (GET /v1/audit/export) has exactly these rows.
    const streamed = await svc.api('GET', `/v1/audit/export?department=${DEPARTMENT}&status=pending`, {
      token: auditor,
    });
    expect(streamed.status).toBe(200);
    const expected: Record<string, string>[] = parse(streamed.bytes, { bom: true, columns: true });
    expect(rows).toEqual(expected);
    expect(new Set(rows.map((r) => `${r.number}/${r.line}`)).size).toBe(RECEIPTS * LINES);

    // The job row and its audit.export event: who, and the query.
    const { db, config } = getDeps();
    const row = (
      await db.send(new GetCommand({ TableName: config.tables.ledger, Key: exportJobKey(job.id) }))
    ).Item;
    expect(row).toMatchObject({
      status: 'done',
      actor: 'auditor',
      query: { department: DEPARTMENT, status: 'pending' },
    });
    const events = await svc.api('GET', '/v1/audit/events?type=audit.export', { token: auditor });
    expect(events.body.items).toContainEqual(
      expect.objectContaining({
        type: 'audit.export',
        actor: 'auditor',
        subject: job.id,
        details: expect.objectContaining({
          job: job.id,
          query: { department: DEPARTMENT, status: 'pending' },
        }),
      }),
    );

    // The download URL: an auditor's token, before it expires.
    expect((await send(job.download.url, {})).status).toBe(401);
    expect((await send(job.download.url, { headers: { authorization: `Bearer ${collector}` } })).status).toBe(
      403,
    );
    const expired = job.download.url.replace(
      /expires=[^&]+/,
      `expires=${encodeURIComponent(new Date(Date.now() - 1000).toISOString())}`,
    );
    expect((await send(expired, { headers: { authorization: `Bearer ${auditor}` } })).status).toBe(403);
  }, 60_000);

  it('is for auditors only', async () => {
    const res = await post(collector, { department: DEPARTMENT });
    expect(res.status).toBe(403);
    const created = await post(auditor, { department: 'NONE' });
    expect(created.status).toBe(202);
    expect((await svc.api('GET', `/v1/audit/exports/${created.body.id}`, { token: collector })).status).toBe(
      403,
    );
    const job = await finished(created.body.id);
    expect(job).toMatchObject({ status: 'done', rows: 0 });
  });

  it('refuses a bad filter with 400 naming it, and writes nothing', async () => {
    const before = await snapshotTables();
    for (const [body, path] of [
      [{ minAmount: 12 }, 'minAmount'],
      [{ from: '2025-13-01' }, 'from'],
      [{ from: '2025-06-01', to: '2025-01-01' }, 'from'],
      [{ department: DEPARTMENT, colour: 'red' }, ''],
      [{ format: 'xlsx' }, 'format'],
    ] as const) {
      const res = await post(auditor, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe('bad_request');
      expect(JSON.stringify(res.body.details), JSON.stringify(body)).toContain(path);
    }
    const after = await snapshotTables();
    expect([...after.keys()].filter((k) => !before.has(k))).toEqual([]);
  });

  it('says failed, when asked, for a job nobody can be running any more (its runner died), and only then', async () => {
    const { db, config } = getDeps();
    const now = Date.now();
    const row = (id: string, status: string, ageMs: number) =>
      db.send(
        new PutCommand({
          TableName: config.tables.ledger,
          Item: {
            ...exportJobKey(id),
            id,
            status,
            actor: 'inspector',
            createdAt: new Date(now - ageMs).toISOString(),
            ...(status === 'running' ? { startedAt: new Date(now - ageMs).toISOString() } : {}),
            query: { from: '2026-01-01', to: '2026-01-31' },
          },
        }),
      );
    const ids = { dead: randomBytes(16).toString('hex'), lost: randomBytes(16).toString('hex') };
    const live = { running: randomBytes(16).toString('hex'), queued: randomBytes(16).toString('hex') };
    await row(ids.dead, 'running', EXPORT_RUNNING_DEADLINE_MS + 60_000);
    await row(ids.lost, 'queued', EXPORT_QUEUED_DEADLINE_MS + 60_000);
    await row(live.running, 'running', EXPORT_RUNNING_DEADLINE_MS - 60_000);
    await row(live.queued, 'queued', 1_000);
    for (const id of Object.values(ids)) {
      const res = await svc.api('GET', `/v1/audit/exports/${id}`, { token: auditor });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'failed', error: expect.stringContaining('start another') });
      expect(res.body.download).toBeUndefined();
    }
    for (const [status, id] of Object.entries(live))
      expect((await svc.api('GET', `/v1/audit/exports/${id}`, { token: auditor })).body.status).toBe(status);
  });

  it('answers 404 for a job that does not exist', async () => {
    const res = await svc.api('GET', `/v1/audit/exports/${'0'.repeat(32)}`, { token: auditor });
    expect(res.status).toBe(404);
    expect((await svc.api('GET', '/v1/audit/exports/not-a-job', { token: auditor })).status).toBe(400);
  });
});
