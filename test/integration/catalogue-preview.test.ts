/**
 * The finance bureau's routes for the console, over HTTP on DynamoDB Local: the import's dry
 * run (every row with what it would write or its errors, nothing written, then the import of
 * all or none), the catalogue in any state as on a date, an item's history with the document
 * behind a status change, the departments as receipts print them, and the ranges with the use
 * of their numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateInZone } from '../../lambdas/core/dates.js';
import { diffTables, expectNothingWritten, snapshotTables } from '../security/support.js';
import { newKey, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let finance: string;

const today = dateInZone(new Date());
const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const tomorrow = addDays(today, 1);
const yesterday = addDays(today, -1);

const header =
  'code,name,department,unit,standard_type,amount,min,max,fund_management,valid_from,valid_to,basis_title,basis_number,basis_issuer,basis_date,exemptions,status,effective_from,reason';
const row = (code: string, amount = '12.00', tail = ',') =>
  `${code},预览项目,PRV,次,fixed,${amount},,,treasury,${today},,关于预览的通知,预〔2025〕1号,某市财政局,2025-01-01,,active,${tail}`;
const basis = {
  title: '关于暂停收费的通知',
  number: '停〔2025〕2号',
  issuer: '某市财政局',
  date: '2025-03-01',
};

const post = (path: string, csv: string) =>
  svc.api('POST', path, { token: finance, body: csv, contentType: 'text/csv' });
const preview = (csv: string) => post('/v1/catalogue/import/preview', csv);

beforeAll(async () => {
  svc = await startTestService();
  finance = await svc.token({ role: 'finance' });
});
afterAll(async () => svc?.stop());

describe('the import dry run', () => {
  it('shows every row with what it would write or its errors, writes nothing, and the import then agrees', async () => {
    expect((await post('/v1/catalogue/import', `${header}\n${row('PRV-EXIST')}`)).status).toBe(200);
    const csv = [
      header,
      row('PRV-001'),
      row('PRV-002', '-3.00'),
      row('PRV-EXIST', '15.00', `${tomorrow},调价`),
      row('PRV-003').replace(`,${today},,`, `,${yesterday},,`),
    ].join('\n');

    const before = await snapshotTables();
    const res = await preview(csv);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectNothingWritten(diffTables(before, await snapshotTables()), { chargeRefused: 0 }, 'preview');

    expect(res.body).toMatchObject({ valid: false, rowCount: 4, errorRows: 2 });
    const rows = res.body.rows as {
      row: number;
      cells: Record<string, string>;
      action: string | null;
      item: { version: number; standard: { amount: string }; effectiveFrom: string } | null;
      violations: { path: string; rule: string; message: string }[];
    }[];
    expect(rows.map((r) => [r.row, r.cells.code, r.action])).toEqual([
      [2, 'PRV-001', 'create'],
      [3, 'PRV-002', null],
      [4, 'PRV-EXIST', 'revise'],
      [5, 'PRV-003', null],
    ]);
    // Errors in the CSV's terms, as the import itself says them.
    expect(rows[1]!.violations).toEqual([expect.objectContaining({ path: 'amount' })]);
    expect(rows[3]!.violations).toEqual([
      expect.objectContaining({
        path: 'valid_from',
        message: `valid_from ${yesterday} is before today (${today})`,
      }),
    ]);
    expect(rows[2]!.item).toMatchObject({
      version: 2,
      standard: { amount: '15.00' },
      effectiveFrom: tomorrow,
    });
    expect(rows[0]!.violations).toEqual([]);

    // The import refuses the same rows, all or none.
    const refused = await post('/v1/catalogue/import', csv);
    expect(refused.status).toBe(400);
    expect([...new Set(refused.body.details.map((d: { row: number }) => d.row))]).toEqual([3, 5]);
    expect((await svc.api('GET', '/v1/catalogue/PRV-001')).status).toBe(404);

    // Without the bad rows the preview is valid, and the import writes what it showed.
    const good = [header, row('PRV-001'), row('PRV-EXIST', '15.00', `${tomorrow},调价`)].join('\n');
    const fine = await preview(good);
    expect(fine.body).toMatchObject({ valid: true, rowCount: 2, errorRows: 0 });
    const imported = await post('/v1/catalogue/import', good);
    expect(imported.status).toBe(200);
    expect(imported.body.items.map((i: { code: string; version: number }) => [i.code, i.version])).toEqual(
      fine.body.rows.map((r: { item: { code: string; version: number } }) => [r.item.code, r.item.version]),
    );
  });

  it('refuses what is not a catalogue CSV as the import does: header, encoding, size', async () => {
    const noColumns = await preview('code,name\nX-1,y');
    expect(noColumns.status).toBe(400);
    expect(noColumns.body.details.some((d: { rule: string }) => d.rule === 'missing_column')).toBe(true);
    expect((await preview(`${header}\n`)).status).toBe(400);
    expect((await preview(`${header}\n"PRV-9,名称`)).status).toBe(400);
    const many = [header, ...Array.from({ length: 120 }, (_, i) => row(`PRV-M${i}`))].join('\n');
    expect((await preview(many)).status).toBe(413);
    const auditor = await svc.token({ role: 'auditor' });
    const asAuditor = await svc.api('POST', '/v1/catalogue/import/preview', {
      token: auditor,
      body: `${header}\n${row('PRV-A')}`,
      contentType: 'text/csv',
    });
    expect(asAuditor.status).toBe(403);
  });
});

describe("the finance bureau's reads", () => {
  it('lists every item in any state as on a date, and an item history with the basis of a status change', async () => {
    const item = {
      code: 'PRV-STATE',
      name: '状态测试收费',
      department: 'PRV',
      unit: '件',
      standard: { type: 'fixed', amount: '5.00' },
      basis: [basis],
      fundManagement: 'treasury',
      validFrom: today,
    };
    expect((await svc.api('POST', '/v1/catalogue/items', { token: finance, json: item })).status).toBe(201);
    const suspended = await svc.api('POST', '/v1/catalogue/items/PRV-STATE/status', {
      token: finance,
      json: { status: 'suspended', effectiveFrom: tomorrow, reason: '暂停收费', basis },
    });
    expect(suspended.status).toBe(200);

    const stateOn = async (asOf: string) => {
      const res = await svc.api('GET', `/v1/catalogue/items?asOf=${asOf}&department=PRV`, { token: finance });
      expect(res.status).toBe(200);
      expect(res.body.items.every((i: { department: string }) => i.department === 'PRV')).toBe(true);
      return res.body.items.find((i: { code: string }) => i.code === 'PRV-STATE')?.state;
    };
    expect(await stateOn(yesterday)).toBe('not_yet_effective');
    expect(await stateOn(today)).toBe('in_force');
    expect(await stateOn(tomorrow)).toBe('suspended');
    // The public list shows only what is in force.
    const publicList = await svc.api('GET', `/v1/catalogue?asOf=${tomorrow}&department=PRV`);
    expect(publicList.body.items.some((i: { code: string }) => i.code === 'PRV-STATE')).toBe(false);

    const history = await svc.api('GET', '/v1/catalogue/items/PRV-STATE', { token: finance });
    expect(history.status).toBe(200);
    expect(history.body).toMatchObject({ code: 'PRV-STATE', today, state: 'in_force' });
    expect(history.body.versions).toEqual([
      expect.objectContaining({ version: 1, changeType: 'create', changedBy: expect.any(String) }),
      expect.objectContaining({ version: 2, status: 'suspended', reason: '暂停收费', changeBasis: basis }),
    ]);
    expect((await svc.api('GET', '/v1/catalogue/items/NOPE-1', { token: finance })).status).toBe(404);
    expect((await svc.api('GET', '/v1/catalogue/items/PRV-STATE')).status).toBe(401);
  });

  it('lists the ranges with the use of their numbers, and the departments as receipts print them', async () => {
    const collector = await svc.token({ role: 'collector', department: 'ZRZY' });
    const ranges = async () =>
      (await svc.api('GET', '/v1/ranges', { token: finance })).body.ranges as {
        id: string;
        department: string;
        status: string;
        issued: number;
        red: number;
        unfinished: number;
        unused: number;
        closeReason?: string;
      }[];
    const issue = async () => {
      const res = await svc.api('POST', '/v1/receipts', {
        token: collector,
        json: registrationCharge(),
        headers: { 'idempotency-key': newKey() },
      });
      expect(res.status).toBe(201);
      return res.body;
    };
    // The first charge opens the department's range (automatic allocation).
    await issue();
    const before = (await ranges()).find((r) => r.department === 'ZRZY' && r.status === 'open')!;
    const issued = await issue();
    const red = await svc.api('POST', `/v1/receipts/${issued.code}/${issued.number}/reversal`, {
      token: collector,
      json: { reason: '退费' },
      headers: { 'idempotency-key': newKey() },
    });
    expect(red.status).toBe(201);
    const after = (await ranges()).find((r) => r.id === before.id)!;
    expect(after.issued - before.issued).toBe(1);
    expect(after.red - before.red).toBe(1);
    expect(after.unused).toBe(before.unused - 2);
    expect(after.unfinished).toBe(0);

    const allocated = await svc.api('POST', '/v1/ranges', {
      token: finance,
      json: { department: 'PRV', size: 20, departmentName: '某市预览局' },
    });
    expect(allocated.status).toBe(201);
    const closed = await svc.api('POST', `/v1/ranges/${allocated.body.id}/close`, {
      token: finance,
      json: { reason: '试点结束' },
    });
    expect(closed.status).toBe(200);
    expect((await ranges()).find((r) => r.id === allocated.body.id)).toMatchObject({
      status: 'closed',
      unused: 20,
      unusedForGood: 20,
      closeReason: '试点结束',
    });
    expect((await svc.api('GET', '/v1/ranges', { token: collector })).status).toBe(403);

    const departments = await svc.api('GET', '/v1/departments', { token: finance });
    expect(departments.status).toBe(200);
    const byCode = new Map(departments.body.departments.map((d: { code: string }) => [d.code, d] as const));
    expect(byCode.get('PRV')).toMatchObject({
      code: 'PRV',
      name: '某市预览局',
      printedAs: '某市预览局',
      ranges: 1,
    });
    expect(byCode.get('ZRZY')).toMatchObject({ name: '某市自然资源和规划局' });
  });
});
