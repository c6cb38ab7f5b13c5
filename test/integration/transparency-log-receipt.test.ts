import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksKey, LOG_QUEUE_PK, logIndexBlockKey } from '../../lambdas/adapters/dynamo/keys.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { canonicalReceipt, contentOf } from '../../lambdas/core/receipt.js';
import { verifyCheckpoint } from '../../lambdas/core/tlog/checkpoint.js';
import { decodeEntry, receiptCommitment } from '../../lambdas/core/tlog/entries.js';
import { fromBase64, leafHash } from '../../lambdas/core/tlog/hash.js';
import { parseTlogProof, verifyTlogProof } from '../../lambdas/core/tlog/proof-bundle.js';
import { bundleOf, verifyReceiptInclusion } from '../../lambdas/core/tlog/receipt-inclusion.js';
import { decodeBundle, TILE_WIDTH, type TileId, tilePath } from '../../lambdas/core/tlog/tiles.js';
import { tamper } from '../security/support.js';
import { runCli as cli } from '../support/cli.js';
import { issue } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * A receipt's place in the transparency log (issue 13), over HTTP on DynamoDB Local: the check
 * answer's salt, commitment and index (from the sequencer's index-block rows), the proof
 * route's tlog-proof, `feeproof log verify --receipt`, and what an altered record looks like.
 * The service's 2-second log timer is stopped: each test integrates with svc.log.run(). The tile
 * tampering comes last (restored after, but a run in between would refuse the tampered store).
 */
let svc: TestService;
let zrzy: string;
let vkey: string;

beforeAll(async () => {
  svc = await startTestService();
  await svc.log.stop();
  zrzy = await svc.token({ role: 'collector', department: 'ZRZY' });
  vkey = (await svc.api('GET', '/v1/keys')).body.log.vkey;
});
afterAll(async () => svc?.stop());

type Issued = { code: string; number: string; checkCode: string };
const issueOne = async (): Promise<Issued> => {
  const r = await issue(svc, zrzy);
  expect(r.status).toBe(201);
  return r.body;
};
const query = (r: Issued, checkCode = r.checkCode) =>
  `code=${r.code}&number=${r.number}&checkCode=${checkCode}`;
const check = (r: Issued, checkCode?: string) => svc.api('GET', `/v1/verify?${query(r, checkCode)}`);
const proofOf = (r: Issued, checkCode?: string) =>
  fetch(`${svc.url}/v1/verify/log-proof?${query(r, checkCode)}`);
const policy = () => ({ origin: vkey.split('+')[0]!, logKeys: [vkey] });
const readTile = async (tile: TileId) => {
  const res = await fetch(`${svc.url}/log/${tilePath(tile)}`);
  return res.status === 200 ? new Uint8Array(await res.arrayBuffer()) : null;
};
const checkpoint = async () => (await fetch(`${svc.url}/log/checkpoint`)).text();
/** The receipt's inclusion as the verification page checks it: from the served checkpoint and tiles. */
const pageCheck = async (r: Issued, log: { index: number; commitment: string }) =>
  verifyReceiptInclusion({
    note: await checkpoint(),
    policy: policy(),
    index: log.index,
    receipt: { code: r.code, number: r.number, commitment: log.commitment },
    readTile,
  });
const entryAt = async (index: number, size: number) =>
  decodeBundle((await readTile(bundleOf(index, size)))!)[index % TILE_WIDTH]!;

