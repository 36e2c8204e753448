// start_time in the forms most switches write (2026-01-15T10:30:00Z, 2026-01-15 10:30:00) is read by a
// fast path without a regular expression or a Date. It must give exactly what the general reading gives:
// the same instant, and a refusal whenever the general reading refuses (checked here against the same
// value with a ".0" fraction, which always takes the general reading).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCall } from '../../src/calls/call-input.ts';
import { LocalClock } from '../../src/rating/bands.ts';

const clocks = [
  new LocalClock('Europe/London'),
  new LocalClock('America/New_York'),
  new LocalClock('Asia/Kolkata'),
];

function startOf(value: string, clock: LocalClock): number | 'refused' {
  try {
    return parseCall(
      {
        call_id: 'c1',
        from: '+441130000001',
        to: '+441130000002',
        start_time: value,
        duration_s: '60',
        status: 'completed',
      },
      clock,
    ).startMs;
  } catch {
    return 'refused';
  }
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const common = fc
  .record({
    y: fc.oneof(fc.integer({ min: 1890, max: 3010 }), fc.constantFrom(1900, 2000, 2024, 2026, 2100, 2999)),
    mo: fc.integer({ min: 0, max: 13 }),
    d: fc.integer({ min: 0, max: 32 }),
    h: fc.integer({ min: 0, max: 25 }),
    mi: fc.integer({ min: 0, max: 60 }),
    s: fc.integer({ min: 0, max: 60 }),
    separator: fc.constantFrom('T', ' '),
    zone: fc.constantFrom('Z', ''),
  })
  .map(
    ({ y, mo, d, h, mi, s, separator, zone }) =>
      `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}${separator}${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${zone}`,
  );

describe('start_time in the common forms', () => {
  it('gives the same instant, or the same refusal, as the general reading (property)', () => {
    fc.assert(
      fc.property(common, fc.constantFrom(...clocks), (value, clock) => {
        const general = value.endsWith('Z') ? `${value.slice(0, -1)}.0Z` : `${value}.0`;
        expect(startOf(value, clock)).toBe(startOf(general, clock));
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads leap days, month ends and local times next to the clock changes', () => {
    const london = clocks[0]!;
    expect(startOf('2024-02-29T12:00:00Z', london)).toBe(Date.parse('2024-02-29T12:00:00Z'));
    expect(startOf('2026-02-29T12:00:00Z', london)).toBe('refused');
    expect(startOf('2100-02-29 12:00:00', london)).toBe('refused');
    expect(startOf('2000-02-29 12:00:00', london)).toBe(Date.parse('2000-02-29T12:00:00Z'));
    expect(startOf('2026-04-31T00:00:00Z', london)).toBe('refused');
    expect(startOf('2026-03-29 00:30:00', london)).toBe(Date.parse('2026-03-29T00:30:00Z'));
    expect(startOf('2026-03-29 02:30:00', london)).toBe(Date.parse('2026-03-29T01:30:00Z'));
    expect(startOf('2026-10-25 01:30:00', london)).toBe(startOf('2026-10-25 01:30:00.0', london));
    expect(startOf('2026-07-01 12:00:00', london)).toBe(Date.parse('2026-07-01T11:00:00Z'));
    expect(startOf('1899-12-31T23:59:59Z', london)).toBe('refused');
    expect(startOf('0099-01-01T00:00:00Z', london)).toBe('refused');
    expect(startOf('2026-1-05T10:00:00Z', london)).toBe('refused');
  });
});
