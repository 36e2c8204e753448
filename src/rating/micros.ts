// Call-level money in integer micro-units (millionths of the currency unit). A call charge is computed
// with integer arithmetic, exactly, and fast enough to rate hundreds of thousands of calls a second;
// decimal strings are only made at the edges. Every input is bounded so that no intermediate value
// leaves the range where JavaScript integers are exact (2^53).
import { assert } from '../shared/errors.ts';

export const MICROS_PER_UNIT = 1_000_000;
const DECIMAL = /^(-?)(\d{1,12})(?:\.(\d{1,6}))?$/;

/** "0.0125" -> 12500. The string must have at most 6 decimals and 12 integer digits. */
export function toMicros(value: string): number {
  const m = DECIMAL.exec(value.trim());
  assert(m, `toMicros(): not a decimal with at most 6 places: ${value}`);
  const micros = Number(m[2]) * MICROS_PER_UNIT + Number((m[3] ?? '').padEnd(6, '0'));
  return m[1] === '-' ? -micros : micros;
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

/** numerator / denominator rounded half away from zero, for non-negative integers. */
export function divideRoundHalfUp(numerator: number, denominator: number): number {
  assert(numerator >= 0 && denominator > 0 && Number.isSafeInteger(numerator), 'divideRoundHalfUp(): non-negative safe integers');
  const quotient = Math.floor(numerator / denominator);
  const remainder = numerator - quotient * denominator;
  return remainder * 2 >= denominator ? quotient + 1 : quotient;
}