describe("a receipt's place in the transparency log", () => {
  it('answers the salt and commitment at once, the index once sequenced, and a proof that verifies', async () => {
    const r = await issueOne();
    const before = await check(r);
    expect(before.status).toBe(200);
    expect(before.body.valid).toBe(true);
    const { salt, commitment, index } = before.body.log;
    expect(index).toBeUndefined(); // waiting for the next checkpoint
    // The commitment recomputes from the full stored receipt and the salt.
    const stored = (await getDeps().receipts.getReceipt(r))!;
    expect(fromBase64(salt)!.length).toBeGreaterThanOrEqual(16);
    expect(commitment).toBe(receiptCommitment(fromBase64(salt)!, canonicalReceipt(contentOf(stored))));
    // No proof before the checkpoint: 409 with a sentence saying so.
    const early = await proofOf(r);
    expect(early.status).toBe(409);
    expect(((await early.json()) as { message: string }).message).toMatch(/next checkpoint/);

    await svc.log.run();
    const after = await check(r);
    expect(after.body.log).toMatchObject({ salt, commitment });
    const at = after.body.log.index as number;
    expect(Number.isInteger(at)).toBe(true);
    const note = await checkpoint();
    const { checkpoint: head } = verifyCheckpoint(note, policy());
    expect(at).toBeLessThan(head.size);
    // The logged entry is this receipt's, with this commitment.
    const entry = await entryAt(at, head.size);
    expect(decodeEntry(entry)).toMatchObject({ type: 'receipt', code: r.code, number: r.number, commitment });

    // The proof route: a tlog-proof file that verifies with the core code.
    const res = await proofOf(r);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="${r.code}-${r.number}.tlog-proof"`,
    );
    const text = await res.text();
    expect(text.startsWith('c2sp.org/tlog-proof@v1\n')).toBe(true);
    expect(parseTlogProof(text).index).toBe(at);
    expect(verifyTlogProof(text, leafHash(entry), policy()).checkpoint.size).toBe(head.size);
    // As the page checks it: from the served checkpoint and tiles.
    const included = await verifyReceiptInclusion({
      note,
      policy: policy(),
      index: at,
      receipt: { code: r.code, number: r.number, commitment },
      readTile,
    });
    expect(included.index).toBe(at);

    // A wrong check code: the same 404 as the check itself, on both routes.
    const wrong = r.checkCode === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
    const miss = await check(r, wrong);
    const proofMiss = await proofOf(r, wrong);
    expect(miss.status).toBe(404);
    expect(proofMiss.status).toBe(404);
    expect(await proofMiss.json()).toEqual(miss.body);
    expect((await proofOf(r, 'not-a-code')).status).toBe(404);
  });

  it('an altered record shows tampered, and its commitment no longer matches the logged one', async () => {
    const r = await issueOne();
    await svc.log.run();
    const good = (await check(r)).body;
    expect(good.valid).toBe(true);
    // Behind the service's back: the check row's copy (what the public check reads) gets a new total.
    await tamper(r, 'CHECKS', (copy) => {
      copy.total += 100;
      copy.lines[0].amount += 100;
    });
    const altered = (await check(r)).body;
    expect(altered).toMatchObject({ valid: false, error: 'tampered' });
    expect(altered.log.index).toBe(good.log.index);
    expect(altered.log.commitment).not.toBe(good.log.commitment);
    // The log still holds the commitment made at issuance: the page's check fails on it.
    await expect(pageCheck(r, altered.log)).rejects.toMatchObject({ code: 'commitment_mismatch' });
    const cliOut = await cli([
      'log',
      'verify',
      '--url',
      `${svc.url}/log`,
      '--key',
      vkey,
      '--receipt',
      r.code,
      r.number,
      '--check-code',
      r.checkCode,
    ]);
    expect(cliOut.stdout).toMatch(/FAIL {2}receipt .* commitment_mismatch/);
    expect(cliOut.status).toBe(1);
  }, 120_000);

  it('sequences past a receipt whose check row is gone, indexing the others, creating no row', async () => {
    const gone = await issueOne();
    const kept = await issueOne();
    const { db, config } = getDeps();
    await db.send(new DeleteCommand({ TableName: config.tables.receipts, Key: checksKey(gone) }));
    await svc.log.run();
    // The queue is empty: the batch with the missing row committed.
    const queued = await db.send(
      new QueryCommand({
        TableName: config.tables.ledger,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': LOG_QUEUE_PK },
        ConsistentRead: true,
      }),
    );
    expect(queued.Items).toEqual([]);
    const { checkpoint: head } = verifyCheckpoint(await checkpoint(), policy());
    const keptIndex = (await check(kept)).body.log.index as number;
    expect(keptIndex).toBeLessThan(head.size);
    expect(decodeEntry(await entryAt(keptIndex, head.size))).toMatchObject({ number: kept.number });
    // The deleted row stays deleted, and its entry is logged.
    const row = await db.send(
      new GetCommand({ TableName: config.tables.receipts, Key: checksKey(gone), ConsistentRead: true }),
    );
    expect(row.Item).toBeUndefined();
    const logged = [];
    for (let i = 0; i < head.size; i++) logged.push(decodeEntry(await entryAt(i, head.size)));
    expect(logged.filter((e) => e.type === 'receipt' && e.number === gone.number)).toHaveLength(1);
  });
  it('a check row that carries its own logIndex (written by the sequencer before index-block rows) answers it', async () => {
    const r = await issueOne(); // not sequenced: no index-block row has it
    const { db, config } = getDeps();
    await db.send(
      new UpdateCommand({
        TableName: config.tables.receipts,
        Key: checksKey(r),
        UpdateExpression: 'SET logIndex = :i',
        ExpressionAttributeValues: { ':i': 5 },
      }),
    );
    expect((await check(r)).body.log.index).toBe(5);
    await svc.log.run(); // sequenced now: the row's own index still stands
    expect((await check(r)).body.log.index).toBe(5);
  });

  it("an index-block row altered to point at another receipt's entry fails log verify (wrong_entry)", async () => {
    const [r, other] = [await issueOne(), await issueOne()];
    await svc.log.run();
    const { db, config } = getDeps();
    const rowOf = async (x: Issued) =>
      (
        await db.send(
          new GetCommand({
            TableName: config.tables.receipts,
            Key: logIndexBlockKey(x),
            ConsistentRead: true,
          }),
        )
      ).Item!;
    const [index, otherIndex] = [(await rowOf(r))[r.number], (await rowOf(other))[other.number]];
    expect(otherIndex).not.toBe(index);
    // Behind the service's back, before any check of r read it: r's index is the other's.
    await db.send(
      new UpdateCommand({
        TableName: config.tables.receipts,
        Key: logIndexBlockKey(r),
        UpdateExpression: 'SET #n = :i',
        ExpressionAttributeNames: { '#n': r.number },
        ExpressionAttributeValues: { ':i': otherIndex },
      }),
    );
    const answer = (await check(r)).body;
    expect(answer.log.index).toBe(otherIndex);
    // The page's check and the CLI's read the entry there: it is not this receipt.
    await expect(pageCheck(r, answer.log)).rejects.toMatchObject({ code: 'wrong_entry' });
    const args = ['log', 'verify', '--url', `${svc.url}/log`, '--key', vkey, '--receipt', r.code, r.number];
    const out = await cli([...args, '--check-code', r.checkCode]);
    expect(out.stdout).toMatch(/FAIL {2}receipt .* wrong_entry/);
    expect(out.status).toBe(1);
  }, 120_000);

  it('feeproof log verify --receipt passes, and fails once a tile is tampered with', async () => {
    const r = await issueOne();
    await svc.log.run();
    const args = ['log', 'verify', '--url', `${svc.url}/log`, '--key', vkey];
    const ok = await cli([...args, '--receipt', r.code, r.number, '--check-code', r.checkCode]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(
      new RegExp(`pass {2}receipt ${r.code}/${r.number} in the log: entry \\d+ is in the tree`),
    );
    expect(ok.status).toBe(0);
    // Not this receipt's check code: the check fails (exit 1), saying why.
    const wrong = await cli([...args, '--receipt', r.code, r.number, '--check-code', 'ZZZZZZ']);
    expect(wrong.stdout).toMatch(/FAIL {2}receipt .* unknown_receipt/);
    expect(wrong.status).toBe(1);

    // Flip a byte of the stored hash tile the proof reads (level 0, as wide as the checkpoint).
    const { checkpoint: head } = verifyCheckpoint(await checkpoint(), policy());
    const file = join(
      svc.dataDir,
      'log',
      tilePath({ level: 0, index: 0, width: Math.min(TILE_WIDTH, head.size) }),
    );
    const bytes = readFileSync(file);
    const original = Buffer.from(bytes);
    bytes[0] = bytes[0]! ^ 0xff;
    writeFileSync(file, bytes);
    try {
      const bad = await cli([...args, '--receipt', r.code, r.number, '--check-code', r.checkCode]);
      expect(bad.stdout).toMatch(/FAIL {2}receipt .* bad_inclusion_proof/);
      expect(bad.status).toBe(1);
    } finally {
      writeFileSync(file, original);
    }
  }, 240_000);
});
