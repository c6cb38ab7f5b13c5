import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { RouteGroup } from '../runtime/routes.js';

export type LambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The handler module of each route group, loaded on first use as a Lambda would load its
 * bundle. Typed by RouteGroup, so a new group without a module does not compile.
 */
const HANDLER_MODULES: Record<RouteGroup, () => Promise<{ handler: unknown }>> = {
  public: () => import('../handlers/public.js'),
  verify: () => import('../handlers/verify.js'),
  'catalogue-admin': () => import('../handlers/catalogue-admin.js'),
  ranges: () => import('../handlers/ranges.js'),
  receipts: () => import('../handlers/receipts.js'),
  audit: () => import('../handlers/audit.js'),
  stats: () => import('../handlers/stats.js'),
  complaints: () => import('../handlers/complaints.js'),
};

export async function loadHandler(group: RouteGroup): Promise<LambdaHandler> {
  return (await HANDLER_MODULES[group]()).handler as LambdaHandler;
}
