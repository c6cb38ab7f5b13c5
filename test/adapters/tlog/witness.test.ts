import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryTileStore } from '../../../lambdas/adapters/tlog/directory-store.js';
import { integrate } from '../../../lambdas/adapters/tlog/integrator.js';
import { Witness } from '../../../lambdas/adapters/tlog/witness.js';
import { witnessHook } from '../../../lambdas/adapters/tlog/witness-client.js';
import { formatCheckpoint, verifyCheckpoint } from '../../../lambdas/core/tlog/checkpoint.js';
import { sha256 } from '../../../lambdas/core/tlog/hash.js';
import { ed25519Signer, signNote } from '../../../lambdas/core/tlog/note.js';
import type { TileStore } from '../../../lambdas/core/tlog/ports.js';
import { consistencyProof } from '../../../lambdas/core/tlog/proof.js';
import { withTiles } from '../../../lambdas/core/tlog/tiles.js';
import { formatAddCheckpoint } from '../../../lambdas/core/tlog/witness.js';
import { entryBytes, MemorySequence, tempDir } from './support.js';

const ORIGIN = 'feeproof.test/witnessed';
const signer = ed25519Signer(ORIGIN, new Uint8Array(32).fill(7));
const witnessDir = tempDir('witness');
let witness: Witness;
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  witness = await Witness.open({
    name: 'audit.test/w1',
    dir: witnessDir,
    logKeys: [signer.vkey],
    now: () => 1_800_000_000,
  });
  const { server, url: u } = await witness.listen(0);
  url = u;
  close = () => new Promise<void>((r) => server.close(() => r()));
});
afterAll(() => close());

const post = async (body: string | Uint8Array, to = url) => {
  const res = await fetch(`${to}/add-checkpoint`, { method: 'POST', body: body as BodyInit });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
};

function newLog(name: string, entries: (i: number) => Uint8Array = entryBytes) {
  const sequence = new MemorySequence();
  const store = new DirectoryTileStore(join(tempDir(name), 'log'));
  const grow = async (n: number, hook?: Parameters<typeof integrate>[0]['witness']) => {
    for (let k = 0; k < n; k++) sequence.append(entries(sequence.entries.length));
    return integrate({ origin: ORIGIN, signer, sequence, store, witness: hook });
  };
  return { sequence, store, grow };
}

const proofBetween = (store: TileStore, m: number, n: number) =>
  withTiles(
    n,
    (t) => store.readTile(t),
    (r) => consistencyProof(r, m, n),
  );

