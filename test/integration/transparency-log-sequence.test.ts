import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactWrite } from '../../lambdas/adapters/dynamo/transactions.js';
import { DynamoSequence, pendingEntryPut } from '../../lambdas/adapters/tlog/dynamo-sequence.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { decodeEntry } from '../../lambdas/core/tlog/entries.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * The DynamoDB sequencer on DynamoDB Local: sequencers racing (two here, plus the service's own
 * timer) give every queued entry exactly one index, with no gap, across entry-bundle partitions.
 */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ seed: false });
});
afterAll(async () => svc?.stop());

describe('DynamoSequence', () => {
  it('sequences 600 queued entries once each, in queue order, readable across bundles', async () => {
    const { db, config } = getDeps();
    const table = config.tables.ledger;
    const ids = Array.from({ length: 600 }, (_, i) => `seq-${String(i).padStart(4, '0')}`);
    const base = Date.parse('2026-12-02T00:00:00.000Z');
    for (let i = 0; i < ids.length; i += 25)
      await transactWrite(
        db,
        ids.slice(i, i + 25).map((rangeId, j) =>
          pendingEntryPut(
            table,
            {
              v: 1,
              type: 'range',
              event: 'allocated',
              rangeId,
              department: 'ZRZY',
              code: '11010126',
              first: 1,
              last: 9,
            },
            new Date(base + i + j).toISOString(),
          ),
        ),
      );
    const a = new DynamoSequence(db, table);
    const b = new DynamoSequence(db, table);
    // Racing sequencers stop at a lost race; run them until the queue is empty.
    while ((await a.size()) < ids.length) await Promise.all([a.sequence(), b.sequence()]);
    expect(await b.size()).toBe(ids.length);
    expect(await a.sequence()).toBe(0);

    const read = await a.read(0, 1000);
    expect(read.map((e) => e.index)).toEqual(ids.map((_, i) => i));
    const logged = read.map((e) => decodeEntry(e.entry)).map((e) => (e.type === 'range' ? e.rangeId : ''));
    // Commit-time order is queue order: each entry once, in the order committed.
    expect(logged).toEqual(ids);
    expect((await a.read(250, 10)).map((e) => e.index)).toEqual([
      250, 251, 252, 253, 254, 255, 256, 257, 258, 259,
    ]);
    expect(await a.read(600, 10)).toEqual([]);
  });
});
