// Rating: a call and a rate card give a charge, or a named reason the call cannot be priced. Pure tests:
// increments, connection fees and minimum charges worked by hand; time bands at midnight, at the peak's
// edges and across both of Europe/London's 2026 clock changes; longest prefix, band against all-times
// rates, effective dates; then properties checked against an independent BigInt computation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bandAt, type BandConfig, LocalClock, minutesOfDay } from '../../src/rating/bands.ts';
import { divideRoundHalfUp, fromMicros, toMicros } from '../../src/money/micros.ts';
import {
  billableSeconds,
  billedMinutes,
  type CallToRate,
  createRatingContext,
  type Rate,
  RATE_LIMITS,
  rateCall,
  type Rating,
  RateTable,
} from '../../src/rating/rate-call.ts';

const LONDON: BandConfig = { timeZone: 'Europe/London', peakStartMinutes: 8 * 60, peakEndMinutes: 18 * 60 };
const london = createRatingContext(LONDON);

let nextRateId = 1;
/** A rate given in decimal strings, as a rate card holds it. */
function rate(
  prefix: string,
  overrides: Partial<Omit<Rate, 'id' | 'prefix'>> & {
    perMinute?: string;
    fee?: string;
    minimum?: string;
    cost?: string | null;
  } = {},
): Rate {
  const { perMinute = '0.10', fee = '0', minimum = '0', cost = null, ...rest } = overrides;
  return {
    id: nextRateId++,
    prefix,
    destination: `Destination ${prefix}`,
    band: 'all',
    ratePerMinuteMicros: toMicros(perMinute),
    connectionFeeMicros: toMicros(fee),
    minimumChargeMicros: toMicros(minimum),
    initialIncrementS: 60,
    subsequentIncrementS: 60,
    costPerMinuteMicros: cost === null ? null : toMicros(cost),
    effectiveFrom: '2026-01-01',
    effectiveTo: null,
    ...rest,
  };
}

/** A completed outbound call from a customer's number at a UTC instant. */
function call(
  to: string,
  startIso: string,
  durationS: number,
  overrides: Partial<CallToRate> = {},
): CallToRate {
  return {
    fromNumber: '441632960001',
    toNumber: to,
    direction: 'outbound',
    status: 'completed',
    startMs: Date.parse(startIso),
    durationS,
    ...overrides,
  };
}

function rated(rating: Rating) {
  if (rating.status !== 'rated') throw new Error(`expected a rated call, got ${JSON.stringify(rating)}`);
  return {
    ...rating,
    charge: fromMicros(rating.chargeMicros),
    cost: rating.costMicros === null ? null : fromMicros(rating.costMicros),
  };
}

// A weekday afternoon in January (GMT): peak.
const MONDAY_PEAK = '2026-01-05T14:00:00Z';
const MONDAY_EVENING = '2026-01-05T20:00:00Z';

describe('micro-units', () => {
  it.each([
    ['0.0125', 12_500],
    ['12', 12_000_000],
    ['0.000001', 1],
    ['1000000', 1_000_000_000_000],
    [' 0.5 ', 500_000],
  ])('toMicros(%j) is %i', (text, micros) => {
    expect(toMicros(text)).toBe(micros);
  });

  it('reads negative amounts and refuses more than 6 decimals or non-numbers', () => {
    expect(toMicros('-1.5')).toBe(-1_500_000);
    expect(() => toMicros('0.0000001')).toThrow(/at most 6 places/);
    expect(() => toMicros('1e3')).toThrow();
    expect(() => toMicros('')).toThrow();
  });

  it('writes six decimals, with the sign only when not zero', () => {
    expect(fromMicros(12_500)).toBe('0.012500');
    expect(fromMicros(0)).toBe('0.000000');
    expect(fromMicros(-1)).toBe('-0.000001');
    expect(fromMicros(1_234_567_890)).toBe('1234.567890');
    expect(() => fromMicros(0.5)).toThrow(/safe integer/);
  });

  it('divides rounding half up', () => {
    expect(divideRoundHalfUp(1, 2)).toBe(1); // 0.5 -> 1
    expect(divideRoundHalfUp(29, 60)).toBe(0); // 0.483 -> 0
    expect(divideRoundHalfUp(30, 60)).toBe(1); // 0.5 -> 1
    expect(divideRoundHalfUp(89, 60)).toBe(1); // 1.483 -> 1
    expect(divideRoundHalfUp(90, 60)).toBe(2); // 1.5 -> 2
    expect(divideRoundHalfUp(0, 7)).toBe(0);
  });

  it('round-trips every micro amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e15, max: 1e15 }), (micros) => {
        expect(toMicros(fromMicros(micros))).toBe(micros);
      }),
    );
  });
});

