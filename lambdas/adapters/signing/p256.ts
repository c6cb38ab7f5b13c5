import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';

/** A P-256 private key as both noble (raw scalar) and node:crypto see it. */
export interface P256Key {
  /** The 32-byte secret scalar, for @noble/curves. */
  secretKey: Uint8Array;
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
}

export class KeyFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyFormatError';
  }
}

/** Reads a PKCS#8 (or SEC1) PEM private key and insists on P-256. */
export function p256KeyFromPem(pem: string): P256Key {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (cause) {
    throw new KeyFormatError('not a readable PEM private key', { cause });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new KeyFormatError('the key is not an EC P-256 key');
  const d = key.export({ format: 'jwk' }).d;
  if (!d) throw new KeyFormatError('the key has no private scalar');
  const secretKey = new Uint8Array(Buffer.from(d, 'base64url'));
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  return { secretKey, spki };
}

// Wider precomputed tables for the base point (built on the first signature): each signature
// then takes about a fifth less time; the local signer makes three per receipt.
p256.Point.BASE.precompute(8);

/**
 * ECDSA P-256 over a digest that is already SHA-256: noble with `prehash: false` signs the
 * 32 bytes as given (node's crypto.sign would hash them again). Returns DER (r, s).
 */
export function signP256Digest(digest: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (digest.length !== 32) throw new RangeError(`a SHA-256 digest is 32 bytes, got ${digest.length}`);
  return p256.sign(digest, secretKey, { prehash: false, format: 'der' });
}

/** `local:` + the first 16 hex digits of sha256(SPKI DER). */
export function localKeyId(spki: Uint8Array): string {
  return `local:${createHash('sha256').update(spki).digest('hex').slice(0, 16)}`;
}
