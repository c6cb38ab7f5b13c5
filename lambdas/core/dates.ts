/** Calendar dates are `YYYY-MM-DD` strings; they compare correctly as strings. */
export type IsoDate = string;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True only for real calendar dates: 2026-02-30 and 2026-13-01 are refused. */
export function isIsoDate(text: string): boolean {
  const m = DATE_PATTERN.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** The calendar date of an instant in the bureau's time zone (fixed offset, China has no DST). */
export function dateInZone(instant: Date, offsetMinutes = 8 * 60): IsoDate {
  return new Date(instant.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 10);
}
