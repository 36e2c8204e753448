import type { Ctx } from '../context.ts';
import { notFound } from '../shared/errors.ts';
import { publish } from '../shared/events.ts';
import { deleteCustomerCascade, lockCustomer } from './repo.ts';

/**
 * Deletes a customer that has never been invoiced, with its features and unbilled charges.
 * A customer with any invoice (unsent or raised) is refused: its history must stay.
 */
export async function deleteCustomer(ctx: Ctx, accountId: number, customerId: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const customer = await lockCustomer(trx, accountId, customerId);
    if (!customer) throw notFound('Customer', customerId);
    // Billing refuses a customer with invoices, and takes its unbilled charges away.
    await publish(ctx, { type: 'customer-deleting', db: trx, accountId, customerId });
    await deleteCustomerCascade(trx, accountId, customerId);
  });
}
