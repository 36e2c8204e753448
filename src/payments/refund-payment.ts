// Refunds all or part of a payment. Guards first (what is left to refund), then the lock order customer ->
// invoice -> request -> payment; the refund is recorded and the payment, the invoice's paid amount (and paid
// date) and the request's figures move back in one transaction. A card payment's refund is sent to its
// gateway by an outbox job queued in that transaction (tried at once, retried until the gateway takes it:
// the refund's status shows pending, succeeded or failed_retrying), never by a network call holding locks. An
// instalment's payment refunds up to what was charged, plan interest included; its principal goes first.
// The change's audit entry, when the caller gives one, is written in that transaction: it commits before
// the gateway is tried, or neither does.
import type { Ctx } from '../context.ts';
import { recordAudit, type AuditChange } from '../audit/record.ts';
import { findAccount } from '../accounts/repo.ts';
import { addToRequestPaid, lockRequest } from '../collections/repo.ts';
import { lockInvoiceWithCustomer } from '../invoices/lock.ts';
import { addToInvoicePaid } from '../invoices/repo.ts';
import { dateInZone } from '../shared/dates.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { currencyMinorDigits, formatAmount, money } from '../money/money.ts';
import { paymentAmount } from './apply-payment.ts';
import { paymentFigures, principalOfRefund } from './payment-money.ts';
import {
  addRefundedToPayment,
  findPayment,
  insertRefund,
  lockPayment,
  type PaymentRow,
  type RefundRow,
} from './repo.ts';
import { gatewayOf } from './services.ts';
import { deliverSoon } from '../outbox/deliver-soon.ts';
import { findRefund, insertPendingRefund } from './attempts-repo.ts';
import { queueGatewayRefund } from './refund-jobs.ts';
import { debitBalanceForRefund } from '../balances/payment-hooks.ts';

export interface RefundInput {
  /** Default: all that is left to refund. */
  amount?: string | undefined;
  reason?: string | undefined;
}

export async function refundPayment(
  ctx: Ctx,
  accountId: number,
  paymentId: number,
  input: RefundInput,
  /** The audit entry (who, from where); the refund's id and what it refunds are added. */
  audit?: AuditChange,
): Promise<{ refund: RefundRow; payment: PaymentRow }> {
  const seen = await findPayment(ctx.db, accountId, paymentId);
  if (!seen) throw notFound('Payment', paymentId);
  if (input.reason !== undefined && input.reason.length > 500)
    throw invalid('reason', 'at most 500 characters');
  const amountAsked = input.amount === undefined ? undefined : paymentAmount(input.amount, seen.currency);
  const done = await ctx.db.transaction().execute(async (trx) => {
    const account = (await findAccount(trx, accountId))!;
    const digits = currencyMinorDigits(seen.currency);
    const invoice =
      seen.invoice_id === null
        ? undefined
        : await lockInvoiceWithCustomer(trx, accountId, Number(seen.invoice_id));
    if (seen.request_id !== null) await lockRequest(trx, accountId, Number(seen.request_id));
    const payment = (await lockPayment(trx, accountId, paymentId))!;
    // What the card was charged (an instalment's plan interest included) is what can be refunded.
    const left = money(paymentFigures(payment).refundable);
    if (!left.greaterThan(0))
      throw new DomainError('conflict', `payment ${paymentId} is already fully refunded`);
    const amount = amountAsked ?? formatAmount(left, digits);
    if (money(amount).greaterThan(left))
      throw invalid(
        'amount',
        `${amount} is more than the ${formatAmount(left, digits)} left to refund on payment ${paymentId}`,
      );
    // A card payment's money goes back through its gateway: recorded now (pending), sent by the outbox,
    // which retries until the gateway takes it (refund-jobs.ts). Money paid another way was given back by hand.
    const throughGateway = payment.method === 'card' && payment.gateway_reference !== null;
    if (throughGateway && payment.gateway !== gatewayOf(ctx).name)
      throw new DomainError(
        'conflict',
        `payment ${paymentId} was taken by the ${payment.gateway} gateway, which is not configured`,
      );
    const now = ctx.now();
    const row = {
      account_id: accountId,
      payment_id: paymentId,
      request_id: payment.request_id,
      invoice_id: payment.invoice_id,
      amount,
      currency: payment.currency,
      reason: input.reason ?? null,
      gateway_reference: null,
      created_at: now,
    };
    const refund = throughGateway ? await insertPendingRefund(trx, row) : await insertRefund(trx, row);
    if (audit)
      await recordAudit(
        ctx,
        accountId,
        { ...audit, resourceId: refund.id, changes: { ...audit.changes, paymentId, amount } },
        trx,
      );
    const job = throughGateway ? await queueGatewayRefund(trx, refund, now) : undefined;
    await addRefundedToPayment(trx, accountId, paymentId, amount);
    // Only the principal part moves the invoice and the request's paid figure back (interest was never theirs).
    const negative = money(principalOfRefund(payment, payment.refunded_amount, amount))
      .negated()
      .toFixed();
    if (payment.invoice_id !== null)
      await addToInvoicePaid(
        trx,
        accountId,
        Number(payment.invoice_id),
        negative,
        dateInZone(now, account.timezone),
        now,
      );
    if (payment.request_id !== null)
      await addToRequestPaid(trx, accountId, Number(payment.request_id), negative, amount, now);
    await debitBalanceForRefund(trx, {
      accountId,
      paymentId,
      requestId: payment.request_id === null ? null : Number(payment.request_id),
      invoiceId: payment.invoice_id === null ? null : Number(payment.invoice_id),
      invoiceCustomerId: invoice?.customer_id ?? null,
      amount: money(negative).negated().toFixed(),
      now,
    });
    return { refund, job };
  });
  if (done.job) await deliverSoon(ctx, [done.job]);
  // Read after the gateway was tried: its status (succeeded, or failed_retrying with the outbox retrying).
  return {
    refund: (await findRefund(ctx.db, accountId, Number(done.refund.id)))!,
    payment: (await findPayment(ctx.db, accountId, paymentId))!,
  };
}
