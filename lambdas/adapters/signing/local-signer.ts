import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import type { Signer } from '../../core/signer.js';
import { readOrCreateKeyFile } from '../key-file.js';
import { localKeyId, p256KeyFromPem, signP256Digest } from './p256.js';

/**
 * The local signer: a P-256 key in a PKCS#8 PEM file, created on first use with mode 0600.
 * Same algorithm as the KMS key (ECDSA over a SHA-256 digest, DER signature).
 */
export async function openLocalSigner(keyPath: string): Promise<Signer> {
  const pem = await readOrCreateKeyFile(keyPath, () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
  );
  const key = p256KeyFromPem(pem);
  const keyId = localKeyId(key.spki);
  const privateKey = createPrivateKey(pem);
  return {
    keyId,
    signDigest: async (digest) => signP256Digest(digest, key.secretKey),
    // node:crypto hashes the message itself: the PDF signatures' CMS takes this path.
    signMessageSha256: async (message) => new Uint8Array(sign('sha256', message, privateKey)),
    publicKeySpki: async () => key.spki.slice(),
  };
}
