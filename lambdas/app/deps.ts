import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AuditRepository } from '../adapters/dynamo/audit-repo.js';
import { CatalogueRepository } from '../adapters/dynamo/catalogue-repo.js';
import { CheckRepository } from '../adapters/dynamo/check-repo.js';
import { createDocumentClient } from '../adapters/dynamo/client.js';
import { DepartmentRepository } from '../adapters/dynamo/departments.js';
import { KeyRing } from '../adapters/dynamo/keyring.js';
import { RangeRepository } from '../adapters/dynamo/range-repo.js';
import { ReceiptRepository } from '../adapters/dynamo/receipt-repo.js';
import type { CheckStore, DepartmentDirectory, RangeStore, ReceiptStore } from '../core/ports.js';
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
  catalogue: CatalogueRepository;
  receipts: ReceiptStore;
  ranges: RangeStore;
  checks: CheckStore;
  departments: DepartmentDirectory;
  audit: AuditRepository;
  keys: KeyRing;
  /** The signing key: KMS in AWS, a key file locally. Created on first use. */
  signer: () => Promise<Signer>;
  now: () => Date;
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

let deps: Deps | undefined;

export function getDeps(): Deps {
  if (!deps) {
    const config = loadConfig();
    const db = createDocumentClient(config);
    let signer: Promise<Signer> | undefined;
    deps = {
      config,
      db,
      catalogue: new CatalogueRepository(db, config.tables),
      receipts: new ReceiptRepository(db, config.tables),
      ranges: new RangeRepository(db, config.tables.ledger),
      checks: new CheckRepository(db, config.tables.receipts),
      departments: new DepartmentRepository(db, config.tables.ledger),
      audit: new AuditRepository(db, config.tables),
      keys: new KeyRing(db, config.tables.ledger, {
        commonName: `${config.bureauName} 电子票据签章`,
        organization: config.bureauName,
      }),
      signer: () => {
        signer ??= createSigner(config).catch((e) => {
          signer = undefined;
          throw e;
        });
        return signer;
      },
      now: () => new Date(),
    };
  }
  return deps;
}

/** Forgets the built dependencies: tests that change the environment call it. */
export function resetDeps(): void {
  deps = undefined;
}
