import type { Ctx } from '../context.ts';
import { forgetSubscriptions } from './emit.ts';
import type { WebhookSubscriptionRow } from './repo.ts';
import { notFound } from '../shared/errors.ts';
import { checkDescription, checkEventTypes, checkWebhookSecret, checkWebhookUrl } from './input.ts';
import { lockSubscription, updateSubscriptionRow, type SubscriptionUpdate } from './repo.ts';
import { DEFAULT_GRACE_PERIOD_HOURS, rotationValues } from './rotate-secret.ts';
import { checkWebhookTarget } from './target.ts';

export interface UpdateSubscriptionInput {
  url?: string | undefined;
  eventTypes?: string[] | undefined;
  description?: string | null | undefined;
  enabled?: boolean | undefined;
  /** A new signing secret the caller chose: a rotation, the old secret signing too for the default grace period. */
  secret?: string | undefined;
}

/**
 * Changes a subscription. Disabling (pausing) it stops deliveries: those not yet sent are called off when
 * due; its events are still recorded. A new secret replaces the old one as rotateWebhookSecret does.
 */
export async function updateWebhookSubscription(
  ctx: Ctx,
  accountId: number,
  id: number,
  input: UpdateSubscriptionInput,
): Promise<WebhookSubscriptionRow> {
  const values: SubscriptionUpdate = { updated_at: ctx.now() };
  if (input.url !== undefined) values.url = checkWebhookUrl(input.url);
  if (input.eventTypes !== undefined) values.event_types = checkEventTypes(input.eventTypes);
  if (input.description !== undefined) values.description = checkDescription(input.description);
  if (input.enabled !== undefined) values.enabled = input.enabled;
  const secret = input.secret === undefined ? undefined : checkWebhookSecret(input.secret);
  if (values.url !== undefined) await checkWebhookTarget(ctx, values.url);
  const updated = await ctx.db.transaction().execute(async (trx) => {
    const current = await lockSubscription(trx, accountId, id);
    if (!current) throw notFound('Webhook', id);
    // The same secret again is no rotation: the old one must not start signing as "previous".
    if (secret !== undefined && secret !== current.secret)
      Object.assign(values, rotationValues(current, secret, DEFAULT_GRACE_PERIOD_HOURS, values.updated_at));
    return (await updateSubscriptionRow(trx, accountId, id, values))!;
  });
  forgetSubscriptions(accountId);
  return updated;
}
