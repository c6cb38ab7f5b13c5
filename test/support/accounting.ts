import { expect } from 'vitest';
import { getDeps } from '../../lambdas/app/deps.js';

/**
 * Every number of every range of the department is accounted for: the taken numbers
 * (first..next-1) each have exactly one complete receipt, and no receipt lies outside them.
 */
export async function expectNumbersAccountedFor(department: string) {
  const deps = getDeps();
  const receipts = deps.receipts;
  const ranges = (await deps.ranges.listRanges()).filter((r) => r.department === department);
  const all = await receipts.listByDepartment(department);
  const byNumber = new Map<string, number>();
  for (const r of all)
    byNumber.set(`${r.code}/${r.number}`, (byNumber.get(`${r.code}/${r.number}`) ?? 0) + 1);
  expect([...byNumber.values()].every((n) => n === 1)).toBe(true);
  let taken = 0;
  for (const range of ranges) {
    for (let n = range.first; n < range.next; n++) {
      const key = `${range.code}/${String(n).padStart(10, '0')}`;
      expect(byNumber.has(key), `number ${key} has no receipt`).toBe(true);
      taken++;
    }
  }
  expect(all).toHaveLength(taken);
  const unfinished = all.filter((r) => r.status === 'pending');
  expect(unfinished.map((r) => r.number)).toEqual([]);
  return { receipts: all, ranges };
}
