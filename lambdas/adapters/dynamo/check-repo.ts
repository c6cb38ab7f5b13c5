import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CheckStore, StoredReceipt } from '../../core/ports.js';
import type { ReceiptRef, ReceiptStatus } from '../../core/receipt.js';
import { checksKey } from './keys.js';

/** A receipt's public check row (see checksKey), written when the receipt is completed. */
interface CheckRow {
  checkCode: string;
  checks: number;
  status: ReceiptStatus;
  reversedBy?: ReceiptRef;
  /** The complete receipt as JSON; status and reversedBy above are its current ones. */
  receipt: string;
}

/** Public checks of receipts: the count, and the copy of the receipt that a check shows. */
export class CheckRepository implements CheckStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * A public check: counts it and returns the receipt only when the check code matches a
   * complete receipt. A wrong check code and a missing number both end at the one
   * conditional write, so they cost the same and cannot be told apart.
   */
  async recordCheck(ref: ReceiptRef, checkCode: string): Promise<StoredReceipt | undefined> {
    let row: CheckRow;
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: checksKey(ref),
          UpdateExpression: 'ADD checks :one',
          ConditionExpression: 'attribute_exists(pk) AND checkCode = :c',
          ExpressionAttributeValues: { ':one': 1, ':c': checkCode },
          ReturnValues: 'ALL_NEW',
        }),
      );
      row = out.Attributes as CheckRow;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw e;
    }
    const { status, reversedBy, checks } = row;
    return {
      ...(JSON.parse(row.receipt) as StoredReceipt),
      status,
      ...(reversedBy ? { reversedBy } : {}),
      checks,
    };
  }

  async count(ref: ReceiptRef): Promise<number> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: checksKey(ref), ProjectionExpression: 'checks' }),
    );
    return Number(out.Item?.checks ?? 0);
  }
}
