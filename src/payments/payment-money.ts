// The money of one payment, as every surface shows it. A payment's amount is what its invoice (or request)
// received; an instalment's plan interest is charged with it (interest_amount) but is not invoice money.
// What the card was charged is the sum: receipts show it and refunds can return all of it. A refund returns
// principal first (it moves the invoice back), then the interest. Pure code; amounts carry the currency's
// minor-unit digits ("0.00", never "0").
import { currencyMinorDigits, formatAmount, money } from '../money/money.ts';

export interface PaymentMoneyRow {
  amount: string;
  interest_amount: string;
  refunded_amount: string;
  currency: string;
}

export type PaymentStatus = 'paid' | 'partially_refunded' | 'refunded';

export interface PaymentFigures {
  /** The principal: what the invoice or request received. */
  amount: string;
  /** Plan interest charged with it ("0.00" for any other payment). */
  interest: string;
  /** What was charged: amount + interest. */
  charged: string;
  refunded: string;
  /** What a refund can still return. */
  refundable: string;
  status: PaymentStatus;
}

export function paymentFigures(p: PaymentMoneyRow): PaymentFigures {
  const digits = currencyMinorDigits(p.currency);
  const charged = money(p.amount).plus(p.interest_amount);
  const refunded = money(p.refunded_amount);
  const refundable = charged.minus(refunded);
  const status: PaymentStatus = !refunded.greaterThan(0)
    ? 'paid'
    : refundable.greaterThan(0)
      ? 'partially_refunded'
      : 'refunded';
  return {
    amount: formatAmount(p.amount, digits),
    interest: formatAmount(p.interest_amount, digits),
    charged: formatAmount(charged, digits),
    refunded: formatAmount(refunded, digits),
    refundable: formatAmount(refundable.isNegative() ? '0' : refundable, digits),
    status,
  };
}

/**
 * The principal part of a refund of `refund` on a payment that has had `refundedBefore` refunded: principal
 * is returned first, so this is what moves the invoice (and the request) back.
 */
export function principalOfRefund(
  p: Pick<PaymentMoneyRow, 'amount'>,
  refundedBefore: string,
  refund: string,
): string {
  const principalLeft = money(p.amount).minus(refundedBefore);
  if (!principalLeft.greaterThan(0)) return '0';
  return money(refund).lessThan(principalLeft) ? money(refund).toFixed() : principalLeft.toFixed();
}

/**
 * A payment's receipt number: one per payment, whatever the channels its receipt goes by (email, SMS), the
 * page's confirmation and the API. It is the payment's id, so it never changes and needs no counter.
 */
export function receiptNumberOf(payment: { id: number | string }): string {
  return String(payment.id);
}

export type RefundState = 'pending' | 'succeeded' | 'failed_retrying' | 'failed';

const REFUND_STATE_WEIGHT: Record<RefundState, number> = {
  succeeded: 0,
  pending: 1,
  failed_retrying: 2,
  failed: 3,
};

/**
 * Where a payment's refunds stand, the worst first: failed (given up: refund by hand) > failed_retrying (the
 * gateway refused, the outbox retries) > pending (not sent yet) > succeeded; null when it has none.
 */
export function refundStatusOf(refunds: readonly { status: RefundState }[]): RefundState | null {
  let worst: RefundState | null = null;
  for (const r of refunds)
    if (worst === null || REFUND_STATE_WEIGHT[r.status] > REFUND_STATE_WEIGHT[worst]) worst = r.status;
  return worst;
}
