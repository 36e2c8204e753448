// The states of one request, from its facts row: the money figures, document 003's invoiceStatus and
// overallStatus, and what is still outstanding. For an invoice request the invoice is the truth (a bank
// transfer recorded on the invoice counts); a standalone request keeps its own figures.
import type { RequestFactsRow } from './repo.ts';
import {
  invoiceStatus,
  outstandingOf,
  overallStatus,
  type InvoiceStatus,
  type MoneyFigures,
  type OverallStatus,
} from './status.ts';
import { money } from '../money/money.ts';

export interface RequestStates {
  figures: MoneyFigures;
  outstanding: string;
  invoiceStatus: InvoiceStatus;
  overallStatus: OverallStatus;
  hasActivePlan: boolean;
  expired: boolean;
}

export function figuresOf(row: RequestFactsRow): MoneyFigures {
  if (row.invoice_id !== null && row.invoice_total !== null) {
    return {
      owed: row.invoice_total,
      paidNet: row.invoice_paid_amount ?? '0',
      refunded: row.invoice_refunded ?? '0',
    };
  }
  return { owed: row.amount, paidNet: row.paid_amount, refunded: row.refunded_amount };
}

export function statesOf(row: RequestFactsRow, now: Date): RequestStates {
  const figures = figuresOf(row);
  const hasActivePlan = row.plan_status === 'active';
  const status = invoiceStatus(figures, hasActivePlan);
  const overall = overallStatus(
    status,
    { expiresAt: row.expires_at, cancelledAt: row.cancelled_at, visits: row.visits, hasActivePlan },
    now,
  );
  const expired = row.cancelled_at !== null || now.getTime() >= row.expires_at.getTime();
  return {
    figures,
    outstanding: outstandingOf(figures),
    invoiceStatus: status,
    overallStatus: overall,
    hasActivePlan,
    expired,
  };
}

/** Can the page take a payment now? Not when expired, cancelled or nothing is left to pay. */
export function isPayable(states: RequestStates): boolean {
  return !states.expired && money(states.outstanding).greaterThan(0);
}
