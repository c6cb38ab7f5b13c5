import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createDocumentClient } from '../adapters/dynamo/client.js';
import { logger, powertoolsLogger } from '../adapters/logger.js';
import { type LogRun, runLog } from '../app/transparency-log.js';
import { loadConfig } from '../runtime/config.js';

/** Only what the log needs (not app/deps.ts's repositories and signers), once per container. */
const config = loadConfig();
const deps = { config, db: createDocumentClient(config) };

/**
 * The transparency log's integrator (EventBridge, every minute; docs/transparency-log.md):
 * sequences the committed entries (queued, and receipts' from their rows), writes the tiles to the tile bucket, signs the checkpoint with
 * the log key in KMS and publishes it. The only function that may sign with the log key.
 * Its summary line is what the stack alarms on (lib/observability.ts LOG_RUN_SUMMARY_LOG: the
 * `backlog` of every run; no line at all is a run that failed).
 */
export const handler = middy(async (_event: unknown, context: Context): Promise<LogRun> => {
  const run = await runLog(deps, { timeLeftMs: () => context.getRemainingTimeInMillis() });
  logger.info('transparency log run finished', { ...run });
  for (const w of run.witnessErrors) logger.warn('witness did not cosign', w);
  return run;
}).use(injectLambdaContext(powertoolsLogger()));
