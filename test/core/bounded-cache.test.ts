import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../lambdas/core/bounded-cache.js';

describe('BoundedCache', () => {
  it('computes a key once and answers it from memory after', () => {
    const cache = new BoundedCache<string, number>(10);
    let calls = 0;
    const length = (s: string) =>
      cache.getOrCompute(s, () => {
        calls++;
        return s.length;
      });
    expect([length('abc'), length('abc'), length('de')]).toEqual([3, 3, 2]);
    expect(calls).toBe(2);
  });

  it('never holds more than its bound: a new key past it starts afresh', () => {
    const cache = new BoundedCache<number, number>(3);
    for (const k of [1, 2, 3]) cache.set(k, k * 10);
    cache.set(2, 21); // an update of a held key keeps the others
    expect([cache.get(1), cache.get(2), cache.get(3)]).toEqual([10, 21, 30]);
    cache.set(4, 40);
    expect([cache.get(1), cache.get(2), cache.get(3), cache.get(4)]).toEqual([
      undefined,
      undefined,
      undefined,
      40,
    ]);
  });

  it('keeps nothing when the computation throws', () => {
    const cache = new BoundedCache<string, number>(10);
    expect(() =>
      cache.getOrCompute('bad', () => {
        throw new Error('unparseable');
      }),
    ).toThrow('unparseable');
    expect(cache.getOrCompute('bad', () => 1)).toBe(1);
  });
});
