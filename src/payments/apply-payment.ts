// Applies money received to an invoice and/or a payment request, inside the caller's transaction: locks
// customer -> invoice -> request (the house lock order), refuses more than is outstanding, records the
// payment, moves the invoice's paid amount and paid date and the request's figures, emits invoice.paid when
// the invoice becomes paid, and then settles any instalment plan still paying it (nothing is charged later).
import type { Ctx, Executor } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { addToRequestPaid, findRequest, lockRequest, type PaymentRequestRow } from '../collections/repo.ts';
import type { InvoiceRow } from '../invoices/repo.ts';
import type { PaymentMethod } from './repo.ts';
import { lockInvoiceWithCustomer } from '../invoices/lock.ts';
import { addToInvoicePaid, findInvoice, setInvoicePaymentMethod } from '../invoices/repo.ts';
import { outstanding as invoiceOutstanding } from '../invoices/status.ts';
import { dateInZone } from '../shared/dates.ts';
import { assert, DomainError, invalid, notFound } from '../shared/errors.ts';
import { currencyMinorDigits, formatAmount, isDecimalString, money } from '../money/money.ts';
import { emitInvoicePaidIfSettled } from '../invoices/invoice-events.ts';
import { insertPayment, settleActivePlans, type PaymentRow } from './repo.ts';
import { creditBalanceForPayment } from '../balances/payment-hooks.ts';

export const PAYMENT_METHODS = [
  'card',
  'bank_transfer',
  'cash',
  'cheque',
  'direct_debit',
  'other',
] as const satisfies readonly PaymentMethod[];

export interface ApplyPaymentInput {
  accountId: number;
  /** The request paid through (its invoice, if any, is paid too). */
  requestId?: number | undefined;
  /** The invoice paid (a request's invoice is used when only requestId is given). */
  invoiceId?: number | undefined;
  amount: string;
  /** An instalment's plan interest charged with the amount: kept on the payment, not paid to the invoice. */
  interest?: string | undefined;
  method: PaymentMethod;
  reference?: string | null | undefined;
  notes?: string | null | undefined;
  gateway?: string | null | undefined;
  gatewayReference?: string | null | undefined;
  cardLast4?: string | null | undefined;
  attemptId?: number | null | undefined;
  instalmentPlanId?: number | null | undefined;
  instalmentSeq?: number | null | undefined;
  paidAt: Date;
}

export interface AppliedPayment {
  payment: PaymentRow;
  invoice: InvoiceRow | undefined;
  request: PaymentRequestRow | undefined;
  /** What is left to pay after this payment. */
  outstanding: string;
  invoiceBecamePaid: boolean;
}

/** Checks an amount entered for a payment: positive, exact to the currency's minor unit. */
export function paymentAmount(value: string, currency: string, field = 'amount'): string {
  const digits = currencyMinorDigits(currency);
  if (!isDecimalString(value, digits) || !money(value).greaterThan(0)) {
    throw invalid(
      field,
      `must be a positive amount with at most ${digits} decimal places, as a string ("25.00")`,
    );
  }
  return formatAmount(value, digits);
}

export async function applyPayment(
  trx: Executor,
  ctx: Ctx,
  input: ApplyPaymentInput,
): Promise<AppliedPayment> {
  const account = await findAccount(trx, input.accountId);
  if (!account) throw notFound('Account', input.accountId);
  const digits = currencyMinorDigits(account.currency);
  const amount = paymentAmount(input.amount, account.currency);

  let invoiceId = input.invoiceId;
  if (invoiceId === undefined && input.requestId !== undefined) {
    // Read (unlocked) to learn the invoice, so the invoice is locked before the request.
    const seen = await findRequest(trx, input.accountId, input.requestId);
    if (!seen) throw notFound('Payment request', input.requestId);
    invoiceId = seen.invoice_id ?? undefined;
  }
  let before: InvoiceRow | undefined;
  if (invoiceId !== undefined) {
    before = await lockInvoiceWithCustomer(trx, input.accountId, invoiceId);
    if (before.approved_at === null)
      throw new DomainError(
        'invoice_raised',
        `invoice ${invoiceId} must be approved before a payment can be recorded`,
      );
  }
  let request: PaymentRequestRow | undefined;
  if (input.requestId !== undefined) {
    request = await lockRequest(trx, input.accountId, input.requestId);
    if (!request) throw notFound('Payment request', input.requestId);
    assert(
      (request.invoice_id ?? undefined) === invoiceId,
      "a payment through a request pays the request's invoice",
    );
  }

  const left = before
    ? money(invoiceOutstanding(before))
    : money(request!.amount).minus(request!.paid_amount);
  if (money(amount).greaterThan(left)) {
    const what = before ? `invoice ${before.id}` : `payment request ${request!.id}`;
    const shown = left.isNegative() ? '0' : left.toFixed();
    throw invalid(
      'amount',
      `${amount} is more than the ${formatAmount(shown, digits)} outstanding on ${what}`,
    );
  }

  const payment = await insertPayment(trx, {
    account_id: input.accountId,
    request_id: request ? Number(request.id) : null,
    invoice_id: invoiceId ?? null,
    attempt_id: input.attemptId ?? null,
    instalment_plan_id: input.instalmentPlanId ?? null,
    instalment_seq: input.instalmentSeq ?? null,
    amount,
    interest_amount: input.interest === undefined ? '0' : formatAmount(input.interest, digits),
    currency: account.currency,
    method: input.method,
    reference: input.reference ?? null,
    notes: input.notes ?? null,
    gateway: input.gateway ?? null,
    gateway_reference: input.gatewayReference ?? null,
    card_last4: input.cardLast4 ?? null,
    paid_at: input.paidAt,
    created_at: ctx.now(),
  });

  let after: InvoiceRow | undefined;
  let invoiceBecamePaid = false;
  if (before) {
    await addToInvoicePaid(
      trx,
      input.accountId,
      before.id,
      amount,
      dateInZone(input.paidAt, account.timezone),
      ctx.now(),
    );
    // Paid by card: the invoice says so (paymentMethod "card"); a payment recorded by hand leaves what the user set.
    if (input.method === 'card')
      await setInvoicePaymentMethod(trx, input.accountId, before.id, 'card', ctx.now());
    after = (await findInvoice(trx, input.accountId, before.id))!;
    const emitted = await emitInvoicePaidIfSettled(trx, account, before, after, ctx.now());
    invoiceBecamePaid =
      money(after.paid_amount).greaterThanOrEqualTo(after.total) &&
      money(before.paid_amount).lessThan(before.total);
    void emitted;
  }
  if (request) await addToRequestPaid(trx, input.accountId, Number(request.id), amount, '0', ctx.now());
  // A prepaid top-up paid, or a credit-limited customer's invoice paid: the ledger moves with the payment.
  await creditBalanceForPayment(trx, {
    accountId: input.accountId,
    paymentId: Number(payment.id),
    requestId: request ? Number(request.id) : null,
    invoiceId: invoiceId ?? null,
    invoiceCustomerId: before?.customer_id ?? null,
    amount,
    now: ctx.now(),
  });
  const remaining = left.minus(amount);
  // Paid in full (by this payment, wherever it came from): no plan may charge for it later.
  if (!remaining.greaterThan(0)) {
    await settleActivePlans(
      trx,
      input.accountId,
      before ? { invoiceId: before.id } : { requestId: Number(request!.id) },
      ctx.now(),
    );
  }
  return {
    payment,
    invoice: after,
    request,
    outstanding: formatAmount(remaining, digits),
    invoiceBecamePaid,
  };
}
