import { TlogError } from './errors.js';
import { EMPTY_ROOT, HASH_SIZE, type Hash, hashesEqual, nodeHash, splitPoint } from './hash.js';

/**
 * Inclusion and consistency proofs exactly as RFC 9162 §2.1.3 and §2.1.4 define them
 * (identical to RFC 6962 §2.1.1/§2.1.2 audit paths and consistency proofs).
 *
 * Generation reads stored hashes through a NodeReader: the hash of the complete subtree of
 * 2^level leaves starting at leaf index * 2^level. A tile store answers that from its tiles
 * (see tiles.ts nodeFromTiles); a test answers it from a list of leaf hashes.
 */
export type NodeReader = (level: number, index: number) => Hash;

/** Sizes and indexes are JS safe integers; a log of 2^53 entries is beyond any fee office. */
function checkSize(n: number, what: string) {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new TlogError('size_out_of_range', `${what} ${n} is not a size`);
}

const isPowerOfTwo = (n: number) => n > 0 && 2 ** Math.round(Math.log2(n)) === n;
const half = (n: number) => Math.floor(n / 2);
const odd = (n: number) => n % 2 === 1;

/** MTH(D[start:end]) from complete subtrees: the aligned power-of-two left part, then the rest. */
export function subtreeHash(read: NodeReader, start: number, end: number): Hash {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (isPowerOfTwo(n) && start % n === 0) return read(Math.round(Math.log2(n)), start / n);
  const k = splitPoint(n);
  return nodeHash(subtreeHash(read, start, start + k), subtreeHash(read, start + k, end));
}

/** The tree head (root hash) at a size. */
export const treeHash = (read: NodeReader, size: number): Hash => subtreeHash(read, 0, size);

/** PATH(m, D[start:end]) of RFC 9162 §2.1.3.1, leaf side first. */
function path(read: NodeReader, m: number, start: number, end: number): Hash[] {
  const n = end - start;
  if (n <= 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...path(read, m, start, start + k), subtreeHash(read, start + k, end)];
  return [...path(read, m - k, start + k, end), subtreeHash(read, start, start + k)];
}

export function inclusionProof(read: NodeReader, index: number, size: number): Hash[] {
  checkSize(size, 'tree size');
  checkSize(index, 'leaf index');
  if (index >= size) throw new TlogError('size_out_of_range', `leaf ${index} is not in a tree of ${size}`);
  return path(read, index, 0, size);
}

/** SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1. */
function subproof(read: NodeReader, m: number, start: number, end: number, b: boolean): Hash[] {
  const n = end - start;
  if (m === n) return b ? [] : [subtreeHash(read, start, end)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(read, m, start, start + k, b), subtreeHash(read, start + k, end)];
  return [...subproof(read, m - k, start + k, end, false), subtreeHash(read, start, start + k)];
}

/** PROOF(m, D[n]); empty when m == n or m == 0 (nothing to prove). */
export function consistencyProof(read: NodeReader, oldSize: number, newSize: number): Hash[] {
  checkSize(oldSize, 'old size');
  checkSize(newSize, 'new size');
  if (oldSize > newSize)
    throw new TlogError('size_out_of_range', `old size ${oldSize} is larger than new size ${newSize}`);
  if (oldSize === 0 || oldSize === newSize) return [];
  return subproof(read, oldSize, 0, newSize, true);
}

/** The root an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1-5), or a TlogError. */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
): Hash {
  checkSize(size, 'tree size');
  checkSize(index, 'leaf index');
  if (index >= size)
    throw new TlogError('bad_inclusion_proof', `leaf index ${index} is not below tree size ${size}`);
  if (leaf.length !== HASH_SIZE) throw new TlogError('bad_inclusion_proof', 'the leaf hash is not 32 bytes');
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== leaf.length)
      throw new TlogError('bad_inclusion_proof', 'a proof hash has the wrong length');
    if (sn === 0) throw new TlogError('bad_inclusion_proof', 'the proof is longer than the tree is deep');
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn))
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new TlogError('bad_inclusion_proof', 'the proof is shorter than the tree is deep');
  return r;
}

export function verifyInclusion(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
  root: Hash,
): void {
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  if (!hashesEqual(computed, root))
    throw new TlogError(
      'bad_inclusion_proof',
      `the proof for leaf ${index} does not lead to the root of size ${size}`,
    );
}

/**
 * RFC 9162 §2.1.4.2, with the equal-size case settled first. As in transparency-dev/merkle, a
 * proof from the empty tree is refused as meaningless (every tree extends it): callers that
 * accept size 0 (the witness's `old 0`) handle it before asking for a proof.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Hash,
  newRoot: Hash,
  proof: readonly Hash[],
): void {
  checkSize(oldSize, 'old size');
  checkSize(newSize, 'new size');
  const fail = (why: string): never => {
    throw new TlogError('bad_consistency_proof', `no consistency from size ${oldSize} to ${newSize}: ${why}`);
  };
  if (newSize < oldSize) fail('the new tree is smaller');
  if (oldSize === 0) fail('a proof from the empty tree is meaningless');
  if (oldSize === newSize) {
    if (proof.length > 0) fail('the proof must be empty for equal sizes');
    if (!hashesEqual(oldRoot, newRoot)) fail('equal sizes with different roots');
    return;
  }
  if (proof.length === 0) fail('the proof is empty');
  for (const p of proof) if (p.length !== oldRoot.length) fail('a proof hash has the wrong length');
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) fail('the proof is too long');
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn))
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) fail('the proof is too short');
  if (!hashesEqual(fr, oldRoot)) fail('it does not lead to the old root');
  if (!hashesEqual(sr, newRoot)) fail('it does not lead to the new root');
}

/** A NodeReader over an in-memory list of leaf hashes (tests, small logs, the integrator's batch). */
export function nodeReaderFromLeaves(leaves: readonly Hash[]): NodeReader {
  const levels: Hash[][] = [leaves.slice()];
  return (level, index) => {
    while (levels.length <= level) {
      const below = levels[levels.length - 1]!;
      const next: Hash[] = [];
      for (let i = 0; i + 1 < below.length; i += 2) next.push(nodeHash(below[i]!, below[i + 1]!));
      levels.push(next);
    }
    const h = levels[level]![index];
    if (!h) throw new TlogError('size_out_of_range', `no complete subtree at level ${level} index ${index}`);
    return h;
  };
}
