import type { Check } from './log-verify.js';

/** One audit check: passes with `what` was checked, or fails listing its findings (the first 20). */
export const findings = (name: string, what: string, found: readonly string[]): Check => ({
  ok: found.length === 0,
  name,
  detail: found.length ? `${found.length} finding(s): ${found.slice(0, 20).join('; ')}` : what,
});
