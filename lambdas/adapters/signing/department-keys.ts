import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BoundedCache } from '../../core/bounded-cache.js';
import { DEPARTMENT_CODE } from '../../core/receipt.js';
import type { Signer } from '../../core/signer.js';
import type { MessageSigner, ResolvedKey, SignatureRole } from '../../core/two-signatures.js';
import { readOrCreateKeyFile } from '../key-file.js';
import {
  certificateFromPem,
  certificateToPem,
  createSelfSignedCertificate,
  createSelfSignedSm2Certificate,
  parseCertificate,
  signSha256,
} from './certificate.js';
import { publicJwk, verifyWithCertificate } from './ecdsa.js';
import { openLocalSigner } from './local-signer.js';
import {
  generateSm2KeyPem,
  localSm2Signer,
  type Sm2Signer,
  signSm2Message,
  sm2KeyFromPem,
  sm2PointFromSpki,
  verifySm2,
} from './sm2.js';

/**
 * Each collecting department signs its receipts with its own key (开票单位签章); locally a key
 * file per department under the data directory, made on first use and never overwritten. The
 * certificate of a department key is self-signed, like the bureau's: the bureau's certificate is
 * not a CA (cA FALSE, no keyCertSign), so a chain under it would not validate anywhere; trust
 * comes from publication in /v1/keys with the department, and the supervision signature covers
 * the unit's. See docs/einvoice.md, "Signatures".
 */

export type DepartmentKeyAlgorithm = 'ECDSA_P256_SHA256' | 'SM2_SM3';

const FILE_SUFFIX: Record<DepartmentKeyAlgorithm, string> = { ECDSA_P256_SHA256: 'p256', SM2_SM3: 'sm2' };

/** <dataDir>/keys/departments/<CODE>.<p256|sm2>.pem; the code is checked, so it cannot leave the folder. */
export function departmentKeyPath(
  dataDir: string,
  department: string,
  algorithm: DepartmentKeyAlgorithm,
): string {
  if (!DEPARTMENT_CODE.test(department))
    throw new RangeError(`bad department code ${JSON.stringify(department)}`);
  return join(dataDir, 'keys', 'departments', `${department}.${FILE_SUFFIX[algorithm]}.pem`);
}

/** A P-256 Signer (local key file or KMS) as a MessageSigner (signSha256). */
export function p256MessageSigner(signer: Signer): MessageSigner {
  return {
    keyId: signer.keyId,
    algorithm: 'ECDSA_P256_SHA256',
    sign: (message) => signSha256(signer, message),
  };
}

/** An Sm2Signer (local key file or KMS SM2DSA) as a MessageSigner: SM3(Z ‖ M) here, signed there. */
export function sm2MessageSigner(signer: Sm2Signer): MessageSigner {
  return { keyId: signer.keyId, algorithm: 'SM2_SM3', sign: (message) => signSm2Message(signer, message) };
}

export interface DepartmentKey {
  department: string;
  signer: MessageSigner;
  /** DER SubjectPublicKeyInfo: what the certificate (P-256) or the published key (SM2) carries. */
  publicKeySpki: Uint8Array;
  /** The P-256 signer, for its certificate (made through the Signer port); absent for SM2. */
  p256?: Signer;
  /** The SM2 signer, for its SM2-with-SM3 certificate; absent for P-256. */
  sm2?: Sm2Signer;
}

/** `local-sm2:` + the first 16 hex digits of sha256(SPKI DER), like the P-256 key's `local:`. */
const localSm2KeyId = (spki: Uint8Array) =>
  `local-sm2:${createHash('sha256').update(spki).digest('hex').slice(0, 16)}`;

/** Where a receipt's unit key comes from: key files locally, KMS keys in AWS. */
export interface DepartmentKeys {
  keyFor(department: string): Promise<DepartmentKey>;
}

/** Opens each department's key once per process; a failed open is tried again next time. */
export function openedOnce(open: (department: string) => Promise<DepartmentKey>): DepartmentKeys {
  const opened = new Map<string, Promise<DepartmentKey>>();
  return {
    keyFor(department) {
      let key = opened.get(department);
      if (!key) {
        key = open(department).catch((e) => {
          opened.delete(department);
          throw e;
        });
        opened.set(department, key);
      }
      return key;
    },
  };
}

/**
 * The department keys of one data directory, each opened (and on first use created) once per
 * process; two processes creating the same key at once end up with the same one.
 */
