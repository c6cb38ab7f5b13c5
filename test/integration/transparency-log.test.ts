import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksKey, receiptKey } from '../../lambdas/adapters/dynamo/keys.js';
import { getDeps } from '../../lambdas/app/deps.js';
import { dateInZone } from '../../lambdas/core/dates.js';
import { verifyCheckpoint } from '../../lambdas/core/tlog/checkpoint.js';
import { decodeEntry, encodeEntry, type LogEntry } from '../../lambdas/core/tlog/entries.js';
import { leafHash } from '../../lambdas/core/tlog/hash.js';
import { inclusionProof, verifyInclusion } from '../../lambdas/core/tlog/proof.js';
import { decodeBundle, TILE_WIDTH, type TileId, tilePath, withTiles } from '../../lambdas/core/tlog/tiles.js';
import { runCli as cli } from '../support/cli.js';
import { issue, newKey } from '../support/receipts.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * The transparency log end to end (issue 13): what the service commits over HTTP is queued in
 * the same transactions, sequenced and integrated by the local server's log timer, served at
 * /log/ in the C2SP formats, and checkable with the vkey GET /v1/keys publishes.
 */
let svc: TestService;
let finance: string;
let zrzy: string;

beforeAll(async () => {
  svc = await startTestService();
  finance = await svc.token({ role: 'finance' });
  zrzy = await svc.token({ role: 'collector', department: 'ZRZY' });
});
afterAll(async () => svc?.stop());

const fetchBytes = async (path: string) => {
  const res = await fetch(`${svc.url}${path}`);
  return {
    status: res.status,
    cache: res.headers.get('cache-control'),
    bytes: new Uint8Array(await res.arrayBuffer()),
  };
};
const readTile = async (tile: TileId) => {
  const got = await fetchBytes(`/log/${tilePath(tile)}`);
  return got.status === 200 ? got.bytes : null;
};

/** Every entry of the served log, read from its entry bundles. */
async function servedEntries(size: number): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for (let n = 0; n * TILE_WIDTH < size; n++) {
    const width = Math.min(TILE_WIDTH, size - n * TILE_WIDTH);
    const bundle = await fetchBytes(`/log/${tilePath({ level: 'entries', index: n, width })}`);
    expect(bundle.status).toBe(200);
    out.push(...decodeBundle(bundle.bytes).map(decodeEntry));
  }
  return out;
}

const refOf = (e: LogEntry) => (e.type === 'receipt' ? `${e.code}/${e.number}` : undefined);

