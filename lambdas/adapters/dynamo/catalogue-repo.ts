import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type QueryCommandInput, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ItemVersion } from '../../core/catalogue.js';
import { conflict } from '../../core/errors.js';
import type { LedgerEvent } from '../../core/ports.js';
import { pendingEntryPut } from '../tlog/dynamo-sequence.js';
import { catalogueLogEntry } from '../tlog/ledger-entries.js';
import { eventPut } from './events.js';
import { queryAll } from './query.js';

/**
 * A transaction holds at most 100 writes: the event, a once-only marker, and per version its
 * row and its log entry.
 */
export const MAX_VERSIONS_PER_WRITE = 49;

const versionKey = (n: number) => String(n).padStart(6, '0');

function versionRow(v: ItemVersion) {
  return {
    pk: `ITEM#${v.code}`,
    sk: `V#${versionKey(v.version)}`,
    gsi1pk: 'CATALOGUE',
    gsi1sk: `${v.code}#${versionKey(v.version)}`,
    ...v,
  };
}

export class CatalogueRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { catalogue: string; ledger: string },
  ) {}

  /** Every version of every item (the catalogue is small: hundreds of items). */
  async allVersions(): Promise<ItemVersion[]> {
    return this.query({
      IndexName: 'all-versions',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'CATALOGUE' },
    });
  }

  /** The versions of one item, oldest first; strongly consistent so a change is seen at once. */
  async versionsOf(code: string): Promise<ItemVersion[]> {
    return this.query({
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': `ITEM#${code}` },
      ConsistentRead: true,
    });
  }

  /** Versions of the given items, keyed by code; codes without versions are absent. */
  async versionsByCode(codes: Iterable<string>): Promise<Map<string, ItemVersion[]>> {
    const unique = [...new Set(codes)];
    const lists = await Promise.all(unique.map((c) => this.versionsOf(c)));
    return new Map(unique.flatMap((c, i) => (lists[i]!.length ? [[c, lists[i]!] as const] : [])));
  }

  /**
   * Adds versions and the event that records them in one transaction: all or nothing. A
   * version number already taken (a concurrent change) is a 409, never an overwrite.
   */
  async addVersions(
    versions: ItemVersion[],
    event: LedgerEvent,
    marker?: { pk: string; sk: string },
  ): Promise<void> {
    if (versions.length > MAX_VERSIONS_PER_WRITE)
      throw new RangeError('too many versions for one transaction');
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            ...versions.map((v) => ({
              Put: {
                TableName: this.tables.catalogue,
                Item: versionRow(v),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            })),
            eventPut(this.tables.ledger, event),
            // Each version's log entry, queued in the transaction that adds it.
            ...versions.map((v) => pendingEntryPut(this.tables.ledger, catalogueLogEntry(v), event.at)),
            // A once-only marker (the demo seed) written in the same transaction.
            ...(marker
              ? [
                  {
                    Put: {
                      TableName: this.tables.ledger,
                      Item: { ...marker, at: event.at },
                      ConditionExpression: 'attribute_not_exists(pk)',
                    },
                  },
                ]
              : []),
          ],
        }),
      );
    } catch (e) {
      if (
        e instanceof TransactionCanceledException &&
        e.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed')
      )
        throw conflict('the item was changed at the same time (or already exists); reload and retry');
      throw e;
    }
  }

  private query(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<ItemVersion[]> {
    return queryAll(this.db, { ...input, TableName: this.tables.catalogue });
  }
}
