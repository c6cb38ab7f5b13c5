import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { computeKeyId, formatVkey, type NoteSigner, SIG_ED25519 } from '../../core/tlog/note.js';

/** The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw 32-byte key follows. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const SIGNATURE_SIZE = 64;

/** The log key in KMS is not what the log needs (wrong spec, or a KMS answer that is not Ed25519). */
export class LogKeyError extends Error {
  override name = 'LogKeyError';
  readonly code = 'log_key_unusable';
}

/**
 * The log's signer in AWS: a KMS key of spec ECC_NIST_EDWARDS25519 signs the note text itself
 * (ED25519_SHA_512, MessageType RAW: plain Ed25519, byte-identical to the key-file signer), so
 * the private key never leaves KMS. The verifier key comes from GetPublicKey (SPKI -> the raw
 * 32 bytes); the key name is the log's origin.
 */
export async function kmsNoteSigner(
  kms: KMSClient,
  keyId: string,
  name: string,
): Promise<NoteSigner & { vkey: string }> {
  const { PublicKey, KeySpec } = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (KeySpec !== 'ECC_NIST_EDWARDS25519')
    throw new LogKeyError(`the log key ${keyId} is ${KeySpec}, not ECC_NIST_EDWARDS25519`);
  const spki = Buffer.from(PublicKey ?? []);
  if (spki.length !== ED25519_SPKI_PREFIX.length + 32 || !spki.subarray(0, 12).equals(ED25519_SPKI_PREFIX))
    throw new LogKeyError(`the public key of ${keyId} is not an Ed25519 SubjectPublicKeyInfo`);
  const publicKey = new Uint8Array(spki.subarray(ED25519_SPKI_PREFIX.length));
  return {
    name,
    keyId: computeKeyId(name, SIG_ED25519, publicKey),
    vkey: formatVkey(name, SIG_ED25519, publicKey),
    sign: async (text) => {
      const out = await kms.send(
        new SignCommand({
          KeyId: keyId,
          Message: new TextEncoder().encode(text),
          MessageType: 'RAW',
          SigningAlgorithm: 'ED25519_SHA_512',
        }),
      );
      const signature = out.Signature;
      if (signature?.length !== SIGNATURE_SIZE)
        throw new LogKeyError(`KMS answered a ${signature?.length ?? 0}-byte signature, not Ed25519's 64`);
      return signature;
    },
  };
}
