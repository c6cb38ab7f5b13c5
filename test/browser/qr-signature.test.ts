import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { qrMessage as serverQrMessage } from '../../lambdas/core/receipt.js';
import {
  fromBase64Url,
  type PublishedKey,
  qrMessage,
  qrParamsOf,
  verifyQrSignature,
} from '../../web/src/qr-signature.js';

const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const fields = { code: '11010126', number: '0000000042', checkCode: 'ZJJPLZ', d: '2026-11-26', t: '80.00' };

async function signed(kid = 'local:test') {
  const pair = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const jwk = await subtle.exportKey('jwk', pair.publicKey);
  const raw = new Uint8Array(
    await subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      pair.privateKey,
      qrMessage(fields) as Uint8Array<ArrayBuffer>,
    ),
  );
  const key: PublishedKey = {
    keyId: kid,
    status: 'current',
    jwk: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! },
  };
  return { key, params: { ...fields, kid, sig: Buffer.from(raw).toString('base64url') } };
}

describe('QR compact signature, checked offline', () => {
  it('signs the same message as the server', () => {
    const server = serverQrMessage({
      code: fields.code,
      number: fields.number,
      checkCode: fields.checkCode,
      issueDate: fields.d,
      total: 8000,
    });
    expect(new TextDecoder().decode(qrMessage(fields))).toBe(server);
  });

  it('accepts a signature by the published key, and refuses altered content, another key or a malformed value', async () => {
    const { key, params } = await signed();
    const other = (await signed('local:other')).key;
    expect((await verifyQrSignature(params, [other, key], subtle)).state).toBe('valid');
    expect(await verifyQrSignature({ ...params, t: '8.00' }, [key], subtle)).toMatchObject({
      state: 'invalid',
      reason: 'signature_mismatch',
    });
    expect(await verifyQrSignature({ ...params, kid: 'local:other' }, [key, other], subtle)).toMatchObject({
      state: 'invalid',
      reason: 'signature_mismatch',
    });
    expect(await verifyQrSignature({ ...params, kid: 'nope' }, [key], subtle)).toMatchObject({
      state: 'invalid',
      reason: 'unknown_key',
    });
    expect(await verifyQrSignature({ ...params, sig: params.sig.slice(4) }, [key], subtle)).toMatchObject({
      state: 'invalid',
      reason: 'malformed_signature',
    });
    expect(await verifyQrSignature({ ...params, sig: '!!!' }, [key], subtle)).toMatchObject({
      state: 'invalid',
      reason: 'malformed_signature',
    });
    expect(await verifyQrSignature({ ...params, d: undefined }, [key], subtle)).toMatchObject({
      state: 'invalid',
      reason: 'incomplete',
    });
    expect(
      await verifyQrSignature(params, [{ ...key, jwk: { ...key.jwk, crv: 'P-384' } }], subtle),
    ).toMatchObject({ state: 'invalid', reason: 'bad_key' });
    expect(await verifyQrSignature(params, [key], null)).toMatchObject({
      state: 'unavailable',
      reason: 'no_webcrypto',
    });
  });

  it('reads base64url with or without padding, and the QR fields of a URL', () => {
    expect(Array.from(fromBase64Url('AQID')!)).toEqual([1, 2, 3]);
    expect(Array.from(fromBase64Url('_-8')!)).toEqual([255, 239]);
    expect(Array.from(fromBase64Url('_-8=')!)).toEqual([255, 239]);
    expect(fromBase64Url('a+b/')).toBeNull();
    expect(fromBase64Url('abcde')).toBeNull();
    expect(qrParamsOf(new URLSearchParams('code=1&number=2&checkCode=3'))).toBeNull();
    expect(qrParamsOf(new URLSearchParams('code=1&number=2&checkCode=3&d=x&t=y&kid=k&sig=s'))).toEqual({
      code: '1',
      number: '2',
      checkCode: '3',
      d: 'x',
      t: 'y',
      kid: 'k',
      sig: 's',
    });
  });
});
