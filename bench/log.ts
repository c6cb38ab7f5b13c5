/**
 * The transparency log's figures (issue 13), each beside its target:
 * - integration from DynamoDB Local: entries as the committing transactions leave them (a
 *   receipt's on its row with its check row, as completion writes them, in its range; the
 *   range's allocation and the reversals queued in LOGQ), then sequenced (DynamoSequence, its
 *   receipts' index-block rows included) and integrated into tiles (integrate(), the
 *   directory store, fsync per tile), entries/s over the whole, where the sequencing's time went
 *   (its DynamoDB requests by kind), and the log's CPU per entry (this process, which sequences
 *   and integrates, plus DynamoDB Local's java); targets >= 2,000/s and <= 1 ms of CPU an entry;
 * - an inclusion proof from the tiles: in-process, cold from the directory store and as the proof
 *   route serves it (its cached reader, its tiles held), p50/p99 per proof, target < 2 ms; and
 *   over HTTP from GET /v1/verify/log-proof when the server has it (the receipt's row read too);
 * - `log audit` over 100,000 entries (a consistent log: a range, receipts, reversals), from the
 *   directory as a verifier reads it; target < 30 s.
 * Counts scale with BENCH_SCALE (the log at least 2,000, the audit at least 1,000 entries).
 *   npx tsx bench/log.ts   (alone: starts its own DynamoDB Local; no HTTP row)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lambdas/adapters/dynamo/client.js';
import {
  checksKey,
  logQueueKey,
  RECEIPT_LOG_ENTRY,
  rangeKey,
  rangeListingKey,
  receiptKey,
} from '../lambdas/adapters/dynamo/keys.js';
import { auditLog } from '../lambdas/adapters/tlog/audit.js';
import { DirectoryTileStore } from '../lambdas/adapters/tlog/directory-store.js';
import { DynamoSequence, rangeAllocationMark } from '../lambdas/adapters/tlog/dynamo-sequence.js';
import { integrate } from '../lambdas/adapters/tlog/integrator.js';
import { openLogKey } from '../lambdas/adapters/tlog/log-key.js';
import { directorySource } from '../lambdas/adapters/tlog/log-verify.js';
import { cachedProofReader, receiptLogProof } from '../lambdas/app/log-proof.js';
import { decodeEntry, encodeEntry, type LogEntry } from '../lambdas/core/tlog/entries.js';
import type { SequencedEntries, TileStore } from '../lambdas/core/tlog/ports.js';
import { inclusionProof } from '../lambdas/core/tlog/proof.js';
import { loggedReceipt } from '../lambdas/core/tlog/receipt-inclusion.js';
import { TILE_WIDTH, withTiles } from '../lambdas/core/tlog/tiles.js';
import { startDynamoDbLocal } from '../lambdas/local/dynamodb-local.js';
import { ensureTables } from '../lambdas/local/tables.js';
import { issueToken, loadIssuerKey } from '../lambdas/local/tokens.js';
import { loadConfig } from '../lambdas/runtime/config.js';
import { send, sendCharge } from '../test/support/receipts.js';
import { cpuShare, measure, row } from './stats.js';

const ORIGIN = 'bench.feeproof.local/log';
const CODE = '11010126';
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
const target = (what: string, ok: boolean) => console.log(`  ${what}: ${verdict(ok)}`);

/** A log of `count` entries that `log audit` passes: a range, blue receipts, every 50th reversed. */
function consistentLog(count: number): Uint8Array[] {
  const out: LogEntry[] = [
    {
      v: 1,
      type: 'range',
      event: 'allocated',
      rangeId: 'bench',
      department: 'ZRZY',
      code: CODE,
      first: 1,
      last: count,
    },
  ];
  const commitment = randomBytes(32).toString('hex');
  let number = 0;
  const receipt = (kind: 'blue' | 'red', reverses?: number): LogEntry => ({
    v: 2,
    type: 'receipt',
    code: CODE,
    number: String(++number).padStart(10, '0'),
    kind,
    department: 'ZRZY',
    issueDate: '2026-06-01',
    total: kind === 'red' ? '-80.00' : '80.00',
    lines: [{ itemCode: 'ZRZY-001', amount: kind === 'red' ? '-80.00' : '80.00' }],
    ...(reverses ? { reverses: { code: CODE, number: String(reverses).padStart(10, '0') } } : {}),
    commitment,
  });
  while (out.length < count) {
    out.push(receipt('blue'));
    if (number % 50 === 0 && out.length + 2 <= count) {
      const original = number;
      out.push({
        v: 1,
        type: 'reversal',
        original: { code: CODE, number: String(original).padStart(10, '0') },
        reversedBy: { code: CODE, number: String(original + 1).padStart(10, '0') },
      });
      out.push(receipt('red', original));
    }
  }
  return out.map(encodeEntry);
}

