import { type Signer, SignerError } from '../../lambdas/core/signer.js';

/**
 * The signer as a KMS key is seen (digest-only, no native signMessageSha256), whose every
 * signature fails with a retryable SignerError when `fails()` says so. Dropping the native path
 * matters: a fault on signDigest alone would be bypassed by the local key's signMessageSha256.
 */
export function faultySigner(signer: Signer, fails: () => boolean, message = 'KMS unavailable'): Signer {
  return {
    keyId: signer.keyId,
    publicKeySpki: () => signer.publicKeySpki(),
    signDigest: (digest) =>
      fails() ? Promise.reject(new SignerError(message, true)) : signer.signDigest(digest),
  };
}
