import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Signer } from '../../core/signer.js';
import { localKeyId, p256KeyFromPem, signP256Digest } from './p256.js';

/**
 * The local signer: a P-256 key in a PKCS#8 PEM file, created on first use with mode 0600.
 * Same algorithm as the KMS key (ECDSA over a SHA-256 digest, DER signature).
 */
export async function openLocalSigner(keyPath: string): Promise<Signer> {
  const pem = (await readKeyFile(keyPath)) ?? (await createKeyFile(keyPath));
  const key = p256KeyFromPem(pem);
  const keyId = localKeyId(key.spki);
  return {
    keyId,
    signDigest: async (digest) => signP256Digest(digest, key.secretKey),
    publicKeySpki: async () => key.spki.slice(),
  };
}

async function readKeyFile(keyPath: string): Promise<string | null> {
  try {
    return await readFile(keyPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Writes the new key to a private temp file, then hard-links it into place: link() fails if
 * the key already exists, so two processes starting at once end up with the same key and a
 * crash never leaves a half-written key file behind.
 */
async function createKeyFile(keyPath: string): Promise<string> {
  await mkdir(dirname(keyPath), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const tmp = `${keyPath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, pem, { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600); // the umask may have removed bits, never added them; be explicit anyway
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
