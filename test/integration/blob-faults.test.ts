/**
 * Receipt PDFs live in the blob store, written before the transaction that completes the
 * receipt. Whatever fails between taking the number and completing it, the receipt stays
 * pending and is completed later (by the client's retry or by recovery): no number lost,
 * no issued row naming a PDF that is not stored, no stored PDF overwritten or without its
 * receipt row. Receipts completed before PDFs left DynamoDB (a PDF row) are still served.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pdfKey, rangeCompleteKey, receiptKey } from '../../lambdas/adapters/dynamo/keys.js';
import { sha256Hex } from '../../lambdas/adapters/signing/certificate.js';
import { completeReceipt, receiptPdfPrefix, recoverPending } from '../../lambdas/app/completion.js';
import { getDeps } from '../../lambdas/app/deps.js';
import type { BlobStore, StoredReceipt } from '../../lambdas/core/ports.js';
import { expectNumbersAccountedFor } from '../support/accounting.js';
import { issue, newKey } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let token: string;
const charge = {
  payer: { type: 'person', name: '钱七' },
  lines: [{ itemCode: 'GA-002', quantity: 1, amount: '10.00' }],
};

type Send = (command: { constructor: { name: string }; input?: unknown }) => Promise<unknown>;
let originalSend: Send;
let originalBlobs: Pick<BlobStore, 'putOnce' | 'get'>;

beforeAll(async () => {
  svc = await startTestService();
  token = await svc.token({ role: 'collector', department: 'GA' });
  const deps = getDeps();
  originalSend = deps.db.send.bind(deps.db) as unknown as Send;
  originalBlobs = { putOnce: deps.blobs.putOnce, get: deps.blobs.get };
});
afterEach(() => {
  const deps = getDeps();
  (deps.db as unknown as { send: Send }).send = originalSend;
  // The repository reads through the same store object, so faults are put on its methods.
  Object.assign(deps.blobs, originalBlobs);
});
afterAll(async () => svc?.stop());

const unavailable = () =>
  Object.assign(new Error('injected: disk unavailable'), { name: 'ServiceUnavailable' });
const blobRoot = () => join(svc.dataDir, 'blobs');

/** Every stored blob (relative key -> bytes), read straight from the directory. */
function storedBlobs(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else out.set(relative(blobRoot(), path), readFileSync(path));
    }
  };
  if (existsSync(blobRoot())) walk(blobRoot());
  return out;
}

const pdfOf = (r: { code: string; number: string }) =>
  svc.api('GET', `/v1/receipts/${r.code}/${r.number}/pdf`, { token });

async function pendingReceipts(): Promise<StoredReceipt[]> {
  return (await getDeps().receipts.pending()).filter((r) => r.department === 'GA');
}

/** Every stored PDF lies under a receipt that exists, unchanged since it was first written; every issued row names a stored PDF of its hash. */
async function expectPdfsConsistent(before: Map<string, Buffer>) {
  const { receipts } = await expectNumbersAccountedFor('GA');
  const blobs = storedBlobs();
  for (const [key, bytes] of before) expect(blobs.get(key)?.equals(bytes), `${key} unchanged`).toBe(true);
  const prefixes = receipts.map(receiptPdfPrefix);
  for (const key of blobs.keys()) {
    const prefix = prefixes.find((p) => key.startsWith(p));
    expect(prefix, `${key} belongs to a receipt`).toBeDefined();
    expect(key.slice(prefix!.length)).toBe(`${sha256Hex(blobs.get(key)!)}.pdf`);
  }
  for (const r of receipts) {
    expect(r.pdfKey).toBe(`receipts/${r.code}/${r.number.slice(0, -3)}/${r.number}-${r.pdfSha256}.pdf`);
    expect(sha256Hex(blobs.get(r.pdfKey!)!)).toBe(r.pdfSha256);
  }
}

