/**
 * The service's log: Powertools for AWS Lambda's Logger, one JSON line per entry (level,
 * message, timestamp, service, then the caller's fields; an Error field keeps `name`,
 * `message` and `stack`). Inside a handler, the injectLambdaContext middleware
 * (handlers/http/middlewares.ts) adds cold_start, function_name and function_request_id.
 * (One local server process runs requests concurrently, so there those fields may name a
 * neighbouring request; the `requestId` the error middleware logs is always the request's own.)
 *
 * Level: FEEPROOF_LOG_LEVEL (`debug`, `info`, `warn`, `error`, `silent`), else Powertools'
 * POWERTOOLS_LOG_LEVEL, else `info`; Lambda's advanced logging controls (AWS_LAMBDA_LOG_LEVEL)
 * override both. Service: POWERTOOLS_SERVICE_NAME, else `feeproof`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { ENV } from '../runtime/env.js';

export const SERVICE_NAME = 'feeproof';

let instance: Logger | undefined;

/**
 * The one Logger of the process, made on first use rather than at import: its level is read
 * once, and the local service and the tests set it after importing this module.
 */
export function powertoolsLogger(): Logger {
  instance ??= new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME,
    // An unknown value falls through to POWERTOOLS_LOG_LEVEL, then `info`.
    logLevel: process.env[ENV.logLevel]?.toUpperCase() as LogLevel | undefined,
  });
  return instance;
}

type Fields = Record<string, unknown>;

/** What the code calls: a message and its fields. */
export const logger = {
  debug: (message: string, fields: Fields = {}) => powertoolsLogger().debug(message, fields),
  info: (message: string, fields: Fields = {}) => powertoolsLogger().info(message, fields),
  warn: (message: string, fields: Fields = {}) => powertoolsLogger().warn(message, fields),
  error: (message: string, fields: Fields = {}) => powertoolsLogger().error(message, fields),
};
