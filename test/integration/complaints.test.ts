/**
 * Payer complaints over HTTP on DynamoDB Local: filing (about a genuine receipt, or a department
 * and day) raises a payer_complaint alert; the payer's lookup shows the status and the reply and
 * nothing else, and a wrong code reads exactly as a missing complaint; auditors read (the read
 * recorded), reply and resolve; the form's abuse limits answer 429/413/400/422 and store
 * nothing; the scheduled job removes contacts past retention, as an event.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeExpiredContacts } from '../../lambdas/app/complaints.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { DEFAULT_THRESHOLDS } from '../../lambdas/core/alerts.js';
import { MAX_COMPLAINT_AGE_DAYS } from '../../lambdas/core/complaints.js';
import { dateInZone, shiftDays } from '../../lambdas/core/dates.js';
import { diffTables, snapshotTables } from '../security/support.js';
import { issue, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let auditor: string;
// biome-ignore lint/suspicious/noExplicitAny: API answers
let receipt: any;
let address = 0;
/** Each test files from its own address (the last X-Forwarded-For entry, as behind CloudFront). */
const from = () => ({ 'x-forwarded-for': `198.51.100.7, 203.0.113.${++address}` });
const today = dateInZone(new Date());
const CONTACT = '13912345678';

const about = (
  r: { code: string; number: string; checkCode: string },
  extra: Record<string, unknown> = {},
) => ({
  category: 'above_standard',
  text: '收费超过了公示标准，请核实。',
  contact: CONTACT,
  receipt: { code: r.code, number: r.number, checkCode: r.checkCode },
  ...extra,
});
const file = (body: unknown, headers = from()) => svc.api('POST', '/v1/complaints', { json: body, headers });
const lookup = (id: string, code: string) =>
  svc.api('GET', `/v1/complaints/${encodeURIComponent(id)}?code=${encodeURIComponent(code)}`);
const asAuditor = (method: string, path: string, json?: unknown) =>
  svc.api(method, path, { token: auditor, ...(json === undefined ? {} : { json }) });

/** Runs `body`, then asserts that not one row of any table was added, changed or removed. */
async function storesNothing(body: () => Promise<void>) {
  const before = await snapshotTables();
  await body();
  const diff = diffTables(before, await snapshotTables());
  expect(diff.added.map((r) => r.key)).toEqual([]);
  expect(diff.changed).toEqual([]);
  expect(diff.removed).toEqual([]);
}

beforeAll(async () => {
  svc = await startTestService({
    env: {
      FEEPROOF_TRUST_FORWARDED_FOR: 'true',
      FEEPROOF_COMPLAINT_LIMITS: JSON.stringify({ perAddressPerDay: 2, perReceipt: 3 }),
    },
  });
  getDeps().config.officeHours = { start: '00:00', end: '24:00', days: [1, 2, 3, 4, 5, 6, 7] };
  getDeps().config.alerts = { ...DEFAULT_THRESHOLDS, amountAboveUsualMinSamples: 1000 };
  auditor = await svc.token({ role: 'auditor', username: 'inspector-qian' });
  const collector = await svc.token({ role: 'collector', department: 'ZRZY' });
  const issued = await issue(svc, collector, registrationCharge());
  expect(issued.status).toBe(201);
  receipt = issued.body;
});
afterAll(async () => {
  delete process.env.FEEPROOF_TRUST_FORWARDED_FOR;
  delete process.env.FEEPROOF_COMPLAINT_LIMITS;
  await svc?.stop();
});

