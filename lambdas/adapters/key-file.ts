import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A private key file (PEM), read, or created on first use with mode 0600: `make()` is written
 * to a private temp file, then hard-linked into place. link() fails when the file exists, so a
 * key is never overwritten, two processes starting at once end up with the same key, and a
 * crash never leaves half a key. The one home of this scheme for every local key (the receipt
 * key, department keys, the transparency log's key).
 */
export async function readOrCreateKeyFile(path: string, make: () => string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const pem = make();
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, pem, { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600); // the umask may have removed bits, never added them; be explicit anyway
  try {
    await link(tmp, path);
    return pem;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readFile(path, 'utf8');
  } finally {
    await unlink(tmp);
  }
}
