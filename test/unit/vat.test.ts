// VAT rates as given by API callers: percentages from 0 to 100 with at most 4 decimals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/shared/errors.ts';
import { parseVatRate } from '../../src/shared/vat.ts';

describe('parseVatRate', () => {
  it.each([
    ['20', '20'],
    ['20.0000', '20'],
    ['17.50', '17.5'],
    [' 5 ', '5'],
    ['0', '0'],
    ['0.0', '0'],
    ['-0', '0'],
    ['100', '100'],
    ['100.0000', '100'],
    ['12.3456', '12.3456'],
    ['0.0001', '0.0001'],
    [20, '20'],
    [17.5, '17.5'],
    [0, '0'],
  ] as const)('%j is %s', (input, expected) => {
    expect(parseVatRate(input, 'vatRate')).toBe(expected);
  });

  it.each([
    '100.0001',
    '101',
    '-1',
    '-0.0001',
    '12.34567',
    'abc',
    '',
    '20%',
    '1e1',
    '+20',
    '20,5',
    1e-7,
    -5,
    150,
    Number.NaN,
  ])('rejects %j', (input) => {
    let error: unknown;
    try {
      parseVatRate(input, 'vatRate');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('invalid_input');
    expect((error as DomainError).field).toBe('vatRate');
  });

  it('accepts exactly the rates from 0 to 100 in steps of 0.0001, canonically', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10_000, max: 1_010_000 }),
        fc.integer({ min: 0, max: 4 }),
        (tenThousandths, extraZeros) => {
          const negative = tenThousandths < 0;
          const abs = String(Math.abs(tenThousandths)).padStart(5, '0');
          const text = `${negative ? '-' : ''}${abs.slice(0, -4)}.${abs.slice(-4)}${'0'.repeat(extraZeros)}`;
          const valid = tenThousandths >= 0 && tenThousandths <= 1_000_000 && extraZeros === 0;
          if (!valid) {
            expect(() => parseVatRate(text, 'vatRate')).toThrow(DomainError);
            return;
          }
          const canonical = parseVatRate(text, 'vatRate');
          expect(canonical).not.toMatch(/\.$|\.\d*0$/); // no trailing zeros or dot
          expect(Math.round(Number(canonical) * 10_000)).toBe(tenThousandths);
          expect(parseVatRate(canonical, 'vatRate')).toBe(canonical);
        },
      ),
    );
  });
});
