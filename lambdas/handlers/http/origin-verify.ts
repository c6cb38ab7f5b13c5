import { createHash, timingSafeEqual } from 'node:crypto';
import type middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { AppError } from '../../core/errors.js';
import { ENV, ORIGIN_VERIFY_HEADER } from '../../runtime/env.js';
import type { HttpEvent } from './types.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The fence around the HTTP API's default execute-api endpoint, which anyone can call and
 * which skips CloudFront and its WAF. CloudFront adds a secret header to each request it
 * forwards (lib/api.ts); where the secret is configured (FEEPROOF_ORIGIN_VERIFY, set by the
 * stack on every API function) a request without it is refused before anything else runs.
 * The local server has no CloudFront in front and no secret configured: nothing to check.
 */
export function originVerify(): middy.MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> {
  return {
    before: async (request) => {
      const expected = process.env[ENV.originVerify];
      if (!expected) return;
      const sent = request.event.headers?.[ORIGIN_VERIFY_HEADER] ?? '';
      // Compared in constant time (over digests, so lengths may differ).
      if (!timingSafeEqual(digest(sent), digest(expected)))
        throw new AppError('forbidden', 'the API answers only through the distribution (its public URL)');
    },
  };
}
