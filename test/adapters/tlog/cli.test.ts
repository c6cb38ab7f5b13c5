import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryTileStore } from '../../../lambdas/adapters/tlog/directory-store.js';
import { integrate } from '../../../lambdas/adapters/tlog/integrator.js';
import { witnessHook } from '../../../lambdas/adapters/tlog/witness-client.js';
import { encodeEntry } from '../../../lambdas/core/tlog/entries.js';
import { ed25519Signer } from '../../../lambdas/core/tlog/note.js';
import { inclusionProof } from '../../../lambdas/core/tlog/proof.js';
import { formatTlogProof } from '../../../lambdas/core/tlog/proof-bundle.js';
import { withTiles } from '../../../lambdas/core/tlog/tiles.js';
import { runCli as cli } from '../../support/cli.js';
import { MemorySequence, tempDir } from './support.js';

const ORIGIN = 'feeproof.test/cli';
const signer = ed25519Signer(ORIGIN, new Uint8Array(32).fill(11));
const entry = (i: number, tag = 'e') =>
  encodeEntry({
    v: 1,
    type: 'range',
    event: 'allocated',
    rangeId: `${tag}${i}`,
    department: 'ZRZY',
    code: '11010126',
    first: 1,
    last: 100,
  });

async function makeLog(n: number, tag = 'e') {
  const dir = join(tempDir('cli-log'), 'log');
  const sequence = new MemorySequence();
  const store = new DirectoryTileStore(dir);
  for (let i = 0; i < n; i++) sequence.append(entry(i, tag));
  await integrate({ origin: ORIGIN, signer, sequence, store });
  return { dir, sequence, store };
}

describe('feeproof witness serve and feeproof log verify', () => {
  it('verifies a log directory, remembers it, catches a fork, and checks a cosigned checkpoint', async () => {
    const log = await makeLog(300);
    const state = join(tempDir('cli-state'), 'state.json');
    const ok = await cli(['log', 'verify', '--dir', log.dir, '--key', signer.vkey, '--state', state]);
    expect(ok.stdout).toMatch(/pass {2}checkpoint signatures: size 300/);
    expect(ok.stdout).toMatch(/pass {2}tiles/);
    expect(ok.status).toBe(0);
    // A second log under the same key with other entries: not an extension of what was seen.
    const fork = await makeLog(310, 'f');
    const forked = await cli(['log', 'verify', '--dir', fork.dir, '--key', signer.vkey, '--state', state]);
    expect(forked.stdout).toMatch(/FAIL {2}consistency with the last checkpoint seen/);
    expect(forked.status).toBe(1);
    // Unusable input: exit 2.
    expect((await cli(['log', 'verify', '--dir', log.dir, '--key', 'nonsense'])).status).toBe(2);
    expect((await cli(['log', 'verify', '--dir', log.dir])).status).toBe(2);

    // A witness run from the CLI cosigns the log; log verify then asks for a quorum of one.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'bin/feeproof.ts',
        'witness',
        'serve',
        '--name',
        'court.test/w',
        '--logs',
        signer.vkey,
        '--port',
        '0',
        '--dir',
        tempDir('cli-w'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      let err = '';
      const banner = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          err += d;
          if (/its vkey: \S+\n/.test(err)) resolve(err);
        });
        child.on('exit', () => reject(new Error(err)));
      });
      const url = /serving on (\S+)/.exec(banner)![1]!;
      const wkey = /its vkey: (\S+)/.exec(banner)![1]!;
      for (let i = 300; i < 320; i++) log.sequence.append(entry(i));
      await integrate({
        origin: ORIGIN,
        signer,
        sequence: log.sequence,
        store: log.store,
        witness: witnessHook([{ url, vkey: wkey }], log.store),
      });
      const args = [
        'log',
        'verify',
        '--dir',
        log.dir,
        '--key',
        signer.vkey,
        '--witnesses',
        wkey,
        '--quorum',
        '1',
        '--state',
        state,
      ];
      // The state now holds the fork's size 310; reset it to the genuine log's.
      writeFileSync(state, '');
      const cosigned = await cli(args);
      expect(cosigned.stdout).toMatch(/size 320, signed by the log and 1 witness\(es\): court\.test\/w/);
      expect(cosigned.status).toBe(0);

      // Inclusion: a .tlog-proof for entry 17.
      const checkpoint = (await log.store.readCheckpoint())!.note;
      const proof = await withTiles(
        320,
        (t) => log.store.readTile(t),
        (r) => inclusionProof(r, 17, 320),
      );
      const file = join(tempDir('cli-proof'), 'r.tlog-proof');
      writeFileSync(file, formatTlogProof({ index: 17, proof, checkpoint }));
      const included = await cli([...args, '--proof', file]);
      expect(included.stdout).toMatch(/pass {2}inclusion proof: entry 17 is in the tree of size 320/);
      writeFileSync(file, formatTlogProof({ index: 18, proof, checkpoint }));
      expect((await cli([...args, '--proof', file])).stdout).toMatch(
        /FAIL {2}inclusion proof: bad_inclusion_proof/,
      );
    } finally {
      child.kill();
    }
  });
});
