import { ed25519PublicFromSeed, ed25519Sign, ed25519Verify } from './ed25519.js';
import { TlogError } from './errors.js';
import {
  computeKeyId,
  formatVkey,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  parseVkey,
  SIG_COSIGNATURE_ED25519,
  type Vkey,
} from './note.js';

/**
 * C2SP tlog-cosignature, Ed25519 flavour (signature type 0x04): the witness signs
 * `cosignature/v1\ntime <T>\n` followed by the checkpoint text, and the signature line carries
 * key ID || uint64 big-endian timestamp || Ed25519 signature.
 */
const utf8 = new TextEncoder();
const MAX_TIMESTAMP = 2n ** 63n - 1n;

export function cosignedMessage(checkpointText: string, timestamp: number): Uint8Array {
  return utf8.encode(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`);
}

/** The timestamp of a cosignature's bytes (after the key ID), or null if it has not the right shape. */
export function cosignatureTimestamp(signature: Uint8Array): number | null {
  if (signature.length !== 8 + 64) return null;
  const t = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
  return t > MAX_TIMESTAMP || t > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(t);
}

export function cosignatureVerifier(vkey: string | Vkey): NoteVerifier {
  const k = typeof vkey === 'string' ? parseVkey(vkey) : vkey;
  if (k.type !== SIG_COSIGNATURE_ED25519)
    throw new TlogError('malformed_vkey', `${k.name} is not an Ed25519 cosignature key (type 0x04)`);
  const pub = k.publicKey;
  return {
    name: k.name,
    keyId: k.keyId,
    verify: (text, sig) => {
      const t = cosignatureTimestamp(sig);
      return t !== null && ed25519Verify(pub, cosignedMessage(text, t), sig.subarray(8));
    },
  };
}

export interface Cosigner extends NoteSigner {
  vkey: string;
}

/** A cosigner from a 32-byte seed; `now` gives the POSIX time in seconds (injected for tests). */
export function cosigner(
  name: string,
  seed: Uint8Array,
  now: () => number = () => Math.floor(Date.now() / 1000),
): Cosigner {
  const publicKey = ed25519PublicFromSeed(seed);
  return {
    name,
    keyId: computeKeyId(name, SIG_COSIGNATURE_ED25519, publicKey),
    vkey: formatVkey(name, SIG_COSIGNATURE_ED25519, publicKey),
    sign: async (text) => {
      const t = now();
      if (!Number.isSafeInteger(t) || t <= 0)
        throw new RangeError('a cosignature timestamp is a positive POSIX time');
      const out = new Uint8Array(8 + 64);
      new DataView(out.buffer).setBigUint64(0, BigInt(t));
      out.set(ed25519Sign(seed, cosignedMessage(text, t)), 8);
      return out;
    },
  };
}

/** A signature's timestamp if it is a well-formed cosignature line. */
export const timestampOf = (sig: NoteSignature) => cosignatureTimestamp(sig.signature);
