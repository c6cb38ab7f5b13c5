import { sm2, sm3 } from 'sm-crypto-v2';
import { KeyFormatError } from './p256.js';

/**
 * SM2 signatures (GB/T 32918 / GM/T 0003) with SM3 (GB/T 32905 / GM/T 0004), through
 * sm-crypto-v2. What gets signed is e = SM3(Z_A ‖ M), where Z_A binds the signer's public key
 * and distinguishing ID to the curve: AWS KMS's SM2DSA with MessageType DIGEST signs an e that
 * the caller computed this way with the default ID, so the local key and KMS sign the same e.
 */

/** The distinguishing ID that GM/T 0009 and AWS KMS use when none is agreed. */
export const SM2_DEFAULT_ID = '1234567812345678';

/** DER SubjectPublicKeyInfo prefix: id-ecPublicKey with the sm2p256v1 curve (1.2.156.10197.1.301). */
const SM2_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex');

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

export function sm3Digest(data: string | Uint8Array): Uint8Array {
  return fromHex(sm3(typeof data === 'string' ? new TextEncoder().encode(data) : data));
}

/** The 65-byte uncompressed point (04 ‖ x ‖ y) of an SM2 SubjectPublicKeyInfo. */
export function sm2PointFromSpki(spki: Uint8Array): Uint8Array {
  const der = Buffer.from(spki);
  if (
    der.length !== SM2_SPKI_PREFIX.length + 65 ||
    !der.subarray(0, SM2_SPKI_PREFIX.length).equals(SM2_SPKI_PREFIX)
  )
    throw new KeyFormatError('not an SM2 public key (SubjectPublicKeyInfo on sm2p256v1)');
  const point = new Uint8Array(der.subarray(SM2_SPKI_PREFIX.length));
  if (point[0] !== 0x04 || !sm2.verifyPublicKey(hex(point)))
    throw new KeyFormatError('the SM2 public key is not a point on the curve');
  return point;
}

export function sm2SpkiFromPoint(point: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.concat([SM2_SPKI_PREFIX, point]));
}

/** Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) (GB/T 32918.2, 5.5). */
export function sm2Za(publicKeySpki: Uint8Array, id = SM2_DEFAULT_ID): Uint8Array {
  if (new TextEncoder().encode(id).length >= 8192) throw new RangeError('an SM2 ID is at most 8191 bytes');
  return new Uint8Array(sm2.getZ(hex(sm2PointFromSpki(publicKeySpki)), id));
}

/** e = SM3(Z_A ‖ M): the 32 bytes that KMS's SM2DSA signs with MessageType DIGEST. */
export function sm2MessageDigest(
  message: string | Uint8Array,
  publicKeySpki: Uint8Array,
  id = SM2_DEFAULT_ID,
): Uint8Array {
  const m = typeof message === 'string' ? new TextEncoder().encode(message) : message;
  return sm3Digest(Buffer.concat([sm2Za(publicKeySpki, id), m]));
}

/** An SM2 private key as sm-crypto-v2 (hex scalar) and DER SPKI see it. */
export interface Sm2Key {
  secretKeyHex: string;
  spki: Uint8Array;
}

/**
 * PKCS#8 of an SM2 key, as OpenSSL writes it: AlgorithmIdentifier id-ecPublicKey + sm2p256v1,
 * then a SEC1 ECPrivateKey (version 1, the 32-byte scalar, [1] the public point). node reads
 * such a key but cannot tell its scalar (no JWK, no key type for SM2), so the layout is fixed here.
 */
const PKCS8_HEAD = Buffer.from(
  '308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420',
  'hex',
);
const PKCS8_POINT = Buffer.from('a144034200', 'hex');

/** A new SM2 key as a PKCS#8 PEM; the scalar comes from the library's CSPRNG. */
export function generateSm2KeyPem(): string {
  const { privateKey, publicKey } = sm2.generateKeyPairHex();
  const der = Buffer.concat([
    PKCS8_HEAD,
    Buffer.from(privateKey.padStart(64, '0'), 'hex'),
    PKCS8_POINT,
    Buffer.from(publicKey, 'hex'),
  ]);
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
}

