import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateInZone } from '../../lambdas/core/dates.js';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../lambdas/local/tokens.js';
import { startTestService, type TestService } from '../support/service.js';

const today = dateInZone(new Date());
const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const tomorrow = addDays(today, 1);
const yesterday = addDays(today, -1);

const basis = {
  title: '关于测试收费标准的通知',
  number: '测价〔2024〕1号',
  issuer: '某市发展改革委 某市财政局',
  date: '2024-01-15',
};
const newItem = (code: string, overrides: Record<string, unknown> = {}) => ({
  code,
  name: '测试收费项目',
  department: 'TEST',
  unit: '件',
  standard: { type: 'fixed', amount: '30.00' },
  basis: [basis],
  fundManagement: 'treasury',
  // A new item takes effect today or later, as any change does.
  validFrom: today,
  ...overrides,
});

let svc: TestService;
let finance: string;
let collector: string;
let auditor: string;

beforeAll(async () => {
  svc = await startTestService();
  finance = await svc.token({ role: 'finance' });
  collector = await svc.token({ role: 'collector', department: 'ZRZY' });
  auditor = await svc.token({ role: 'auditor' });
});
afterAll(async () => svc?.stop());

describe('public catalogue', () => {
  it('answers health', async () => {
    const res = await svc.api('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });

  it('lists the seeded demo catalogue in force today, amounts as yuan strings', async () => {
    const res = await svc.api('GET', '/v1/catalogue');
    expect(res.status).toBe(200);
    expect(res.body.asOf).toBe(today);
    expect(res.body.items.length).toBeGreaterThanOrEqual(8);
    expect(
      new Set(res.body.items.map((i: { department: string }) => i.department)).size,
    ).toBeGreaterThanOrEqual(3);
    for (const item of res.body.items) {
      expect(item.version).toBeGreaterThanOrEqual(1);
      expect(item.status).toBe('active');
      const amounts =
        item.standard.type === 'fixed' ? [item.standard.amount] : [item.standard.min, item.standard.max];
      for (const a of amounts) expect(a).toMatch(/^\d+\.\d{2}$/);
    }
  });

  it('filters by department', async () => {
    const res = await svc.api('GET', '/v1/catalogue?department=ZRZY');
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(res.body.items.every((i: { department: string }) => i.department === 'ZRZY')).toBe(true);
  });

  it('refuses a malformed asOf with a 400 naming it', async () => {
    const res = await svc.api('GET', '/v1/catalogue?asOf=2026-02-30');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad_request');
    expect(res.body.details[0].path).toBe('asOf');
  });

  it('answers unknown routes and items with JSON 404s', async () => {
    const unknownRoute = await svc.api('GET', '/v1/nothing-here');
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.body.error).toBe('not_found');
    const unknownItem = await svc.api('GET', '/v1/catalogue/NO-SUCH-ITEM');
    expect(unknownItem.status).toBe(404);
    expect(unknownItem.body.error).toBe('not_found');
  });

  it('serves an OpenAPI 3.1 document with every route', async () => {
    const res = await svc.api('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(
      res.body.paths['/v1/catalogue/items'].post.requestBody.content['application/json'].schema.properties
        .standard,
    ).toBeDefined();
  });
});

describe('access to finance routes', () => {
  it('needs a valid token: none, expired, foreign key and wrong audience are 401', async () => {
    const body = { json: newItem('AUTH-001') };
    expect((await svc.api('POST', '/v1/catalogue/items', body)).status).toBe(401);
    const expired = await svc.token({ role: 'finance', ttlSeconds: -10 });
    expect((await svc.api('POST', '/v1/catalogue/items', { ...body, token: expired })).status).toBe(401);
    const wrongAudience = await svc.token({ role: 'finance', audience: 'someone-else' });
    expect((await svc.api('POST', '/v1/catalogue/items', { ...body, token: wrongAudience })).status).toBe(
      401,
    );
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ 'cognito:groups': ['finance'] })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setSubject('x')
      .setExpirationTime('1h')
      .sign(privateKey);
    const res = await svc.api('POST', '/v1/catalogue/items', { ...body, token: foreign });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthorized');
  });

  it('needs the finance role: collectors and auditors get 403', async () => {
    for (const token of [collector, auditor]) {
      const res = await svc.api('POST', '/v1/catalogue/items', { token, json: newItem('AUTH-002') });
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('forbidden');
    }
    expect((await svc.api('GET', '/v1/catalogue/AUTH-002')).status).toBe(404);
  });
});

