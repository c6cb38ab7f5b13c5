import middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { isPublic, ROUTES, type RouteGroup } from '../../runtime/routes.js';
import { apiRequest, httpErrors, powertools } from './middlewares.js';
import { originVerify } from './origin-verify.js';
import { rateLimit } from './rate-limit.js';
import { type StreamingContext, streamedBodies } from './streaming.js';
import type { HttpEvent, Operation, Operations } from './types.js';

/**
 * One Lambda handler for a route group: the middlewares do the cross-cutting work, then the
 * operation named by the route's id runs, with the input its route's schemas parsed. Every
 * route of the group must have its operation.
 */
export function groupHandler<G extends RouteGroup>(group: G, typed: NoInfer<Operations<G>>) {
  const operations = typed as Record<string, Operation>;
  const routes = ROUTES.filter((r) => r.group === group);
  const missing = routes.filter((r) => !operations[r.id]).map((r) => r.id);
  if (missing.length) throw new Error(`group ${group} lacks operations: ${missing.join(', ')}`);
  // Powertools first: its context is in place before anything logs, and it sees every outcome.
  const handler = middy<HttpEvent, APIGatewayProxyResultV2, Error, StreamingContext>()
    .use(powertools())
    .use(httpErrors())
    // Before anything else runs: a request that did not come through CloudFront is refused.
    .use(originVerify());
  // Anonymous callers are limited per address; authenticated ones are Cognito users.
  if (routes.some(isPublic)) handler.use(rateLimit());
  return handler
    .use(streamedBodies())
    .use(apiRequest())
    .handler(async (event) => operations[event.feeproof!.route.id]!(event.feeproof!));
}
