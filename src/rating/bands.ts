// Time bands: which tariff a call's start falls in, in the account's timezone.
//   weekend  - all of Saturday and Sunday;
//   peak     - Monday to Friday from peak start (inclusive) to peak end (exclusive);
//   offpeak  - the rest of Monday to Friday.
// Converting instants to local time with Intl is slow, so the zone's UTC offset is cached per quarter
// hour (every real zone changes offset on a quarter-hour boundary). Local dates, weekdays and times of day
// are then integer arithmetic on the local instant (rating runs at hundreds of thousands of calls a second).

export type Band = 'peak' | 'offpeak' | 'weekend';

export interface BandConfig {
  timeZone: string;
  /** Minutes after local midnight. */
  peakStartMinutes: number;
  peakEndMinutes: number;
}

const QUARTER_HOUR_MS = 15 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_CACHED_OFFSETS = 100_000;
const MAX_CACHED_DATES = 10_000;

export class LocalClock {
  private readonly offsets = new Map<number, number>();
  private readonly dates = new Map<number, string>();
  private readonly format: Intl.DateTimeFormat;
  // The last quarter hour looked up: calls come in runs close in time.
  private lastBucket = Number.NaN;
  private lastOffset = 0;

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
  }

  /** Milliseconds to add to a UTC instant to get the local wall-clock time. */
  offsetMs(instantMs: number): number {
    const bucket = Math.floor(instantMs / QUARTER_HOUR_MS);
    if (bucket === this.lastBucket) return this.lastOffset;
    const cached = this.offsets.get(bucket);
    if (cached !== undefined) {
      this.lastBucket = bucket;
      this.lastOffset = cached;
      return cached;
    }
    const at = bucket * QUARTER_HOUR_MS;
    const parts: Record<string, string> = {};
    for (const p of this.format.formatToParts(new Date(at))) parts[p.type] = p.value;
    const wall = Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
    );
    const offset = wall - at;
    if (this.offsets.size >= MAX_CACHED_OFFSETS) this.offsets.clear();
    this.offsets.set(bucket, offset);
    this.lastBucket = bucket;
    this.lastOffset = offset;
    return offset;
  }

  /** The instant of a local wall-clock time (given as UTC fields): the offset read twice, for the hour a change moves. */
  instantOfWall(wallMs: number): number {
    const guess = wallMs - this.offsetMs(wallMs);
    return wallMs - this.offsetMs(guess);
  }

  /** The local wall-clock time as a Date whose UTC fields read as local fields. */
  local(instantMs: number): Date {
    return new Date(instantMs + this.offsetMs(instantMs));
  }

  /** The local calendar date, YYYY-MM-DD. */
  localDate(instantMs: number): string {
    const day = Math.floor((instantMs + this.offsetMs(instantMs)) / DAY_MS);
    let date = this.dates.get(day);
    if (date === undefined) {
      date = new Date(day * DAY_MS).toISOString().slice(0, 10);
      if (this.dates.size >= MAX_CACHED_DATES) this.dates.clear();
      this.dates.set(day, date);
    }
    return date;
  }
}

export function bandAt(clock: LocalClock, instantMs: number, config: BandConfig): Band {
  const local = instantMs + clock.offsetMs(instantMs);
  const day = Math.floor(local / DAY_MS);
  const weekday = (((day + 4) % 7) + 7) % 7; // 1 January 1970 was a Thursday
  if (weekday === 0 || weekday === 6) return 'weekend';
  const minutes = Math.floor((local - day * DAY_MS) / 60_000);
  return minutes >= config.peakStartMinutes && minutes < config.peakEndMinutes ? 'peak' : 'offpeak';
}

/** "08:00" or "08:00:00" -> 480. */
export function minutesOfDay(time: string): number {
  const [h, m] = time.split(':').map(Number) as [number, number];
  return h * 60 + m;
}
