// Call-level money in integer micro-units (millionths of the currency unit). A call charge is computed
// with integer arithmetic, exactly, and fast enough to rate hundreds of thousands of calls a second;
// decimal strings are only made at the edges. Every input is bounded so that no intermediate value
// leaves the range where JavaScript integers are exact (2^53).
import { assertMoney as assert } from './assert.ts';

export const MICROS_PER_UNIT = 1_000_000;
const DECIMAL = /^(-?)(\d{1,12})(?:\.(\d{1,6}))?$/;

/** "0.0125" -> 12500. The string must have at most 6 decimals and 12 integer digits. */
export function toMicros(value: string): number {
  const m = DECIMAL.exec(value.trim());
  assert(m, `toMicros(): not a decimal with at most 6 places: ${value}`);
  const micros = Number(m[2]) * MICROS_PER_UNIT + Number((m[3] ?? '').padEnd(6, '0'));
  return m[1] === '-' ? -micros : micros;
}

/** The whole currency units of a non-negative micro-unit amount (12_345_678 -> 12): an exact split, no rounding. */
export function wholeUnitsOfMicros(micros: number): number {
  return Math.floor(micros / MICROS_PER_UNIT);
}

/** The micro-units below one currency unit of a non-negative amount (12_345_678 -> 345_678). */
export function fractionOfMicros(micros: number): number {
  return micros % MICROS_PER_UNIT;
}

/** 12500 -> "0.012500". */
export function fromMicros(micros: number): string {
  assert(Number.isSafeInteger(micros), `fromMicros(): ${micros} is not a safe integer`);
  const negative = micros < 0;
  const abs = Math.abs(micros);
  const units = Math.floor(abs / MICROS_PER_UNIT);
  const fraction = String(abs % MICROS_PER_UNIT).padStart(6, '0');
  return `${negative && abs !== 0 ? '-' : ''}${units}.${fraction}`;
}

/**
 * numerator / denominator rounded half away from zero, for non-negative integers. The primitive of
 * rounding.ts's micro-unit rules; call those.
 */
export function divideRoundHalfUp(numerator: number, denominator: number): number {
  assert(
    numerator >= 0 && denominator > 0 && Number.isSafeInteger(numerator),
    'divideRoundHalfUp(): non-negative safe integers',
  );
  const quotient = Math.floor(numerator / denominator);
  const remainder = numerator - quotient * denominator;
  return remainder * 2 >= denominator ? quotient + 1 : quotient;
}

/** Millionths in a unit: amounts have at most 6 decimals (NUMERIC(20,6)). */
const MICROS_PER_UNIT_BIG = BigInt(MICROS_PER_UNIT);
const SCALE = MICROS_PER_UNIT;

/**
 * A decimal string of at most 9 integer digits and 6 decimals as whole millionths, exactly (below 2^53);
 * undefined for anything longer (subtractAmounts then uses bigints).
 */
function smallMillionths(v: string): number | undefined {
  const sign = v.charCodeAt(0);
  const negative = sign === 45; // "-"
  const body = negative || sign === 43 ? v.slice(1) : v;
  const dot = body.indexOf('.');
  const whole = dot === -1 ? body : body.slice(0, dot);
  const fraction = dot === -1 ? '' : body.slice(dot + 1);
  if (whole.length === 0 || whole.length > 9 || fraction.length > 6) return undefined;
  const n = Number(whole) * SCALE + (fraction === '' ? 0 : Number(fraction.padEnd(6, '0')));
  if (!Number.isSafeInteger(n)) return undefined;
  return negative ? -n : n;
}

/**
 * A decimal as NUMERIC(20,6) writes it ("-12.340000": an optional minus, 1 to 9 digits, optionally a point
 * and 1 to 6 digits) as whole millionths, read digit by digit; undefined for any other text (then
 * subtractAmounts() and the like read it their own way). The feed reads two amounts a row with it.
 */
export function plainMillionths(v: string): number | undefined {
  const length = v.length;
  let i = v.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  const wholeStart = i;
  let whole = 0;
  for (; i < length; i++) {
    const digit = v.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    whole = whole * 10 + digit;
  }
  const wholeDigits = i - wholeStart;
  if (wholeDigits === 0 || wholeDigits > 9) return undefined;
  let fraction = 0;
  let scale = SCALE;
  if (i < length) {
    if (v.charCodeAt(i) !== 46 /* . */ || i === length - 1 || length - i - 1 > 6) return undefined;
    for (i++; i < length; i++) {
      const digit = v.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return undefined;
      fraction = fraction * 10 + digit;
      scale /= 10;
    }
  }
  const n = whole * SCALE + fraction * scale;
  return wholeStart === 1 ? -n : n;
}

/** a - b for decimal strings of at most 6 decimals, exactly ("12.340000"): plain numbers when both are small, bigints otherwise. */
export function subtractAmounts(a: string, b: string): string {
  const x = smallMillionths(a);
  const y = x === undefined ? undefined : smallMillionths(b);
  if (x !== undefined && y !== undefined) {
    const d = x - y;
    const abs = Math.abs(d);
    const fraction = abs % SCALE;
    return `${d < 0 ? '-' : ''}${(abs - fraction) / SCALE}.${String(fraction).padStart(6, '0')}`;
  }
  const scaled = (v: string) => {
    const negative = v.startsWith('-');
    const [w, f = ''] = v.replace(/^[-+]/, '').split('.');
    const n = BigInt(w!) * MICROS_PER_UNIT_BIG + BigInt(f.padEnd(6, '0').slice(0, 6));
    return negative ? -n : n;
  };
  const d = scaled(a) - scaled(b);
  const abs = d < 0n ? -d : d;
  const text = `${abs / MICROS_PER_UNIT_BIG}.${(abs % MICROS_PER_UNIT_BIG).toString().padStart(6, '0')}`;
  return `${d < 0n ? '-' : ''}${text}`;
}
