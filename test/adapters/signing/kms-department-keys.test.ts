/**
 * The collecting departments' keys in AWS (issue 17): one KMS key per department, P-256 through
 * the KMS signer or SM2 through the KMS SM2 adapter, against the fake KMS that really signs
 * (test/support/fake-kms.ts). The signatures are checked with the verifiers every verification
 * path uses (checkTwoSignatures with resolvedKey; verifySm2).
 */
import { X509Certificate } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  departmentCertificatePem,
  p256MessageSigner,
  resolvedKey,
} from '../../../lambdas/adapters/signing/department-keys.js';
import {
  DepartmentKeyMissingError,
  kmsDepartmentKeys,
} from '../../../lambdas/adapters/signing/kms-department-keys.js';
import { createKmsSigner } from '../../../lambdas/adapters/signing/kms-signer.js';
import { createKmsSm2Signer } from '../../../lambdas/adapters/signing/kms-sm2-signer.js';
import { signSm2Message, sm2MessageDigest, verifySm2 } from '../../../lambdas/adapters/signing/sm2.js';
import { SignerError } from '../../../lambdas/core/signer.js';
import {
  checkTwoSignatures,
  type ResolvedKey,
  signTwice,
  unitMessage,
} from '../../../lambdas/core/two-signatures.js';
import { loadConfig } from '../../../lambdas/runtime/config.js';
import { FakeKms } from '../../support/fake-kms.js';

const canonical = '{"code":"11010126","department":"ZRZY","number":"0000000001","v":1}';
const names = {
  bureauName: '某市财政局',
  unitName: '某市自然资源和规划局',
  now: new Date('2026-03-05T00:00:00Z'),
};

let fake: FakeKms;
beforeEach(() => {
  fake = new FakeKms();
});

/** The bureau's supervision key (KMS P-256) and its published certificate. */
async function bureau() {
  const signer = createKmsSigner({ client: fake.client, keyId: fake.createKey('ECC_NIST_P256').arn });
  const certificatePem = await departmentCertificatePem(
    {
      department: 'BUREAU',
      signer: p256MessageSigner(signer),
      publicKeySpki: new Uint8Array(),
      p256: signer,
    },
    { ...names, unitName: names.bureauName },
  );
  return { signer: p256MessageSigner(signer), resolved: resolvedKey('supervision', { certificatePem }) };
}

const flip = (b64: string) => {
  const b = Buffer.from(b64, 'base64');
  b[12]! ^= 0x01;
  return b.toString('base64');
};

