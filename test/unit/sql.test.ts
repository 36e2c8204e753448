import { describe, expect, it } from 'vitest';
import { plainArray } from '../../src/db/sql.ts';

describe('plainArray', () => {
  it('writes numbers, decimal strings, dates and nulls as a PostgreSQL array literal', () => {
    expect(plainArray([1, '-12.50', '0', 7n, null, '2026-10-31'])).toBe('{1,-12.50,0,7,NULL,2026-10-31}');
    expect(plainArray([])).toBe('{}');
  });

  it.each(['1,2', 'NULL', '"1"', '{1}', '1 ', '', 'abc', '1e5', '2026-10-31T00:00:00Z'])(
    'refuses %j, which would need quoting or is not plain',
    (value) => {
      expect(() => plainArray([value])).toThrow(/not a number or a date/);
    },
  );
});
