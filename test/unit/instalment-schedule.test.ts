// Instalment plan schedules: due dates (month-end safe), simple annual interest, the split by count or by
// instalment amount with the last instalment absorbing what does not divide, and the maximum term.
// Hand-computed examples first, then properties checked against an independent model (decimal.js).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  instalmentSchedule,
  maxInstalmentCount,
  MAX_TERM,
  PERIODS_PER_YEAR,
  PLAN_FREQUENCIES,
  principalShares,
  TERM_PERIODS,
  termEndDate,
  type PlanFrequency,
  type PlanTerms,
  type TermPeriod,
} from '../../src/collections/instalment-schedule.ts';
import { DomainError } from '../../src/shared/errors.ts';
import { daysInMonth, fromDayNumber, toDayNumber } from '../../src/shared/dates.ts';
import { Money } from '../../src/money/money.ts';

function terms(overrides: Partial<PlanTerms> = {}): PlanTerms {
  return {
    amount: '100.00',
    frequency: 'monthly',
    startDate: '2026-01-31',
    rate: '0',
    maxTerm: 1,
    maxTermPeriod: 'year',
    minorDigits: 2,
    ...overrides,
  };
}

function rows(s: { instalments: { dueDate: string; amount: string }[] }): [string, string][] {
  return s.instalments.map((i) => [i.dueDate, i.amount]);
}

