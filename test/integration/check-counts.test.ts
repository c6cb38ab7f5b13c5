/**
 * Public checks read and do not write (issue 14): each process holds its counts and writes
 * them in batches, one PartiQL request per 25 receipts per flush; a graceful stop writes them all; a killed
 * process loses at most its last interval; a reversal shows at the very next check. With
 * workers (`feeproof serve`), the primary writes the counts of all of them.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, get, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchExecuteStatementCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { CheckRepository } from '../../lambdas/adapters/dynamo/check-repo.js';
import { createDocumentClient } from '../../lambdas/adapters/dynamo/client.js';
import { getDeps, resetDeps } from '../../lambdas/app/deps.js';
import type { ReceiptRef } from '../../lambdas/core/receipt.js';
import { startChildServer } from '../../lambdas/local/child-server.js';
import { issueToken, loadIssuerKey } from '../../lambdas/local/tokens.js';
import { issue, newKey } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

type Issued = ReceiptRef & { checkCode: string };
const verifyPath = (r: Issued) => `/v1/verify?code=${r.code}&number=${r.number}&checkCode=${r.checkCode}`;

/** The statements of each count-writing PartiQL batch among a client's requests. */
const countWrites = (calls: unknown[][]) =>
  calls
    .map(([command]) => command)
    .filter((c): c is BatchExecuteStatementCommand => c instanceof BatchExecuteStatementCommand)
    .map((c) => c.input.Statements!)
    .filter((statements) => statements.some((s) => s.Statement!.includes('checks = checks +')));

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
      // One request for both receipts (up to 25 a request), each adding its 3 checks. (The
      // log's sequencer may send requests meanwhile: only the count writes are looked at.)
      const writes = countWrites(send.mock.calls);
      expect(writes).toHaveLength(1);
      expect(writes[0]!.map((s) => s.Parameters![0])).toEqual([{ N: '3' }, { N: '3' }]);
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
      expect(countWrites(send.mock.calls)).toEqual([]);
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

  it("merges other processes' counts with its own: one statement per receipt (the cluster primary's write)", async () => {
    const checks = getDeps().checks as CheckRepository;
    await checks.flush(); // the earlier tests' counts
    const r: Issued = (await issue(svc, token)).body;
    expect((await svc.api('GET', verifyPath(r))).body.checks).toBe(1);
    checks.merge([{ ref: r, count: 2 }]);
    checks.merge([{ ref: { code: r.code, number: r.number }, count: 3 }]);
    const send = vi.spyOn(getDeps().db, 'send');
    try {
      await checks.flush();
      const writes = countWrites(send.mock.calls);
      expect(writes).toHaveLength(1);
      expect(writes[0]!.map((s) => s.Parameters![0])).toEqual([{ N: '6' }]);
    } finally {
      send.mockRestore();
    }
    expect(await written(r)).toBe(6);
  });

  it('writes every count held when the server stops gracefully', async () => {
    const r: Issued = (await issue(svc, token)).body;
    for (let i = 0; i < 5; i++) expect((await svc.api('GET', verifyPath(r))).status).toBe(200);
    expect(await written(r)).toBe(0);
    await svc.stop();
    expect(await written(r)).toBe(5);
  });
});

/**
 * A check over a connection of its own, so that checks spread over a cluster's workers. A
 * connection handed to a worker as it is killed gets no answer: it fails after 5 s.
 */
const checkOnce = (url: string, r: Issued) =>
  new Promise<{ status: number; checks: number }>((ok, fail) => {
    const req = get(`${url}${verifyPath(r)}`, { agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => ok({ status: res.statusCode!, checks: JSON.parse(text).checks }));
    });
    req.setTimeout(5_000, () => req.destroy(new Error('no answer')));
    req.on('error', fail);
  });

/**
 * A proxy in front of DynamoDB Local that keeps every PartiQL batch of count writes it passes
 * on (the log's sequencer sends batches of its own): what the served processes write, seen
 * from outside them.
 */
async function recordingProxy(target: string) {
  type Statement = { Statement: string; Parameters: { N?: string; S?: string }[] };
  const batches: Statement[][] = [];
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (String(req.headers['x-amz-target']).endsWith('.BatchExecuteStatement')) {
        const statements: Statement[] = JSON.parse(body.toString()).Statements;
        if (statements.some((s) => s.Statement.includes('checks = checks +'))) batches.push(statements);
      }
      const out = request(target + req.url, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, batches, proxy };
}

