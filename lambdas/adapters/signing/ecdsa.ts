import { type KeyObject, verify, X509Certificate } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { BoundedCache } from '../../core/bounded-cache.js';

/** DER (r, s) as KMS returns it, to the 64-byte r||s form that WebCrypto and JWS use. */
export function derToCompact(der: Uint8Array): Uint8Array {
  return p256.Signature.fromBytes(der, 'der').toBytes('compact');
}

const publicKeys = new BoundedCache<string, KeyObject>(64); // the published keys, current and retired

/** The certificate's public key, parsed once per process (verification is on the hot path). */
const publicKeyOf = (certificatePem: string): KeyObject =>
  publicKeys.getOrCompute(certificatePem, () => new X509Certificate(certificatePem).publicKey);

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
