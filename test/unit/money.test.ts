// Exact money: decimal-string validation, rounding half away from zero, fixed-point formatting and the
// currencies' minor units.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_AMOUNT_SCALE,
  MAX_INTEGER_DIGITS,
  Money,
  currencyMinorDigits,
  decimalPlaces,
  formatAmount,
  formatDecimal,
  isDecimalString,
  isSupportedCurrency,
  money,
  sum,
} from '../../src/money/money.ts';
import { roundLine as roundTo } from '../../src/money/rounding.ts';

/** An integer count of 10^-digits units as a decimal string ("-1234", 2 -> "-12.34"). Independent of Money. */
function unitsToString(units: bigint, digits: number): string {
  const negative = units < 0n;
  const abs = (negative ? -units : units).toString().padStart(digits + 1, '0');
  const whole = abs.slice(0, abs.length - digits);
  const fraction = abs.slice(abs.length - digits);
  return `${negative ? '-' : ''}${whole}${digits > 0 ? `.${fraction}` : ''}`;
}

/** Rounds units of 10^-from to units of 10^-to, half away from zero, in integers. */
function roundUnitsHalfUp(units: bigint, from: number, to: number): bigint {
  const divisor = 10n ** BigInt(from - to);
  const abs = units < 0n ? -units : units;
  const rounded = (abs * 2n + divisor) / (divisor * 2n);
  return units < 0n ? -rounded : rounded;
}

describe('isDecimalString', () => {
  it.each([
    '0',
    '-0',
    '1',
    '12.5',
    '12.50',
    '-12.50',
    '0.000001',
    '999999999999',
    '999999999999.999999',
    '-999999999999.999999',
    '007',
  ])('accepts %s', (value) => {
    expect(isDecimalString(value)).toBe(true);
  });

  it.each([
    '',
    ' ',
    '1 ',
    ' 1',
    '+1',
    '--1',
    '1.',
    '.5',
    '1.2.3',
    '1,5',
    '1e5',
    '1E-3',
    'NaN',
    'Infinity',
    '0x10',
    '0.0000001', // 7 decimals
    '1000000000000', // 13 integer digits: a trillion or more is refused
    '١٢', // non-ASCII digits
    '12.5\n',
  ])('rejects %j', (value) => {
    expect(isDecimalString(value)).toBe(false);
  });

  it('limits the scale to maxScale', () => {
    expect(isDecimalString('12.34', 2)).toBe(true);
    expect(isDecimalString('12.345', 2)).toBe(false);
    expect(isDecimalString('12', 0)).toBe(true);
    expect(isDecimalString('12.0', 0)).toBe(false);
    expect(isDecimalString('1.234', 3)).toBe(true);
    expect(isDecimalString('1.2345', 3)).toBe(false);
    expect(isDecimalString('1.123456', MAX_AMOUNT_SCALE)).toBe(true);
  });

  it('accepts every integer amount written with at most maxScale decimals, and rejects one more', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 20n) + 1n, max: 10n ** 20n - 1n }),
        fc.integer({ min: 0, max: 6 }),
        (units, digits) => {
          const text = unitsToString(units, digits);
          const integerDigits = text.replace('-', '').split('.')[0]!.length;
          const expected = integerDigits <= MAX_INTEGER_DIGITS;
          expect(isDecimalString(text, digits)).toBe(expected);
          if (digits > 0) expect(isDecimalString(text, digits - 1)).toBe(false);
        },
      ),
    );
  });

  it('every string it accepts parses with money() to the same value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.bigInt({ min: -(10n ** 20n) + 1n, max: 10n ** 20n - 1n }),
        (digits, raw) => {
          const units = raw % 10n ** BigInt(MAX_INTEGER_DIGITS + digits); // at most MAX_INTEGER_DIGITS integer digits
          const text = unitsToString(units, digits);
          expect(isDecimalString(text, digits)).toBe(true);
          expect(money(text).equals(new Money(text))).toBe(true);
          expect(formatAmount(text, digits)).toBe(text);
        },
      ),
    );
  });
});

describe('money', () => {
  it('parses strings, safe integers and Decimals', () => {
    expect(money('12.50').toString()).toBe('12.5');
    expect(money(42).toString()).toBe('42');
    expect(money(new Money('1.5')).toString()).toBe('1.5');
  });

  it('refuses non-integer numbers: floats never become money', () => {
    expect(() => money(0.1)).toThrow(/non-integer/);
    expect(() => money(Number.MAX_SAFE_INTEGER + 1)).toThrow(/non-integer/);
    expect(() => money(Number.NaN)).toThrow();
  });

  it('holds totals far beyond any single entered amount, and refuses what is not finite', () => {
    expect(money('123456789012345678901234.123456').toFixed(6)).toBe('123456789012345678901234.123456');
    expect(() => money('Infinity')).toThrow(/not a finite amount/);
    expect(() => money('NaN')).toThrow(/not a finite amount/);
  });

  it('sums exactly where floats would not', () => {
    expect(sum([money('0.1'), money('0.2')]).toString()).toBe('0.3');
    expect(sum([]).toString()).toBe('0');
    expect(sum(Array.from({ length: 1000 }, () => money('0.01'))).toString()).toBe('10');
  });
});

