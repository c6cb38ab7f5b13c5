import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type QueryCommandInput, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ExpiringCache } from '../../core/bounded-cache.js';
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

/**
 * How long a charge may be checked against a version list this process read (docs/speed.md,
 * "The catalogue an issuance reads"): a version saved since is seen at most this late. Versions
 * are only added, each with its own effective date, never today's past; so a list at most this
 * old lacks only versions saved in the last seconds, and decides every charge dated before the
 * day it was read exactly as a fresh one.
 */
export const CHARGE_CATALOGUE_TTL_MS = 10_000;
/** Item codes whose versions are held at most (the oldest read is dropped first). */
const CHARGE_CATALOGUE_CODES = 2_000;

export class CatalogueRepository {
  /** Version lists for the charge check, by code: the read (shared by concurrent charges) and when it began. */
  private readonly forCharges = new ExpiringCache<string, Promise<ItemVersion[]>>(
    CHARGE_CATALOGUE_TTL_MS,
    CHARGE_CATALOGUE_CODES,
  );

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
   * The versions of the given items for checking a charge (issuing and its dry run): as
   * versionsByCode, from a per-process cache at most CHARGE_CATALOGUE_TTL_MS old. A code with no
   * versions is not held (an item created a moment ago is found at once); a change saved by
   * this process empties the cache.
   */
  async versionsForCharge(codes: Iterable<string>): Promise<Map<string, ItemVersion[]>> {
    const unique = [...new Set(codes)];
    const lists = await Promise.all(
      unique.map((code) => {
        const held = this.forCharges.get(code);
        if (held) return held;
        const versions = this.versionsOf(code);
        this.forCharges.set(code, versions);
        const forget = () => this.forCharges.forget(code, versions);
        versions.then((list) => list.length === 0 && forget(), forget);
        return versions;
      }),
    );
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
      const failed = (
        e instanceof TransactionCanceledException ? e.CancellationReasons : undefined
      )?.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      if (failed === undefined || failed < 0) throw e;
      // A first version that exists: the code was taken before (or a moment ago), not changed.
      const clash = versions[failed];
      if (clash?.version === 1)
        throw conflict(
          `item ${clash.code} already exists: revise it, or create the new item under another code`,
        );
      throw conflict('the item was changed at the same time; reload and retry');
    } finally {
      this.forCharges.clear(); // after the write: a charge checked meanwhile may have read the old list
    }
  }

  private query(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<ItemVersion[]> {
    return queryAll(this.db, { ...input, TableName: this.tables.catalogue });
  }
}
