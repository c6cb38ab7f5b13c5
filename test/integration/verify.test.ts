import { webcrypto } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PDF_CHECK_NAMES } from '../../lambdas/adapters/pdf/verify.js';
import { ROUTES } from '../../lambdas/runtime/routes.js';
import { flipSignedByte } from '../support/pdf.js';
import { issue, newKey, registrationCharge } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let zrzy: string;
// biome-ignore lint/suspicious/noExplicitAny: API answers
let receipt: any;
let pdf: Buffer;

const verifyPath = (r: { code: string; number: string; checkCode: string }) =>
  `/v1/verify?code=${r.code}&number=${r.number}&checkCode=${r.checkCode}`;
const postPdf = (bytes: Uint8Array, contentType = 'application/pdf') =>
  svc.api('POST', '/v1/verify/pdf', { body: bytes, contentType });

beforeAll(async () => {
  svc = await startTestService();
  zrzy = await svc.token({ role: 'collector', department: 'ZRZY' });
  receipt = (await issue(svc, zrzy)).body;
  pdf = (await svc.api('GET', `/v1/receipts/${receipt.code}/${receipt.number}/pdf`, { token: zrzy })).bytes;
});
afterAll(async () => svc?.stop());

describe('verify by code, number and check code', () => {
  it('answers genuine with the payer masked, and counts the checks', async () => {
    const first = await svc.api('GET', verifyPath(receipt));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ valid: true, status: 'issued', checks: 1 });
    expect(first.body.receipt).toMatchObject({
      code: receipt.code,
      number: receipt.number,
      total: '80.00',
      totalInWords: '捌拾元整',
    });
    expect(first.body.receipt.payer).toEqual({ type: 'person', name: '张*', idNumber: '110***********1234' });
    expect(JSON.stringify(first.body)).not.toContain('张三');
    expect(JSON.stringify(first.body)).not.toContain('110101199003071234');
    const second = await svc.api('GET', verifyPath(receipt));
    expect(second.body.checks).toBe(2);
  });

  it('answers the same 404 for a wrong check code, a missing number and a malformed query', async () => {
    const wrong = await svc.api(
      'GET',
      verifyPath({ ...receipt, checkCode: receipt.checkCode === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA' }),
    );
    const missing = await svc.api('GET', verifyPath({ ...receipt, number: '9999999999' }));
    const malformed = await svc.api('GET', '/v1/verify?code=x&number=1');
    for (const res of [wrong, missing, malformed]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual(wrong.body);
      expect(res.body).toMatchObject({ valid: false, error: 'not_found' });
    }
  });

  it('serves the stored PDF byte-identical, only with the right check code', async () => {
    const res = await svc.api(
      'GET',
      `/v1/verify/pdf?code=${receipt.code}&number=${receipt.number}&checkCode=${receipt.checkCode}`,
    );
    expect(res.status).toBe(200);
    expect(Buffer.compare(res.bytes, pdf)).toBe(0);
    const wrong = await svc.api(
      'GET',
      `/v1/verify/pdf?code=${receipt.code}&number=${receipt.number}&checkCode=ZZZZZZ`,
    );
    expect(wrong.status).toBe(404);
  });

  it('names the red receipt of a reversed one, and the original of a red one', async () => {
    const original = (await issue(svc, zrzy)).body;
    const red = (
      await svc.api('POST', `/v1/receipts/${original.code}/${original.number}/reversal`, {
        token: zrzy,
        json: { reason: '退费' },
        headers: { 'idempotency-key': newKey() },
      })
    ).body;
    const o = await svc.api('GET', verifyPath(original));
    expect(o.body).toMatchObject({
      valid: true,
      status: 'reversed',
      reversedBy: { code: red.code, number: red.number },
    });
    const r = await svc.api('GET', verifyPath(red));
    expect(r.body).toMatchObject({
      valid: true,
      status: 'issued',
      reverses: { code: original.code, number: original.number },
    });
    expect(r.body.receipt).toMatchObject({ kind: 'red', total: '-80.00' });
  });

  it("shows a line's exemption as the PDF prints it, in both public answers", async () => {
    const waived = (
      await issue(
        svc,
        zrzy,
        registrationCharge({
          payer: { type: 'unit', name: '某某科技有限公司' },
          lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '0.00', exemption: '小微企业' }],
        }),
      )
    ).body;
    const line = { itemCode: 'ZRZY-001', amount: '0.00', exemption: '小微企业' };
    const byNumbers = await svc.api('GET', verifyPath(waived));
    expect(byNumbers.body.receipt.lines).toEqual([expect.objectContaining(line)]);
    const waivedPdf = (
      await svc.api('GET', `/v1/receipts/${waived.code}/${waived.number}/pdf`, { token: zrzy })
    ).bytes;
    const byPdf = await postPdf(waivedPdf);
    expect(byPdf.body.valid).toBe(true);
    expect(byPdf.body.receipt.lines).toEqual([expect.objectContaining(line)]);
    // A line charged in full names no exemption.
    const plain = await svc.api('GET', verifyPath(receipt));
    expect(plain.body.receipt.lines[0]).not.toHaveProperty('exemption');
  });
});

