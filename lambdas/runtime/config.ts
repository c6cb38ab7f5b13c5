import { fileURLToPath } from 'node:url';
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
  /** Two-digit region code that starts every receipt code. */
  regionCode: string;
  bureauName: string;
  publicUrl: string;
  /** How many numbers a range allocated automatically holds. */
  rangeSize: number;
  fontPath: string;
}

const DEFAULT_FONT = fileURLToPath(new URL('../../assets/fonts/DroidSansFallbackFull.ttf', import.meta.url));

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const prefix = env.FEEPROOF_TABLE_PREFIX ?? 'feeproof';
  const tables = Object.fromEntries(
    TABLES.map((t) => [t.id, env[t.envVar] ?? tableName(prefix, t.id)]),
  ) as Record<TableId, string>;
  const regionCode = env.FEEPROOF_REGION_CODE ?? '11';
  if (!/^\d{2}$/.test(regionCode)) throw new Error('FEEPROOF_REGION_CODE must be two digits');
  const signerKind = env.FEEPROOF_SIGNER ?? 'local';
  let signer: Config['signer'];
  if (signerKind === 'kms') {
    if (!env.FEEPROOF_KMS_KEY_ID) throw new Error('FEEPROOF_SIGNER=kms needs FEEPROOF_KMS_KEY_ID');
    signer = { kind: 'kms', keyId: env.FEEPROOF_KMS_KEY_ID };
  } else {
    signer = { kind: 'local', keyPath: env.FEEPROOF_LOCAL_KEY_PATH ?? `${dataDir(env)}/signing-key.pem` };
  }
  return {
    tables,
    dynamoEndpoint: env.FEEPROOF_DYNAMODB_ENDPOINT || undefined,
    awsRegion: env.AWS_REGION ?? 'cn-north-1',
    signer,
    regionCode,
    bureauName: env.FEEPROOF_BUREAU_NAME ?? '某市财政局',
    publicUrl: (env.FEEPROOF_PUBLIC_URL ?? `http://127.0.0.1:${env.PORT ?? 3000}`).replace(/\/$/, ''),
    rangeSize: positiveInt(env.FEEPROOF_RANGE_SIZE, 10_000, 'FEEPROOF_RANGE_SIZE'),
    fontPath: env.FEEPROOF_FONT_PATH ?? DEFAULT_FONT,
  };
}

/** The local data directory: DynamoDB Local's files, the local signing and token keys. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FEEPROOF_DATA_DIR ?? '.data';
}
