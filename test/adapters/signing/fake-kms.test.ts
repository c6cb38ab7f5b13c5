import { createPublicKey, verify } from 'node:crypto';
import { SignCommand, VerifyCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { sm2MessageDigest, verifySm2, verifySm2Digest } from '../../../lambdas/adapters/signing/sm2.js';
import { FakeKms } from '../../support/fake-kms.js';

const message = new TextEncoder().encode('票据代码 11010126 票据号码 0000001234');
const spkiKey = (spki: Uint8Array) =>
  createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });

/** The fake itself: other tests trust it to answer as KMS does. */
describe('FakeKms', () => {
  it('finds a key by id, ARN, alias and alias ARN; GetPublicKey gives SPKI and the key spec', async () => {
    const fake = new FakeKms();
    const key = fake.createKey('ECC_NIST_P256', { aliases: ['alias/feeproof/prod/dept/ZRZY'] });
    for (const ref of [
      key.keyId,
      key.arn,
      'alias/feeproof/prod/dept/ZRZY',
      `arn:aws-cn:kms:cn-north-1:111122223333:alias/feeproof/prod/dept/ZRZY`,
    ])
      expect(fake.find(ref)).toBe(key);
    const out = fake.getPublicKey({ KeyId: 'alias/feeproof/prod/dept/ZRZY' });
    expect(out).toMatchObject({
      KeyId: key.arn,
      KeySpec: 'ECC_NIST_P256',
      SigningAlgorithms: ['ECDSA_SHA_256'],
    });
    expect(spkiKey(out.PublicKey!).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('P-256: RAW is hashed by KMS; the signature verifies with node', async () => {
    const fake = new FakeKms();
    const key = fake.createKey('ECC_NIST_P256');
    const out = await fake.client.send(
      new SignCommand({
        KeyId: key.arn,
        Message: message,
        MessageType: 'RAW',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    expect(verify('sha256', message, spkiKey(key.spki), out.Signature!)).toBe(true);
    const checked = await fake.client.send(
      new VerifyCommand({
        KeyId: key.keyId,
        Message: message,
        Signature: out.Signature!,
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    expect(checked.SignatureValid).toBe(true);
  });

  it('Ed25519: ED25519_SHA_512 over the RAW message; a DIGEST is refused', async () => {
    const fake = new FakeKms({ region: 'eu-west-1' });
    const key = fake.createKey('ECC_NIST_EDWARDS25519');
    expect(key.arn).toMatch(/^arn:aws:kms:eu-west-1:/);
    const out = await fake.client.send(
      new SignCommand({
        KeyId: key.arn,
        Message: message,
        MessageType: 'RAW',
        SigningAlgorithm: 'ED25519_SHA_512',
      }),
    );
    expect(out.Signature).toHaveLength(64);
    expect(verify(null, message, spkiKey(key.spki), out.Signature!)).toBe(true);
    await expect(
      fake.client.send(
        new SignCommand({
          KeyId: key.arn,
          Message: new Uint8Array(32),
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ED25519_SHA_512',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('SM2: DIGEST signs the e the caller gives; RAW computes Z with the default ID', async () => {
    const fake = new FakeKms();
    const key = fake.createKey('SM2');
    const e = sm2MessageDigest(message, key.spki);
    const digest = await fake.client.send(
      new SignCommand({ KeyId: key.arn, Message: e, MessageType: 'DIGEST', SigningAlgorithm: 'SM2DSA' }),
    );
    expect(verifySm2Digest(e, digest.Signature!, key.spki)).toBe(true);
    const raw = await fake.client.send(
      new SignCommand({ KeyId: key.arn, Message: message, MessageType: 'RAW', SigningAlgorithm: 'SM2DSA' }),
    );
    expect(verifySm2(message, raw.Signature!, key.spki)).toBe(true);
  });

  it('answers as KMS does for an unknown key, a disabled key and a wrong algorithm', async () => {
    const fake = new FakeKms();
    const key = fake.createKey('SM2');
    const sign = (KeyId: string, SigningAlgorithm: 'SM2DSA' | 'ECDSA_SHA_256' = 'SM2DSA') =>
      fake.client.send(
        new SignCommand({ KeyId, Message: new Uint8Array(32), MessageType: 'DIGEST', SigningAlgorithm }),
      );
    await expect(sign('alias/nope')).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(sign(key.arn, 'ECDSA_SHA_256')).rejects.toMatchObject({ name: 'InvalidKeyUsageException' });
    key.enabled = false;
    await expect(sign(key.arn)).rejects.toMatchObject({ name: 'DisabledException' });
    expect(fake.signCalls()).toHaveLength(3);
  });
});
