// Business dates are plain calendar dates ("YYYY-MM-DD") in the account's timezone; instants are Date
// objects in UTC. Date arithmetic here is calendar arithmetic on day numbers, free of DST effects.

import { assert } from './errors.ts';

export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1900 || year > 2999 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Days since 1970-01-01. */
export function toDayNumber(date: IsoDate): number {
  const m = ISO_DATE.exec(date);
  if (!m) throw new Error(`not an ISO date: ${date}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / MS_PER_DAY;
}

export function fromDayNumber(days: number): IsoDate {
  // Years 1000-9999 (day numbers -354285 to 2932896): civil-from-days arithmetic, no Date or ISO string
  // made and cut (billing works out thousands of dates). Other years as toISOString has them.
  if (Number.isInteger(days) && days >= -354_285 && days <= 2_932_896) {
    const z = days + 719_468;
    const era = Math.floor(z / 146_097);
    const doe = z - era * 146_097;
    const yoe = Math.floor(
      (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
    );
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    return `${year}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
  }
  return new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return fromDayNumber(toDayNumber(date) + days);
}

/** Adds calendar months; the day is clamped to the end of a shorter month (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(date: IsoDate, months: number): IsoDate {
  const [y, m, d] = ISO_DATE.test(date)
    ? [Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))]
    : (date.split('-').map(Number) as [number, number, number]);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const day = Math.min(d, daysInMonth(year, month));
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function daysBetween(from: IsoDate, to: IsoDate): number {
  return toDayNumber(to) - toDayNumber(from);
}

export function minDate(a: IsoDate, b: IsoDate): IsoDate {
  return a <= b ? a : b;
}

export function maxDate(a: IsoDate, b: IsoDate): IsoDate {
  return a >= b ? a : b;
}

export function firstOfMonth(date: IsoDate): IsoDate {
  return `${date.slice(0, 7)}-01`;
}

/** Making an Intl.DateTimeFormat costs far more than formatting with one: each is made once per key and kept. */
function kept(
  formatters: Map<string, Intl.DateTimeFormat>,
  key: string,
  make: () => Intl.DateTimeFormat,
): Intl.DateTimeFormat {
  let fmt = formatters.get(key);
  if (!fmt) {
    fmt = make();
    formatters.set(key, fmt);
  }
  return fmt;
}

const dateFormatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of an instant in an IANA timezone. */
export function dateInZone(instant: Date, timeZone: string): IsoDate {
  // en-CA formats as YYYY-MM-DD.
  const fmt = kept(
    dateFormatters,
    timeZone,
    () => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }),
  );
  return fmt.format(instant);
}

const timeFormatters = new Map<string, Intl.DateTimeFormat>();

/** An instant's wall-clock time in an IANA timezone: "2026-12-06 14:41", or "2026-12-06 14:41:07" with seconds. */
export function wallTimeInZone(instant: Date, timeZone: string, withSeconds = false): string {
  const fmt = kept(
    timeFormatters,
    withSeconds ? `${timeZone} s` : timeZone,
    () =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone,
        hour: '2-digit',
        minute: '2-digit',
        ...(withSeconds ? { second: '2-digit' } : {}),
        hourCycle: 'h23',
      }),
  );
  return `${dateInZone(instant, timeZone)} ${fmt.format(instant)}`;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Canonical spelling of a valid IANA zone (e.g. "europe/london" -> "Europe/London"). */
export function canonicalTimeZone(timeZone: string): string {
  return new Intl.DateTimeFormat('en', { timeZone }).resolvedOptions().timeZone;
}

/**
 * The instant a calendar date begins in a timezone: local midnight, or, where a DST change skips
 * midnight (America/Havana, America/Santiago: 00:00 jumps to 01:00), the first instant of that date.
 */
export function startOfDayInZone(date: IsoDate, timeZone: string): Date {
  const utcMidnight = toDayNumber(date) * MS_PER_DAY;
  // Local midnight is within 14 hours of UTC midnight, so its offset is one of those in force from a day
  // before to a day after (at most one DST change lies in between).
  const candidates = [-MS_PER_DAY, 0, MS_PER_DAY].map(
    (probe) => utcMidnight - zoneOffsetMs(new Date(utcMidnight + probe), timeZone),
  );
  // A candidate is local midnight if the offset in force at it is the one it was computed with. When
  // clocks go back over midnight it occurs twice; the day begins at the first.
  const midnights = candidates.filter((c) => c + zoneOffsetMs(new Date(c), timeZone) === utcMidnight);
  if (midnights.length > 0) return new Date(Math.min(...midnights));
  // Midnight was skipped: the day begins at the DST change, between the candidates. Binary search for the
  // first millisecond whose local date is `date` (at most 27 steps for a day's span).
  let before = Math.min(...candidates); // local date is before `date`
  let from = Math.max(...candidates); // local date is `date` (or later, if the zone skipped the whole day)
  assert(
    dateInZone(new Date(before), timeZone) < date && dateInZone(new Date(from), timeZone) >= date,
    `startOfDayInZone(${date}, ${timeZone})`,
  );
  for (let step = 0; from - before > 1; step++) {
    assert(step < 64, 'startOfDayInZone: search did not converge');
    const mid = before + Math.floor((from - before) / 2);
    if (dateInZone(new Date(mid), timeZone) < date) before = mid;
    else from = mid;
  }
  return new Date(from);
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneOffsetMs(instant: Date, timeZone: string): number {
  const fmt = kept(
    offsetFormatters,
    timeZone,
    () =>
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      }),
  );
  const parts = Object.fromEntries(fmt.formatToParts(instant).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}
