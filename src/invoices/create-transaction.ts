import type { Ctx, Executor } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { findCustomer, lockCustomer } from '../customers/repo.ts';
import type { AccountRow } from '../accounts/repo.ts';
import type { FeatureRow } from '../features/repo.ts';
import type { InvoiceRow } from './repo.ts';
import type { BillingTransactionRow } from './transactions-repo.ts';
import { findFeature } from '../features/repo.ts';
import { lockInvoiceWithCustomer } from './lock.ts';
import { recalculateInvoices } from './recalculate.ts';
import { findUnsentInvoices, insertUnsentInvoices } from './repo.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { accountToday } from '../shared/today.ts';
import { checkRefund } from './transaction-guards.ts';
import { checkTransactionRow, transactionColumns, type TransactionInput } from './transaction-input.ts';
import { insertTransactions } from './transactions-repo.ts';
import type { TransactionType } from '../shared/transaction-types.ts';

export type TransactionTarget =
  | { kind: 'invoice'; invoiceId: number }
  | { kind: 'feature'; featureId: number }
  | { kind: 'customer'; customerId: number };

/**
 * Adds a charge. Posted to an invoice, it goes on that invoice (which must be unsent). Posted to a feature
 * or a customer, it goes on the customer's unsent invoice, which is made if there is none; if that invoice
 * has already been completed for a cut-off the charge's date falls after, the charge waits, unbilled, for
 * the next invoice.
 */
export async function createTransaction(
  ctx: Ctx,
  accountId: number,
  target: TransactionTarget,
  input: TransactionInput,
): Promise<BillingTransactionRow> {
  if (input.value === undefined) throw invalid('value', 'is required');
  return ctx.db.transaction().execute(async (trx) => {
    const account = await findAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    const { customerId, feature, invoice } = await resolveTarget(trx, accountId, target);
    if (invoice && invoice.approved_at !== null) {
      throw new DomainError(
        'invoice_not_unsent',
        `invoice ${invoice.invoice_number} is approved: its charges cannot change`,
      );
    }
    const type = (input.type ?? 'oneOff') as TransactionType;
    const columns = transactionColumns({ ...input, type }, account, type);
    const now = ctx.now();
    const transactionDate = columns.transaction_date ?? accountToday(account, now);
    const row = {
      ...columns,
      account_id: accountId,
      customer_id: customerId,
      feature_id: feature?.id ?? null,
      transaction_type: type,
      value: columns.value!,
      transaction_date: transactionDate,
      bill_date: columns.bill_date ?? transactionDate,
      vat_rate: columns.vat_rate ?? feature?.vat_rate ?? account.default_vat_rate,
      refunded_id: columns.refunded_id ?? null,
      start_date: columns.start_date ?? null,
      end_date: columns.end_date ?? null,
      pinned: invoice !== undefined,
      created_at: now,
      updated_at: now,
    };
    checkTransactionRow(row);
    await checkRefund(trx, accountId, row);
    const invoiceId = invoice?.id ?? (await invoiceForNewCharge(trx, account, customerId, row, now));
    const [inserted] = await insertTransactions(trx, [{ ...row, invoice_id: invoiceId }]);
    if (invoiceId !== null) await recalculateInvoices(trx, account, [invoiceId], now);
    return inserted!;
  });
}

async function resolveTarget(
  trx: Executor,
  accountId: number,
  target: TransactionTarget,
): Promise<{ customerId: number; feature?: FeatureRow; invoice?: InvoiceRow }> {
  switch (target.kind) {
    case 'invoice': {
      const invoice = await lockInvoiceWithCustomer(trx, accountId, target.invoiceId);
      return { customerId: invoice.customer_id, invoice };
    }
    case 'feature': {
      const feature = await findFeature(trx, accountId, target.featureId);
      if (!feature) throw notFound('Feature', target.featureId);
      await lockCustomer(trx, accountId, feature.customer_id);
      return { customerId: feature.customer_id, feature };
    }
    case 'customer': {
      if (!(await findCustomer(trx, accountId, target.customerId)))
        throw notFound('Customer', target.customerId);
      await lockCustomer(trx, accountId, target.customerId);
      return { customerId: target.customerId };
    }
  }
}

/** The customer's unsent invoice (made if there is none), or null if the charge is dated after its cut-off. */
async function invoiceForNewCharge(
  trx: Executor,
  account: AccountRow,
  customerId: number,
  row: { transaction_date: string; bill_date: string },
  now: Date,
): Promise<number | null> {
  const [unsent] = await findUnsentInvoices(trx, account.id, [customerId]);
  if (!unsent) {
    const [created] = await insertUnsentInvoices(trx, account.id, [customerId], now);
    return created!.id;
  }
  return qualifiesForUnsent(unsent, row) ? unsent.id : null;
}

/**
 * Whether an entered charge belongs on the customer's unsent invoice by its dates: before the invoice's
 * cut-off (by transaction date when it has a transaction cut-off), or any charge while it has no cut-off yet.
 * The same rule places a charge when it is added and when its dates change.
 */
export function qualifiesForUnsent(
  unsent: Pick<InvoiceRow, 'cutoff_date' | 'transaction_cutoff_date'>,
  row: { transaction_date: string; bill_date: string },
): boolean {
  if (unsent.transaction_cutoff_date !== null) return row.transaction_date < unsent.transaction_cutoff_date;
  if (unsent.cutoff_date !== null) return row.bill_date < unsent.cutoff_date;
  return true;
}
