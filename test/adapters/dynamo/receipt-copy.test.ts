import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyText, encodeCopy, storedCopy } from '../../../lambdas/adapters/dynamo/receipt-copy.js';
import type { StoredReceipt } from '../../../lambdas/core/ports.js';

const receipt = {
  checkCode: 'J6BV6E',
  kind: 'blue',
  issuedAt: '2026-12-03T05:06:07.981Z',
  issueDate: '2026-12-03',
  department: 'ZRZY',
  collectingUnit: '某市自然资源和规划局',
  payer: { type: 'person', name: '张三', idNumber: '110101199003071234' },
  lines: [{ itemCode: 'ZRZY-001', itemVersion: 1, name: '不动产登记费（住宅）', amount: 8000 }],
  total: 8000,
  code: '11010126',
  number: '0000000001',
} as unknown as StoredReceipt;

describe('a receipt copy as the check row keeps it', () => {
  it('reads back as exactly the JSON it was made from, whatever the receipt holds (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = encodeCopy(value as unknown as StoredReceipt);
        expect(copy[0]).toBe(1);
        expect(copyText(copy)).toBe(JSON.stringify(value));
      }),
      { numRuns: 300 },
    );
  });

  it('is smaller than its JSON: a one-line receipt under half', () => {
    expect(encodeCopy(receipt).length * 2).toBeLessThan(Buffer.byteLength(JSON.stringify(receipt)));
  });

  it('reads the rows written before (the JSON as text), and tells copies apart by their exact stored form', () => {
    const legacy = storedCopy({ receipt: JSON.stringify(receipt) })!;
    const current = storedCopy({ copy: encodeCopy(receipt) })!;
    expect(legacy.parse()).toEqual(receipt);
    expect(current.parse()).toEqual(receipt);
    expect(current.id).not.toBe(legacy.id);
    const altered = storedCopy({ copy: encodeCopy({ ...receipt, total: 9000 }) })!;
    expect(altered.id).not.toBe(current.id);
    expect(storedCopy({})).toBeUndefined();
  });

  it('refuses a format it does not know, and bytes that do not inflate', () => {
    const copy = encodeCopy(receipt);
    expect(() => copyText(Uint8Array.of(9, ...copy.subarray(1)))).toThrow(/unknown format \(9\)/);
    expect(() => copyText(Uint8Array.of(1, 0xff, 0xff, 0xff))).toThrow();
  });
});
