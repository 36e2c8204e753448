// What a billing run would invoice for one customer at a cut-off, with nothing written.
//
// The preview runs the run's own completion (completeInvoices: the same recurring charges, charges put on
// and taken off, call summaries, discounts and fees, totals) inside one database transaction, reads the
// invoice it leaves, and rolls the transaction back. So it cannot differ from what a run at that cut-off
// then invoices, which a second, read-only copy of the aggregation could. Why nothing else observes it:
// - rows: the transaction never commits, and PostgreSQL shows no other session an uncommitted row (PGlite
//   has one session, held by this transaction until the rollback);
// - side effects: completion queues no outbox job, webhook, email or feed row and publishes no domain
//   event (they are written by approval, emailing and the feed, never by completion);
// - what a rollback cannot undo: the identity sequences of invoices and billing_transactions move on, so
//   the next ids skip the numbers the preview drew (ids are never promised gap-free: any failed insert
//   does the same; invoice numbers are given on approval, from the account's counter, and are not touched);
//   and the customer's row is locked while the preview runs (a few milliseconds), as a run would lock it.
import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { findCustomer } from '../customers/repo.ts';
import { completeInvoices } from '../invoices/complete.ts';
import { listInvoices, type InvoiceRow } from '../invoices/repo.ts';
import { listTransactions, type BillingTransactionRow } from '../invoices/transactions-repo.ts';
import { isIsoDate, type IsoDate } from '../shared/dates.ts';
import { invalid, notFound } from '../shared/errors.ts';

/** Lines shown in a preview; an invoice with more says how many it left out. */
export const MAX_PREVIEW_LINES = 1000;

export interface BillingPreview {
  customerId: number;
  cutoffDate: IsoDate;
  /** Whether a run at this cut-off would bill the customer (count it and mark the invoice with the run). */
  wouldBill: boolean;
  /** The customer's unsent invoice as the run would leave it; undefined when the run would make none. */
  invoice: InvoiceRow | undefined;
  /** True when that invoice exists already (the run completes it); false when the run would make it. */
  invoiceExists: boolean;
  lines: BillingTransactionRow[];
  moreLines: boolean;
}

class RollBack extends Error {
  constructor(readonly preview: BillingPreview) {
    super('billing preview: rolled back');
  }
}

export async function previewBilling(
  ctx: Ctx,
  accountId: number,
  input: { customerId: number; cutoffDate: string },
): Promise<BillingPreview> {
  if (!isIsoDate(input.cutoffDate)) throw invalid('cutoffDate', 'must be a date YYYY-MM-DD');
  const cutoffDate = input.cutoffDate;
  const account = await findAccount(ctx.db, accountId);
  if (!account) throw notFound('Account', accountId);
  const customer = await findCustomer(ctx.db, accountId, input.customerId);
  if (!customer) throw notFound('Customer', input.customerId);
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const unsentBefore = await listInvoices(
        trx,
        accountId,
        { customerId: customer.id, state: 'unsent' },
        { limit: 1 },
      );
      const result = await completeInvoices(
        trx,
        account,
        [customer.id],
        {
          cutoffDate,
          transactionCutoffDate: null,
          includeTransactionIds: [],
          billingRunId: null,
          evenIfEmpty: false,
        },
        ctx.now(),
      );
      const unsent = await listInvoices(
        trx,
        accountId,
        { customerId: customer.id, state: 'unsent' },
        { limit: 1 },
      );
      const invoice = unsent.rows[0];
      const lines = invoice
        ? await listTransactions(
            trx,
            accountId,
            { customerId: customer.id, invoiceId: invoice.id, state: 'all' },
            { limit: MAX_PREVIEW_LINES },
          )
        : { rows: [], nextAfter: undefined };
      throw new RollBack({
        customerId: customer.id,
        cutoffDate,
        wouldBill: result.invoiceIds.length > 0,
        invoice,
        invoiceExists: unsentBefore.rows.length > 0,
        lines: lines.rows,
        moreLines: lines.nextAfter !== undefined,
      });
    });
  } catch (error) {
    if (error instanceof RollBack) return error.preview;
    throw error;
  }
  // The transaction's callback always throws: it ends either with the preview or with the error.
  throw new Error('billing preview: the transaction committed');
}
