/**
 * Public checks read and do not write (issue 14): each process holds its counts and writes
 * them in batches, one ADD per block of 100 receipts per flush; a graceful stop writes them all; a killed
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
import { type AttributeValue, GetItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { CheckRepository } from '../../lambdas/adapters/dynamo/check-repo.js';
import { createPlainClient } from '../../lambdas/adapters/dynamo/client.js';
import { checkCountsKey } from '../../lambdas/adapters/dynamo/keys.js';
import { getDeps, resetDeps } from '../../lambdas/app/deps.js';
import type { ReceiptRef } from '../../lambdas/core/receipt.js';
import { startChildServer } from '../../lambdas/local/child-server.js';
import { issueToken, loadIssuerKey } from '../../lambdas/local/tokens.js';
import { issue, newKey } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

type Issued = ReceiptRef & { checkCode: string };
const verifyPath = (r: Issued) => `/v1/verify?code=${r.code}&number=${r.number}&checkCode=${r.checkCode}`;

/** A count write: the block row it updates, and what it adds, by receipt number. */
interface CountWrite {
  pk: string;
  added: Record<string, number>;
}
const isCountRow = (pk: string | undefined) => pk?.startsWith('CHECK#COUNTS#') ?? false;
/**
 * A count write from its transaction's one Update (an SDK command's input, or the JSON on the
 * wire: the same shape).
 */
const countWrite = (input: {
  Key?: Record<string, AttributeValue>;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}): CountWrite => ({
  pk: input.Key!.pk!.S!,
  added: Object.fromEntries(
    Object.entries(input.ExpressionAttributeNames!).map(([name, number]) => [
      number,
      Number(input.ExpressionAttributeValues![`:${name.slice(1)}`]!.N),
    ]),
  ),
});
/** The count writes among a client's requests, by block row. */
const countWrites = (calls: unknown[][]): CountWrite[] =>
  calls
    .map(([command]) => command)
    .filter((c): c is TransactWriteItemsCommand => c instanceof TransactWriteItemsCommand)
    .map((c) => c.input.TransactItems?.[0]?.Update)
    .filter((update) => isCountRow(update?.Key?.pk?.S))
    .map((update) => countWrite(update!))
    .sort((a, b) => a.pk.localeCompare(b.pk));
/** The writes expected for these counts: one per block row, each adding its receipts' counts. */
const writesOf = (counts: [ReceiptRef, number][]): CountWrite[] => {
  const rows = new Map<string, CountWrite>();
  for (const [ref, count] of counts) {
    const { pk } = checkCountsKey(ref);
    const row = rows.get(pk) ?? { pk, added: {} };
    row.added[ref.number] = count;
    rows.set(pk, row);
  }
  return [...rows.values()].sort((a, b) => a.pk.localeCompare(b.pk));
};

/** The count written to the table: a repository of its own holds none. */
const written = (ref: ReceiptRef) => {
  const { plainDb, config } = getDeps();
  return new CheckRepository(plainDb, config.tables.receipts).count(ref);
};

