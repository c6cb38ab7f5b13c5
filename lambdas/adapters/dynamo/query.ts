import type { BatchGetCommandOutput, DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredReceipt } from '../../core/ports.js';
import { receiptRowKey, stripKeys } from './keys.js';

/** Every row a query matches, page after page, as domain objects (index attributes dropped). */
export async function queryAll<T>(
  db: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<T[]> {
  const out: T[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    for (const item of page.Items ?? []) out.push(stripKeys(item) as T);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}

/** BatchGetItem requests one read sends at once. */
const BATCH_GETS_AT_ONCE = 4;

/** How rowsByKey reads: `onRequest` is told of each request; the rest is BatchGetItem's. */
export interface RowsByKeyOptions {
  onRequest?: () => void;
  consistent?: boolean;
  /** Only these attributes of each row (and always its keys, which find it in the answer). */
  attributes?: readonly string[];
}

/**
 * Rows read back by key, 100 a request and up to four requests at once (keys a request leaves
 * unprocessed are asked again), in no particular order, with their keys. A row not found is absent.
 */
export async function rowsByKey(
  db: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, string>[],
  { onRequest = () => {}, consistent, attributes }: RowsByKeyOptions = {},
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const chunks: Record<string, string>[][] = [];
  for (let i = 0; i < keys.length; i += 100) chunks.push(keys.slice(i, i + 100));
  const names = attributes && ['pk', 'sk', ...attributes];
  const projection = names && {
    ProjectionExpression: names.map((_, i) => `#a${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(BATCH_GETS_AT_ONCE, chunks.length) }, async () => {
      while (next < chunks.length) {
        let keysLeft: Record<string, unknown>[] | undefined = chunks[next++]!;
        while (keysLeft?.length) {
          const out: BatchGetCommandOutput = await db.send(
            new BatchGetCommand({
              RequestItems: { [table]: { Keys: keysLeft, ConsistentRead: consistent, ...projection } },
            }),
          );
          onRequest();
          rows.push(...(out.Responses?.[table] ?? []));
          keysLeft = out.UnprocessedKeys?.[table]?.Keys;
        }
      }
    }),
  );
  return rows;
}

/**
 * The receipts that index entries name (the receipt indexes project keys only: an entry is a
 * receipt row's or an item-index row's keys, and its pk is the receipt's), read back by key.
 */
export async function receiptsByPk(
  db: DynamoDBDocumentClient,
  table: string,
  rows: readonly Record<string, unknown>[],
  onRequest?: () => void,
): Promise<Map<string, StoredReceipt>> {
  const pks = [...new Set(rows.map((r) => r.pk as string))];
  const found = await rowsByKey(db, table, pks.map(receiptRowKey), { onRequest });
  return new Map(found.map((row) => [row.pk as string, stripKeys(row) as unknown as StoredReceipt]));
}
