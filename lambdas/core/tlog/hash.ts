import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/*
 * RFC 6962 / RFC 9162 §2.1.1 Merkle Tree Hash over SHA-256. No node:crypto and no Buffer here
 * (nor in ed25519.ts): the verification page runs this same code in the browser (issue 13).
 * @noble/hashes is synchronous, which the proof code needs (Web Crypto's digest is not), and
 * about as fast as node:crypto's createHash on the small inputs hashed here.
 */
export const HASH_SIZE = 32;

export type Hash = Uint8Array;

export function sha256(...parts: Uint8Array[]): Hash {
  const h = nobleSha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** MTH({d}) = SHA-256(0x00 || d). */
export const leafHash = (entry: Uint8Array): Hash => sha256(LEAF_PREFIX, entry);
/** SHA-256(0x01 || left || right). */
export const nodeHash = (left: Hash, right: Hash): Hash => sha256(NODE_PREFIX, left, right);
/** MTH({}) = SHA-256() (the empty string). */
export const EMPTY_ROOT: Hash = sha256();

export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** The largest power of two strictly below n (n >= 2): RFC 9162's k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over a list of leaf hashes (the whole list), by RFC 9162's recursive definition. */
export function rootFromLeafHashes(leaves: readonly Hash[]): Hash {
  return rangeHash(leaves, 0, leaves.length);
}

function rangeHash(leaves: readonly Hash[], start: number, end: number): Hash {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[start]!;
  const k = splitPoint(n);
  return nodeHash(rangeHash(leaves, start, start + k), rangeHash(leaves, start + k, end));
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict standard base64 (RFC 4648 §4): canonical padding, nothing else accepted. */
export function fromBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0 || !B64.test(text)) return null;
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return null;
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return toBase64(bytes) === text ? bytes : null;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
