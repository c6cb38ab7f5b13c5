import { type KeyObject, verify, X509Certificate } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';

/** DER (r, s) as KMS returns it, to the 64-byte r||s form that WebCrypto and JWS use. */
export function derToCompact(der: Uint8Array): Uint8Array {
  return p256.Signature.fromBytes(der, 'der').toBytes('compact');
}

const publicKeys = new Map<string, KeyObject>();

/** The certificate's public key, parsed once per process (verification is on the hot path). */
function publicKeyOf(certificatePem: string): KeyObject {
  let key = publicKeys.get(certificatePem);
  if (!key) {
    key = new X509Certificate(certificatePem).publicKey;
    publicKeys.set(certificatePem, key);
  }
  return key;
}

/** Verifies ECDSA P-256 / SHA-256 over a message, against a certificate (PEM); never throws. */
export function verifyWithCertificate(
  certificatePem: string,
  message: string | Uint8Array,
  signature: Uint8Array,
  encoding: 'der' | 'ieee-p1363' = 'der',
): boolean {
  try {
    const key = publicKeyOf(certificatePem);
    return verify(
      'sha256',
      typeof message === 'string' ? Buffer.from(message, 'utf8') : message,
      { key, dsaEncoding: encoding },
      signature,
    );
  } catch {
    return false;
  }
}

/** The certificate's public key as a JWK, for offline verifiers (the web page uses WebCrypto). */
export function publicJwk(certificatePem: string) {
  const jwk = publicKeyOf(certificatePem).export({ format: 'jwk' });
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
}