describe('billable seconds', () => {
  it.each([
    // 60/60: every started minute.
    [60, 60, 1, 60],
    [60, 60, 59, 60],
    [60, 60, 60, 60],
    [60, 60, 61, 120],
    [60, 60, 119, 120],
    [60, 60, 120, 120],
    [60, 60, 121, 180],
    // 30/6: 30 seconds at least, then 6-second steps.
    [30, 6, 1, 30],
    [30, 6, 30, 30],
    [30, 6, 31, 36],
    [30, 6, 36, 36],
    [30, 6, 37, 42],
    [30, 6, 125, 126],
    // 1/1: per second.
    [1, 1, 1, 1],
    [1, 1, 59, 59],
    [1, 1, 3601, 3601],
    // 0/anything: a completed call of no length bills no seconds.
    [60, 60, 0, 0],
    [30, 6, 0, 0],
    [1, 1, 0, 0],
  ])('%i/%i: %i s bills %i s', (initial, subsequent, duration, billable) => {
    expect(billableSeconds(duration, initial, subsequent)).toBe(billable);
  });
});

describe('billed minutes (issue 11, item 16)', () => {
  it('a call of 1 min 40 s at per-minute increments bills 2 minutes, not 3, and 0.20 at 0.10 a minute', () => {
    expect(billableSeconds(100, 60, 60)).toBe(120);
    const table = new RateTable([rate('44', { perMinute: '0.10' })]);
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 100), table, london))).toMatchObject({
      billableS: 120,
      charge: '0.200000',
    });
    expect(billedMinutes(120)).toBe(2);
  });

  it('billed seconds become whole minutes, rounded half up', () => {
    expect([0, 29, 30, 89, 90, 120, 126, 4938].map(billedMinutes)).toEqual([0, 0, 1, 1, 2, 2, 2, 82]);
    expect(() => billedMinutes(-1)).toThrow();
    expect(() => billedMinutes(1.5)).toThrow();
  });
});

describe('charges', () => {
  it('60/60 at 0.10 a minute: 61 seconds bill two minutes, 0.20', () => {
    const table = new RateTable([rate('44', { perMinute: '0.10' })]);
    const r = rated(rateCall(call('442079460000', MONDAY_PEAK, 61), table, london));
    expect(r).toMatchObject({
      billableS: 120,
      charge: '0.200000',
      band: 'peak',
      destination: 'Destination 44',
      cost: null,
    });
  });

  it('30/6 at 0.10 a minute: 37 seconds bill 42 seconds, 0.07', () => {
    // 0.10 x 42 / 60 = 0.07
    const table = new RateTable([
      rate('44', { perMinute: '0.10', initialIncrementS: 30, subsequentIncrementS: 6 }),
    ]);
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 37), table, london))).toMatchObject({
      billableS: 42,
      charge: '0.070000',
    });
    // 10 seconds still bill the 30-second first block: 0.10 x 30 / 60 = 0.05
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 10), table, london))).toMatchObject({
      billableS: 30,
      charge: '0.050000',
    });
  });

  it('1/1 at 0.0125 a minute: 7 seconds cost 0.001458 (1458.33 micro-units rounded down)', () => {
    // 12500 micros x 7 / 60 = 1458.333...
    const table = new RateTable([
      rate('44', { perMinute: '0.0125', initialIncrementS: 1, subsequentIncrementS: 1 }),
    ]);
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 7), table, london))).toMatchObject({
      billableS: 7,
      charge: '0.001458',
    });
  });

  it('rounds the per-second charge half up to the micro-unit', () => {
    const table = (perMinute: string) =>
      new RateTable([rate('44', { perMinute, initialIncrementS: 1, subsequentIncrementS: 1 })]);
    // 90 micros a minute x 1 s / 60 = 1.5 micros -> 2
    expect(rated(rateCall(call('44207', MONDAY_PEAK, 1), table('0.000090'), london)).charge).toBe('0.000002');
    // 30 micros x 1 / 60 = 0.5 -> 1
    expect(rated(rateCall(call('44207', MONDAY_PEAK, 1), table('0.000030'), london)).charge).toBe('0.000001');
    // 29 micros x 1 / 60 = 0.483 -> 0
    expect(rated(rateCall(call('44207', MONDAY_PEAK, 1), table('0.000029'), london)).charge).toBe('0.000000');
  });

  it('a completed call of 0 seconds bills no time but its connection fee, and at least the minimum', () => {
    const withFee = new RateTable([rate('44', { perMinute: '0.10', fee: '0.03' })]);
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 0), withFee, london))).toMatchObject({
      billableS: 0,
      charge: '0.030000',
    });
    const withMinimum = new RateTable([rate('44', { perMinute: '0.10', fee: '0.03', minimum: '0.05' })]);
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 0), withMinimum, london))).toMatchObject({
      billableS: 0,
      charge: '0.050000',
    });
    const plain = new RateTable([rate('44', { perMinute: '0.10' })]);
    // Priced (at nothing), not unrated: the call was priced by a rate.
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 0), plain, london))).toMatchObject({
      billableS: 0,
      charge: '0.000000',
    });
  });

  it('adds the connection fee to the time charge', () => {
    // 0.03 + 0.10 x 2 minutes = 0.23
    const table = new RateTable([rate('44', { perMinute: '0.10', fee: '0.03' })]);
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 100), table, london)).charge).toBe('0.230000');
  });

  it('never charges below the minimum charge, which includes the connection fee', () => {
    // 0.01 a minute, 60 s: 0.01 < minimum 0.05 -> 0.05
    const low = new RateTable([rate('44', { perMinute: '0.01', minimum: '0.05' })]);
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 60), low, london)).charge).toBe('0.050000');
    // fee 0.03 + 0.01 = 0.04 < 0.05 -> 0.05
    const feeBelow = new RateTable([rate('44', { perMinute: '0.01', fee: '0.03', minimum: '0.05' })]);
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 60), feeBelow, london)).charge).toBe('0.050000');
    // fee 0.05 + 0.01 = 0.06 > 0.05 -> 0.06 (the minimum is a floor, not an extra)
    const feeAbove = new RateTable([rate('44', { perMinute: '0.01', fee: '0.05', minimum: '0.05' })]);
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 60), feeAbove, london)).charge).toBe('0.060000');
    // 0.01 x 6 minutes = 0.06 > 0.05
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 360), low, london)).charge).toBe('0.060000');
  });

  it("prices the carrier's cost on the seconds actually used, not the billed ones", () => {
    // Cost 0.006 a minute x 61 s / 60 = 0.0061; the customer pays two minutes at 0.10.
    const table = new RateTable([rate('44', { perMinute: '0.10', cost: '0.006' })]);
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 61), table, london))).toMatchObject({
      charge: '0.200000',
      cost: '0.006100',
    });
    // 0.0125 x 7 / 60 = 0.001458333 -> 0.001458
    const perSecond = new RateTable([rate('44', { perMinute: '0.10', cost: '0.0125' })]);
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 7), perSecond, london)).cost).toBe('0.001458');
  });

  it('prices the largest call the limits allow exactly', () => {
    // 1000 a minute, 7 days in 3600-second blocks, fee and minimum at their ceilings:
    // 1,000,000 + 1000 x 604800 / 60 = 1,000,000 + 10,080,000 = 11,080,000
    const big = new RateTable([
      rate('44', {
        perMinute: '1000',
        fee: '1000000',
        minimum: '1000000',
        initialIncrementS: RATE_LIMITS.maxIncrementS,
        subsequentIncrementS: RATE_LIMITS.maxIncrementS,
        cost: '1000',
      }),
    ]);
    const r = rated(rateCall(call('442079460000', MONDAY_PEAK, RATE_LIMITS.maxDurationS), big, london));
    expect(r).toMatchObject({ billableS: 604_800, charge: '11080000.000000', cost: '10080000.000000' });
  });
});

