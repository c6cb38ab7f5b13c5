import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../../lambdas/app/deps.js';
import { dateInZone } from '../../lambdas/core/dates.js';
import { loadConfig } from '../../lambdas/runtime/config.js';
import { ENV } from '../../lambdas/runtime/env.js';
import { addDays } from '../core/support.js';
import { consecutive, issue, newKey, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let zrzy: string;
let zrzyOther: string;
let ga: string;

beforeAll(async () => {
  svc = await startTestService();
  zrzy = await svc.token({ role: 'collector', department: 'ZRZY', username: 'clerk-li' });
  zrzyOther = await svc.token({ role: 'collector', department: 'ZRZY', username: 'clerk-wang' });
  ga = await svc.token({ role: 'collector', department: 'GA' });
});
afterAll(async () => svc?.stop());

describe('issuing', () => {
  it('issues a signed receipt with code, number and check code', async () => {
    const res = await issue(svc, zrzy);
    expect(res.status).toBe(201);
    const year = new Date().toISOString().slice(2, 4);
    expect(res.body.code).toBe(`110101${year}`);
    expect(res.body.number).toMatch(/^\d{10}$/);
    expect(res.body.checkCode).toMatch(/^[2-9A-HJ-NP-Z]{6}$/);
    expect(res.body).toMatchObject({
      total: '80.00',
      totalInWords: '捌拾元整',
      status: 'issued',
      kind: 'blue',
    });
    expect(res.body.verifyUrl).toContain(`checkCode=${res.body.checkCode}`);

    const got = await svc.api('GET', `/v1/receipts/${res.body.code}/${res.body.number}`, { token: zrzy });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      collectingUnit: expect.stringContaining('自然资源'),
      handledBy: 'clerk-li',
      payer: { name: '张三' },
    });
    expect(got.body.lines[0]).toMatchObject({
      itemCode: 'ZRZY-001',
      amount: '80.00',
      standard: '80.00',
      quantity: 1,
    });
    expect(got.body.signature.value.length).toBeGreaterThan(60);
  });

  it('serves the PDF byte-identical each time, and pdfsig accepts its signature', async () => {
    const res = await issue(svc, zrzy);
    const path = `/v1/receipts/${res.body.code}/${res.body.number}/pdf`;
    const first = await svc.api('GET', path, { token: zrzy });
    const second = await svc.api('GET', path, { token: zrzy });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/pdf');
    expect(first.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(Buffer.compare(first.bytes, second.bytes)).toBe(0);
    const file = join(mkdtempSync(join(tmpdir(), 'receipt-')), 'r.pdf');
    writeFileSync(file, first.bytes);
    let report = '';
    try {
      report = execFileSync('pdfsig', [file], { encoding: 'utf8' });
    } catch (e) {
      report = String((e as { stdout?: string }).stdout ?? '');
    }
    expect(report).toContain('Signature is Valid');
    expect(report).toContain('Total document signed');
    expect(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' })).toContain(res.body.number);
  });

  it('lets only the issuing department read a receipt (403 for another department)', async () => {
    const res = await issue(svc, zrzy);
    const path = `/v1/receipts/${res.body.code}/${res.body.number}`;
    expect((await svc.api('GET', path, { token: zrzyOther })).status).toBe(200);
    const other = await svc.api('GET', path, { token: ga });
    expect(other.status).toBe(403);
    expect((await svc.api('GET', `${path}/pdf`, { token: ga })).status).toBe(403);
    const finance = await svc.token({ role: 'finance' });
    expect((await svc.api('GET', path, { token: finance })).status).toBe(403);
  });

  it('refuses a charge off the catalogue with every violation, consuming no number', async () => {
    const before = await issue(svc, zrzy);
    const refused = await issue(
      svc,
      zrzy,
      registrationCharge({
        lines: [
          { itemCode: 'ZRZY-001', quantity: 1, amount: '90.00' },
          { itemCode: 'GA-001', quantity: 1, amount: '20.00' },
          { itemCode: 'NOPE-1', quantity: 1, amount: '1.00' },
        ],
      }),
    );
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('charge_rejected');
    expect(refused.body.details.map((d: { rule: string }) => d.rule)).toEqual([
      'amount_mismatch',
      'wrong_department',
      'unknown_item',
    ]);
    const after = await issue(svc, zrzy);
    expect(Number(after.body.number)).toBe(Number(before.body.number) + 1);
  });

  it('refuses bad requests with a 400 naming the field', async () => {
    const numberAmount = await issue(
      svc,
      zrzy,
      registrationCharge({ lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: 80 }] }),
    );
    expect(numberAmount.status).toBe(400);
    expect(numberAmount.body.details[0].path).toBe('lines[0].amount');
    // A JSON number is there, not missing: the answer says what to send instead.
    expect(numberAmount.body.details[0].message).toBe(
      'lines[0].amount must be a decimal string in yuan, e.g. "80.00", not a number',
    );
    const fractional = await issue(
      svc,
      zrzy,
      registrationCharge({ lines: [{ itemCode: 'ZRZY-001', quantity: 1.5, amount: '80.00' }] }),
    );
    expect(fractional.status).toBe(400);
    expect(fractional.body.details[0].path).toBe('lines[0].quantity');
    const noKey = await svc.api('POST', '/v1/receipts', { token: zrzy, json: registrationCharge() });
    expect(noKey.status).toBe(400);
    // The header is named, with the rule the README states, whether it is missing or malformed.
    expect(noKey.body.details).toEqual([
      expect.objectContaining({ path: 'header.idempotency-key', rule: 'invalid_type' }),
    ]);
    expect(noKey.body.details[0].message).toContain('is required: 8–128 printable ASCII characters');
    for (const key of ['short', 'with spaces in it', 'k'.repeat(129)]) {
      const badKey = await issue(svc, zrzy, registrationCharge(), key);
      expect(badKey.status, key).toBe(400);
      expect(badKey.body.details, key).toEqual([
        expect.objectContaining({
          path: 'header.idempotency-key',
          message: expect.stringContaining('must be 8–128 printable ASCII characters (no spaces)'),
        }),
      ]);
    }
    const future = await issue(svc, zrzy, registrationCharge({ chargeDate: '2999-01-01' }));
    expect(future.status).toBe(422);
  });

  it('refuses a name the receipt font cannot print (422), before taking a number', async () => {
    const res = await issue(
      svc,
      zrzy,
      registrationCharge({ payer: { type: 'person', name: '张\u{1F600}' } }),
    );
    expect(res.status).toBe(422);
    expect(res.body.details[0].rule).toBe('unprintable_character');
  });

  it('applies an exemption: a small business is waived the registration fee', async () => {
    const res = await issue(
      svc,
      zrzy,
      registrationCharge({
        payer: { type: 'unit', name: '某某科技有限公司' },
        lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '0.00', exemption: '小微企业' }],
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body.total).toBe('0.00');
  });
});

