import type { Ctx } from '../context.ts';
import { forgetSubscriptions } from './emit.ts';
import type { WebhookSubscriptionRow } from '../db/schema-webhooks.ts';
import { notFound } from '../shared/errors.ts';
import { checkDescription, checkEventTypes, checkWebhookUrl } from './input.ts';
import { lockSubscription, updateSubscriptionRow, type SubscriptionUpdate } from './repo.ts';

export interface UpdateSubscriptionInput {
  url?: string | undefined;
  eventTypes?: string[] | undefined;
  description?: string | null | undefined;
  enabled?: boolean | undefined;
}

/** Changes a subscription. Disabling it stops deliveries: those not yet sent are called off when due. */
export async function updateWebhookSubscription(ctx: Ctx, accountId: number, id: number, input: UpdateSubscriptionInput): Promise<WebhookSubscriptionRow> {
  const values: SubscriptionUpdate = { updated_at: ctx.now() };
  if (input.url !== undefined) values.url = checkWebhookUrl(input.url);
  if (input.eventTypes !== undefined) values.event_types = checkEventTypes(input.eventTypes);
  if (input.description !== undefined) values.description = checkDescription(input.description);
  if (input.enabled !== undefined) values.enabled = input.enabled;
  const updated = await ctx.db.transaction().execute(async (trx) => {
    if (!(await lockSubscription(trx, accountId, id))) throw notFound('Webhook', id);
    return (await updateSubscriptionRow(trx, accountId, id, values))!;
  });
  forgetSubscriptions(accountId);
  return updated;
}
