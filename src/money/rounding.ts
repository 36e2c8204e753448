// Every rounding rule of Ringbill's money, one named function each. Code outside src/money/ never rounds an
// amount itself (no toFixed(n), toDecimalPlaces, Math.round on money, division by a million): it calls the
// rule that applies, so each rule is written, tested and changed in one place.
//
//   rule                     function                     where it applies
//   call charge (micro-unit) perMinuteMicros              rating: price per minute x seconds / 60
//   line rounding            roundLine, lineMinorOf       an amount that becomes a charge on an invoice
//                                                         (fees, interest, discounts, call summaries,
//                                                         re-rating adjustments, pro-rated recurring charges)
//   tax rounding             taxMinor                     VAT of one rate's net amount, once per rate
//   instalment split         planInterestMinor,           a plan's interest, its instalments, and what part
//                            instalmentSplit,             of each instalment is principal
//                            principalShares
//   display rounding         roundForDisplay,             an amount or percentage shown to a person (email
//                            percentForDisplay            text, the portal, reports); never stored
//
// All of them round half away from zero ("half-up" for positive amounts), except the two splits, which are
// floors whose remainder goes to a named place so that the parts add up exactly to the whole.
import { Decimal } from 'decimal.js';
import { assertMoney as assert } from './assert.ts';
import { divideRoundHalfUp, MICROS_PER_UNIT } from './micros.ts';
import { Money } from './money.ts';

/** numerator / denominator (denominator > 0), rounded half away from zero. The integer primitive of the rules. */
function divideHalfAway(numerator: bigint, denominator: bigint): bigint {
  assert(denominator > 0n, 'divideHalfAway(): denominator must be positive');
  const negative = numerator < 0n;
  const abs = negative ? -numerator : numerator;
  const quotient = abs / denominator;
  const rounded = (abs % denominator) * 2n >= denominator ? quotient + 1n : quotient;
  return negative ? -rounded : rounded;
}

// ---- call charge: micro-units -------------------------------------------------------------------------------

/**
 * A per-minute price (micro-units) for `seconds`: price x seconds / 60, rounded half up to the micro-unit.
 * Integer arithmetic on JS numbers (the rating hot path); both inputs are bounded where rates are loaded
 * (RATE_LIMITS) so the product stays exact.
 */
export function perMinuteMicros(pricePerMinuteMicros: number, seconds: number): number {
  return divideRoundHalfUp(pricePerMinuteMicros * seconds, 60);
}

/** A micro-unit amount as Money (exact: no rounding, the inverse of microsOf). */
export function moneyOfMicros(micros: number): Money {
  return new Money(micros).dividedBy(MICROS_PER_UNIT);
}

// ---- line rounding: half away from zero to the currency's minor unit ----------------------------------------

/**
 * Line rounding: an amount that becomes a charge on an invoice (a fee, interest, a discount, a call summary, a
 * re-rating adjustment) is rounded half away from zero to the currency's minor unit, once, when it is made.
 * Sums of such amounts are then exact and are never rounded again.
 */
export function roundLine(amount: Money, minorDigits: number): Money {
  assert(
    Number.isInteger(minorDigits) && minorDigits >= 0 && minorDigits <= 6,
    'roundLine(): minor digits 0 to 6',
  );
  return amount.toDecimalPlaces(minorDigits, Decimal.ROUND_HALF_UP);
}

/**
 * Line rounding in integer form: numerator / denominator in minor units, rounded half away from zero (a
 * recurring charge pro-rated by days: full value x days covered / days in the period).
 */
export function lineMinorOf(numerator: bigint, denominator: bigint): bigint {
  return divideHalfAway(numerator, denominator);
}

// ---- tax rounding ---------------------------------------------------------------------------------------------

/** VAT rates have at most 4 decimals: a rate in ten-thousandths of a percent is an integer. */
export const TAX_RATE_SCALE = 10_000n;

/**
 * Tax rounding: the VAT on the net amount of one VAT rate (minor units), net x rate / 100, rounded half away
 * from zero to the minor unit, once per rate (never per line). `rateScaled` is the rate in ten-thousandths of
 * a percent (20% is 200000n).
 */
