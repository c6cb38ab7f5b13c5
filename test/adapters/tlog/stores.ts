import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { LOG_TREE_HEAD_KEY, LOG_TREE_PK } from '../../../lambdas/adapters/dynamo/keys.js';
import { DirectoryTileStore } from '../../../lambdas/adapters/tlog/directory-store.js';
import { S3TileStore } from '../../../lambdas/adapters/tlog/s3-store.js';
import type { TileStore } from '../../../lambdas/core/tlog/ports.js';
import { type TileId, tilePath } from '../../../lambdas/core/tlog/tiles.js';
import { createTable } from '../../../lambdas/local/tables.js';
import { TABLES } from '../../../lambdas/runtime/tables.js';
import { type LocalS3, startLocalS3 } from '../blobs/s3-server.js';
import { tempDir } from './support.js';

/**
 * One log in a tile store, with what a test needs to look behind the store's back. The
 * integrator tests run on each kind (directory; S3 on s3rver over HTTP with the real SDK and the
 * tree head in DynamoDB Local), so the crash and race cases hold for every store.
 */
export interface LogHarness {
  store: TileStore;
  /** Another handle on the same log: a second integrator. */
  another(): TileStore;
  /** The checkpoint as served (`<dir>/checkpoint`, the `log/checkpoint` object), or null. */
  served(): Promise<string | null>;
  /** Every tree head ever published, oldest first. */
  heads(): Promise<string[]>;
  /** Rewrites a tile behind the store's back (an attacker, or a bug). */
  tamper(tile: TileId, bytes: Uint8Array): Promise<void>;
}

export interface StoreKind {
  name: string;
  fresh(): Promise<LogHarness>;
}

export const directoryKind: StoreKind = {
  name: 'directory',
  fresh: async () => {
    const dir = tempDir('log-dir');
    const root = join(dir, 'log');
    const headsDir = join(dir, 'log-state', 'heads');
    return {
      store: new DirectoryTileStore(root),
      another: () => new DirectoryTileStore(root),
      served: async () => {
        try {
          return readFileSync(join(root, 'checkpoint'), 'utf8');
        } catch {
          return null;
        }
      },
      heads: async () =>
        readdirSync(headsDir)
          .filter((f) => /^\d+$/.test(f))
          .sort()
          .map((f) => readFileSync(join(headsDir, f), 'utf8')),
      tamper: async (tile, bytes) => {
        const path = join(root, tilePath(tile));
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, bytes);
      },
    };
  },
};

/** s3rver and a DynamoDB client, started on first use; stopS3 in afterAll. */
let local: Promise<{ s3: LocalS3; db: DynamoDBDocumentClient }> | undefined;
const started = () => {
  local ??= startLocalS3().then((s3) => ({
    s3,
    // Not the service's 3 s timeouts: DynamoDB Local on a busy machine may take longer to answer.
    db: DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: inject('dynamoEndpoint'),
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    ),
  }));
  return local;
};
export const localS3 = async () => (await started()).s3;
/** The DynamoDB Local client the S3 logs keep their head with. */
export const localDb = async () => (await started()).db;
export async function stopS3() {
  if (local) await (await local).s3.stop();
  local = undefined;
}

/** A ledger-shaped table (pk, sk) of its own on DynamoDB Local. */
export async function freshTable(db: DynamoDBDocumentClient): Promise<string> {
  const name = `tlog-${randomBytes(5).toString('hex')}`;
  // A ledger's (whose index lists ranges allocated before they had listing rows: the sequencer reads it).
  await db.send(createTable(TABLES.find((t) => t.id === 'ledger')!, name));
  return name;
}

/** A fresh S3 log: its own key prefix in the s3rver bucket, its own table for the head. */
export async function freshS3Log(): Promise<
  LogHarness & { prefix: string; table: string; s3: LocalS3; db: DynamoDBDocumentClient }
> {
  const { s3, db } = await started();
  const table = await freshTable(db);
  const prefix = `log-${randomBytes(4).toString('hex')}/`;
  const make = () => new S3TileStore({ s3: s3.client(), bucket: s3.bucket, prefix, db, table });
  const client = s3.client();
  return {
    prefix,
    table,
    s3,
    db,
    store: make(),
    another: make,
    served: async () => {
      try {
        const out = await client.send(
          new GetObjectCommand({ Bucket: s3.bucket, Key: `${prefix}checkpoint` }),
        );
        return (await out.Body?.transformToString('utf8')) ?? null;
      } catch (e) {
        if ((e as Error).name === 'NoSuchKey') return null;
        throw e;
      }
    },
    heads: async () => {
      const out = await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': LOG_TREE_PK },
          ConsistentRead: true,
        }),
      );
      return (out.Items ?? []).filter((i) => i.sk !== LOG_TREE_HEAD_KEY.sk).map((i) => i.note as string);
    },
    tamper: async (tile, bytes) => {
      await client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}${tilePath(tile)}`, Body: bytes }),
      );
    },
  };
}

export const s3Kind: StoreKind = { name: 'S3 (s3rver, real SDK) + DynamoDB head', fresh: freshS3Log };

export const STORE_KINDS: StoreKind[] = [directoryKind, s3Kind];
