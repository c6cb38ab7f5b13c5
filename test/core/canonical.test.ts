import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../lambdas/core/canonical.js';
import { prng, shuffle } from './support.js';

/** A deep copy of `value` with every object's keys inserted in a shuffled order. */
function shuffleKeys(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, random));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).map(([k, v]) => [k, shuffleKeys(v, random)] as const);
  return Object.fromEntries(shuffle(entries, random));
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    const value = { b: 1, a: [1, { d: 'x y', c: null }], ä: true, A: { z: 0, y: -1.5 } };
    expect(canonicalJson(value)).toBe('{"A":{"y":-1.5,"z":0},"a":[1,{"c":null,"d":"x y"}],"b":1,"ä":true}');
  });

  it('sorts integer-like keys as strings, unlike JSON.stringify', () => {
    const value = { b: 3, '9': 1, '10': 2, a: 4 };
    expect(JSON.stringify(value)).toBe('{"9":1,"10":2,"b":3,"a":4}');
    expect(canonicalJson(value)).toBe('{"10":2,"9":1,"a":4,"b":3}');
  });

  it('drops undefined members, and writes undefined array elements as null like JSON', () => {
    expect(canonicalJson({ a: undefined, b: { c: undefined, d: 1 } })).toBe('{"b":{"d":1}}');
    expect(canonicalJson([1, undefined, 2])).toBe('[1,null,2]');
    expect(canonicalJson({ a: undefined })).toBe(canonicalJson({}));
  });

  it('escapes strings exactly as JSON does', () => {
    expect(canonicalJson({ s: 'a"b\\c\n收费' })).toBe('{"s":"a\\"b\\\\c\\n收费"}');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses %d', (n) => {
    expect(() => canonicalJson({ amount: n })).toThrow(TypeError);
    expect(() => canonicalJson([n])).toThrow(TypeError);
  });

  it('gives the same string whatever order the keys were inserted in', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer(), (value, seed) => {
        const shuffled = shuffleKeys(value, prng(seed));
        expect(canonicalJson(shuffled)).toBe(canonicalJson(value));
      }),
      { numRuns: 500 },
    );
  });

  it('parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        // JSON.parse(JSON.stringify(v)) normalises -0 to 0, as any JSON text does.
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });

  it('ignores undefined members anywhere in the tree', () => {
    const withHoles = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.dictionary(fc.string({ maxLength: 4 }), fc.option(tie('node'), { nil: undefined }), {
          maxKeys: 4,
        }),
      ),
    })).node;
    /** The value with undefined members removed, as a JSON round-trip would. */
    const strip = (v: unknown): unknown => JSON.parse(JSON.stringify(v) ?? 'null');
    fc.assert(
      fc.property(withHoles, (value) => {
        expect(canonicalJson(value)).toBe(canonicalJson(strip(value)));
        expect(canonicalJson(value)).not.toContain('undefined');
      }),
      { numRuns: 300 },
    );
  });

  it('gives equal strings exactly for equal values', () => {
    const norm = (v: unknown) => JSON.parse(JSON.stringify(v));
    const pair = fc.oneof(
      fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 })),
      fc
        .tuple(fc.jsonValue({ maxDepth: 3 }), fc.integer())
        .map(([v, seed]) => [v, shuffleKeys(v, prng(seed))]),
      fc.constantFrom<[unknown, unknown]>(
        [{ a: 1 }, { a: '1' }],
        [{ a: [1, 2] }, { a: [2, 1] }],
        [{ a: null }, {}],
        [{ 'a"': 1 }, { a: 1 }],
      ),
    );
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(canonicalJson(a) === canonicalJson(b)).toBe(isDeepStrictEqual(norm(a), norm(b)));
      }),
      { numRuns: 300 },
    );
  });
});