export function taxMinor(netMinor: bigint, rateScaled: bigint): bigint {
  assert(rateScaled >= 0n, 'taxMinor(): the rate is not negative');
  return divideHalfAway(netMinor * rateScaled, 100n * TAX_RATE_SCALE);
}

// ---- instalment split -----------------------------------------------------------------------------------------

/**
 * A plan's simple interest in minor units: amount x rate% x instalments / instalments per year, rounded half
 * away from zero once for the whole plan. `rateScaled`: the annual rate in ten-thousandths of a percent.
 */
export function planInterestMinor(
  amountMinor: bigint,
  rateScaled: bigint,
  count: number,
  periodsPerYear: number,
): bigint {
  assert(
    amountMinor >= 0n && rateScaled >= 0n && count >= 1 && periodsPerYear >= 1,
    'planInterestMinor(): non-negative terms',
  );
  return divideHalfAway(
    amountMinor * rateScaled * BigInt(count),
    100n * TAX_RATE_SCALE * BigInt(periodsPerYear),
  );
}

/**
 * Instalment split by count: every instalment but the last is total / count rounded down to the minor unit,
 * and the last takes the remainder, so the instalments add up to the total exactly.
 */
export function instalmentSplit(
  totalMinor: bigint,
  count: number,
): { regularMinor: bigint; lastMinor: bigint } {
  assert(
    Number.isSafeInteger(count) && count >= 1 && totalMinor >= 0n,
    'instalmentSplit(): a count of at least 1, a total not negative',
  );
  const regularMinor = totalMinor / BigInt(count); // floor (both non-negative)
  return { regularMinor, lastMinor: totalMinor - regularMinor * BigInt(count - 1) };
}

/**
 * How much of each instalment pays off the plan amount (the principal: what is applied to the invoice) and how
 * much is interest. Shares are proportional and cumulative: after instalment k, floor(paid so far x amount /
 * total) of the principal is paid, so every principal share lies between 0 and its instalment, the shares sum
 * exactly to the plan amount, and the interest shares to the interest. Amounts in minor units.
 */
export function principalShares(instalmentsMinor: readonly bigint[], amountMinor: bigint): bigint[] {
  const totalMinor = instalmentsMinor.reduce((a, b) => a + b, 0n);
  assert(
    amountMinor > 0n && amountMinor <= totalMinor,
    'the plan amount is positive and at most the plan total',
  );
  const shares: bigint[] = [];
  let paid = 0n;
  let principalSoFar = 0n;
  for (const instalment of instalmentsMinor) {
    assert(instalment > 0n, 'instalments are positive');
    paid += instalment;
    const principalThrough = (paid * amountMinor) / totalMinor; // floor
    shares.push(principalThrough - principalSoFar);
    principalSoFar = principalThrough;
  }
  assert(principalSoFar === amountMinor, 'principal shares sum to the plan amount');
  return shares;
}

// ---- display rounding -----------------------------------------------------------------------------------------

/**
 * Display rounding: an amount shown to a person at `digits` decimals (an email's balance, a report's figure),
 * half away from zero. Never stored, never summed.
 */
export function roundForDisplay(amount: Money, digits: number): Money {
  assert(Number.isInteger(digits) && digits >= 0 && digits <= 6, 'roundForDisplay(): 0 to 6 digits');
  return amount.toDecimalPlaces(digits, Decimal.ROUND_HALF_UP);
}

/** A percentage shown to a person: two decimals, half away from zero ("12.35"). */
export function percentForDisplay(percent: Money): string {
  return percent.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
}

// ---- stored scale ---------------------------------------------------------------------------------------------

/**
 * A computed value (a percentage of credit used, an amount from a division) kept at the finest stored scale:
 * six decimals, half away from zero.
 */
export function roundToStoredScale(value: Money): Money {
  return value.toDecimalPlaces(6, Decimal.ROUND_HALF_UP);
}
