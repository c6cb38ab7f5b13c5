import { fileURLToPath } from 'node:url';
import {
  type AlertThresholds,
  DEFAULT_OFFICE_HOURS,
  DEFAULT_THRESHOLDS,
  type OfficeHours,
} from '../core/alerts.js';
import {
  type ComplaintLimits,
  complaintLimitsProblem,
  DEFAULT_COMPLAINT_LIMITS,
} from '../core/complaints.js';
import { DEPARTMENT_CODE } from '../core/receipt.js';
import { DEFAULT_MIN_RECEIPTS } from '../core/stats.js';
import type { SignatureAlgorithm } from '../core/two-signatures.js';
import { ENV } from './env.js';
import { TABLES, type TableId, tableName } from './tables.js';

/**
 * Everything a deployment sets, read from the environment with safe defaults, the
 * same way in Lambda (the CDK stack sets the variables) and locally (the server does).
 */
export interface Config {
  tables: Record<TableId, string>;
  /** DynamoDB endpoint override: DynamoDB Local. Unset in AWS. */
  dynamoEndpoint: string | undefined;
  awsRegion: string;
  signer: { kind: 'local'; keyPath: string } | { kind: 'kms'; keyId: string };
  /** Where receipt PDFs are stored: the receipts bucket in AWS, a directory locally. */
  blobs: { kind: 'directory'; dir: string } | { kind: 's3'; bucket: string; endpoint: string | undefined };
  /**
   * The transparency log (docs/transparency-log.md): its origin, where its key is (KMS in AWS, a
   * key file locally), where its tiles go (the tile bucket in AWS, a directory locally), and the
   * witnesses asked to cosign each checkpoint.
   */
  log: {
    origin: string;
    key: { kind: 'kms'; keyId: string } | { kind: 'file'; path: string };
    tiles: { kind: 's3'; bucket: string; endpoint: string | undefined } | { kind: 'directory'; dir: string };
    witnesses: { url: string; vkey: string }[];
  };
  /** Two-digit region code that starts every receipt code. */
  regionCode: string;
  bureauName: string;
  publicUrl: string;
  /** How many numbers a range allocated automatically holds. */
  rangeSize: number;
  /** A charge dated more than this many days before today is refused (core/charge.ts). */
  maxChargeAgeDays: number;
  fontPath: string;
  /** Alert thresholds: the defaults in core/alerts.ts, overridden by FEEPROOF_ALERTS (JSON). */
  alerts: AlertThresholds;
  officeHours: OfficeHours;
  /** Public statistics' small-cell rule (core/stats.ts). */
  statsMinReceipts: number;
  /** The complaint form's abuse limits and the contact retention (core/complaints.ts). */
  complaintLimits: ComplaintLimits;
  /** The bureau's published supervision phone number; empty when none is configured. */
  supervisionPhone: string;
  /**
   * The HMAC key that hides a complainant's address in the per-address counters: given (in AWS,
   * from the stack's secret), or a key file in the data directory made on first use.
   */
  complaintAddressKey: { kind: 'value'; value: string } | { kind: 'file'; path: string };
  /**
   * The collecting departments' signing keys: `kms` with department code → key ARN (the stack's
   * department keys), `local` for key files beside the bureau's, `none` (kms signer without
   * department keys: receipts carry the bureau's signature alone).
   */
  departmentKeys: { algorithm: SignatureAlgorithm } & (
    | { kind: 'kms'; keys: Record<string, string> }
    | { kind: 'local' }
    | { kind: 'none' }
  );
}

/** A JSON object from the environment, laid over defaults; unknown keys are refused. */
function jsonOverride<T extends object>(value: string | undefined, defaults: T, name: string): T {
  if (!value) return defaults;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`${name} must be JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`${name} must be a JSON object`);
  const unknown = Object.keys(parsed).filter((k) => !(k in defaults));
  if (unknown.length)
    throw new Error(
      `${name} has unknown keys: ${unknown.join(', ')} (known: ${Object.keys(defaults).join(', ')})`,
    );
  return { ...defaults, ...(parsed as Partial<T>) };
}

const DEFAULT_FONT = fileURLToPath(new URL('../../assets/fonts/DroidSansFallbackFull.ttf', import.meta.url));

function wholeNumber(value: string | undefined, fallback: number, name: string, min = 1): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new Error(`${name} must be a whole number of at least ${min}, got ${value}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const prefix = env[ENV.tablePrefix] ?? 'feeproof';
  const tables = Object.fromEntries(
    TABLES.map((t) => [t.id, env[t.envVar] ?? tableName(prefix, t.id)]),
  ) as Record<TableId, string>;
  const regionCode = env[ENV.regionCode] ?? '11';
  if (!/^\d{2}$/.test(regionCode)) throw new Error(`${ENV.regionCode} must be two digits`);
  const signerKind = env[ENV.signer] ?? 'local';
  let signer: Config['signer'];
  if (signerKind === 'kms') {
    const keyId = env[ENV.kmsKeyId];
    if (!keyId) throw new Error(`${ENV.signer}=kms needs ${ENV.kmsKeyId}`);
    signer = { kind: 'kms', keyId };
  } else {
    signer = { kind: 'local', keyPath: env[ENV.localKeyPath] ?? `${dataDir(env)}/signing-key.pem` };
  }
  return {
    tables,
    dynamoEndpoint: env[ENV.dynamoEndpoint] || undefined,
    awsRegion: env.AWS_REGION ?? 'cn-north-1',
    signer,
    blobs: blobsConfig(env),
    log: logConfig(env),
    regionCode,
    bureauName: env[ENV.bureauName] ?? '某市财政局',
    publicUrl: (env[ENV.publicUrl] ?? `http://127.0.0.1:${env.PORT ?? 3000}`).replace(/\/$/, ''),
    rangeSize: wholeNumber(env[ENV.rangeSize], 10_000, ENV.rangeSize),
    // 0: a charge may only be dated today.
    maxChargeAgeDays: wholeNumber(env[ENV.maxChargeAgeDays], 30, ENV.maxChargeAgeDays, 0),
    fontPath: env[ENV.fontPath] ?? DEFAULT_FONT,
    alerts: jsonOverride(env[ENV.alerts], DEFAULT_THRESHOLDS, ENV.alerts),
    officeHours: jsonOverride(env[ENV.officeHours], DEFAULT_OFFICE_HOURS, ENV.officeHours),
    statsMinReceipts: wholeNumber(env[ENV.statsMinReceipts], DEFAULT_MIN_RECEIPTS, ENV.statsMinReceipts),
    complaintLimits: complaintLimits(env),
    supervisionPhone: env[ENV.supervisionPhone] ?? '',
    complaintAddressKey: complaintAddressKey(env),
    departmentKeys: departmentKeys(env, signer.kind),
  };
}