/** Integrates everything sequenced, batch by batch, as the local integrator does. */
async function integrateAll(
  sequence: SequencedEntries,
  store: TileStore,
  signer: Awaited<ReturnType<typeof openLogKey>>,
) {
  for (;;) {
    const r = await integrate({ origin: ORIGIN, signer, sequence, store });
    if (r.to >= (await sequence.size())) return r.to;
  }
}

/**
 * Integration rate from DynamoDB Local: queue, then sequence + integrate, timed together, with
 * their CPU (`dynamoPid`: DynamoDB Local's process, whose CPU counts with this one's). `indexed`:
 * as the service runs it (receipts' index-block rows written); without, the ledger alone.
 * `quiet`: a warm-up, not reported (a DynamoDB Local just started runs its first requests
 * several times slower, which would weigh on whichever run came first).
 */
async function integrationFromDynamo(
  o: { endpoint: string; dynamoPid?: number },
  count: number,
  dir: string,
  indexed: boolean,
  quiet = false,
) {
  const prefix = `benchlog${randomBytes(2).toString('hex')}`;
  const config = loadConfig({
    ...process.env,
    FEEPROOF_TABLE_PREFIX: prefix,
    FEEPROOF_DYNAMODB_ENDPOINT: o.endpoint,
  });
  const db = createDocumentClient(config);
  await ensureTables(db, config.tables);
  const { ledger, receipts } = config.tables;
  const entries = consistentLog(count);
  const t0 = Date.now();
  const puts: { table: string; Item: Record<string, unknown> }[] = [];
  entries.forEach((entry, i) => {
    const at = new Date(t0 + i).toISOString();
    const e = decodeEntry(entry);
    // As the service leaves them: a receipt's entry on its row (completion), the rest queued;
    // the ledger alone has every entry queued.
    if (e.type !== 'receipt' || !indexed) {
      puts.push({ table: ledger, Item: { ...logQueueKey(at, String(i).padStart(8, '0')), entry } });
      return;
    }
    puts.push({
      table: receipts,
      Item: {
        ...receiptKey(e),
        status: 'issued',
        kind: e.kind,
        ...(e.reverses ? { reverses: e.reverses } : {}),
        completedAt: at,
        [RECEIPT_LOG_ENTRY]: entry,
        // About as large as a completed receipt's row (1.7 KB), which a read of it is priced by.
        rest: 'x'.repeat(1300),
      },
    });
    // A check row about as large as completion's (its copy of the receipt, the salt).
    puts.push({
      table: receipts,
      Item: { ...checksKey(e), status: 'valid', receipt: 'x'.repeat(600), logSalt: randomBytes(16) },
    });
  });
  if (indexed) {
    // The range the receipts were taken from, its allocation queued (the first entry) and not yet logged.
    const taken = entries.filter((e) => loggedReceipt(e)).length;
    const range = {
      id: 'bench',
      department: 'ZRZY',
      code: CODE,
      first: 1,
      last: count,
      next: taken + 1,
      status: 'open',
      allocatedAt: new Date(t0).toISOString(),
      allocatedBy: 'bench',
    };
    puts.push({ table: ledger, Item: { ...rangeKey(range.id), ...range } });
    puts.push({ table: ledger, Item: { ...rangeListingKey(range), id: range.id } });
    const allocation = puts.find((p) => p.table === ledger && p.Item.entry === entries[0])!;
    puts.push({
      table: ledger,
      Item: rangeAllocationMark(ledger, range.id, { Put: { TableName: ledger, Item: allocation.Item } }).Put!
        .Item!,
    });
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < puts.length) {
        let items = puts.slice(next, next + 25);
        next += 25;
        while (items.length) {
          const RequestItems: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> = {};
          for (const { table, Item } of items)
            RequestItems[table] = [...(RequestItems[table] ?? []), { PutRequest: { Item } }];
          const out = await db.send(new BatchWriteCommand({ RequestItems }));
          const left = out.UnprocessedItems ?? {};
          items = Object.entries(left).flatMap(([table, requests]) =>
            requests.map((r) => ({ table, Item: r.PutRequest!.Item! })),
          );
        }
      }
    }),
  );
  const signer = await openLogKey(join(dir, 'log-key.pem'), ORIGIN);
  const timed = timedClient(db);
  const sequence = new DynamoSequence(timed.db, ledger, indexed ? receipts : undefined);
  // Its own log beside the tables of its own.
  const store = new DirectoryTileStore(join(dir, prefix, 'log'));
  const cpu = cpuShare({ 'DynamoDB Local': () => (o.dynamoPid ? [o.dynamoPid] : []) });
  const started = performance.now();
  await sequence.sequence();
  const sequenced = performance.now();
  const requests = timed.report();
  const size = await integrateAll(new DynamoSequence(db, ledger), store, signer);
  const done = performance.now();
  const spent = cpu(size).perRequest;
  const rate = size / ((done - started) / 1000);
  if (quiet) return;
  console.log(
    `log: sequence + integrate ${size} entries from DynamoDB Local${indexed ? " (receipts' from their range's rows, the rest queued; their index-block rows written)" : ' (ledger only: every entry queued, no index written)'}  ${rate.toFixed(0)} entries/s  (sequencing ${((sequenced - started) / 1000).toFixed(1)} s = ${(size / ((sequenced - started) / 1000)).toFixed(0)}/s, integration ${((done - sequenced) / 1000).toFixed(1)} s = ${(size / ((done - sequenced) / 1000)).toFixed(0)}/s)`,
  );
  console.log(`  sequencing's requests: ${requests}`);
  target('target >= 2,000 entries/s (Tessera POSIX ~1,600-2,900)', rate >= 2000);
  // This process's CPU is the sequencer's and the integrator's (nothing else runs meanwhile).
  const node = spent['load generator']!;
  const java = spent['DynamoDB Local']!;
  if (o.dynamoPid) {
    console.log(
      `  the log's CPU per entry: ${(node + java).toFixed(3)} ms (node ${node.toFixed(3)} ms, DynamoDB Local ${java.toFixed(3)} ms)`,
    );
    target('target <= 1 ms of CPU an entry', node + java <= 1);
  } else console.log(`  the log's CPU per entry: node ${node.toFixed(3)} ms (DynamoDB Local's not known)`);
}

