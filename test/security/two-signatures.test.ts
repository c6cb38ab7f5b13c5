/**
 * Issue 17: every receipt is signed by its collecting department's key (开票单位签章) and then by
 * the bureau's supervision key (财政部门监制签章), both stored and both checked. A change to
 * either signature (or its removal) in the stored receipt, made behind the service's back, is
 * refused over HTTP with the reason; a receipt issued before (the bureau's one signature only)
 * still verifies, and the answer says which kind it is.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksKey, receiptKey } from '../../lambdas/adapters/dynamo/keys.js';
import { storedCopy } from '../../lambdas/adapters/dynamo/receipt-copy.js';
import { sha256 } from '../../lambdas/adapters/signing/certificate.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { canonicalReceipt, contentOf } from '../../lambdas/core/receipt.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';
import { type Change, call, tamper } from './support.js';

let svc: TestService;
let collector: string;
// biome-ignore lint/suspicious/noExplicitAny: API answers
const issued: any[] = [];

beforeAll(async () => {
  svc = await startTestService();
  collector = await svc.token({ role: 'collector', department: 'ZRZY' });
  for (let i = 0; i < 10; i++) {
    const res = await issue(svc, collector);
    expect(res.status).toBe(201);
    issued.push(res.body);
  }
}, 300_000);
afterAll(async () => svc?.stop());

const verifyQuery = (r: { code: string; number: string; checkCode: string }) =>
  `/v1/verify?code=${r.code}&number=${r.number}&checkCode=${r.checkCode}`;
const verify = (r: { code: string; number: string; checkCode: string }) =>
  call(svc.url, { method: 'GET', path: verifyQuery(r) });

/** Another base64 character at position `at`: still base64, no longer the signature. */
const alter = (value: string, at = 20) =>
  value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);

describe('two signatures on issuing', () => {
  it('stores the unit and the supervision signature, and publishes the department key with its role', async () => {
    const r = issued[0];
    const got = await svc.api('GET', `/v1/receipts/${r.code}/${r.number}`, { token: collector });
    expect(got.status).toBe(200);
    const { unit, supervision } = got.body.signatures;
    expect(unit).toMatchObject({ algorithm: 'ECDSA_P256_SHA256' });
    expect(supervision).toMatchObject({ algorithm: 'ECDSA_P256_SHA256' });
    expect(unit.keyId).not.toBe(supervision.keyId);

    const keys = (await call(svc.url, { method: 'GET', path: '/v1/keys' })).body.keys;
    expect(keys.find((k: { keyId: string }) => k.keyId === unit.keyId)).toMatchObject({
      role: 'unit',
      department: 'ZRZY',
      status: 'current',
    });
    expect(keys.find((k: { keyId: string }) => k.keyId === supervision.keyId)).toMatchObject({
      role: 'supervision',
      status: 'current',
    });
    expect(keys.find((k: { keyId: string }) => k.keyId === supervision.keyId).department).toBeUndefined();
  });

  it('a genuine receipt verifies and says it carries two signatures', async () => {
    const res = await verify(issued[0]);
    expect(res.body).toMatchObject({ valid: true, signatures: 'two' });
  });
});

