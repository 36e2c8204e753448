// The inverse of rating: the longest affordable call never costs more than what is available, and one
// increment more would (or the cap was reached). Property-tested over random rates, VAT and balances.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grossCostMicros, maxAffordableDuration } from '../../src/authorization/max-duration.ts';
import { grossMicros, vatMicros } from '../../src/balances/ledger.ts';
import type { Rate } from '../../src/rating/rate-call.ts';

function rate(overrides: Partial<Rate>): Rate {
  return {
    id: 1,
    prefix: '44',
    destination: 'UK',
    band: 'all',
    ratePerMinuteMicros: 60_000,
    connectionFeeMicros: 0,
    minimumChargeMicros: 0,
    initialIncrementS: 60,
    subsequentIncrementS: 60,
    costPerMinuteMicros: null,
    effectiveFrom: '2026-01-01',
    effectiveTo: null,
    ...overrides,
  };
}

const NO_VAT = { rate: '0', reverseCharge: false };

describe('maxAffordableDuration', () => {
  it('0.06 a minute billed per started minute: 0.30 pays for 5 minutes', () => {
    expect(maxAffordableDuration(rate({}), 300_000, NO_VAT, 3600)).toEqual({
      durationS: 300,
      costMicros: 300_000,
    });
    // 0.2999 pays for 4 minutes: the fifth would cost 0.30.
    expect(maxAffordableDuration(rate({}), 299_900, NO_VAT, 3600)).toEqual({
      durationS: 240,
      costMicros: 240_000,
    });
  });

  it('counts the connection fee, the minimum charge and VAT', () => {
    // 0.12 a minute, 30 s then per second, 0.05 to connect, VAT 20%: 30 s cost (0.05 + 0.06) x 1.2 = 0.132.
    const mobile = rate({
      ratePerMinuteMicros: 120_000,
      connectionFeeMicros: 50_000,
      initialIncrementS: 30,
      subsequentIncrementS: 1,
    });
    const vat = { rate: '20', reverseCharge: false };
    expect(grossCostMicros(mobile, 30, vat)).toBe(132_000);
    expect(maxAffordableDuration(mobile, 131_999, vat, 3600)).toEqual({ durationS: 0, costMicros: 0 });
    // 1.00 gross = 0.8333.. net: 0.05 + 0.002 x s <= 0.833333 -> s = 391 (0.832 net, 0.9984 gross).
    expect(maxAffordableDuration(mobile, 1_000_000, vat, 3600)).toEqual({
      durationS: 391,
      costMicros: 998_400,
    });
    expect(
      maxAffordableDuration(mobile, 1_000_000, { rate: '20', reverseCharge: true }, 3600).durationS,
    ).toBe(475);
    // A 1.00 minimum charge: nothing under 1.00 is affordable, anything up to the minimum's minutes is.
    const minimum = rate({ minimumChargeMicros: 1_000_000 });
    expect(maxAffordableDuration(minimum, 999_999, NO_VAT, 3600).durationS).toBe(0);
    expect(maxAffordableDuration(minimum, 1_000_000, NO_VAT, 3600)).toEqual({
      durationS: 960,
      costMicros: 1_000_000,
    });
  });

  it('a free destination is limited only by the cap', () => {
    expect(maxAffordableDuration(rate({ ratePerMinuteMicros: 0 }), 1, NO_VAT, 3600)).toEqual({
      durationS: 3600,
      costMicros: 0,
    });
    expect(maxAffordableDuration(rate({}), 0, NO_VAT, 3600).durationS).toBe(0);
  });

  it('property: the cost of maxDurationS fits what is available, and one increment more does not', () => {
    const rates = fc.record({
      ratePerMinuteMicros: fc.integer({ min: 0, max: 5_000_000 }),
      connectionFeeMicros: fc.integer({ min: 0, max: 2_000_000 }),
      minimumChargeMicros: fc.integer({ min: 0, max: 3_000_000 }),
      initialIncrementS: fc.integer({ min: 1, max: 120 }),
      subsequentIncrementS: fc.integer({ min: 1, max: 60 }),
    });
    fc.assert(
      fc.property(
        rates,
        fc.integer({ min: 0, max: 500_000_000 }),
        fc.constantFrom('0', '5', '17.5', '20', '21', '8.875'),
        fc.boolean(),
        fc.integer({ min: 1, max: 4 * 3600 }),
        (r, available, vatRate, reverseCharge, cap) => {
          const theRate = rate(r);
          const vat = { rate: vatRate, reverseCharge };
          const { durationS, costMicros } = maxAffordableDuration(theRate, available, vat, cap);
          expect(durationS).toBeGreaterThanOrEqual(0);
          expect(durationS).toBeLessThanOrEqual(cap);
          if (durationS > 0) {
            expect(costMicros).toBe(grossCostMicros(theRate, durationS, vat));
            expect(costMicros).toBeLessThanOrEqual(available);
          }
          if (durationS < cap) {
            // One second more starts the next increment, which is not affordable.
            expect(grossCostMicros(theRate, durationS + 1, vat)).toBeGreaterThan(available);
            expect(grossCostMicros(theRate, durationS + theRate.subsequentIncrementS, vat)).toBeGreaterThan(
              available,
            );
          }
        },
      ),
      { numRuns: 3000, seed: 14 },
    );
  });
});

describe('VAT on usage', () => {
  it('rounds half away from zero to the micro-unit, as PostgreSQL round(x, 6) does', () => {
    expect(vatMicros(5, '10')).toBe(1); // 0.5 micro -> 1
    expect(vatMicros(4, '10')).toBe(0);
    expect(vatMicros(123_456, '17.5')).toBe(21_605); // 21604.8
    expect(grossMicros(1_000_000, '20', false)).toEqual({ gross: 1_200_000, vat: 200_000 });
    expect(grossMicros(1_000_000, '20', true)).toEqual({ gross: 1_000_000, vat: 0 });
    expect(vatMicros(999_999_999_999, '20.0000')).toBe(200_000_000_000);
  });
});
