import type { Ctx } from '../context.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { customerHasInvoices, deleteCustomerCascade, lockCustomer } from './repo.ts';

/**
 * Deletes a customer that has never been invoiced, with its features and unbilled charges.
 * A customer with any invoice (unsent or raised) is refused: its history must stay.
 */
export async function deleteCustomer(ctx: Ctx, accountId: number, customerId: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const customer = await lockCustomer(trx, accountId, customerId);
    if (!customer) throw notFound('Customer', customerId);
    if (await customerHasInvoices(trx, accountId, customerId)) {
      throw new DomainError(
        'customer_has_invoices',
        `customer ${customerId} has invoices and cannot be deleted`,
      );
    }
    await deleteCustomerCascade(trx, accountId, customerId);
  });
}
