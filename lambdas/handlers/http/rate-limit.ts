import type middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { BoundedCache } from '../../core/bounded-cache.js';
import { AppError } from '../../core/errors.js';
import { ENV } from '../../runtime/env.js';
import type { HttpEvent } from './types.js';

/**
 * The caller's address. Behind CloudFront the source IP is the edge's, and CloudFront
 * appends the viewer's address to X-Forwarded-For, so the last entry is the one to trust
 * (earlier ones are whatever the client sent). Only trusted where the stack sets the flag.
 */
export function clientAddress(forwarded: string | undefined, sourceIp: string | undefined): string {
  if (process.env[ENV.trustForwardedFor] === 'true' && forwarded) return forwarded.split(',').pop()!.trim();
  return sourceIp ?? 'unknown';
}

/**
 * A fixed-window limit per client address, for public routes. In Lambda each container
 * counts on its own, so the API stage throttle and the WAF rate rule are the real fence
 * there (CloudFront with the optional WAF rate rule, `webAclArn`); locally this is it.
 * FEEPROOF_RATE_LIMIT_PER_MINUTE (default 600; 0 turns it off).
 */
export function rateLimit(): middy.MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> {
  // Bounded memory under address churn: past 10,000 addresses, counting starts afresh.
  const windows = new BoundedCache<string, { start: number; count: number }>(10_001);
  return {
    before: async (request) => {
      const limit = Number(process.env[ENV.rateLimitPerMinute] ?? 600);
      if (!(limit > 0)) return;
      const ip = clientAddress(
        request.event.headers?.['x-forwarded-for'],
        request.event.requestContext?.http?.sourceIp,
      );
      const now = Date.now();
      const window = windows.get(ip);
      if (!window || now - window.start >= 60_000) {
        windows.set(ip, { start: now, count: 1 });
        return;
      }
      window.count++;
      if (window.count > limit) {
        const retryAfter = Math.ceil((window.start + 60_000 - now) / 1000);
        throw new AppError('rate_limited', `too many requests; retry in ${retryAfter} s`, [], {
          'retry-after': String(retryAfter),
        });
      }
    },
  };
}
