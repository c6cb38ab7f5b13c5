import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/** Raw 32-byte Ed25519 keys (RFC 8032 encodings) as node:crypto KeyObjects, via fixed DER prefixes. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
export const ED25519_KEY_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;

export function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  if (seed.length !== ED25519_KEY_SIZE) throw new RangeError('an Ed25519 seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function ed25519PublicKey(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== ED25519_KEY_SIZE) throw new RangeError('an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

/** The 32-byte public key of a seed. */
export function ed25519PublicFromSeed(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(ed25519PrivateKey(seed)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}

export const ed25519Sign = (seed: Uint8Array | KeyObject, message: Uint8Array): Uint8Array =>
  new Uint8Array(sign(null, message, seed instanceof Uint8Array ? ed25519PrivateKey(seed) : seed));

export function ed25519Verify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_SIZE) return false;
  return verify(null, message, publicKey, signature);
}
