/** Calendar dates are `YYYY-MM-DD` strings; they compare correctly as strings. */
export type IsoDate = string;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * The bureau's time zone as an offset from UTC: China Standard Time, UTC+8 all year (China
 * has no daylight saving time). The one place that knows the zone; everything else asks.
 */
export const BUREAU_UTC_OFFSET_MINUTES = 8 * 60;

/** True only for real calendar dates: 2026-02-30 and 2026-13-01 are refused. */
export function isIsoDate(text: string): boolean {
  const m = DATE_PATTERN.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** The calendar date of an instant in the bureau's time zone (fixed offset, China has no DST). */
export function dateInZone(instant: Date, offsetMinutes = BUREAU_UTC_OFFSET_MINUTES): IsoDate {
  return new Date(instant.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** The date `days` days after (or before, if negative) a calendar date. */
export function shiftDays(date: IsoDate, days: number): IsoDate {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The first instant of a bureau-zone day, as an ISO instant in UTC (what `issuedAt` holds). */
export function dayStartInstant(date: IsoDate): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - BUREAU_UTC_OFFSET_MINUTES * 60_000).toISOString();
}

/** The last millisecond of a bureau-zone day, as an ISO instant in UTC. */
export function dayEndInstant(date: IsoDate): string {
  return new Date(Date.parse(dayStartInstant(date)) + DAY_MS - 1).toISOString();
}
