import type { Ctx, Executor } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { lockCustomer } from '../customers/repo.ts';
import type { BillingTransactionRow } from './transactions-repo.ts';
import { recalculateInvoices } from './recalculate.ts';
import { findUnsentInvoices, lockInvoice } from './repo.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { currencyMinorDigits } from '../money/money.ts';
import { qualifiesForUnsent } from './create-transaction.ts';
import { checkRefund, checkRefundsCovered } from './transaction-guards.ts';
import {
  checkTransactionRow,
  normaliseCreditSign,
  transactionColumns,
  type TransactionInput,
} from './transaction-input.ts';
import { findTransaction, lockTransaction, updateTransactionRow } from './transactions-repo.ts';
import type { TransactionType } from '../shared/transaction-types.ts';

/** Locks a charge for a change (customer first, then charge, then its invoice) and checks it is unsent. */
export async function lockEditableTransaction(
  trx: Executor,
  accountId: number,
  id: number,
): Promise<BillingTransactionRow> {
  const seen = await findTransaction(trx, accountId, id);
  if (!seen) throw notFound('Transaction', id);
  await lockCustomer(trx, accountId, seen.customer_id);
  const transaction = await lockTransaction(trx, accountId, id);
  if (!transaction) throw notFound('Transaction', id);
  if (transaction.invoice_id !== null) {
    const invoice = await lockInvoice(trx, accountId, transaction.invoice_id);
    if (invoice?.approved_at) {
      throw new DomainError(
        'invoice_not_unsent',
        `transaction ${id} is on approved invoice ${invoice.invoice_number} and cannot change`,
      );
    }
  }
  return transaction;
}

/**
 * Changes a charge that is unbilled or on an unsent invoice. Charges on raised invoices are frozen. When an
 * entered charge's dates change, it is placed again as if it were added now: a bill date on or after the
 * unsent invoice's cut-off takes it off to wait for the next invoice, one before it puts a waiting charge on.
 * Charges posted to an invoice or named in _includeTransactionIDs (pinned), and generated ones, stay put.
 */
export async function updateTransaction(
  ctx: Ctx,
  accountId: number,
  id: number,
  input: TransactionInput,
): Promise<BillingTransactionRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const account = await findAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    const current = await lockEditableTransaction(trx, accountId, id);
    const type = (input.type ?? current.transaction_type) as TransactionType;
    const columns = transactionColumns(input, account, type);
    const merged = { ...current, ...columns } as BillingTransactionRow;
    merged.value = normaliseCreditSign(type, merged.value, currencyMinorDigits(account.currency));
    checkTransactionRow(merged);
    await checkRefund(trx, accountId, merged);
    await checkRefundsCovered(trx, accountId, merged);
    const now = ctx.now();
    const datesChanged = columns.transaction_date !== undefined || columns.bill_date !== undefined;
    const invoiceId =
      datesChanged && current.origin === 'api' && !current.pinned
        ? await placeByDates(trx, accountId, merged)
        : current.invoice_id;
    const updated = await updateTransactionRow(trx, accountId, id, {
      ...columns,
      value: merged.value,
      invoice_id: invoiceId,
      updated_at: now,
    });
    if (!updated) throw notFound('Transaction', id);
    const touched = [current.invoice_id, updated.invoice_id].filter((i): i is number => i !== null);
    await recalculateInvoices(trx, account, touched, now);
    return updated;
  });
}

/** The unsent invoice an entered charge belongs on by its dates, or null (it waits). The customer is locked. */
async function placeByDates(
  trx: Executor,
  accountId: number,
  row: BillingTransactionRow,
): Promise<number | null> {
  const [unsent] = await findUnsentInvoices(trx, accountId, [row.customer_id]);
  // Without an unsent invoice the charge was unbilled and stays so until the next invoice is made.
  if (!unsent) return row.invoice_id;
  return qualifiesForUnsent(unsent, row) ? unsent.id : null;
}