describe('calls that are not charged, or cannot be priced', () => {
  const table = new RateTable([rate('44')]);

  it.each(['missed', 'busy', 'failed'] as const)(
    'a %s call is free, even without a rate card or a matching rate',
    (status) => {
      expect(rateCall(call('442079460000', MONDAY_PEAK, 30, { status }), table, london)).toEqual({
        status: 'free',
      });
      expect(rateCall(call('33123456789', MONDAY_PEAK, 30, { status }), table, london)).toEqual({
        status: 'free',
      });
      expect(rateCall(call('442079460000', MONDAY_PEAK, 30, { status }), undefined, london)).toEqual({
        status: 'free',
      });
    },
  );

  it('a completed call with no rate card is unrated (no_rate_card), never a zero charge', () => {
    expect(rateCall(call('442079460000', MONDAY_PEAK, 30), undefined, london)).toEqual({
      status: 'unrated',
      error: 'no_rate_card',
      reason:
        'no rate card applies: the account has no default rate card, and neither the feature nor the customer names one',
    });
  });

  it('a number no prefix matches is unrated (no_rate)', () => {
    const reason = 'no rate for 33123456789: no prefix of the number is on the rate card';
    expect(rateCall(call('33123456789', MONDAY_PEAK, 30), table, london)).toEqual({
      status: 'unrated',
      error: 'no_rate',
      reason,
    });
    expect(
      rateCall(call('+33123456789', MONDAY_PEAK, 30), new RateTable([rate('44')], 'Standard'), london),
    ).toMatchObject({
      reason: 'no rate for +33123456789: no prefix of the number is on card Standard',
    });
    expect(rateCall(call('33123456789', MONDAY_PEAK, 30), new RateTable([], 'Standard'), london)).toEqual({
      status: 'unrated',
      error: 'no_rate',
      reason: 'no rate for 33123456789: card Standard has no rates',
    });
  });

  it('an inbound call from a withheld number has no digits to rate (invalid_number)', () => {
    const inbound = call('441632960001', MONDAY_PEAK, 30, { direction: 'inbound', fromNumber: 'anonymous' });
    const reason = 'the number has no digits to rate';
    expect(rateCall(inbound, table, london)).toEqual({ status: 'unrated', error: 'invalid_number', reason });
    expect(rateCall({ ...inbound, fromNumber: '+' }, table, london)).toEqual({
      status: 'unrated',
      error: 'invalid_number',
      reason,
    });
  });

  it('a number with a leading + is rated by its digits', () => {
    expect(rated(rateCall(call('+442079460000', MONDAY_PEAK, 30), table, london)).destination).toBe(
      'Destination 44',
    );
  });

  it('rates an inbound call by the number it came from, an outbound call by the number dialled', () => {
    const mobile = new RateTable([rate('44', { perMinute: '0.01' }), rate('447', { perMinute: '0.05' })]);
    // Outbound from a mobile to a landline: the landline rate.
    expect(
      rated(rateCall(call('442079460000', MONDAY_PEAK, 60, { fromNumber: '447700900123' }), mobile, london))
        .charge,
    ).toBe('0.010000');
    // Inbound from a mobile to the customer's landline: the mobile rate.
    const inbound = call('441632960001', MONDAY_PEAK, 60, {
      direction: 'inbound',
      fromNumber: '447700900123',
    });
    expect(rated(rateCall(inbound, mobile, london)).charge).toBe('0.050000');
  });
});

