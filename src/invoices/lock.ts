import type { Executor } from '../context.ts';
import { lockCustomer } from '../customers/repo.ts';
import type { InvoiceRow } from './repo.ts';
import { notFound } from '../shared/errors.ts';
import { findInvoice, lockInvoice } from './repo.ts';

/**
 * Locks an invoice for a change, taking its customer's lock first. Everything that changes a customer's
 * invoices or charges locks the customer before the invoice, so concurrent changes queue instead of
 * deadlocking, and a charge can never slip onto an invoice while it is being approved.
 */
export async function lockInvoiceWithCustomer(
  trx: Executor,
  accountId: number,
  invoiceId: number,
): Promise<InvoiceRow> {
  const seen = await findInvoice(trx, accountId, invoiceId);
  if (!seen) throw notFound('Invoice', invoiceId);
  await lockCustomer(trx, accountId, seen.customer_id);
  const invoice = await lockInvoice(trx, accountId, invoiceId);
  if (!invoice) throw notFound('Invoice', invoiceId);
  return invoice;
}
