/**
 * POST /v1/charges/check, the dry run of a charge: it answers what issuing would compute
 * (lines, total, total in capitals) or the very 422 issuing would answer, and it takes no
 * number, writes nothing and records no refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateInZone } from '../../lambdas/core/dates.js';
import { diffTables, snapshotTables } from '../security/support.js';
import { issue, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let zrzy: string;
let rs: string;

beforeAll(async () => {
  svc = await startTestService();
  zrzy = await svc.token({ role: 'collector', department: 'ZRZY' });
  rs = await svc.token({ role: 'collector', department: 'RS' });
});
afterAll(async () => svc?.stop());

const check = (token: string, body: unknown) => svc.api('POST', '/v1/charges/check', { token, json: body });

/** Two ZRZY-003 certificates, a waived ZRZY-001 and a plain one: quantities and an exemption. */
const mixed = registrationCharge({
  lines: [
    { itemCode: 'ZRZY-001', quantity: 1, amount: '80.00' },
    { itemCode: 'ZRZY-001', quantity: 1, amount: '0.00', exemption: '小微企业' },
    { itemCode: 'ZRZY-003', quantity: 2, amount: '20.00' },
  ],
});

/**
 * The dry run and issuing refuse `body` alike (422, the same answer naming `detail`) before
 * anything is written: what completion could not write takes no number.
 */
async function refusedAlike(token: string, body: unknown, detail: Record<string, string>) {
  const before = await snapshotTables();
  const checked = await check(token, body);
  expect(checked.status, JSON.stringify(checked.body)).toBe(422);
  expect(checked.body.error).toBe('unprocessable');
  expect(checked.body.details).toEqual([expect.objectContaining(detail)]);
  const issued = await issue(svc, token, body);
  expect(issued.status).toBe(422);
  expect(issued.body).toEqual(checked.body);
  const diff = diffTables(before, await snapshotTables());
  expect({ added: diff.added, changed: diff.changed, removed: diff.removed }).toEqual({
    added: [],
    changed: [],
    removed: [],
  });
}

