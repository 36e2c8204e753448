import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { findCustomer } from '../customers/repo.ts';
import type { InvoiceRow } from './repo.ts';
import type { IsoDate } from '../shared/dates.ts';
import { notFound } from '../shared/errors.ts';
import { defaultCutoff } from '../shared/today.ts';
import { completeInvoices } from './complete.ts';
import { findInvoice } from './repo.ts';

export interface CreateInvoiceInput {
  cutoffDate?: IsoDate | undefined;
  transactionCutoffDate?: IsoDate | undefined;
  includeTransactionIds?: number[] | undefined;
}

/**
 * Makes the customer's invoice for a cut-off date. A customer has at most one unsent invoice: if there
 * is one, it is completed for this cut-off (charges dated after it are taken off to wait for the next
 * invoice); otherwise a new one is made.
 */
export async function createInvoice(
  ctx: Ctx,
  accountId: number,
  customerId: number,
  input: CreateInvoiceInput,
): Promise<{ invoice: InvoiceRow; created: boolean }> {
  return ctx.db.transaction().execute(async (trx) => {
    const account = await findAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    if (!(await findCustomer(trx, accountId, customerId))) throw notFound('Customer', customerId);
    const now = ctx.now();
    const result = await completeInvoices(
      trx,
      account,
      [customerId],
      {
        cutoffDate: input.cutoffDate ?? defaultCutoff(account, now),
        transactionCutoffDate: input.transactionCutoffDate ?? null,
        includeTransactionIds: [...new Set(input.includeTransactionIds ?? [])],
        billingRunId: null,
        evenIfEmpty: true,
      },
      now,
    );
    const invoiceId = result.invoiceIds[0]!;
    const invoice = await findInvoice(trx, accountId, invoiceId);
    if (!invoice) throw notFound('Invoice', invoiceId);
    return { invoice, created: result.createdInvoiceIds.has(invoice.id) };
  });
}
