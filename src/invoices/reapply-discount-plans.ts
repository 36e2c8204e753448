import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { findCustomer } from '../customers/repo.ts';
import type { InvoiceRow } from './repo.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { currencyMinorDigits } from '../money/money.ts';
import { defaultCutoff } from '../shared/today.ts';
import { insertGeneratedCharges } from './transactions-repo.ts';
import { makeExtras, removeExtras } from './extras.ts';
import { lockInvoiceWithCustomer } from './lock.ts';
import { recalculateInvoices } from './recalculate.ts';
import { findInvoice } from './repo.ts';

/**
 * The invoices document's `reapplyDiscountPlans`: works out the customer's discount plan (and the fees
 * that depend on what is billed) again on an unsent invoice, after its charges or the plan changed.
 */
export async function reapplyDiscountPlans(
  ctx: Ctx,
  accountId: number,
  invoiceId: number,
): Promise<InvoiceRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const invoice = await lockInvoiceWithCustomer(trx, accountId, invoiceId);
    if (invoice.approved_at !== null)
      throw new DomainError(
        'invoice_not_unsent',
        `invoice ${invoice.invoice_number} is approved: its discounts cannot change`,
      );
    const account = await findAccount(trx, accountId);
    const customer = await findCustomer(trx, accountId, invoice.customer_id);
    if (!account || !customer) throw notFound('Invoice', invoiceId);
    const now = ctx.now();
    await removeExtras(trx, accountId, [invoiceId]);
    await recalculateInvoices(trx, account, [invoiceId], now);
    const before = (await findInvoice(trx, accountId, invoiceId))!;
    const extras = await makeExtras(
      trx,
      account,
      [customer],
      new Map([[customer.id, invoiceId]]),
      new Map([[invoiceId, before.invoice_amount]]),
      invoice.cutoff_date ?? defaultCutoff(account, now),
      currencyMinorDigits(account.currency),
      now,
    );
    await insertGeneratedCharges(trx, extras, now);
    await recalculateInvoices(trx, account, [invoiceId], now);
    return (await findInvoice(trx, accountId, invoiceId))!;
  });
}
