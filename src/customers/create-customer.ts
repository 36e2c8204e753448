import type { Ctx } from '../context.ts';
import { checkDiscountPlanId } from '../discounts/manage-discount-plans.ts';
import { checkRateCardId } from '../rate-cards/manage-rate-cards.ts';
import type { CustomerRow } from './repo.ts';
import { DomainError, invalid } from '../shared/errors.ts';
import { openLedgerIfControlled } from '../balances/open-ledger.ts';
import { customerColumns, type CustomerInput } from './input.ts';
import { findCustomerByAccountNumber, insertCustomer } from './repo.ts';

export async function createCustomer(
  ctx: Ctx,
  accountId: number,
  input: CustomerInput & { name: string },
): Promise<CustomerRow> {
  const columns = customerColumns(input);
  if (!columns.name) throw invalid('name', 'is required');
  return ctx.db.transaction().execute(async (trx) => {
    await checkRateCardId(trx, accountId, columns.rate_card_id, 'rateCardID');
    await checkDiscountPlanId(trx, accountId, columns.discount_plan_id);
    if (columns.account_number) {
      const clash = await findCustomerByAccountNumber(trx, accountId, columns.account_number);
      if (clash)
        throw new DomainError(
          'account_number_in_use',
          `accountNumber ${columns.account_number} belongs to customer ${clash.id}`,
        );
    }
    const now = ctx.now();
    const customer = await insertCustomer(trx, {
      ...columns,
      name: columns.name!,
      account_id: accountId,
      created_at: now,
      updated_at: now,
    });
    // Prepaid, or a credit limit: the customer's balance and ledger start now.
    await openLedgerIfControlled(ctx, trx, accountId, customer, now);
    return customer;
  });
}