describe('a changed or missing signature is refused with the reason', () => {
  const cases: [string, Change, { signature: string; code: string }[]][] = [
    [
      'unit signature altered',
      (r) => (r.signatures.unit.value = alter(r.signatures.unit.value)),
      [
        { signature: 'unit', code: 'SIGNATURE_INVALID' },
        // The supervisor's covers the unit's as carried.
        { signature: 'supervision', code: 'SIGNATURE_INVALID' },
      ],
    ],
    [
      'unit signature missing',
      (r) => delete r.signatures.unit,
      [
        { signature: 'unit', code: 'SIGNATURE_MISSING' },
        { signature: 'supervision', code: 'SIGNATURE_INVALID' },
      ],
    ],
    [
      'supervision signature altered',
      (r) => (r.signatures.supervision.value = alter(r.signatures.supervision.value)),
      [{ signature: 'supervision', code: 'SIGNATURE_INVALID' }],
    ],
    [
      'supervision signature missing',
      (r) => delete r.signatures.supervision,
      [{ signature: 'supervision', code: 'SIGNATURE_MISSING' }],
    ],
    [
      'unit signed with the bureau key id',
      (r) => (r.signatures.unit.keyId = r.signatures.supervision.keyId),
      // The unit's value is unchanged, so the supervisor's (over it) still holds.
      [{ signature: 'unit', code: 'KEY_WRONG_ROLE' }],
    ],
    [
      'both removed (no downgrade to a single-signature receipt)',
      (r) => delete r.signatures,
      [
        { signature: 'unit', code: 'SIGNATURE_MISSING' },
        { signature: 'supervision', code: 'SIGNATURE_MISSING' },
      ],
    ],
    [
      'data changed',
      (r) => (r.total = r.total + 1),
      [
        { signature: 'unit', code: 'SIGNATURE_INVALID' },
        { signature: 'supervision', code: 'SIGNATURE_INVALID' },
      ],
    ],
  ];

  cases.forEach(([what, change, failures], i) => {
    it(`${what}: refused by a public check and by a PDF check`, async () => {
      const r = issued[1 + i];
      const pdf = await svc.api('GET', `/v1/receipts/${r.code}/${r.number}/pdf`, { token: collector });
      expect(pdf.status).toBe(200);

      await tamper(r, 'CHECKS', change);
      const res = await verify(r);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ valid: false, error: 'tampered', signatures: expect.any(String) });
      expect(res.body.receipt).toBeUndefined();
      expect(
        res.body.failures.map((f: { signature: string; code: string }) => ({
          signature: f.signature,
          code: f.code,
        })),
      ).toEqual(failures);
      for (const f of res.body.failures) expect(f.message).toMatch(/开票单位签章|财政部门监制签章/);

      await tamper(r, 'RECEIPT', change);
      const checked = await call(svc.url, {
        method: 'POST',
        path: '/v1/verify/pdf',
        body: pdf.bytes,
        contentType: 'application/pdf',
      });
      expect(checked.body.valid).toBe(false);
      const check = checked.body.checks.find((c: { name: string }) => c.name === 'receipt_data_signature');
      expect(check).toMatchObject({ ok: false });
      expect(check.reason).toMatch(/开票单位签章|财政部门监制签章/);
    });
  });
});

describe('receipts issued before the two signatures', () => {
  it('verify as before with the bureau key, and say they carry its signature only', async () => {
    const r = issued[9];
    const signer = await getDeps().signer();
    // Rewrites the copy as an older completion stored it: the bureau's one signature, no `signatures`.
    const { db, config } = getDeps();
    const row = (await db.send(new GetCommand({ TableName: config.tables.receipts, Key: checksKey(r) })))
      .Item!;
    const copy = storedCopy(row)!.parse();
    delete copy.signatures;
    copy.signature = Buffer.from(await signer.signDigest(sha256(canonicalReceipt(contentOf(copy))))).toString(
      'base64',
    );
    copy.keyId = signer.keyId;
    await tamper(r, 'CHECKS', (c) => {
      delete c.signatures;
      c.signature = copy.signature;
      c.keyId = copy.keyId;
    });
    expect((await verify(r)).body).toMatchObject({ valid: true, signatures: 'bureau_only' });

    await tamper(r, 'CHECKS', (c) => (c.signature = alter(c.signature)));
    const res = await verify(r);
    expect(res.body).toMatchObject({ valid: false, error: 'tampered', signatures: 'bureau_only' });
    expect(res.body.failures).toEqual([
      expect.objectContaining({ signature: 'bureau', code: 'SIGNATURE_INVALID' }),
    ]);
  });
});

describe('where departments have no keys yet (the kms signer, for now)', () => {
  it("signs with the bureau's key alone, as before issue 17, and the receipt verifies as such", async () => {
    const deps = getDeps();
    const departmentKeys = deps.departmentKeys;
    deps.departmentKeys = undefined;
    try {
      const res = await issue(svc, collector);
      expect(res.status).toBe(201);
      const answer = await verify(res.body);
      expect(answer.body).toMatchObject({ valid: true, signatures: 'bureau_only' });
      const row = (
        await deps.db.send(
          new GetCommand({ TableName: deps.config.tables.receipts, Key: receiptKey(res.body) }),
        )
      ).Item!;
      expect(row.signatures).toBeUndefined();
      expect(typeof row.signature).toBe('string');
    } finally {
      deps.departmentKeys = departmentKeys;
    }
  });
});
