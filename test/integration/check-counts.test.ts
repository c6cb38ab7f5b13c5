/**
 * Public checks read and do not write (issue 14): each process holds its counts and writes
 * them in batches, one PartiQL request per 25 receipts per flush; a graceful stop writes them all; a killed
 * process loses at most its last interval; a reversal shows at the very next check.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchExecuteStatementCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { CheckRepository } from '../../lambdas/adapters/dynamo/check-repo.js';
import { createDocumentClient } from '../../lambdas/adapters/dynamo/client.js';
import { getDeps, resetDeps } from '../../lambdas/app/deps.js';
import type { ReceiptRef } from '../../lambdas/core/receipt.js';
import { type ChildServer, startChildServer } from '../../lambdas/local/child-server.js';
import { issueToken, loadIssuerKey } from '../../lambdas/local/tokens.js';
import { api, issue, newKey } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

type Issued = ReceiptRef & { checkCode: string };
const verifyPath = (r: Issued) => `/v1/verify?code=${r.code}&number=${r.number}&checkCode=${r.checkCode}`;

/** The count written to the table: a repository of its own holds none. */
const written = (ref: ReceiptRef) => {
  const { db, config } = getDeps();
  return new CheckRepository(db, config.tables.receipts).count(ref);
};

describe('check counts in one server process, flushed only when told (interval of an hour)', () => {
  let svc: TestService;
  let token: string;
  beforeAll(async () => {
    svc = await startTestService({ env: { FEEPROOF_CHECK_FLUSH_MS: String(3_600_000) } });
    token = await svc.token({ role: 'collector', department: 'ZRZY' });
  });
  afterAll(async () => svc?.stop());

  it('shows each check in the answer at once, writes nothing per check, and one batched request per flush', async () => {
    const receipts: Issued[] = [(await issue(svc, token)).body, (await issue(svc, token)).body];
    for (const r of receipts)
      for (let i = 1; i <= 3; i++) expect((await svc.api('GET', verifyPath(r))).body.checks).toBe(i);
    for (const r of receipts) expect(await written(r)).toBe(0);

    const send = vi.spyOn(getDeps().db, 'send');
    try {
      await getDeps().checks.flush();
      // One request for both receipts (up to 25 a request), each adding its 3 checks.
      expect(send).toHaveBeenCalledTimes(1);
      const [command] = send.mock.calls[0]!;
      expect(command).toBeInstanceOf(BatchExecuteStatementCommand);
      const statements = (command as BatchExecuteStatementCommand).input.Statements!;
      expect(statements.map((s) => s.Parameters![0])).toEqual([{ N: '3' }, { N: '3' }]);
    } finally {
      send.mockRestore();
    }
    for (const r of receipts) expect(await written(r)).toBe(3);
    // Written counts and the ones held since add up in the answer.
    expect((await svc.api('GET', verifyPath(receipts[0]!))).body.checks).toBe(4);
  });

  it('holds nothing for a wrong check code or a missing number, which answer the same 404', async () => {
    const r: Issued = (await issue(svc, token)).body;
    await getDeps().checks.flush();
    const wrong = await svc.api(
      'GET',
      verifyPath({ ...r, checkCode: r.checkCode === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA' }),
    );
    const missing = await svc.api('GET', verifyPath({ ...r, number: '9999999999' }));
    expect(wrong.status).toBe(404);
    expect(missing.body).toEqual(wrong.body);
    const send = vi.spyOn(getDeps().db, 'send');
    try {
      await getDeps().checks.flush();
      expect(send).not.toHaveBeenCalled();
    } finally {
      send.mockRestore();
    }
    expect(await written(r)).toBe(0);
  });

  it('shows a reversal at the very next check, though the counts are not written yet', async () => {
    const r: Issued = (await issue(svc, token)).body;
    expect((await svc.api('GET', verifyPath(r))).body).toMatchObject({ valid: true, status: 'issued' });
    const red = await svc.api('POST', `/v1/receipts/${r.code}/${r.number}/reversal`, {
      token,
      json: { reason: '退费' },
      headers: { 'idempotency-key': newKey() },
    });
    expect(red.status).toBe(201);
    const next = await svc.api('GET', verifyPath(r));
    expect(next.body).toMatchObject({
      valid: true,
      status: 'reversed',
      reversedBy: { code: red.body.code, number: red.body.number },
      checks: 2,
    });
  });

  it('writes every count held when the server stops gracefully', async () => {
    const r: Issued = (await issue(svc, token)).body;
    for (let i = 0; i < 5; i++) expect((await svc.api('GET', verifyPath(r))).status).toBe(200);
    expect(await written(r)).toBe(0);
    await svc.stop();
    expect(await written(r)).toBe(5);
  });
});

describe('a server process killed outright (interval 200 ms)', () => {
  const prefix = `checks${randomBytes(3).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'feeproof-checks-'));
  let server: ChildServer | undefined;
  const kill = () => {
    for (const pid of server?.workerPids() ?? []) process.kill(pid, 'SIGKILL');
    server?.child.kill('SIGKILL');
  };
  afterAll(kill);

  it('has already written every count older than the interval, with no request and no stop', async () => {
    server = await startChildServer({
      env: {
        FEEPROOF_DATA_DIR: dataDir,
        FEEPROOF_TABLE_PREFIX: prefix,
        FEEPROOF_DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
        FEEPROOF_WORKERS: '1',
        FEEPROOF_CHECK_FLUSH_MS: '200',
      },
    });
    const token = await issueToken(await loadIssuerKey(dataDir), { role: 'collector', department: 'ZRZY' });
    const r: Issued = (await issue(server, token)).body;
    for (let i = 0; i < 4; i++) expect((await api(server.url, 'GET', verifyPath(r))).status).toBe(200);

    process.env.FEEPROOF_TABLE_PREFIX = prefix;
    process.env.FEEPROOF_DYNAMODB_ENDPOINT = inject('dynamoEndpoint');
    resetDeps();
    const db = createDocumentClient(getDeps().config);
    const count = () => new CheckRepository(db, getDeps().config.tables.receipts).count(r);
    // The process's own timer writes them (polled, not timed: the interval is what bounds the loss).
    await vi.waitFor(async () => expect(await count()).toBe(4), { timeout: 10_000, interval: 100 });
    kill();
    expect(await count()).toBe(4);
  });
});
