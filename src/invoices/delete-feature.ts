import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import { lockCustomer } from '../customers/repo.ts';
import { recalculateInvoices } from './recalculate.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { deleteFeatureCharges } from './transactions-repo.ts';
import { featureChargeInvoices } from './invoice-charges-repo.ts';
import { deleteFeatureRow, findFeature } from '../features/repo.ts';

/**
 * Deletes a feature that has never been billed on a raised invoice, with its unbilled and unsent charges.
 * A feature with billing history is kept: end it with an end date instead.
 */
export async function deleteFeature(ctx: Ctx, accountId: number, featureId: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const account = await findAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    const feature = await findFeature(trx, accountId, featureId);
    if (!feature) throw notFound('Feature', featureId);
    await lockCustomer(trx, accountId, feature.customer_id);
    const { raised, unsentInvoiceIds } = await featureChargeInvoices(trx, accountId, featureId);
    if (raised) {
      throw new DomainError(
        'feature_has_billed_charges',
        `feature ${featureId} has charges on approved invoices; set an end date instead`,
      );
    }
    await deleteFeatureCharges(trx, accountId, featureId);
    await deleteFeatureRow(trx, accountId, featureId);
    await recalculateInvoices(trx, account, unsentInvoiceIds, ctx.now());
  });
}
