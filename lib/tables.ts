/**
 * The DynamoDB tables, one per entry of TABLES (lambdas/runtime/tables.ts), encrypted
 * with one customer-managed key.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TTL_ATTRIBUTE, TTL_TABLE } from '../lambdas/adapters/dynamo/keys.js';
import {
  PARTITION_KEY,
  SORT_KEY,
  TABLES,
  type TableDefinition,
  type TableId,
} from '../lambdas/runtime/tables.js';
import { adminOnlyKeyPolicy, dynamoDbUseStatement, type KeyAdmin } from './key-policy.js';
import { pascal } from './names.js';

export interface FeeproofTable {
  definition: TableDefinition;
  table: dynamodb.Table;
}

export class Tables extends Construct {
  readonly key: kms.Key;
  readonly byId: ReadonlyMap<TableId, FeeproofTable>;

  constructor(scope: Construct, id: string, props: { keyAdmin: KeyAdmin }) {
    super(scope, id);
    const policy = adminOnlyKeyPolicy(props.keyAdmin);
    policy.addStatements(dynamoDbUseStatement(Stack.of(this)));
    this.key = new kms.Key(this, 'Key', {
      description: 'feeproof: encryption at rest of the DynamoDB tables',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      policy,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const byId = new Map<TableId, FeeproofTable>();
    for (const definition of TABLES) {
      const table = new dynamodb.Table(this, tableConstructId(definition.id), {
        partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
        sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.key,
        removalPolicy: RemovalPolicy.RETAIN,
        // Rows that carry TTL_ATTRIBUTE expire (the complaint form's per-address counters).
        ...(definition.id === TTL_TABLE ? { timeToLiveAttribute: TTL_ATTRIBUTE } : {}),
      });
      for (const index of definition.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
          projectionType:
            index.projection === 'KEYS_ONLY'
              ? dynamodb.ProjectionType.KEYS_ONLY
              : dynamodb.ProjectionType.ALL,
        });
      }
      byId.set(definition.id, { definition, table });
    }
    this.byId = byId;
  }

  get all(): FeeproofTable[] {
    return [...this.byId.values()];
  }

  table(id: TableId): dynamodb.Table {
    const entry = this.byId.get(id);
    if (!entry) throw new Error(`no table '${id}' in TABLES`);
    return entry.table;
  }
}

/** `receipts` -> `ReceiptsTable`: stable construct ids, hence stable logical ids. */
export function tableConstructId(id: TableId): string {
  return `${pascal(id)}Table`;
}
