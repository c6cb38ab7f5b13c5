import { AppError } from '../../core/errors.js';
import type { Role, Route } from '../../runtime/routes.js';
import type { Caller, HttpEvent } from './types.js';

const ROLES: readonly Role[] = ['finance', 'collector', 'auditor'];

/**
 * Cognito puts groups in `cognito:groups`; API Gateway's JWT authorizer hands arrays to
 * Lambda as a string like `[finance auditor]`, the local server as a real array.
 */
function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.map(String);
  if (typeof claim !== 'string') return [];
  return claim
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .map((g) => g.replace(/^"|"$/g, ''))
    .filter(Boolean);
}

export function callerOf(event: HttpEvent): Caller | null {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  if (!claims || typeof claims.sub !== 'string') return null;
  const department = claims['custom:department'];
  return {
    subject: claims.sub,
    username: String(claims.username ?? claims['cognito:username'] ?? claims.sub),
    roles: groupsOf(claims['cognito:groups']).filter((g): g is Role => ROLES.includes(g as Role)),
    ...(typeof department === 'string' && department ? { department } : {}),
  };
}

/** The handler's own group check (API Gateway only checked the token). */
export function authorize(route: Route, caller: Caller | null): void {
  if (route.access === 'public') return;
  if (!caller) throw new AppError('unauthorized', 'a valid bearer token is required');
  const allowed = route.access;
  if (!caller.roles.some((r) => allowed.includes(r)))
    throw new AppError('forbidden', `this operation needs the role ${allowed.join(' or ')}`);
  if (allowed.includes('collector') && caller.roles.includes('collector') && !caller.department)
    throw new AppError('forbidden', 'a collector token must carry custom:department');
}