describe('destinations: the longest prefix in effect', () => {
  const uk = rate('44', { perMinute: '0.01' });
  const ukMobile = rate('447', { perMinute: '0.05' });
  const special = rate('4477009', { perMinute: '0.50' });
  const table = new RateTable([uk, ukMobile, special]);

  it.each([
    ['447700900123', special.id],
    ['447800123456', ukMobile.id],
    ['442079460000', uk.id],
    ['44', uk.id],
    ['4', 'no_rate'],
    ['3344', 'no_rate'],
  ])('%s is priced by %s', (number, expected) => {
    const rating = rateCall(call(number, MONDAY_PEAK, 60), table, london);
    if (typeof expected === 'string') expect(rating).toMatchObject({ status: 'unrated', error: expected });
    else expect(rated(rating).rateId).toBe(expected);
  });

  it('a prefix whose rates are not in effect yet falls back to a shorter prefix', () => {
    const later = rate('447', { perMinute: '0.05', effectiveFrom: '2026-04-01' });
    const t = new RateTable([uk, later]);
    // 2026-03-31 23:30 BST is 22:30Z: still 31 March locally.
    expect(rated(rateCall(call('447800123456', '2026-03-31T22:30:00Z', 60), t, london)).rateId).toBe(uk.id);
    // 2026-04-01 00:30 BST is 31 March 23:30Z in UTC, but 1 April in London: the new prefix applies.
    expect(rated(rateCall(call('447800123456', '2026-03-31T23:30:00Z', 60), t, london)).rateId).toBe(
      later.id,
    );
  });

  it('effective_to is exclusive: the old rate stops the day before the new one starts', () => {
    const old = rate('44', { perMinute: '0.01', effectiveTo: '2026-04-01' });
    const repriced = rate('44', { perMinute: '0.02', effectiveFrom: '2026-04-01' });
    const t = new RateTable([repriced, old]); // order given does not matter
    expect(rated(rateCall(call('442079460000', '2026-03-31T22:59:59Z', 60), t, london)).charge).toBe(
      '0.010000',
    );
    expect(rated(rateCall(call('442079460000', '2026-03-31T23:00:00Z', 60), t, london)).charge).toBe(
      '0.020000',
    );
    // With no rate after the old one ends, the call is unrated, not priced at zero.
    const ended = new RateTable([old]);
    expect(rateCall(call('442079460000', '2026-03-31T23:00:00Z', 60), ended, london)).toEqual({
      status: 'unrated',
      error: 'no_rate',
      reason:
        "no rate for 442079460000 effective on 2026-04-01: the rate card's rates for 44 (Destination 44) ended, the last day being 2026-03-31",
    });
    // A closed prefix lets a shorter one in effect price the call.
    const fallback = new RateTable([rate('4', { perMinute: '0.99' }), old]);
    expect(rated(rateCall(call('442079460000', '2026-03-31T23:00:00Z', 60), fallback, london)).charge).toBe(
      '0.990000',
    );
  });

  it('a rate before its first day does not apply, and an empty period (from = to) never does', () => {
    const t = new RateTable([
      rate('44', { effectiveFrom: '2026-02-01' }),
      rate('44', { effectiveFrom: '2026-01-10', effectiveTo: '2026-01-10' }),
    ]);
    expect(rateCall(call('442079460000', '2026-01-10T12:00:00Z', 60), t, london)).toEqual({
      status: 'unrated',
      error: 'no_rate',
      reason: "no rate for 442079460000 effective on 2026-01-10: the rate card's rates start 2026-02-01",
    });
    expect(rateCall(call('442079460000', '2026-01-31T23:59:59Z', 60), t, london)).toMatchObject({
      status: 'unrated',
      error: 'no_rate',
    });
    expect(rateCall(call('442079460000', '2026-02-01T00:00:00Z', 60), t, london).status).toBe('rated');
  });

  it('a rate with no first day (a card loaded without a date) applies to calls of any date', () => {
    const t = new RateTable([
      rate('44', { effectiveFrom: null }),
      rate('33', { effectiveFrom: null, effectiveTo: '2026-01-01' }),
    ]);
    expect(rated(rateCall(call('442079460000', '1999-12-31T12:00:00Z', 60), t, london)).charge).toBe(
      '0.100000',
    );
    expect(rated(rateCall(call('33140000000', '2025-12-31T12:00:00Z', 60), t, london)).charge).toBe(
      '0.100000',
    );
    expect(rateCall(call('33140000000', '2026-01-01T12:00:00Z', 60), t, london)).toMatchObject({
      status: 'unrated',
      error: 'no_rate',
    });
  });

  it('names why a number has no rate on the date: the card starts later, the destination starts later, or it ended', () => {
    // A card loaded today (6 December) without --effective-from, and a call of 3 November.
    const today = new RateTable(
      [rate('33', { effectiveFrom: '2026-12-06' }), rate('44', { effectiveFrom: '2026-12-06' })],
      'Standard',
    );
    expect(rateCall(call('+33140000000', '2026-11-03T10:00:00Z', 60), today, london)).toEqual({
      status: 'unrated',
      error: 'no_rate',
      reason: "no rate for +33140000000 effective on 2026-11-03: card Standard's rates start 2026-12-06",
    });
    // The card has rates that day, but France's start later (a shorter prefix may not price it either).
    const france = new RateTable(
      [
        rate('44', { effectiveFrom: null }),
        rate('33', { effectiveFrom: '2026-12-06', destination: 'France' }),
      ],
      'Standard',
    );
    expect(rateCall(call('+33140000000', '2026-11-03T10:00:00Z', 60), france, london)).toMatchObject({
      reason:
        "no rate for +33140000000 effective on 2026-11-03: card Standard's rates for 33 (France) start 2026-12-06",
    });
  });
});

