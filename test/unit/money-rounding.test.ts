// The money module's rounding rules (src/money/rounding.ts), its micro-unit arithmetic (micros.ts) and its
// one door for JSON numbers (wire.ts), checked against independent integer references with fast-check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fractionOfMicros,
  fromMicros,
  subtractAmounts,
  toMicros,
  wholeUnitsOfMicros,
} from '../../src/money/micros.ts';
import { fromMinorUnits, money, toMinorUnits } from '../../src/money/money.ts';
import {
  instalmentSplit,
  lineMinorOf,
  moneyOfMicros,
  percentForDisplay,
  perMinuteMicros,
  planInterestMinor,
  principalShares,
  roundForDisplay,
  roundLine,
  roundToStoredScale,
  taxMinor,
} from '../../src/money/rounding.ts';
import { amountTextOfJsonNumber } from '../../src/money/wire.ts';

/** Reference: n / d (d > 0) rounded half away from zero, by comparing twice the remainder with d. */
function halfAway(n: bigint, d: bigint): bigint {
  const sign = n < 0n ? -1n : 1n;
  const a = n * sign;
  const q = a / d;
  const r = a - q * d;
  return sign * (2n * r >= d ? q + 1n : q);
}

const RUNS = { numRuns: 200 };
const amountMinor = fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n });
const positiveMinor = fc.bigInt({ min: 1n, max: 10n ** 14n });
/** A VAT or interest rate in ten-thousandths of a percent: 0 to 100%. */
const rateScaled = fc.bigInt({ min: 0n, max: 1_000_000n });

describe('line rounding', () => {
  it('roundLine is the half-away-from-zero rounding of the exact value to the minor unit', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.integer({ min: 0, max: 4 }),
        (micros, digits) => {
          const rounded = roundLine(money(fromMinorUnits(micros, 6)), digits);
          const expected = halfAway(micros, 10n ** BigInt(6 - digits));
          expect(rounded.decimalPlaces()).toBeLessThanOrEqual(digits);
          expect(toMinorUnits(rounded.toFixed(digits), digits)).toBe(expected);
        },
      ),
      RUNS,
    );
  });

  it('roundLine is idempotent and symmetric', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.integer({ min: 0, max: 4 }),
        (micros, digits) => {
          const x = money(fromMinorUnits(micros, 6));
          const once = roundLine(x, digits);
          expect(roundLine(once, digits).equals(once)).toBe(true);
          expect(roundLine(x.negated(), digits).equals(once.negated())).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('lineMinorOf is within half a unit of the exact quotient, ties away from zero', () => {
    fc.assert(
      fc.property(amountMinor, positiveMinor, (n, d) => {
        const q = lineMinorOf(n, d);
        expect(q).toBe(halfAway(n, d));
        const error = n - q * d; // what rounding left out, in units of 1/d
        expect(2n * (error < 0n ? -error : error) <= d).toBe(true);
        expect(lineMinorOf(-n, d)).toBe(-q);
      }),
      RUNS,
    );
  });

  it('pro-rating a charge over days never exceeds the whole and the parts of a split period add up within a unit per part', () => {
    fc.assert(
      fc.property(
        positiveMinor,
        fc.integer({ min: 28, max: 31 }),
        fc.integer({ min: 0, max: 31 }),
        (whole, periodDays, cut) => {
          const days = Math.min(cut, periodDays);
          const a = lineMinorOf(whole * BigInt(days), BigInt(periodDays));
          const b = lineMinorOf(whole * BigInt(periodDays - days), BigInt(periodDays));
          expect(a >= 0n && a <= whole).toBe(true);
          const diff = a + b - whole;
          expect(diff >= -1n && diff <= 1n).toBe(true);
        },
      ),
      RUNS,
    );
  });
});

describe('tax rounding', () => {
  it('taxMinor is net x rate / 100 rounded half away from zero, once', () => {
    fc.assert(
      fc.property(amountMinor, rateScaled, (net, rate) => {
        const vat = taxMinor(net, rate);
        expect(vat).toBe(halfAway(net * rate, 1_000_000n));
        expect(taxMinor(-net, rate)).toBe(-vat);
      }),
      RUNS,
    );
  });

  it('once per rate: the VAT of a rate group is at most half a unit from the exact tax, whatever its lines', () => {
    fc.assert(
      fc.property(fc.array(amountMinor, { minLength: 1, maxLength: 50 }), rateScaled, (lines, rate) => {
        const net = lines.reduce((a, b) => a + b, 0n);
        const vat = taxMinor(net, rate);
        const exactTimes1e6 = net * rate; // the exact VAT in millionths of a minor unit
        const error = vat * 1_000_000n - exactTimes1e6;
        expect(2n * (error < 0n ? -error : error) <= 1_000_000n).toBe(true);
      }),
      RUNS,
    );
  });

  it('is monotonic in the net amount for a fixed rate', () => {
    fc.assert(
      fc.property(amountMinor, amountMinor, rateScaled, (a, b, rate) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(taxMinor(lo, rate) <= taxMinor(hi, rate)).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('call charges in micro-units', () => {
  it('perMinuteMicros is price x seconds / 60 rounded half up to the micro-unit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.integer({ min: 0, max: 86_400 }),
        (price, seconds) => {
          expect(BigInt(perMinuteMicros(price, seconds))).toBe(
            halfAway(BigInt(price) * BigInt(seconds), 60n),
          );
        },
      ),
      RUNS,
    );
  });

  it('micro-units and decimal strings convert exactly both ways; the whole/fraction split is exact', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), (micros) => {
        const text = fromMicros(micros);
        expect(toMicros(text)).toBe(micros);
        expect(moneyOfMicros(micros).equals(money(text))).toBe(true);
        const abs = Math.abs(micros);
        expect(wholeUnitsOfMicros(abs) * 1_000_000 + fractionOfMicros(abs)).toBe(abs);
      }),
      RUNS,
    );
  });

  it('subtractAmounts is exact for any two amounts of at most 6 decimals', () => {
    const sixDecimals = fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n });
    fc.assert(
      fc.property(sixDecimals, sixDecimals, (a, b) => {
        expect(subtractAmounts(fromMinorUnits(a, 6), fromMinorUnits(b, 6))).toBe(fromMinorUnits(a - b, 6));
      }),
      RUNS,
    );
  });
});

