// The payment states of document 003, from what happened. Pure code: no I/O, no clock (now is passed in).
//
// invoiceStatus — the money: refunded / partially_refunded as soon as any refund exists (all of it returned,
// or part); else paid when what was paid (net) covers what is owed; registered when the payer has set up an
// instalment plan and nothing is paid yet; partially_paid when something is paid; else not_paid.
//
// overallStatus — the request as a whole: the money states paid, refunded and partially_refunded first; then
// plan (an active instalment plan); then partially_paid; then expired (past its expiry, or cancelled); then
// clicked (the link was opened); else sent.
import { money } from '../money/money.ts';

export const INVOICE_STATUSES = [
  'not_paid',
  'partially_paid',
  'paid',
  'refunded',
  'partially_refunded',
  'registered',
] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const OVERALL_STATUSES = [
  'sent',
  'clicked',
  'expired',
  'paid',
  'partially_paid',
  'refunded',
  'partially_refunded',
  'plan',
] as const;
export type OverallStatus = (typeof OVERALL_STATUSES)[number];

export interface MoneyFigures {
  /** What is owed in all (the invoice total, or the standalone amount). */
  owed: string;
  /** Net paid: payments minus refunds. */
  paidNet: string;
  /** Refunded in all. */
  refunded: string;
}

export function invoiceStatus(figures: MoneyFigures, hasActivePlan: boolean): InvoiceStatus {
  const refunded = money(figures.refunded);
  const paidNet = money(figures.paidNet);
  if (refunded.greaterThan(0)) return paidNet.lessThanOrEqualTo(0) ? 'refunded' : 'partially_refunded';
  if (paidNet.greaterThan(0) && paidNet.greaterThanOrEqualTo(figures.owed)) return 'paid';
  if (paidNet.greaterThan(0)) return 'partially_paid';
  return hasActivePlan ? 'registered' : 'not_paid';
}

export interface RequestFacts {
  expiresAt: Date;
  cancelledAt: Date | null;
  visits: number;
  hasActivePlan: boolean;
}

export function overallStatus(status: InvoiceStatus, facts: RequestFacts, now: Date): OverallStatus {
  if (status === 'paid' || status === 'refunded' || status === 'partially_refunded') return status;
  if (facts.hasActivePlan) return 'plan';
  if (status === 'partially_paid') return 'partially_paid';
  if (facts.cancelledAt !== null || now.getTime() >= facts.expiresAt.getTime()) return 'expired';
  if (facts.visits > 0) return 'clicked';
  return 'sent';
}

/** What is left to pay: owed - net paid, never below zero. */
export function outstandingOf(figures: Pick<MoneyFigures, 'owed' | 'paidNet'>): string {
  const left = money(figures.owed).minus(figures.paidNet);
  return left.isNegative() ? '0' : left.toFixed();
}
