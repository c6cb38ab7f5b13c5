import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Durable file writes for the log and the witness: temp file, fsync, then link or rename, then fsync the directory. */

export async function readOrNull(path: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export const readText = async (path: string) => {
  const b = await readOrNull(path);
  return b === null ? null : Buffer.from(b).toString('utf8');
};

/** Writes to a temp file, fsyncs it, and returns it ready in the same directory. */
async function durableTemp(path: string, bytes: Uint8Array): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

async function syncDir(dir: string) {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Creates the file with these bytes unless it exists (then false): temp + fsync + link. */
export async function writeOnce(path: string, bytes: Uint8Array): Promise<boolean> {
  const tmp = await durableTemp(path, bytes);
  try {
    await link(tmp, path);
    await syncDir(dirname(path));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp);
  }
}

/** Replaces a mutable file atomically: temp + fsync + rename. */
export async function replaceFile(path: string, bytes: Uint8Array) {
  const tmp = await durableTemp(path, bytes);
  await rename(tmp, path);
  await syncDir(dirname(path));
}