describe('band rates against the all-times rate', () => {
  const all = rate('44', { perMinute: '0.10' });
  const peak = rate('44', { perMinute: '0.15', band: 'peak' });
  const weekend = rate('44', { perMinute: '0.02', band: 'weekend' });
  const table = new RateTable([all, peak, weekend]);

  it('a band rate wins over the all-times rate; the all-times rate covers the other bands', () => {
    expect(rated(rateCall(call('442079460000', MONDAY_PEAK, 60), table, london))).toMatchObject({
      rateId: peak.id,
      band: 'peak',
      charge: '0.150000',
    });
    expect(rated(rateCall(call('442079460000', MONDAY_EVENING, 60), table, london))).toMatchObject({
      rateId: all.id,
      band: 'offpeak',
      charge: '0.100000',
    });
    expect(rated(rateCall(call('442079460000', '2026-01-10T12:00:00Z', 60), table, london))).toMatchObject({
      rateId: weekend.id,
      band: 'weekend',
    });
  });

  it('a destination with no rate for the band is an error, not a cheaper shorter prefix', () => {
    const t = new RateTable([
      rate('4', { perMinute: '0.01' }),
      rate('44', { band: 'peak' }),
      rate('44', { band: 'offpeak' }),
    ]);
    expect(rateCall(call('442079460000', '2026-01-10T12:00:00Z', 60), t, london)).toEqual({
      status: 'unrated',
      error: 'no_rate_for_band',
      reason:
        'no rate for 442079460000 in the weekend band on 2026-01-10: the rate card has rates for 44 (Destination 44) in peak, offpeak only',
    });
    expect(rateCall(call('442079460000', MONDAY_PEAK, 60), t, london).status).toBe('rated');
  });

  it('band rates follow their own effective dates', () => {
    // From 1 March the peak rate is gone (closed) and only the all-times rate is in force.
    const closedPeak = rate('44', { perMinute: '0.15', band: 'peak', effectiveTo: '2026-03-01' });
    const t = new RateTable([all, closedPeak]);
    expect(rated(rateCall(call('442079460000', '2026-02-27T14:00:00Z', 60), t, london)).rateId).toBe(
      closedPeak.id,
    );
    expect(rated(rateCall(call('442079460000', '2026-03-02T14:00:00Z', 60), t, london)).rateId).toBe(all.id);
  });
});

