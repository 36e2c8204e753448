import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { findCustomer } from '../customers/repo.ts';
import type { InvoiceRow } from '../invoices/repo.ts';
import { findInvoice } from '../invoices/repo.ts';
import { notFound } from '../shared/errors.ts';
import { recreateDocuments } from './documents.ts';

/** The `recreate` action: renders an approved invoice's bills again (400701 when that fails). */
export async function recreateBills(ctx: Ctx, accountId: number, invoiceId: number): Promise<InvoiceRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const account = await findAccount(trx, accountId);
    const invoice = await findInvoice(trx, accountId, invoiceId);
    if (!account || !invoice) throw notFound('Invoice', invoiceId);
    const customer = (await findCustomer(trx, accountId, invoice.customer_id))!;
    await recreateDocuments(trx, account, customer, invoice, ctx.now());
    return invoice;
  });
}
