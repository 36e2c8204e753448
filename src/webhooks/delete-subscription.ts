import type { Ctx } from '../context.ts';
import { forgetSubscriptions } from './emit.ts';
import type { WebhookSubscriptionRow } from './repo.ts';
import { notFound } from '../shared/errors.ts';
import { deleteSubscriptionRow, lockSubscription } from './repo.ts';

/** Deletes a subscription and its delivery log; deliveries not yet made are called off. */
export async function deleteWebhookSubscription(
  ctx: Ctx,
  accountId: number,
  id: number,
): Promise<WebhookSubscriptionRow> {
  const deleted = await ctx.db.transaction().execute(async (trx) => {
    const subscription = await lockSubscription(trx, accountId, id);
    if (!subscription) throw notFound('Webhook', id);
    await deleteSubscriptionRow(trx, accountId, id, ctx.now());
    return subscription;
  });
  forgetSubscriptions(accountId);
  return deleted;
}
