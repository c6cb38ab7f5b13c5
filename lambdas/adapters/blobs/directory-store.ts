import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { BlobStore } from '../../core/ports.js';
import { BlobConflictError, checkedBlobKey, sameBytes } from './blob-keys.js';

/** Directories a store remembers having made: a receipt directory holds a thousand PDFs. */
const MAX_KNOWN = 10_000;

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * A storage fault (disk full, I/O error): the blob store is unavailable, which the API answers
 * with 503 and a retry, as it does for DynamoDB (the receipt stays pending for recovery).
 */
function unavailable(e: unknown, key: string): Error {
  return Object.assign(
    new Error(`blob store unavailable for ${key}: ${(e as Error).message}`, { cause: e }),
    {
      name: 'ServiceUnavailable',
    },
  );
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The directories to fsync once a file is linked into `fileDirectory`, when `mkdir -p` made
 * `firstCreated` (and any directories under it) for it: the file's own directory, then the
 * parent of each directory made, deepest first. A new directory's entry is durable only once
 * its parent is synced (POSIX), so naming the file durably needs the whole new chain synced.
 */
export function directoriesToSync(fileDirectory: string, firstCreated: string | undefined): string[] {
  const out = [fileDirectory];
  if (!firstCreated) return out;
  const top = dirname(resolve(firstCreated));
  for (let dir = resolve(fileDirectory); dir !== top && dir !== dirname(dir); ) {
    dir = dirname(dir);
    out.push(dir);
  }
  return out;
}

/**
 * fsyncs of directories, shared: a caller gets the first fsync of its directory that starts
 * after its call (one already running may have missed its entry), so writers that arrive while
 * one runs all wait for the next, one fsync for them all.
 */
export class DirectorySyncs {
  constructor(private readonly fsync: (dir: string) => Promise<void> = fsyncPath) {}
  private readonly running = new Map<string, Promise<void>>();
  private readonly next = new Map<string, Promise<void>>();

  sync(dir: string): Promise<void> {
    const waiting = this.next.get(dir);
    if (waiting) return waiting;
    const before = this.running.get(dir) ?? Promise.resolve();
    const sync: Promise<void> = before
      .catch(() => undefined) // its callers have its failure; this one tries afresh
      .then(() => {
        this.next.delete(dir);
        this.running.set(dir, sync);
        return this.fsync(dir);
      })
      .finally(() => {
        if (this.running.get(dir) === sync) this.running.delete(dir);
      });
    this.next.set(dir, sync);
    return sync;
  }
}

/**
 * Blobs as files under a directory (the local default, under the data directory). A blob is
 * written to a temp file and fsynced, then linked to its name: link, unlike rename, fails when
 * the name exists, so of two writers racing for one key (a retry and recovery, in two server
 * processes) exactly one wins and the other compares bytes. The directory is fsynced after,
 * and the parent of each directory made for it (directoriesToSync). Directories this store has
 * made or found are not made again, and writers waiting on one directory's fsync share it
 * (DirectorySyncs): a busy issuer pays one mkdir per directory and fewer fsyncs than files.
 */
export class DirectoryBlobStore implements BlobStore {
  private readonly root: string;
  /** Directories known to exist: made, or found, by this store (forgotten past MAX_KNOWN). */
  private readonly made = new Set<string>();
  private readonly syncs = new DirectorySyncs();
  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    return join(this.root, checkedBlobKey(key));
  }

  /**
   * Opens a new temp file in `directory`, making the directory unless this store has made or
   * found it (or it has been removed since); `created`: the first directory mkdir made.
   */
  private async createTemp(temp: string, directory: string) {
    if (this.made.has(directory))
      try {
        return { handle: await open(temp, 'wx', 0o644), created: undefined };
      } catch (e) {
        if (code(e) !== 'ENOENT') throw e;
        this.made.delete(directory);
      }
    const created = await mkdir(directory, { recursive: true });
    if (this.made.size >= MAX_KNOWN) this.made.clear();
    this.made.add(directory);
    return { handle: await open(temp, 'wx', 0o644), created };
  }

  /** A file keeps no content type; the key's extension says it. */
  async putOnce(key: string, bytes: Uint8Array, _contentType?: string): Promise<void> {
    const path = this.path(key);
    const directory = dirname(path);
    const temp = join(directory, `.tmp-${randomBytes(8).toString('hex')}`);
    try {
      const { handle, created } = await this.createTemp(temp, directory);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await link(temp, path);
      } catch (e) {
        if (code(e) !== 'EEXIST') throw e;
        if (!sameBytes(await readFile(path), bytes)) throw new BlobConflictError(key);
        return;
      }
      for (const dir of directoriesToSync(directory, created)) await this.syncs.sync(dir);
    } catch (e) {
      throw e instanceof BlobConflictError ? e : unavailable(e, key);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const path = this.path(key);
    try {
      return new Uint8Array(await readFile(path));
    } catch (e) {
      if (code(e) === 'ENOENT') return undefined;
      throw unavailable(e, key);
    }
  }

  async exists(key: string): Promise<boolean> {
    const path = this.path(key);
    try {
      return (await stat(path)).isFile();
    } catch (e) {
      if (code(e) === 'ENOENT') return false;
      throw unavailable(e, key);
    }
  }
}
