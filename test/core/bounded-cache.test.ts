import { describe, expect, it } from 'vitest';
import { BoundedCache, ExpiringCache } from '../../lambdas/core/bounded-cache.js';

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

  it('keeps an undefined result as a result: computed once too', () => {
    const cache = new BoundedCache<string, string | undefined>(10);
    let calls = 0;
    const none = () =>
      cache.getOrCompute('k', () => {
        calls++;
        return undefined;
      });
    expect([none(), none()]).toEqual([undefined, undefined]);
    expect(calls).toBe(1);
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

describe('ExpiringCache', () => {
  it('answers a value until its time is up, then nothing until it is set again', () => {
    let clock = 0;
    const cache = new ExpiringCache<string, string>(100, 10, () => clock);
    cache.set('a', 'first');
    clock = 99;
    expect(cache.get('a')).toBe('first');
    clock = 100;
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 'second');
    clock = 150;
    expect(cache.get('a')).toBe('second');
  });

  it('drops the entry set longest ago past its bound, counting a set again as new', () => {
    const cache = new ExpiringCache<number, number>(1_000, 2, () => 0);
    cache.set(1, 10);
    cache.set(2, 20);
    cache.set(1, 11); // now the newest
    cache.set(3, 30);
    expect([cache.get(1), cache.get(2), cache.get(3)]).toEqual([11, undefined, 30]);
  });

  it('forgets a key only while it still holds the value named', () => {
    const cache = new ExpiringCache<string, object>(1_000, 10, () => 0);
    const stale = {};
    const fresh = {};
    cache.set('k', stale);
    cache.set('k', fresh);
    cache.forget('k', stale); // a read that failed after a newer one was set
    expect(cache.get('k')).toBe(fresh);
    cache.forget('k', fresh);
    expect(cache.get('k')).toBeUndefined();
  });
});
