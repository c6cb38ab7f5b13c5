/**
 * Tamper evidence. For issued PDFs, single-byte changes at sampled positions inside the
 * signed ranges (/ByteRange) must make POST /v1/verify/pdf answer not valid (or 400 for a
 * file no longer readable), and the PDF signature itself must catch it. And a change to the
 * stored receipt made behind the service's back must be detected: in the copy that public
 * checks read by GET /v1/verify, in the receipt row by a PDF check.
 *   TAMPER_PDFS=200 TAMPER_FLIPS=10 npx vitest run test/security/tamper.test.ts   (the issue's size)
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksKey } from '../../lambdas/adapters/dynamo/keys.js';
import { PDF_SIGNATURE_CHECKS } from '../../lambdas/adapters/pdf/verify.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { seeded } from '../reliability/support.js';
import { byteRange } from '../support/pdf.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';
import { type Change, call, tamper } from './support.js';

const PDFS = Number(process.env.TAMPER_PDFS ?? 40);
const FLIPS = Number(process.env.TAMPER_FLIPS ?? 5);
const SEED = Number(process.env.TAMPER_SEED ?? Math.floor(Math.random() * 2 ** 31));
/**
 * The checks of the PDF signature itself: one of them must fail for every change. Not whether
 * the certificate is trusted: the certificate sits in /Contents, outside the signed ranges.
 */
const SIGNATURE_CHECKS: readonly string[] = PDF_SIGNATURE_CHECKS.filter((n) => n !== 'trusted_certificate');

let svc: TestService;
let collector: string;
// biome-ignore lint/suspicious/noExplicitAny: API answers
const issued: { receipt: any; pdf: Buffer }[] = [];

beforeAll(async () => {
  svc = await startTestService();
  collector = await svc.token({ role: 'collector', department: 'ZRZY' });
  const count = Math.max(PDFS, 12);
  for (let i = 0; i < count; i += 8) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(8, count - i) }, async () => {
        const res = await issue(svc, collector);
        expect(res.status).toBe(201);
        const pdf = await svc.api('GET', `/v1/receipts/${res.body.code}/${res.body.number}/pdf`, {
          token: collector,
        });
        expect(pdf.status).toBe(200);
        return { receipt: res.body, pdf: pdf.bytes };
      }),
    );
    issued.push(...batch);
  }
}, 300_000);
afterAll(async () => svc?.stop());

const verifyPdf = (bytes: Uint8Array) =>
  call(svc.url, { method: 'POST', path: '/v1/verify/pdf', body: bytes, contentType: 'application/pdf' });

describe(`single-byte changes inside the signed ranges of ${PDFS} PDFs (${FLIPS} each, seed ${SEED})`, () => {
  it('the genuine PDFs verify', async () => {
    for (const { pdf } of issued.slice(0, 3)) {
      const res = await verifyPdf(pdf);
      expect(res.status).toBe(200);
      expect(res.body.valid).toBe(true);
    }
  });

  it('every changed byte makes the PDF not valid, and its signature catches it', async () => {
    const random = seeded(SEED);
    const outcomes = { invalid: 0, unreadable: 0 };
    const failures: string[] = [];
    for (const { pdf, receipt } of issued.slice(0, PDFS)) {
      const [a, b, c, d] = byteRange(pdf);
      expect(a).toBe(0);
      expect(c + d).toBe(pdf.length);
      const size = b + d;
      // The first and last byte of each range, then positions spread at random over both.
      const positions = new Set([a, a + b - 1, c, c + d - 1]);
      while (positions.size < Math.max(FLIPS, 4) + 4) {
        const at = Math.floor(random() * size);
        positions.add(at < b ? a + at : c + (at - b));
      }
      for (const at of [...positions].slice(0, Math.max(FLIPS, 4))) {
        const altered = Buffer.from(pdf);
        altered[at] = altered[at]! ^ (1 + Math.floor(random() * 255));
        const res = await verifyPdf(altered);
        const where = `${receipt.number} byte ${at} (${JSON.stringify(String.fromCharCode(pdf[at]!))} -> ${JSON.stringify(String.fromCharCode(altered[at]!))})`;
        if (res.status === 400 && res.body.error === 'bad_request') {
          outcomes.unreadable++;
          continue;
        }
        if (res.status !== 200) {
          failures.push(`${where}: ${res.status} ${res.text.slice(0, 200)}`);
          continue;
        }
        if (res.body.valid !== false) failures.push(`${where}: answered valid`);
        const failed = (res.body.checks as { name: string; ok: boolean }[])
          .filter((ch) => !ch.ok)
          .map((ch) => ch.name);
        if (!failed.some((n) => SIGNATURE_CHECKS.includes(n)))
          failures.push(`${where}: only ${failed.join(', ')} failed, the PDF signature did not`);
        outcomes.invalid++;
      }
    }
    console.log(`tamper (seed ${SEED}): ${JSON.stringify(outcomes)}`);
    expect(failures).toEqual([]);
    expect(outcomes.invalid + outcomes.unreadable).toBe(Math.min(PDFS, issued.length) * Math.max(FLIPS, 4));
  }, 600_000);
});

