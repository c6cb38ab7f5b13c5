import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import {
  DisabledException,
  GetPublicKeyCommand,
  type KMSClient,
  KMSInternalException,
  SignCommand,
  type SignCommandInput,
} from '@aws-sdk/client-kms';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSelfSignedCertificate } from '../../../lambdas/adapters/signing/certificate.js';
import { createKmsSigner, isRetryableKmsError } from '../../../lambdas/adapters/signing/kms-signer.js';
import { SignerError } from '../../../lambdas/core/signer.js';
import { FakeKms, type FakeKmsKey } from '../../support/fake-kms.js';

const KEY_ARN = 'arn:aws-cn:kms:cn-north-1:111122223333:key/0b8f1c2e-1234-4abc-9def-1234567890ab';

const throttling = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 400 },
  });

const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());
const message = new TextEncoder().encode('票据代码 11010126 票据号码 0000001234');

let client: KMSClient;
let kms: FakeKms['mock'];
let key: FakeKmsKey;
let fake: FakeKms;

beforeEach(() => {
  // A fake KMS that really signs (test/support/fake-kms.ts), behind the real SDK client.
  fake = new FakeKms({ region: 'cn-north-1', account: '111122223333' });
  client = fake.client;
  kms = fake.mock;
  key = fake.createKey('ECC_NIST_P256', { keyId: '0b8f1c2e-1234-4abc-9def-1234567890ab' });
  expect(key.arn).toBe(KEY_ARN);
});

describe('createKmsSigner', () => {
  it('signs a digest with MessageType DIGEST; the signature verifies against the KMS public key', async () => {
    const signer = createKmsSigner({ client, keyId: KEY_ARN });
    expect(signer.keyId).toBe(KEY_ARN);
    const signature = await signer.signDigest(sha256(message));

    const input = kms.commandCalls(SignCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ KeyId: KEY_ARN, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' });
    expect(input.Message).toEqual(sha256(message));

    const publicKey = createPublicKey({
      key: Buffer.from(await signer.publicKeySpki()),
      format: 'der',
      type: 'spki',
    });
    expect(verify('sha256', message, publicKey, signature)).toBe(true);
  });

  it('fetches the public key once', async () => {
    const signer = createKmsSigner({ client, keyId: KEY_ARN });
    const [a, b] = await Promise.all([signer.publicKeySpki(), signer.publicKeySpki()]);
    await signer.publicKeySpki();
    expect(a).toEqual(key.spki);
    expect(b).toEqual(key.spki);
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
  });

  it('retries throttling and KMS internal errors, then succeeds', async () => {
    kms
      .on(SignCommand)
      .rejectsOnce(throttling())
      .rejectsOnce(new KMSInternalException({ message: 'internal', $metadata: {} }))
      .callsFake((input: SignCommandInput) => fake.sign(input));
    const signer = createKmsSigner({ client, keyId: KEY_ARN, maxAttempts: 4, baseDelayMs: 1 });
    const signature = await signer.signDigest(sha256(message));
    expect(kms.commandCalls(SignCommand)).toHaveLength(3);
    const publicKey = createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' });
    expect(verify('sha256', message, publicKey, signature)).toBe(true);
  });

  it('gives up after maxAttempts with a retryable SignerError', async () => {
    kms.on(SignCommand).rejects(throttling());
    const signer = createKmsSigner({ client, keyId: KEY_ARN, maxAttempts: 3, baseDelayMs: 1 });
    const error = await signer.signDigest(sha256(message)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignerError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('after 3 attempts') });
    expect(kms.commandCalls(SignCommand)).toHaveLength(3);
  });

  it('does not retry a disabled key: SignerError, not retryable, one call', async () => {
    kms.on(SignCommand).rejects(new DisabledException({ message: 'key is disabled', $metadata: {} }));
    const signer = createKmsSigner({ client, keyId: KEY_ARN, baseDelayMs: 1 });
    const error = await signer.signDigest(sha256(message)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignerError);
    expect(error).toMatchObject({ retryable: false, message: expect.stringContaining('DisabledException') });
    expect((error as SignerError).cause).toBeInstanceOf(DisabledException);
    expect(kms.commandCalls(SignCommand)).toHaveLength(1);
  });

  it('refuses a key that is not ECC_NIST_P256 and forgets the failure', async () => {
    kms
      .on(GetPublicKeyCommand)
      .resolvesOnce({ ...key.publicKey(), KeySpec: 'RSA_2048' })
      .callsFake(() => key.publicKey());
    const signer = createKmsSigner({ client, keyId: KEY_ARN });
    await expect(signer.publicKeySpki()).rejects.toMatchObject({ name: 'SignerError', retryable: false });
    expect(await signer.publicKeySpki()).toEqual(key.spki);
  });

  it('classifies errors', () => {
    expect(isRetryableKmsError(throttling())).toBe(true);
    expect(isRetryableKmsError(Object.assign(new Error('socket'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableKmsError(Object.assign(new Error('timeout'), { name: 'TimeoutError' }))).toBe(true);
    expect(isRetryableKmsError({ name: 'X', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isRetryableKmsError(new DisabledException({ message: 'x', $metadata: {} }))).toBe(false);
    expect(isRetryableKmsError({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } })).toBe(
      false,
    );
    expect(isRetryableKmsError('boom')).toBe(false);
  });

  it('makes a certificate through KMS that node verifies', async () => {
    const signer = createKmsSigner({ client, keyId: KEY_ARN });
    const der = await createSelfSignedCertificate(signer, {
      commonName: 'feeproof KMS',
      organization: 'feeproof',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
    });
    const cert = new X509Certificate(der);
    expect(cert.verify(createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' }))).toBe(
      true,
    );
  });
});