describe('the blob store failing between taking the number and completing', () => {
  it('answers 503 and leaves the receipt pending; a retry with the same key completes it, its PDF served', async () => {
    const before = storedBlobs();
    getDeps().blobs.putOnce = () => Promise.reject(unavailable());
    const key = newKey();
    const failed = await issue(svc, token, charge, key);
    expect(failed.status).toBe(503);
    expect(failed.body.error).toBe('service_unavailable');
    const [pending] = await pendingReceipts();
    expect(pending?.status).toBe('pending');
    expect(storedBlobs().size).toBe(before.size);

    Object.assign(getDeps().blobs, originalBlobs);
    const ok = await issue(svc, token, charge, key);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ code: pending!.code, number: pending!.number, status: 'issued' });
    const pdf = await pdfOf(ok.body);
    expect(pdf.status).toBe(200);
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await expectPdfsConsistent(before);
  });

  it('recovery completes what the failing store left, without the client coming back', async () => {
    const before = storedBlobs();
    getDeps().blobs.putOnce = () => Promise.reject(unavailable());
    const abandoned = await Promise.all([1, 2, 3].map(() => issue(svc, token, charge)));
    expect(abandoned.map((a) => a.status)).toEqual([503, 503, 503]);
    expect(await pendingReceipts()).toHaveLength(3);
    Object.assign(getDeps().blobs, originalBlobs);
    const result = await recoverPending(getDeps());
    expect(result).toMatchObject({ completed: 3, failed: 0 });
    await expectPdfsConsistent(before);
  });

  it('recovery reads page after page until no pending receipt is left', async () => {
    const before = storedBlobs();
    getDeps().blobs.putOnce = () => Promise.reject(unavailable());
    const abandoned = await Promise.all([1, 2, 3, 4, 5].map(() => issue(svc, token, charge)));
    expect(abandoned.map((a) => a.status)).toEqual([503, 503, 503, 503, 503]);
    Object.assign(getDeps().blobs, originalBlobs);
    // Pages of two: one run completes all five (a run used to complete one page, 500, and stop).
    const result = await recoverPending(getDeps(), { pageSize: 2 });
    expect(result.completed).toBeGreaterThanOrEqual(5);
    expect(result.failed).toBe(0);
    expect(await pendingReceipts()).toEqual([]);
    await expectPdfsConsistent(before);
  });

  it("finds a receipt left pending between issued ones from its range's watermark, which recovery raises to it, then past it", async () => {
    const { db, config, receipts } = getDeps();
    const first = await issue(svc, token, charge);
    getDeps().blobs.putOnce = () => Promise.reject(unavailable());
    expect((await issue(svc, token, charge)).status).toBe(503);
    Object.assign(getDeps().blobs, originalBlobs);
    const last = await issue(svc, token, charge);
    const [left, ...more] = await pendingReceipts();
    expect(more).toEqual([]);
    expect(left!.code).toBe(first.body.code);
    expect(Number(left!.number)).toBeGreaterThan(Number(first.body.number));
    expect(Number(left!.number)).toBeLessThan(Number(last.body.number));
    const watermark = async () =>
      (
        await db.send(
          new GetCommand({
            TableName: config.tables.ledger,
            Key: rangeCompleteKey(left!.rangeId),
            ConsistentRead: true,
          }),
        )
      ).Item?.below;
    // Reading moves nothing; recovery's read moves the watermark up to the receipt still pending.
    const before = await watermark();
    await receipts.pending();
    expect(await watermark()).toBe(before);
    expect(before === undefined || before <= Number(left!.number)).toBe(true);
    expect((await receipts.pending(100, { advance: true })).map((r) => r.number)).toContain(left!.number);
    expect(await watermark()).toBe(Number(left!.number));
    // Completed, the run's last read passes it: every receipt below the range's next is complete.
    expect((await recoverPending(getDeps())).completed).toBe(1);
    const range = await getDeps().ranges.getRange(left!.rangeId);
    expect(await watermark()).toBe(range!.next);
    expect(await pendingReceipts()).toEqual([]);
  });

  it('answers the oldest pending receipts a page at a time, all of them in the end', async () => {
    getDeps().blobs.putOnce = () => Promise.reject(unavailable());
    for (let i = 0; i < 12; i++) expect((await issue(svc, token, charge)).status).toBe(503);
    Object.assign(getDeps().blobs, originalBlobs);
    const all = await getDeps().receipts.pending(Number.POSITIVE_INFINITY);
    expect(all.length).toBeGreaterThanOrEqual(12);
    const oldest = all.map((r) => r.number);
    expect(oldest).toEqual([...oldest].sort());
    expect((await getDeps().receipts.pending(5)).map((r) => r.number)).toEqual(oldest.slice(0, 5));
    expect((await recoverPending(getDeps(), { pageSize: 5 })).completed).toBe(all.length);
    expect(await pendingReceipts()).toEqual([]);
  });

  it('never moves a watermark past a receipt still pending, while receipts are issued, fail and are recovered at once', async () => {
    const { db, config, receipts } = getDeps();
    const before = storedBlobs();
    // Every third PDF cannot be stored: those receipts stay pending, between complete ones.
    let calls = 0;
    const blobs = getDeps().blobs;
    blobs.putOnce = (...args) =>
      ++calls % 3 === 0 ? Promise.reject(unavailable()) : originalBlobs.putOnce.apply(blobs, args);
    let issuing = true;
    const reads: Promise<unknown>[] = [];
    // Recovery's read, again and again while the receipts are taken and completed.
    const reader = (async () => {
      while (issuing) {
        reads.push(receipts.pending(100, { advance: true }));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const keys = Array.from({ length: 24 }, () => newKey());
    const answers = await Promise.all(keys.map((key) => issue(svc, token, charge, key)));
    issuing = false;
    await reader;
    await Promise.all(reads);
    Object.assign(getDeps().blobs, originalBlobs);
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
    const left = await pendingReceipts();
    // Found: exactly the receipts whose PDF could not be stored.
    expect(left.map((r) => r.idempotencyKey).sort()).toEqual(
      keys.filter((_, i) => answers[i]!.status === 503).sort(),
    );
    for (const r of left) {
      const mark = await db.send(
        new GetCommand({
          TableName: config.tables.ledger,
          Key: rangeCompleteKey(r.rangeId),
          ConsistentRead: true,
        }),
      );
      expect(mark.Item?.below ?? 0, `${r.number} is still pending`).toBeLessThanOrEqual(Number(r.number));
    }
    expect((await recoverPending(getDeps())).completed).toBe(left.length);
    await expectPdfsConsistent(before);
  });

  it('the completing transaction failing after the PDF was stored: recovery completes it; the first PDF stays, overwritten by nothing', async () => {
    (getDeps().db as unknown as { send: Send }).send = async (command) => {
      if (JSON.stringify(command.input ?? {}).includes('pdfKey = :pdf'))
        throw Object.assign(new Error('injected fault'), {
          name: 'InternalServerError',
          $metadata: { httpStatusCode: 500 },
        });
      return originalSend(command);
    };
    const failed = await issue(svc, token, charge);
    expect(failed.status).toBe(503);
    const [pending] = await pendingReceipts();
    // The failed attempt's PDF: stored under its pending receipt, named by its hash.
    const orphans = [...storedBlobs()].filter(([k]) => k.startsWith(receiptPdfPrefix(pending!)));
    expect(orphans).toHaveLength(1);
    const before = storedBlobs();

    (getDeps().db as unknown as { send: Send }).send = originalSend;
    expect(await recoverPending(getDeps())).toMatchObject({ completed: 1, failed: 0 });
    await expectPdfsConsistent(before);
    const served = await pdfOf(pending!);
    expect(served.status).toBe(200);
    const row = await getDeps().receipts.getReceipt(pending!);
    expect(sha256Hex(served.bytes)).toBe(row!.pdfSha256);
  });

  it('a completion tried twice at once (a retry racing recovery) stores one, and no PDF is overwritten', async () => {
    getDeps().blobs.putOnce = () => Promise.reject(unavailable());
    expect((await issue(svc, token, charge)).status).toBe(503);
    Object.assign(getDeps().blobs, originalBlobs);
    const [pending] = await pendingReceipts();
    const before = storedBlobs();
    const [a, b] = await Promise.all([
      completeReceipt(getDeps(), pending!),
      completeReceipt(getDeps(), pending!),
    ]);
    expect(a.pdfKey).toBe(b.pdfKey);
    expect(a.signature).toBe(b.signature);
    await expectPdfsConsistent(before);
  });

  it('completions signed while one is written go in one transaction; one completed meanwhile elsewhere is answered from the store, the others written', async () => {
    getDeps().blobs.putOnce = () => Promise.reject(unavailable());
    const abandoned = await Promise.all([1, 2, 3, 4].map(() => issue(svc, token, charge)));
    expect(abandoned.map((a) => a.status)).toEqual([503, 503, 503, 503]);
    Object.assign(getDeps().blobs, originalBlobs);
    const [first, elsewhere, ...others] = await pendingReceipts();
    const before = storedBlobs();
    const deps = getDeps();
    // The item counts of completing transactions (those that put a public check row); the first held.
    const completing: number[] = [];
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    (deps.db as unknown as { send: Send }).send = async (command) => {
      const items = (command.input as { TransactItems?: { Put?: { Item?: { sk?: string } } }[] })
        ?.TransactItems;
      if (items?.some((i) => i.Put?.Item?.sk === 'CHECKS')) {
        completing.push(items.length);
        if (completing.length === 1) await released;
      }
      return originalSend(command);
    };
    const firstDone = completeReceipt(deps, first!);
    while (completing.length === 0) await new Promise((r) => setTimeout(r, 5));
    // Another process (dependencies of its own, so a batcher of its own) completes one meanwhile.
    const theirs = await completeReceipt({ ...deps }, elsewhere!);
    let stored = 0;
    deps.blobs.putOnce = async (...args) => {
      await originalBlobs.putOnce.apply(deps.blobs, args);
      stored++;
    };
    const queued = [elsewhere!, ...others].map((p) => completeReceipt(deps, p));
    while (stored < queued.length) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50)); // from the PDF stored to the queue: no I/O
    release();
    const [one, ours, ...rest] = await Promise.all([firstDone, ...queued]);
    // Alone, then the three together (cancelled by the one completed elsewhere), then the two.
    expect(completing).toEqual([2, 2, 6, 4]);
    expect(ours).toEqual(theirs);
    for (const r of [one!, ...rest]) {
      expect(r.status).toBe('issued');
      expect((await deps.receipts.getReceipt(r))!.pdfSha256).toBe(r.pdfSha256);
    }
    expect(await pendingReceipts()).toEqual([]);
    await expectPdfsConsistent(before);
  });

  it('a store that cannot be read answers 503, and the PDF is served once it can', async () => {
    const res = await issue(svc, token, charge);
    expect(res.status).toBe(201);
    getDeps().blobs.get = () => Promise.reject(unavailable());
    const failed = await pdfOf(res.body);
    expect(failed.status).toBe(503);
    Object.assign(getDeps().blobs, originalBlobs);
    expect((await pdfOf(res.body)).status).toBe(200);
  });
});

