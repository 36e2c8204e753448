// Instants written in a timezone the way the feed shows them: "2019-01-24 06:43:15 -07:00" (local, with
// its offset from GMT) and "2019-01-24T06:43:15-07:00" (XML). A page holds thousands of rows, each written
// up to four times (start_time_local, _xml, and the network timezone's): the offset comes from rating's
// LocalClock (Intl once per quarter hour of UTC), the date is written once per day, the time of day from a
// table of two-digit numbers, and the last instant's two texts are kept (the columns of one row ask for
// the same instant in turn).

import { LocalClock } from '../rating/bands.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Zones kept by ZoneTime.of (a process serves few): beyond this the cache starts again. */
const MAX_CACHED_ZONES = 100;

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : String(n)));

function pad2(n: number): string {
  return n >= 0 && n < 100 && Number.isInteger(n) ? TWO_DIGITS[n]! : n < 10 ? `0${n}` : String(n);
}

function offsetText(minutes: number, colon = ':'): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}${colon}${pad2(abs % 60)}`;
}

/** "YYYY-MM-DD" of a UTC day number (days since 1970-01-01). */
function dateText(day: number): string {
  const d = new Date(day * DAY_MS);
  const year = d.getUTCFullYear();
  const y = year >= 0 && year < 10_000 ? String(year).padStart(4, '0') : String(year);
  return `${y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

const zones = new Map<string, ZoneTime>();

export class ZoneTime {
  /** The zone's offset, cached per quarter hour of UTC (shared with rating's time bands). */
  private readonly clock: LocalClock;
  // The last instant written, its two texts, and the last day's date and offset (runs of rows share them).
  private lastMs = Number.NaN;
  private lastLocal = '';
  private lastXml = '';
  private lastDay = Number.NaN;
  private lastDate = '';
  private lastOffsetMs = Number.NaN;
  private lastOffset = '';

  constructor(readonly timeZone: string) {
    this.clock = new LocalClock(timeZone);
  }

  /**
   * The zone's ZoneTime, kept per process (making one costs an Intl.DateTimeFormat; its offsets and dates
   * are facts of the zone, whoever asks).
   */
  static of(timeZone: string): ZoneTime {
    let zone = zones.get(timeZone);
    if (zone === undefined) {
      zone = new ZoneTime(timeZone);
      if (zones.size >= MAX_CACHED_ZONES) zones.clear();
      zones.set(timeZone, zone);
    }
    return zone;
  }

  /** Minutes east of GMT at this instant (whole minutes: historical second offsets are rounded down). */
  offsetMinutes(ms: number): number {
    return this.clock.offsetMs(ms) / 60_000;
  }

  /** "YYYY-MM-DD HH:MM:SS ±HH:MM" */
  local(ms: number): string {
    if (ms !== this.lastMs) this.write(ms);
    return this.lastLocal;
  }

  /** "YYYY-MM-DDTHH:MM:SS±HH:MM" */
  xml(ms: number): string {
    if (ms !== this.lastMs) this.write(ms);
    return this.lastXml;
  }

  private write(ms: number): void {
    const offsetMs = this.clock.offsetMs(ms);
    const wall = ms + offsetMs;
    const day = Math.floor(wall / DAY_MS);
    if (day !== this.lastDay) {
      this.lastDate = dateText(day);
      this.lastDay = day;
    }
    if (offsetMs !== this.lastOffsetMs) {
      this.lastOffset = offsetText(offsetMs / 60_000);
      this.lastOffsetMs = offsetMs;
    }
    const second = Math.floor((wall - day * DAY_MS) / 1000);
    const time = `${pad2(Math.floor(second / 3600))}:${pad2(Math.floor(second / 60) % 60)}:${pad2(second % 60)}`;
    this.lastLocal = `${this.lastDate} ${time} ${this.lastOffset}`;
    this.lastXml = `${this.lastDate}T${time}${this.lastOffset}`;
    this.lastMs = ms;
  }
}