describe('feeproof witness (C2SP tlog-witness)', () => {
  const policy = () => ({ origin: ORIGIN, logKeys: [signer.vkey], witnessKeys: [witness.vkey], quorum: 1 });

  it('cosigns each consistent checkpoint; the log publishes it cosigned; a fresh client learns the size from a 409', async () => {
    const log = newLog('log');
    const errors: string[] = [];
    const hook = witnessHook([{ url, vkey: witness.vkey }], log.store, (_w, e) => errors.push(e.message));
    const first = await log.grow(10, hook);
    expect(errors).toEqual([]);
    expect(verifyCheckpoint(first.checkpoint!.note, policy()).cosignatures).toEqual([
      { name: 'audit.test/w1', timestamp: 1_800_000_000 },
    ]);
    await log.grow(300, hook);
    // A client that does not know the witness's size starts at 0, is told 310 (a 409), and retries.
    const fresh = witnessHook([{ url, vkey: witness.vkey }], log.store, (_w, e) => errors.push(e.message));
    const third = await log.grow(5, fresh);
    expect(errors).toEqual([]);
    expect(verifyCheckpoint(third.checkpoint!.note, policy()).checkpoint.size).toBe(315);
    expect(witness.record(ORIGIN)!.size).toBe(315);

    // The monitor endpoint serves the latest cosigned checkpoint.
    const hash = createHash('sha256').update(ORIGIN).digest('hex');
    const res = await fetch(`${url}/${hash}/checkpoint`);
    expect(res.status).toBe(200);
    expect(verifyCheckpoint(await res.text(), policy()).checkpoint.size).toBe(315);
    expect((await fetch(`${url}/${'0'.repeat(64)}/checkpoint`)).status).toBe(404);

    // Its record survives a restart, with the same key.
    const reopened = await Witness.open({ name: 'audit.test/w1', dir: witnessDir, logKeys: [signer.vkey] });
    expect(reopened.vkey).toBe(witness.vkey);
    expect(reopened.record(ORIGIN)!.size).toBe(315);

    // A fork (same key, other entries): the witness refuses it, so the log cannot get a
    // cosignature for it, whatever old size it claims.
    const fork = newLog('fork', (i) => new TextEncoder().encode(`forked ${i}`));
    const forkErrors: string[] = [];
    const forkHook = witnessHook([{ url, vkey: witness.vkey }], fork.store, (_w, e) =>
      forkErrors.push(e.message),
    );
    const forked = await fork.grow(320, forkHook);
    expect(forkErrors.join()).toMatch(/422/);
    expect(() => verifyCheckpoint(forked.checkpoint!.note, policy())).toThrow(/0 witness cosignature/);
    const forkNote = forked.checkpoint!.note;
    const direct = await post(
      formatAddCheckpoint({
        oldSize: 315,
        proof: await proofBetween(fork.store, 315, 320),
        checkpoint: forkNote,
      }),
    );
    expect(direct.status).toBe(422);
    expect(witness.record(ORIGIN)!.size).toBe(315);

    // Same size, other root: 422 (the log forked).
    const sameSize = newLog('same', (i) => new TextEncoder().encode(`other ${i}`));
    const other = await sameSize.grow(315);
    expect(
      (await post(formatAddCheckpoint({ oldSize: 315, proof: [], checkpoint: other.checkpoint!.note })))
        .status,
    ).toBe(422);
    // The genuine log at the same size again: 200.
    expect(
      (await post(formatAddCheckpoint({ oldSize: 315, proof: [], checkpoint: third.checkpoint!.note })))
        .status,
    ).toBe(200);
  });

  it('answers every code the spec lists', async () => {
    const own = await Witness.open({ name: 'audit.test/w3', dir: tempDir('w3'), logKeys: [signer.vkey] });
    const { server, url: ownUrl } = await own.listen(0);
    const post3 = (body: string | Uint8Array) => post(body, ownUrl);
    const log = newLog('codes');
    await log.grow(10, witnessHook([{ url: ownUrl, vkey: own.vkey }], log.store));
    const head = (await log.grow(10)).checkpoint!.note;
    const size = own.record(ORIGIN)!.size;
    expect(size).toBe(10);
    // 409: the old size is not the witness's, with its size as text/x.tlog.size.
    const conflict = await post3(formatAddCheckpoint({ oldSize: size + 1, proof: [], checkpoint: head }));
    expect(conflict).toMatchObject({ status: 409, body: `${size}\n` });
    expect(conflict.type).toMatch(/^text\/x\.tlog\.size/);
    // 400: old size above the checkpoint's; malformed bodies.
    expect((await post3(formatAddCheckpoint({ oldSize: 21, proof: [], checkpoint: head }))).status).toBe(400);
    for (const bad of [
      '',
      'old 1\n',
      `old 01\n\n${head}`,
      `old 0\nnot base64\n\n${head}`,
      `old 0\n\nnot a checkpoint\n\n\u2014 x AAAAAAA=\n`,
    ])
      expect((await post3(bad)).status, bad.slice(0, 20)).toBe(400);
    expect((await post3(Uint8Array.of(0xff, 0xfe))).status).toBe(400);
    // 404: a log it does not witness.
    const stranger = ed25519Signer('other.test/log', new Uint8Array(32).fill(8));
    const strangeNote = await signNote(
      formatCheckpoint({ origin: 'other.test/log', size: 1, rootHash: sha256() }),
      [stranger],
    );
    expect(
      (await post3(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: strangeNote }))).status,
    ).toBe(404);
    // 403: not signed by the trusted key (another key under the log's name), or a bad signature.
    const impostor = ed25519Signer(ORIGIN, new Uint8Array(32).fill(9));
    const text = head.slice(0, head.indexOf('\n\n') + 1);
    expect(
      (
        await post3(
          formatAddCheckpoint({ oldSize: size, proof: [], checkpoint: await signNote(text, [impostor]) }),
        )
      ).status,
    ).toBe(403);
    const broken = head.replace(/ (\S{10})(\S)/, (_m, a, b) => ` ${a}${b === 'A' ? 'B' : 'A'}`);
    expect((await post3(formatAddCheckpoint({ oldSize: size, proof: [], checkpoint: broken }))).status).toBe(
      403,
    );
    // 422: a proof that does not verify; a proof from 0; a size-0 checkpoint with a non-empty root.
    {
      const proof = await proofBetween(log.store, size, 20);
      proof[0] = sha256(proof[0]!);
      expect((await post3(formatAddCheckpoint({ oldSize: size, proof, checkpoint: head }))).status).toBe(422);
    }
    const fresh = await Witness.open({ name: 'audit.test/w2', dir: tempDir('w2'), logKeys: [signer.vkey] });
    const add = (b: string) => fresh.addCheckpoint(b);
    expect((await add(formatAddCheckpoint({ oldSize: 0, proof: [sha256()], checkpoint: head }))).status).toBe(
      422,
    );
    const zero = await signNote(
      formatCheckpoint({ origin: ORIGIN, size: 0, rootHash: sha256(Uint8Array.of(1)) }),
      [signer],
    );
    expect((await add(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: zero }))).status).toBe(422);
    expect((await add(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: head }))).status).toBe(200);
    // Other methods and oversized bodies.
    expect((await fetch(`${ownUrl}/add-checkpoint`)).status).toBe(405);
    expect((await post3('x'.repeat(70_000))).status).toBe(413);
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('parses the C2SP example request', async () => {
    const { parseAddCheckpoint } = await import('../../../lambdas/core/tlog/witness.js');
    const { vectors } = await import('../../core/tlog/support.js');
    const r = parseAddCheckpoint(vectors.c2sp.witnessRequest.body);
    expect(r.oldSize).toBe(20852014);
    expect(r.proof).toHaveLength(4);
    expect(formatAddCheckpoint(r)).toBe(vectors.c2sp.witnessRequest.body);
  });
});
