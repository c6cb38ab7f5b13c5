import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Signer } from '../../core/signer.js';
import type { KeyResolver, SignatureRole } from '../../core/two-signatures.js';
import { certificateToPem, createSelfSignedCertificate } from '../signing/certificate.js';
import { type DepartmentKey, departmentCertificatePem, resolvedKey } from '../signing/department-keys.js';
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
  /**
   * `supervision`: the bureau's key (receipts' PDF and QR signatures, the supervision signature
   * 财政部门监制签章, and the single signature of receipts issued before issue 17); absent on
   * rows written before roles existed, which are all the bureau's. `unit`: a collecting
   * department's key (开票单位签章), with its department.
   */
  role?: SignatureRole;
  department?: string;
}

export const roleOf = (k: Pick<PublishedKey, 'role'>): SignatureRole => k.role ?? 'supervision';

/**
 * The two-signature check's key lookup over published keys (a keyring's, or a /v1/keys answer
 * read offline): every published certificate, current or retired, by key id.
 */
export function keyResolverOf(
  keys: readonly Pick<PublishedKey, 'keyId' | 'certificatePem' | 'role' | 'department'>[],
): KeyResolver {
  return (keyId) => {
    const k = keys.find((x) => x.keyId === keyId);
    return k && resolvedKey(roleOf(k), { certificatePem: k.certificatePem }, k.department);
  };
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
    this.current ??= this.ensure(signer.keyId, {}, async (now, notAfter) =>
      certificateToPem(
        await createSelfSignedCertificate(signer, {
          ...this.subject,
          country: 'CN',
          notBefore: now,
          notAfter,
        }),
      ),
    ).catch((e) => {
      this.current = undefined;
      throw e;
    });
    return this.current;
  }

  private departmentKeys = new Map<string, Promise<PublishedKey>>();

  /**
   * The certificate of a collecting department's key, made and published (role `unit`, with
   * its department) the first time the key signs; it retires that department's other current
   * key only (a rotation), never the bureau's or another department's. Cached per process.
   */
  departmentCertificateFor(key: DepartmentKey, unitName: string): Promise<PublishedKey> {
    const keyId = key.signer.keyId;
    let cert = this.departmentKeys.get(keyId);
    if (!cert) {
      cert = this.ensure(keyId, { role: 'unit', department: key.department }, (now) =>
        departmentCertificatePem(key, { bureauName: this.subject.organization, unitName, now }),
      ).catch((e) => {
        this.departmentKeys.delete(keyId);
        throw e;
      });
      this.departmentKeys.set(keyId, cert);
    }
    return cert;
  }

  /** A published key by id: the cached list, then the table (a key made within the last minute). */
  async find(keyId: string): Promise<PublishedKey | undefined> {
    const listed = (await this.published()).find((k) => k.keyId === keyId);
    if (listed) return listed;
    const row = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keyRow(keyId), ConsistentRead: true }),
    );
    return row.Item ? (stripKeys(row.Item) as unknown as PublishedKey) : undefined;
  }

  /** The two-signature check's key lookup over this keyring. */
  resolver(): KeyResolver {
    return async (keyId) => {
      const k = await this.find(keyId);
      return k && keyResolverOf([k])(keyId);
    };
  }

  private async ensure(
    keyId: string,
    scope: { role?: 'unit'; department?: string },
    certificate: (now: Date, notAfter: Date) => Promise<string>,
  ): Promise<PublishedKey> {
    const existing = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keyRow(keyId), ConsistentRead: true }),
    );
    if (existing.Item) return stripKeys(existing.Item) as unknown as PublishedKey;
    const now = new Date();
    const notAfter = new Date(now);
    notAfter.setUTCFullYear(now.getUTCFullYear() + CERT_YEARS);
    const key: PublishedKey = {
      keyId,
      certificatePem: await certificate(now, notAfter),
      notBefore: now.toISOString(),
      notAfter: notAfter.toISOString(),
      status: 'current',
      createdAt: now.toISOString(),
      ...scope,
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
      return this.ensure(keyId, scope, certificate); // another process made it first: use theirs
    }
    this.listed = undefined; // this process's next look sees the new key
    // A rotation retires the other current key of the same holder: the bureau, or this department.
    for (const other of await this.all())
      if (
        other.keyId !== key.keyId &&
        other.status === 'current' &&
        roleOf(other) === roleOf(key) &&
        other.department === key.department
      )
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
