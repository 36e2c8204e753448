import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { recalculateInvoices } from './recalculate.ts';
import { releaseSummaryCalls } from '../calls/repo.ts';
import { notFound } from '../shared/errors.ts';
import { checkNotRefunded } from './transaction-guards.ts';
import { deleteTransactionRows } from './transactions-repo.ts';
import { lockEditableTransaction } from './update-transaction.ts';

/** Deletes a charge that is unbilled or on an unsent invoice (and not refunded), and updates that invoice's totals. */
export async function deleteTransaction(ctx: Ctx, accountId: number, id: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const account = await findAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    const transaction = await lockEditableTransaction(trx, accountId, id);
    await checkNotRefunded(trx, accountId, id);
    await deleteTransactionRows(trx, accountId, [id]);
    // A call summary's calls go back to waiting for an invoice: otherwise they would stay marked as billed
    // on this one with no line charging them.
    if (transaction.origin === 'calls' && transaction.invoice_id !== null) {
      await releaseSummaryCalls(trx, accountId, { ...transaction, invoice_id: transaction.invoice_id });
    }
    if (transaction.invoice_id !== null)
      await recalculateInvoices(trx, account, [transaction.invoice_id], ctx.now());
  });
}
