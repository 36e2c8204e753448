import { invalid } from './errors.ts';
import { formatDecimal, isDecimalString, money } from '../money/money.ts';

/** A VAT rate in percent, 0 to 100, at most 4 decimals ("20", "17.5"). Returns its canonical string. */
export function parseVatRate(value: string | number, field: string): string {
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (!isDecimalString(text, 4)) throw invalid(field, 'must be a percentage such as "20" or "17.5"');
  const rate = money(text);
  if (rate.lessThan(0) || rate.greaterThan(100)) throw invalid(field, 'must be from 0 to 100 percent');
  return formatDecimal(rate);
}
