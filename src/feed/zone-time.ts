// Instants written in a timezone the way the feed shows them: "2019-01-24 06:43:15 -07:00" (local, with
// its offset from GMT) and "2019-01-24T06:43:15-07:00" (XML). A page holds thousands of rows: the offset
// comes from rating's LocalClock (Intl once per quarter hour of UTC), and the digits are written by
// arithmetic, not by Intl.

import { LocalClock } from '../rating/bands.ts';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function offsetText(minutes: number, colon = ':'): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}${colon}${pad2(abs % 60)}`;
}

export class ZoneTime {
  /** The zone's offset, cached per quarter hour of UTC (shared with rating's time bands). */
  private readonly clock: LocalClock;

  constructor(readonly timeZone: string) {
    this.clock = new LocalClock(timeZone);
  }

  /** Minutes east of GMT at this instant (whole minutes: historical second offsets are rounded down). */
  offsetMinutes(ms: number): number {
    return this.clock.offsetMs(ms) / 60_000;
  }

  /** "YYYY-MM-DD HH:MM:SS ±HH:MM" */
  local(ms: number): string {
    const offset = this.offsetMinutes(ms);
    return `${wallClock(ms + offset * 60_000, ' ')} ${offsetText(offset)}`;
  }

  /** "YYYY-MM-DDTHH:MM:SS±HH:MM" */
  xml(ms: number): string {
    const offset = this.offsetMinutes(ms);
    return `${wallClock(ms + offset * 60_000, 'T')}${offsetText(offset)}`;
  }
}

/** The UTC wall clock of `ms`, "YYYY-MM-DD?HH:MM:SS" with `separator` between date and time. */
function wallClock(ms: number, separator: string): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const y = year >= 0 && year < 10_000 ? String(year).padStart(4, '0') : String(year);
  return `${y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}${separator}${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}
