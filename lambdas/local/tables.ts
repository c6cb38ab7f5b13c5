import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TTL_ATTRIBUTE, TTL_TABLE } from '../adapters/dynamo/keys.js';
import type { Config } from '../runtime/config.js';
import { PARTITION_KEY, SORT_KEY, TABLES, type TableDefinition } from '../runtime/tables.js';

/** The request that creates a table of this definition under `name`, as the stack declares it. */
export function createTable(table: TableDefinition, name: string): CreateTableCommand {
  const attributes = new Set([
    PARTITION_KEY,
    SORT_KEY,
    ...table.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ]);
  return new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((a) => ({ AttributeName: a, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
      { AttributeName: SORT_KEY, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: table.indexes.length
      ? table.indexes.map((i) => ({
          IndexName: i.name,
          KeySchema: [
            { AttributeName: i.partitionKey, KeyType: 'HASH' },
            { AttributeName: i.sortKey, KeyType: 'RANGE' },
          ],
          // As the stack declares it (lib/tables.ts), so DynamoDB Local does the same work per write.
          Projection: { ProjectionType: i.projection ?? 'ALL' },
        }))
      : undefined,
  });
}

/** Creates the tables that are missing, from the same definitions the CDK stack uses. */
export async function ensureTables(
  client: DynamoDBDocumentClient,
  names: Config['tables'],
): Promise<string[]> {
  const existing = new Set<string>();
  let start: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    for (const n of page.TableNames ?? []) existing.add(n);
    start = page.LastEvaluatedTableName;
  } while (start);

  const created: string[] = [];
  for (const table of TABLES) {
    const name = names[table.id];
    if (existing.has(name)) continue;
    await client.send(createTable(table, name));
    created.push(name);
  }
  await enableTtl(client, names[TTL_TABLE]);
  return created;
}

/** The TTL attribute, as the stack sets it (lib/tables.ts); also on a table made before it existed. */
async function enableTtl(client: DynamoDBDocumentClient, table: string): Promise<void> {
  const { TimeToLiveDescription: ttl } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: table }),
  );
  if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
}
