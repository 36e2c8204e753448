// Recording a payment made elsewhere (bank transfer, cash, cheque…) against an invoice, through the backend
// API. The same rules as a card payment: exact amount, never more than is outstanding.
import type { Ctx, Executor } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { lockInvoiceWithCustomer } from '../invoices/lock.ts';
import { outstanding } from '../invoices/status.ts';
import { currencyMinorDigits, formatAmount, isDecimalString, money } from '../money/money.ts';
import { pendingPrincipal, serialKeyOf } from './attempts-repo.ts';
import { deliverSoon } from '../outbox/deliver-soon.ts';
import { findCustomer } from '../customers/repo.ts';
import type { PaymentMethod } from './repo.ts';
import { parseEmailList } from '../shared/contact.ts';
import { DomainError, invalid } from '../shared/errors.ts';
import { applyPayment, type AppliedPayment } from './apply-payment.ts';
import { queueReceipts } from './queue-receipts.ts';

export interface RecordPaymentInput {
  amount: string;
  method?: PaymentMethod | undefined;
  reference?: string | undefined;
  notes?: string | undefined;
  /** When the money arrived (default: now). */
  paidAt?: Date | undefined;
  /** Email a receipt to the customer. */
  sendReceipt?: boolean | undefined;
}

export async function recordInvoicePayment(
  ctx: Ctx,
  accountId: number,
  invoiceId: number,
  input: RecordPaymentInput,
): Promise<AppliedPayment> {
  if (input.reference !== undefined && input.reference.length > 200)
    throw invalid('reference', 'at most 200 characters');
  if (input.notes !== undefined && input.notes.length > 2000)
    throw invalid('notes', 'at most 2000 characters');
  const now = ctx.now();
  if (input.paidAt && input.paidAt.getTime() > now.getTime() + 86_400_000)
    throw invalid('paidAt', 'cannot be in the future');
  const { applied, jobs } = await ctx.db.transaction().execute(async (trx) => {
    await leaveRoomForCardPayment(trx, accountId, invoiceId, input.amount);
    const applied = await applyPayment(trx, ctx, {
      accountId,
      invoiceId,
      amount: input.amount,
      method: input.method ?? 'bank_transfer',
      reference: input.reference ?? null,
      notes: input.notes ?? null,
      paidAt: input.paidAt ?? now,
    });
    let jobs: { accountId: number; id: number }[] = [];
    if (input.sendReceipt) {
      const customer = await findCustomer(trx, accountId, applied.invoice!.customer_id);
      const email = customer?.email ? (parseEmailList(customer.email, 'email')[0] ?? null) : null;
      if (!email) throw invalid('sendReceipt', 'the customer has no email address to send the receipt to');
      jobs = await queueReceipts(trx, applied.payment, { email }, now);
    }
    return { applied, jobs };
  });
  await deliverSoon(ctx, jobs);
  return applied;
}

/**
 * A card payment being taken on the invoice (a pending attempt, card-attempt.ts) has its amount set aside:
 * a payment recorded meanwhile may take only what is left beside it, so the card's charge can always be
 * applied (never charged and then refunded). Takes the invoice's lock (customer first).
 */
async function leaveRoomForCardPayment(
  trx: Executor,
  accountId: number,
  invoiceId: number,
  amount: string,
): Promise<void> {
  const invoice = await lockInvoiceWithCustomer(trx, accountId, invoiceId);
  const pending = money(await pendingPrincipal(trx, accountId, serialKeyOf(invoiceId, 0)));
  if (!pending.greaterThan(0) || !isDecimalString(amount, 6)) return;
  const account = await findAccount(trx, accountId);
  const digits = currencyMinorDigits(account!.currency);
  const room = money(outstanding(invoice)).minus(pending);
  if (money(amount).greaterThan(room)) {
    throw new DomainError(
      'conflict',
      `a card payment of ${formatAmount(pending, digits)} is being taken on invoice ${invoiceId}: at most ${formatAmount(room.isNegative() ? '0' : room, digits)} can be recorded until it is settled; try again in a moment`,
    );
  }
}