describe('roundTo (half away from zero)', () => {
  it.each([
    ['0.005', 2, '0.01'],
    ['0.015', 2, '0.02'],
    ['0.025', 2, '0.03'], // banker's rounding would give 0.02
    ['0.0049999', 2, '0'],
    ['-0.005', 2, '-0.01'],
    ['-0.025', 2, '-0.03'],
    ['-0.0049', 2, '0'],
    ['2.5', 0, '3'],
    ['3.5', 0, '4'],
    ['-2.5', 0, '-3'],
    ['1.0005', 3, '1.001'],
    ['1.0004999', 3, '1'],
    ['12.345', 2, '12.35'],
    ['13.709677419354838709677', 2, '13.71'],
    ['7', 2, '7'],
  ] as const)('%s to %i places is %s', (value, digits, expected) => {
    expect(roundTo(money(value), digits).toString()).toBe(expected);
  });

  it('matches integer half-up rounding for any amount', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        (units, to, extra) => {
          const from = to + extra;
          const rounded = roundTo(money(unitsToString(units, from)), to);
          expect(formatAmount(rounded, to)).toBe(unitsToString(roundUnitsHalfUp(units, from, to), to));
        },
      ),
    );
  });

  it('is symmetric: roundTo(-x) = -roundTo(x)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.integer({ min: 0, max: 4 }),
        (units, digits) => {
          const x = money(unitsToString(units, 6));
          expect(roundTo(x.negated(), digits).equals(roundTo(x, digits).negated())).toBe(true);
        },
      ),
    );
  });
});

describe('formatAmount', () => {
  it.each([
    ['12.5', 2, '12.50'],
    ['12', 2, '12.00'],
    ['0', 2, '0.00'],
    ['-0', 2, '0.00'],
    ['-0.00', 2, '0.00'],
    ['-3.1', 2, '-3.10'],
    ['1500', 0, '1500'],
    ['1.5', 3, '1.500'],
    ['0.001', 3, '0.001'],
    ['99999999999999.99', 2, '99999999999999.99'],
    ['1.50', 1, '1.5'], // trailing zeros are not extra precision
  ] as const)('%s with %i digits is %s', (value, digits, expected) => {
    expect(formatAmount(value, digits)).toBe(expected);
  });

  it('never prints negative zero', () => {
    expect(formatAmount(money('0').negated(), 2)).toBe('0.00');
    expect(formatAmount(roundTo(money('-0.004'), 2), 2)).toBe('0.00');
  });

  it('refuses to round silently', () => {
    expect(() => formatAmount('12.345', 2)).toThrow(/more than 2 decimals/);
    expect(() => formatAmount('0.5', 0)).toThrow(/more than 0 decimals/);
  });

  it('prints exactly the requested number of decimals for any amount', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 14n) + 1n, max: 10n ** 14n - 1n }),
        fc.integer({ min: 0, max: 4 }),
        (units, digits) => {
          const text = formatAmount(money(unitsToString(units, digits)), digits);
          expect(text).toMatch(digits === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${digits}}$`));
          expect(text).toBe(unitsToString(units, digits));
        },
      ),
    );
  });
});

describe('formatDecimal and decimalPlaces', () => {
  it.each([
    ['20', '20'],
    ['20.0000', '20'],
    ['17.50', '17.5'],
    ['0.000100', '0.0001'],
    ['-0', '0'],
    ['-1.10', '-1.1'],
    ['12345678901234.123456', '12345678901234.123456'],
  ] as const)('%s is %s', (value, expected) => {
    expect(formatDecimal(value)).toBe(expected);
  });

  it('counts significant decimals', () => {
    expect(decimalPlaces(money('1.2300'))).toBe(2);
    expect(decimalPlaces(money('100'))).toBe(0);
    expect(decimalPlaces(money('0.000001'))).toBe(6);
  });
});

describe('currencyMinorDigits', () => {
  it.each([
    ['GBP', 2],
    ['EUR', 2],
    ['USD', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['BHD', 3],
    ['KWD', 3],
    ['OMR', 3],
    ['TND', 3],
  ] as const)('%s has %i', (currency, digits) => {
    expect(currencyMinorDigits(currency)).toBe(digits);
    expect(currencyMinorDigits(currency)).toBe(digits); // from the cache the second time
  });

  it('throws for something that is not a currency code', () => {
    expect(() => currencyMinorDigits('POUNDS')).toThrow();
  });
});

describe('isSupportedCurrency', () => {
  it.each(['GBP', 'EUR', 'USD', 'JPY', 'BHD', 'CHF'])('accepts %s', (code) => {
    expect(isSupportedCurrency(code)).toBe(true);
  });

  it.each(['gbp', 'Gbp', 'GB', 'GBPX', '', ' GBP', 'ABC', 'QQQ', '123'])('rejects %j', (code) => {
    expect(isSupportedCurrency(code)).toBe(false);
  });

  it('every supported currency has a minor unit from 0 to 4 digits', () => {
    for (const code of Intl.supportedValuesOf('currency')) {
      if (!isSupportedCurrency(code)) continue;
      const digits = currencyMinorDigits(code);
      expect(Number.isInteger(digits) && digits >= 0 && digits <= 4, `${code}: ${digits}`).toBe(true);
    }
  });
});

describe('currencyMinorDigits follows ISO 4217, not display rounding', () => {
  it.each([
    ['HUF', 2],
    ['IDR', 2],
    ['COP', 2],
    ['IQD', 3],
    ['ISK', 0],
    ['KWD', 3],
    ['USD', 2],
  ])('%s has %i minor digits', (code, digits) => {
    expect(currencyMinorDigits(code)).toBe(digits);
  });
});
