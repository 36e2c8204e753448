import type { Ctx } from '../context.ts';
import { setBilledUntil } from '../features/repo.ts';
import { DomainError } from '../shared/errors.ts';
import { releaseInvoiceCharges } from './invoice-charges-repo.ts';
import { releaseCalls } from '../calls/repo.ts';
import { lockInvoiceWithCustomer } from './lock.ts';
import { removeExtras } from './extras.ts';
import { deleteInvoiceRow } from './repo.ts';

/**
 * Deletes an unsent invoice. Charges that were entered go back to unbilled and wait for the next invoice;
 * recurring charges it generated are removed and their features are set back to where they were billed
 * before, so the next invoice charges those periods again. Raised invoices cannot be deleted.
 */
export async function deleteInvoice(ctx: Ctx, accountId: number, invoiceId: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const invoice = await lockInvoiceWithCustomer(trx, accountId, invoiceId);
    if (invoice.approved_at !== null) {
      throw new DomainError(
        'invoice_not_unsent',
        `invoice ${invoice.invoice_number} is approved and cannot be deleted`,
      );
    }
    await removeExtras(trx, accountId, [invoiceId]);
    await releaseInvoiceCharges(trx, accountId, invoiceId, ctx.now());
    await releaseCalls(trx, accountId, [invoiceId]);
    const baseline = Object.entries(invoice.recurring_baseline).map(([featureId, billedUntil]) => ({
      featureId: Number(featureId),
      billedUntil,
    }));
    await setBilledUntil(trx, accountId, baseline);
    await deleteInvoiceRow(trx, accountId, invoiceId);
  });
}
