import type middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { AppError } from '../../core/errors.js';
import type { HttpEvent } from './types.js';

/**
 * A fixed-window limit per client address, for public routes. In Lambda each container
 * counts on its own, so the API stage throttle and the WAF rate rule are the real fence
 * there; locally this is it. FEEPROOF_RATE_LIMIT_PER_MINUTE (default 600; 0 turns it off).
 */
export function rateLimit(): middy.MiddlewareObj<HttpEvent, APIGatewayProxyResultV2> {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    before: async (request) => {
      const limit = Number(process.env.FEEPROOF_RATE_LIMIT_PER_MINUTE ?? 600);
      if (!(limit > 0)) return;
      const ip = request.event.requestContext?.http?.sourceIp ?? 'unknown';
      const now = Date.now();
      const window = windows.get(ip);
      if (!window || now - window.start >= 60_000) {
        if (windows.size > 10_000) windows.clear(); // bounded memory under address churn
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
