import { MAX_RECEIPT_NUMBER } from './receipt.js';

/**
 * A range of receipt numbers allocated to a billing point (a department) for one receipt
 * code. Numbers are taken in order: `next` is the next number to issue, so the numbers
 * first..next-1 are taken (each has a receipt row) and next..last are unused.
 */
export interface NumberRange {
  id: string;
  department: string;
  code: string;
  first: number;
  last: number;
  next: number;
  /** queued: allocated, waiting for the open range to run out; open: issuing; exhausted; closed by finance. */
  status: 'queued' | 'open' | 'exhausted' | 'closed';
  /** How many of the taken numbers are red (reversal) receipts. */
  redCount?: number;
  allocatedAt: string;
  allocatedBy: string;
  closedAt?: string;
  closedBy?: string;
}

export function rangeSize(range: Pick<NumberRange, 'first' | 'last'>): number {
  return range.last - range.first + 1;
}

/** How many numbers of the range have been taken (each has a receipt, pending or complete). */
export function takenCount(range: Pick<NumberRange, 'first' | 'next'>): number {
  return range.next - range.first;
}

export function isExhausted(range: Pick<NumberRange, 'next' | 'last'>): boolean {
  return range.next > range.last;
}

/** The bounds of the next range of a code, after the numbers already allocated. */
export function nextRangeBounds(nextFree: number, size: number): { first: number; last: number } | null {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('range size must be a positive integer');
  const last = nextFree + size - 1;
  return last > MAX_RECEIPT_NUMBER ? null : { first: nextFree, last };
}
