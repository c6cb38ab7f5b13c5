import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

export type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/** DynamoDB's limit of writes in one transaction. */
export const MAX_TRANSACTION_WRITES = 100;

/**
 * Which items of a cancelled transaction failed their condition. A cancellation for any
 * other reason (a conflict with another transaction, throttling, a capacity limit) says
 * nothing about the data: it is rethrown, so that the caller answers 503 (retry) instead of
 * reading it as "lost the race". Anything but a cancellation is rethrown as it is.
 */
export function failedConditions(error: unknown): number[] {
  if (!(error instanceof TransactionCanceledException) || !cancelledByCondition(error)) throw error;
  return reasonCodes(error).flatMap((code, i) => (code === 'ConditionalCheckFailed' ? [i] : []));
}

const reasonCodes = (error: TransactionCanceledException) =>
  (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');

/** Cancelled only because conditions failed: the data said no, nothing transient happened. */
export function cancelledByCondition(error: TransactionCanceledException): boolean {
  const codes = reasonCodes(error);
  return (
    codes.includes('ConditionalCheckFailed') &&
    codes.every((c) => c === 'None' || c === 'ConditionalCheckFailed')
  );
}

/** Tries at a transaction that another transaction on the same items cancelled. */
const CONFLICT_ATTEMPTS = 8;

const conflicted = (error: unknown) =>
  error instanceof TransactionCanceledException &&
  reasonCodes(error).includes('TransactionConflict') &&
  !reasonCodes(error).includes('ConditionalCheckFailed');

/**
 * Writes items in one transaction. A cancellation because another transaction held one of
 * the items at the same moment is retried a few times after a short random pause (the SDK
 * does not retry cancellations); a condition that failed, or a conflict that persists, is
 * the caller's to read (failedConditions).
 */
export async function transactWrite(
  db: DynamoDBDocumentClient,
  TransactItems: TransactItem[],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand({ TransactItems }));
      return;
    } catch (e) {
      if (attempt >= CONFLICT_ATTEMPTS || !conflicted(e)) throw e;
      // Full jitter, growing to at most 250 ms: about a second in all before a 503.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(250, 5 * 2 ** attempt)));
    }
  }
}
