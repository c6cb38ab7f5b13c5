/**
 * Issue 17, SM2 mode (FEEPROOF_DEPARTMENT_KEY_ALGORITHM=SM2_SM3, what the stack sets for SM2 KMS
 * keys): a department's SM2 key signs the unit signature, its SM2-with-SM3 certificate is
 * published in /v1/keys as `SM2` with the department, and the receipt verifies over HTTP and
 * offline from its national XML.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySm2 } from '../../lambdas/adapters/signing/sm2.js';
import { parseEInvoiceXml, receiptOfEInvoice } from '../../lambdas/core/einvoice.js';
import { canonicalReceipt } from '../../lambdas/core/receipt.js';
import { unitMessage } from '../../lambdas/core/two-signatures.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
// biome-ignore lint/suspicious/noExplicitAny: API answers
let receipt: any;
let collector: string;

beforeAll(async () => {
  svc = await startTestService({ env: { FEEPROOF_DEPARTMENT_KEY_ALGORITHM: 'SM2_SM3' } });
  collector = await svc.token({ role: 'collector', department: 'ZRZY' });
  const res = await issue(svc, collector);
  expect(res.status).toBe(201);
  receipt = res.body;
}, 120_000);
afterAll(async () => {
  delete process.env.FEEPROOF_DEPARTMENT_KEY_ALGORITHM;
  await svc?.stop();
});

describe('SM2 department keys', () => {
  it('publishes the unit key as SM2 with its department; the receipt verifies', async () => {
    const stored = (
      await svc.api('GET', `/v1/receipts/${receipt.code}/${receipt.number}`, { token: collector })
    ).body;
    expect(stored.signatures.unit.algorithm).toBe('SM2_SM3');
    expect(stored.signatures.supervision.algorithm).toBe('ECDSA_P256_SHA256');
    const keys = (await svc.api('GET', '/v1/keys')).body.keys;
    const unitKey = keys.find((k: { keyId: string }) => k.keyId === stored.signatures.unit.keyId);
    expect(unitKey).toMatchObject({ role: 'unit', department: 'ZRZY', algorithm: 'SM2', status: 'current' });
    expect(unitKey.jwk).toBeUndefined();
    expect(keys.find((k: { role: string }) => k.role === 'supervision')).toMatchObject({
      algorithm: 'ES256',
    });

    // The unit signature verifies with the published SM2 key, over the unit message (default ID).
    const xml = (
      await svc.api('GET', `/v1/receipts/${receipt.code}/${receipt.number}/einvoice.xml`, {
        token: collector,
      })
    ).bytes.toString('utf8');
    const { content, signatures } = receiptOfEInvoice(parseEInvoiceXml(xml));
    expect(
      verifySm2(
        unitMessage(canonicalReceipt(content)),
        Buffer.from(signatures.unit.value, 'base64'),
        Buffer.from(unitKey.publicKeySpki, 'base64'),
      ),
    ).toBe(true);

    const verified = await svc.api(
      'GET',
      `/v1/verify?code=${receipt.code}&number=${receipt.number}&checkCode=${receipt.checkCode}`,
    );
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ valid: true });
  });
});