/**
 * The client with each request's time added up by kind: "<kind> <count> x <mean ms> = <total s>".
 * Requests in flight at once (a cleanup sends up to 4) each count their own time.
 */
function timedClient(db: DynamoDBDocumentClient) {
  const spent = new Map<string, { count: number; ms: number }>();
  const timed = {
    send: async (command: { constructor: { name: string } }) => {
      const t = performance.now();
      try {
        return await db.send(command as never);
      } finally {
        const kind = command.constructor.name.replace(/Command$/, '');
        const s = spent.get(kind) ?? { count: 0, ms: 0 };
        spent.set(kind, { count: s.count + 1, ms: s.ms + performance.now() - t });
      }
    },
  } as unknown as DynamoDBDocumentClient;
  const report = () =>
    [...spent]
      .map(
        ([kind, s]) =>
          `${kind} ${s.count} x ${(s.ms / s.count).toFixed(1)} ms = ${(s.ms / 1000).toFixed(2)} s`,
      )
      .join(', ');
  return { db: timed, report };
}

/** A consistent log of `count` entries in a directory, integrated from memory. */
async function directoryLog(count: number, dir: string) {
  const entries = consistentLog(count);
  const sequence: SequencedEntries = {
    size: async () => entries.length,
    read: async (from, limit) =>
      entries.slice(from, from + limit).map((entry, i) => ({ index: from + i, entry })),
  };
  const signer = await openLogKey(join(dir, 'log-key.pem'), ORIGIN);
  const store = new DirectoryTileStore(join(dir, 'memory', 'log'));
  const started = performance.now();
  const size = await integrateAll(sequence, store, signer);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `log: integrate ${size} entries in-process (no DynamoDB)  ${(size / seconds).toFixed(0)} entries/s`,
  );
  return { store, size, vkey: signer.vkey, root: join(dir, 'memory', 'log') };
}

/**
 * Inclusion proofs of random entries in-process, two ways: every tile read from the directory
 * store (a cold process), and as GET /v1/verify/log-proof builds them (receiptLogProof through
 * the route's per-process cachedProofReader: full tiles are immutable and kept, the checkpoint
 * held a second; the C2SP tlog-proof text included). The target is the route's.
 */
