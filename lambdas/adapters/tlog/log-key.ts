import { join } from 'node:path';
import { ed25519Signer, type NoteSigner } from '../../core/tlog/note.js';
import { ed25519KeyFile } from './key-file.js';

/** Where the local log key lives under the data directory. */
export const logKeyPath = (dataDir: string) => join(dataDir, 'log-key.pem');

/**
 * The local log key: Ed25519 in a key file under the data directory (KMS ECC_NIST_EDWARDS25519
 * in AWS). The key name is the log's origin, so the checkpoint's signature line names the log.
 */
export async function openLogKey(keyPath: string, origin: string): Promise<NoteSigner & { vkey: string }> {
  return ed25519Signer(origin, await ed25519KeyFile(keyPath));
}