describe('kmsDepartmentKeys', () => {
  it('P-256: one KMS key per department signs the unit signature; its certificate carries the KMS public key', async () => {
    const zrzy = fake.createKey('ECC_NIST_P256');
    const gaj = fake.createKey('ECC_NIST_P256');
    const keys = kmsDepartmentKeys({
      client: fake.client,
      keys: { ZRZY: zrzy.arn, GAJ: gaj.arn },
      algorithm: 'ECDSA_P256_SHA256',
    });
    const [unit, again, other] = await Promise.all([
      keys.keyFor('ZRZY'),
      keys.keyFor('ZRZY'),
      keys.keyFor('GAJ'),
    ]);
    expect(again).toBe(unit);
    expect(unit.signer).toMatchObject({ keyId: zrzy.arn, algorithm: 'ECDSA_P256_SHA256' });
    expect(other.signer.keyId).toBe(gaj.arn);
    expect(unit.publicKeySpki).toEqual(zrzy.spki);

    // The certificate is made through KMS (a key that never leaves it) and names the unit.
    const certificatePem = await departmentCertificatePem(unit, names);
    const cert = new X509Certificate(certificatePem);
    expect(cert.subject).toContain('CN=某市自然资源和规划局 (ZRZY) 开票单位签章');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new Uint8Array(cert.publicKey.export({ format: 'der', type: 'spki' }))).toEqual(zrzy.spki);

    const sup = await bureau();
    const sigs = await signTwice(canonical, unit.signer, sup.signer);
    const resolved = new Map<string, ResolvedKey>([
      [zrzy.arn, resolvedKey('unit', { certificatePem }, 'ZRZY')],
      [sup.signer.keyId, sup.resolved],
    ]);
    const resolve = (id: string) => resolved.get(id);
    expect((await checkTwoSignatures(canonical, 'ZRZY', sigs, resolve)).ok).toBe(true);
    const tampered = await checkTwoSignatures(
      canonical,
      'ZRZY',
      { ...sigs, unit: { ...sigs.unit, value: flip(sigs.unit.value) } },
      resolve,
    );
    expect(tampered.unit.ok).toBe(false);

    // Every unit-key Sign went to the department's key: ECDSA_SHA_256 over a 32-byte digest.
    const unitCalls = fake.signCalls().filter((c) => c.KeyId === zrzy.arn);
    expect(unitCalls.length).toBeGreaterThan(0);
    for (const c of unitCalls) {
      expect(c).toMatchObject({ MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' });
      expect(c.Message).toHaveLength(32);
    }
  });

  it('SM2: KMS SM2DSA signs the e = SM3(Z ‖ M) the service computes; verifySm2 and the two-signature check accept it', async () => {
    const zrzy = fake.createKey('SM2');
    const keys = kmsDepartmentKeys({ client: fake.client, keys: { ZRZY: zrzy.arn }, algorithm: 'SM2_SM3' });
    const unit = await keys.keyFor('ZRZY');
    expect(unit.signer).toMatchObject({ keyId: zrzy.arn, algorithm: 'SM2_SM3' });
    expect(unit.p256).toBeUndefined(); // the PDF's PAdES signatures stay P-256: no SM2 key there
    expect(unit.publicKeySpki).toEqual(zrzy.spki);

    const sup = await bureau();
    const sigs = await signTwice(canonical, unit.signer, sup.signer);
    expect(sigs.unit.algorithm).toBe('SM2_SM3');

    const [call] = fake.signCalls().filter((c) => c.KeyId === zrzy.arn);
    expect(call).toMatchObject({ MessageType: 'DIGEST', SigningAlgorithm: 'SM2DSA' });
    // The digest sent is e with Z from the key's public key and the default ID, not the message.
    expect(call!.Message).toEqual(sm2MessageDigest(unitMessage(canonical), zrzy.spki));
    expect(verifySm2(unitMessage(canonical), Buffer.from(sigs.unit.value, 'base64'), zrzy.spki)).toBe(true);
    // With another distinguishing ID the same signature does not verify: the ID is bound in Z.
    expect(
      verifySm2(unitMessage(canonical), Buffer.from(sigs.unit.value, 'base64'), zrzy.spki, 'another-id'),
    ).toBe(false);

    const resolved = new Map<string, ResolvedKey>([
      // Published as /v1/keys does: its SM2-with-SM3 certificate, made through KMS.
      [
        zrzy.arn,
        resolvedKey('unit', { certificatePem: await departmentCertificatePem(unit, names) }, 'ZRZY'),
      ],
      [sup.signer.keyId, sup.resolved],
    ]);
    const resolve = (id: string) => resolved.get(id);
    expect((await checkTwoSignatures(canonical, 'ZRZY', sigs, resolve)).ok).toBe(true);
    const badData = await checkTwoSignatures(canonical.replace('0001', '0002'), 'ZRZY', sigs, resolve);
    expect(badData.unit.ok).toBe(false);
  });

  it('the KMS SM2 signer with a stated ID: Z uses it, and only that ID verifies', async () => {
    const key = fake.createKey('SM2');
    const signer = createKmsSm2Signer({ client: fake.client, keyId: key.arn, id: 'feeproof@11' });
    const message = '票据代码 11010126';
    const signature = await signSm2Message(signer, message);
    expect(verifySm2(message, signature, key.spki, 'feeproof@11')).toBe(true);
    expect(verifySm2(message, signature, key.spki)).toBe(false);
    await expect(signer.signDigest(new Uint8Array(31))).rejects.toThrow(RangeError);
  });

  it('a department without a key: DepartmentKeyMissingError (503, not retryable), no KMS call', async () => {
    const keys = kmsDepartmentKeys({
      client: fake.client,
      keys: { ZRZY: fake.createKey('ECC_NIST_P256').arn },
      algorithm: 'ECDSA_P256_SHA256',
    });
    for (const department of ['GAJ', 'constructor', '__proto__']) {
      const error = await keys.keyFor(department).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DepartmentKeyMissingError);
      expect(error).toBeInstanceOf(SignerError);
      expect(error).toMatchObject({ code: 'department_key_missing', retryable: false, department });
      expect((error as Error).message).toContain("add it to the stack's departments and deploy");
    }
    expect(fake.mock.calls()).toHaveLength(0);
  });

  it('a key of the wrong spec is refused before it signs; the next call tries again', async () => {
    const p256 = fake.createKey('ECC_NIST_P256');
    const keys = kmsDepartmentKeys({ client: fake.client, keys: { ZRZY: p256.arn }, algorithm: 'SM2_SM3' });
    const error = await keys.keyFor('ZRZY').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignerError);
    expect(error).toMatchObject({
      retryable: false,
      message: expect.stringContaining('not SM2/SIGN_VERIFY'),
    });
    expect(fake.signCalls()).toHaveLength(0);
    await expect(keys.keyFor('ZRZY')).rejects.toBeInstanceOf(SignerError);
  });

  it('a disabled department key answers a SignerError that says so', async () => {
    const key = fake.createKey('ECC_NIST_P256');
    const unit = await kmsDepartmentKeys({
      client: fake.client,
      keys: { ZRZY: key.arn },
      algorithm: 'ECDSA_P256_SHA256',
    }).keyFor('ZRZY');
    key.enabled = false;
    await expect(unit.signer.sign('x')).rejects.toMatchObject({
      name: 'SignerError',
      retryable: false,
      message: expect.stringContaining('DisabledException'),
    });
  });
});

