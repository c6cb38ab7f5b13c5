import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Signer } from '../../core/signer.js';
import { certificateToPem, createSelfSignedCertificate } from '../signing/certificate.js';
import { stripKeys } from './keys.js';
import { queryAll } from './query.js';

/** A signing certificate as published: current keys sign, retired keys still verify old receipts. */
export interface PublishedKey {
  keyId: string;
  certificatePem: string;
  notBefore: string;
  notAfter: string;
  status: 'current' | 'retired';
  createdAt: string;
  retiredAt?: string;
}

const CERT_YEARS = 10;
const keyRow = (keyId: string) => ({ pk: `KEY#${keyId}`, sk: 'CERT' });

/** The bureau's signing certificates, kept in the ledger table forever (a rotation only retires). */
export class KeyRing {
  private current?: Promise<PublishedKey>;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly subject: { commonName: string; organization: string },
  ) {}

  private listed?: { at: number; keys: Promise<PublishedKey[]> };

  /** The published keys, cached for a minute (a rotation shows up within it). */
  published(): Promise<PublishedKey[]> {
    if (!this.listed || Date.now() - this.listed.at > 60_000) {
      const keys = this.all();
      this.listed = { at: Date.now(), keys };
      keys.catch(() => {
        this.listed = undefined;
      });
    }
    return this.listed.keys;
  }

  all(): Promise<PublishedKey[]> {
    return queryAll(this.db, {
      TableName: this.table,
      IndexName: 'listing',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'KEYS' },
    });
  }

  /**
   * The certificate of the signer's key, made (self-signed through the signer) and stored
   * the first time this key is used; any other current key is retired then. Cached per process.
   */
  certificateFor(signer: Signer): Promise<PublishedKey> {
    this.current ??= this.ensure(signer).catch((e) => {
      this.current = undefined;
      throw e;
    });
    return this.current;
  }

  private async ensure(signer: Signer): Promise<PublishedKey> {
    const existing = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keyRow(signer.keyId), ConsistentRead: true }),
    );
    if (existing.Item) return stripKeys(existing.Item) as unknown as PublishedKey;
    const now = new Date();
    const notAfter = new Date(now);
    notAfter.setUTCFullYear(now.getUTCFullYear() + CERT_YEARS);
    const der = await createSelfSignedCertificate(signer, {
      ...this.subject,
      country: 'CN',
      notBefore: now,
      notAfter,
    });
    const key: PublishedKey = {
      keyId: signer.keyId,
      certificatePem: certificateToPem(der),
      notBefore: now.toISOString(),
      notAfter: notAfter.toISOString(),
      status: 'current',
      createdAt: now.toISOString(),
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keyRow(key.keyId), gsi1pk: 'KEYS', gsi1sk: `${key.createdAt}#${key.keyId}`, ...key },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
      return this.ensure(signer); // another process made it first: use theirs
    }
    for (const other of await this.all())
      if (other.keyId !== key.keyId && other.status === 'current')
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: keyRow(other.keyId),
            UpdateExpression: 'SET #s = :retired, retiredAt = :at',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':retired': 'retired', ':at': key.createdAt },
          }),
        );
    return key;
  }
}
