/**
 * The largest receipt the API accepts is issued: every field at the most its schema allows
 * (25 lines of items named in 100 characters, with units, standards and exemptions at their
 * limits; a payer, a remark, a department's printed name and the collector's user name at
 * theirs). Anything accepted and then not completed would keep its number pending for good,
 * since no number is skipped: a department named in 100 characters did (its certificate's
 * name, three times in each CMS, outgrew the PDF's reserve).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dateInZone } from '../../lambdas/core/dates.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => svc?.stop());

it('issues a receipt with every field at its limit: signed, checkable, nothing left pending', async () => {
  const finance = await svc.token({ role: 'finance' });
  const renamed = await svc.api('PUT', '/v1/departments/ZRZY', {
    token: finance,
    json: { name: '局'.repeat(100), reason: '最长的名称' },
  });
  expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
  const lines = [];
  for (let i = 0; i < 25; i++) {
    const code = `ZRZY-MAX${String(i).padStart(2, '0')}`;
    const created = await svc.api('POST', '/v1/catalogue/items', {
      token: finance,
      json: {
        code,
        name: `${'长'.repeat(95)}${String(i).padStart(5, '0')}`,
        department: 'ZRZY',
        unit: '平'.repeat(20),
        standard: { type: 'range', min: '0.01', max: '999999999.99' },
        exemptions: [{ who: '免'.repeat(100), kind: 'percent', percent: 33 }],
        basis: [
          { title: '测'.repeat(200), number: '号'.repeat(100), issuer: '发'.repeat(100), date: '2026-01-01' },
        ],
        fundManagement: 'treasury',
        validFrom: dateInZone(new Date()),
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    lines.push({ itemCode: code, quantity: 999_999, amount: '39999999960.00' });
  }
  const collector = await svc.token({ role: 'collector', department: 'ZRZY', username: 'u'.repeat(100) });
  const res = await issue(svc, collector, {
    payer: { type: 'unit', name: '单'.repeat(100), idNumber: '9'.repeat(18) },
    lines,
    remark: '备'.repeat(200),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.total).toBe('999999999000.00');

  const pdf = await svc.api('GET', `/v1/receipts/${res.body.code}/${res.body.number}/pdf`, {
    token: collector,
  });
  const file = join(mkdtempSync(join(tmpdir(), 'feeproof-largest-')), 'r.pdf');
  writeFileSync(file, pdf.bytes);
  const report = execFileSync('pdfsig', [file], { encoding: 'utf8' });
  expect(report.match(/Signature is Valid\./g)).toHaveLength(2);
  const check = await svc.api(
    'GET',
    `/v1/verify?code=${res.body.code}&number=${res.body.number}&checkCode=${res.body.checkCode}`,
  );
  expect(check.body).toMatchObject({ valid: true, status: 'issued' });
  const ranges = await svc.api('GET', '/v1/ranges', { token: finance });
  expect(ranges.body.ranges.map((r: { unfinished: number }) => r.unfinished)).toEqual(
    ranges.body.ranges.map(() => 0),
  );
});