const ALGORITHMS: readonly SignatureAlgorithm[] = ['ECDSA_P256_SHA256', 'SM2_SM3'];
/** A key ARN or bare key id: what the keyring can tell apart across rotations (an alias cannot). */
const KMS_KEY = /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/)?[0-9a-f-]{36}$|^mrk-[0-9a-f]{32}$/;

function departmentKeys(env: NodeJS.ProcessEnv, signerKind: 'local' | 'kms'): Config['departmentKeys'] {
  const algorithm = (env[ENV.departmentKeyAlgorithm] || 'ECDSA_P256_SHA256') as SignatureAlgorithm;
  if (!ALGORITHMS.includes(algorithm))
    throw new Error(
      `${ENV.departmentKeyAlgorithm} must be one of ${ALGORITHMS.join(', ')}, got ${algorithm}`,
    );
  const value = env[ENV.departmentKeys];
  if (!value) return { algorithm, kind: signerKind === 'kms' ? 'none' : 'local' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`${ENV.departmentKeys} must be JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`${ENV.departmentKeys} must be a JSON object of department code → KMS key ARN`);
  for (const [code, key] of Object.entries(parsed)) {
    if (!DEPARTMENT_CODE.test(code))
      throw new Error(`${ENV.departmentKeys}: bad department code ${JSON.stringify(code)}`);
    if (typeof key !== 'string' || !KMS_KEY.test(key))
      throw new Error(
        `${ENV.departmentKeys}: ${code} must map to a KMS key ARN or key id (not an alias: a rotated key must get a new key id)`,
      );
  }
  return { algorithm, kind: 'kms', keys: parsed as Record<string, string> };
}

function complaintAddressKey(env: NodeJS.ProcessEnv): Config['complaintAddressKey'] {
  const value = env[ENV.complaintAddressKey];
  return value ? { kind: 'value', value } : { kind: 'file', path: `${dataDir(env)}/complaint-address-key` };
}

function complaintLimits(env: NodeJS.ProcessEnv): ComplaintLimits {
  const limits = jsonOverride(env[ENV.complaintLimits], DEFAULT_COMPLAINT_LIMITS, ENV.complaintLimits);
  const problem = complaintLimitsProblem({ ...limits });
  if (problem) throw new Error(`${ENV.complaintLimits}: ${problem}`);
  return limits;
}

function blobsConfig(env: NodeJS.ProcessEnv): Config['blobs'] {
  const bucket = env[ENV.receiptsBucket];
  if (bucket) return { kind: 's3', bucket, endpoint: env[ENV.s3Endpoint] || undefined };
  return { kind: 'directory', dir: `${dataDir(env)}/blobs` };
}

/** Key names (C2SP signed-note): no spaces, no plus. */
const LOG_ORIGIN = /^[^\s+]+$/;

/** The log's configuration from the environment (also the local server's origin and witnesses). */
export function logConfig(env: NodeJS.ProcessEnv = process.env): Config['log'] {
  const origin = env[ENV.logOrigin] || 'feeproof.local/log';
  if (!LOG_ORIGIN.test(origin))
    throw new Error(`${ENV.logOrigin} must be a key name (no spaces, no +), got ${origin}`);
  const keyId = env[ENV.logKmsKeyId];
  const bucket = env[ENV.logBucket];
  return {
    origin,
    key: keyId ? { kind: 'kms', keyId } : { kind: 'file', path: `${dataDir(env)}/log-key.pem` },
    tiles: bucket
      ? { kind: 's3', bucket, endpoint: env[ENV.s3Endpoint] || undefined }
      : { kind: 'directory', dir: `${dataDir(env)}/log` },
    witnesses: logWitnesses(env[ENV.logWitnesses]),
  };
}

function logWitnesses(value: string | undefined): Config['log']['witnesses'] {
  if (!value) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`${ENV.logWitnesses} must be JSON`);
  }
  const ok = (w: unknown): w is { url: string; vkey: string } =>
    typeof w === 'object' &&
    w !== null &&
    Object.keys(w).sort().join() === 'url,vkey' &&
    typeof (w as { url: unknown }).url === 'string' &&
    /^https?:\/\/\S+\/$/.test((w as { url: string }).url) &&
    typeof (w as { vkey: unknown }).vkey === 'string';
  if (!Array.isArray(parsed) || !parsed.every(ok))
    throw new Error(
      `${ENV.logWitnesses} must be a JSON array of { "url": "https://…/" (ending in /), "vkey": "<witness vkey>" }`,
    );
  return parsed;
}

/** The local data directory: DynamoDB Local's files, the local signing and token keys, the PDFs (blobs/). */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[ENV.dataDir] ?? '.data';
}