describe('the charge date', () => {
  const today = () => dateInZone(new Date());
  const auditor = () => svc.token({ role: 'auditor' });
  const alerts = async (rule: string) =>
    (await svc.api('GET', `/v1/audit/alerts?type=${rule}&limit=500`, { token: await auditor() })).body
      .items as { rule: string; severity: string; subjects: string[]; message: { zh: string; en: string } }[];

  it('refuses a charge dated before the window (422), records the refusal and names it in words', async () => {
    expect(getDeps().config.maxChargeAgeDays).toBe(30);
    for (const chargeDate of [addDays(today(), -31), '2018-06-01']) {
      const res = await issue(svc, zrzy, registrationCharge({ chargeDate, remark: `补开 ${chargeDate}` }));
      expect(res.status, chargeDate).toBe(422);
      expect(res.body.error).toBe('charge_rejected');
      expect(res.body.details).toEqual([
        {
          path: 'chargeDate',
          rule: 'charge_date_too_old',
          message: expect.stringContaining(`chargeDate ${chargeDate} is more than 30 days before today`),
        },
      ]);
    }
    const events = (
      await svc.api('GET', '/v1/audit/events?type=charge.refused&limit=500', { token: await auditor() })
    ).body.items as { details: { chargeDate: string; violations: { rule: string }[] } }[];
    const old = events.find((e) => e.details.chargeDate === '2018-06-01');
    expect(old?.details.violations.map((v) => v.rule)).toEqual(['charge_date_too_old']);
    // The auditor's alert says the rule in words, in Chinese without its code.
    const refused = (await alerts('charge_refused')).filter((a) =>
      a.message.zh.includes('收费日期超出补开期限'),
    );
    expect(refused.length).toBeGreaterThanOrEqual(2);
    for (const a of refused) expect(a.message.zh).not.toMatch(/[a-z]+_[a-z]+/);
  });

  it('issues a late charge inside the window and warns of it; a charge of today raises nothing', async () => {
    const late = await issue(svc, zrzy, registrationCharge({ chargeDate: addDays(today(), -30) }));
    expect(late.status, JSON.stringify(late.body)).toBe(201);
    const onTime = await issue(svc, zrzy, registrationCharge({ chargeDate: today() }));
    expect(onTime.status).toBe(201);
    const raised = await alerts('late_issuance');
    const of = (r: { body: { code: string; number: string } }) =>
      raised.filter((a) => a.subjects.includes(`${r.body.code}/${r.body.number}`));
    expect(of(late)).toEqual([expect.objectContaining({ rule: 'late_issuance', severity: 'warning' })]);
    expect(of(late)[0]!.message.zh).toContain('晚 30 天');
    expect(of(onTime)).toEqual([]);
  });

  it('takes its window from FEEPROOF_MAX_CHARGE_AGE_DAYS', async () => {
    expect(loadConfig({}).maxChargeAgeDays).toBe(30);
    expect(loadConfig({ [ENV.maxChargeAgeDays]: '7' }).maxChargeAgeDays).toBe(7);
    expect(loadConfig({ [ENV.maxChargeAgeDays]: '0' }).maxChargeAgeDays).toBe(0);
    for (const bad of ['-1', '2.5', 'thirty'])
      expect(() => loadConfig({ [ENV.maxChargeAgeDays]: bad }), bad).toThrow(ENV.maxChargeAgeDays);
    const config = getDeps().config;
    const saved = config.maxChargeAgeDays;
    config.maxChargeAgeDays = 3;
    try {
      const outside = await issue(svc, zrzy, registrationCharge({ chargeDate: addDays(today(), -4) }));
      expect(outside.status).toBe(422);
      expect(outside.body.details[0].message).toContain('more than 3 days before today');
      const inside = await issue(svc, zrzy, registrationCharge({ chargeDate: addDays(today(), -3) }));
      expect(inside.status).toBe(201);
    } finally {
      config.maxChargeAgeDays = saved;
    }
  });
});

