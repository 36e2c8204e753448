// Times and durations as switches write them, read into instants and whole seconds.
//
//   2024-01-28 02:04:06        local wall time of the switch (Asterisk cdr_csv, FreeSWITCH *_stamp, database
//                              exports): read in the switch's time zone
//   2024-01-28T02:04:06Z, …+01:00, …+0100, 2013-11-07 08:42:25 +0000 UTC (Go's time.String())
//                              an instant as written
//   1706407446, 1706407446.123 seconds since 1970 (FreeSWITCH *_epoch, Kamailio time_mode 0, Asterisk start(int64))
//   1706407446123456           microseconds since 1970 (FreeSWITCH *_uepoch); 13 digits: milliseconds
//   0001-01-01T00:00:00Z, 0, empty   no time (Go's zero time, an unanswered call's answer_epoch)
import type { LocalClock } from '../../rating/bands.ts';
import { digitsAt, isCallDate } from '../wall-time.ts';

/** No time was recorded. */
export const NO_TIME = -1;
/** The text is not a time. */
export const BAD_TIME = -2;

const DAY_MS = 86_400_000;
const WALL =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?(?:\s+[A-Z]{2,5})?$/;

/**
 * The instant a switch's time means, in milliseconds since 1970; NO_TIME when it records none; BAD_TIME
 * when the text is not a time. Local times are read on `clock` (the switch's time zone).
 */
export function readSwitchTime(text: string, clock: LocalClock): number {
  const length = text.length;
  if (length === 0) return NO_TIME;
  // The common forms, YYYY-MM-DD HH:MM:SS (local) and YYYY-MM-DDTHH:MM:SSZ, without a regular expression.
  if (
    length === 20 &&
    text.charCodeAt(19) === 90 /* Z */ &&
    text.charCodeAt(4) === 45 &&
    text.charCodeAt(13) === 58 &&
    text.charCodeAt(16) === 58
  ) {
    const y = digitsAt(text, 0, 4);
    const mo = digitsAt(text, 5, 2);
    const d = digitsAt(text, 8, 2);
    const h = digitsAt(text, 11, 2);
    const mi = digitsAt(text, 14, 2);
    const s = digitsAt(text, 17, 2);
    const sep = text.charCodeAt(10);
    if (
      (sep === 32 || sep === 84) &&
      text.charCodeAt(7) === 45 &&
      h >= 0 &&
      h <= 23 &&
      mi >= 0 &&
      mi <= 59 &&
      s >= 0 &&
      s <= 59 &&
      isCallDate(y, mo, d)
    ) {
      return Date.UTC(y, mo - 1, d, h, mi, s);
    }
    // Anything else (Go's zero time, a date that does not exist) is read below, as before.
  }
  if (
    length === 19 &&
    text.charCodeAt(4) === 45 &&
    text.charCodeAt(13) === 58 &&
    text.charCodeAt(16) === 58
  ) {
    const y = digitsAt(text, 0, 4);
    const mo = digitsAt(text, 5, 2);
    const d = digitsAt(text, 8, 2);
    const h = digitsAt(text, 11, 2);
    const mi = digitsAt(text, 14, 2);
    const s = digitsAt(text, 17, 2);
    const sep = text.charCodeAt(10);
    if (
      (sep === 32 || sep === 84) &&
      text.charCodeAt(7) === 45 &&
      h >= 0 &&
      h <= 23 &&
      mi >= 0 &&
      mi <= 59 &&
      s >= 0 &&
      s <= 59 &&
      isCallDate(y, mo, d)
    ) {
      return clock.instantOfWall(Date.UTC(y, mo - 1, d, h, mi, s));
    }
    if (y === 1 || y === 0) return NO_TIME; // 0001-01-01 00:00:00: Go's zero time
  }
  const c0 = text.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57 && length <= 20 && /^\d+(\.\d+)?$/.test(text)) return epoch(text);
  const m = WALL.exec(text);
  if (!m) return BAD_TIME;
  const [, ys, mos, ds, hs, mis, ss, fraction, zone] = m;
  const [y, mo, d, h, mi, s] = [
    Number(ys),
    Number(mos),
    Number(ds),
    Number(hs),
    Number(mis),
    Number(ss ?? 0),
  ];
  if (y <= 1) return NO_TIME;
  if (!isCallDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return BAD_TIME;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, fraction ? Math.floor(Number(fraction) * 1000) : 0);
  if (zone === undefined) return clock.instantOfWall(wall);
  if (zone === 'Z' || zone === 'UTC' || zone === 'GMT') return wall;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
  if (offsetMinutes > 18 * 60) return BAD_TIME;
  return wall - sign * offsetMinutes * 60_000;
}