describe('department key configuration', () => {
  const ARN = 'arn:aws-cn:kms:cn-north-1:111122223333:key/0b8f1c2e-1234-4abc-9def-1234567890ab';
  const base = { FEEPROOF_SIGNER: 'kms', FEEPROOF_KMS_KEY_ID: ARN };

  it('kms signer: none without FEEPROOF_DEPARTMENT_KEYS (bureau-only), KMS keys with it', () => {
    expect(loadConfig(base).departmentKeys).toEqual({ kind: 'none', algorithm: 'ECDSA_P256_SHA256' });
    expect(
      loadConfig({
        ...base,
        FEEPROOF_DEPARTMENT_KEYS: JSON.stringify({ ZRZY: ARN }),
        FEEPROOF_DEPARTMENT_KEY_ALGORITHM: 'SM2_SM3',
      }).departmentKeys,
    ).toEqual({ kind: 'kms', algorithm: 'SM2_SM3', keys: { ZRZY: ARN } });
    expect(loadConfig({}).departmentKeys).toEqual({ kind: 'local', algorithm: 'ECDSA_P256_SHA256' });
  });

  it('refuses what would break: an alias (rotation keeps its name), a bad code, a bad algorithm, not JSON', () => {
    const load = (env: Record<string, string>) => () => loadConfig({ ...base, ...env });
    expect(load({ FEEPROOF_DEPARTMENT_KEYS: '{"ZRZY":"alias/feeproof/prod/dept/ZRZY"}' })).toThrow(
      /not an alias/,
    );
    expect(load({ FEEPROOF_DEPARTMENT_KEYS: JSON.stringify({ '../x': ARN }) })).toThrow(
      /bad department code/,
    );
    expect(load({ FEEPROOF_DEPARTMENT_KEYS: '[]' })).toThrow(/JSON object/);
    expect(load({ FEEPROOF_DEPARTMENT_KEYS: '{' })).toThrow(/must be JSON/);
    expect(load({ FEEPROOF_DEPARTMENT_KEY_ALGORITHM: 'RSA' })).toThrow(/ECDSA_P256_SHA256, SM2_SM3/);
  });
});
