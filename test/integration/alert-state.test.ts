/**
 * An auditor acknowledges or resolves an alert with a note (POST /v1/audit/alerts/{id}/state):
 * each change is an `alert.state` event in the change history (who, when, why, from which
 * state); a change the state does not allow is a 409 that writes nothing; an unknown alert is
 * a 404; only auditors may. Also the feed's new filters (severity, department, state), an
 * auditor's read of one receipt, and a collector's listing of the department's receipts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issue, newKey, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let auditor: string;
let collector: string;

interface Alert {
  id: string;
  rule: string;
  severity: string;
  department: string;
  subjects: string[];
  state?: string;
  stateBy?: string;
  stateNote?: string;
}

/** A charge the catalogue refuses (a wrong amount): a 422 that raises a charge_refused alert. */
async function refusedChargeAlert(department = 'ZRZY'): Promise<Alert> {
  const token = await svc.token({ role: 'collector', department });
  const before = await alerts('?type=charge_refused&limit=500');
  const res = await issue(
    svc,
    token,
    registrationCharge({ lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '81.00' }] }),
  );
  expect(res.status).toBe(422);
  const after = await alerts('?type=charge_refused&limit=500');
  const fresh = after.filter((a) => !before.some((b) => b.id === a.id));
  expect(fresh).toHaveLength(1);
  return fresh[0]!;
}

async function alerts(query = ''): Promise<Alert[]> {
  const res = await svc.api('GET', `/v1/audit/alerts${query}`, { token: auditor });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items;
}

const changeState = (id: string, body: unknown, token = auditor) =>
  svc.api('POST', `/v1/audit/alerts/${encodeURIComponent(id)}/state`, { token, json: body });

async function stateEvents(): Promise<
  { actor: string; subject: string; at: string; details: Record<string, string> }[]
> {
  const res = await svc.api('GET', '/v1/audit/events?type=alert.state&limit=500', { token: auditor });
  expect(res.status).toBe(200);
  return res.body.items;
}

beforeAll(async () => {
  svc = await startTestService();
  auditor = await svc.token({ role: 'auditor', username: 'auditor-li' });
  collector = await svc.token({ role: 'collector', department: 'ZRZY' });
});
afterAll(async () => svc?.stop());