describe('check counts in one server process, flushed only when told (interval of an hour)', () => {
  let svc: TestService;
  let token: string;
  beforeAll(async () => {
    svc = await startTestService({ env: { FEEPROOF_CHECK_FLUSH_MS: String(3_600_000) } });
    token = await svc.token({ role: 'collector', department: 'ZRZY' });
  });
  afterAll(async () => svc?.stop());

  it('shows each check in the answer at once, writes nothing per check, and one request per block per flush', async () => {
    const receipts: Issued[] = [(await issue(svc, token)).body, (await issue(svc, token)).body];
    for (const r of receipts)
      for (let i = 1; i <= 3; i++) expect((await svc.api('GET', verifyPath(r))).body.checks).toBe(i);
    for (const r of receipts) expect(await written(r)).toBe(0);

    const send = vi.spyOn(getDeps().plainDb, 'send');
    try {
      await getDeps().checks.flush();
      // One request for both receipts (one per block of 100 numbers), each adding its 3 checks.
      // (The log's sequencer may send requests meanwhile: only the count writes are looked at.)
      expect(countWrites(send.mock.calls)).toEqual(writesOf(receipts.map((r) => [r, 3])));
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
    const reads = vi.spyOn(getDeps().plainDb, 'send');
    let blockReads: unknown[];
    try {
      const wrong = await svc.api(
        'GET',
        verifyPath({ ...r, checkCode: r.checkCode === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA' }),
      );
      const missing = await svc.api('GET', verifyPath({ ...r, number: '9999999999' }));
      expect(wrong.status).toBe(404);
      expect(missing.body).toEqual(wrong.body);
      blockReads = reads.mock.calls.filter(
        ([c]) => c instanceof GetItemCommand && isCountRow(c.input.Key?.pk?.S),
      );
    } finally {
      reads.mockRestore();
    }
    // A guess costs the check row's read alone: no count block is read (9999999999's is held by none).
    expect(blockReads).toEqual([]);
    const send = vi.spyOn(getDeps().plainDb, 'send');
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

  it("merges other processes' counts with its own: one count per receipt (the cluster primary's write)", async () => {
    const checks = getDeps().checks as CheckRepository;
    await checks.flush(); // the earlier tests' counts
    const r: Issued = (await issue(svc, token)).body;
    expect((await svc.api('GET', verifyPath(r))).body.checks).toBe(1);
    checks.merge([{ ref: r, count: 2 }]);
    checks.merge([{ ref: { code: r.code, number: r.number }, count: 3 }]);
    const send = vi.spyOn(getDeps().plainDb, 'send');
    try {
      await checks.flush();
      expect(countWrites(send.mock.calls)).toEqual(writesOf([[r, 6]]));
    } finally {
      send.mockRestore();
    }
    expect(await written(r)).toBe(6);
  });

  it("shows another process's written counts once its hold on their block ends, and its own never fall back", async () => {
    const r: Issued = (await issue(svc, token)).body;
    const { plainDb, config } = getDeps();
    const other = new CheckRepository(plainDb, config.tables.receipts, 200); // holds a block 200 ms
    expect((await other.recordCheck(r, r.checkCode))?.checks).toBe(1); // block read: nothing written yet
    for (let i = 1; i <= 2; i++) expect((await svc.api('GET', verifyPath(r))).body.checks).toBe(i);
    await getDeps().checks.flush(); // the service's 2 written
    expect(await written(r)).toBe(2);
    // The service's own answer: its 2 written (credited to the block it holds) and 1 more.
    expect((await svc.api('GET', verifyPath(r))).body.checks).toBe(3);
    // The other process sees the 2 once it reads the block again, beside its own 2 held.
    await new Promise((held) => setTimeout(held, 250));
    expect((await other.recordCheck(r, r.checkCode))?.checks).toBe(4);
  });

  it('writes every count held when the server stops gracefully', async () => {
    const r: Issued = (await issue(svc, token)).body;
    for (let i = 0; i < 5; i++) expect((await svc.api('GET', verifyPath(r))).status).toBe(200);
    expect(await written(r)).toBe(0);
    await svc.stop();
    expect(await written(r)).toBe(5);
  });
});

describe('check counts in one server process writing its own (interval 200 ms), as a Lambda container does', () => {
  let svc: TestService | undefined;
  afterAll(async () => svc?.stop());

  it('writes what it holds within the interval, with no request and no stop', async () => {
    svc = await startTestService({ env: { FEEPROOF_CHECK_FLUSH_MS: '200' } });
    const token = await svc.token({ role: 'collector', department: 'ZRZY' });
    const r: Issued = (await issue(svc, token)).body;
    for (let i = 0; i < 4; i++) expect((await svc.api('GET', verifyPath(r))).status).toBe(200);
    await vi.waitFor(async () => expect(await written(r)).toBe(4), { timeout: 10_000, interval: 100 });
  });
});

describe('a count write whose answer is lost: applied, then answered 500', () => {
  let svc: TestService | undefined;
  let dynamo: Awaited<ReturnType<typeof recordingProxy>> | undefined;
  afterAll(async () => {
    dynamo?.proxy.close();
    await svc?.stop();
  });

  it("counts each check once through the SDK's retries and the next flush's resend (one token)", async () => {
    svc = await startTestService();
    const token = await svc.token({ role: 'collector', department: 'ZRZY' });
    const r: Issued = (await issue(svc, token)).body;
    // Every answer of the first flush is lost: the SDK's three attempts.
    dynamo = await recordingProxy(inject('dynamoEndpoint'), { loseAnswers: 3 });
    const db = createPlainClient({ ...getDeps().config, dynamoEndpoint: dynamo.url });
    const checks = new CheckRepository(db, getDeps().config.tables.receipts, 3_600_000);
    for (let i = 1; i <= 5; i++) expect((await checks.recordCheck(r, r.checkCode))?.checks).toBe(i);

    await expect(checks.flush()).rejects.toThrow();
    expect(dynamo.writes).toEqual(Array(3).fill(writesOf([[r, 5]])[0]));
    expect(await written(r)).toBe(5); // applied once, though sent three times
    // The failed write's counts are still shown, with the next check's.
    expect((await checks.recordCheck(r, r.checkCode))?.checks).toBe(6);
    await checks.flush(); // the same write again, answered this time, and the new count's
    expect(dynamo.writes.slice(3)).toEqual([writesOf([[r, 5]])[0], writesOf([[r, 1]])[0]]);
    expect(await written(r)).toBe(6);
    expect(await checks.count(r)).toBe(6);
    await checks.flush(); // nothing left to send
    expect(dynamo.writes).toHaveLength(5);
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
 * A proxy in front of DynamoDB Local that keeps every count write it passes on: what the served
 * processes write, seen from outside them. `loseAnswers`: so many count writes are passed on
 * and applied, and their answer replaced by a 500, as when an answer is lost on its way back.
 */
async function recordingProxy(target: string, { loseAnswers = 0 } = {}) {
  const writes: CountWrite[] = [];
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let lose = false;
      if (String(req.headers['x-amz-target']).endsWith('.TransactWriteItems')) {
        const update = JSON.parse(body.toString()).TransactItems?.[0]?.Update;
        if (isCountRow(update?.Key?.pk?.S)) {
          writes.push(countWrite(update));
          lose = writes.length <= loseAnswers;
        }
      }
      const out = request(target + req.url, { method: req.method, headers: req.headers }, (answer) => {
        if (lose) {
          answer.resume();
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError' }));
          return;
        }
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, writes, proxy };
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
  const db = createPlainClient(getDeps().config);
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

describe.each([1, 2])('feeproof serve with %i worker(s), killed outright (interval 200 ms)', (workers) => {
  let serve: Awaited<ReturnType<typeof startServe>> | undefined;
  afterAll(() => serve?.kill());

  it('has already written every count older than the interval, with no request and no stop', async () => {
    serve = await startServe(workers, 200);
    const r: Issued = (await issue(serve.server, serve.token)).body;
    for (let i = 0; i < 6; i++) expect((await checkOnce(serve.server.url, r)).status).toBe(200);
    // The primary's timer writes them, having asked each worker for its counts (polled, not
    // timed: the interval is what bounds the loss).
    await vi.waitFor(async () => expect(await serve!.count(r)).toBe(6), { timeout: 10_000, interval: 100 });
    serve.kill();
    expect(await serve.count(r)).toBe(6);
  });
});

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
    expect(dynamo.writes).toEqual([]);

    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
    expect(await serve.count(b!)).toBe(shownB.length);
    // What the killed worker held is lost, the survivor's was written: one of the two shares.
    const left = await serve.count(a!);
    expect(shares).toContain(left);
    // One request from the primary per block, one count per receipt: `b`'s checks in two
    // workers add up.
    expect([...dynamo.writes].sort((x, y) => x.pk.localeCompare(y.pk))).toEqual(
      writesOf([[b!, shownB.length], ...(left ? [[a!, left] as [ReceiptRef, number]] : [])]),
    );
  });
});
