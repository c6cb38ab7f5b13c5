import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { migrateLegacyCheckRows } from '../adapters/dynamo/check-repo.js';
import { DirectoryExportFiles, LOCAL_EXPORTS_PATH } from '../adapters/exports/directory-files.js';
import { recoverPending } from '../app/completion.js';
import { getDeps, resetDeps } from '../app/deps.js';
import { dataDir as configuredDataDir } from '../runtime/config.js';
import { type DynamoDbLocal, freePort, startDynamoDbLocal } from './dynamodb-local.js';
import { type LogIntegrator, logVkey, startLogIntegrator } from './log.js';
import { seedDemoCatalogue } from './seed.js';
import { createLocalServer, requestUrl } from './server.js';
import { ensureTables } from './tables.js';
import { bearerClaims, type IssuerKey, loadIssuerKey } from './tokens.js';

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
  /** The transparency log's sequencer + integrator (on a timer; run() for one run now). */
  log: LogIntegrator;
  stop(): Promise<void>;
}

/** What serving needs before it listens, ready; `stopDynamo` ends the DynamoDB Local it started. */
export interface PreparedService {
  port: number;
  dynamoEndpoint: string;
  dataDir: string;
  stopDynamo(): Promise<void>;
}

/**
 * Everything before listening: DynamoDB Local (unless an endpoint is given), the tables, the
 * demo catalogue on first start, receipts left unfinished by a crash completed, and the keys
 * (token issuer, signing key and its certificate) made once, before any server process races
 * to make them. The handlers read their configuration from the environment, as in Lambda, so
 * this sets it, and server processes forked afterwards inherit it.
 */
export async function prepareLocalService(options: LocalServiceOptions = {}): Promise<PreparedService> {
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
  process.env.FEEPROOF_DYNAMODB_ENDPOINT = dynamoEndpoint;
  process.env.FEEPROOF_DATA_DIR = dataDir;
  process.env.FEEPROOF_PUBLIC_URL ??= `http://127.0.0.1:${port}`;
  resetDeps();
  const deps = getDeps();
  try {
    await ensureTables(deps.db, deps.config.tables);
    await migrateLegacyCheckRows(deps.plainDb, deps.config.tables.receipts);
    if (options.seed !== false) await seedDemoCatalogue(deps);
    const recovered = await recoverPending(deps);
    if (recovered.completed || recovered.failed)
      process.stderr.write(`recovery: ${recovered.completed} completed, ${recovered.failed} failed\n`);
    await loadIssuerKey(dataDir);
    await deps.keys.certificateFor(await deps.signer());
    // The log key, made once before any process races to make it; GET /v1/keys publishes its vkey.
    process.env.FEEPROOF_LOG_VKEY = await logVkey(dataDir);
  } catch (e) {
    await dynamo?.stop();
    throw e;
  }
  return { port, dynamoEndpoint, dataDir, stopDynamo: async () => dynamo?.stop() };
}

/** The API and the web pages on 127.0.0.1:`port`, in this process. */
export async function listenLocal(port: number, dataDir: string): Promise<Server> {
  const issuerKey = await loadIssuerKey(dataDir);
  const server = createLocalServer({ issuerKey, webDir: resolve(ROOT, 'web') });
  // Finished export jobs' files (issue 14): a local route only, in front of the API's.
  const [api] = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    serveExportFile(req, res, issuerKey, dataDir)
      .then((served) => served || api!(req, res))
      .catch((error) => {
        process.stderr.write(`local server: ${(error as Error).stack ?? error}\n`);
        if (res.headersSent) return res.destroy(); // a download cut short: the client sees it end early
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(
          JSON.stringify({ error: 'internal_error', message: 'an internal error occurred', details: [] }),
        );
      });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  return server;
}

const EXPORT_FILE = new RegExp(`^${LOCAL_EXPORTS_PATH}/([0-9a-f]{32})\\.csv$`);

/**
 * The local stand-in for an export's pre-signed S3 URL (`<data dir>/exports/<id>.csv`): the URL
 * that GET /v1/audit/exports/{id} answers, fetched with an auditor's token (checked as the API
 * checks tokens) before the `expires` it carries. False when the request is not for it.
 */
async function serveExportFile(
  req: IncomingMessage,
  res: ServerResponse,
  issuerKey: IssuerKey,
  dataDir: string,
): Promise<boolean> {
  const url = requestUrl(req);
  const id = url && EXPORT_FILE.exec(url.pathname)?.[1];
  if (!id || req.method !== 'GET') return false;
  const refuse = (status: number, error: string, message: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify({ error, message, details: [] }));
    return true;
  };
  const bearer = await bearerClaims(issuerKey, req.headers.authorization);
  if ('refusal' in bearer)
    return refuse(401, 'unauthorized', bearer.refusal.message, {
      'www-authenticate': bearer.refusal.challenge,
    });
  const groups = bearer.claims['cognito:groups'];
  if (!Array.isArray(groups) || !groups.includes('auditor'))
    return refuse(403, 'forbidden', 'an export is for auditors only');
  const files = new DirectoryExportFiles(join(dataDir, 'exports'), '');
  const refusal = await files.refusal(id, url.searchParams, new Date());
  if (refusal === 'forged') return refuse(403, 'forbidden', 'the download URL is not one the service made');
  if (refusal === 'expired')
    return refuse(403, 'expired', 'the download URL has expired; ask for the job again');
  const file = files.path(id);
  const size = await stat(file).then(
    (s) => s.size,
    () => undefined,
  );
  if (size === undefined) return refuse(404, 'not_found', `export ${id} has no file`);
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-length': String(size),
    'content-disposition': `attachment; filename="feeproof-receipts-${id}.csv"`,
  });
  await pipeline(createReadStream(file), res);
  return true;
}

/** Stops accepting, ends the connections kept alive, and writes the public check counts held. */
export async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((ok) => server.close(() => ok()));
  server.closeAllConnections();
  await getDeps()
    .checks.flush()
    .catch((e) => process.stderr.write(`check counts not written: ${(e as Error).message}\n`));
}

/** Everything `npm start` runs, in this one process (tests, and the bench's DynamoDB cost count). */
export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const prepared = await prepareLocalService(options);
  const server = await listenLocal(prepared.port, prepared.dataDir).catch(async (e) => {
    await prepared.stopDynamo();
    throw e;
  });
  const actualPort = (server.address() as { port: number }).port;
  const log = await startLogIntegrator(getDeps().db, getDeps().config.tables, prepared.dataDir);
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    dynamoEndpoint: prepared.dynamoEndpoint,
    dataDir: prepared.dataDir,
    server,
    log,
    stop: async () => {
      await log.stop();
      await closeServer(server);
      await prepared.stopDynamo();
    },
  };
}
