// Time bands: which tariff a call's start falls in, in the account's timezone.
//   weekend  - all of Saturday and Sunday;
//   peak     - Monday to Friday from peak start (inclusive) to peak end (exclusive);
//   offpeak  - the rest of Monday to Friday.
// Converting instants to local time with Intl is slow, so the zone's UTC offset is cached per quarter
// hour (every real zone changes offset on a quarter-hour boundary).

export type Band = 'peak' | 'offpeak' | 'weekend';

export interface BandConfig {
  timeZone: string;
  /** Minutes after local midnight. */
  peakStartMinutes: number;
  peakEndMinutes: number;
}

const QUARTER_HOUR_MS = 15 * 60 * 1000;
const MAX_CACHED_OFFSETS = 100_000;

export class LocalClock {
  private readonly offsets = new Map<number, number>();
  private readonly format: Intl.DateTimeFormat;

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
    const cached = this.offsets.get(bucket);
    if (cached !== undefined) return cached;
    const at = bucket * QUARTER_HOUR_MS;
    const parts: Record<string, string> = {};
    for (const p of this.format.formatToParts(new Date(at))) parts[p.type] = p.value;
    const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
    const offset = wall - at;
    if (this.offsets.size >= MAX_CACHED_OFFSETS) this.offsets.clear();
    this.offsets.set(bucket, offset);
    return offset;
  }

  /** The local wall-clock time as a Date whose UTC fields read as local fields. */
  local(instantMs: number): Date {
    return new Date(instantMs + this.offsetMs(instantMs));
  }

  /** The local calendar date, YYYY-MM-DD. */
  localDate(instantMs: number): string {
    return this.local(instantMs).toISOString().slice(0, 10);
  }
}

export function bandAt(clock: LocalClock, instantMs: number, config: BandConfig): Band {
  const local = clock.local(instantMs);
  const weekday = local.getUTCDay();
  if (weekday === 0 || weekday === 6) return 'weekend';
  const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
  return minutes >= config.peakStartMinutes && minutes < config.peakEndMinutes ? 'peak' : 'offpeak';
}

/** "08:00" or "08:00:00" -> 480. */
export function minutesOfDay(time: string): number {
  const [h, m] = time.split(':').map(Number) as [number, number];
  return h * 60 + m;
}
