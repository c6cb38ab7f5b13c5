import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DirectoryTileStore } from '../adapters/tlog/directory-store.js';
import { logKeyPath, openLogKey } from '../adapters/tlog/log-key.js';
import {
  CHECKPOINT_CONTENT_TYPE,
  IMMUTABLE_CACHE,
  SHORT_CACHE,
  TILE_CONTENT_TYPE,
} from '../adapters/tlog/serving.js';
import { type LogDeps, type LogRun, logSigner, runLog } from '../app/transparency-log.js';
import { HASH_SIZE } from '../core/tlog/hash.js';
import { decodeBundle, encodeBundle, parseTilePath, TILE_WIDTH } from '../core/tlog/tiles.js';
import { logConfig } from '../runtime/config.js';

/**
 * The local transparency log (docs/transparency-log.md): the primary process sequences the
 * entries the committing transactions wrote (queued, or on receipts' rows) and integrates them into tiles under
 * `<data>/log` every couple of seconds; every server process serves that directory at /log/.
 */

export const logDir = (dataDir: string) => join(dataDir, 'log');
/** How often the primary sequences and integrates. */
export const LOG_INTERVAL_MS = 2_000;

/** The log's verifier key (C2SP vkey), creating the key on first use. */
export async function logVkey(dataDir: string): Promise<string> {
  return (await openLogKey(logKeyPath(dataDir), logConfig().origin)).vkey;
}

export interface LogIntegrator {
  /** One run: sequence what is queued, integrate it; resolves when both are done. */
  run(): Promise<LogRun>;
  stop(): Promise<void>;
}

/**
 * Runs the log (app/transparency-log.ts runLog, as the AWS integrator does) every
 * LOG_INTERVAL_MS, one run at a time; stop() waits for the current one.
 */
export async function startLogIntegrator(
  db: DynamoDBDocumentClient,
  tables: { ledger: string; receipts: string },
  dataDir: string,
): Promise<LogIntegrator> {
  // The name and the witnesses as configured (FEEPROOF_LOG_ORIGIN, FEEPROOF_LOG_WITNESSES); the
  // key and tiles under this server's data directory.
  const { origin, witnesses } = logConfig();
  const deps: LogDeps = {
    db,
    config: {
      // A key file and a directory: no AWS client is made.
      awsRegion: 'local',
      tables,
      log: {
        origin,
        key: { kind: 'file', path: logKeyPath(dataDir) },
        tiles: { kind: 'directory', dir: logDir(dataDir) },
        witnesses,
      },
    },
  };
  // The key now, so that a key file that cannot be made fails the start, not every run.
  await logSigner(deps.config);
  let current: Promise<unknown> = Promise.resolve();
  const run = () => {
    const next = current.then(() => runLog(deps));
    current = next.catch(() => {});
    return next;
  };
  const timer = setInterval(() => {
    run().catch((e) => process.stderr.write(`transparency log: ${(e as Error).message}\n`));
  }, LOG_INTERVAL_MS);
  timer.unref();
  return {
    run,
    stop: async () => {
      clearInterval(timer);
      await current;
    },
  };
}

/**
 * GET /log/checkpoint and /log/tile/... (C2SP tlog-tiles) from `<data>/log`. A partial tile
 * that a full one has replaced is cut from the full one (its hashes or entries are a prefix).
 * Returns false when the path is not the log's.
 */
export async function serveLog(res: ServerResponse, dataDir: string, path: string): Promise<boolean> {
  if (path !== '/log/checkpoint' && !path.startsWith('/log/tile/')) return false;
  const store = new DirectoryTileStore(logDir(dataDir));
  const send = (status: number, body: Uint8Array | string, cache: string, type = TILE_CONTENT_TYPE) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': cache });
    res.end(body);
    return true;
  };
  if (path === '/log/checkpoint') {
    const head = await store.readCheckpoint();
    return head
      ? send(200, head.note, SHORT_CACHE, CHECKPOINT_CONTENT_TYPE)
      : send(404, 'the log has no checkpoint yet\n', 'no-store', 'text/plain; charset=utf-8');
  }
  let tile: ReturnType<typeof parseTilePath>;
  try {
    tile = parseTilePath(path.slice('/log/'.length));
  } catch (e) {
    return send(400, `${(e as Error).message}\n`, 'no-store', 'text/plain; charset=utf-8');
  }
  const bytes = await store.readTile(tile);
  if (!bytes) return send(404, 'no such tile\n', 'no-store', 'text/plain; charset=utf-8');
  if (tile.width === TILE_WIDTH) return send(200, bytes, IMMUTABLE_CACHE);
  const cut =
    tile.level === 'entries'
      ? encodeBundle(decodeBundle(bytes).slice(0, tile.width))
      : bytes.subarray(0, tile.width * HASH_SIZE);
  return send(200, cut, SHORT_CACHE);
}
