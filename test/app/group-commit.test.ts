import { describe, expect, it } from 'vitest';
import { GroupCommit, type Waiting } from '../../lambdas/app/group-commit.js';

/** A group commit whose writes wait for `open()`, recording each batch's requests; a request `item:n` touches `item`. */
function gated(
  options: { maxBatch?: number; queueOf?: (r: string) => string; fail?: (batch: string[]) => unknown } = {},
) {
  const batches: string[][] = [];
  const waiting: (() => void)[] = [];
  const commit = new GroupCommit<string, string>({
    maxBatch: options.maxBatch ?? 10,
    queueOf: options.queueOf,
    touches: (r) => [r.split(':')[0]!],
    write: async (batch: Waiting<string, string>[]) => {
      const requests = batch.map((w) => w.request);
      batches.push(requests);
      await new Promise<void>((r) => waiting.push(r));
      const error = options.fail?.(requests);
      if (error === 'throw') throw new Error(`lost ${requests.join(',')}`);
      if (error) {
        for (const w of batch) w.reject(error);
        return { error };
      }
      for (const w of batch) w.resolve(`done ${w.request}`);
      return undefined;
    },
  });
  return {
    commit,
    batches,
    /** Lets the writes waiting now finish. */
    open: () => {
      for (const r of waiting.splice(0)) r();
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('group commit', () => {
  it('writes a request that finds its queue idle at once and alone, those arriving meanwhile together next', async () => {
    const { commit, batches, open } = gated({ maxBatch: 3 });
    const first = commit.submit('a');
    await tick();
    expect(batches).toEqual([['a']]);
    const rest = ['b', 'c', 'd', 'e'].map((r) => commit.submit(r));
    open();
    await first;
    await tick();
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
    open();
    await tick();
    open();
    expect(await Promise.all(rest)).toEqual(['done b', 'done c', 'done d', 'done e']);
    expect(batches).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
  });

  it('keeps two requests on one item in different batches, in the order they came', async () => {
    const { commit, batches, open } = gated();
    const all = ['x:1', 'y:1', 'x:2', 'z:1', 'x:3'].map((r) => commit.submit(r));
    for (let i = 0; i < 4; i++) {
      await tick();
      open();
    }
    await Promise.all(all);
    // x:1 alone (it found the queue idle); then one request per item, in order; then the next x.
    expect(batches).toEqual([['x:1'], ['y:1', 'x:2', 'z:1'], ['x:3']]);
  });

  it('writes separate queues apart and at once', async () => {
    const { commit, batches, open } = gated({ queueOf: (r) => r[0]! });
    const all = ['a1', 'b1', 'a2'].map((r) => commit.submit(r));
    await tick();
    expect(batches).toEqual([['a1'], ['b1']]);
    open();
    await tick();
    open();
    expect(await Promise.all(all)).toEqual(['done a1', 'done b1', 'done a2']);
  });

  it('a batch whose write throws fails alone; a returned error fails those queued behind it too', async () => {
    const thrown = gated({ fail: (batch) => (batch.includes('a') ? 'throw' : undefined) });
    const [a, b] = ['a', 'b'].map((r) => thrown.commit.submit(r));
    thrown.open();
    await expect(a).rejects.toThrow('lost a');
    await tick();
    thrown.open();
    expect(await b).toBe('done b');

    const failing = gated({ fail: (batch) => (batch.includes('c') ? 'store down' : undefined) });
    const [c, d, e] = ['c', 'd', 'e'].map((r) => failing.commit.submit(r));
    failing.open();
    await expect(Promise.allSettled([c, d, e])).resolves.toEqual([
      { status: 'rejected', reason: 'store down' },
      { status: 'rejected', reason: 'store down' },
      { status: 'rejected', reason: 'store down' },
    ]);
    expect(failing.batches).toEqual([['c']]);
    // The queue is idle again: the next request is written.
    const f = failing.commit.submit('f');
    await tick();
    failing.open();
    expect(await f).toBe('done f');
  });
});
