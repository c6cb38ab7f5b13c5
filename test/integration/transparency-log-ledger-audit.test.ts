import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksKey, receiptKey, totalsKey } from '../../lambdas/adapters/dynamo/keys.js';
import { auditLog } from '../../lambdas/adapters/tlog/audit.js';
import { urlSource } from '../../lambdas/adapters/tlog/log-verify.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { dateInZone } from '../../lambdas/core/dates.js';
import { runCli as cli } from '../support/cli.js';
import { issue, newKey } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * `feeproof log audit` against the service (issues 13 and 15), over HTTP on DynamoDB Local: the
 * public statistics recomputed from the log's receipt entries equal what GET /v1/stats publishes
 * (small-cell rule included) until a totals row is altered behind the service's back; and every
 * logged receipt is found unaltered in the ledger through the auditor API until a row is deleted
 * or altered.
 */
let svc: TestService;
let vkey: string;
let auditor: string;
const issued: { code: string; number: string }[] = [];

beforeAll(async () => {
  svc = await startTestService();
  const tokens = {
    ZRZY: await svc.token({ role: 'collector', department: 'ZRZY' }),
    GA: await svc.token({ role: 'collector', department: 'GA' }),
    RS: await svc.token({ role: 'collector', department: 'RS' }),
  };
  auditor = await svc.token({ role: 'auditor', username: 'log-auditor' });
  const charge = async (department: keyof typeof tokens, lines: unknown[]) => {
    const r = await issue(svc, tokens[department], { payer: { type: 'person', name: '审计测试' }, lines });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    issued.push(r.body);
    return r.body as { code: string; number: string };
  };
  // ZRZY: two items on one receipt, and a reversal; GA: exactly the minimum; RS: one receipt,
  // under the minimum, so withheld from every published amount.
  const first = await charge('ZRZY', [{ itemCode: 'ZRZY-001', quantity: 1, amount: '80.00' }]);
  await charge('ZRZY', [
    { itemCode: 'ZRZY-001', quantity: 2, amount: '160.00' },
    { itemCode: 'ZRZY-002', quantity: 1, amount: '550.00' },
  ]);
  await charge('ZRZY', [{ itemCode: 'ZRZY-001', quantity: 1, amount: '80.00' }]);
  const red = await svc.api('POST', `/v1/receipts/${first.code}/${first.number}/reversal`, {
    token: tokens.ZRZY,
    json: { reason: '退费' },
    headers: { 'idempotency-key': newKey() },
  });
  expect(red.status, JSON.stringify(red.body)).toBe(201);
  for (let i = 0; i < 3; i++) await charge('GA', [{ itemCode: 'GA-001', quantity: 1, amount: '20.00' }]);
  await charge('RS', [{ itemCode: 'RS-001', quantity: 1, amount: '30.00' }]);
  await svc.log.run();
  vkey = (await svc.api('GET', '/v1/keys')).body.log.vkey;
});
afterAll(async () => svc?.stop());

const policy = () => ({ origin: vkey.split('+')[0]!, logKeys: [vkey] });
const failed = (checks: { ok: boolean; name: string; detail: string }[]) =>
  checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);