describe('idempotency', () => {
  it('returns the same receipt for the same key, and 409 for the same key with another body', async () => {
    const key = newKey();
    const first = await issue(svc, zrzy, registrationCharge(), key);
    const again = await issue(svc, zrzy, registrationCharge(), key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const other = await issue(svc, zrzy, registrationCharge({ remark: '另一笔' }), key);
    expect(other.status).toBe(409);
  });

  it('replays a receipt whose charge would be refused now, recording no refusal', async () => {
    // Charges are checked before their key is looked up (one request fewer per receipt): a
    // replay that the check now refuses (here, the charge date has left a narrowed window) must
    // still answer its receipt, and must not be recorded as refused.
    const key = newKey();
    const chargeDate = addDays(dateInZone(new Date()), -10);
    const charge = registrationCharge({ chargeDate, remark: `replay ${key}` });
    const first = await issue(svc, zrzy, charge, key);
    expect(first.status).toBe(201);
    const config = getDeps().config;
    const saved = config.maxChargeAgeDays;
    config.maxChargeAgeDays = 5;
    try {
      expect((await issue(svc, zrzy, charge, newKey())).status).toBe(422); // a new key is refused
      const again = await issue(svc, zrzy, charge, key);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
    } finally {
      config.maxChargeAgeDays = saved;
    }
    const auditor = await svc.token({ role: 'auditor' });
    const refusals = (
      await svc.api('GET', '/v1/audit/events?type=charge.refused&limit=500', { token: auditor })
    ).body.items.filter((e: { details: { chargeDate: string } }) => e.details.chargeDate === chargeDate);
    expect(refusals).toHaveLength(1); // the new key's, not the replay's
  });

  it('makes one receipt for the same key sent many times at once', async () => {
    const key = newKey();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => issue(svc, zrzy, registrationCharge(), key)),
    );
    expect(answers.every((a) => a.status === 200 || a.status === 201)).toBe(true);
    expect(new Set(answers.map((a) => a.body.number)).size).toBe(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
  });
});