describe("a change to the stored receipt behind the service's back", () => {
  const verifyQuery = (r: { code: string; number: string; checkCode: string }) =>
    `/v1/verify?code=${r.code}&number=${r.number}&checkCode=${r.checkCode}`;
  const changes: [string, Change][] = [
    ['total', (r) => (r.total = 8001)],
    ['payer name', (r) => (r.payer.name = '李四')],
    ['payer ID number', (r) => (r.payer.idNumber = '110101199003071235')],
    ['line amount', (r) => (r.lines[0].amount = 1)],
    ['line item', (r) => (r.lines[0].itemCode = 'ZRZY-002')],
    ['collecting unit', (r) => (r.collectingUnit = '某某单位')],
    ['issue time', (r) => (r.issuedAt = '2020-01-01T00:00:00.000Z')],
    ['handled by', (r) => (r.handledBy = 'someone-else')],
    ['remark changed', (r) => (r.remark = '已补缴')],
    ['remark removed', (r) => delete r.remark],
    ['signature replaced', (r) => (r.signature = 'MEUCIQD')],
  ];

  it('an untouched receipt verifies, and so does one whose check counter alone changed', async () => {
    const { receipt } = issued[0]!;
    expect((await call(svc.url, { method: 'GET', path: verifyQuery(receipt) })).body.valid).toBe(true);
    const deps = getDeps();
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.config.tables.receipts,
        // The counter lives in the receipt's CHECKS row, outside what is signed.
        Key: checksKey(receipt),
        UpdateExpression: 'SET checks = :v',
        ExpressionAttributeValues: { ':v': 1000 },
      }),
    );
    const res = await call(svc.url, { method: 'GET', path: verifyQuery(receipt) });
    // Counts are written in batches: the process still holds the two checks it answered.
    expect(res.body).toMatchObject({ valid: true, checks: 1002 });
  });

  it('a receipt checked valid, then altered, is tampered at its next check: nothing kept from its first copy vouches for the second', async () => {
    const { body: receipt } = await issue(svc, collector);
    expect((await call(svc.url, { method: 'GET', path: verifyQuery(receipt) })).body.valid).toBe(true);
    await tamper(receipt, 'CHECKS', (r) => (r.total = 8001));
    const res = await call(svc.url, { method: 'GET', path: verifyQuery(receipt) });
    expect(res.body).toMatchObject({ valid: false, error: 'tampered' });
  });

  it('a check row whose copy can no longer be read answers tampered, saying why, never a 500', async () => {
    const deps = getDeps();
    const damage = async (receipt: { code: string; number: string }, update: string, value: unknown) =>
      deps.db.send(
        new UpdateCommand({
          TableName: deps.config.tables.receipts,
          Key: checksKey(receipt),
          UpdateExpression: update,
          ExpressionAttributeNames: { '#c': 'copy' },
          ExpressionAttributeValues: { ':v': value },
        }),
      );
    const cases: [string, unknown, RegExp][] = [
      ['SET #c = :v', Uint8Array.of(1, 0xff, 0xff, 0xff), /can no longer be read/],
      ['SET #c = :v', Uint8Array.of(9, 1, 2, 3), /unknown format \(9\)/],
      // The JSON text of a row written before the copies were deflated.
      ['REMOVE #c SET receipt = :v', '{"total": 80', /can no longer be read/],
    ];
    for (const [update, value, message] of cases) {
      const { body: receipt } = await issue(svc, collector);
      await damage(receipt, update, value);
      const res = await call(svc.url, { method: 'GET', path: verifyQuery(receipt) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ valid: false, error: 'tampered', checks: 1 });
      expect(res.body.message).toMatch(message);
      expect(res.body.receipt).toBeUndefined();
    }
  });

  changes.forEach(([what, change], i) => {
    it(`is detected: ${what}, by a public check (its copy changed) and by a PDF check (its row changed)`, async () => {
      const { receipt, pdf } = issued[issued.length - 1 - i]!;
      await tamper(receipt, 'CHECKS', change);
      const res = await call(svc.url, { method: 'GET', path: verifyQuery(receipt) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ valid: false, error: 'tampered' });
      expect(res.body.receipt).toBeUndefined();
      // The genuine PDF of a receipt whose record was changed is not vouched for either.
      await tamper(receipt, 'RECEIPT', change);
      const checked = await verifyPdf(pdf);
      expect(checked.body.valid).toBe(false);
      expect(checked.body.checks).toContainEqual(
        expect.objectContaining({ name: 'receipt_data_signature', ok: false }),
      );
    });
  });
});
