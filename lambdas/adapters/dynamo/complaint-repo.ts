import { timingSafeEqual } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Complaint } from '../../core/complaints.js';
import type { LedgerEvent } from '../../core/ports.js';
import type { ReceiptRef } from '../../core/receipt.js';
import { eventPut } from './events.js';
import {
  CONTACTS_PARTITION,
  checksKey,
  complaintAddressKey,
  complaintContactKey,
  complaintKey,
  complaintListingKeys,
  complaintReceiptKey,
  contactListingKeys,
  LISTING_INDEX,
  stripKeys,
  TTL_ATTRIBUTE,
} from './keys.js';
import { storedCopy } from './receipt-copy.js';
import { failedConditions, type TransactItem, transactWrite } from './transactions.js';

/** Why a complaint was not stored: a limit of the public form, or an id drawn twice. */
export type FileRefusal = 'address_limit' | 'receipt_limit' | 'id_taken';

export interface FileLimits {
  /** A keyed hash (HMAC) of the day and the address: the address itself is never stored. */
  addressHash: string;
  day: string;
  /** When the address counter may go (epoch seconds, the TTL attribute): after its day. */
  addressCounterExpires: number;
  perAddressPerDay: number;
  perReceipt: number;
}

/**
 * A counter that may go up only while under its limit: refused, it is left as it was. With
 * `expires` (epoch seconds) DynamoDB deletes the row after then (TTL_ATTRIBUTE).
 */
const limitedCounter = (
  table: string,
  Key: Record<string, string>,
  max: number,
  expires?: number,
): TransactItem => ({
  Update: {
    TableName: table,
    Key,
    UpdateExpression: `ADD complaints :one${expires === undefined ? '' : ' SET #ttl = :ttl'}`,
    ConditionExpression: 'attribute_not_exists(complaints) OR complaints < :max',
    ExpressionAttributeValues: {
      ':one': 1,
      ':max': max,
      ...(expires === undefined ? {} : { ':ttl': expires }),
    },
    ...(expires === undefined ? {} : { ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE } }),
  },
});

const same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Complaints in the ledger table: each change and its event are one transaction. */
export class ComplaintRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { receipts: string; ledger: string },
  ) {}

  /**
   * The department of a complete receipt whose check code matches, read from its public check
   * row (no check is counted); undefined for a wrong code or a missing receipt alike.
   */
  async receiptDepartment(ref: ReceiptRef, checkCode: string): Promise<string | undefined> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tables.receipts,
        Key: checksKey(ref),
        ProjectionExpression: 'checkCode, #copy, receipt',
        ExpressionAttributeNames: { '#copy': 'copy' }, // a reserved word
      }),
    );
    const row = out.Item as { checkCode?: string; copy?: Uint8Array; receipt?: string } | undefined;
    const stored = row && storedCopy(row);
    if (!row?.checkCode || !stored || !same(row.checkCode, checkCode)) return undefined;
    return stored.parse().department;
  }

  /**
   * Stores a complaint, its contact (apart), the counters of the limits and the event, all or
   * nothing: a limit reached writes nothing at all.
   */
  async file(
    complaint: Complaint,
    contact: string | undefined,
    limits: FileLimits,
    event: LedgerEvent,
  ): Promise<FileRefusal | null> {
    const { ledger } = this.tables;
    const items: TransactItem[] = [
      {
        Put: {
          TableName: ledger,
          Item: {
            ...complaintKey(complaint.id),
            ...complaintListingKeys(complaint.filedAt, complaint.id),
            ...complaint,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      limitedCounter(
        ledger,
        complaintAddressKey(limits.addressHash, limits.day),
        limits.perAddressPerDay,
        limits.addressCounterExpires,
      ),
      eventPut(ledger, event),
    ];
    const receiptAt = complaint.receipt ? items.length : -1;
    if (complaint.receipt)
      items.push(limitedCounter(ledger, complaintReceiptKey(complaint.receipt), limits.perReceipt));
    if (contact)
      items.push({
        Put: {
          TableName: ledger,
          Item: {
            ...complaintContactKey(complaint.id),
            ...contactListingKeys(complaint.filedAt, complaint.id),
            id: complaint.id,
            filedAt: complaint.filedAt,
            contact,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    try {
      await transactWrite(this.db, items);
      return null;
    } catch (e) {
      const failed = failedConditions(e);
      if (failed.includes(1)) return 'address_limit';
      if (failed.includes(receiptAt)) return 'receipt_limit';
      return 'id_taken';
    }
  }

  async get(id: string): Promise<Complaint | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tables.ledger, Key: complaintKey(id), ConsistentRead: true }),
    );
    return out.Item ? (stripKeys(out.Item) as unknown as Complaint) : undefined;
  }

  /** The contact the payer left, while it is kept. */
  async contact(id: string): Promise<string | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tables.ledger, Key: complaintContactKey(id), ConsistentRead: true }),
    );
    return out.Item?.contact as string | undefined;
  }

  /**
   * Changes a complaint from the status it was read in, with its event, in one transaction.
   * False when it changed in between.
   */
  async change(complaint: Complaint, set: Partial<Complaint>, event: LedgerEvent): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':from': complaint.status };
    const assignments = Object.entries(set).map(([k, v], i) => {
      names[`#f${i}`] = k;
      values[`:v${i}`] = v;
      return `#f${i} = :v${i}`;
    });
    try {
      await transactWrite(this.db, [
        {
          Update: {
            TableName: this.tables.ledger,
            Key: complaintKey(complaint.id),
            UpdateExpression: `SET ${assignments.join(', ')}`,
            ConditionExpression: 'attribute_exists(pk) AND #status = :from',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        },
        eventPut(this.tables.ledger, event),
      ]);
      return true;
    } catch (e) {
      failedConditions(e);
      return false;
    }
  }

  /** Contacts of complaints filed before an instant, oldest first: those past retention. */
  async contactsFiledBefore(before: string, limit: number): Promise<{ id: string; filedAt: string }[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tables.ledger,
        IndexName: LISTING_INDEX.name,
        KeyConditionExpression: '#p = :p AND #s < :before',
        ExpressionAttributeNames: { '#p': LISTING_INDEX.partition, '#s': LISTING_INDEX.sort },
        ExpressionAttributeValues: { ':p': CONTACTS_PARTITION, ':before': before },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((r) => ({ id: r.id as string, filedAt: r.filedAt as string }));
  }

  /**
   * Removes a complaint's contact, marks the complaint and records the event, in one
   * transaction; false when it was removed already (another run did it).
   */
  async removeContact(id: string, event: LedgerEvent): Promise<boolean> {
    const { ledger } = this.tables;
    try {
      await transactWrite(this.db, [
        {
          Update: {
            TableName: ledger,
            Key: complaintContactKey(id),
            UpdateExpression: 'REMOVE contact, gsi1pk, gsi1sk SET removedAt = :at',
            ConditionExpression: 'attribute_exists(contact)',
            ExpressionAttributeValues: { ':at': event.at },
          },
        },
        {
          Update: {
            TableName: ledger,
            Key: complaintKey(id),
            UpdateExpression: 'SET hasContact = :no, contactRemovedAt = :at',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':no': false, ':at': event.at },
          },
        },
        eventPut(ledger, event),
      ]);
      return true;
    } catch (e) {
      failedConditions(e);
      return false;
    }
  }
}
