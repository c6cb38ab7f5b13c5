import { randomUUID } from 'node:crypto';
import type { TestService } from './service.js';

/** A valid charge of the demo catalogue: ZRZY-001, residential real-estate registration, 80 yuan per case. */
export const registrationCharge = (overrides: Record<string, unknown> = {}) => ({
  payer: { type: 'person', name: '张三', idNumber: '110101199003071234' },
  lines: [{ itemCode: 'ZRZY-001', quantity: 1, amount: '80.00' }],
  remark: '不动产登记',
  ...overrides,
});

export const newKey = () => `key-${randomUUID()}`;

export async function issue(
  svc: TestService,
  token: string,
  body: unknown = registrationCharge(),
  key = newKey(),
) {
  return svc.api('POST', '/v1/receipts', { token, json: body, headers: { 'idempotency-key': key } });
}

/** Asserts that numbers are distinct and consecutive, and returns them sorted. */
export function consecutive(numbers: string[]): number[] {
  const sorted = numbers.map(Number).sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i] !== sorted[0]! + i) throw new Error(`gap or duplicate at ${sorted[i - 1]} -> ${sorted[i]}`);
  return sorted;
}

/**
 * A GA-001 charge (20 yuan) sent to a server run as its own process, which a test may kill:
 * the HTTP status, or 0 when the connection broke.
 */
export function sendGaCharge(url: string, token: string, key: string, payerName: string): Promise<number> {
  return fetch(`${url}/v1/receipts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({
      payer: { type: 'person', name: payerName },
      lines: [{ itemCode: 'GA-001', quantity: 1, amount: '20.00' }],
    }),
  }).then(
    (r) => r.status,
    () => 0,
  );
}
