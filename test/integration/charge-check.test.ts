/**
 * POST /v1/charges/check, the dry run of a charge: it answers what issuing would compute
 * (lines, total, total in capitals) or the very 422 issuing would answer, and it takes no
 * number, writes nothing and records no refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const before = await snapshotTables();
    for (const [body, path] of [
      [registrationCharge({ payer: { type: 'person', name: '😀' } }), 'payer.name'],
      [registrationCharge({ remark: '备注\u{1f4e6}' }), 'remark'],
    ] as const) {
      const checked = await check(zrzy, body);
      expect(checked.status, JSON.stringify(checked.body)).toBe(422);
      expect(checked.body.error).toBe('unprocessable');
      expect(checked.body.details).toEqual([
        expect.objectContaining({ path, rule: 'unprintable_character' }),
      ]);
      const issued = await issue(svc, zrzy, body);
      expect(issued.status).toBe(422);
      expect(issued.body).toEqual(checked.body);
    }
    const diff = diffTables(before, await snapshotTables());
    expect({ added: diff.added, changed: diff.changed, removed: diff.removed }).toEqual({
      added: [],
      changed: [],
      removed: [],
    });
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
