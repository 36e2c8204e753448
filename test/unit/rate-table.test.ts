// RateTable finds a number's longest prefix in effect by walking a tree of the prefixes' digits. It must
// agree with the plain reading (every prefix of the number, longest first, looked up by substring), which
// a table falls back to when a prefix is not all digits: checked here on random cards and numbers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Band } from '../../src/rating/bands.ts';
import { type Rate, RateTable } from '../../src/rating/rate-call.ts';

const DATES = ['2026-01-01', '2026-03-01', '2026-06-01', '2026-09-01'] as const;

const rateArb = fc.record({
  prefix: fc.stringMatching(/^[1-4]{1,5}$/),
  band: fc.constantFrom('all', 'peak', 'offpeak', 'weekend'),
  from: fc.constantFrom(...DATES),
  to: fc.option(fc.constantFrom(...DATES), { nil: null }),
});

function toRates(specs: { prefix: string; band: string; from: string; to: string | null }[]): Rate[] {
  return specs.map((r, i) => ({
    id: i + 1,
    prefix: r.prefix,
    destination: `D${r.prefix}`,
    band: r.band as Rate['band'],
    ratePerMinuteMicros: 1000,
    connectionFeeMicros: 0,
    minimumChargeMicros: 0,
    initialIncrementS: 60,
    subsequentIncrementS: 60,
    costPerMinuteMicros: null,
    effectiveFrom: r.from,
    effectiveTo: r.to,
  }));
}

/** A rate whose prefix is not digits: no number matches it, and it makes the table look up by substrings. */
const NOT_DIGITS: Rate = {
  ...toRates([{ prefix: 'x', band: 'all', from: '2026-01-01', to: null }])[0]!,
  id: 0,
};

describe('RateTable.find', () => {
  it('finds what the substring reading finds, for any card, number, date and band (property)', () => {
    fc.assert(
      fc.property(
        fc.array(rateArb, { maxLength: 30 }),
        fc.array(fc.stringMatching(/^[0-4+]{0,8}$/), { minLength: 1, maxLength: 10 }),
        fc.constantFrom('2025-12-31', ...DATES, '2026-07-15'),
        fc.constantFrom<Band>('peak', 'offpeak', 'weekend'),
        (specs, numbers, date, band) => {
          const rates = toRates(specs);
          const tree = new RateTable(rates);
          const plain = new RateTable([...rates, NOT_DIGITS]);
          for (const n of numbers) {
            const a = tree.find(n, date, band);
            const b = plain.find(n, date, band);
            expect(typeof a === 'string' ? a : a.id).toBe(typeof b === 'string' ? b : b.id);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