/** Seconds (10 digits, maybe a fraction), milliseconds (13) or microseconds (16) since 1970; 0 is no time. */
function epoch(text: string): number {
  const dot = text.indexOf('.');
  const whole = dot === -1 ? text : text.slice(0, dot);
  const n = Number(whole);
  if (n === 0) return NO_TIME;
  let ms: number;
  if (whole.length <= 11) ms = Math.floor(Number(text) * 1000);
  else if (whole.length <= 14) ms = n;
  else if (whole.length <= 17) ms = Math.floor(n / 1000);
  else return BAD_TIME;
  // 1900 to 2999, as every other time Ringbill takes.
  if (ms < -2_208_988_800_000 || ms > 32_503_680_000_000) return BAD_TIME;
  return ms;
}

/**
 * An instant as the ISO 8601 text Ringbill's call records take, in UTC: 2024-01-28T02:04:06Z (with
 * milliseconds only when there are some). The date part is cached: a file's calls fall on few days.
 */
export class IsoWriter {
  private day = Number.NaN;
  private prefix = '';

  write(ms: number): string {
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      this.prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    }
    let rest = ms - day * DAY_MS;
    const h = Math.floor(rest / 3_600_000);
    rest -= h * 3_600_000;
    const mi = Math.floor(rest / 60_000);
    rest -= mi * 60_000;
    const s = Math.floor(rest / 1000);
    const milli = rest - s * 1000;
    const time = `${this.prefix}${h < 10 ? '0' : ''}${h}:${mi < 10 ? '0' : ''}${mi}:${s < 10 ? '0' : ''}${s}`;
    if (milli === 0) return `${time}Z`;
    return `${time}.${String(milli).padStart(3, '0')}Z`;
  }
}

/**
 * Whole seconds from a count of seconds as a switch writes it ("17", "17.250"): a started second counts
 * (17.25 is 18), as Ringbill bills whole seconds. -1 when it is not a count of seconds.
 */
export function readSeconds(text: string): number {
  const length = text.length;
  if (length === 0 || length > 20) return -1;
  let n = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) {
      if (!/^\d+\.\d+$/.test(text)) return -1;
      return Math.ceil(Number(text));
    }
    n = n * 10 + c;
  }
  return n;
}

const GO_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};
const GO_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * A Go duration as CGRateS writes usage ("1m5s", "1h0m0.5s", "65s", "500ms"), or a whole number of
 * nanoseconds (CGRateS's plain form: "65000000000"), in whole seconds (a started second counts). -1 when
 * it is neither.
 */
export function readGoDuration(text: string): number {
  if (text.length === 0 || text.length > 40) return -1;
  if (/^\d+$/.test(text)) return Math.ceil(Number(text) / 1e9);
  let seconds = 0;
  GO_PART.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    GO_PART.lastIndex = at;
    const m = GO_PART.exec(text);
    if (!m) return -1;
    seconds += Number(m[1]) * GO_UNITS[m[2]!]!;
    at = GO_PART.lastIndex;
  }
  // Nanosecond parts can make 65.000000001 out of float sums: round to the nanosecond first.
  return Math.ceil(Math.round(seconds * 1e9) / 1e9);
}