describe('continuous numbers', () => {
  it('50 concurrent issuances in one department take 50 consecutive numbers', async () => {
    const token = await svc.token({ role: 'collector', department: 'GA' });
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        issue(svc, token, {
          payer: { type: 'person', name: '李四' },
          lines: [{ itemCode: 'GA-001', quantity: 1, amount: '20.00' }],
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(201));
    const numbers = consecutive(answers.map((a) => a.body.number));
    expect(numbers).toHaveLength(50);
  });

  it('moves to a new range when one runs out, and finance can allocate and close ranges', async () => {
    const finance = await svc.token({ role: 'finance' });
    const allocated = await svc.api('POST', '/v1/ranges', {
      token: finance,
      json: { department: 'RS', size: 3, departmentName: '某市人力资源和社会保障局' },
    });
    expect(allocated.status).toBe(201);
    expect(allocated.body).toMatchObject({ status: 'open', size: 3, taken: 0 });
    const rs = await svc.token({ role: 'collector', department: 'RS' });
    const charge = {
      payer: { type: 'person', name: '王五' },
      lines: [{ itemCode: 'RS-001', quantity: 1, amount: '30.00' }],
    };
    const numbers: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await issue(svc, rs, charge);
      expect(res.status).toBe(201);
      numbers.push(res.body.number);
    }
    expect(numbers.slice(0, 3).map(Number)).toEqual([0, 1, 2].map((i) => Number(allocated.body.first) + i));
    // The fourth came from an automatically allocated next range.
    expect(Number(numbers[3])).toBeGreaterThan(Number(allocated.body.last));
    expect(Number(numbers[4])).toBe(Number(numbers[3]) + 1);

    const closeUnknown = await svc.api('POST', '/v1/ranges/nope/close', {
      token: finance,
      json: { reason: '核销' },
    });
    expect(closeUnknown.status).toBe(404);
    // Longer than DynamoDB allows in a key: still an unknown range, not a server error.
    const closeHuge = await svc.api('POST', `/v1/ranges/${'9'.repeat(3000)}/close`, {
      token: finance,
      json: { reason: '核销' },
    });
    expect(closeHuge.status).toBe(404);
    expect(closeHuge.body.error).toBe('not_found');
    const collectorTry = await svc.api('POST', '/v1/ranges', {
      token: rs,
      json: { department: 'RS', size: 3 },
    });
    expect(collectorTry.status).toBe(403);
  });
});

describe('red reversal', () => {
  it('answers a copy of a reversal sent at once with the same key with the one red receipt, not a 409', async () => {
    const original = await issue(svc, zrzy);
    const reverse = (key: string) =>
      svc.api('POST', `/v1/receipts/${original.body.code}/${original.body.number}/reversal`, {
        token: zrzy,
        json: { reason: '重复缴费退费' },
        headers: { 'idempotency-key': key },
      });
    const key = newKey();
    const first = await reverse(key);
    expect(first.status).toBe(201);
    // The second copy looked its key up before the first one's transaction committed: its
    // look-up misses, and it finds the original reversed (by this very key).
    const receipts = getDeps().receipts;
    const lookUp = receipts.getIdempotency.bind(receipts);
    receipts.getIdempotency = async () => {
      receipts.getIdempotency = lookUp;
      return undefined;
    };
    const second = await reverse(key);
    expect(second.status).toBe(200);
    expect(second.body.number).toBe(first.body.number);
    // Another key is refused: the receipt was reversed once.
    expect((await reverse(newKey())).status).toBe(409);
  });

  it('issues a red receipt with negated amounts and marks the original reversed, once', async () => {
    const original = await issue(svc, zrzy);
    const path = `/v1/receipts/${original.body.code}/${original.body.number}`;
    const red = await svc.api('POST', `${path}/reversal`, {
      token: zrzy,
      json: { reason: '重复缴费退费' },
      headers: { 'idempotency-key': newKey() },
    });
    expect(red.status).toBe(201);
    expect(red.body).toMatchObject({
      kind: 'red',
      total: '-80.00',
      totalInWords: '负捌拾元整',
      reverses: { code: original.body.code, number: original.body.number },
    });
    expect(red.body.number).not.toBe(original.body.number);

    const after = await svc.api('GET', path, { token: zrzy });
    expect(after.body.status).toBe('reversed');
    expect(after.body.reversedBy).toEqual({ code: red.body.code, number: red.body.number });

    const twice = await svc.api('POST', `${path}/reversal`, {
      token: zrzy,
      json: { reason: '再次' },
      headers: { 'idempotency-key': newKey() },
    });
    expect(twice.status).toBe(409);
    const ofRed = await svc.api('POST', `/v1/receipts/${red.body.code}/${red.body.number}/reversal`, {
      token: zrzy,
      json: { reason: 'x' },
      headers: { 'idempotency-key': newKey() },
    });
    expect(ofRed.status).toBe(409);
    const otherDept = await svc.api('POST', `${path}/reversal`, {
      token: ga,
      json: { reason: 'x' },
      headers: { 'idempotency-key': newKey() },
    });
    expect(otherDept.status).toBe(403);
  });
});
