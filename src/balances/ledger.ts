// The ledger's arithmetic. Pure code: no I/O.
//
// A customer under credit control has a balance row and an append-only list of entries. Each entry's
// `amount` is its change to what is available to spend: reservation and release entries move `reserved`
// (a reservation holds money: amount -X, reserved +X; its release gives it back: amount +X, reserved -X);
// every other kind moves `balance`. Each entry records the running totals after it, so the ledger can be
// checked line by line: balance_after(n) = balance_after(n-1) + amount(n) for balance kinds, and
// reserved_after(n) = reserved_after(n-1) - amount(n) for reservation kinds.
//
// What is available:
//   prepaid:                 balance + overdraft - reserved
//   postpaid with a limit:   credit limit + balance - reserved   (balance is minus what is owed)
//   postpaid without one:    unlimited (no credit control)
//
// VAT on usage (README, "Prepaid balances"): a call is debited at its rated charge plus the VAT on it, so the
// balance always says what the customer can still spend, VAT included. The VAT invoice is the statement:
// VAT is computed on it per rate, as on every invoice, and the difference between that and the VAT
// debited call by call (rounding) is settled from the balance when the statement is approved.
import type { BillingMode, EntryKind } from './repo.ts';
import { assert } from '../shared/errors.ts';
import { money, type Money } from '../money/money.ts';

export const RESERVATION_KINDS: readonly EntryKind[] = ['reservation', 'release'];

export function movesReserved(kind: EntryKind): boolean {
  return kind === 'reservation' || kind === 'release';
}

/** Kinds that count as spend (daily and monthly spend alerts). */
export function isSpend(kind: EntryKind): boolean {
  return kind === 'call' || kind === 'call_correction';
}

export interface LedgerTotals {
  balance: Money;
  reserved: Money;
}

export interface CreditTerms {
  mode: BillingMode;
  /** Postpaid credit limit; null: none. */
  creditLimit: string | null;
  /** Prepaid overdraft allowance. */
  overdraft: string;
}

/** The totals after one entry; asserts that reserved never goes below zero. */
export function applyEntry(totals: LedgerTotals, kind: EntryKind, amount: Money): LedgerTotals {
  if (movesReserved(kind)) {
    const reserved = totals.reserved.minus(amount);
    assert(
      !reserved.isNegative(),
      `a ${kind} of ${amount.toFixed()} would make reserved negative (${totals.reserved.toFixed()})`,
    );
    return { balance: totals.balance, reserved };
  }
  return { balance: totals.balance.plus(amount), reserved: totals.reserved };
}

/** Whether the customer is under credit control (has a ledger). */
export function underCreditControl(terms: CreditTerms): boolean {
  return terms.mode === 'prepaid' || terms.creditLimit !== null;
}

/** What is available to spend, or null when nothing limits it (postpaid without a credit limit). */
export function availableOf(totals: LedgerTotals, terms: CreditTerms): Money | null {
  if (terms.mode === 'prepaid') return totals.balance.plus(terms.overdraft).minus(totals.reserved);
  if (terms.creditLimit === null) return null;
  return money(terms.creditLimit).plus(totals.balance).minus(totals.reserved);
}

/** Credit used as a share of the limit, in percent (postpaid limit, or a prepaid overdraft); null without one. */
export function creditUsedPercent(totals: LedgerTotals, terms: CreditTerms): Money | null {
  const limit =
    terms.mode === 'prepaid'
      ? money(terms.overdraft)
      : terms.creditLimit === null
        ? null
        : money(terms.creditLimit);
  if (limit === null || !limit.greaterThan(0)) return null;
  const used = totals.balance.negated().plus(totals.reserved);
  return used.isNegative() ? money(0) : used.times(100).dividedBy(limit);
}

/**
 * The VAT on a net amount in micro-units, rounded half away from zero to the micro-unit (bigint: a
 * micro-unit amount times a rate in ten-thousandths of a percent exceeds 2^53).
 */
export function vatMicros(netMicros: number, vatRatePercent: string): number {
  const rate = vatRateE4(vatRatePercent);
  const product = BigInt(netMicros) * BigInt(rate);
  const divisor = 1_000_000n; // percent (100) x 10^4
  const negative = product < 0n;
  const abs = negative ? -product : product;
  let q = abs / divisor;
  if ((abs % divisor) * 2n >= divisor) q += 1n;
  const vat = Number(negative ? -q : q);
  assert(Number.isSafeInteger(vat), 'VAT fits a safe integer');
  return vat;
}

/** "20" -> 200000, "17.5" -> 175000 (ten-thousandths of a percent; VAT rates have at most 4 decimals). */
export function vatRateE4(percent: string): number {
  const m = /^(\d{1,3})(?:\.(\d{1,4}))?$/.exec(percent.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''));
  assert(m, `not a VAT rate: ${percent}`);
  return Number(m[1]) * 10_000 + Number((m[2] ?? '').padEnd(4, '0'));
}

/** A call's net charge with its VAT (none for a reverse-charge customer): what the balance is debited. */
export function grossMicros(
  netMicros: number,
  vatRatePercent: string,
  reverseCharge: boolean,
): { gross: number; vat: number } {
  const vat = reverseCharge ? 0 : vatMicros(netMicros, vatRatePercent);
  return { gross: netMicros + vat, vat };
}
