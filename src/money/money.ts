// The money module: how Ringbill represents, parses, rounds and prints amounts. Files here import only
// each other, decimal.js and Node's builtins (so every other module may use them, and they use nothing).
//
// ONE REPRESENTATION: an amount is an exact decimal number of currency units, never a float.
// - Where an amount is stored or travels, it is a decimal string: NUMERIC in the database (the driver returns
//   a string), a JSON string on the wire. Amounts enter only as strings (see wire.ts for the one door a JSON
//   number may come through, on the surfaces whose clients already send numbers).
// - Where code computes with amounts, it holds `Money` (decimal.js, 40 significant digits: exact for every
//   amount that fits NUMERIC(20,6) and for their sums and products with rates).
// - Two pure kernels that run once per call or per charge in bulk compute on the same exact value as a
//   scaled integer, made and read only by this module's converters, which are exact both ways and refuse
//   anything that would not be: micro-units (micros.ts, a JS integer, for rating: the ingest hot path rates
//   hundreds of thousands of calls a second, and a Decimal per call would cost several times the rating
//   itself), and minor units of the currency (`toMinorUnits`, a bigint, for invoice totals, pro-rated
//   recurring charges and instalment plans, whose inputs are already at the minor unit). A scaled integer is
//   never stored or sent: it goes back to a decimal string through `fromMicros`/`fromMinorUnits`.
// Why not one scaled integer everywhere: the finest stored scale is 6 decimals and amounts reach 12 integer
//   digits, which does not fit a JS integer (2^53), and bigint everywhere would slow the rating path and
//   touch every module for no gain in exactness; decimal.js is exact at these sizes.
//
// ONE NAMED FUNCTION PER ROUNDING RULE, all in rounding.ts (and nowhere else: `npm run
// money:rounding-sites` lists any rounding outside src/money/). Formatting here never rounds: it asserts
// that the value already has no more decimals than asked.
import { Decimal } from 'decimal.js';

export const Money = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -40,
  toExpPos: 40,
});
export type Money = Decimal;

/** The most decimal places any stored amount may have (call-level charges keep sub-penny precision). */
export const MAX_AMOUNT_SCALE = 6;
/**
 * An amount entered has at most 12 integer digits (under a trillion): one row fits NUMERIC(20,6) with room
 * to spare, and totals (unbounded NUMERIC) can never overflow.
 */
export const MAX_INTEGER_DIGITS = 12;

const DECIMAL_PATTERN = new RegExp(`^-?\\d{1,${MAX_INTEGER_DIGITS}}(\\.\\d{1,${MAX_AMOUNT_SCALE}})?$`);

export function isDecimalString(value: string, maxScale = MAX_AMOUNT_SCALE): boolean {
  if (!DECIMAL_PATTERN.test(value)) return false;
  const dot = value.indexOf('.');
  return dot === -1 || value.length - dot - 1 <= maxScale;
}

/** Parses a decimal string (validated, or read from the database) into Money. Throws on anything else. */
export function money(value: string | number | Money): Money {
  if (value instanceof Decimal) return new Money(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new Error(`money(): refusing non-integer number ${value}; pass a decimal string`);
    return new Money(value);
  }
  const parsed = new Money(value);
  if (!parsed.isFinite()) throw new Error(`money(): not a finite amount: ${value}`);
  return parsed;
}

export const ZERO = new Money(0);

export function sum(values: Iterable<Money>): Money {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/** Fixed-point string with exactly `digits` decimals, e.g. "12.50". Asserts the value needs no rounding. */
export function formatAmount(value: Money | string, digits: number): string {
  const d = money(value);
  if (d.decimalPlaces() > digits)
    throw new Error(`formatAmount(): ${d.toString()} has more than ${digits} decimals`);
  return (d.isZero() ? ZERO : d).toFixed(digits); // no "-0.00"
}

/** An amount with at least the currency's decimals and any finer ones it has: "2.00", "0.50", "0.18305". */
export function formatAmountAtLeast(value: Money | string, digits: number): string {
  const d = money(value);
  return (d.isZero() ? ZERO : d).toFixed(Math.max(digits, d.decimalPlaces()));
}

/** Plain decimal string with no trailing zeros, e.g. "20" or "17.5" (VAT rates, sub-penny amounts). */
export function formatDecimal(value: Money | string): string {
  const d = money(value);
  return d.isZero() ? '0' : d.toFixed();
}

export function decimalPlaces(value: Money): number {
  return value.decimalPlaces();
}

/**
 * ISO 4217 minor units of the currencies whose minor unit is not 2. Taken from the standard rather than
 * from the platform's ICU data, which rounds some currencies for display (HUF, IDR, COP…) and can change
 * with a Node upgrade; an invoice's precision must not.
 */
const ISO_4217_MINOR_UNITS: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** Minor-unit digits of an ISO 4217 currency (GBP 2, JPY 0, BHD 3). */
export function currencyMinorDigits(currency: string): number {
  if (!isSupportedCurrency(currency))
    throw new Error(`currencyMinorDigits(): ${currency} is not an ISO 4217 currency`);
  return ISO_4217_MINOR_UNITS[currency] ?? 2;
}

const supportedCurrencies = new Set(Intl.supportedValuesOf('currency'));

export function isSupportedCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && supportedCurrencies.has(code);
}

/**
 * "12.50" -> 1250n at 2 digits. Exact: the value must not be finer than the minor unit (trailing zeros
 * are fine: "12.500000" is 1250n).
 */
export function toMinorUnits(value: string, digits: number): bigint {
  if (!PLAIN_DECIMAL.test(value)) throw new Error(`toMinorUnits(): not a decimal: ${value}`);
  // A billing run reads thousands of these: no capture groups, no intermediate strings when avoidable.
  const dot = value.indexOf('.');
  if (dot === -1) return digits === 0 ? BigInt(value) : BigInt(value) * powerOfTen(digits);
  let end = value.length;
  while (end > dot + 1 && value.charCodeAt(end - 1) === 48 /* 0 */) end--;
  const fractionDigits = end - dot - 1;
  if (fractionDigits > digits)
    throw new Error(`toMinorUnits(): ${value} is finer than the minor unit (${digits} decimal places)`);
  const units = BigInt(
    fractionDigits === 0 ? value.slice(0, dot) : value.slice(0, dot) + value.slice(dot + 1, end),
  );
  return fractionDigits === digits ? units : units * powerOfTen(digits - fractionDigits);
}

const PLAIN_DECIMAL = /^-?\d+(?:\.\d+)?$/;
const POWERS_OF_TEN = Array.from({ length: 19 }, (_, i) => 10n ** BigInt(i));

function powerOfTen(n: number): bigint {
  return POWERS_OF_TEN[n] ?? 10n ** BigInt(n);
}

/** "0.00" and the like, by digits: most categories of most invoices are zero. */
const ZERO_AMOUNTS: string[] = [];

/** 1250n at 2 digits -> "12.50"; never "-0.00". */
export function fromMinorUnits(minor: bigint, digits: number): string {
  if (minor === 0n)
    return ZERO_AMOUNTS[digits] ?? (ZERO_AMOUNTS[digits] = digits === 0 ? '0' : `0.${'0'.repeat(digits)}`);
  const negative = minor < 0n;
  const text = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const whole = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return negative ? `-${whole}` : whole;
}
