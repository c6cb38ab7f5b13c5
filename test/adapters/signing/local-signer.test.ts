import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signSha256 } from '../../../lambdas/adapters/signing/certificate.js';
import { openLocalSigner } from '../../../lambdas/adapters/signing/local-signer.js';
import { KeyFormatError } from '../../../lambdas/adapters/signing/p256.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'feeproof-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (data: string | Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

describe('openLocalSigner', () => {
  it('creates a PKCS#8 PEM key with mode 0600 under a new directory, and reuses it', async () => {
    const keyPath = join(dir, 'data', 'keys', 'signing-key.pem');
    const first = await openLocalSigner(keyPath);
    const info = await stat(keyPath);
    expect(info.mode & 0o777).toBe(0o600);
    expect(await readFile(keyPath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);

    const second = await openLocalSigner(keyPath);
    expect(second.keyId).toBe(first.keyId);
    expect(await second.publicKeySpki()).toEqual(await first.publicKeySpki());
  });

  it('names the key local:<first 16 hex of sha256(spki)>', async () => {
    const signer = await openLocalSigner(join(dir, 'k.pem'));
    const spki = await signer.publicKeySpki();
    expect(signer.keyId).toBe(`local:${createHash('sha256').update(spki).digest('hex').slice(0, 16)}`);
    expect(
      createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).asymmetricKeyDetails,
    ).toEqual({
      namedCurve: 'prime256v1',
    });
  });

  it('signs the digest as given (no second hash), in DER', async () => {
    const signer = await openLocalSigner(join(dir, 'k.pem'));
    const spki = await signer.publicKeySpki();
    const message = new TextEncoder().encode('非税收入通用票据');
    const signature = await signer.signDigest(sha256(message));
    expect(signature[0]).toBe(0x30); // DER SEQUENCE
    // node hashes the message itself: it verifies only if signDigest did not hash again.
    const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    expect(verify('sha256', message, publicKey, signature)).toBe(true);
    expect(verify('sha256', sha256(message), publicKey, signature)).toBe(false);
    const raw = publicKey.export({ format: 'jwk' });
    const point = new Uint8Array([
      4,
      ...Buffer.from(raw.x!, 'base64url'),
      ...Buffer.from(raw.y!, 'base64url'),
    ]);
    expect(p256.verify(signature, sha256(message), point, { prehash: false, format: 'der' })).toBe(true);
  });

  it('signSha256: the local key hashes and signs natively, a digest signer (KMS) signs the digest; both verify', async () => {
    const local = await openLocalSigner(join(dir, 'k.pem'));
    const publicKey = createPublicKey({
      key: Buffer.from(await local.publicKeySpki()),
      format: 'der',
      type: 'spki',
    });
    const digests: Uint8Array[] = [];
    const counting = {
      ...local,
      signDigest: (digest: Uint8Array) => {
        digests.push(digest);
        return local.signDigest(digest);
      },
    };
    const message = '非税收入通用票据';
    const native = await signSha256(counting, message);
    expect(digests).toEqual([]); // the native path: no digest signed by @noble/curves
    const { signMessageSha256: _, ...digestOnly } = counting; // as the KMS signer is
    const overDigest = await signSha256(digestOnly, message);
    expect(digests).toEqual([sha256(message)]);
    for (const signature of [native, overDigest])
      expect(verify('sha256', Buffer.from(message), publicKey, signature)).toBe(true);
  });

  it('refuses a digest that is not 32 bytes', async () => {
    const signer = await openLocalSigner(join(dir, 'k.pem'));
    await expect(signer.signDigest(new Uint8Array(31))).rejects.toThrow(RangeError);
  });

  it('ends up with one key when two processes start at once', async () => {
    const keyPath = join(dir, 'k.pem');
    const signers = await Promise.all([
      openLocalSigner(keyPath),
      openLocalSigner(keyPath),
      openLocalSigner(keyPath),
    ]);
    expect(new Set(signers.map((s) => s.keyId)).size).toBe(1);
  });

  it('refuses a key file that is not a P-256 key', async () => {
    const keyPath = join(dir, 'bad.pem');
    await writeFile(keyPath, 'not a key', { mode: 0o600 });
    await expect(openLocalSigner(keyPath)).rejects.toThrow(KeyFormatError);
  });
});
