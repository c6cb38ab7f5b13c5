import type { z } from 'zod';
import { badRequest } from '../../core/errors.js';
import { violationsOf } from '../../core/schemas.js';

/** Parses with a schema or throws a 400 naming every bad field. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(`the ${what} is invalid`, violationsOf(result.error));
  return result.data;
}
