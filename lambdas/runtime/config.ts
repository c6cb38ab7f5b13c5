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
import { DEFAULT_MIN_RECEIPTS } from '../core/stats.js';
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
  };
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

/** The local data directory: DynamoDB Local's files, the local signing and token keys, the PDFs (blobs/). */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[ENV.dataDir] ?? '.data';
}
