import { type KmsSignerOptions, kmsSigningKey } from './kms-signer.js';
import { SM2_DEFAULT_ID, type Sm2Signer } from './sm2.js';

/**
 * An Sm2Signer over an AWS KMS key of key spec SM2 (China Regions only): SigningAlgorithm SM2DSA
 * with MessageType DIGEST. KMS then signs the 32 bytes as the e of GB/T 32918.2 §6.1, which the
 * caller computes as SM3(Z_A ‖ M), Z_A from the key's public key and the distinguishing ID
 * (signSm2Message, sm2.ts) — so the message never leaves the process, and the signature
 * verifies with verifySm2 and the same ID. With MessageType RAW KMS would compute Z itself, with
 * the default ID 1234567812345678 only; DIGEST keeps the ID ours to state (the default here too).
 * See https://docs.aws.amazon.com/kms/latest/developerguide/offline-operations.html
 * ("Offline verification with SM2 key pairs").
 */
export function createKmsSm2Signer(options: KmsSignerOptions & { id?: string }): Sm2Signer {
  const key = kmsSigningKey(options, { keySpec: 'SM2', signingAlgorithm: 'SM2DSA' });
  return {
    algorithm: 'SM2_SM3',
    keyId: key.keyId,
    id: options.id ?? SM2_DEFAULT_ID,
    async signDigest(e) {
      if (e.length !== 32) throw new RangeError(`an SM3 digest is 32 bytes, got ${e.length}`);
      return key.signDigest(e);
    },
    publicKeySpki: () => key.publicKeySpki(),
  };
}
