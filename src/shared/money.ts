// Exact money. Amounts are decimal strings on the wire and NUMERIC in the database; in code they are
// Decimal values, never JavaScript floats.
//
// Rounding rule (the one documented point): an amount that lands on an invoice line (a billing
// transaction's value, a pro-rated recurring charge, a VAT amount) is rounded half away from zero
// ("half-up") to the currency's minor unit. Sums of such amounts are then exact and need no rounding.
import { Decimal } from 'decimal.js';

export const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -40, toExpPos: 40 });
export type Money = Decimal;

/** The most decimal places any stored amount may have (call-level charges keep sub-penny precision). */
export const MAX_AMOUNT_SCALE = 6;
/** Upper bound on any single amount: NUMERIC(20,6) holds 14 integer digits. */
const MAX_ABS_AMOUNT = new Money('99999999999999');

const DECIMAL_PATTERN = /^-?\d{1,14}(\.\d{1,6})?$/;

export function isDecimalString(value: string, maxScale = MAX_AMOUNT_SCALE): boolean {
  if (!DECIMAL_PATTERN.test(value)) return false;
  const dot = value.indexOf('.');
  return dot === -1 || value.length - dot - 1 <= maxScale;
}

/** Parses a decimal string (already validated) into Money. Throws on anything else: a programmer error. */
export function money(value: string | number | Money): Money {
  if (value instanceof Decimal) return new Money(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`money(): refusing non-integer number ${value}; pass a decimal string`);
    return new Money(value);
  }
  const parsed = new Money(value);
  if (!parsed.isFinite() || parsed.abs().greaterThan(MAX_ABS_AMOUNT)) throw new Error(`money(): amount out of range: ${value}`);
  return parsed;
}

export const ZERO = new Money(0);

export function sum(values: Iterable<Money>): Money {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/** Rounds half away from zero to `digits` decimal places. */
export function roundTo(value: Money, digits: number): Money {
  return value.toDecimalPlaces(digits, Decimal.ROUND_HALF_UP);
}

/** Fixed-point string with exactly `digits` decimals, e.g. "12.50". Asserts the value needs no rounding. */
export function formatAmount(value: Money | string, digits: number): string {
  const d = money(value);
  if (d.decimalPlaces() > digits) throw new Error(`formatAmount(): ${d.toString()} has more than ${digits} decimals`);
  return (d.isZero() ? ZERO : d).toFixed(digits); // no "-0.00"
}

/** Plain decimal string with no trailing zeros, e.g. "20" or "17.5" (VAT rates, sub-penny amounts). */
export function formatDecimal(value: Money | string): string {
  const d = money(value);
  return d.isZero() ? '0' : d.toFixed();
}

export function decimalPlaces(value: Money): number {
  return value.decimalPlaces();
}

const minorDigitsCache = new Map<string, number>();

/** Minor-unit digits of an ISO 4217 currency (GBP 2, JPY 0, BHD 3), from the platform's ICU data. */
export function currencyMinorDigits(currency: string): number {
  const cached = minorDigitsCache.get(currency);
  if (cached !== undefined) return cached;
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  if (digits === undefined) throw new Error(`no minor digits for ${currency}`);
  minorDigitsCache.set(currency, digits);
  return digits;
}

const supportedCurrencies = new Set(Intl.supportedValuesOf('currency'));

export function isSupportedCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && supportedCurrencies.has(code);
}