describe('the transparency log over HTTP', () => {
  it('logs receipts, a reversal, a catalogue change and a range allocation in commit order, verifiably', async () => {
    type Issued = { code: string; number: string; checkCode: string };
    const issueOne = async (): Promise<Issued> => {
      const r = await issue(svc, zrzy);
      expect(r.status).toBe(201);
      return r.body;
    };
    const blue = [await issueOne(), await issueOne(), await issueOne()] as const;
    const red = await svc.api('POST', `/v1/receipts/${blue[0].code}/${blue[0].number}/reversal`, {
      token: zrzy,
      json: { reason: '重复缴费退费' },
      headers: { 'idempotency-key': newKey() },
    });
    expect(red.status).toBe(201);
    const created = await svc.api('POST', '/v1/catalogue/items', {
      token: finance,
      json: {
        code: 'TLOG-001',
        name: '测试收费项目',
        department: 'TEST',
        unit: '件',
        standard: { type: 'fixed', amount: '30.00' },
        basis: [{ title: '测试依据', number: '测〔2026〕1号', issuer: '财政局', date: '2026-01-01' }],
        fundManagement: 'treasury',
        validFrom: dateInZone(new Date()),
        reason: 'test',
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // The automatic range closes with its four numbers taken: the closure is logged too.
    const auto = (await getDeps().ranges.listRanges()).find(
      (r) => r.department === 'ZRZY' && r.status === 'open',
    )!;
    const closed = await svc.api('POST', `/v1/ranges/${encodeURIComponent(auto.id)}/close`, {
      token: finance,
      json: { reason: 'end of the test' },
    });
    expect(closed.status).toBe(200);
    const range = await svc.api('POST', '/v1/ranges', {
      token: finance,
      json: { department: 'ZRZY', size: 50 },
    });
    expect(range.status).toBe(201);

    await svc.log.run();
    const checkpoint = await fetchBytes('/log/checkpoint');
    expect(checkpoint.status).toBe(200);
    expect(checkpoint.cache).toMatch(/max-age=5/);
    const keys = await svc.api('GET', '/v1/keys');
    const vkey = keys.body.log.vkey as string;
    expect(keys.body.log.witnesses).toEqual([]); // none configured here: the page counts none
    const note = new TextDecoder().decode(checkpoint.bytes);
    const { checkpoint: head } = verifyCheckpoint(note, { origin: vkey.split('+')[0]!, logKeys: [vkey] });

    const entries = await servedEntries(head.size);
    expect(entries.length).toBe(head.size);
    const at = (pred: (e: LogEntry) => boolean) => {
      const i = entries.findIndex(pred);
      expect(i, 'an entry is missing from the log').toBeGreaterThanOrEqual(0);
      return i;
    };
    const rangeOf = (id: string) => at((e) => e.type === 'range' && e.rangeId === id);
    const order = [
      ...blue.map((b) => at((e) => refOf(e) === `${b.code}/${b.number}`)),
      at((e) => e.type === 'reversal' && e.original.number === blue[0].number),
      at((e) => refOf(e) === `${red.body.code}/${red.body.number}`),
      at((e) => e.type === 'catalogue' && e.itemCode === 'TLOG-001' && e.change === 'create'),
      at((e) => e.type === 'range' && e.rangeId === auto.id && e.event === 'closed'),
      rangeOf(range.body.id),
    ];
    expect(entries[order[6]!]).toMatchObject({ firstUnused: auto.first + 4 });
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // Each fact exactly once, and the check code never in the log.
    expect(entries.filter((e) => refOf(e) === `${blue[1].code}/${blue[1].number}`)).toHaveLength(1);
    expect(
      new TextDecoder().decode(
        (
          await fetchBytes(
            `/log/${tilePath({ level: 'entries', index: 0, width: Math.min(head.size, TILE_WIDTH) })}`,
          )
        ).bytes,
      ),
    ).not.toContain(blue[1].checkCode);
    const redEntry = entries[order[4]!];
    expect(redEntry).toMatchObject({
      kind: 'red',
      total: '-80.00',
      reverses: { code: blue[0].code, number: blue[0].number },
    });

    // The inclusion proof of a receipt, from the served tiles, against the signed root.
    const index = order[1]!;
    const proof = await withTiles(head.size, readTile, (r) => inclusionProof(r, index, head.size));
    const leaf = leafHash(encodeEntry(entries[index]!));
    verifyInclusion(index, head.size, leaf, proof, head.rootHash);

    const verified = await cli(['log', 'verify', '--url', `${svc.url}/log`, '--key', vkey]);
    expect(verified.stderr).toBe('');
    expect(verified.status).toBe(0);
    const audited = await cli(['log', 'audit', '--url', `${svc.url}/log`, '--key', vkey]);
    expect(audited.stdout).toMatch(/pass {2}closed ranges: 1 closed ranges have every number/);
    expect(audited.stdout).toMatch(/pass {2}reversals: 1 reversals/);
    expect(audited.stdout).not.toMatch(/FAIL/);
    expect(audited.status).toBe(0);
  });

  it('keeps the entry of a receipt row deleted behind the service’s back, so the deletion shows', async () => {
    const r = await issue(svc, zrzy);
    expect(r.status).toBe(201);
    await svc.log.run();
    const { db, config } = getDeps();
    for (const key of [receiptKey(r.body), checksKey(r.body)])
      await db.send(new DeleteCommand({ TableName: config.tables.receipts, Key: key }));
    await svc.log.run();
    const head = verifyCheckpoint(new TextDecoder().decode((await fetchBytes('/log/checkpoint')).bytes), {
      origin: (await svc.api('GET', '/v1/keys')).body.log.vkey.split('+')[0],
      logKeys: [(await svc.api('GET', '/v1/keys')).body.log.vkey],
    }).checkpoint;
    // What `log audit` does against the ledger: every logged receipt must still be there.
    const missing = [];
    for (const e of await servedEntries(head.size))
      if (e.type === 'receipt' && !(await getDeps().receipts.getReceipt(e)))
        missing.push(`${e.code}/${e.number}`);
    expect(missing).toEqual([`${r.body.code}/${r.body.number}`]);
  });
});