describe('time bands in the account timezone', () => {
  const bands = rate('44', { band: 'peak', perMinute: '0.15' });
  const off = rate('44', { band: 'offpeak', perMinute: '0.05' });
  const wk = rate('44', { band: 'weekend', perMinute: '0.01' });
  const table = new RateTable([bands, off, wk]);
  const bandOf = (iso: string, context = london) =>
    rated(rateCall(call('442079460000', iso, 60), table, context)).band;
  const clock = new LocalClock('Europe/London');

  it.each([
    // Winter (GMT = UTC).
    ['Friday 23:59:59', '2026-03-27T23:59:59Z', 'offpeak'],
    ['Saturday 00:00 (midnight)', '2026-03-28T00:00:00Z', 'weekend'],
    ['Saturday 00:30', '2026-03-28T00:30:00Z', 'weekend'],
    ['Sunday 23:59:59 GMT', '2026-01-11T23:59:59Z', 'weekend'],
    ['Monday 00:00 GMT', '2026-01-12T00:00:00Z', 'offpeak'],
    ['Monday 07:59:59 GMT', '2026-01-12T07:59:59Z', 'offpeak'],
    ['Monday 08:00 GMT (peak starts, inclusive)', '2026-01-12T08:00:00Z', 'peak'],
    ['Monday 17:59:59 GMT', '2026-01-12T17:59:59Z', 'peak'],
    ['Monday 18:00 GMT (peak ends, exclusive)', '2026-01-12T18:00:00Z', 'offpeak'],
    // The clocks go forward on Sunday 29 March 2026 at 01:00 GMT.
    ['Sunday 29 March 00:59:59 GMT', '2026-03-29T00:59:59Z', 'weekend'],
    ['Sunday 29 March 02:00 BST', '2026-03-29T01:00:00Z', 'weekend'],
    ['Sunday 29 March 23:59:59 BST (22:59:59Z)', '2026-03-29T22:59:59Z', 'weekend'],
    ['Monday 30 March 00:00 BST (Sunday 23:00Z)', '2026-03-29T23:00:00Z', 'offpeak'],
    ['Monday 30 March 07:59 BST (06:59Z)', '2026-03-30T06:59:00Z', 'offpeak'],
    ['Monday 30 March 08:00 BST (07:00Z)', '2026-03-30T07:00:00Z', 'peak'],
    ['Monday 30 March 17:59 BST (16:59Z)', '2026-03-30T16:59:00Z', 'peak'],
    ['Monday 30 March 18:00 BST (17:00Z)', '2026-03-30T17:00:00Z', 'offpeak'],
    // Summer: a call at 00:30 local on Saturday is 23:30 on Friday in UTC.
    ['Friday 23 October 23:59 BST (22:59Z)', '2026-10-23T22:59:00Z', 'offpeak'],
    ['Saturday 24 October 00:00 BST (Friday 23:00Z)', '2026-10-23T23:00:00Z', 'weekend'],
    ['Saturday 24 October 00:30 BST (Friday 23:30Z)', '2026-10-23T23:30:00Z', 'weekend'],
    ['Friday 23 October 17:59 BST (16:59Z)', '2026-10-23T16:59:00Z', 'peak'],
    ['Friday 23 October 18:00 BST (17:00Z)', '2026-10-23T17:00:00Z', 'offpeak'],
    // The clocks go back on Sunday 25 October 2026 at 01:00 UTC (02:00 BST -> 01:00 GMT).
    ['Sunday 25 October 01:30 BST, the first time', '2026-10-25T00:30:00Z', 'weekend'],
    ['Sunday 25 October 01:30 GMT, the second time', '2026-10-25T01:30:00Z', 'weekend'],
    ['Sunday 25 October 23:59:59 GMT', '2026-10-25T23:59:59Z', 'weekend'],
    ['Monday 26 October 00:00 GMT', '2026-10-26T00:00:00Z', 'offpeak'],
    ['Monday 26 October 07:59 GMT', '2026-10-26T07:59:00Z', 'offpeak'],
    ['Monday 26 October 08:00 GMT', '2026-10-26T08:00:00Z', 'peak'],
    ['Monday 26 October 18:00 GMT', '2026-10-26T18:00:00Z', 'offpeak'],
  ])('%s is %s', (_label, iso, band) => {
    expect(bandOf(iso)).toBe(band);
  });

  it('knows the UTC offset on each side of both clock changes', () => {
    expect(clock.offsetMs(Date.parse('2026-03-29T00:59:59.999Z'))).toBe(0);
    expect(clock.offsetMs(Date.parse('2026-03-29T01:00:00.000Z'))).toBe(3_600_000);
    expect(clock.offsetMs(Date.parse('2026-10-25T00:59:59.999Z'))).toBe(3_600_000);
    expect(clock.offsetMs(Date.parse('2026-10-25T01:00:00.000Z'))).toBe(0);
    // Asked again (now from the cache), in the other order.
    expect(clock.offsetMs(Date.parse('2026-10-25T01:14:59.999Z'))).toBe(0);
    expect(clock.offsetMs(Date.parse('2026-10-25T00:45:00.000Z'))).toBe(3_600_000);
  });

  it('gives the local date, which decides the rates in effect', () => {
    expect(clock.localDate(Date.parse('2026-10-23T23:30:00Z'))).toBe('2026-10-24');
    expect(clock.localDate(Date.parse('2026-12-31T23:59:59Z'))).toBe('2026-12-31');
    expect(new LocalClock('America/New_York').localDate(Date.parse('2026-04-01T02:00:00Z'))).toBe(
      '2026-03-31',
    );
    expect(new LocalClock('Pacific/Kiritimati').localDate(Date.parse('2026-03-31T10:00:00Z'))).toBe(
      '2026-04-01',
    );
  });

  it('uses the account peak hours, in zones with half- and quarter-hour offsets', () => {
    const kathmandu = createRatingContext({
      timeZone: 'Asia/Kathmandu',
      peakStartMinutes: minutesOfDay('09:30'),
      peakEndMinutes: minutesOfDay('17:45'),
    });
    // Kathmandu is UTC+05:45: 09:30 local is 03:45Z, 17:45 local is 12:00Z.
    expect(bandOf('2026-01-05T03:44:59Z', kathmandu)).toBe('offpeak');
    expect(bandOf('2026-01-05T03:45:00Z', kathmandu)).toBe('peak');
    expect(bandOf('2026-01-05T11:59:59Z', kathmandu)).toBe('peak');
    expect(bandOf('2026-01-05T12:00:00Z', kathmandu)).toBe('offpeak');
    // Friday 18:15Z is Saturday 00:00 in Kathmandu.
    expect(bandOf('2026-01-09T18:14:59Z', kathmandu)).toBe('offpeak');
    expect(bandOf('2026-01-09T18:15:00Z', kathmandu)).toBe('weekend');
    // Adelaide in January is UTC+10:30 (daylight time): Monday 00:00 local is Sunday 13:30Z, Monday 08:00
    // local is Sunday 21:30Z.
    const adelaide = createRatingContext({ ...LONDON, timeZone: 'Australia/Adelaide' });
    expect(bandOf('2026-01-04T13:29:59Z', adelaide)).toBe('weekend');
    expect(bandOf('2026-01-04T13:30:00Z', adelaide)).toBe('offpeak');
    expect(bandOf('2026-01-04T21:29:59Z', adelaide)).toBe('offpeak');
    expect(bandOf('2026-01-04T21:30:00Z', adelaide)).toBe('peak');
  });

  it('minutesOfDay reads HH:MM and HH:MM:SS', () => {
    expect(minutesOfDay('08:00')).toBe(480);
    expect(minutesOfDay('17:45:00')).toBe(1065);
    expect(minutesOfDay('00:00')).toBe(0);
  });

  it('the cached offset matches the timezone database at every instant (property)', () => {
    const zones = [
      'Europe/London',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'America/St_Johns',
      'Pacific/Chatham',
      'UTC',
    ];
    const clocks = new Map(zones.map((z) => [z, new LocalClock(z)]));
    const offsetOf = (zone: string, ms: number): number => {
      // Independent reading: the zone's offset name ("GMT+05:45") for that exact instant.
      const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
        .formatToParts(new Date(ms))
        .find((p) => p.type === 'timeZoneName')!.value;
      const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name)!;
      if (!m[1]) return 0;
      return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2035-12-31T00:00:00Z') }),
        (zone, ms) => {
          expect(clocks.get(zone)!.offsetMs(ms)).toBe(offsetOf(zone, ms));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('bandAt agrees with a direct reading of the local wall clock (property)', () => {
    const weekdayFormat = new Intl.DateTimeFormat('en-US', {
      timeZone: 'Europe/London',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    });
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') }),
        (ms) => {
          const parts = Object.fromEntries(
            weekdayFormat.formatToParts(new Date(ms)).map((p) => [p.type, p.value]),
          );
          const minutes = Number(parts.hour) * 60 + Number(parts.minute);
          const expected =
            parts.weekday === 'Sat' || parts.weekday === 'Sun'
              ? 'weekend'
              : minutes >= 480 && minutes < 1080
                ? 'peak'
                : 'offpeak';
          expect(bandAt(clock, ms, LONDON)).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// ---- properties, against an independent computation in BigInt

const decimal6 = (maxUnits: number) =>
  fc
    .tuple(fc.integer({ min: 0, max: maxUnits }), fc.integer({ min: 0, max: 999_999 }))
    .map(([units, micros]) => `${units}.${String(micros).padStart(6, '0')}`);

const anyRate = fc.record({
  perMinute: fc.oneof(decimal6(1), decimal6(RATE_LIMITS.maxRatePerMinuteMicros / 1e6 - 1)),
  fee: fc.oneof(fc.constant('0'), decimal6(1), decimal6(999_999)),
  minimum: fc.oneof(fc.constant('0'), decimal6(1), decimal6(999_999)),
  initialIncrementS: fc.oneof(
    fc.constantFrom(1, 6, 30, 60),
    fc.integer({ min: 1, max: RATE_LIMITS.maxIncrementS }),
  ),
  subsequentIncrementS: fc.oneof(
    fc.constantFrom(1, 6, 30, 60),
    fc.integer({ min: 1, max: RATE_LIMITS.maxIncrementS }),
  ),
  cost: fc.option(decimal6(999), { nil: null }),
});
const anyDuration = fc.oneof(
  fc.integer({ min: 0, max: 7200 }),
  fc.integer({ min: 0, max: RATE_LIMITS.maxDurationS }),
);

/** Decimal string to BigInt micro-units, by string manipulation only. */
function bigMicros(text: string): bigint {
  const [units, fraction = ''] = text.split('.');
  return BigInt(units!) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
}

/** The charge by the rules in words: initial block, whole subsequent steps, fee, half-up rounding, floor at the minimum. */
function expectedCharge(
  r: {
    perMinute: string;
    fee: string;
    minimum: string;
    initialIncrementS: number;
    subsequentIncrementS: number;
  },
  durationS: number,
) {
  const d = BigInt(durationS);
  const i = BigInt(r.initialIncrementS);
  const s = BigInt(r.subsequentIncrementS);
  const billable = d === 0n ? 0n : d <= i ? i : i + ((d - i + s - 1n) / s) * s;
  const product = bigMicros(r.perMinute) * billable;
  const usage = (product * 2n + 60n) / 120n; // floor(product / 60 + 1/2)
  const charge = bigMicros(r.fee) + usage;
  const minimum = bigMicros(r.minimum);
  return { billable, charge: charge > minimum ? charge : minimum };
}

function rateOf(r: typeof anyRate extends fc.Arbitrary<infer T> ? T : never): Rate {
  return rate('44', r);
}

describe('properties', () => {
  it('the charge is exactly the BigInt computation, and the carrier cost too', () => {
    fc.assert(
      fc.property(anyRate, anyDuration, (r, durationS) => {
        const rating = rated(
          rateCall(call('442079460000', MONDAY_PEAK, durationS), new RateTable([rateOf(r)]), london),
        );
        const expected = expectedCharge(r, durationS);
        expect(BigInt(rating.billableS)).toBe(expected.billable);
        expect(BigInt(rating.chargeMicros)).toBe(expected.charge);
        expect(Number.isSafeInteger(rating.chargeMicros)).toBe(true);
        if (r.cost === null) expect(rating.costMicros).toBeNull();
        else
          expect(BigInt(rating.costMicros!)).toBe((bigMicros(r.cost) * BigInt(durationS) * 2n + 60n) / 120n);
      }),
      { numRuns: 1000 },
    );
  });

  it('the charge is never below the minimum charge nor the connection fee', () => {
    fc.assert(
      fc.property(anyRate, anyDuration, (r, durationS) => {
        const rating = rated(
          rateCall(call('442079460000', MONDAY_PEAK, durationS), new RateTable([rateOf(r)]), london),
        );
        expect(rating.chargeMicros).toBeGreaterThanOrEqual(toMicros(r.minimum));
        expect(rating.chargeMicros).toBeGreaterThanOrEqual(toMicros(r.fee));
      }),
    );
  });

  it('a longer call never costs less (monotone in duration)', () => {
    fc.assert(
      fc.property(anyRate, anyDuration, anyDuration, (r, a, b) => {
        const [shorter, longer] = a <= b ? [a, b] : [b, a];
        const table = new RateTable([rateOf(r)]);
        const charge = (d: number) =>
          rated(rateCall(call('442079460000', MONDAY_PEAK, d), table, london)).chargeMicros;
        expect(charge(shorter)).toBeLessThanOrEqual(charge(longer));
      }),
    );
  });

  it('billable seconds cover the call, in the increments, and overshoot by less than one step', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: RATE_LIMITS.maxDurationS }),
        fc.integer({ min: 1, max: RATE_LIMITS.maxIncrementS }),
        fc.integer({ min: 1, max: RATE_LIMITS.maxIncrementS }),
        (durationS, initial, subsequent) => {
          const billable = billableSeconds(durationS, initial, subsequent);
          expect(billable).toBeGreaterThanOrEqual(durationS);
          if (durationS === 0) {
            expect(billable).toBe(0);
            return;
          }
          expect(billable).toBeGreaterThanOrEqual(initial);
          expect((billable - initial) % subsequent).toBe(0);
          expect(billable - durationS).toBeLessThan(Math.max(initial, subsequent));
        },
      ),
    );
  });

  it('the longest prefix in effect wins, whatever order the rates come in', () => {
    const prefixes = fc.uniqueArray(fc.stringMatching(/^[1-9][0-9]{0,5}$/), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(prefixes, fc.stringMatching(/^[1-9][0-9]{2,11}$/), (list, number) => {
        const rates = list.map((p) => rate(p));
        const shuffled = [...rates].reverse();
        const rating = rateCall(call(number, MONDAY_PEAK, 60), new RateTable(shuffled), london);
        const best = rates
          .filter((r) => number.startsWith(r.prefix))
          .sort((a, b) => b.prefix.length - a.prefix.length)[0];
        if (!best) expect(rating).toMatchObject({ status: 'unrated', error: 'no_rate' });
        else expect(rated(rating).rateId).toBe(best.id);
      }),
    );
  });
});