/** `feeproof serve` as a process of its own, on the shared DynamoDB Local, tables of its own. */
async function startServe(workers: number, flushMs: number, dynamoEndpoint = inject('dynamoEndpoint')) {
  const prefix = `checks${randomBytes(3).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'feeproof-checks-'));
  const server = await startChildServer({
    env: {
      FEEPROOF_DATA_DIR: dataDir,
      FEEPROOF_TABLE_PREFIX: prefix,
      FEEPROOF_DYNAMODB_ENDPOINT: dynamoEndpoint,
      FEEPROOF_WORKERS: String(workers),
      FEEPROOF_CHECK_FLUSH_MS: String(flushMs),
    },
  });
  const token = await issueToken(await loadIssuerKey(dataDir), { role: 'collector', department: 'ZRZY' });
  process.env.FEEPROOF_TABLE_PREFIX = prefix;
  process.env.FEEPROOF_DYNAMODB_ENDPOINT = inject('dynamoEndpoint');
  resetDeps();
  const db = createDocumentClient(getDeps().config);
  const table = getDeps().config.tables.receipts;
  return {
    server,
    token,
    /** The count written to the table (a repository of its own holds none). */
    count: (ref: ReceiptRef) => new CheckRepository(db, table).count(ref),
    kill: () => {
      for (const pid of server.workerPids()) process.kill(pid, 'SIGKILL');
      server.child.kill('SIGKILL');
    },
  };
}

describe.each([1, 2])(
  'feeproof serve with %i server process(es), killed outright (interval 200 ms)',
  (workers) => {
    let serve: Awaited<ReturnType<typeof startServe>> | undefined;
    afterAll(() => serve?.kill());

    it('has already written every count older than the interval, with no request and no stop', async () => {
      serve = await startServe(workers, 200);
      const r: Issued = (await issue(serve.server, serve.token)).body;
      for (let i = 0; i < 6; i++) expect((await checkOnce(serve.server.url, r)).status).toBe(200);
      // The timer writes them (polled, not timed: the interval is what bounds the loss); with
      // workers, the primary writes them, having asked each worker for its counts.
      await vi.waitFor(async () => expect(await serve!.count(r)).toBe(6), { timeout: 10_000, interval: 100 });
      serve.kill();
      expect(await serve.count(r)).toBe(6);
    });
  },
);

describe('feeproof serve with two workers, counts held for an hour: the primary writes them all at a stop', () => {
  let serve: Awaited<ReturnType<typeof startServe>> | undefined;
  let dynamo: Awaited<ReturnType<typeof recordingProxy>> | undefined;
  afterAll(() => {
    serve?.kill();
    dynamo?.proxy.close();
  });

  it("loses a killed worker's held counts only, nothing on a graceful stop, and writes each receipt once for both workers", async () => {
    dynamo = await recordingProxy(inject('dynamoEndpoint'));
    serve = await startServe(2, 3_600_000, dynamo.url);
    const { server } = serve;
    const [a, b]: Issued[] = [
      (await issue(server, serve.token)).body,
      (await issue(server, serve.token)).body,
    ];
    // Each answer shows the written count (0) plus what the answering worker holds: the
    // answers of one worker count 1, 2, 3…, so the largest is one worker's share.
    const shown: number[] = [];
    for (let i = 0; i < 8; i++) {
      const answer = await checkOnce(server.url, a!);
      expect(answer.status).toBe(200);
      shown.push(answer.checks);
    }
    expect(await serve.count(a!)).toBe(0);
    const one = Math.max(...shown);
    const shares = [one, 8 - one];

    const [killed] = server.workerPids();
    process.kill(killed!, 'SIGKILL');
    // The primary starts another: `b` is checked until both the survivor and the new worker
    // have answered (each one's first answer shows 1).
    const shownB: number[] = [];
    await vi.waitFor(
      async () => {
        const answer = await checkOnce(server.url, b!);
        expect(answer.status).toBe(200);
        shownB.push(answer.checks);
        expect(shownB.filter((n) => n === 1)).toHaveLength(2);
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(await serve.count(b!)).toBe(0);
    expect(dynamo.batches).toEqual([]);

    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
    expect(await serve.count(b!)).toBe(shownB.length);
    // What the killed worker held is lost, the survivor's was written: one of the two shares.
    const left = await serve.count(a!);
    expect(shares).toContain(left);
    // One request from the primary, one statement per receipt: `b`'s checks in two workers add up.
    expect(dynamo.batches).toHaveLength(1);
    const added = Object.fromEntries(
      dynamo.batches[0]!.map((s) => [s.Parameters[1]!.S, Number(s.Parameters[0]!.N)]),
    );
    expect(added).toEqual({
      [`CHECK#${b!.code}#${b!.number}`]: shownB.length,
      ...(left ? { [`CHECK#${a!.code}#${a!.number}`]: left } : {}),
    });
  });
});
