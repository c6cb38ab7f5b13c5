import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryTileStore } from '../../../lambdas/adapters/tlog/directory-store.js';
import { integrate } from '../../../lambdas/adapters/tlog/integrator.js';
import { ed25519Signer } from '../../../lambdas/core/tlog/note.js';
import { entryBytes, MemorySequence, tempDir } from './support.js';

const ORIGIN = 'feeproof.test/log';
const signer = ed25519Signer(ORIGIN, new Uint8Array(32).fill(7));

/** A store whose log has published one head of `size` entries; `hint`: the head hint's file. */
async function publishedLog(size: number) {
  const store = new DirectoryTileStore(join(tempDir('directory-store'), 'log'));
  const sequence = new MemorySequence();
  sequence.append(...Array.from({ length: size }, (_, i) => entryBytes(i)));
  const publish = () => integrate({ origin: ORIGIN, signer, sequence, store });
  expect((await publish()).published).toBe(true);
  return { store, sequence, publish, hint: join(store.root, '..', 'log-state', 'heads', 'latest') };
}

describe('the directory tile store', () => {
  it('is read without a write: the writer moves the head hint as it publishes', async () => {
    const { store, sequence, publish, hint } = await publishedLog(3);
    expect(readFileSync(hint, 'utf8')).toBe('1');
    const written = statSync(hint).ino; // a rewrite replaces the file (a new inode)
    const head = await store.readCheckpoint();
    expect(head?.checkpoint.size).toBe(3);
    for (let i = 0; i < 3; i++) expect((await store.readCheckpoint())?.note).toBe(head?.note);
    expect(statSync(hint).ino).toBe(written);
    // A new head moves the hint as it is published, before anyone reads it.
    sequence.append(entryBytes(3));
    await publish();
    expect(readFileSync(hint, 'utf8')).toBe('2');
    expect((await store.readCheckpoint())?.checkpoint.size).toBe(4);
  });

  it('finds a head published after the hint, when a crash kept the writer from moving it', async () => {
    const { store, sequence, publish, hint } = await publishedLog(1);
    writeFileSync(hint, '0'); // as a crash between the head and its hint leaves it
    sequence.append(entryBytes(1));
    expect((await publish()).checkpoint?.checkpoint.size).toBe(2);
    expect((await store.readCheckpoint())?.checkpoint.size).toBe(2);
    expect(readFileSync(hint, 'utf8')).toBe('2');
  });

  it("finds its heads under a hint past them (as another directory's would be), and publishes after them", async () => {
    const { store, sequence, publish, hint } = await publishedLog(1);
    writeFileSync(hint, '7');
    expect((await store.readCheckpoint())?.checkpoint.size).toBe(1);
    sequence.append(entryBytes(1));
    expect((await publish()).published).toBe(true);
    expect(readFileSync(hint, 'utf8')).toBe('2');
  });
});
