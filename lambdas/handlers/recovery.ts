import { logger } from '../adapters/logger.js';
import { getDeps } from '../app/deps.js';
import { recoverPending } from '../app/completion.js';

/** Pending receipts younger than this are probably still being completed by their request. */
const MIN_AGE_MS = 60_000;

/**
 * The scheduled recovery step (EventBridge, every few minutes): completes every receipt
 * whose number was taken but whose signing or storing failed, so no number stays a hole.
 */
export async function handler(): Promise<{ completed: number; failed: number }> {
  const result = await recoverPending(getDeps(), MIN_AGE_MS);
  logger.info('recovery finished', result);
  return result;
}
