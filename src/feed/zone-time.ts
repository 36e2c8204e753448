// Instants written in a timezone the way the feed shows them: "2019-01-24 06:43:15 -07:00" (local, with
// its offset from GMT) and "2019-01-24T06:43:15-07:00" (XML). A page holds thousands of rows: the offset
// comes from Intl once per quarter hour of UTC (timezone changes fall on whole quarter hours), and the
// digits are written by arithmetic, not by Intl.

const QUARTER_HOUR_MS = 15 * 60_000;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function offsetText(minutes: number, colon = ':'): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}${colon}${pad2(abs % 60)}`;
}

export class ZoneTime {
  private readonly format: Intl.DateTimeFormat;
  /** Offset (minutes east of GMT) by quarter hour of UTC, for the quarters seen. */
  private readonly offsets = new Map<number, number>();

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Minutes east of GMT at this instant (whole minutes: historical second offsets are rounded down). */
  offsetMinutes(ms: number): number {
    const quarter = Math.floor(ms / QUARTER_HOUR_MS);
    let offset = this.offsets.get(quarter);
    if (offset === undefined) {
      offset = this.exactOffset(quarter * QUARTER_HOUR_MS);
      if (this.offsets.size > 100_000) this.offsets.clear();
      this.offsets.set(quarter, offset);
    }
    return offset;
  }

  private exactOffset(ms: number): number {
    const parts: Record<string, number> = {};
    for (const p of this.format.formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
    return Math.floor((wall - Math.floor(ms / 1000) * 1000) / 60_000);
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