describe('instalment split', () => {
  it('the instalments add up to the total exactly; the last differs from the others by less than the count', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 14n }),
        fc.integer({ min: 1, max: 600 }),
        (total, count) => {
          const { regularMinor, lastMinor } = instalmentSplit(total, count);
          expect(regularMinor * BigInt(count - 1) + lastMinor).toBe(total);
          expect(lastMinor >= regularMinor && lastMinor - regularMinor < BigInt(count)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('principal shares sum to the plan amount and each lies between 0 and its instalment', () => {
    fc.assert(
      fc.property(
        fc.array(positiveMinor, { minLength: 1, maxLength: 60 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (instalments, fraction) => {
          const total = instalments.reduce((a, b) => a + b, 0n);
          const amount = BigInt(Math.max(1, Math.floor(Number(total) * fraction)));
          const shares = principalShares(instalments, amount > total ? total : amount);
          expect(shares.reduce((a, b) => a + b, 0n)).toBe(amount > total ? total : amount);
          shares.forEach((share, i) => expect(share >= 0n && share <= instalments[i]!).toBe(true));
        },
      ),
      RUNS,
    );
  });

  it('plan interest is rounded once and grows with the number of instalments', () => {
    fc.assert(
      fc.property(
        positiveMinor,
        rateScaled,
        fc.integer({ min: 1, max: 599 }),
        fc.constantFrom(12, 26, 52),
        (amount, rate, count, perYear) => {
          const interest = planInterestMinor(amount, rate, count, perYear);
          expect(interest).toBe(halfAway(amount * rate * BigInt(count), 1_000_000n * BigInt(perYear)));
          expect(planInterestMinor(amount, rate, count + 1, perYear) >= interest).toBe(true);
          expect(planInterestMinor(amount, 0n, count, perYear)).toBe(0n);
        },
      ),
      RUNS,
    );
  });
});

describe('display and stored-scale rounding', () => {
  it('roundForDisplay and percentForDisplay round half away from zero; roundToStoredScale keeps six decimals', () => {
    expect(roundForDisplay(money('2.345'), 2).toFixed(2)).toBe('2.35');
    expect(roundForDisplay(money('-2.345'), 2).toFixed(2)).toBe('-2.35');
    expect(percentForDisplay(money('12.344999'))).toBe('12.34');
    expect(percentForDisplay(money('12.345'))).toBe('12.35');
    expect(roundToStoredScale(money('1').dividedBy(3)).toFixed()).toBe('0.333333');
    expect(roundToStoredScale(money('2').dividedBy(3)).toFixed()).toBe('0.666667');
  });
});

describe('amounts from JSON numbers (wire.ts)', () => {
  /** A decimal string of at most 15 significant digits, as a client writes it. */
  const decimalText = fc
    .tuple(fc.bigInt({ min: -(10n ** 15n) + 1n, max: 10n ** 15n - 1n }), fc.integer({ min: 0, max: 6 }))
    .map(([units, scale]) => fromMinorUnits(units, scale));

  it('takes a number with at most 15 significant digits as exactly the amount written', () => {
    fc.assert(
      fc.property(decimalText, (text) => {
        const read = amountTextOfJsonNumber(JSON.parse(text) as number);
        expect(read).toBeDefined();
        expect(money(read!).equals(money(text))).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuses numbers that could pass as an amount but may not be what was sent; passes the rest on to the field check', () => {
    expect(amountTextOfJsonNumber(10.5)).toBe('10.5');
    expect(amountTextOfJsonNumber(123.88)).toBe('123.88');
    expect(amountTextOfJsonNumber(7)).toBe('7');
    expect(amountTextOfJsonNumber(-0)).toBe('0');
    expect(amountTextOfJsonNumber(JSON.parse('123456789012.123456') as number)).toBeUndefined(); // 18 digits, 6 decimals
    expect(amountTextOfJsonNumber(JSON.parse('1234567890123456.5') as number)).toBeUndefined();
    expect(amountTextOfJsonNumber(Number.NaN)).toBeUndefined();
    expect(amountTextOfJsonNumber(Number.POSITIVE_INFINITY)).toBeUndefined();
    // Texts no amount field takes: the field's own check refuses them, naming its rule.
    expect(amountTextOfJsonNumber(1e-7)).toBe('1e-7');
    expect(amountTextOfJsonNumber(1e21)).toBe('1e+21');
    expect(amountTextOfJsonNumber(0.1 + 0.2)).toBe('0.30000000000000004');
  });
});
