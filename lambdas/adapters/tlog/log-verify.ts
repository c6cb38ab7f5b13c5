import { join } from 'node:path';
import { type CheckpointPolicy, parseCheckpoint, verifyCheckpoint } from '../../core/tlog/checkpoint.js';
import { decodeEntry } from '../../core/tlog/entries.js';
import { TlogError } from '../../core/tlog/errors.js';
import { fromBase64, hashesEqual, leafHash, toBase64 } from '../../core/tlog/hash.js';
import { parseNote } from '../../core/tlog/note.js';
import { consistencyProof, treeHash, verifyConsistency } from '../../core/tlog/proof.js';
import { parseTlogProof, verifyTlogProof } from '../../core/tlog/proof-bundle.js';
import { bundleOf, checkReceiptEntry, type ExpectedReceipt } from '../../core/tlog/receipt-inclusion.js';
import { decodeBundle, TILE_WIDTH, type TileId, tilePath, withTiles } from '../../core/tlog/tiles.js';
import { readOrNull, readText, replaceFile } from './files.js';

/** Where a verifier reads a log: a tlog-tiles URL prefix or a directory laid out the same way. */
export interface LogSource {
  name: string;
  read(path: string): Promise<Uint8Array | null>;
}

export const directorySource = (dir: string): LogSource => ({
  name: dir,
  read: (p) => readOrNull(join(dir, p)),
});

