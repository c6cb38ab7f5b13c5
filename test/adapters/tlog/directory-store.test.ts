import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryTileStore } from '../../../lambdas/adapters/tlog/directory-store.js';
import { integrate } from '../../../lambdas/adapters/tlog/integrator.js';
import { ed25519Signer } from '../../../lambdas/core/tlog/note.js';
import { entryBytes, MemorySequence, tempDir } from './support.js';

const ORIGIN = 'feeproof.test/log';
const signer = ed25519Signer(ORIGIN, new Uint8Array(32).fill(7));

describe('the directory tile store', () => {
  it('reads the checkpoint of an unchanged log without rewriting its head hint', async () => {
    const store = new DirectoryTileStore(join(tempDir('directory-store'), 'log'));
    const sequence = new MemorySequence();
    sequence.append(entryBytes(0), entryBytes(1), entryBytes(2));
    expect((await integrate({ origin: ORIGIN, signer, sequence, store })).published).toBe(true);
    const hint = join(store.root, '..', 'log-state', 'heads', 'latest');
    const head = await store.readCheckpoint(); // brings a lagging hint up to date, once
    expect(head?.checkpoint.size).toBe(3);
    const written = statSync(hint).ino; // a rewrite replaces the file (a new inode)
    for (let i = 0; i < 3; i++) expect((await store.readCheckpoint())?.note).toBe(head?.note);
    expect(statSync(hint).ino).toBe(written);
    expect(readFileSync(hint, 'utf8')).toBe('1');
    // A new head moves the hint again on the next read.
    sequence.append(entryBytes(3));
    await integrate({ origin: ORIGIN, signer, sequence, store });
    expect((await store.readCheckpoint())?.checkpoint.size).toBe(4);
    expect(readFileSync(hint, 'utf8')).toBe('2');
  });
});