describe('a complaint about a receipt', () => {
  it('is filed, alerts the auditors, is read, replied and resolved, and the payer sees the reply', async () => {
    const filed = await file(about(receipt));
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    expect(filed.body).toEqual({
      id: expect.stringMatching(/^TS-\d{8}-\w{8}$/),
      code: expect.any(String),
      status: 'open',
    });
    const { id, code } = filed.body;

    const alerts = await asAuditor('GET', '/v1/audit/alerts?type=payer_complaint');
    expect(alerts.status).toBe(200);
    const alert = alerts.body.items.find((a: { subjects: string[] }) => a.subjects[0] === id);
    expect(alert).toMatchObject({
      rule: 'payer_complaint',
      department: 'ZRZY',
      subjects: [id, `${receipt.code}/${receipt.number}`],
    });

    expect((await lookup(id, code)).body).toEqual({
      id,
      status: 'open',
      filedAt: expect.any(String),
      reply: null,
      repliedAt: null,
      resolvedAt: null,
    });

    const listed = await asAuditor('GET', '/v1/audit/complaints?status=open');
    expect(listed.status).toBe(200);
    const row = listed.body.items.find((c: { id: string }) => c.id === id);
    expect(row).toMatchObject({ department: 'ZRZY', category: 'above_standard', hasContact: true });
    expect(JSON.stringify(listed.body)).not.toContain(CONTACT);
    expect(JSON.stringify(listed.body)).not.toContain('codeHash');

    const read = await asAuditor('GET', `/v1/audit/complaints/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      id,
      contact: CONTACT,
      receipt: { code: receipt.code, number: receipt.number },
    });
    const events = await asAuditor('GET', '/v1/audit/events?type=complaint.read');
    expect(events.body.items).toContainEqual(
      expect.objectContaining({ type: 'complaint.read', actor: 'inspector-qian', subject: id }),
    );

    const reply = await asAuditor('POST', `/v1/audit/complaints/${id}/reply`, {
      reply: '已核实，多收部分已退还。',
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect((await lookup(id, code)).body).toMatchObject({
      status: 'replied',
      reply: '已核实，多收部分已退还。',
    });

    const resolved = await asAuditor('POST', `/v1/audit/complaints/${id}/resolve`, { note: '办结' });
    expect(resolved.status).toBe(200);
    expect((await lookup(id, code)).body).toMatchObject({
      status: 'resolved',
      reply: '已核实，多收部分已退还。',
    });
    const again = await asAuditor('POST', `/v1/audit/complaints/${id}/reply`, { reply: '再次答复' });
    expect(again.status).toBe(409);

    const history = await asAuditor('GET', '/v1/audit/events');
    const types = history.body.items
      .filter((e: { subject: string }) => e.subject === id)
      .map((e: { type: string }) => e.type);
    expect(types.sort()).toEqual([
      'complaint.filed',
      'complaint.read',
      'complaint.replied',
      'complaint.resolved',
    ]);
    // The events keep what was said, never the contact.
    expect(JSON.stringify(history.body)).not.toContain(CONTACT);
  });

  it('answers a wrong lookup code exactly as a missing complaint', async () => {
    const { id, code } = (await file(about(receipt, { contact: undefined }))).body;
    const wrong = await lookup(
      id,
      code.replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A')),
    );
    const missing = await lookup('TS-20260101-AAAAAAAA', code);
    const malformed = await lookup(id, 'nope');
    for (const res of [wrong, missing, malformed]) expect(res.status).toBe(404);
    expect(wrong.body).toEqual(missing.body);
    expect(malformed.body).toEqual(missing.body);
    expect((await lookup(id, code)).status).toBe(200);
  });
});

describe('a complaint without a receipt', () => {
  /** About a department's day (GA, today): the receipt's own complaints are counted by limits. */
  const fileAboutGaToday = () =>
    file({ category: 'no_receipt', text: '缴费后未开具票据。', department: 'GA', date: today });

  it('cannot be resolved before it is replied to: the payer is owed an answer', async () => {
    const filed = await fileAboutGaToday();
    expect(filed.status).toBe(201);
    const { id, code } = filed.body;
    const early = await asAuditor('POST', `/v1/audit/complaints/${id}/resolve`, { note: '办结' });
    expect(early.status).toBe(409);
    expect(early.body.details).toEqual([
      expect.objectContaining({
        path: 'status',
        message: expect.stringMatching(/^reply to the complaint before resolving it/),
      }),
    ]);
    expect((await lookup(id, code)).body).toMatchObject({ status: 'open' });
    const events = await asAuditor('GET', '/v1/audit/events?type=complaint.resolved');
    expect(events.body.items.filter((e: { subject: string }) => e.subject === id)).toEqual([]);
  });

  it('names the department and day, and alerts with them', async () => {
    const filed = await fileAboutGaToday();
    expect(filed.status).toBe(201);
    const alerts = await asAuditor('GET', '/v1/audit/alerts?type=payer_complaint');
    expect(alerts.body.items).toContainEqual(
      expect.objectContaining({ department: 'GA', subjects: [filed.body.id, `GA/${today}`] }),
    );
  });
});

describe('the form refuses abuse and stores nothing', () => {
  it('keeps the line breaks of a text in paragraphs, and refuses any other control character', async () => {
    // A receipt of its own: each receipt takes a few complaints at most (the limit test's).
    const own = (
      await issue(svc, await svc.token({ role: 'collector', department: 'ZRZY' }), registrationCharge())
    ).body;
    const text = '收费员多收了钱。\r\n请核实并退还。\n谢谢。';
    const filed = await file(about(own, { text }));
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    const read = await asAuditor('GET', `/v1/audit/complaints/${filed.body.id}`);
    expect(read.body.text).toBe(text);
    const reply = '您好：\n经核查，已按标准退还。';
    const replied = await asAuditor('POST', `/v1/audit/complaints/${filed.body.id}/reply`, { reply });
    expect(replied.status, JSON.stringify(replied.body)).toBe(200);
    expect((await lookup(filed.body.id, filed.body.code)).body.reply).toBe(reply);
    await storesNothing(async () => {
      for (const bad of ['响铃\u0007', '回车\r单独', '制表\t符', '\n首行空']) {
        const res = await file(about(own, { text: bad }));
        expect(res.status, bad).toBe(400);
        expect(res.body.details[0]).toMatchObject({ path: 'text' });
      }
    });
  });

  it('answers 400 for a filled honeypot, bad contact, missing department, both receipt and department', async () => {
    await storesNothing(async () => {
      const bad = [
        about(receipt, { website: 'http://spam.example' }),
        about(receipt, { contact: 'call me' }),
        about(receipt, { contact: '1391234567' }),
        about(receipt, { department: 'GA' }),
        { category: 'other', text: '无部门' },
        { category: 'bribery', text: '类别不对', department: 'GA', date: today },
        about(receipt, { text: '' }),
        about(receipt, { text: '长'.repeat(2001) }),
      ];
      for (const body of bad) {
        const res = await file(body);
        expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(res.body.details.length).toBeGreaterThan(0);
      }
    });
  });

  it('answers 422 naming the field for a day after today or over 3 years ago, or a department not in the catalogue', async () => {
    const headers = from();
    const day = (date: string, department = 'GA') => ({
      category: 'no_receipt',
      text: '缴费后未开具票据。',
      department,
      date,
    });
    await storesNothing(async () => {
      for (const [body, path, rule] of [
        [day(shiftDays(today, 1)), 'date', 'date_in_future'],
        [day('2999-12-31'), 'date', 'date_in_future'],
        [day('1900-01-01'), 'date', 'date_too_old'],
        [day(shiftDays(today, -MAX_COMPLAINT_AGE_DAYS - 1)), 'date', 'date_too_old'],
        [day(today, 'NOSUCH'), 'department', 'unknown_department'],
      ] as const) {
        const res = await file(body, headers);
        expect(res.status, JSON.stringify(res.body)).toBe(422);
        expect(res.body.error).toBe('unprocessable');
        expect(res.body.details).toEqual([expect.objectContaining({ path, rule })]);
      }
      // Both at once: each named.
      const both = await file(day('1900-01-01', 'NOSUCH'), headers);
      expect(both.status).toBe(422);
      expect(both.body.details.map((d: { path: string }) => d.path)).toEqual(['date', 'department']);
      expect(both.body.message).toContain('NOSUCH');
    });
    // None of it counted against the address (2 a day here): both days at the bounds are filed.
    for (const date of [today, shiftDays(today, -MAX_COMPLAINT_AGE_DAYS)])
      expect((await file(day(date), headers)).status).toBe(201);
    const alerts = await asAuditor('GET', '/v1/audit/alerts?type=payer_complaint&department=NOSUCH');
    expect(alerts.body.items).toEqual([]);
  });

  it('answers 413 for a body over the limit, 422 for a receipt that is not genuine', async () => {
    await storesNothing(async () => {
      const huge = await svc.api('POST', '/v1/complaints', {
        body: JSON.stringify(about(receipt, { text: '长'.repeat(100_000) })),
        contentType: 'application/json',
        headers: from(),
      });
      expect(huge.status).toBe(413);
      const fake = await file(
        about({ ...receipt, checkCode: receipt.checkCode === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA' }),
      );
      expect(fake.status).toBe(422);
      expect(fake.body.error).toBe('unprocessable');
    });
  });

  it('answers 429 past the per-address limit, and past the per-receipt limit', async () => {
    const headers = from();
    const department = (n: number) => ({
      category: 'other',
      text: `第${n}次`,
      department: 'GA',
      date: today,
    });
    for (const n of [1, 2]) expect((await file(department(n), headers)).status).toBe(201);
    await storesNothing(async () => {
      const third = await file(department(3), headers);
      expect(third.status).toBe(429);
      expect(third.body.error).toBe('rate_limited');
      expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    });
    // The receipt has had two complaints above (limit 3): one more, then refused from any address.
    expect((await file(about(receipt))).status).toBe(201);
    await storesNothing(async () => {
      const res = await file(about(receipt));
      expect(res.status).toBe(429);
      expect(res.body.message).toContain('one receipt');
    });
  });
});

describe('the per-address counters', () => {
  it('key the address by an HMAC under the deployment secret, and expire in a few days', async () => {
    const ip = '192.0.2.55';
    const before = Math.floor(Date.now() / 1000);
    const filed = await file(
      { category: 'other', text: '计数行', department: 'GA', date: today },
      { 'x-forwarded-for': ip },
    );
    expect(filed.status).toBe(201);
    const rows = [...(await snapshotTables()).values()].map((r) => r.item);
    const stored = JSON.stringify(rows);
    // Neither the address nor its plain hash (which hashing the IPv4 space would reverse).
    expect(stored).not.toContain(createHash('sha256').update(`${today}|${ip}`).digest('hex'));
    expect(stored).not.toContain(ip);
    // Locally the secret is a key file in the data directory, made on first use.
    const source = getDeps().config.complaintAddressKey;
    if (source.kind !== 'file') throw new Error('the test service has no address key file');
    const key = readFileSync(source.path, 'utf8').trim();
    expect(key.length).toBeGreaterThanOrEqual(32);
    const hmac = createHmac('sha256', key).update(`${today}|${ip}`).digest('hex');
    const counter = rows.find((r) => r.pk === `COMPLAINT-LIMIT#ADDR#${hmac}`);
    expect(counter).toMatchObject({ sk: today, complaints: 1 });
    // The TTL (epoch seconds) lies days ahead, and only the address counters carry one.
    const ttl = counter!.ttl as number;
    expect(ttl).toBeGreaterThan(before + 86_400);
    expect(ttl).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 4 * 86_400);
    const withTtl = rows.filter((r) => r.ttl !== undefined).map((r) => String(r.pk));
    expect(withTtl.every((pk) => pk.startsWith('COMPLAINT-LIMIT#ADDR#'))).toBe(true);
  });
});

