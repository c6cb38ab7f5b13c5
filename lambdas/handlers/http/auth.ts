import { AppError } from '../../core/errors.js';
import { DEPARTMENT_CODE_RULE, isDepartmentCode } from '../../core/receipt.js';
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
    // Any other value than a string is kept as its JSON, which authorize() refuses.
    ...(department === undefined || department === ''
      ? {}
      : { department: typeof department === 'string' ? department : JSON.stringify(department) }),
  };
}

/** At most this much of a claim is repeated in an answer. */
const CLAIM_SHOWN = 40;

/** The handler's own group check (API Gateway only checked the token). */
export function authorize(route: Route, caller: Caller | null): void {
  if (route.access === 'public') return;
  if (!caller)
    throw new AppError('unauthorized', 'a valid bearer token is required', [], {
      'www-authenticate': 'Bearer',
    });
  const allowed = route.access;
  if (!caller.roles.some((r) => allowed.includes(r)))
    throw new AppError('forbidden', `this operation needs the role ${allowed.join(' or ')}`);
  // The department is a key of rows, indexes and alerts: one that is no department code (a
  // path, lower case, 5,000 characters over DynamoDB's key limit) acts for no department at all.
  if (caller.department !== undefined && !isDepartmentCode(caller.department)) {
    const shown =
      caller.department.length > CLAIM_SHOWN
        ? `${caller.department.slice(0, CLAIM_SHOWN)}…`
        : caller.department;
    throw new AppError(
      'forbidden',
      `the token's custom:department ${JSON.stringify(shown)} (${caller.department.length} characters) is not a department code: ${DEPARTMENT_CODE_RULE}`,
    );
  }
  if (allowed.includes('collector') && caller.roles.includes('collector') && !caller.department)
    throw new AppError('forbidden', 'a collector token must carry custom:department');
}
