import { badRequest, type Violation } from '../../core/errors.js';
import { noQuery, violationsOf } from '../../core/schemas.js';
import type { RequestSchemas, Route } from '../../runtime/routes.js';

type Part = 'headers' | 'params' | 'query' | 'body';

/** Each part with a schema, in the order a caller fixes them; how its violations name their paths. */
const PARTS: readonly { part: Part; prefix: string; name: string }[] = [
  { part: 'headers', prefix: 'header', name: 'headers' },
  { part: 'params', prefix: '', name: 'path' },
  { part: 'query', prefix: '', name: 'query' },
  { part: 'body', prefix: '', name: 'body' },
];

/**
 * How often each query parameter that appears more than once does, from the raw query string:
 * API Gateway (and the local server) join a repeated parameter's values with commas, which the
 * schemas then read as one value (`limit=1&limit=2` as "1,2").
 */
export function repeatedParameters(rawQueryString: string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  if (!rawQueryString?.includes('&')) return counts; // one parameter at most: the common case
  for (const [name] of new URLSearchParams(rawQueryString ?? ''))
    counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const [name, n] of counts) if (n < 2) counts.delete(name);
  return counts;
}

/** No parameter of a query is a list: one given more than once is refused, whatever its values. */
function repetitionViolations(repeated: ReadonlyMap<string, number>): Violation[] {
  return [...repeated].map(([name, n]) => ({
    path: name || '(query)',
    rule: 'repeated_parameter',
    message: `${name || 'a parameter without a name'} was given ${n === 2 ? 'twice' : `${n} times`}: give it once`,
  }));
}

/**
 * The request middleware's check (http/middlewares.ts apiRequest): every part of the request
 * that the route has a schema for (runtime/routes.ts), and the query of every route, parsed
 * before the operation runs. A 400 names every bad field of every part at once; where the route
 * says `nullWhenInvalid`, the operation gets null instead.
 */
export function validInput(
  route: Route,
  raw: Record<Part, unknown>,
  repeated: ReadonlyMap<string, number> = new Map(),
): Record<Part, unknown> | null {
  const schemas: RequestSchemas = route.request ?? {};
  const input: Record<Part, unknown> = {
    headers: undefined,
    params: undefined,
    query: undefined,
    body: undefined,
  };
  const violations: Violation[] = [];
  const bad: string[] = [];
  for (const { part, prefix, name } of PARTS) {
    const schema = part === 'query' ? (schemas.query ?? noQuery) : schemas[part];
    const result = schema?.safeParse(raw[part]);
    if (!result) continue;
    // A repeated parameter is named as such; what its joined values break is beside the point.
    const again = part === 'query' ? repetitionViolations(repeated) : [];
    const found = [
      ...again,
      ...(result.success
        ? []
        : violationsOf(result.error, prefix, name).filter((v) => !repeated.has(v.path.split(/[.[]/)[0]!))),
    ];
    if (!found.length) input[part] = result.data;
    else {
      violations.push(...found);
      bad.push(name);
    }
  }
  if (!bad.length) return input;
  if (schemas.nullWhenInvalid) return null;
  // "the headers are invalid", "the query is invalid", "the query and body are invalid".
  const plural = bad.length > 1 || bad[0] === 'headers';
  throw badRequest(`the ${bad.join(' and ')} ${plural ? 'are' : 'is'} invalid`, violations);
}