describe('retention', () => {
  it('removes contacts past the retention period by the scheduled job, each an event', async () => {
    const deps = getDeps();
    const { id } = (
      await file({
        category: 'other',
        text: '留有联系方式',
        department: 'RS',
        date: today,
        contact: 'payer@example.cn',
      })
    ).body;
    expect(await removeExpiredContacts(deps)).toBe(0);
    const kept = deps.config.complaintLimits;
    deps.config.complaintLimits = { ...kept, contactRetentionDays: 0 };
    try {
      expect(await removeExpiredContacts(deps)).toBeGreaterThanOrEqual(2);
      expect(await removeExpiredContacts(deps)).toBe(0);
    } finally {
      deps.config.complaintLimits = kept;
    }
    const read = await asAuditor('GET', `/v1/audit/complaints/${id}`);
    expect(read.body).toMatchObject({
      id,
      contact: null,
      hasContact: false,
      contactRemovedAt: expect.any(String),
    });
    const events = await asAuditor('GET', '/v1/audit/events?type=complaint.contact_removed');
    expect(events.body.items).toContainEqual(expect.objectContaining({ subject: id, actor: 'retention' }));
    const rows = JSON.stringify([...(await snapshotTables()).values()].map((r) => r.item));
    expect(rows).not.toContain('payer@example.cn');
    expect(rows).not.toContain(CONTACT);
  });
});
