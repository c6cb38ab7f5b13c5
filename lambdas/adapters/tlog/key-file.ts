import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * An Ed25519 private key in a PKCS#8 PEM file, created on first use with mode 0600, the way
 * lambdas/adapters/signing/local-signer.ts keeps the receipt key: written to a private temp file,
 * then hard-linked into place (link() fails if the key exists, so two processes starting at once
 * end up with the same key and a crash never leaves half a key). Returns the 32-byte seed.
 */
export async function ed25519KeyFile(keyPath: string): Promise<Uint8Array> {
  const pem = (await readKeyFile(keyPath)) ?? (await createKeyFile(keyPath));
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  if (der.length !== 48) throw new Error(`${keyPath} is not an Ed25519 key`);
  return new Uint8Array(der.subarray(16));
}

async function readKeyFile(keyPath: string): Promise<string | null> {
  try {
    return await readFile(keyPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function createKeyFile(keyPath: string): Promise<string> {
  await mkdir(dirname(keyPath), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const tmp = `${keyPath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, pem, { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600);
  try {
    await link(tmp, keyPath);
    return pem;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readFile(keyPath, 'utf8');
  } finally {
    await unlink(tmp);
  }
}
