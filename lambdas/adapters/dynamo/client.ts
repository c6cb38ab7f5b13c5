import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../../runtime/config.js';

/** A document client; against DynamoDB Local it uses dummy credentials (the engine ignores them). */
export function createDocumentClient(
  config: Pick<Config, 'dynamoEndpoint' | 'awsRegion'>,
): DynamoDBDocumentClient {
  const local = config.dynamoEndpoint !== undefined;
  const client = new DynamoDBClient({
    region: local ? 'us-east-1' : config.awsRegion,
    ...(local
      ? { endpoint: config.dynamoEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: 3,
    // Without timeouts a database that stops answering (frozen, partitioned) holds every request
    // forever. With them a call fails as TimeoutError (503, retried by the client with its key)
    // within about 3 x 3 s. A timed-out transaction may still have been applied: its retry
    // carries the same ClientRequestToken, and issuing is idempotent either way.
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Errors that mean the database could not be reached or is overloaded: the client may retry later. */
export function isUnavailable(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(e.code ?? '') ||
    [
      'ProvisionedThroughputExceededException',
      'ThrottlingException',
      'RequestLimitExceeded',
      'InternalServerError',
      'ServiceUnavailable',
      'TimeoutError',
      // A transaction cancelled by a conflict or a throttle (failedConditions rethrows those).
      'TransactionCanceledException',
      'TransactionConflictException',
      'TransactionInProgressException',
    ].includes(e.name ?? '') ||
    (e.$metadata?.httpStatusCode ?? 0) >= 500
  );
}
