// The inverse of the rating function: the longest call a customer can pay for. Pure code.
//
// A call of d seconds costs gross(d) = charge(d) + VAT on it, where charge(d) is exactly what rating will
// charge (rating/rate-call.ts chargeMicrosFor: connection fee, billable seconds in increments, minimum
// charge). gross is a non-decreasing step function of d, constant within each billing increment, so the
// longest affordable call is found by bisection on d over the forward function itself: the answer is
// exact by construction, whatever the increments, fees and minimums, and it always ends on an increment
// boundary (one second more starts an increment that costs more than what is available).
import { grossMicros } from '../balances/ledger.ts';
import { chargeMicrosFor, type Rate } from '../rating/rate-call.ts';
import { assert } from '../shared/errors.ts';

export interface VatTerms {
  /** Percent, e.g. "20". */
  rate: string;
  reverseCharge: boolean;
}

/** What the balance is debited for a completed call of this length: the rated charge plus its VAT. */
export function grossCostMicros(rate: Rate, durationS: number, vat: VatTerms): number {
  return grossMicros(chargeMicrosFor(rate, durationS).chargeMicros, vat.rate, vat.reverseCharge).gross;
}

/**
 * The longest duration (seconds, at most capS) whose gross cost is within availableMicros, and that cost.
 * 0 when not even the first second (connection fee, first increment, minimum charge) is affordable.
 */
export function maxAffordableDuration(
  rate: Rate,
  availableMicros: number,
  vat: VatTerms,
  capS: number,
): { durationS: number; costMicros: number } {
  assert(Number.isSafeInteger(capS) && capS >= 0, 'capS is a whole number of seconds');
  if (capS === 0 || availableMicros <= 0 || grossCostMicros(rate, 1, vat) > availableMicros) {
    return { durationS: 0, costMicros: 0 };
  }
  const capCost = grossCostMicros(rate, capS, vat);
  if (capCost <= availableMicros) return { durationS: capS, costMicros: capCost };
  // Invariant: cost(low) <= available < cost(high).
  let low = 1;
  let high = capS;
  for (let i = 0; i < 64 && high - low > 1; i++) {
    const mid = low + Math.floor((high - low) / 2);
    if (grossCostMicros(rate, mid, vat) <= availableMicros) low = mid;
    else high = mid;
  }
  assert(high - low === 1, 'bisection converged');
  return { durationS: low, costMicros: grossCostMicros(rate, low, vat) };
}
