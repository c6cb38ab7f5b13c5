import type { Server } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getDeps, resetDeps } from '../handlers/deps.js';
import { recoverPending } from '../handlers/issuing.js';
import { dataDir as configuredDataDir } from '../runtime/config.js';
import { type DynamoDbLocal, freePort, startDynamoDbLocal } from './dynamodb-local.js';
import { seedDemoCatalogue } from './seed.js';
import { createLocalServer } from './server.js';
import { ensureTables } from './tables.js';
import { loadIssuerKey } from './tokens.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface LocalServiceOptions {
  port?: number;
  dataDir?: string;
  /** Use this DynamoDB endpoint instead of starting DynamoDB Local. */
  dynamoEndpoint?: string;
  /** Keep DynamoDB Local's data in memory (tests). */
  inMemory?: boolean;
  seed?: boolean;
}

export interface LocalService {
  url: string;
  port: number;
  dynamoEndpoint: string;
  dataDir: string;
  server: Server;
  stop(): Promise<void>;
}

/**
 * Everything `npm start` runs: DynamoDB Local (unless an endpoint is given), the tables,
 * the demo catalogue on first start, and the API with the web pages on 127.0.0.1.
 */
export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const dataDir = resolve(options.dataDir ?? configuredDataDir());
  let dynamo: DynamoDbLocal | undefined;
  let dynamoEndpoint = options.dynamoEndpoint ?? process.env.FEEPROOF_DYNAMODB_ENDPOINT;
  if (!dynamoEndpoint) {
    dynamo = await startDynamoDbLocal(options.inMemory ? {} : { dataDir: resolve(dataDir, 'dynamodb') });
    dynamoEndpoint = dynamo.endpoint;
  }
  const requested = options.port ?? Number(process.env.PORT ?? 3000);
  // Port 0: pick the port now, so the public URL in QR codes names the real one.
  const port = requested === 0 ? await freePort() : requested;
  // The handlers read their configuration from the environment, exactly as in Lambda.
  process.env.FEEPROOF_DYNAMODB_ENDPOINT = dynamoEndpoint;
  process.env.FEEPROOF_DATA_DIR = dataDir;
  process.env.FEEPROOF_PUBLIC_URL ??= `http://127.0.0.1:${port}`;
  resetDeps();
  const deps = getDeps();
  try {
    await ensureTables(deps.db, deps.config.tables);
    if (options.seed !== false) await seedDemoCatalogue(deps);
    // Receipts left unfinished by a crash are completed before serving.
    const recovered = await recoverPending(deps);
    if (recovered.completed || recovered.failed)
      process.stderr.write(`recovery: ${recovered.completed} completed, ${recovered.failed} failed\n`);
  } catch (e) {
    await dynamo?.stop();
    throw e;
  }
  const issuerKey = await loadIssuerKey(dataDir);
  const server = createLocalServer({ issuerKey, webDir: resolve(ROOT, 'web') });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const actualPort = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    dynamoEndpoint,
    dataDir,
    server,
    stop: async () => {
      await new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections();
      await dynamo?.stop();
    },
  };
}
