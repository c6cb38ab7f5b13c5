import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, powertoolsLogger } from '../adapters/logger.js';
import { removeExpiredContacts } from '../app/complaints.js';
import { recoverPending } from '../app/completion.js';
import { getDeps } from '../app/deps.js';

/** Pending receipts younger than this are probably still being completed by their request. */
const MIN_AGE_MS = 60_000;
/** The invocation's time kept back from completing receipts. */
const RESERVE_MS = 30_000;

/**
 * The scheduled recovery step (EventBridge, every few minutes): completes every receipt
 * whose number was taken but whose signing or storing failed, so no number stays a hole.
 * Each receipt it cannot complete is logged with its number (app/completion.ts); the summary
 * line's `stuck` count feeds the stuck-receipts alarm (lib/observability.ts). It also removes
 * complaints' contact details past their retention (app/complaints.ts).
 */
export const handler = middy(
  async (
    _event: unknown,
    context: Context,
  ): Promise<{ completed: number; failed: number; stuck: number }> => {
    const deps = getDeps();
    // Stops between receipts with time left for the retention step and the summary line.
    const until = Date.now() + context.getRemainingTimeInMillis() - RESERVE_MS;
    const result = await recoverPending(deps, { minAgeMs: MIN_AGE_MS, until });
    logger.info('recovery finished', result);
    // Retention: complaints' contact details past their time are removed, each an event. Its own
    // log line; a failure here never hides the recovery's result.
    try {
      logger.info('contact retention finished', { removed: await removeExpiredContacts(deps) });
    } catch (error) {
      logger.error('contact retention failed', { error });
    }
    return result;
  },
).use(injectLambdaContext(powertoolsLogger()));