/** Reads an SM2 PKCS#8 PEM private key (as generateSm2KeyPem or OpenSSL writes it). */
export function sm2KeyFromPem(pem: string): Sm2Key {
  const m = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(pem);
  if (!m) throw new KeyFormatError('not a PEM PKCS#8 private key');
  const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  const pointAt = PKCS8_HEAD.length + 32;
  if (
    der.length !== pointAt + PKCS8_POINT.length + 65 ||
    !der.subarray(0, PKCS8_HEAD.length).equals(PKCS8_HEAD) ||
    !der.subarray(pointAt, pointAt + PKCS8_POINT.length).equals(PKCS8_POINT)
  )
    throw new KeyFormatError('the key is not an SM2 key in the expected PKCS#8 layout');
  const secretKeyHex = der.subarray(PKCS8_HEAD.length, pointAt).toString('hex');
  const point = der.subarray(pointAt + PKCS8_POINT.length);
  if (sm2.getPublicKeyFromPrivateKey(secretKeyHex) !== point.toString('hex'))
    throw new KeyFormatError("the SM2 key's public point does not match its scalar");
  return { secretKeyHex, spki: sm2SpkiFromPoint(new Uint8Array(point)) };
}

/**
 * Signs e (a 32-byte SM3(Z ‖ M), as KMS's SM2DSA DIGEST does); returns the DER (r, s).
 * The nonce k comes from sm-crypto-v2's CSPRNG pool.
 */
export function signSm2Digest(e: Uint8Array, key: Sm2Key): Uint8Array {
  if (e.length !== 32) throw new RangeError(`an SM3 digest is 32 bytes, got ${e.length}`);
  return fromHex(sm2.doSignature(e, key.secretKeyHex, { der: true, hash: false }));
}

/** Verifies a DER SM2 signature over e = SM3(Z ‖ M); false for anything malformed, never throws. */
export function verifySm2Digest(e: Uint8Array, signatureDer: Uint8Array, publicKeySpki: Uint8Array): boolean {
  try {
    if (e.length !== 32) return false;
    const point = sm2PointFromSpki(publicKeySpki);
    return sm2.doVerifySignature(e, hex(signatureDer), hex(point), { der: true, hash: false });
  } catch {
    return false;
  }
}

/** Verifies a DER SM2 signature over a message, with Z computed for the ID; never throws. */
export function verifySm2(
  message: string | Uint8Array,
  signatureDer: Uint8Array,
  publicKeySpki: Uint8Array,
  id = SM2_DEFAULT_ID,
): boolean {
  try {
    return verifySm2Digest(sm2MessageDigest(message, publicKeySpki, id), signatureDer, publicKeySpki);
  } catch {
    return false;
  }
}

/**
 * The SM2 counterpart of the Signer port (lambdas/core/signer.ts): the same shape, a 32-byte
 * digest in and a DER signature out, but the digest is SM3(Z ‖ M), not SHA-256. Kept a separate
 * type so that an SM2 key can never be handed to the PAdES signer, which must stay ECDSA P-256.
 */
export interface Sm2Signer {
  readonly algorithm: 'SM2_SM3';
  readonly keyId: string;
  /** The distinguishing ID that Z is computed with. */
  readonly id: string;
  signDigest(e: Uint8Array): Promise<Uint8Array>;
  publicKeySpki(): Promise<Uint8Array>;
}

/** An Sm2Signer over a key held in memory (the local key file's). */
export function localSm2Signer(key: Sm2Key, keyId: string, id = SM2_DEFAULT_ID): Sm2Signer {
  return {
    algorithm: 'SM2_SM3',
    keyId,
    id,
    signDigest: async (e) => signSm2Digest(e, key),
    publicKeySpki: async () => key.spki.slice(),
  };
}

/** Signs a message with any Sm2Signer (local or KMS): computes e = SM3(Z ‖ M) here, signs e there. */
export async function signSm2Message(signer: Sm2Signer, message: string | Uint8Array): Promise<Uint8Array> {
  return signer.signDigest(sm2MessageDigest(message, await signer.publicKeySpki(), signer.id));
}
