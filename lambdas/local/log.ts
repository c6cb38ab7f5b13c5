import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DirectoryTileStore } from '../adapters/tlog/directory-store.js';
import { DynamoSequence } from '../adapters/tlog/dynamo-sequence.js';
import { integrate } from '../adapters/tlog/integrator.js';
import { logKeyPath, openLogKey } from '../adapters/tlog/log-key.js';
import {
  CHECKPOINT_CONTENT_TYPE,
  IMMUTABLE_CACHE,
  SHORT_CACHE,
  TILE_CONTENT_TYPE,
} from '../adapters/tlog/serving.js';
import { HASH_SIZE } from '../core/tlog/hash.js';
import { decodeBundle, encodeBundle, parseTilePath, TILE_WIDTH } from '../core/tlog/tiles.js';

/**
 * The local transparency log (docs/transparency-log.md): the primary process sequences the
 * entries the committing transactions queued and integrates them into tiles under
 * `<data>/log` every couple of seconds; every server process serves that directory at /log/.
 */

/** The log's name (origin line and key name). Fixed, so a data directory keeps its log across ports. */
export const logOrigin = () => process.env.FEEPROOF_LOG_ORIGIN ?? 'feeproof.local/log';
export const logDir = (dataDir: string) => join(dataDir, 'log');
/** How often the primary sequences and integrates. */
export const LOG_INTERVAL_MS = 2_000;

/** The log's verifier key (C2SP vkey), creating the key on first use. */
export async function logVkey(dataDir: string): Promise<string> {
  return (await openLogKey(logKeyPath(dataDir), logOrigin())).vkey;
}

export interface LogIntegrator {
  /** One run: sequence what is queued, integrate it; resolves when both are done. */
  run(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs sequencing + integration every LOG_INTERVAL_MS, one run at a time; stop() waits for the current one. */
export async function startLogIntegrator(
  db: DynamoDBDocumentClient,
  tables: { ledger: string; receipts: string },
  dataDir: string,
): Promise<LogIntegrator> {
  const origin = logOrigin();
  const signer = await openLogKey(logKeyPath(dataDir), origin);
  const sequence = new DynamoSequence(db, tables.ledger, tables.receipts);
  const store = new DirectoryTileStore(logDir(dataDir));
  let current: Promise<void> = Promise.resolve();
  const once = async () => {
    await sequence.sequence();
    // Integrate until caught up (a run takes at most a batch).
    for (;;) {
      const r = await integrate({ origin, signer, sequence, store });
      if (r.to >= (await sequence.size()) || !r.published) break;
    }
  };
  const run = () => {
    current = current.then(once);
    return current;
  };
  const timer = setInterval(() => {
    run().catch((e) => process.stderr.write(`transparency log: ${(e as Error).message}\n`));
  }, LOG_INTERVAL_MS);
  timer.unref();
  return {
    run,
    stop: async () => {
      clearInterval(timer);
      await current.catch(() => {});
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
