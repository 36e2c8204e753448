// Billing's answers to the events lower modules publish about its tables (src/shared/events.ts): accounts,
// customers and balances sit below billing, so they ask instead of reading invoices and charges themselves.
import type { Executor } from '../context.ts';
import { DomainError } from '../shared/errors.ts';
import { accountHasInvoices, customerHasInvoices, owedOnInvoices } from './repo.ts';
import { accountHasCharges, deleteCustomerCharges } from './transactions-repo.ts';

/** Which billing records fix the account's currency (an amount in it), if any: invoices first, then charges. */
export async function billingRecordsPricedIn(
  db: Executor,
  accountId: number,
): Promise<'invoices' | 'charges' | undefined> {
  if (await accountHasInvoices(db, accountId)) return 'invoices';
  if (await accountHasCharges(db, accountId)) return 'charges';
  return undefined;
}

/** A customer about to be deleted: refused if it has any invoice (its history stays), else its charges go. */
export async function releaseDeletedCustomer(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<void> {
  if (await customerHasInvoices(db, accountId, customerId)) {
    throw new DomainError(
      'customer_has_invoices',
      `customer ${customerId} has invoices and cannot be deleted`,
    );
  }
  await deleteCustomerCharges(db, accountId, customerId);
}

export { owedOnInvoices };
