import {
  GetPublicKeyCommand,
  type KeySpec,
  type KMSClient,
  SignCommand,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { type Signer, SignerError } from '../../core/signer.js';

export interface KmsSignerOptions {
  client: KMSClient;
  /** Key ARN, key id or alias of a SIGN_VERIFY key (ECC_NIST_P256 for createKmsSigner). */
  keyId: string;
  /** Attempts per call, the first included (default 4). */
  maxAttempts?: number;
  /** Backoff base and cap in ms: the n-th retry waits random(0, min(cap, base * 2^n)). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** Errors worth another try: throttling, KMS-side faults, timeouts, dropped connections. */
const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

interface AwsLikeError {
  name?: string;
  code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

export function isRetryableKmsError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as AwsLikeError;
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  if (e.code && RETRYABLE_CODES.has(e.code)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  return status === 429 || (status !== undefined && status >= 500);
}

/** What an asymmetric KMS key must be, and how it is asked to sign. */
export interface KmsKeyKind {
  keySpec: KeySpec;
  signingAlgorithm: SigningAlgorithmSpec;
}

/**
 * An asymmetric KMS signing key with this adapter's retries: Sign (MessageType DIGEST) and
 * GetPublicKey (cached; the key spec checked). The P-256 signer below and the SM2 signer
 * (kms-sm2-signer.ts) are this with their key spec and algorithm. The client's own retries
 * still apply beneath ours; construct it with `maxAttempts: 1` to leave backoff to this adapter.
 */
export function kmsSigningKey(options: KmsSignerOptions, kind: KmsKeyKind) {
  const { client, keyId } = options;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 2_000;

  async function withRetries<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (err instanceof SignerError) throw err;
        const retryable = isRetryableKmsError(err);
        if (!retryable || attempt >= maxAttempts) {
          const name = (err as AwsLikeError | null)?.name ?? 'Error';
          const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
          throw new SignerError(`KMS ${what} failed${tries}: ${name}`, retryable, { cause: err });
        }
        const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
      }
    }
  }

  let publicKey: Promise<Uint8Array> | undefined;
  async function fetchPublicKey(): Promise<Uint8Array> {
    const out = await withRetries('GetPublicKey', () =>
      client.send(new GetPublicKeyCommand({ KeyId: keyId })),
    );
    if (!out.PublicKey) throw new SignerError('KMS GetPublicKey returned no key', true);
    if (out.KeySpec !== kind.keySpec || out.KeyUsage !== 'SIGN_VERIFY')
      throw new SignerError(
        `KMS key ${keyId} is ${out.KeySpec}/${out.KeyUsage}, not ${kind.keySpec}/SIGN_VERIFY`,
        false,
      );
    return out.PublicKey;
  }

  return {
    keyId,
    /** Signs a digest the caller computed (MessageType DIGEST); returns KMS's DER signature. */
    async signDigest(digest: Uint8Array): Promise<Uint8Array> {
      const out = await withRetries('Sign', () =>
        client.send(
          new SignCommand({
            KeyId: keyId,
            Message: digest,
            MessageType: 'DIGEST',
            SigningAlgorithm: kind.signingAlgorithm,
          }),
        ),
      );
      if (!out.Signature) throw new SignerError('KMS Sign returned no signature', true);
      return out.Signature;
    },
    async publicKeySpki(): Promise<Uint8Array> {
      // Cached for the life of the signer; a failed fetch is forgotten so the next call tries again.
      publicKey ??= fetchPublicKey().catch((err) => {
        publicKey = undefined;
        throw err;
      });
      return (await publicKey).slice();
    },
  };
}

/**
 * Signs with an AWS KMS ECC_NIST_P256 key: ECDSA_SHA_256, MessageType DIGEST, so only the
 * 32-byte SHA-256 digest is sent.
 */
export function createKmsSigner(options: KmsSignerOptions): Signer {
  const key = kmsSigningKey(options, { keySpec: 'ECC_NIST_P256', signingAlgorithm: 'ECDSA_SHA_256' });
  return {
    keyId: key.keyId,
    async signDigest(digest) {
      if (digest.length !== 32) throw new RangeError(`a SHA-256 digest is 32 bytes, got ${digest.length}`);
      return key.signDigest(digest);
    },
    publicKeySpki: () => key.publicKeySpki(),
  };
}