describe('reading PDFs', () => {
  it('a receipt completed before PDFs left DynamoDB (its bytes in a PDF row) is still served by both PDF routes', async () => {
    const res = await issue(svc, token, charge);
    expect(res.status).toBe(201);
    const deps = getDeps();
    const row = (await deps.receipts.getReceipt(res.body))!;
    const bytes = (await pdfOf(res.body)).bytes;
    // Back to the earlier shape: the bytes in the receipt's PDF row, no key on the row, no blob.
    await deps.db.send(
      new PutCommand({
        TableName: deps.config.tables.receipts,
        Item: { ...pdfKey(row), pdf: new Uint8Array(bytes) },
      }),
    );
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.config.tables.receipts,
        Key: receiptKey(row),
        UpdateExpression: 'REMOVE pdfKey',
      }),
    );
    writeFileSync(join(blobRoot(), row.pdfKey!), 'not the PDF: the old shape must not read here');
    const legacy = await deps.receipts.getReceipt(row);
    expect(legacy?.pdfKey).toBeUndefined();

    const staff = await pdfOf(row);
    expect(staff.status).toBe(200);
    expect(staff.bytes.equals(bytes)).toBe(true);
    const { code, number, checkCode } = res.body;
    const pub = await svc.api('GET', `/v1/verify/pdf?code=${code}&number=${number}&checkCode=${checkCode}`);
    expect(pub.status).toBe(200);
    expect(pub.bytes.equals(bytes)).toBe(true);
    await deps.db.send(new DeleteCommand({ TableName: deps.config.tables.receipts, Key: pdfKey(row) }));
  });

  it('a stored PDF whose bytes no longer match the hash on its row is never served', async () => {
    const res = await issue(svc, token, charge);
    const row = (await getDeps().receipts.getReceipt(res.body))!;
    const path = join(blobRoot(), row.pdfKey!);
    const altered = readFileSync(path);
    altered.writeUInt8(altered.readUInt8(altered.length - 10) ^ 1, altered.length - 10);
    writeFileSync(path, altered);
    const staff = await pdfOf(row);
    expect(staff.status).toBe(500);
    expect(staff.bytes.includes(altered)).toBe(false);
    const { code, number, checkCode } = res.body;
    const pub = await svc.api('GET', `/v1/verify/pdf?code=${code}&number=${number}&checkCode=${checkCode}`);
    expect(pub.status).toBe(500);
  });
});
