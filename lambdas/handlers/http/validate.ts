import { badRequest, type Violation } from '../../core/errors.js';
import { violationsOf } from '../../core/schemas.js';
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
 * The request middleware's check (http/middlewares.ts apiRequest): every part of the request
 * that the route has a schema for (runtime/routes.ts), parsed before the operation runs. A 400
 * names every bad field of every part at once; where the route says `nullWhenInvalid`, the
 * operation gets null instead.
 */
export function validInput(route: Route, raw: Record<Part, unknown>): Record<Part, unknown> | null {
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
    const result = schemas[part]?.safeParse(raw[part]);
    if (!result) continue;
    if (result.success) input[part] = result.data;
    else {
      violations.push(...violationsOf(result.error, prefix, name));
      bad.push(name);
    }
  }
  if (!bad.length) return input;
  if (schemas.nullWhenInvalid) return null;
  throw badRequest(`the ${bad.join(' and ')} ${bad.length > 1 ? 'are' : 'is'} invalid`, violations);
}
