import type { KMSClient } from '@aws-sdk/client-kms';
import { SignerError } from '../../core/signer.js';
import {
  type DepartmentKeyAlgorithm,
  type DepartmentKeys,
  openedOnce,
  p256DepartmentKey,
  sm2DepartmentKey,
} from './department-keys.js';
import { createKmsSigner } from './kms-signer.js';
import { createKmsSm2Signer } from './kms-sm2-signer.js';

export interface KmsDepartmentKeysOptions {
  client: KMSClient;
  /**
   * Department code → the ARN of its current KMS key, as the stack sets FEEPROOF_DEPARTMENT_KEYS.
   * ARNs, not the aliases (`alias/feeproof/<stage>/dept/<CODE>`, which are for people): the key
   * id is what the keyring publishes a key under, so a rotated key must bring a new one.
   */
  keys: Readonly<Record<string, string>>;
  /** ECDSA_P256_SHA256: key spec ECC_NIST_P256; SM2_SM3: key spec SM2 (China Regions). */
  algorithm: DepartmentKeyAlgorithm;
  /** Retries per KMS call (kms-signer.ts); tests set a short backoff. */
  maxAttempts?: number;
  baseDelayMs?: number;
}

/** A receipt for a department the stack made no key for: 503, the receipt stays pending. */
export class DepartmentKeyMissingError extends SignerError {
  readonly code = 'department_key_missing';
  constructor(readonly department: string) {
    super(
      `department ${department} has no signing key in this deployment: add it to the stack's departments and deploy (its pending receipts are completed by the recovery job then)`,
      false,
    );
    this.name = 'DepartmentKeyMissingError';
  }
}

/**
 * The collecting departments' keys in AWS: one KMS key per department (lib/department-keys.ts).
 * P-256 keys sign through the KMS signer (SHA-256 digest, ECDSA_SHA_256) and carry it as
 * `p256` for their certificate and PAdES signature; SM2 keys through the KMS SM2 signer
 * (SM3(Z ‖ M) digest, SM2DSA). The public key is fetched once per key and process; the key spec
 * is checked then, so a key of the wrong spec is refused before it signs anything.
 */
export function kmsDepartmentKeys(options: KmsDepartmentKeysOptions): DepartmentKeys {
  const { client, keys, algorithm, maxAttempts, baseDelayMs } = options;
  return openedOnce(async (department) => {
    const keyId = Object.hasOwn(keys, department) ? keys[department] : undefined;
    if (!keyId) throw new DepartmentKeyMissingError(department);
    const kms = {
      client,
      keyId,
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
      ...(baseDelayMs !== undefined ? { baseDelayMs } : {}),
    };
    return algorithm === 'SM2_SM3'
      ? sm2DepartmentKey(department, createKmsSm2Signer(kms))
      : p256DepartmentKey(department, createKmsSigner(kms));
  });
}
