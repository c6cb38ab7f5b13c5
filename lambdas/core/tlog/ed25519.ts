import { ed25519 } from '@noble/curves/ed25519.js';

/**
 * Ed25519 (RFC 8032) over raw 32-byte seeds and public keys, in pure JavaScript (@noble/curves)
 * so that the verification page checks checkpoint signatures in the browser with this same code.
 * Verification is strict RFC 8032 (zip215 off: canonical encodings only, as Go's crypto/ed25519
 * and OpenSSL), so a signature accepted here is accepted by every other verifier.
 */
export const ED25519_KEY_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;

function checkSize(bytes: Uint8Array, what: string) {
  if (bytes.length !== ED25519_KEY_SIZE) throw new RangeError(`an Ed25519 ${what} is 32 bytes`);
}

/** The 32-byte public key of a seed. */
export function ed25519PublicFromSeed(seed: Uint8Array): Uint8Array {
  checkSize(seed, 'seed');
  return ed25519.getPublicKey(seed);
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  checkSize(seed, 'seed');
  return ed25519.sign(message, seed);
}

/** False for a wrong signature, a signature of the wrong size or a public key that is not a point. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  checkSize(publicKey, 'public key');
  if (signature.length !== ED25519_SIGNATURE_SIZE) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
