import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { parseCheckpoint } from '../../core/tlog/checkpoint.js';
import { TlogError } from '../../core/tlog/errors.js';
import { parseNote } from '../../core/tlog/note.js';
import type { TileStore, TreeHead } from '../../core/tlog/ports.js';
import { TILE_WIDTH, type TileId, tilePath } from '../../core/tlog/tiles.js';
import { sameBytes } from '../blobs/blob-keys.js';
import { LOG_TREE_HEAD_KEY, logTreeHistoryKey } from '../dynamo/keys.js';
import { failedConditions, transactWrite } from '../dynamo/transactions.js';
import { CHECKPOINT_CONTENT_TYPE, SHORT_CACHE, TILE_CONTENT_TYPE, tileCacheControl } from './serving.js';

export interface S3TileStoreOptions {
  s3: S3Client;
  /** The tile bucket, which CloudFront serves at /log/* as it is. */
  bucket: string;
  /** Key prefix of the log: `log/` gives `log/checkpoint` and `log/tile/...`, the served paths. */
  prefix?: string;
  db: DynamoDBDocumentClient;
  /** The ledger table, which holds the tree head (keys.ts LOG_TREE_HEAD_KEY). */
  table: string;
  /**
   * A reader (the verification function building proofs): readCheckpoint never puts the
   * checkpoint object, so it needs no S3 write access. The integrator is the writer.
   */
  readOnly?: boolean;
}

const httpStatus = (e: unknown) =>
  (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const missing = (e: unknown) => (e as Error).name === 'NoSuchKey' || httpStatus(e) === 404;
const preconditionFailed = (e: unknown) =>
  (e as Error).name === 'PreconditionFailed' || httpStatus(e) === 412;
/** Another conditional write to the same key was under way (S3 answers 409): try again. */
const conflicting = (e: unknown) =>
  (e as Error).name === 'ConditionalRequestConflict' || httpStatus(e) === 409;
const CONFLICT_ATTEMPTS = 4;
const READ_ATTEMPTS = 3;

/**
 * The log in AWS (docs/transparency-log.md): tiles, entry bundles and the checkpoint as S3
 * objects under `log/`, keyed exactly as tlog-tiles serves them and carrying their
 * Cache-Control, so CloudFront serves the bucket as is; the tree head's compare-and-swap in
 * DynamoDB.
 *
 * - Tiles and bundles are written once (`If-None-Match: *`): S3 itself refuses a key that
 *   exists, even between two integrators racing; the same bytes again are fine (a rerun after a
 *   crash), different bytes are refused as a fork.
 * - The tree head is the ledger's LOGTREE/HEAD item, swapped under a condition on the note it
 *   replaces, in the same transaction that records the head as LOGTREE/<generation>. Only then
 *   is `log/checkpoint` put. A crash between the two leaves the served checkpoint one behind:
 *   readCheckpoint (the first thing every integration run does) puts it again. Two writers
 *   publishing at once each re-read the head after their put and put it again if it moved, so
 *   the last put is always of the newest head.
 */
export class S3TileStore implements TileStore {
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly db: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly readOnly: boolean;

  constructor(o: S3TileStoreOptions) {
    this.s3 = o.s3;
    this.bucket = o.bucket;
    this.prefix = o.prefix ?? 'log/';
    this.db = o.db;
    this.table = o.table;
    this.readOnly = o.readOnly ?? false;
  }

  async readTile(tile: TileId): Promise<Uint8Array | null> {
    const exact = await this.get(this.tileKey(tile));
    if (exact || tile.width === TILE_WIDTH) return exact;
    // A partial tile's hashes are a prefix of the full tile's, which a run may have written instead.
    return this.get(this.tileKey({ ...tile, width: TILE_WIDTH }));
  }

  async writeTile(tile: TileId, bytes: Uint8Array): Promise<void> {
    const key = this.tileKey(tile);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: bytes,
            IfNoneMatch: '*',
            ContentType: TILE_CONTENT_TYPE,
            CacheControl: tileCacheControl(tile),
            ChecksumAlgorithm: 'SHA256',
            ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'),
          }),
        );
        return;
      } catch (e) {
        if (conflicting(e) && attempt < CONFLICT_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, 20 * attempt));
          continue;
        }
        if (!preconditionFailed(e)) throw e;
        const stored = await this.get(key);
        if (stored && sameBytes(stored, bytes)) return;
        throw new TlogError(
          'inconsistent',
          `refusing to overwrite ${tilePath(tile)} with different bytes: the log would fork`,
        );
      }
    }
  }

  async readCheckpoint(): Promise<TreeHead | null> {
    const head = await this.readHead();
    if (!head) return null;
    if (!this.readOnly) await this.publish(head.note);
    return { note: head.note, checkpoint: parseCheckpoint(parseNote(head.note).text) };
  }

  async swapCheckpoint(expected: string | null, next: TreeHead): Promise<boolean> {
    const current = await this.readHead();
    if ((current?.note ?? null) !== expected) return false;
    const generation = (current?.generation ?? 0) + 1;
    try {
      await transactWrite(this.db, [
        {
          Put: {
            TableName: this.table,
            Item: { ...LOG_TREE_HEAD_KEY, note: next.note, size: next.checkpoint.size, generation },
            ...(current
              ? {
                  ConditionExpression: 'note = :expected AND generation = :g',
                  ExpressionAttributeValues: { ':expected': expected, ':g': current.generation },
                }
              : { ConditionExpression: 'attribute_not_exists(pk)' }),
          },
        },
        {
          Put: {
            TableName: this.table,
            Item: { ...logTreeHistoryKey(generation), note: next.note, size: next.checkpoint.size },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ]);
    } catch (e) {
      failedConditions(e); // another integrator swapped first
      return false;
    }
    await this.publish(next.note);
    return true;
  }

  /** The head as the ledger holds it (consistent read), or null before the first. */
  private async readHead(): Promise<{ note: string; generation: number } | null> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: LOG_TREE_HEAD_KEY, ConsistentRead: true }),
    );
    if (!out.Item) return null;
    return { note: out.Item.note as string, generation: out.Item.generation as number };
  }

  /**
   * Makes `log/checkpoint` the note, unless it already is; then checks the head did not move
   * meanwhile (a newer head published before this put would otherwise be hidden by it).
   */
  private async publish(note: string): Promise<void> {
    for (;;) {
      const served = await this.get(this.checkpointKey);
      if (served && Buffer.from(served).toString('utf8') === note) return;
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.checkpointKey,
          Body: note,
          ContentType: CHECKPOINT_CONTENT_TYPE,
          CacheControl: SHORT_CACHE,
        }),
      );
      const latest = await this.readHead();
      if (!latest || latest.note === note) return;
      note = latest.note;
    }
  }

  private get checkpointKey() {
    return `${this.prefix}checkpoint`;
  }

  private tileKey(tile: TileId) {
    return `${this.prefix}${tilePath(tile)}`;
  }

  /**
   * An object's bytes, or null if absent. A body cut off mid-read (a reset connection: the SDK
   * retries requests, not the reading of their bodies) is read again.
   */
  private async get(key: string): Promise<Uint8Array | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        return out.Body ? await out.Body.transformToByteArray() : null;
      } catch (e) {
        if (missing(e)) return null;
        if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET' || attempt >= READ_ATTEMPTS) throw e;
      }
    }
  }
}