function refusal(fn: () => unknown): { code: string; field: string | undefined; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('examples', () => {
  it('splits by count with the last instalment absorbing the remainder, month ends kept', () => {
    const s = instalmentSchedule(terms(), { instalmentCount: 3 });
    expect(rows(s)).toEqual([
      ['2026-01-31', '33.33'],
      ['2026-02-28', '33.33'],
      ['2026-03-31', '33.34'],
    ]);
    expect(s).toMatchObject({ amount: '100.00', interest: '0.00', total: '100.00', termEnd: '2027-01-31' });
    expect(s.instalments.map((i) => i.number)).toEqual([1, 2, 3]);
  });

  it('keeps 29 February in a leap year and the 31st afterwards', () => {
    const s = instalmentSchedule(terms({ startDate: '2024-01-31' }), { instalmentCount: 4 });
    expect(s.instalments.map((i) => i.dueDate)).toEqual([
      '2024-01-31',
      '2024-02-29',
      '2024-03-31',
      '2024-04-30',
    ]);
  });

  it('charges simple annual interest on the plan amount for n periods', () => {
    // 1200.00 x 12% x 12/12 = 144.00
    const s = instalmentSchedule(terms({ amount: '1200.00', rate: '12', startDate: '2026-03-01' }), {
      instalmentCount: 12,
    });
    expect(s).toMatchObject({ interest: '144.00', total: '1344.00' });
    expect(new Set(s.instalments.map((i) => i.amount))).toEqual(new Set(['112.00']));
    expect(s.instalments[11]!.dueDate).toBe('2027-02-01');
  });

  it('rounds the interest half up once, then floors the regular instalment', () => {
    // 800.00 x 1.5% x 10/52 = 2.3076… -> 2.31; 802.31 / 10 -> 80.23 x 9 and 80.24 last
    const s = instalmentSchedule(
      terms({ amount: '800.00', rate: '1.5', frequency: 'weekly', startDate: '2026-10-10' }),
      { instalmentCount: 10 },
    );
    expect(s).toMatchObject({ interest: '2.31', total: '802.31' });
    expect(s.instalments.slice(0, 9).every((i) => i.amount === '80.23')).toBe(true);
    expect(s.instalments[9]).toEqual({ number: 10, dueDate: '2026-12-12', amount: '80.24' });
  });

  it('fortnightly dates are 14 days apart', () => {
    const s = instalmentSchedule(terms({ frequency: 'fortnightly', startDate: '2026-12-20' }), {
      instalmentCount: 3,
    });
    expect(s.instalments.map((i) => i.dueDate)).toEqual(['2026-12-20', '2027-01-03', '2027-01-17']);
  });

  it('splits by instalment amount: the fewest instalments, the last one smaller', () => {
    const s = instalmentSchedule(terms(), { instalmentAmount: '30.00' });
    expect(rows(s)).toEqual([
      ['2026-01-31', '30.00'],
      ['2026-02-28', '30.00'],
      ['2026-03-31', '30.00'],
      ['2026-04-30', '10.00'],
    ]);
    // an exact division leaves the last one equal
    expect(instalmentSchedule(terms(), { instalmentAmount: '25' }).instalments.map((i) => i.amount)).toEqual([
      '25.00',
      '25.00',
      '25.00',
      '25.00',
    ]);
  });

  it('counts interest when finding the number of instalments by amount', () => {
    // 100.00 at 12%: 4 monthly instalments cost 4.00 interest (104.00 > 4 x 25.00), 5 cost 5.00 (105.00 <= 125.00)
    const s = instalmentSchedule(terms({ rate: '12' }), { instalmentAmount: '25.00' });
    expect(s).toMatchObject({ interest: '5.00', total: '105.00' });
    expect(s.instalments.map((i) => i.amount)).toEqual(['25.00', '25.00', '25.00', '25.00', '5.00']);
  });

  it('works in currencies with 0 and 3 minor digits', () => {
    expect(
      instalmentSchedule(terms({ amount: '1000', minorDigits: 0 }), { instalmentCount: 3 }).instalments.map(
        (i) => i.amount,
      ),
    ).toEqual(['333', '333', '334']);
    expect(
      instalmentSchedule(terms({ amount: '1.000', minorDigits: 3 }), { instalmentCount: 3 }).instalments.map(
        (i) => i.amount,
      ),
    ).toEqual(['0.333', '0.333', '0.334']);
  });

  it.each([
    ['2026-01-01', 'weekly', 1, 'year', 53],
    ['2026-01-01', 'fortnightly', 1, 'year', 27],
    ['2026-01-01', 'monthly', 1, 'year', 12],
    ['2026-01-01', 'weekly', 30, 'day', 5],
    ['2026-01-01', 'weekly', 28, 'day', 4],
    ['2026-01-31', 'monthly', 1, 'month', 1],
    ['2026-01-31', 'monthly', 2, 'month', 2],
    ['2026-01-01', 'monthly', 6, 'month', 6],
    ['2026-01-01', 'monthly', 10, 'year', 120],
  ] as const)(
    'from %s, %s instalments in %i %s: at most %i',
    (start, frequency, maxTerm, period, expected) => {
      expect(maxInstalmentCount(start, frequency, maxTerm, period)).toBe(expected);
    },
  );

  it('term ends clamp to month ends', () => {
    expect(termEndDate('2026-01-31', 1, 'month')).toBe('2026-02-28');
    expect(termEndDate('2024-02-29', 1, 'year')).toBe('2025-02-28');
    expect(termEndDate('2026-01-01', 90, 'day')).toBe('2026-04-01');
  });
});

describe('refusals', () => {
  it('refuses a plan that does not fit in the maximum term', () => {
    expect(refusal(() => instalmentSchedule(terms(), { instalmentCount: 13 }))).toMatchObject({
      code: 'invalid_input',
      field: 'instalmentCount',
      message: expect.stringContaining('at most 12'),
    });
    expect(
      refusal(() =>
        instalmentSchedule(terms({ frequency: 'weekly', maxTerm: 1, maxTermPeriod: 'month' }), {
          instalmentAmount: '1.00',
        }),
      ),
    ).toMatchObject({
      field: 'instalmentAmount',
      message: expect.stringContaining('does not pay off 100.00'),
    });
  });

  it('refuses instalments smaller than the minor unit', () => {
    expect(
      refusal(() => instalmentSchedule(terms({ amount: '0.05' }), { instalmentCount: 10 })),
    ).toMatchObject({ field: 'instalmentCount' });
  });

  it.each([
    [{ amount: '-1.00' }, 'planAmount'],
    [{ amount: '0' }, 'planAmount'],
    [{ amount: '1.001' }, 'planAmount'],
    [{ amount: 'ten' }, 'planAmount'],
    [{ amount: '1e3' }, 'planAmount'],
    [{ rate: '-1' }, 'planRate'],
    [{ rate: '100.0001' }, 'planRate'],
    [{ rate: '1.23456' }, 'planRate'],
    [{ rate: 'NaN' }, 'planRate'],
    [{ startDate: '2026-02-30' }, 'planStartDate'],
    [{ startDate: '31/01/2026' }, 'planStartDate'],
    [{ maxTerm: 0 }, 'planMaxTerm'],
    [{ maxTerm: 1.5 }, 'planMaxTerm'],
    [{ maxTerm: 11 }, 'planMaxTerm'],
    [{ maxTermPeriod: 'week' as TermPeriod }, 'planMaxTermPeriod'],
    [{ frequency: 'daily' as PlanFrequency }, 'planFrequency'],
  ] as const)('refuses %o (field %s)', (overrides, field) => {
    expect(refusal(() => instalmentSchedule(terms(overrides), { instalmentCount: 2 }))).toMatchObject({
      code: 'invalid_input',
      field,
    });
  });

  it.each([0, -1, 2.5, Number.NaN])('refuses an instalment count of %s', (count) => {
    expect(refusal(() => instalmentSchedule(terms(), { instalmentCount: count }))).toMatchObject({
      field: 'instalmentCount',
    });
  });

  it.each(['0', '-5.00', '1.005', 'x'])('refuses an instalment amount of %s', (amount) => {
    expect(refusal(() => instalmentSchedule(terms(), { instalmentAmount: amount }))).toMatchObject({
      field: 'instalmentAmount',
    });
  });
});

// ---- properties, against an independent model in decimal arithmetic

/** Interest by the documented formula, in Decimal, rounded half up to the minor unit. */
function modelInterest(
  amount: string,
  rate: string,
  frequency: PlanFrequency,
  count: number,
  digits: number,
): Money {
  return new Money(amount)
    .times(rate)
    .div(100)
    .times(count)
    .div(PERIODS_PER_YEAR[frequency])
    .toDecimalPlaces(digits, Money.ROUND_HALF_UP);
}

const plan = fc
  .record({
    amountMinor: fc.bigInt({ min: 1n, max: 10n ** 11n }),
    digits: fc.constantFrom(0, 2, 3),
    frequency: fc.constantFrom(...PLAN_FREQUENCIES),
    startDay: fc.integer({ min: toDayNumber('2000-01-01'), max: toDayNumber('2090-12-31') }),
    rateUnits: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1_000_000 })),
    period: fc.constantFrom(...TERM_PERIODS),
    termFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map((r) => {
    const maxTerm = Math.max(1, Math.ceil(r.termFraction * MAX_TERM[r.period]));
    const amount = new Money(r.amountMinor.toString()).div(new Money(10).pow(r.digits)).toFixed(r.digits);
    const rate = new Money(r.rateUnits).div(10_000).toFixed();
    const t: PlanTerms = {
      amount,
      frequency: r.frequency,
      startDate: fromDayNumber(r.startDay),
      rate,
      maxTerm,
      maxTermPeriod: r.period,
      minorDigits: r.digits,
    };
    return t;
  });

