import type { Ctx } from '../context.ts';
import { publish } from '../shared/events.ts';
import { checkRateCardId } from '../rate-cards/manage-rate-cards.ts';
import { findAccount } from '../accounts/repo.ts';
import { lockCustomer } from '../customers/repo.ts';
import type { FeatureRow } from './repo.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { accountToday } from '../shared/today.ts';
import { checkFeature, featureColumns, type FeatureInput } from './input.ts';
import { findFeature, findPhoneNumberClash, updateFeatureRow } from './repo.ts';

/**
 * Changes a feature. A new recurring value applies to periods not yet charged. Setting an end date before
 * the date the feature is billed up to credits the unused days on the next invoice. The start date is fixed
 * once the feature has been charged.
 */
export async function updateFeature(
  ctx: Ctx,
  accountId: number,
  featureId: number,
  input: FeatureInput,
): Promise<FeatureRow> {
  const feature = await ctx.db.transaction().execute(async (trx) => {
    const account = await findAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    const seen = await findFeature(trx, accountId, featureId);
    if (!seen) throw notFound('Feature', featureId);
    await lockCustomer(trx, accountId, seen.customer_id);
    const current = (await findFeature(trx, accountId, featureId))!;
    const columns = featureColumns(input, account);
    await checkRateCardId(trx, accountId, columns.rate_card_id, 'rateCardID');
    if (
      columns.start_date !== undefined &&
      columns.start_date !== current.start_date &&
      current.billed_until !== null
    ) {
      throw invalid(
        'startDate',
        'cannot change once the feature has been charged; set an end date and add a new feature',
      );
    }
    const merged = { ...current, ...columns } as FeatureRow;
    if (merged.recurring_value !== null && merged.recurring_frequency === null)
      merged.recurring_frequency = 'monthly';
    if (merged.recurring_value === null) merged.recurring_frequency = null;
    // As on create: a recurring charge added later starts today unless told otherwise.
    if (merged.recurring_value !== null && merged.start_date === null)
      merged.start_date = accountToday(account, ctx.now());
    checkFeature(merged);
    if (merged.phone_number) {
      const clash = await findPhoneNumberClash(
        trx,
        accountId,
        merged.phone_number,
        merged.start_date,
        merged.end_date,
        featureId,
      );
      if (clash)
        throw new DomainError(
          'phone_number_in_use',
          `phone number ${merged.phone_number} is in use by feature ${clash.id} over the same dates`,
        );
    }
    const updated = await updateFeatureRow(trx, accountId, featureId, {
      ...columns,
      recurring_frequency: merged.recurring_frequency,
      start_date: merged.start_date,
      updated_at: ctx.now(),
    });
    if (!updated) throw notFound('Feature', featureId);
    return updated;
  });
  // Calls that were waiting for this number are priced now.
  if (feature.phone_number)
    await publish(ctx, {
      type: 'rating-basis-changed',
      accountId,
      scope: { onlyWaiting: true, number: feature.phone_number },
    });
  return feature;
}
