import { accountChanged } from '../accounts/account-cache.ts';
import type { Ctx } from '../context.ts';
import { findAccount, takeNextInvoiceNumber } from '../accounts/repo.ts';
import { findCustomer } from '../customers/repo.ts';
import type { InvoiceRow } from './repo.ts';
import { addDays, isIsoDate, type IsoDate } from '../shared/dates.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { accountToday } from '../shared/today.ts';
import { lockInvoiceWithCustomer } from './lock.ts';
import { addToRevenueMonth, updateInvoice } from './repo.ts';
import { emitInvoiceEvent, emitInvoicePaidIfSettled } from './invoice-events.ts';
import { settleInvoiceFromBalance } from '../balances/statement.ts';

export interface ApproveInput {
  /** Defaults to today in the account's timezone. */
  invoiceDate?: IsoDate | undefined;
}

/**
 * Raises an unsent invoice: gives it the account's next invoice number, dates it, sets the due date from
 * the customer's payment terms (or the account's), and freezes its contents.
 */
export async function approveInvoice(
  ctx: Ctx,
  accountId: number,
  invoiceId: number,
  input: ApproveInput = {},
): Promise<InvoiceRow> {
  if (input.invoiceDate !== undefined && !isIsoDate(input.invoiceDate))
    throw invalid('invoiceDate', 'must be a date YYYY-MM-DD');
  const approved = await ctx.db.transaction().execute(async (trx) => {
    const invoice = await lockInvoiceWithCustomer(trx, accountId, invoiceId);
    if (invoice.approved_at !== null) {
      throw new DomainError(
        'invoice_not_unsent',
        `invoice ${invoiceId} is already approved as ${invoice.invoice_number}`,
      );
    }
    const account = await findAccount(trx, accountId);
    const customer = await findCustomer(trx, accountId, invoice.customer_id);
    if (!account || !customer) throw notFound('Invoice', invoiceId);
    const now = ctx.now();
    const invoiceDate = input.invoiceDate ?? accountToday(account, now);
    const terms = customer.payment_terms_days ?? account.payment_terms_days;
    const { prefix, number } = await takeNextInvoiceNumber(trx, accountId);
    let approved = await updateInvoice(trx, accountId, invoiceId, {
      invoice_number: `${prefix}${number}`,
      invoice_date: invoiceDate,
      due_date: addDays(invoiceDate, terms),
      payment_method: invoice.payment_method ?? customer.payment_method,
      // The customer's reference and purchase order number as they are now are printed on the bill and kept.
      customer_reference: invoice.customer_reference ?? customer.customer_reference,
      purchase_order_number: invoice.purchase_order_number ?? customer.purchase_order_number,
      approved_at: now,
      updated_at: now,
    });
    if (!approved) throw notFound('Invoice', invoiceId);
    await addToRevenueMonth(trx, accountId, approved);
    // A customer with a ledger: the invoice is settled from a prepaid balance (then it is paid), or counted
    // against a postpaid credit limit. Balance row after the customer and invoice locks.
    const settled = await settleInvoiceFromBalance(
      trx,
      {
        accountId,
        customerId: invoice.customer_id,
        invoiceId,
        invoiceNumber: approved.invoice_number ?? String(invoiceId),
        total: approved.total,
      },
      now,
    );
    if (settled?.paidFromBalance) {
      approved = (await updateInvoice(trx, accountId, invoiceId, {
        paid_amount: approved.total,
        paid_date: invoiceDate,
        payment_method: 'prepaid balance',
        updated_at: now,
      }))!;
    }
    // Webhooks, in this transaction: the event commits with the approval or not at all.
    await emitInvoiceEvent(trx, account, approved, 'invoice.approved', now);
    await emitInvoicePaidIfSettled(trx, account, invoice, approved, now);
    return approved;
  });
  // The account's next invoice number moved: this process forgets the row it keeps (others hear the NOTIFY).
  accountChanged(ctx.database, accountId);
  return approved;
}