export function urlSource(prefix: string): LogSource {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return {
    name: prefix,
    read: async (p) => {
      const res = await fetch(new URL(p, base));
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`GET ${new URL(p, base)} answered ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

/** A partial tile may have been replaced by the full one (tlog-tiles lets clients fall back). */
async function readTile(source: LogSource, tile: TileId): Promise<Uint8Array | null> {
  return (
    (await source.read(tilePath(tile))) ??
    (tile.width < TILE_WIDTH ? source.read(tilePath({ ...tile, width: TILE_WIDTH })) : null)
  );
}

export interface VerifyLogOptions {
  source: LogSource;
  policy: CheckpointPolicy;
  /** A small JSON file with the last checkpoint seen: the new one must be consistent with it. */
  statePath?: string;
  /** A c2sp.org/tlog-proof@v1 file to check inclusion of. */
  proof?: string;
  /** A receipt to check inclusion of, through the service's API (its holder's check code). */
  receipt?: ReceiptQuery;
}

/** A receipt as its holder names it, and the API base (`BASE/v1/verify`) that answers for it. */
export interface ReceiptQuery {
  code: string;
  number: string;
  checkCode: string;
  api: string;
}

/** GET /v1/verify and /v1/verify/log-proof for the receipt; a TlogError when either has no proof to give. */
async function fetchReceiptProof(r: ReceiptQuery): Promise<{ proof: string; commitment: string }> {
  const base = r.api.endsWith('/') ? r.api : `${r.api}/`;
  const query = new URLSearchParams({ code: r.code, number: r.number, checkCode: r.checkCode });
  const get = (path: string) => fetch(new URL(`${path}?${query}`, base));
  const answer = await get('v1/verify');
  if (answer.status === 404)
    throw new TlogError('unknown_receipt', `no receipt ${r.code}/${r.number} with this check code`);
  if (!answer.ok) throw new Error(`GET ${base}v1/verify answered ${answer.status}`);
  const body = (await answer.json()) as { log?: { commitment: string } };
  if (!body.log)
    throw new TlogError(
      'unknown_receipt',
      `receipt ${r.code}/${r.number} was completed before the log existed`,
    );
  const res = await get('v1/verify/log-proof');
  if (res.status === 409 || res.status === 404)
    throw new TlogError(
      res.status === 409 ? 'not_in_checkpoint' : 'unknown_receipt',
      ((await res.json()) as { message: string }).message,
    );
  if (!res.ok) throw new Error(`GET ${base}v1/verify/log-proof answered ${res.status}`);
  return { proof: await res.text(), commitment: body.log.commitment };
}

/**
 * Checks a tlog-proof against the log: the entry at its index (from the bundle of a tree of
 * `size`) is in the tree the proof's checkpoint signs; with `receipt`, that entry is that
 * receipt's, with the commitment the service computes from the stored receipt now.
 */
async function checkInclusion(
  source: LogSource,
  size: number,
  proofText: string,
  policy: CheckpointPolicy,
  receipt?: ExpectedReceipt,
): Promise<string> {
  const { index } = parseTlogProof(proofText);
  if (index >= size) throw new TlogError('size_out_of_range', `entry ${index} is beyond the log's ${size}`);
  const bundle = await readTile(source, bundleOf(index, size));
  const entry = bundle ? decodeBundle(bundle)[index % TILE_WIDTH] : undefined;
  if (!entry) throw new TlogError('malformed_tile', `the log serves no entry ${index}`);
  if (receipt) checkReceiptEntry(entry, index, receipt);
  const v = verifyTlogProof(proofText, leafHash(entry), policy);
  return `entry ${index} is in the tree of size ${v.checkpoint.size}: ${JSON.stringify(decodeEntry(entry))}`;
}

export interface Check {
  ok: boolean;
  name: string;
  detail: string;
}

/** Runs every check it can, reporting each; throws only for unusable input (no checkpoint). */
export async function verifyLog(o: VerifyLogOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const check = async (name: string, f: () => Promise<string>) => {
    try {
      checks.push({ ok: true, name, detail: await f() });
      return true;
    } catch (e) {
      if (!(e instanceof TlogError)) throw e;
      checks.push({ ok: false, name, detail: `${e.code}: ${e.message}` });
      return false;
    }
  };
  const raw = await o.source.read('checkpoint');
  if (!raw) throw new Error(`no checkpoint at ${o.source.name}`);
  const note = new TextDecoder().decode(raw);
  let cp = parseCheckpoint(parseNote(note).text);
  const signed = await check('checkpoint signatures', async () => {
    const v = verifyCheckpoint(note, o.policy);
    cp = v.checkpoint;
    const w = v.cosignatures.map((c) => `${c.name} at ${new Date(c.timestamp * 1000).toISOString()}`);
    return `size ${cp.size}, signed by the log${w.length ? ` and ${w.length} witness(es): ${w.join(', ')}` : ''}`;
  });
  if (!signed) return checks;
  const tile = (t: TileId) => readTile(o.source, t);
  await check('tiles', async () => {
    if (cp.size === 0) return 'empty tree';
    const root = await withTiles(cp.size, tile, (r) => treeHash(r, cp.size));
    if (!hashesEqual(root, cp.rootHash))
      throw new TlogError('inconsistent', 'the tiles do not hash to the checkpoint root');
    return 'the served tiles hash to the checkpoint root';
  });
  if (o.statePath) {
    const ok = await check('consistency with the last checkpoint seen', async () => {
      const text = await readText(o.statePath!);
      if (!text) return `no state file yet: remembering size ${cp.size}`;
      const last = JSON.parse(text) as { origin: string; size: number; rootHash: string };
      if (last.origin !== cp.origin)
        throw new TlogError('unknown_origin', `the state file is for ${last.origin}`);
      if (last.size > cp.size)
        throw new TlogError(
          'inconsistent',
          `the log shrank from ${last.size} to ${cp.size}: it was rolled back`,
        );
      const lastRoot = fromBase64(last.rootHash)!;
      if (last.size === 0 || last.size === cp.size) {
        if (last.size === cp.size && !hashesEqual(lastRoot, cp.rootHash))
          throw new TlogError('inconsistent', `two different trees of size ${cp.size}: the log forked`);
        return `size ${last.size} -> ${cp.size}`;
      }
      const proof = await withTiles(cp.size, tile, (r) => consistencyProof(r, last.size, cp.size));
      verifyConsistency(last.size, cp.size, lastRoot, cp.rootHash, proof);
      return `size ${last.size} -> ${cp.size} is an append-only extension`;
    });
    if (ok)
      await replaceFile(
        o.statePath,
        Buffer.from(
          `${JSON.stringify({ origin: cp.origin, size: cp.size, rootHash: toBase64(cp.rootHash), note })}\n`,
        ),
      );
  }
  if (o.proof) {
    const proofText = o.proof;
    await check('inclusion proof', () => checkInclusion(o.source, cp.size, proofText, o.policy));
  }
  if (o.receipt) {
    const r = o.receipt;
    await check(`receipt ${r.code}/${r.number} in the log`, async () => {
      const { proof, commitment } = await fetchReceiptProof(r);
      // The proof's checkpoint may be newer than the one read above: read the bundle as it
      // stood at the proof's (its signature is checked with the proof).
      const size = parseCheckpoint(parseNote(parseTlogProof(proof).checkpoint).text).size;
      return checkInclusion(o.source, size, proof, o.policy, { ...r, commitment });
    });
  }
  return checks;
}
