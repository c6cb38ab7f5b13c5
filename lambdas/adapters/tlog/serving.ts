import { TILE_WIDTH, type TileId } from '../../core/tlog/tiles.js';

/**
 * How the log's files are served (C2SP tlog-tiles), in one place for the local server
 * (lambdas/local/log.ts) and the S3 tile store, whose objects CloudFront serves as they are.
 * A full tile or bundle never changes: cached forever. A partial one is superseded by a wider
 * one and the checkpoint moves on: cached for seconds.
 */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
export const SHORT_CACHE = 'public, max-age=5';
export const TILE_CONTENT_TYPE = 'application/octet-stream';
export const CHECKPOINT_CONTENT_TYPE = 'text/plain; charset=utf-8';

export const tileCacheControl = (tile: TileId) => (tile.width === TILE_WIDTH ? IMMUTABLE_CACHE : SHORT_CACHE);
