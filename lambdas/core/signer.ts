/**
 * The signing port. Adapters: AWS KMS (asymmetric ECC_NIST_P256 key, ECDSA_SHA_256,
 * MessageType DIGEST) and a local key file. Both sign a SHA-256 digest that the caller has
 * already computed, so the document itself never leaves the process.
 */
export interface Signer {
  /** A stable identifier of the key: the KMS key ARN, or `local:<fingerprint>`. */
  readonly keyId: string;
  /** ECDSA P-256 over a 32-byte SHA-256 digest; returns the DER-encoded (r, s) signature. */
  signDigest(digest: Uint8Array): Promise<Uint8Array>;
  /** The public key as DER SubjectPublicKeyInfo. */
  publicKeySpki(): Promise<Uint8Array>;
  /**
   * Optional: ECDSA P-256 with SHA-256 over a message the signer hashes itself (same signature
   * as signDigest(sha256(message))). A local key signs this way natively (node:crypto), some
   * twenty times faster than signDigest's pure-JavaScript path; KMS does not offer it.
   */
  signMessageSha256?(message: Uint8Array): Promise<Uint8Array>;
}

/** Thrown by signer adapters; never a client's fault, so the HTTP layer answers 503. */
export class SignerError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SignerError';
  }
}