describe('creating items', () => {
  it('creates an item, visible publicly with its history', async () => {
    const res = await svc.api('POST', '/v1/catalogue/items', { token: finance, json: newItem('TEST-001') });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      code: 'TEST-001',
      version: 1,
      standard: { type: 'fixed', amount: '30.00' },
      changedBy: 'finance',
    });
    const got = await svc.api('GET', '/v1/catalogue/TEST-001');
    expect(got.body.versions).toHaveLength(1);
    expect(got.body.basis[0].number).toBe(basis.number);
  });

  it('refuses a second item with the same code (409) without changing the first', async () => {
    await svc.api('POST', '/v1/catalogue/items', { token: finance, json: newItem('TEST-DUP') });
    const again = await svc.api('POST', '/v1/catalogue/items', {
      token: finance,
      json: newItem('TEST-DUP', { name: '另一个' }),
    });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(
      'item TEST-DUP already exists: revise it, or create the new item under another code',
    );
    const got = await svc.api('GET', '/v1/catalogue/TEST-DUP');
    expect(got.body.name).toBe('测试收费项目');
    expect(got.body.versions).toHaveLength(1);
  });

  it.each([
    ['a JSON number for an amount', { standard: { type: 'fixed', amount: 30 } }, 'standard.amount'],
    ['a negative amount', { standard: { type: 'fixed', amount: '-1.00' } }, 'standard.amount'],
    ['three decimals', { standard: { type: 'fixed', amount: '1.005' } }, 'standard.amount'],
    ['a fixed standard of 0.00', { standard: { type: 'fixed', amount: '0.00' } }, 'standard.amount'],
    ['a range up to 0.00', { standard: { type: 'range', min: '0.00', max: '0.00' } }, 'standard.max'],
    [
      'a range whose min exceeds its max',
      { standard: { type: 'range', min: '50.00', max: '10.00' } },
      'standard.min',
    ],
    ['an impossible date', { validFrom: '2026-02-30' }, 'validFrom'],
    ['validTo before validFrom', { validTo: '2023-01-01' }, 'validTo'],
    ['no legal basis', { basis: [] }, 'basis'],
    ['an unknown fund management', { fundManagement: 'pocket' }, 'fundManagement'],
    ['a lowercase code', { code: 'abc' }, 'code'],
    ['an unknown field', { colour: 'red' }, '(body)'],
    [
      'a percent exemption over 99',
      { exemptions: [{ who: '某人', kind: 'percent', percent: 150 }] },
      'exemptions[0].percent',
    ],
  ])('refuses %s with a 400 naming %s', async (_what, overrides, path) => {
    const res = await svc.api('POST', '/v1/catalogue/items', {
      token: finance,
      json: newItem('TEST-BAD', overrides),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad_request');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await svc.api('GET', '/v1/catalogue/TEST-BAD')).status).toBe(404);
  });

  it('refuses an item in force from a past date (422): charges dated then would pass the check', async () => {
    const past = await svc.api('POST', '/v1/catalogue/items', {
      token: finance,
      json: newItem('TEST-BACK', { validFrom: yesterday }),
    });
    expect(past.status).toBe(422);
    expect(past.body.details).toEqual([
      {
        path: 'validFrom',
        rule: 'effective_in_past',
        message: `validFrom ${yesterday} is before today (${today})`,
      },
    ]);
    expect((await svc.api('GET', '/v1/catalogue/TEST-BACK')).status).toBe(404);
    // From today on is a new item like any other.
    const later = await svc.api('POST', '/v1/catalogue/items', {
      token: finance,
      json: newItem('TEST-LATER', { validFrom: tomorrow }),
    });
    expect(later.status).toBe(201);
    expect(later.body.effectiveFrom).toBe(tomorrow);
  });

  it('refuses malformed JSON (400), a wrong content type (415) and a body over 1 MiB (413)', async () => {
    const malformed = await svc.api('POST', '/v1/catalogue/items', {
      token: finance,
      body: '{"code": "X",',
      contentType: 'application/json',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/malformed JSON/);
    const wrongType = await svc.api('POST', '/v1/catalogue/items', {
      token: finance,
      body: JSON.stringify(newItem('TEST-CT')),
      contentType: 'text/plain',
    });
    expect(wrongType.status).toBe(415);
    const huge = await svc.api('POST', '/v1/catalogue/items', {
      token: finance,
      body: 'x'.repeat(1024 * 1024 + 1),
      contentType: 'application/json',
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toBe('payload_too_large');
  });
});

describe('versions', () => {
  it('a price change from tomorrow keeps today on the old price, and both versions are kept', async () => {
    await svc.api('POST', '/v1/catalogue/items', { token: finance, json: newItem('TEST-PRICE') });
    const { code: _code, ...fields } = newItem('TEST-PRICE', {
      standard: { type: 'fixed', amount: '45.00' },
    });
    const revised = await svc.api('PUT', '/v1/catalogue/items/TEST-PRICE', {
      token: finance,
      json: { ...fields, effectiveFrom: tomorrow, reason: '调整收费标准' },
    });
    expect(revised.status).toBe(200);
    expect(revised.body.version).toBe(2);

    const price = async (asOf: string) =>
      (await svc.api('GET', `/v1/catalogue?asOf=${asOf}&department=TEST`)).body.items.find(
        (i: { code: string }) => i.code === 'TEST-PRICE',
      )?.standard.amount;
    expect(await price(yesterday)).toBeUndefined(); // before the item's validFrom
    expect(await price(today)).toBe('30.00');
    expect(await price(tomorrow)).toBe('45.00');

    const history = await svc.api('GET', '/v1/catalogue/TEST-PRICE');
    expect(
      history.body.versions.map((v: { effectiveFrom: string; standard: { amount: string } }) => [
        v.effectiveFrom,
        v.standard.amount,
      ]),
    ).toEqual([
      [today, '30.00'],
      [tomorrow, '45.00'],
    ]);
    expect(history.body.versions[1]).toMatchObject({ changedBy: 'finance', reason: '调整收费标准' });
  });

  it('refuses a change that would take effect in the past (422) and a revision of a missing item (404)', async () => {
    await svc.api('POST', '/v1/catalogue/items', { token: finance, json: newItem('TEST-PAST') });
    const { code: _c, ...fields } = newItem('TEST-PAST');
    const past = await svc.api('PUT', '/v1/catalogue/items/TEST-PAST', {
      token: finance,
      json: { ...fields, effectiveFrom: yesterday, reason: 'x' },
    });
    expect(past.status).toBe(422);
    expect(past.body.details[0].path).toBe('effectiveFrom');
    const missing = await svc.api('PUT', '/v1/catalogue/items/TEST-NONE', {
      token: finance,
      json: { ...fields, effectiveFrom: tomorrow, reason: 'x' },
    });
    expect(missing.status).toBe(404);
    expect((await svc.api('GET', '/v1/catalogue/TEST-PAST')).body.versions).toHaveLength(1);
  });

  it('suspends from a date with a reason and basis; abolished items cannot change again', async () => {
    await svc.api('POST', '/v1/catalogue/items', { token: finance, json: newItem('TEST-STATUS') });
    const suspend = await svc.api('POST', '/v1/catalogue/items/TEST-STATUS/status', {
      token: finance,
      json: { status: 'suspended', effectiveFrom: tomorrow, reason: '暂停征收', basis },
    });
    expect(suspend.status).toBe(200);
    expect(suspend.body.status).toBe('suspended');
    const listed = async (asOf: string) =>
      (await svc.api('GET', `/v1/catalogue?asOf=${asOf}&department=TEST`)).body.items.some(
        (i: { code: string }) => i.code === 'TEST-STATUS',
      );
    expect(await listed(today)).toBe(true);
    expect(await listed(tomorrow)).toBe(false);

    const abolish = await svc.api('POST', '/v1/catalogue/items/TEST-STATUS/status', {
      token: finance,
      json: { status: 'abolished', effectiveFrom: addDays(today, 2), reason: '取消收费', basis },
    });
    expect(abolish.status).toBe(200);
    const reactivate = await svc.api('POST', '/v1/catalogue/items/TEST-STATUS/status', {
      token: finance,
      json: { status: 'active', effectiveFrom: addDays(today, 3), reason: '恢复', basis },
    });
    expect(reactivate.status).toBe(409);
    expect((await svc.api('GET', '/v1/catalogue/TEST-STATUS')).body.versions).toHaveLength(3);
  });
});

describe('a change dated before a scheduled version', () => {
  const d1 = addDays(today, 10);
  const d2 = addDays(today, 20);
  const later = addDays(today, 25);
  const create = async (code: string) =>
    expect(
      (await svc.api('POST', '/v1/catalogue/items', { token: finance, json: newItem(code) })).status,
    ).toBe(201);
  const revise = (code: string, effectiveFrom: string, overrides: Record<string, unknown> = {}) => {
    const { code: _c, ...fields } = newItem(code, overrides);
    return svc.api('PUT', `/v1/catalogue/items/${code}`, {
      token: finance,
      json: { ...fields, effectiveFrom, reason: '调整收费标准' },
    });
  };
  const setStatus = (code: string, status: string, effectiveFrom: string) =>
    svc.api('POST', `/v1/catalogue/items/${code}/status`, {
      token: finance,
      json: { status, effectiveFrom, reason: '按文件执行', basis },
    });
  const publicItem = async (code: string, asOf: string) =>
    (await svc.api('GET', `/v1/catalogue?asOf=${asOf}&department=TEST`)).body.items.find(
      (i: { code: string }) => i.code === code,
    );
  const state = async (code: string, asOf: string) =>
    (
      await svc.api('GET', `/v1/catalogue/items?asOf=${asOf}&department=TEST`, { token: finance })
    ).body.items.find((i: { code: string }) => i.code === code)?.state;
  const versionCount = async (code: string) =>
    (await svc.api('GET', `/v1/catalogue/${code}`)).body.versions.length;

  it('keeps a suspended item suspended through a price change that names no status', async () => {
    await create('TEST-KEEP-1');
    expect((await setStatus('TEST-KEEP-1', 'suspended', d1)).status).toBe(200);
    const price = await revise('TEST-KEEP-1', d2, { standard: { type: 'fixed', amount: '9.00' } });
    expect(price.status).toBe(200);
    expect(price.body.status).toBe('suspended');
    expect(await state('TEST-KEEP-1', later)).toBe('suspended');
  });

  it('refuses an abolition a scheduled price change would undo (409 naming it), and takes it once that is replaced', async () => {
    await create('TEST-ABOL-1');
    expect((await revise('TEST-ABOL-1', d2, { standard: { type: 'fixed', amount: '7.00' } })).status).toBe(
      200,
    );
    const abolish = await setStatus('TEST-ABOL-1', 'abolished', d1);
    expect(abolish.status).toBe(409);
    expect(abolish.body.error).toBe('conflict');
    expect(abolish.body.message).toContain(`version 2 from ${d2} (active)`);
    expect(abolish.body.details).toEqual([
      expect.objectContaining({ path: 'effectiveFrom', rule: 'undone_by_scheduled_version' }),
    ]);
    // Nothing was written: the scheduled price still applies.
    expect(await versionCount('TEST-ABOL-1')).toBe(2);
    expect((await publicItem('TEST-ABOL-1', later)).standard.amount).toBe('7.00');

    // Abolished on the scheduled date first (replacing version 2 on it), then from the earlier one.
    expect((await setStatus('TEST-ABOL-1', 'abolished', d2)).status).toBe(200);
    expect((await setStatus('TEST-ABOL-1', 'abolished', d1)).status).toBe(200);
    expect(await publicItem('TEST-ABOL-1', addDays(d1, 2))).toBeUndefined();
    expect(await publicItem('TEST-ABOL-1', later)).toBeUndefined();
    expect(await state('TEST-ABOL-1', later)).toBe('abolished');
    expect(await versionCount('TEST-ABOL-1')).toBe(4);
  });

  it('refuses an abolition a scheduled suspension would outlive (409)', async () => {
    await create('TEST-ABOL-2');
    expect((await setStatus('TEST-ABOL-2', 'suspended', d2)).status).toBe(200);
    const abolish = await setStatus('TEST-ABOL-2', 'abolished', d1);
    expect(abolish.status).toBe(409);
    expect(abolish.body.message).toContain(`version 2 from ${d2} (suspended)`);
    expect(await state('TEST-ABOL-2', later)).toBe('suspended');
    expect(await versionCount('TEST-ABOL-2')).toBe(2);
  });

  it('refuses a suspension a scheduled price change would lift, and a price change a scheduled suspension would drop', async () => {
    await create('TEST-SCHED-1');
    expect((await revise('TEST-SCHED-1', d2, { standard: { type: 'fixed', amount: '7.00' } })).status).toBe(
      200,
    );
    const suspend = await setStatus('TEST-SCHED-1', 'suspended', d1);
    expect(suspend.status).toBe(409);
    expect(suspend.body.details[0].message).toContain('would end the suspension');

    await create('TEST-SCHED-2');
    expect((await setStatus('TEST-SCHED-2', 'suspended', d2)).status).toBe(200);
    const price = await revise('TEST-SCHED-2', d1, { standard: { type: 'fixed', amount: '6.00' } });
    expect(price.status).toBe(409);
    expect(price.body.details[0].message).toContain('carries the fields in force when it was recorded');
    expect(await versionCount('TEST-SCHED-2')).toBe(2);
  });

  it('stages a price change before a scheduled one or a scheduled abolition', async () => {
    await create('TEST-SCHED-3');
    expect((await revise('TEST-SCHED-3', d2, { standard: { type: 'fixed', amount: '7.00' } })).status).toBe(
      200,
    );
    expect((await revise('TEST-SCHED-3', d1, { standard: { type: 'fixed', amount: '6.00' } })).status).toBe(
      200,
    );
    expect((await publicItem('TEST-SCHED-3', d1)).standard.amount).toBe('6.00');
    expect((await publicItem('TEST-SCHED-3', d2)).standard.amount).toBe('7.00');

    await create('TEST-SCHED-4');
    expect((await setStatus('TEST-SCHED-4', 'abolished', d2)).status).toBe(200);
    expect((await revise('TEST-SCHED-4', d1, { standard: { type: 'fixed', amount: '6.00' } })).status).toBe(
      200,
    );
    expect((await publicItem('TEST-SCHED-4', d1)).standard.amount).toBe('6.00');
    expect(await publicItem('TEST-SCHED-4', later)).toBeUndefined();
    // On or after the abolition nothing changes any more.
    const after = await revise('TEST-SCHED-4', later);
    expect(after.status).toBe(409);
    expect(after.body.message).toBe(`item TEST-SCHED-4 is abolished from ${d2} and can no longer be changed`);
  });
});

describe('what an item may not say', () => {
  const exemptionCases: [string, string, unknown[], string, string][] = [
    [
      'an amount exemption above the standard',
      'TEST-EX-1',
      [{ who: '学生', kind: 'amount', amount: '50.00' }],
      'exemptions[0].amount',
      'exemptions[0].amount 50.00 is not below the standard 5.00: an amount exemption reduces the charge to it',
    ],
    [
      'a payer group exempted twice',
      'TEST-EX-2',
      [
        { who: '学生', kind: 'waive' },
        { who: '学生', kind: 'percent', percent: 50 },
      ],
      'exemptions[1].who',
      'exemptions[1].who 学生 is given an exemption more than once: one per payer group',
    ],
  ];

  it.each(exemptionCases)(
    'refuses %s in a new item and a new version (422 naming the field)',
    async (_l, code, exemptions, path, message) => {
      const standard = { type: 'fixed', amount: '5.00' };
      const created = await svc.api('POST', '/v1/catalogue/items', {
        token: finance,
        json: newItem(code, { standard, exemptions }),
      });
      expect(created.status).toBe(422);
      expect(created.body).toMatchObject({ error: 'unprocessable', details: [{ path, message }] });
      expect((await svc.api('GET', `/v1/catalogue/${code}`)).status).toBe(404);

      expect(
        (await svc.api('POST', '/v1/catalogue/items', { token: finance, json: newItem(code, { standard }) }))
          .status,
      ).toBe(201);
      const { code: _c, ...fields } = newItem(code, { standard, exemptions });
      const revised = await svc.api('PUT', `/v1/catalogue/items/${code}`, {
        token: finance,
        json: { ...fields, effectiveFrom: tomorrow, reason: '减免' },
      });
      expect(revised.status).toBe(422);
      expect(revised.body.details).toEqual([expect.objectContaining({ path, message })]);
      expect((await svc.api('GET', `/v1/catalogue/${code}`)).body.versions).toHaveLength(1);
    },
  );

  it('refuses a new item created abolished (422 naming status)', async () => {
    const res = await svc.api('POST', '/v1/catalogue/items', {
      token: finance,
      json: newItem('TEST-ABOLNEW', { status: 'abolished' }),
    });
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([
      expect.objectContaining({ path: 'status', rule: 'abolished_new_item' }),
    ]);
    expect((await svc.api('GET', '/v1/catalogue/TEST-ABOLNEW')).status).toBe(404);
  });
});

describe('CSV import', () => {
  const header =
    'code,name,department,unit,standard_type,amount,min,max,fund_management,valid_from,valid_to,basis_title,basis_number,basis_issuer,basis_date,exemptions,status,effective_from,reason';
  const row = (code: string, amount = '12.00', validFrom = today) =>
    `${code},"导入项目, 含逗号",IMP,次,fixed,${amount},,,treasury,${validFrom},,关于导入的通知,导〔2025〕1号,某市财政局,2025-01-01,小微企业:waive,active,,`;
  const importCsv = (csv: string) =>
    svc.api('POST', '/v1/catalogue/import', { token: finance, body: csv, contentType: 'text/csv' });

  it('imports every row, with or without a BOM', async () => {
    const csv = `\uFEFF${header}\n${row('IMP-001')}\n${row('IMP-002', '8.50')}\n`;
    const res = await svc.api('POST', '/v1/catalogue/import', {
      token: finance,
      body: csv,
      contentType: 'text/csv',
    });
    expect(res.status).toBe(200);
    expect(res.body.imported).toBe(2);
    const got = await svc.api('GET', '/v1/catalogue/IMP-002');
    expect(got.body).toMatchObject({
      name: '导入项目, 含逗号',
      standard: { amount: '8.50' },
      exemptions: [{ who: '小微企业', kind: 'waive' }],
    });
  });

  it('imports nothing when any row is bad, and names every bad row', async () => {
    const csv = [header, row('IMP-101'), row('IMP-102', '-3.00'), row('IMP-103'), row('imp-bad')].join(
      '\r\n',
    );
    const res = await svc.api('POST', '/v1/catalogue/import', {
      token: finance,
      body: csv,
      contentType: 'text/csv',
    });
    expect(res.status).toBe(400);
    const rows = new Set(res.body.details.map((d: { row: number }) => d.row));
    expect(rows).toEqual(new Set([3, 5]));
    expect((await svc.api('GET', '/v1/catalogue/IMP-101')).status).toBe(404);
    expect((await svc.api('GET', '/v1/catalogue/IMP-103')).status).toBe(404);
  });

  it('names the CSV column and the line of each error, not the API field', async () => {
    expect((await importCsv(`${header}\n${row('IMP-200')}`)).status).toBe(200);
    // A blank line counts: row numbers are the file's lines, as a spreadsheet shows them.
    const csv = [
      header,
      row('IMP-201').replace(',treasury,', ',cash,'),
      '',
      row('IMP-202').replace(`,${today},,`, `,${today},${yesterday},`),
      // IMP-200 exists: a new version may not take effect in the past.
      row('IMP-200').replace(/,,$/, ',2020-01-01,'),
      // IMP-203 is new: it may not be in force from a past date.
      row('IMP-203', '12.00', yesterday),
    ].join('\n');
    const res = await importCsv(csv);
    expect(res.status).toBe(400);
    const details = res.body.details.map((d: { row: number; path: string; message: string }) => [
      d.row,
      d.path,
      d.message,
    ]);
    expect(details).toEqual([
      [2, 'row 2: fund_management', expect.stringMatching(/^fund_management .*treasury/)],
      [4, 'row 4: valid_to', 'valid_to must not be before valid_from'],
      [5, 'row 5: effective_from', expect.stringMatching(/^effective_from 2020-01-01 is before today/)],
      [6, 'row 6: valid_from', `valid_from ${yesterday} is before today (${today})`],
    ]);
    expect(JSON.stringify(res.body)).not.toMatch(/fundManagement|validFrom|validTo|effectiveFrom/);
  });

  it('takes a past valid_from only in a new version of an existing item, which takes effect today', async () => {
    expect((await importCsv(`${header}\n${row('IMP-400')}`)).status).toBe(200);
    // The fee's validity may start in the past; the version still applies from effective_from on.
    const revised = await importCsv(
      `${header}\n${row('IMP-400', '15.00', yesterday).replace(/,,$/, `,${today},`)}`,
    );
    expect(revised.status, JSON.stringify(revised.body)).toBe(200);
    const item = (await svc.api('GET', '/v1/catalogue/IMP-400')).body;
    expect(item.versions.map((v: { effectiveFrom: string }) => v.effectiveFrom)).toEqual([today, today]);
    const asOf = async (date: string) =>
      (await svc.api('GET', `/v1/catalogue?asOf=${date}&department=IMP`)).body.items.find(
        (i: { code: string }) => i.code === 'IMP-400',
      );
    expect(await asOf(yesterday)).toBeUndefined();
    expect((await asOf(today)).standard.amount).toBe('15.00');
  });

  it('refuses, in the import and its preview, what an item may not say, in CSV terms', async () => {
    expect((await importCsv(`${header}\n${row('IMP-500')}`)).status).toBe(200);
    const csv = [
      header,
      row('IMP-501', '5.00').replace('小微企业:waive', '学生:amount:50.00'),
      row('IMP-502').replace('小微企业:waive', '学生:waive|学生:percent:50'),
      row('IMP-503').replace(',active,', ',abolished,'),
      // A new version of an existing item gets the same checks.
      row('IMP-500', '5.00').replace('小微企业:waive', '学生:amount:5.00').replace(/,,$/, `,${tomorrow},`),
    ].join('\n');
    const expected = [
      [
        2,
        'exemptions',
        'exemptions (entry 1, amount) 50.00 is not below the standard 5.00: an amount exemption reduces the charge to it',
      ],
      [
        3,
        'exemptions',
        'exemptions (entry 2, who) 学生 is given an exemption more than once: one per payer group',
      ],
      [4, 'status', 'status must not be abolished for a new item: abolition ends an item that was in force'],
      [
        5,
        'exemptions',
        'exemptions (entry 1, amount) 5.00 is not below the standard 5.00: an amount exemption reduces the charge to it',
      ],
    ];
    const res = await importCsv(csv);
    expect(res.status).toBe(400);
    expect(
      res.body.details.map((d: { row: number; path: string; message: string }) => [d.row, d.path, d.message]),
    ).toEqual(expected.map(([r, path, message]) => [r, `row ${r}: ${path}`, message]));
    const preview = await svc.api('POST', '/v1/catalogue/import/preview', {
      token: finance,
      body: csv,
      contentType: 'text/csv',
    });
    expect(preview.status).toBe(200);
    expect(preview.body.valid).toBe(false);
    expect(
      preview.body.rows.flatMap((r: { row: number; violations: { path: string; message: string }[] }) =>
        r.violations.map((v) => [r.row, v.path, v.message]),
      ),
    ).toEqual(expected);
    expect((await svc.api('GET', '/v1/catalogue/IMP-501')).status).toBe(404);
    expect((await svc.api('GET', '/v1/catalogue/IMP-500')).body.versions).toHaveLength(1);
  });

  it('refuses a CSV it cannot read with a 400 naming the line', async () => {
    const res = await svc.api('POST', '/v1/catalogue/import', {
      token: finance,
      body: `${header}\n${row('IMP-301')}\n"IMP-302,名称`,
      contentType: 'text/csv',
    });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([expect.objectContaining({ path: 'line 3', rule: 'malformed_csv' })]);
  });

  it('refuses a CSV without the required columns', async () => {
    const res = await svc.api('POST', '/v1/catalogue/import', {
      token: finance,
      body: 'code,name\nX-1,y',
      contentType: 'text/csv',
    });
    expect(res.status).toBe(400);
    expect(res.body.details.some((d: { rule: string }) => d.rule === 'missing_column')).toBe(true);
  });
});
