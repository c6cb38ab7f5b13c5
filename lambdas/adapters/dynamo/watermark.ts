import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Raises a watermark row's `below` to `to`, never lowering it: two writers at once (two
 * recoveries, two log runs) agree, the higher one stands. Recovery's completion watermark and the
 * log's range watermarks alike.
 */
export async function raiseWatermark(
  db: DynamoDBDocumentClient,
  table: string,
  key: { pk: string; sk: string },
  to: number,
): Promise<void> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET below = :to',
        ConditionExpression: 'attribute_not_exists(below) OR below < :to',
        ExpressionAttributeValues: { ':to': to },
      }),
    );
  } catch (e) {
    if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
  }
}