async function proofsInProcess(log: Awaited<ReturnType<typeof directoryLog>>, count: number) {
  const randomIndex = () => Math.floor(Math.random() * log.size);
  const cold = await measure(count, 1, async () => {
    const index = randomIndex();
    const proof = await withTiles(
      log.size,
      (t) => log.store.readTile(t),
      (r) => inclusionProof(r, index, log.size),
    );
    return proof.length > 0;
  });
  console.log(row(`log: inclusion proof, every tile read from disk (size ${log.size})`, cold));
  const reader = cachedProofReader(log.store);
  const serve = async (index: number) => (await receiptLogProof(reader, index)).kind === 'proof';
  // A server that has served proofs for a while holds every full tile it read (a 100,000-entry
  // tree has 393: 3 MB); a first read of each from disk is the cold line above. Warm-up: one
  // proof per level-0 tile, which reads every tile a proof of this tree can need.
  await measure(Math.ceil(log.size / TILE_WIDTH), 1, (i) => serve(Math.min(i * TILE_WIDTH, log.size - 1)));
  const served = await measure(count, 1, () => serve(randomIndex()));
  console.log(row('log: inclusion proof as the proof route serves it, its tiles held', served));
  target('target p50 and p99 < 2 ms (as served)', served.p50 < 2 && served.p99 < 2);
}

/** GET /v1/verify/log-proof of a receipt issued now, once the server's integrator has it. */
async function proofsOverHttp(url: string, dataDir: string, count: number) {
  const key = await loadIssuerKey(dataDir, { create: false });
  const collector = await issueToken(key, { role: 'collector', department: 'ZRZY' });
  const issued = await sendCharge(url, collector);
  if (issued.status !== 201)
    return console.log(`log: proof over HTTP skipped (issuing answered ${issued.status})`);
  const { code, number, checkCode } = issued.body as { code: string; number: string; checkCode: string };
  const proofUrl = `${url}/v1/verify/log-proof?${new URLSearchParams({ code, number, checkCode })}`;
  let status = 0;
  for (let i = 0; i < 40 && status !== 200; i++) {
    status = (await fetch(proofUrl)).status;
    if (status !== 200) await new Promise((r) => setTimeout(r, 250));
  }
  if (status !== 200)
    return console.log(`log: proof over HTTP skipped (GET /v1/verify/log-proof answered ${status})`);
  // Kept-alive node:http, as the checks' clients (fetch's own cost was most of a request here).
  const proofOk = async () => (await send(proofUrl)).status === 200;
  // Warm-up: the route's code compiled in each worker; all in all under the 600 a minute that
  // the rate limit allows one client address.
  await measure(50, 1, proofOk);
  const stats = await measure(count, 1, proofOk);
  // Not the target's figure: beside the proof from held tiles (above), a request reads the
  // receipt's check row from DynamoDB Local (its check code, its log index) and crosses HTTP.
  console.log(row('log: GET /v1/verify/log-proof over HTTP (with its receipt read from DynamoDB)', stats));
}

async function audit(log: Awaited<ReturnType<typeof directoryLog>>) {
  const started = performance.now();
  const checks = await auditLog(directorySource(log.root), { origin: ORIGIN, logKeys: [log.vkey] });
  const seconds = (performance.now() - started) / 1000;
  const failed = checks.filter((c) => !c.ok);
  console.log(
    `log: feeproof log audit over ${log.size} entries  ${seconds.toFixed(1)} s  (${(log.size / seconds).toFixed(0)} entries/s; ${failed.length ? `FINDINGS: ${failed.map((c) => c.name).join(', ')}` : 'every check passes'})`,
  );
  target('target < 30 s for 100,000 entries', seconds * (100_000 / log.size) < 30);
}

export interface LogBenchOptions {
  /** DynamoDB Local's endpoint (tables of its own prefix are made there). */
  endpoint: string;
  /** DynamoDB Local's process: its CPU counts in the log's CPU per entry. */
  dynamoPid?: number;
  scale: number;
  /** A running local server and its data directory: adds the proof-over-HTTP row. */
  server?: { url: string; dataDir: string };
}

export async function logBench(o: LogBenchOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'feeproof-bench-log-'));
  const scaled = (count: number, min: number) => Math.max(min, Math.round(count * o.scale));
  // As the service runs it (receipts' indexes written as index-block rows), and without, which
  // shows what they cost.
  await integrationFromDynamo(o, 4_000, dir, true, true);
  await integrationFromDynamo(o, scaled(20_000, 2_000), dir, true);
  await integrationFromDynamo(o, scaled(20_000, 2_000), dir, false);
  const log = await directoryLog(scaled(100_000, 1_000), dir);
  await proofsInProcess(log, scaled(2_000, 200));
  if (o.server) await proofsOverHttp(o.server.url, o.server.dataDir, scaled(400, 50));
  await audit(log);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dynamo = await startDynamoDbLocal();
  try {
    await logBench({
      endpoint: dynamo.endpoint,
      dynamoPid: dynamo.process.pid,
      scale: Number(process.env.BENCH_SCALE ?? 1),
    });
  } finally {
    await dynamo.stop();
  }
}