describe('the charge check (dry run)', () => {
  it('answers the lines and totals that issuing then prints on the receipt', async () => {
    const checked = await check(zrzy, mixed);
    expect(checked.status, JSON.stringify(checked.body)).toBe(200);
    expect(checked.body).toMatchObject({ total: '100.00', totalInWords: '壹佰元整' });
    expect(checked.body.lines).toHaveLength(3);
    expect(checked.body.lines[1]).toMatchObject({
      itemCode: 'ZRZY-001',
      amount: '0.00',
      exemption: '小微企业',
    });

    const issued = await issue(svc, zrzy, mixed);
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    const receipt = await svc.api('GET', `/v1/receipts/${issued.body.code}/${issued.body.number}`, {
      token: zrzy,
    });
    expect(receipt.status).toBe(200);
    expect(receipt.body.lines).toEqual(checked.body.lines);
    expect(receipt.body.chargeDate).toBe(checked.body.chargeDate);
    expect([receipt.body.total, receipt.body.totalInWords]).toEqual([
      checked.body.total,
      checked.body.totalInWords,
    ]);
  });

  it('refuses what issuing refuses, with the same violations', async () => {
    const wrong = registrationCharge({
      lines: [
        { itemCode: 'ZRZY-001', quantity: 1, amount: '79.00' },
        { itemCode: 'GA-001', quantity: 1, amount: '20.00' },
        { itemCode: 'ZRZY-003', quantity: 1, amount: '10.00', exemption: '残疾人' },
      ],
    });
    const checked = await check(zrzy, wrong);
    expect(checked.status, JSON.stringify(checked.body)).toBe(422);
    expect(checked.body.error).toBe('charge_rejected');
    expect(checked.body.details.map((d: { rule: string }) => d.rule)).toEqual([
      'amount_mismatch',
      'wrong_department',
      'exemption_not_applicable',
    ]);
    const issued = await issue(svc, zrzy, wrong);
    expect(issued.status).toBe(422);
    expect(issued.body).toEqual(checked.body);

    const future = registrationCharge({ chargeDate: '2999-01-01' });
    const [checkedFuture, issuedFuture] = [await check(zrzy, future), await issue(svc, zrzy, future)];
    expect(checkedFuture.status).toBe(422);
    expect(checkedFuture.body).toEqual(issuedFuture.body);
  });

  it('refuses a text the receipt font cannot print, as issuing does: the same 422, nothing written', async () => {
    for (const [body, path] of [
      [registrationCharge({ payer: { type: 'person', name: '😀' } }), 'payer.name'],
      [registrationCharge({ remark: '备注\u{1f4e6}' }), 'remark'],
    ] as const)
      await refusedAlike(zrzy, body, { path, rule: 'unprintable_character' });
  });

  it('refuses a receipt the e-invoice could not hold, as issuing does: before a number is taken, nothing written', async () => {
    // The caller's user name is the receipt's handler, which the e-invoice holds up to 100 characters.
    const longName = await svc.token({ role: 'collector', department: 'ZRZY', username: 'u'.repeat(101) });
    await refusedAlike(longName, registrationCharge(), { path: 'handledBy', rule: 'einvoice_format' });
    const atLimit = await svc.token({ role: 'collector', department: 'ZRZY', username: 'u'.repeat(100) });
    const receipt = await issue(svc, atLimit, registrationCharge());
    expect(receipt.status, JSON.stringify(receipt.body)).toBe(201);
    const stored = await svc.api('GET', `/v1/receipts/${receipt.body.code}/${receipt.body.number}`, {
      token: atLimit,
    });
    expect(stored.body.handledBy).toBe('u'.repeat(100));
  });

  it('refuses a total above 999,999,999,999.99 yuan, each line within its standard, as issuing does', async () => {
    const finance = await svc.token({ role: 'finance' });
    const created = await svc.api('POST', '/v1/catalogue/items', {
      token: finance,
      json: {
        code: 'ZRZY-BIG',
        name: '测试大额收费',
        department: 'ZRZY',
        unit: '件',
        standard: { type: 'fixed', amount: '600000000000.00' },
        basis: [{ title: '测试', number: '测〔2026〕1号', issuer: '某市财政局', date: '2026-01-01' }],
        fundManagement: 'treasury',
        validFrom: dateInZone(new Date()),
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const line = { itemCode: 'ZRZY-BIG', quantity: 1, amount: '600000000000.00' };
    const twice = registrationCharge({ lines: [line, line] });
    const checked = await check(zrzy, twice);
    expect(checked.status, JSON.stringify(checked.body)).toBe(422);
    expect(checked.body.details).toEqual([
      expect.objectContaining({ path: 'lines', rule: 'total_too_large' }),
    ]);
    const issued = await issue(svc, zrzy, twice);
    expect(issued.status).toBe(422);
    expect(issued.body).toEqual(checked.body);
    const once = await issue(svc, zrzy, registrationCharge({ lines: [line] }));
    expect(once.status, JSON.stringify(once.body)).toBe(201);
    expect(once.body.total).toBe('600000000000.00');
  });

  it('takes no number, writes nothing and records no refusal', async () => {
    const before = await snapshotTables();
    const answers = await Promise.all([
      check(zrzy, mixed),
      check(zrzy, registrationCharge({ lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '1.00' }] })),
      check(rs, {
        payer: { type: 'unit', name: '某职业学校' },
        lines: [{ itemCode: 'RS-001', quantity: 3, amount: '30.00', exemption: '在校学生' }],
      }),
      check(zrzy, registrationCharge({ chargeDate: '2000-01-01' })),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 422, 200, 422]);
    expect(answers[2]!.body).toMatchObject({ total: '30.00', totalInWords: '叁拾元整' });
    const diff = diffTables(before, await snapshotTables());
    expect({ added: diff.added, changed: diff.changed, removed: diff.removed }).toEqual({
      added: [],
      changed: [],
      removed: [],
    });
  });

  it('reads the body as issuing does: a malformed charge is a 400 naming the field', async () => {
    const res = await check(zrzy, { payer: { type: 'person' }, lines: [] });
    expect(res.status).toBe(400);
    const paths = res.body.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['payer.name', 'lines']));
  });
});
