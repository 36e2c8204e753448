import type { Ctx } from '../context.ts';
import { publish } from '../shared/events.ts';
import { checkDiscountPlanId } from '../discounts/manage-discount-plans.ts';
import { checkRateCardId } from '../rate-cards/manage-rate-cards.ts';
import type { CustomerRow } from './repo.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { openLedgerIfControlled } from '../balances/open-ledger.ts';
import { customerColumns, type CustomerInput } from './input.ts';
import { findCustomerByAccountNumber, lockCustomer, updateCustomer as updateRow } from './repo.ts';

/** Changes a customer. Raised invoices keep what they showed; unsent ones use the new details when made. */
export async function updateCustomer(
  ctx: Ctx,
  accountId: number,
  customerId: number,
  input: CustomerInput,
): Promise<CustomerRow> {
  const columns = customerColumns(input);
  const customer = await ctx.db.transaction().execute(async (trx) => {
    const customer = await lockCustomer(trx, accountId, customerId);
    if (!customer) throw notFound('Customer', customerId);
    await checkRateCardId(trx, accountId, columns.rate_card_id, 'rateCardID');
    await checkDiscountPlanId(trx, accountId, columns.discount_plan_id);
    if (columns.account_number && columns.account_number !== customer.account_number) {
      const clash = await findCustomerByAccountNumber(trx, accountId, columns.account_number);
      if (clash)
        throw new DomainError(
          'account_number_in_use',
          `accountNumber ${columns.account_number} belongs to customer ${clash.id}`,
        );
    }
    const updated = await updateRow(trx, accountId, customerId, { ...columns, updated_at: ctx.now() });
    if (!updated) throw notFound('Customer', customerId);
    // Becoming prepaid, or given a credit limit: the ledger starts (a postpaid one from what is owed now).
    await openLedgerIfControlled(ctx, trx, accountId, updated, ctx.now());
    return updated;
  });
  // The customer's calls that were waiting for a rate card may be priced now.
  if (columns.rate_card_id != null)
    await publish(ctx, { type: 'rating-basis-changed', accountId, scope: { onlyWaiting: true, customerId } });
  return customer;
}
