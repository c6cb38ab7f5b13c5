import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { sm2 } from 'sm-crypto-v2';
import { describe, expect, it } from 'vitest';
import { KeyFormatError } from '../../../lambdas/adapters/signing/p256.js';
import {
  generateSm2KeyPem,
  localSm2Signer,
  SM2_DEFAULT_ID,
  signSm2Digest,
  signSm2Message,
  sm2KeyFromPem,
  sm2MessageDigest,
  sm2PointFromSpki,
  sm2SpkiFromPoint,
  sm2Za,
  sm3Digest,
  verifySm2,
  verifySm2Digest,
} from '../../../lambdas/adapters/signing/sm2.js';

// Values and their sources (GM/T 0003.5 Annex A.2, GM/T 0004 Annex A): test/fixtures/sm2/vectors.json.
const vectors = JSON.parse(readFileSync(new URL('../../fixtures/sm2/vectors.json', import.meta.url), 'utf8'));
const v = vectors.sm2Signature;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

/** DER SEQUENCE of two positive 32-byte INTEGERs (each needs a 00 when its top bit is set). */
function derRs(r: string, s: string): Uint8Array {
  const int = (h: string) => {
    const b = Buffer.from(h, 'hex');
    const body = b[0]! >= 0x80 ? Buffer.concat([Buffer.of(0), b]) : b;
    return Buffer.concat([Buffer.of(0x02, body.length), body]);
  };
  const seq = Buffer.concat([int(r), int(s)]);
  return new Uint8Array(Buffer.concat([Buffer.of(0x30, seq.length), seq]));
}

const standardSpki = sm2SpkiFromPoint(bytes(`04${v.publicKeyX}${v.publicKeyY}`));

describe('SM3 (GM/T 0004 Annex A examples)', () => {
  it.each(vectors.sm3 as { input: string; repeat: number; digest: string }[])(
    'SM3("$input" x $repeat)',
    ({ input, repeat, digest }) => {
      expect(hex(sm3Digest(input.repeat(repeat)))).toBe(digest);
      expect(hex(sm3Digest(new TextEncoder().encode(input.repeat(repeat))))).toBe(digest);
    },
  );

  it('agrees with OpenSSL’s SM3 on any input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(hex(sm3Digest(data))).toBe(createHash('sm3').update(data).digest('hex'));
      }),
      { numRuns: 50 },
    );
  });
});

describe('SM2 signature (GM/T 0003.5 Annex A.2 example)', () => {
  it('computes Z_A and e = SM3(Z_A ‖ M) as the standard does, with the default ID', () => {
    expect(SM2_DEFAULT_ID).toBe(v.id);
    expect(hex(sm2Za(standardSpki))).toBe(v.za);
    expect(hex(sm2MessageDigest(v.message, standardSpki))).toBe(v.e);
  });

  it('verifies the published (r, s), over the message and over the digest', () => {
    const sig = derRs(v.r, v.s);
    expect(verifySm2(v.message, sig, standardSpki)).toBe(true);
    expect(verifySm2Digest(bytes(v.e), sig, standardSpki)).toBe(true);
  });

  it('the library reproduces the published signature from the published nonce k', () => {
    const der = sm2.doSignature(bytes(v.e), v.privateKey, {
      der: true,
      hash: false,
      pointPool: [{ k: BigInt(`0x${v.k}`), x1: BigInt(`0x${v.x1}`) }],
    });
    expect(der).toBe(hex(derRs(v.r, v.s)));
    expect(sm2.getPublicKeyFromPrivateKey(v.privateKey)).toBe(`04${v.publicKeyX}${v.publicKeyY}`);
  });

  it('refuses the published signature for another message, another ID, another key or a flipped bit', () => {
    const sig = derRs(v.r, v.s);
    expect(verifySm2('message digesT', sig, standardSpki)).toBe(false);
    expect(verifySm2(v.message, sig, standardSpki, 'ALICE123@YAHOO.COM')).toBe(false);
    const other = sm2KeyFromPem(generateSm2KeyPem());
    expect(verifySm2(v.message, sig, other.spki)).toBe(false);
    for (const at of [5, 20, 40, 60]) {
      const bad = sig.slice();
      bad[at]! ^= 1;
      expect(verifySm2(v.message, bad, standardSpki)).toBe(false);
    }
    expect(verifySm2(v.message, new Uint8Array([0x30, 0x00]), standardSpki)).toBe(false);
    expect(verifySm2Digest(bytes(v.e).subarray(1), sig, standardSpki)).toBe(false);
  });
});

describe('local SM2 keys', () => {
  it('a generated PEM key signs and verifies; signatures are DER and differ each time (random k)', async () => {
    const key = sm2KeyFromPem(generateSm2KeyPem());
    const signer = localSm2Signer(key, 'local-sm2:test');
    const first = await signSm2Message(signer, '票据 0000000001');
    const second = await signSm2Message(signer, '票据 0000000001');
    expect(first[0]).toBe(0x30);
    expect(hex(first)).not.toBe(hex(second));
    expect(verifySm2('票据 0000000001', first, key.spki)).toBe(true);
    expect(verifySm2('票据 0000000001', second, key.spki)).toBe(true);
    expect(verifySm2('票据 0000000002', first, key.spki)).toBe(false);
  });

  it('the digest path is what KMS signs: signing e = SM3(Z ‖ M) verifies as a message signature', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (message) => {
        const key = sm2KeyFromPem(generateSm2KeyPem());
        const sig = signSm2Digest(sm2MessageDigest(message, key.spki), key);
        expect(verifySm2(message, sig, key.spki)).toBe(true);
      }),
      { numRuns: 10 },
    );
  });

  it('refuses a P-256 key, a non-key, a short digest and a foreign public key', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => sm2KeyFromPem(p256.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())).toThrow(
      KeyFormatError,
    );
    expect(() => sm2KeyFromPem('not a key')).toThrow(KeyFormatError);
    const p256Spki = new Uint8Array(p256.publicKey.export({ format: 'der', type: 'spki' }));
    expect(() => sm2PointFromSpki(p256Spki)).toThrow(KeyFormatError);
    const key = sm2KeyFromPem(generateSm2KeyPem());
    expect(() => signSm2Digest(new Uint8Array(31), key)).toThrow(RangeError);
  });

  it('writes the PKCS#8 layout OpenSSL writes, and reads keys OpenSSL made', async () => {
    const { createPrivateKey, createPublicKey, generateKeyPairSync } = await import('node:crypto');
    const ours = generateSm2KeyPem();
    const theirs = createPrivateKey(ours);
    expect(hex(new Uint8Array(createPublicKey(theirs).export({ format: 'der', type: 'spki' })))).toBe(
      hex(sm2KeyFromPem(ours).spki),
    );
    const openssl = generateKeyPairSync('ec', { namedCurve: 'SM2' });
    const read = sm2KeyFromPem(openssl.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    expect(hex(read.spki)).toBe(
      hex(new Uint8Array(openssl.publicKey.export({ format: 'der', type: 'spki' }))),
    );
  });

  it('reads back the key it wrote: same public key, point on the curve', () => {
    const pem = generateSm2KeyPem();
    const a = sm2KeyFromPem(pem);
    const b = sm2KeyFromPem(pem);
    expect(hex(a.spki)).toBe(hex(b.spki));
    expect(hex(sm2PointFromSpki(a.spki))).toBe(sm2.getPublicKeyFromPrivateKey(a.secretKeyHex));
  });
});