describe('properties', () => {
  it('by count: instalments sum to amount + interest, equal but the last, which absorbs less than n minor units, all inside the term', () => {
    fc.assert(
      fc.property(plan, fc.double({ min: 0, max: 1, noNaN: true }), (t, pick) => {
        const limit = maxInstalmentCount(t.startDate, t.frequency, t.maxTerm, t.maxTermPeriod);
        const count = Math.max(1, Math.ceil(pick * limit));
        const unit = new Money(10).pow(-t.minorDigits);
        const interest = modelInterest(t.amount, t.rate, t.frequency, count, t.minorDigits);
        const total = new Money(t.amount).plus(interest);
        if (total.div(unit).lessThan(count)) {
          expect(() => instalmentSchedule(t, { instalmentCount: count })).toThrow(DomainError);
          return;
        }
        const s = instalmentSchedule(t, { instalmentCount: count });
        expect(s.instalments).toHaveLength(count);
        expect(s.interest).toBe(interest.toFixed(t.minorDigits));
        expect(s.total).toBe(total.toFixed(t.minorDigits));
        const amounts = s.instalments.map((i) => new Money(i.amount));
        expect(amounts.reduce((a, b) => a.plus(b), new Money(0)).equals(total)).toBe(true);
        const regular = amounts[0]!;
        const last = amounts[count - 1]!;
        for (const a of amounts.slice(0, -1)) expect(a.equals(regular)).toBe(true);
        expect(regular.greaterThanOrEqualTo(unit)).toBe(true);
        expect(last.greaterThanOrEqualTo(regular)).toBe(true);
        expect(last.minus(regular).div(unit).lessThan(count)).toBe(true);
        for (const a of amounts) expect(a.decimalPlaces()).toBeLessThanOrEqual(t.minorDigits);
        // dates: start first, strictly increasing, none on or after the end of the maximum term
        expect(s.instalments[0]!.dueDate).toBe(t.startDate);
        for (let k = 1; k < count; k++)
          expect(s.instalments[k]!.dueDate > s.instalments[k - 1]!.dueDate).toBe(true);
        expect(s.instalments[count - 1]!.dueDate < s.termEnd).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('no more instalments than fit in the term: one more is refused, and its due date would be on or after the term end', () => {
    fc.assert(
      fc.property(plan, (t) => {
        const limit = maxInstalmentCount(t.startDate, t.frequency, t.maxTerm, t.maxTermPeriod);
        expect(limit).toBeGreaterThanOrEqual(1);
        const end = termEndDate(t.startDate, t.maxTerm, t.maxTermPeriod);
        const big = { ...t, amount: new Money(10).pow(9).toFixed(t.minorDigits) }; // never too small to split
        const fits = instalmentSchedule(big, { instalmentCount: limit });
        expect(fits.instalments[limit - 1]!.dueDate < end).toBe(true);
        const over = (() => {
          try {
            instalmentSchedule(big, { instalmentCount: limit + 1 });
            return undefined;
          } catch (error) {
            return error;
          }
        })();
        expect(over).toBeInstanceOf(DomainError);
        expect((over as DomainError).field).toBe('instalmentCount');
      }),
      { numRuns: 200 },
    );
  });

  it('monthly due dates keep the start day, clamped to shorter months', () => {
    fc.assert(
      fc.property(plan, fc.integer({ min: 1, max: 24 }), (t, count) => {
        const m = {
          ...t,
          frequency: 'monthly' as const,
          maxTerm: 3,
          maxTermPeriod: 'year' as const,
          amount: '1000000',
        };
        const s = instalmentSchedule(m, { instalmentCount: count });
        const startDay = Number(t.startDate.slice(8));
        for (const i of s.instalments) {
          const [y, mo, d] = i.dueDate.split('-').map(Number) as [number, number, number];
          expect(d).toBe(Math.min(startDay, daysInMonth(y, mo)));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('by amount: all but the last are the amount, the last is in (0, amount], the count is the fewest that covers amount + interest', () => {
    fc.assert(
      fc.property(plan, fc.double({ min: 0.001, max: 1.5, noNaN: true }), (t, share) => {
        const unit = new Money(10).pow(-t.minorDigits);
        const per = Money.max(
          unit,
          new Money(t.amount).times(share).toDecimalPlaces(t.minorDigits, Money.ROUND_UP),
        ).toFixed(t.minorDigits);
        const limit = maxInstalmentCount(t.startDate, t.frequency, t.maxTerm, t.maxTermPeriod);
        const totalFor = (n: number) =>
          new Money(t.amount).plus(modelInterest(t.amount, t.rate, t.frequency, n, t.minorDigits));
        let fewest: number | undefined;
        for (let n = 1; n <= limit; n++) {
          if (new Money(per).times(n).greaterThanOrEqualTo(totalFor(n))) {
            fewest = n;
            break;
          }
        }
        if (fewest === undefined) {
          expect(() => instalmentSchedule(t, { instalmentAmount: per })).toThrow(DomainError);
          return;
        }
        const s = instalmentSchedule(t, { instalmentAmount: per });
        expect(s.instalments).toHaveLength(fewest);
        const amounts = s.instalments.map((i) => new Money(i.amount));
        expect(amounts.reduce((a, b) => a.plus(b), new Money(0)).equals(totalFor(fewest))).toBe(true);
        for (const a of amounts.slice(0, -1)) expect(a.toFixed(t.minorDigits)).toBe(per);
        const last = amounts[fewest - 1]!;
        expect(last.greaterThan(0) && last.lessThanOrEqualTo(per)).toBe(true);
        expect(s.instalments[fewest - 1]!.dueDate < s.termEnd).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('principal shares', () => {
  it('splits each instalment into principal and interest', () => {
    // 1200.00 at 12% over 12 months: 112.00 each, 100.00 principal + 12.00 interest
    expect(principalShares(Array(12).fill(11200n), 120000n)).toEqual(Array(12).fill(10000n));
    // no interest: every instalment is principal
    expect(principalShares([3333n, 3333n, 3334n], 10000n)).toEqual([3333n, 3333n, 3334n]);
    // a tiny interest never makes a principal share larger than its instalment
    expect(principalShares([3333n, 3333n, 3335n], 10000n)).toEqual([3332n, 3333n, 3335n]);
  });

  it('shares sum to the plan amount and lie between 0 and their instalment', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { minLength: 1, maxLength: 60 }),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        (instalments, share) => {
          const total = instalments.reduce((a, b) => a + b, 0n);
          const amount = BigInt(Math.max(1, Math.floor(Number(total) * share)));
          const parts = principalShares(instalments, amount > total ? total : amount);
          expect(parts.reduce((a, b) => a + b, 0n)).toBe(amount > total ? total : amount);
          parts.forEach((p, k) => {
            expect(p >= 0n && p <= instalments[k]!).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
