import { send } from '../test/support/receipts.js';

/**
 * What bench/run.ts still imports: the one client of test/support/receipts.ts in the shape it
 * expects. Goes once bench/run.ts sends its charges with sendCharge and reads with send.
 */
export async function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<{ status: number; body: Buffer }> {
  const res = await send(url, options);
  return { status: res.status, body: res.bytes };
}
