import type { Ctx } from '../context.ts';
import { findCustomer } from '../customers/repo.ts';
import type { AccountRow } from '../accounts/repo.ts';
import type { InvoiceRow } from '../invoices/repo.ts';
import { notFound } from '../shared/errors.ts';
import { type BillDocument, billDocument } from './documents.ts';

/** An invoice's bill as a PDF (kept once rendered, for approved invoices). */
export async function invoiceBill(
  ctx: Ctx,
  account: AccountRow,
  invoice: InvoiceRow,
  styleName: string | undefined,
): Promise<BillDocument> {
  return ctx.db.transaction().execute(async (trx) => {
    const customer = await findCustomer(trx, account.id, invoice.customer_id);
    if (!customer) throw notFound('Invoice', invoice.id);
    return billDocument(trx, account, customer, invoice, styleName, ctx.now());
  });
}
