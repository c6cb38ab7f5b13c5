import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../../runtime/config.js';

/** The low-level client's options; against DynamoDB Local dummy credentials (the engine ignores them). */
function clientOptions(config: Pick<Config, 'dynamoEndpoint' | 'awsRegion'>): DynamoDBClientConfig {
  const local = config.dynamoEndpoint !== undefined;
  return {
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
  };
}

/** A document client (native values in, native values out): what most repositories use. */
export function createDocumentClient(
  config: Pick<Config, 'dynamoEndpoint' | 'awsRegion'>,
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(clientOptions(config)), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * A client for the plain commands (attribute values by hand), for the hot paths that send only
 * those: the public check. It resolves a command type's middleware stack once, not per request
 * (`cacheMiddleware`), which saves about 0.13 ms of CPU a request (docs/speed.md). The document
 * client cannot do that (lib-dynamodb refuses the option: its commands add middleware per
 * instance), hence a client of its own.
 */
export function createPlainClient(config: Pick<Config, 'dynamoEndpoint' | 'awsRegion'>): DynamoDBClient {
  return new DynamoDBClient({ ...clientOptions(config), cacheMiddleware: true });
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