describe('the QR code and the published keys', () => {
  it('carries a compact signature that verifies offline with the published JWK', async () => {
    const url = new URL(receipt.verifyUrl);
    const p = url.searchParams;
    expect(p.get('code')).toBe(receipt.code);
    const keys = (await svc.api('GET', '/v1/keys')).body.keys;
    const key = keys.find((k: { keyId: string }) => k.keyId === p.get('kid'));
    expect(key).toMatchObject({ status: 'current', algorithm: 'ES256' });
    expect(key.certificatePem).toContain('BEGIN CERTIFICATE');
    const publicKey = await webcrypto.subtle.importKey(
      'jwk',
      key.jwk,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    const message = `feeproof-qr-v1|${p.get('code')}|${p.get('number')}|${p.get('checkCode')}|${p.get('d')}|${p.get('t')}`;
    const verify = (m: string) =>
      webcrypto.subtle.verify(
        { name: 'ECDSA', hash: 'SHA-256' },
        publicKey,
        Buffer.from(p.get('sig')!, 'base64url'),
        Buffer.from(m),
      );
    expect(await verify(message)).toBe(true);
    expect(await verify(message.replace('|80.00', '|8.00'))).toBe(false);
  });
});

describe('verify a PDF', () => {
  it('accepts the genuine PDF with every check passed', async () => {
    const res = await postPdf(pdf);
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(true);
    expect(res.body.status).toBe('issued');
    expect(res.body.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(res.body.checks.map((c: { name: string }) => c.name)).toEqual([...PDF_CHECK_NAMES]);
  });

  it('refuses one flipped byte inside the signed range, saying why', async () => {
    const res = await postPdf(flipSignedByte(pdf));
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    const failed = res.body.checks.filter((c: { ok: boolean }) => !c.ok);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0].reason).toBeTruthy();
  });

  it('answers 400 for what is not a PDF, and for a truncated file either 400 or not valid', async () => {
    const notPdf = await postPdf(Buffer.from('hello, I am not a PDF at all'));
    expect(notPdf.status).toBe(400);
    expect(notPdf.body.error).toBe('bad_request');
    const truncated = await postPdf(pdf.subarray(0, Math.floor(pdf.length / 2)));
    expect([200, 400]).toContain(truncated.status);
    if (truncated.status === 200) expect(truncated.body.valid).toBe(false);
  });

  it('says a PDF without a signature is not genuine', async () => {
    const doc = await PDFDocument.create();
    doc.addPage();
    const res = await postPdf(await doc.save());
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    expect(res.body.checks.find((c: { name: string }) => c.name === 'has_signature')).toMatchObject({
      ok: false,
    });
  });

  it('refuses a wrong content type (415) and a body over its limit (413 naming it)', async () => {
    expect((await postPdf(pdf, 'application/octet-stream')).status).toBe(415);
    const limit = ROUTES.find((r) => r.id === 'verifyPdf')!.body!.maxBytes!;
    const big = await postPdf(Buffer.concat([pdf, Buffer.alloc(limit - pdf.length + 1)]));
    expect(big.status).toBe(413);
    expect(big.body.message).toBe(`the body must be at most ${limit} bytes`);
    // At the limit: read and checked (the padding after the end is no longer the issued file).
    const padded = await postPdf(Buffer.concat([pdf, Buffer.alloc(limit - pdf.length)]));
    expect(padded.status).toBe(200);
    expect(padded.body.checks).toContainEqual(
      expect.objectContaining({ name: 'matches_issued_pdf', ok: false }),
    );
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After past the per-address limit', async () => {
    process.env.FEEPROOF_RATE_LIMIT_PER_MINUTE = '5';
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 8; i++) {
        const res = await svc.api('GET', verifyPath(receipt));
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      expect(statuses).toContain(429);
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(5);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      process.env.FEEPROOF_RATE_LIMIT_PER_MINUTE = '0';
    }
  });
});
