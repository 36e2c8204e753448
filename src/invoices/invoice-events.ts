// Invoice events: the invoice as data (invoices/invoice-data.ts), which is also what the backend API shows
// (GET /backend/api/v1/invoices/{id}).
import type { Executor } from '../context.ts';
import type { AccountRow } from '../accounts/repo.ts';
import type { InvoiceRow } from './repo.ts';
import { invoiceData } from './invoice-data.ts';
import { statusFlags } from './status.ts';
import { emitEvent } from '../webhooks/emit.ts';
import type { InsertEventsResult } from '../webhooks/repo.ts';

export async function emitInvoiceEvent(
  db: Executor,
  account: AccountRow,
  invoice: InvoiceRow,
  type: 'invoice.approved' | 'invoice.paid',
  now: Date,
): Promise<InsertEventsResult> {
  return emitEvent(db, account.id, type, invoiceData(invoice, account), now);
}

/**
 * Emits invoice.paid when a change made the invoice paid (approved, total above zero, paid amount at
 * least the total) and it was not before. Call it wherever paid_amount (or the total) changes, with the
 * row before and after, in the same transaction.
 */
export async function emitInvoicePaidIfSettled(
  db: Executor,
  account: AccountRow,
  before: InvoiceRow,
  after: InvoiceRow,
  now: Date,
): Promise<InsertEventsResult | undefined> {
  if (statusFlags(before).includes('paid') || !statusFlags(after).includes('paid')) return undefined;
  return emitInvoiceEvent(db, account, after, 'invoice.paid', now);
}