describe('alert state', () => {
  it('records each change as an event: open -> acknowledged -> resolved', async () => {
    const alert = await refusedChargeAlert();
    expect(alert.state).toBeUndefined();
    expect((await alerts('?state=open&limit=500')).map((a) => a.id)).toContain(alert.id);

    const ack = await changeState(alert.id, { state: 'acknowledged', note: '已联系窗口核实' });
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
    expect(ack.body).toMatchObject({
      id: alert.id,
      state: 'acknowledged',
      stateBy: 'auditor-li',
      stateNote: '已联系窗口核实',
    });
    const listed = (await alerts('?state=acknowledged&limit=500')).find((a) => a.id === alert.id);
    expect(listed).toMatchObject({ state: 'acknowledged', stateNote: '已联系窗口核实' });
    expect((await alerts('?state=open&limit=500')).map((a) => a.id)).not.toContain(alert.id);

    const resolved = await changeState(alert.id, { state: 'resolved', note: '金额录入错误，已重新收费' });
    expect(resolved.status).toBe(200);

    const events = (await stateEvents()).filter((e) => e.subject === alert.id);
    expect(events.map((e) => [e.actor, e.details.from, e.details.to, e.details.note])).toEqual([
      ['auditor-li', 'acknowledged', 'resolved', '金额录入错误，已重新收费'],
      ['auditor-li', 'open', 'acknowledged', '已联系窗口核实'],
    ]);
    expect(events[0]!.details).toMatchObject({ rule: 'charge_refused', department: 'ZRZY' });
    expect(Date.parse(events[0]!.at)).toBeGreaterThan(Date.parse(events[1]!.at) - 1);
  });

  it('refuses a change the state does not allow (409) and writes nothing', async () => {
    const alert = await refusedChargeAlert();
    expect((await changeState(alert.id, { state: 'resolved', note: '直接处理' })).status).toBe(200);
    const before = (await stateEvents()).length;
    for (const state of ['acknowledged', 'resolved']) {
      const res = await changeState(alert.id, { state, note: '再次处理' });
      expect(res.status, state).toBe(409);
      expect(res.body).toMatchObject({ error: 'conflict' });
      expect(res.body.message).toContain('resolved');
    }
    expect((await stateEvents()).length).toBe(before);
    const listed = (await alerts('?state=resolved&limit=500')).find((a) => a.id === alert.id);
    expect(listed?.stateNote).toBe('直接处理');

    // Acknowledged twice: the second is refused too.
    const other = await refusedChargeAlert();
    expect((await changeState(other.id, { state: 'acknowledged', note: '核实中' })).status).toBe(200);
    expect((await changeState(other.id, { state: 'acknowledged', note: '核实中' })).status).toBe(409);
  });

  it('answers 404 for an alert that does not exist, 400 for a malformed id or body', async () => {
    const alert = await refusedChargeAlert();
    const missing = `${new Date().toISOString()}-00000000`;
    expect((await changeState(missing, { state: 'resolved', note: '无' })).status).toBe(404);
    const bad = await changeState('not-an-id', { state: 'resolved', note: '无' });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe('id');
    for (const [body, path] of [
      [{ state: 'open', note: '重新打开' }, 'state'],
      [{ state: 'resolved' }, 'note'],
      [{ state: 'resolved', note: '' }, 'note'],
      [{ state: 'resolved', note: '好', extra: 1 }, '(body)'],
    ] as const) {
      const res = await changeState(alert.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    expect((await alerts('?state=open&limit=500')).map((a) => a.id)).toContain(alert.id);
  });

  it('lets only auditors change an alert', async () => {
    const alert = await refusedChargeAlert();
    const finance = await svc.token({ role: 'finance' });
    for (const token of [finance, collector]) {
      const res = await changeState(alert.id, { state: 'resolved', note: '越权' }, token);
      expect(res.status).toBe(403);
    }
    expect((await changeState(alert.id, { state: 'resolved', note: '无' }, '')).status).toBe(401);
    expect((await alerts('?state=open&limit=500')).map((a) => a.id)).toContain(alert.id);
  });

  it('filters the feed by severity and department', async () => {
    const zrzy = await refusedChargeAlert('ZRZY');
    const ga = await refusedChargeAlert('GA');
    const ids = async (q: string) => (await alerts(`?limit=500&${q}`)).map((a) => a.id);
    expect(await ids('department=GA')).toContain(ga.id);
    expect(await ids('department=GA')).not.toContain(zrzy.id);
    expect(await ids('severity=warning&type=charge_refused')).toEqual(
      expect.arrayContaining([ga.id, zrzy.id]),
    );
    expect(await ids('severity=critical')).not.toContain(ga.id);
    expect((await svc.api('GET', '/v1/audit/alerts?severity=loud', { token: auditor })).status).toBe(400);
  });
});

describe('receipts for the console', () => {
  it("lists a collector's own department's receipts, newest first, by cursor pages", async () => {
    const ga = await svc.token({ role: 'collector', department: 'GA' });
    const issued = [];
    for (const name of ['列表一', '列表二', '列表三']) {
      const res = await issue(svc, collector, registrationCharge({ payer: { type: 'person', name } }));
      expect(res.status).toBe(201);
      issued.push(res.body);
    }
    const gaReceipt = await issue(svc, ga, {
      payer: { type: 'person', name: '公安缴款人' },
      lines: [{ itemCode: 'GA-001', quantity: 1, amount: '20.00' }],
    });
    expect(gaReceipt.status).toBe(201);

    const seen = [];
    let cursor: string | null = null;
    do {
      const res = await svc.api('GET', `/v1/receipts?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        token: collector,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items);
      cursor = res.body.cursor;
    } while (cursor);
    const numbers = seen.map((r) => `${r.code}/${r.number}`);
    for (const r of issued) expect(numbers).toContain(`${r.code}/${r.number}`);
    expect(numbers).not.toContain(`${gaReceipt.body.code}/${gaReceipt.body.number}`);
    expect(seen.every((r) => r.payer && r.total && r.status)).toBe(true);
    const times = seen.map((r) => r.issuedAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(seen[0]).toMatchObject({ payer: { name: '列表三' }, total: '80.00' });

    expect((await svc.api('GET', '/v1/receipts?cursor=bm9wZQ', { token: collector })).status).toBe(400);
    expect((await svc.api('GET', '/v1/receipts', { token: auditor })).status).toBe(403);
  });

  it("counts a receipt's public checks, for its collector and for auditors", async () => {
    const res = await issue(svc, collector, registrationCharge(), newKey());
    const r = res.body;
    const path = `/v1/receipts/${r.code}/${r.number}`;
    expect((await svc.api('GET', path, { token: collector })).body.checks).toBe(0);
    for (let i = 0; i < 2; i++)
      expect(
        (await svc.api('GET', `/v1/verify?code=${r.code}&number=${r.number}&checkCode=${r.checkCode}`))
          .status,
      ).toBe(200);
    expect((await svc.api('GET', path, { token: collector })).body.checks).toBe(2);
    const audited = await svc.api('GET', `/v1/audit/receipts/${r.code}/${r.number}`, { token: auditor });
    expect(audited.status).toBe(200);
    expect(audited.body).toMatchObject({
      checks: 2,
      payer: { name: '张三', idNumber: '110101199003071234' },
      total: '80.00',
    });
    expect((await svc.api('GET', `/v1/audit/receipts/${r.code}/0000000000`, { token: auditor })).status).toBe(
      404,
    );
  });
});
