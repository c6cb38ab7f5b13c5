import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateInZone, isIsoDate } from '../../lambdas/core/dates.js';

/** Days in a month by the Gregorian rule, written without Date. */
function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}
const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('isIsoDate', () => {
  it.each(['2024-02-29', '2000-02-29', '2026-11-26', '2026-01-31', '2026-12-31', '1999-12-31'])(
    'accepts %s',
    (text) => {
      expect(isIsoDate(text)).toBe(true);
    },
  );

  it.each([
    '2026-02-30',
    '2025-02-29',
    '1900-02-29', // divisible by 100, not by 400
    '2026-13-01',
    '2026-00-10',
    '2026-04-31',
    '2026-01-00',
    '2026-01-32',
    '2026-1-01',
    '2026-01-1',
    '26-01-01',
    '20260101',
    '2026/01/01',
    ' 2026-01-01',
    '2026-01-01 ',
    '2026-01-01T00:00:00Z',
    '+02026-01-01',
    '２０２６-01-01',
    '',
  ])('refuses %j', (text) => {
    expect(isIsoDate(text)).toBe(false);
  });

  it('accepts every real date produced by Date', () => {
    const dates = fc.date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(dates, (d) => {
        expect(isIsoDate(d.toISOString().slice(0, 10))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts a well-formed YYYY-MM-DD exactly when the day exists in that month', () => {
    const parts = fc.tuple(
      fc.oneof(fc.integer({ min: 100, max: 9999 }), fc.constantFrom(1900, 2000, 2024, 2025, 2100, 2400)),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
    );
    fc.assert(
      fc.property(parts, ([y, m, d]) => {
        const valid = m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
        expect(isIsoDate(`${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`)).toBe(valid);
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps string order equal to chronological order for valid dates', () => {
    const dates = fc.date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('9999-12-31T00:00:00Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(dates, dates, (a, b) => {
        const [sa, sb] = [a.toISOString().slice(0, 10), b.toISOString().slice(0, 10)];
        const dayA = Math.floor(a.getTime() / 86_400_000);
        const dayB = Math.floor(b.getTime() / 86_400_000);
        expect(Math.sign(sa.localeCompare(sb, 'en'))).toBe(Math.sign(dayA - dayB));
        expect(sa < sb).toBe(dayA < dayB);
      }),
    );
  });
});

describe('dateInZone', () => {
  it('uses China Standard Time (UTC+8) by default', () => {
    expect(dateInZone(new Date('2026-11-25T15:59:59.999Z'))).toBe('2026-11-25');
    expect(dateInZone(new Date('2026-11-25T16:00:00.000Z'))).toBe('2026-11-26');
    expect(dateInZone(new Date('2026-12-31T16:30:00Z'))).toBe('2027-01-01');
  });

  it('honours another fixed offset', () => {
    expect(dateInZone(new Date('2026-11-26T02:00:00Z'), -5 * 60)).toBe('2026-11-25');
    expect(dateInZone(new Date('2026-11-26T02:00:00Z'), 0)).toBe('2026-11-26');
  });

  it('always yields a real date equal to the UTC date 8 hours later', () => {
    const instants = fc.date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2099-12-31T00:00:00Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(instants, (t) => {
        const day = dateInZone(t);
        expect(isIsoDate(day)).toBe(true);
        const later = new Date(t.getTime() + 8 * 3_600_000);
        expect(day).toBe(
          `${later.getUTCFullYear()}-${pad(later.getUTCMonth() + 1, 2)}-${pad(later.getUTCDate(), 2)}`,
        );
      }),
    );
  });
});
