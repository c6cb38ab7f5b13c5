import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TlogError } from '../../../lambdas/core/tlog/errors.js';
import {
  EMPTY_ROOT,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  sha256,
} from '../../../lambdas/core/tlog/hash.js';
import {
  consistencyProof,
  inclusionProof,
  nodeReaderFromLeaves,
  treeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../../lambdas/core/tlog/proof.js';
import { b64, hex, probes, vectors } from './support.js';

const ascii = (s: string) => new TextEncoder().encode(s);
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ref = vectors.referenceTree;
const refLeaves = (ref.leafInputs as string[]).map((x) => leafHash(hex(x)));

describe('RFC 6962 hashing (transparency-dev/merkle rfc6962 vectors)', () => {
  it('hashes the empty tree, leaves and nodes as the reference does', () => {
    expect(toHex(EMPTY_ROOT)).toBe(vectors.rfc6962.emptyRoot);
    expect(toHex(leafHash(new Uint8Array()))).toBe(vectors.rfc6962.emptyLeaf);
    expect(toHex(leafHash(ascii(vectors.rfc6962.leaf.input)))).toBe(vectors.rfc6962.leaf.hash);
    const n = vectors.rfc6962.node;
    expect(toHex(nodeHash(ascii(n.left), ascii(n.right)))).toBe(n.hash);
  });

  it('computes the reference root of every size 0..8', () => {
    (ref.rootHashes as string[]).forEach((root, size) => {
      expect(toHex(rootFromLeafHashes(refLeaves.slice(0, size)))).toBe(root);
      if (size > 0) expect(toHex(treeHash(nodeReaderFromLeaves(refLeaves), size))).toBe(root);
    });
  });

  it('generates the reference inclusion and consistency proofs', () => {
    const read = nodeReaderFromLeaves(refLeaves);
    for (const v of ref.inclusionProofs as { leaf: number; size: number; proof: string[] }[])
      expect(inclusionProof(read, v.leaf - 1, v.size).map(toHex)).toEqual(v.proof);
    for (const v of ref.consistencyProofs as { size1: number; size2: number; proof: string[] }[])
      expect(consistencyProof(read, v.size1, v.size2).map(toHex)).toEqual(v.proof);
  });
});

const list = (xs: string[] | null) => (xs ?? []).map(b64);
const bytes = (x: string | null) => b64(x ?? '');
const outcome = (f: () => void) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof TlogError)) throw e;
    return 'error';
  }
};

describe('transparency-dev/merkle verification probes', () => {
  interface Inclusion {
    leafIdx: number;
    treeSize: number;
    root: string | null;
    leafHash: string | null;
    proof: string[] | null;
    desc: string;
    wantErr: boolean;
  }
  const inc = probes<Inclusion>('merkle/inclusion');
  it.each(inc.map((p) => [p.file, p.probe] as const))('%s', (_file, p) => {
    const got = outcome(() =>
      verifyInclusion(p.leafIdx, p.treeSize, bytes(p.leafHash), list(p.proof), bytes(p.root)),
    );
    expect(got).toBe(p.wantErr ? 'error' : 'ok');
  });

  interface Consistency {
    size1: number;
    size2: number;
    root1: string | null;
    root2: string | null;
    proof: string[] | null;
    wantErr: boolean;
  }
  const con = probes<Consistency>('merkle/consistency');
  it.each(con.map((p) => [p.file, p.probe] as const))('%s', (_file, p) => {
    const got = outcome(() =>
      verifyConsistency(p.size1, p.size2, bytes(p.root1), bytes(p.root2), list(p.proof)),
    );
    expect(got).toBe(p.wantErr ? 'error' : 'ok');
  });

  it('refuses a proof from the empty tree, as the reference does', () => {
    expect(() => verifyConsistency(0, 5, EMPTY_ROOT, EMPTY_ROOT, [])).toThrow(/meaningless/);
  });

  it('reads every probe directory', () => {
    expect(inc.length).toBeGreaterThan(80);
    expect(con.length).toBeGreaterThan(90);
  });
});

/** A tree of n leaves with distinct contents. */
const treeOf = (n: number) => Array.from({ length: n }, (_, i) => leafHash(ascii(`entry ${i}`)));
const flip = (h: Uint8Array, bit: number) => {
  const out = h.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
};

describe('proof properties (fast-check)', () => {
  const sized = fc.integer({ min: 1, max: 600 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      i: fc.nat({ max: n - 1 }),
      m: fc.integer({ min: 1, max: n }),
      bit: fc.nat({ max: 255 }),
    }),
  );

  it('every inclusion proof verifies, and any tampering is caught', () => {
    fc.assert(
      fc.property(sized, ({ n, i, bit }) => {
        const leaves = treeOf(n);
        const read = nodeReaderFromLeaves(leaves);
        const root = rootFromLeafHashes(leaves);
        const proof = inclusionProof(read, i, n);
        verifyInclusion(i, n, leaves[i]!, proof, root);
        const fails = (f: () => void) => expect(() => f()).toThrow(TlogError);
        fails(() => verifyInclusion(i, n, flip(leaves[i]!, bit), proof, root));
        fails(() => verifyInclusion(i, n, leaves[i]!, proof, flip(root, bit)));
        proof.forEach((_, k) => {
          const bad = proof.slice();
          bad[k] = flip(bad[k]!, bit);
          fails(() => verifyInclusion(i, n, leaves[i]!, bad, root));
        });
        if (proof.length > 0) fails(() => verifyInclusion(i, n, leaves[i]!, proof.slice(0, -1), root));
        fails(() => verifyInclusion(i, n, leaves[i]!, [...proof, root], root));
        if (n > 1) fails(() => verifyInclusion((i + 1) % n, n, leaves[i]!, proof, root));
      }),
      { numRuns: 150 },
    );
  });

  it('every consistency proof verifies, and any tampering is caught', () => {
    fc.assert(
      fc.property(sized, ({ n, m, bit }) => {
        const leaves = treeOf(n);
        const read = nodeReaderFromLeaves(leaves);
        const oldRoot = rootFromLeafHashes(leaves.slice(0, m));
        const newRoot = rootFromLeafHashes(leaves);
        const proof = consistencyProof(read, m, n);
        verifyConsistency(m, n, oldRoot, newRoot, proof);
        const fails = (f: () => void) => expect(() => f()).toThrow(TlogError);
        fails(() => verifyConsistency(m, n, flip(oldRoot, bit), newRoot, proof));
        fails(() => verifyConsistency(m, n, oldRoot, flip(newRoot, bit), proof));
        proof.forEach((_, k) => {
          const bad = proof.slice();
          bad[k] = flip(bad[k]!, bit);
          fails(() => verifyConsistency(m, n, oldRoot, newRoot, bad));
        });
        if (proof.length > 0) fails(() => verifyConsistency(m, n, oldRoot, newRoot, proof.slice(0, -1)));
        fails(() => verifyConsistency(m, n, oldRoot, newRoot, [...proof, sha256()]));
        // A tree that differs in one old leaf (a rewritten history) has no consistency proof.
        const forged = leaves.slice();
        forged[bit % m] = leafHash(ascii('rewritten'));
        fails(() => verifyConsistency(m, n, oldRoot, rootFromLeafHashes(forged), proof));
      }),
      { numRuns: 150 },
    );
  });
});
