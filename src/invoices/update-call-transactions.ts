import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { resummariseCalls } from './summarise.ts';
import type { InvoiceRow } from './repo.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { lockInvoiceWithCustomer } from './lock.ts';
import { recalculateInvoices } from './recalculate.ts';
import { findInvoice } from './repo.ts';

/**
 * The invoices document's `updateCallTransactions`: summarises an unsent invoice's calls again (after late
 * calls arrived, or calls were re-rated). Raised invoices are frozen.
 */
export async function updateCallTransactions(
  ctx: Ctx,
  accountId: number,
  invoiceId: number,
): Promise<InvoiceRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const invoice = await lockInvoiceWithCustomer(trx, accountId, invoiceId);
    if (invoice.approved_at !== null) {
      throw new DomainError(
        'invoice_not_unsent',
        `invoice ${invoice.invoice_number} is approved: its call charges cannot change`,
      );
    }
    const account = await findAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    const now = ctx.now();
    await resummariseCalls(trx, account, invoice, now);
    await recalculateInvoices(trx, account, [invoiceId], now);
    return (await findInvoice(trx, accountId, invoiceId))!;
  });
}
