/**
 * What one receipt costs DynamoDB, measured on DynamoDB Local (test/support/dynamo-cost.ts says
 * how): its requests, and its write units in AWS priced from the real rows written.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getDeps } from '../../lambdas/app/deps.js';
import { reverseReceipt } from '../../lambdas/app/issuing.js';
import { charge, costCollector, counting, measure } from '../support/dynamo-cost.js';
import { newKey } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => svc?.stop());

it('a receipt costs DynamoDB two requests (three when its catalogue or totals are not held) and 19 WRU in AWS, 3 more with an alert', async () => {
  counting();
  await charge()(); // the range opened, the font and keys loaded
  const cold = await measure(charge()); // the catalogue and the year's totals already read: within their TTL
  const figures = [];
  for (let i = 0; i < 3; i++) figures.push(await measure(charge()));
  // Without a payer ID number, the receipt is in one index fewer.
  const noId = await measure(charge({ payer: { type: 'person', name: '李四' } }));
  const original = await charge()();
  const red = await measure(() =>
    reverseReceipt(getDeps(), costCollector, newKey(), original.receipt, 'cost of a reversal'),
  );
  const report = { warm: figures[0], noPayerId: noId, reversal: red };
  console.log('one receipt, DynamoDB:', JSON.stringify(report, null, 1));
  expect(cold.requests).toBeLessThanOrEqual(3);
  for (const f of figures) {
    // Taking the number, completing (the alert with it): the catalogue and totals from the caches.
    expect(f.requests).toBe(2);
    // 13 to take the number (2 of them the running totals: the department's day row; the
    // range's row and pending receipts in no index), 6 to complete (the check row under 1 KB:
    // receipt-copy.ts; the log entry on the receipt's row, not queued), 3 for the
    // outside-office-hours alert that a run at night raises (the test does not pick its hour).
    expect([19, 22]).toContain(f.wru);
  }
  expect(noId.wru).toBe(figures[0]!.wru - 1); // one index entry fewer
});