describe('log audit: the published statistics from the log', () => {
  it('recomputes every grouping GET /v1/stats publishes, and finds a totals row altered behind the service', async () => {
    const year = dateInZone(new Date()).slice(0, 4);
    const checks = await auditLog(urlSource(`${svc.url}/log`), policy(), { stats: { base: svc.url } });
    expect(failed(checks)).toEqual([]);
    const stats = checks.filter((c) => c.name.startsWith('published stats'));
    expect(stats.map((c) => c.name)).toEqual(
      ['department', 'month', 'item'].map((g) => `published stats ${year} by ${g}`),
    );
    // The cells compared are what the page shows: RS is there, as "fewer than 3".
    const byDept = await svc.api('GET', `/v1/stats?from=${year}-01&to=${year}-12&groupBy=department`);
    expect(byDept.body.groups.find((g: { group: string }) => g.group === 'RS')).toMatchObject({
      fewerThanMinimum: true,
      issuedAmount: null,
    });
    // ZRZY's month holds ZRZY-002's single line: withheld with it, or subtraction would give it.
    expect(byDept.body.groups.find((g: { group: string }) => g.group === 'ZRZY')).toMatchObject({
      fewerThanMinimum: true,
      issuedAmount: null,
    });
    expect(byDept.body.groups.find((g: { group: string }) => g.group === 'GA')).toMatchObject({
      issuedCount: 3,
      issuedAmount: '60.00',
    });

    // Behind the service's back: 1 yuan more collected by GA today than its receipts add up to.
    const { db, config } = getDeps();
    const bump = (fen: number) =>
      db.send(
        new UpdateCommand({
          TableName: config.tables.ledger,
          Key: totalsKey(dateInZone(new Date()), 'DEPT#GA'),
          UpdateExpression: 'ADD issuedAmount :a',
          ExpressionAttributeValues: { ':a': fen },
        }),
      );
    await bump(100);
    try {
      const altered = failed(
        await auditLog(urlSource(`${svc.url}/log`), policy(), { stats: { base: svc.url } }),
      );
      expect(altered).toHaveLength(2);
      expect(altered[0]).toMatch(
        new RegExp(
          `^published stats ${year} by department: .*GA issuedAmount: published 61.00, the log gives 60.00`,
        ),
      );
      expect(altered[1]).toMatch(/by month: .*issuedAmount: published \d+\.\d\d, the log gives/);
    } finally {
      await bump(-100);
    }
  });
});

describe('log audit --api: every logged receipt in the ledger', () => {
  it('passes a clean ledger, then names a deleted and an altered receipt row (exit 1)', async () => {
    const args = ['log', 'audit', '--url', `${svc.url}/log`, '--key', vkey, '--api', svc.url];
    const clean = await cli([...args, '--token', auditor]);
    expect(clean.stderr).toBe('');
    expect(clean.stdout).toMatch(/pass {2}ledger: 8 logged receipts are in the ledger/);
    expect(clean.stdout).toMatch(/pass {2}published stats \d{4} by item/);
    expect(clean.status).toBe(0);

    const { db, config } = getDeps();
    const [deleted, altered] = [issued[1]!, issued[4]!];
    for (const key of [receiptKey(deleted), checksKey(deleted)])
      await db.send(new DeleteCommand({ TableName: config.tables.receipts, Key: key }));
    await db.send(
      new UpdateCommand({
        TableName: config.tables.receipts,
        Key: receiptKey(altered),
        UpdateExpression: 'SET payer.#n = :n',
        ExpressionAttributeNames: { '#n': 'name' },
        ExpressionAttributeValues: { ':n': '改过的名字' },
      }),
    );
    const found = await cli([...args, '--token', auditor]);
    const ledger = found.stdout.split('\n').find((l) => l.includes('ledger:'));
    expect(ledger).toMatch(/^FAIL {2}ledger: 2 finding\(s\)/);
    expect(ledger).toContain(
      `receipt ${deleted.code}/${deleted.number} is logged but missing from the ledger`,
    );
    expect(ledger).toContain(`receipt ${altered.code}/${altered.number} is altered`);
    expect(found.status).toBe(1);
  });

  it('refuses --token without --api, and a token the API refuses is unusable input (exit 2)', async () => {
    const base = ['log', 'audit', '--url', `${svc.url}/log`, '--key', vkey];
    expect((await cli([...base, '--token', auditor])).status).toBe(2);
    const refused = await cli([...base, '--api', svc.url, '--token', 'not-a-token']);
    expect(refused.stderr).toMatch(/audit\/receipts.* answered 401/);
    expect(refused.status).toBe(2);
  });
});
