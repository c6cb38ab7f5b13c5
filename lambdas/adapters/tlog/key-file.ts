import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readOrCreateKeyFile } from '../key-file.js';

/**
 * An Ed25519 private key in a PKCS#8 PEM file, created on first use with mode 0600 the way every
 * local key is (../key-file.ts). Returns the 32-byte seed.
 */
export async function ed25519KeyFile(keyPath: string): Promise<Uint8Array> {
  const pem = await readOrCreateKeyFile(keyPath, () =>
    generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  );
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  if (der.length !== 48) throw new Error(`${keyPath} is not an Ed25519 key`);
  return new Uint8Array(der.subarray(16));
}
