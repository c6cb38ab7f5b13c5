import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certificateFromPem, OID, parseCertificate } from '../../../lambdas/adapters/signing/certificate.js';
import {
  departmentCertificatePem,
  departmentKeyPath,
  localDepartmentKeys,
  p256MessageSigner,
  publishedKeyForm,
  resolvedKey,
} from '../../../lambdas/adapters/signing/department-keys.js';
import { openLocalSigner } from '../../../lambdas/adapters/signing/local-signer.js';
import { verifySm2 } from '../../../lambdas/adapters/signing/sm2.js';
import { checkTwoSignatures, type ResolvedKey, signTwice } from '../../../lambdas/core/two-signatures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'feeproof-dept-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const canonical = '{"code":"11010126","department":"ZRZY","number":"0000000001","v":1}';

describe('department keys', () => {
  it('makes one key file per department on first use (mode 0600), and reopens the same key', async () => {
    const keys = localDepartmentKeys(dir);
    const [zrzy, again, gaj] = await Promise.all([
      keys.keyFor('ZRZY'),
      keys.keyFor('ZRZY'),
      keys.keyFor('GAJ'),
    ]);
    expect(again).toBe(zrzy);
    expect(zrzy.signer.keyId).not.toBe(gaj.signer.keyId);
    const path = departmentKeyPath(dir, 'ZRZY', 'ECDSA_P256_SHA256');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const pem = await readFile(path, 'utf8');
    // Another process (another instance) reads the same file: same key, file untouched.
    const reopened = await localDepartmentKeys(dir).keyFor('ZRZY');
    expect(reopened.signer.keyId).toBe(zrzy.signer.keyId);
    expect(await readFile(path, 'utf8')).toBe(pem);
  });

  it('two instances creating the same SM2 key at once end up with one key', async () => {
    const [a, b] = await Promise.all([
      localDepartmentKeys(dir, 'SM2_SM3').keyFor('ZRZY'),
      localDepartmentKeys(dir, 'SM2_SM3').keyFor('ZRZY'),
    ]);
    expect(a.signer.keyId).toBe(b.signer.keyId);
    expect(a.signer.keyId).toMatch(/^local-sm2:[0-9a-f]{16}$/);
    expect((await stat(departmentKeyPath(dir, 'ZRZY', 'SM2_SM3'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a department code that could leave the folder', () => {
    for (const bad of ['../X', 'zrzy', 'A', 'ZR/ZY', ''])
      expect(() => departmentKeyPath(dir, bad, 'ECDSA_P256_SHA256')).toThrow(RangeError);
  });

  it('a P-256 department key has a self-signed certificate naming the unit and the bureau', async () => {
    const key = await localDepartmentKeys(dir).keyFor('ZRZY');
    const pem = await departmentCertificatePem(key, {
      bureauName: '某市财政局',
      unitName: '某市自然资源和规划局',
      now: new Date('2026-03-05T00:00:00Z'),
    });
    const cert = new X509Certificate(pem);
    expect(cert.subject).toContain('CN=某市自然资源和规划局 (ZRZY) 开票单位签章');
    expect(cert.subject).toContain('O=某市财政局');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new Uint8Array(cert.publicKey.export({ format: 'der', type: 'spki' }))).toEqual(key.publicKeySpki);
  });

  it('an SM2 department key has a self-signed SM2-with-SM3 certificate; /v1/keys shows it as SM2 with its key', async () => {
    const key = await localDepartmentKeys(dir, 'SM2_SM3').keyFor('ZRZY');
    const pem = await departmentCertificatePem(key, {
      bureauName: '某市财政局',
      unitName: '某市自然资源和规划局',
      now: new Date('2026-03-05T00:00:00Z'),
    });
    const cert = parseCertificate(certificateFromPem(pem));
    expect(cert.signatureAlgorithm.algorithmId).toBe(OID.sm2WithSm3);
    expect(new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER())).toEqual(key.publicKeySpki);
    // The certificate's signature: SM2 over SM3(Z ‖ tbs), Z with the default ID (GM/T 0015).
    const tbs = new Uint8Array(cert.tbsView);
    expect(
      verifySm2(tbs, new Uint8Array(cert.signatureValue.valueBlock.valueHexView), key.publicKeySpki),
    ).toBe(true);
    expect(publishedKeyForm(pem)).toEqual({
      algorithm: 'SM2',
      publicKeySpki: Buffer.from(key.publicKeySpki).toString('base64'),
    });
    const p256 = await localDepartmentKeys(dir).keyFor('ZRZY');
    const p256Pem = await departmentCertificatePem(p256, { bureauName: 'b', unitName: 'u', now: new Date() });
    expect(publishedKeyForm(p256Pem)).toMatchObject({ algorithm: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } });
  });

  it.each(['ECDSA_P256_SHA256', 'SM2_SM3'] as const)(
    'a %s unit key and the bureau key sign twice; tampering with either signature or the data is refused',
    async (algorithm) => {
      const unit = await localDepartmentKeys(dir, algorithm).keyFor('ZRZY');
      const bureauSigner = await openLocalSigner(join(dir, 'bureau.pem'));
      const bureauPem = await departmentCertificatePem(
        {
          department: 'BUREAU',
          signer: p256MessageSigner(bureauSigner),
          publicKeySpki: new Uint8Array(),
          p256: bureauSigner,
        },
        { bureauName: '某市财政局', unitName: '某市财政局', now: new Date() },
      );
      // Published as /v1/keys publishes it: a certificate, P-256 or SM2 (the resolver tells them apart).
      const unitPublished = {
        certificatePem: await departmentCertificatePem(unit, {
          bureauName: '某市财政局',
          unitName: '某市自然资源和规划局',
          now: new Date(),
        }),
      };
      const keys = new Map<string, ResolvedKey>([
        [unit.signer.keyId, resolvedKey('unit', unitPublished, 'ZRZY')],
        [bureauSigner.keyId, resolvedKey('supervision', { certificatePem: bureauPem })],
      ]);
      const resolve = (id: string) => keys.get(id);
      const sigs = await signTwice(canonical, unit.signer, p256MessageSigner(bureauSigner));
      expect(sigs.unit.algorithm).toBe(algorithm);
      expect((await checkTwoSignatures(canonical, 'ZRZY', sigs, resolve)).ok).toBe(true);

      const flip = (b64: string) => {
        const b = Buffer.from(b64, 'base64');
        b[10]! ^= 0x40;
        return b.toString('base64');
      };
      const badUnit = await checkTwoSignatures(
        canonical,
        'ZRZY',
        { ...sigs, unit: { ...sigs.unit, value: flip(sigs.unit.value) } },
        resolve,
      );
      expect([badUnit.unit.ok, badUnit.supervision.ok]).toEqual([false, false]);
      const badSup = await checkTwoSignatures(
        canonical,
        'ZRZY',
        { ...sigs, supervision: { ...sigs.supervision, value: flip(sigs.supervision.value) } },
        resolve,
      );
      expect([badSup.unit.ok, badSup.supervision.ok]).toEqual([true, false]);
      const badData = await checkTwoSignatures(canonical.replace('0001', '0002'), 'ZRZY', sigs, resolve);
      expect(badData.unit.ok || badData.supervision.ok).toBe(false);
      const otherDept = await checkTwoSignatures(canonical, 'GAJ', sigs, resolve);
      expect(otherDept.unit.ok ? 'ok' : otherDept.unit.error.code).toBe('KEY_WRONG_DEPARTMENT');
    },
  );
});
