import { dirname } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DirectoryBlobStore } from '../adapters/blobs/directory-store.js';
import { AuditRepository } from '../adapters/dynamo/audit-repo.js';
import { CatalogueRepository } from '../adapters/dynamo/catalogue-repo.js';
import { CheckRepository } from '../adapters/dynamo/check-repo.js';
import { createDocumentClient, createPlainClient } from '../adapters/dynamo/client.js';
import { DepartmentRepository } from '../adapters/dynamo/departments.js';
import { KeyRing } from '../adapters/dynamo/keyring.js';
import { RangeRepository } from '../adapters/dynamo/range-repo.js';
import { ReceiptRepository } from '../adapters/dynamo/receipt-repo.js';
import { type DepartmentKeys, localDepartmentKeys } from '../adapters/signing/department-keys.js';
import type { BlobStore, CheckStore, DepartmentDirectory, RangeStore, ReceiptStore } from '../core/ports.js';
import type { Signer } from '../core/signer.js';
import { type Config, loadConfig } from '../runtime/config.js';

/**
 * What the application services and handlers use, built once per process from the environment (a Lambda container
 * keeps it between invocations). Heavy adapters (signer, PDF) are imported only by the
 * handlers that need them, so the verification function never loads the PDF font.
 */
export interface Deps {
  config: Config;
  db: DynamoDBDocumentClient;
  /** For plain commands only, its middleware resolved once (adapters/dynamo/client.ts): the public checks'. */
  plainDb: DynamoDBClient;
  catalogue: CatalogueRepository;
  receipts: ReceiptStore;
  ranges: RangeStore;
  checks: CheckStore;
  departments: DepartmentDirectory;
  audit: AuditRepository;
  keys: KeyRing;
  /** Receipt PDFs: the receipts bucket in AWS, a directory under the data directory locally. */
  blobs: BlobStore;
  /** The signing key: KMS in AWS, a key file locally. Created on first use. */
  signer: () => Promise<Signer>;
  /**
   * The collecting departments' keys (开票单位签章): a key file per department locally, a KMS key
   * per department in AWS (FEEPROOF_DEPARTMENT_KEYS). Absent with the kms signer and no department
   * keys configured: receipts then carry the bureau's signature alone (`bureau_only`), as before.
   */
  departmentKeys?: DepartmentKeySource;
  now: () => Date;
}

export type DepartmentKeySource = DepartmentKeys;

/** The department keys the configuration names (runtime/config.ts `departmentKeys`). */
function createDepartmentKeys(config: Config): DepartmentKeySource | undefined {
  const { departmentKeys: wanted } = config;
  if (wanted.kind === 'none') return undefined;
  if (wanted.kind === 'local') {
    if (config.signer.kind !== 'local') return undefined;
    // Beside the bureau's key file (<data>/signing-key.pem): a directory the process may write.
    return localDepartmentKeys(dirname(config.signer.keyPath), wanted.algorithm);
  }
  // The KMS SDK loads on the first receipt signed, as the bureau's signer does.
  let keys: Promise<DepartmentKeys> | undefined;
  const load = () =>
    (keys ??= Promise.all([
      import('@aws-sdk/client-kms'),
      import('../adapters/signing/kms-department-keys.js'),
    ]).then(([{ KMSClient }, { kmsDepartmentKeys }]) =>
      kmsDepartmentKeys({
        // The adapter retries throttling itself; the SDK's own retries would multiply with it.
        client: new KMSClient({ region: config.awsRegion, maxAttempts: 1 }),
        keys: wanted.keys,
        algorithm: wanted.algorithm,
      }),
    ));
  return { keyFor: async (department) => (await load()).keyFor(department) };
}

async function createSigner(config: Config): Promise<Signer> {
  if (config.signer.kind === 'local') {
    const { openLocalSigner } = await import('../adapters/signing/local-signer.js');
    return openLocalSigner(config.signer.keyPath);
  }
  const [{ KMSClient }, { createKmsSigner }] = await Promise.all([
    import('@aws-sdk/client-kms'),
    import('../adapters/signing/kms-signer.js'),
  ]);
  // The signer retries throttling itself; the SDK's own retries would multiply with it.
  return createKmsSigner({
    client: new KMSClient({ region: config.awsRegion, maxAttempts: 1 }),
    keyId: config.signer.keyId,
  });
}

function createBlobStore(config: Config): BlobStore {
  if (config.blobs.kind === 'directory') return new DirectoryBlobStore(config.blobs.dir);
  const { bucket, endpoint } = config.blobs;
  // The S3 SDK loads on the first PDF written or read, not in a function that never touches one.
  let s3: Promise<BlobStore> | undefined;
  const store = () =>
    (s3 ??= Promise.all([import('@aws-sdk/client-s3'), import('../adapters/blobs/s3-store.js')]).then(
      ([{ S3Client }, { S3BlobStore }]) =>
        new S3BlobStore(
          new S3Client({ region: config.awsRegion, ...(endpoint ? { endpoint, forcePathStyle: true } : {}) }),
          bucket,
        ),
    ));
  return {
    putOnce: async (key, bytes, contentType) => (await store()).putOnce(key, bytes, contentType),
    get: async (key) => (await store()).get(key),
    exists: async (key) => (await store()).exists(key),
  };
}

let deps: Deps | undefined;

export function getDeps(): Deps {
  if (!deps) {
    const config = loadConfig();
    const db = createDocumentClient(config);
    const plainDb = createPlainClient(config);
    let signer: Promise<Signer> | undefined;
    const blobs = createBlobStore(config);
    deps = {
      config,
      db,
      plainDb,
      catalogue: new CatalogueRepository(db, config.tables),
      receipts: new ReceiptRepository(db, config.tables, blobs),
      ranges: new RangeRepository(db, config.tables.ledger),
      checks: new CheckRepository(plainDb, config.tables.receipts),
      departments: new DepartmentRepository(db, config.tables.ledger),
      audit: new AuditRepository(db, config.tables),
      keys: new KeyRing(db, config.tables.ledger, {
        commonName: `${config.bureauName} 电子票据签章`,
        organization: config.bureauName,
      }),
      blobs,
      signer: () => {
        signer ??= createSigner(config).catch((e) => {
          signer = undefined;
          throw e;
        });
        return signer;
      },
      departmentKeys: createDepartmentKeys(config),
      now: () => new Date(),
    };
  }
  return deps;
}

/** Forgets the built dependencies: tests that change the environment call it. */
export function resetDeps(): void {
  deps = undefined;
}

/**
 * One `T` per set of dependencies (per process, in practice): for what keeps state across
 * requests, a group commit's queues say; tests that build their own dependencies get their own.
 */
export function onePerDeps<T extends object>(make: (deps: Deps) => T): (deps: Deps) => T {
  const made = new WeakMap<Deps, T>();
  return (deps) => {
    let one = made.get(deps);
    if (!one) {
      one = make(deps);
      made.set(deps, one);
    }
    return one;
  };
}