export function localDepartmentKeys(
  dataDir: string,
  algorithm: DepartmentKeyAlgorithm = 'ECDSA_P256_SHA256',
): DepartmentKeys {
  return openedOnce(async (department) => {
    const path = departmentKeyPath(dataDir, department, algorithm);
    if (algorithm === 'ECDSA_P256_SHA256') return p256DepartmentKey(department, await openLocalSigner(path));
    const key = sm2KeyFromPem(await readOrCreateKeyFile(path, generateSm2KeyPem));
    return sm2DepartmentKey(department, localSm2Signer(key, localSm2KeyId(key.spki)));
  });
}

export async function p256DepartmentKey(department: string, p256: Signer): Promise<DepartmentKey> {
  return { department, signer: p256MessageSigner(p256), publicKeySpki: await p256.publicKeySpki(), p256 };
}

export async function sm2DepartmentKey(department: string, sm2: Sm2Signer): Promise<DepartmentKey> {
  return { department, signer: sm2MessageSigner(sm2), publicKeySpki: await sm2.publicKeySpki(), sm2 };
}

const CERT_YEARS = 10;

/**
 * The self-signed certificate of a department's key: O = the bureau, CN = the unit's name and
 * department code, so a verifier reads whose key it is. A P-256 key's is signed ecdsa-with-SHA256,
 * an SM2 key's SM2-with-SM3 (GM/T 0015's algorithm), each through its own signer (KMS or a file).
 */
export async function departmentCertificatePem(
  key: DepartmentKey,
  opts: { bureauName: string; unitName: string; now: Date },
): Promise<string> {
  const notAfter = new Date(opts.now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CERT_YEARS);
  const subject = {
    commonName: `${opts.unitName} (${key.department}) 开票单位签章`,
    organization: opts.bureauName,
    country: 'CN' as const,
    notBefore: opts.now,
    notAfter,
  };
  if (key.p256) return certificateToPem(await createSelfSignedCertificate(key.p256, subject));
  if (key.sm2) return certificateToPem(await createSelfSignedSm2Certificate(key.sm2, subject));
  throw new RangeError(`department key ${key.signer.keyId} has neither a P-256 nor an SM2 signer`);
}

/** A certificate's subject public key as DER SPKI, and whether it is an SM2 key; parsed once. */
const certificateKeys = new BoundedCache<string, { spki: Uint8Array; sm2: boolean }>(64);
function certificateKey(certificatePem: string) {
  return certificateKeys.getOrCompute(certificatePem, () => {
    const cert = parseCertificate(certificateFromPem(certificatePem));
    const spki = new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER());
    let sm2 = true;
    try {
      sm2PointFromSpki(spki);
    } catch {
      sm2 = false;
    }
    return { spki, sm2 };
  });
}

/** How /v1/keys shows a published key: JOSE `ES256` with its JWK, or `SM2` with its SPKI (base64). */
export function publishedKeyForm(
  certificatePem: string,
): { algorithm: 'ES256'; jwk: ReturnType<typeof publicJwk> } | { algorithm: 'SM2'; publicKeySpki: string } {
  const { spki, sm2 } = certificateKey(certificatePem);
  return sm2
    ? { algorithm: 'SM2', publicKeySpki: Buffer.from(spki).toString('base64') }
    : { algorithm: 'ES256', jwk: publicJwk(certificatePem) };
}

/** A published key as the two-signature check needs it: a P-256 certificate or an SM2 public key. */
export function resolvedKey(
  role: SignatureRole,
  published: { certificatePem: string } | { sm2PublicKeySpki: Uint8Array },
  department?: string,
): ResolvedKey {
  const base = { role, ...(department !== undefined ? { department } : {}) };
  // A published SM2 certificate (a department's SM2 key) verifies as SM2, with its key.
  if ('certificatePem' in published && certificateKey(published.certificatePem).sm2)
    return resolvedKey(role, { sm2PublicKeySpki: certificateKey(published.certificatePem).spki }, department);
  if ('certificatePem' in published)
    return {
      ...base,
      algorithm: 'ECDSA_P256_SHA256',
      verify: (message, signature) => verifyWithCertificate(published.certificatePem, message, signature),
    };
  return {
    ...base,
    algorithm: 'SM2_SM3',
    verify: (message, signature) => verifySm2(message, signature, published.sm2PublicKeySpki),
  };
}
