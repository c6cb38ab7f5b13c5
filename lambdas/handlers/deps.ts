import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../adapters/dynamo/client.js';
import { CatalogueRepository } from '../adapters/dynamo/catalogue-repo.js';
import { type Config, loadConfig } from '../runtime/config.js';

/**
 * What the handlers use, built once per process from the environment (a Lambda container
 * keeps it between invocations). Heavy adapters (signer, PDF) are imported only by the
 * handlers that need them, so the verification function never loads the PDF font.
 */
export interface Deps {
  config: Config;
  db: DynamoDBDocumentClient;
  catalogue: CatalogueRepository;
  now: () => Date;
}

let deps: Deps | undefined;

export function getDeps(): Deps {
  if (!deps) {
    const config = loadConfig();
    const db = createDocumentClient(config);
    deps = {
      config,
      db,
      catalogue: new CatalogueRepository(db, config.tables),
      now: () => new Date(),
    };
  }
  return deps;
}

/** Forgets the built dependencies: tests that change the environment call it. */
export function resetDeps(): void {
  deps = undefined;
}
