import type { Ctx } from '../context.ts';
import { publish } from '../shared/events.ts';
import { checkRateCardId } from '../rate-cards/manage-rate-cards.ts';
import { findAccount } from '../accounts/repo.ts';
import { lockCustomer } from '../customers/repo.ts';
import type { FeatureRow } from './repo.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { accountToday } from '../shared/today.ts';
import { checkFeature, featureColumns, type FeatureInput } from './input.ts';
import { findPhoneNumberClash, insertFeature } from './repo.ts';

/**
 * Adds a feature (a number, a line, a licence) to a customer. With a recurring charge, the frequency
 * defaults to monthly, billing to in advance, and the start date to today in the account's timezone.
 */
export async function createFeature(
  ctx: Ctx,
  accountId: number,
  customerId: number,
  input: FeatureInput & { name: string },
): Promise<FeatureRow> {
  const feature = await ctx.db.transaction().execute(async (trx) => {
    const account = await findAccount(trx, accountId);
    if (!account) throw notFound('Account', accountId);
    if (!(await lockCustomer(trx, accountId, customerId))) throw notFound('Customer', customerId);
    const columns = featureColumns(input, account);
    await checkRateCardId(trx, accountId, columns.rate_card_id, 'rateCardID');
    if (!columns.name) throw invalid('name', 'is required');
    const now = ctx.now();
    const recurring = columns.recurring_value != null;
    const row = {
      ...columns,
      account_id: accountId,
      customer_id: customerId,
      name: columns.name,
      phone_number: columns.phone_number ?? null,
      recurring_value: columns.recurring_value ?? null,
      recurring_frequency: columns.recurring_frequency ?? (recurring ? 'monthly' : null),
      start_date: columns.start_date ?? (recurring ? accountToday(account, now) : null),
      end_date: columns.end_date ?? null,
      vat_rate: columns.vat_rate ?? null,
      created_at: now,
      updated_at: now,
    } as const;
    checkFeature(row);
    if (row.phone_number) {
      const clash = await findPhoneNumberClash(
        trx,
        accountId,
        row.phone_number,
        row.start_date,
        row.end_date,
        undefined,
      );
      if (clash)
        throw new DomainError(
          'phone_number_in_use',
          `phone number ${row.phone_number} is in use by feature ${clash.id} over the same dates`,
        );
    }
    return insertFeature(trx, row);
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
