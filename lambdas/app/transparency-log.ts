import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { logger } from '../adapters/logger.js';
import type { NoteSigner } from '../core/tlog/note.js';
import type { TileStore } from '../core/tlog/ports.js';
import type { Config } from '../runtime/config.js';

/** What the log needs of the configuration (runtime/config.ts): the local server gives just this. */
export type LogConfig = Pick<Config, 'log' | 'awsRegion'> & {
  tables: Pick<Config['tables'], 'ledger' | 'receipts'>;
};

/** What the log needs of the process's dependencies (app/deps.ts). */
export interface LogDeps {
  db: DynamoDBDocumentClient;
  config: LogConfig;
}

/**
 * The transparency log as the deployment configures it (runtime/config.ts `log`): the signer
 * (KMS in AWS, the key file locally) and the tile store (S3 in AWS, a directory locally).
 * The AWS SDKs load only here, so functions that never touch the log never load them.
 */
type LogSigner = NoteSigner & { vkey: string };

const signers = new Map<string, Promise<LogSigner>>();

/** The log's signer, opened once per process and key (a KMS GetPublicKey, or the key file). */
export function logSigner(config: LogConfig): Promise<LogSigner> {
  const id = JSON.stringify([config.log.key, config.log.origin]);
  let signer = signers.get(id);
  if (!signer) {
    signer = openSigner(config).catch((e) => {
      signers.delete(id);
      throw e;
    });
    signers.set(id, signer);
  }
  return signer;
}

async function openSigner({ log, awsRegion }: LogConfig): Promise<LogSigner> {
  if (log.key.kind === 'file') {
    const { openLogKey } = await import('../adapters/tlog/log-key.js');
    return openLogKey(log.key.path, log.origin);
  }
  const [{ KMSClient }, { kmsNoteSigner }] = await Promise.all([
    import('@aws-sdk/client-kms'),
    import('../adapters/tlog/kms-note-signer.js'),
  ]);
  return kmsNoteSigner(new KMSClient({ region: awsRegion }), log.key.keyId, log.origin);
}

/**
 * The log's verifier key (C2SP vkey) for GET /v1/keys: FEEPROOF_LOG_VKEY where the process made
 * the key (the local service), else the KMS key's (one GetPublicKey per container). Undefined
 * when there is none, or KMS did not answer (logged): the receipt keys are still listed.
 */
export async function logVkey(config: Config): Promise<string | undefined> {
  if (process.env.FEEPROOF_LOG_VKEY) return process.env.FEEPROOF_LOG_VKEY;
  if (config.log.key.kind !== 'kms') return undefined;
  try {
    return (await logSigner(config)).vkey;
  } catch (error) {
    logger.error('the log key could not be read', { error });
    return undefined;
  }
}

/**
 * The log's tiles as configured. `readOnly` for readers (proofs in the verification answer):
 * reading the S3 store's checkpoint then never writes.
 */
export async function logTileStore(
  { db, config }: LogDeps,
  o: { readOnly?: boolean } = {},
): Promise<TileStore> {
  const { tiles } = config.log;
  if (tiles.kind === 'directory') {
    const { DirectoryTileStore } = await import('../adapters/tlog/directory-store.js');
    return new DirectoryTileStore(tiles.dir);
  }
  const [{ S3Client }, { S3TileStore }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('../adapters/tlog/s3-store.js'),
  ]);
  const s3 = new S3Client({
    region: config.awsRegion,
    ...(tiles.endpoint ? { endpoint: tiles.endpoint, forcePathStyle: true } : {}),
  });
  return new S3TileStore({ s3, bucket: tiles.bucket, db, table: config.tables.ledger, readOnly: o.readOnly });
}

export interface LogRun {
  /** Entries given their index in the sequence (from the queue and from receipts' rows). */
  sequenced: number;
  /** Tree size before and after. */
  from: number;
  to: number;
  /** Checkpoints this run published (0 if there was nothing new, or another integrator won). */
  published: number;
  /**
   * Entries sequenced but not in the checkpoint published when the run ended: 0 when it caught
   * up. The stack alarms when every run leaves some for 15 minutes (lib/observability.ts).
   */
  backlog: number;
  /** Witnesses that did not cosign, and why. */
  witnessErrors: { url: string; error: string }[];
}

/**
 * One run of the log (the scheduled integrator in AWS, the local server's timer): sequence what
 * the committing transactions wrote (queued, or on receipts' rows), then integrate batches until
 * caught up or out of time, each checkpoint submitted to the configured witnesses. A crash
 * anywhere is completed by the next run; another integrator at the same moment makes this one
 * stop (nothing is lost).
 */
export async function runLog(deps: LogDeps, options: { timeLeftMs?: () => number } = {}): Promise<LogRun> {
  const [{ DynamoSequence }, { integrate }, { witnessHook }] = await Promise.all([
    import('../adapters/tlog/dynamo-sequence.js'),
    import('../adapters/tlog/integrator.js'),
    import('../adapters/tlog/witness-client.js'),
  ]);
  const { config } = deps;
  // With the receipts table: receipt entries' indexes go to its index-block rows (the check answer's).
  const sequence = new DynamoSequence(deps.db, config.tables.ledger, config.tables.receipts);
  const [store, logKey] = await Promise.all([logTileStore(deps), logSigner(config)]);
  const witnessErrors: LogRun['witnessErrors'] = [];
  const witness = config.log.witnesses.length
    ? witnessHook(config.log.witnesses, store, (w, e) => witnessErrors.push({ url: w.url, error: e.message }))
    : undefined;
  const sequenced = await sequence.sequence();
  const run: LogRun = { sequenced, from: 0, to: 0, published: 0, backlog: 0, witnessErrors };
  for (let first = true; ; first = false) {
    const r = await integrate({ origin: config.log.origin, signer: logKey, sequence, store, witness });
    if (first) run.from = r.from;
    run.to = r.checkpoint?.checkpoint.size ?? r.to;
    if (r.published) run.published++;
    run.backlog = Math.max(0, (await sequence.size()) - run.to);
    // Caught up, lost to another integrator, or too close to the end of the invocation.
    if (!r.published || run.backlog === 0 || (options.timeLeftMs?.() ?? Infinity) < 20_000) break;
  }
  return run;
}
