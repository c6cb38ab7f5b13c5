import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { BlobStore } from '../../core/ports.js';
import { BlobConflictError, checkedBlobKey, sameBytes } from './blob-keys.js';

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
 * Blobs as files under a directory (the local default, under the data directory). A blob is
 * written to a temp file and fsynced, then linked to its name: link, unlike rename, fails when
 * the name exists, so of two writers racing for one key (a retry and recovery, in two server
 * processes) exactly one wins and the other compares bytes. The directory is fsynced after.
 */
export class DirectoryBlobStore implements BlobStore {
  private readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    return join(this.root, checkedBlobKey(key));
  }

  /** A file keeps no content type; the key's extension says it. */
  async putOnce(key: string, bytes: Uint8Array, _contentType?: string): Promise<void> {
    const path = this.path(key);
    const temp = join(dirname(path), `.tmp-${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(dirname(path), { recursive: true });
      const handle = await open(temp, 'wx', 0o644);
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
      await fsyncPath(dirname(path));
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
