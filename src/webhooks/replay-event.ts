import type { Ctx } from '../context.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { WEBHOOK_MAX_ATTEMPTS } from './backoff.ts';
import {
  findDeliveriesByIds,
  findDelivery,
  findEventByPublicId,
  findSubscription,
  insertReplayDeliveries,
  subscriberIds,
  type DeliveryListRow,
} from './repo.ts';

/**
 * Sends a stored event again, with the same event id (receivers that de-duplicate skip it): to one
 * subscription, or to every enabled subscription that takes its type. Each gets a new delivery, retried
 * like any other.
 */
export async function replayWebhookEvent(
  ctx: Ctx,
  accountId: number,
  publicId: string,
  input: { webhookId?: number | undefined } = {},
): Promise<DeliveryListRow[]> {
  return ctx.db.transaction().execute(async (trx) => {
    const event = await findEventByPublicId(trx, accountId, publicId);
    if (!event) throw notFound('Event', publicId);
    let targets: number[];
    if (input.webhookId !== undefined) {
      const subscription = await findSubscription(trx, accountId, input.webhookId);
      if (!subscription) throw notFound('Webhook', input.webhookId);
      if (!subscription.enabled)
        throw new DomainError('conflict', `webhook ${input.webhookId} is disabled; enable it first`);
      targets = [subscription.id];
    } else {
      targets = await subscriberIds(trx, accountId, event.type);
      if (targets.length === 0)
        throw new DomainError('conflict', `no enabled webhook takes ${event.type} events`);
    }
    const ids = await insertReplayDeliveries(
      trx,
      accountId,
      event.id,
      targets,
      ctx.now(),
      WEBHOOK_MAX_ATTEMPTS,
    );
    return findDeliveriesByIds(trx, accountId, ids);
  });
}

/** Sends a delivery's event again to the same subscription, as a new delivery. */
export async function replayWebhookDelivery(
  ctx: Ctx,
  accountId: number,
  subscriptionId: number,
  deliveryId: number,
): Promise<DeliveryListRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const subscription = await findSubscription(trx, accountId, subscriptionId);
    if (!subscription) throw notFound('Webhook', subscriptionId);
    const delivery = await findDelivery(trx, accountId, subscriptionId, deliveryId);
    if (!delivery) throw notFound('Delivery', deliveryId);
    if (!subscription.enabled)
      throw new DomainError('conflict', `webhook ${subscriptionId} is disabled; enable it first`);
    const [id] = await insertReplayDeliveries(
      trx,
      accountId,
      delivery.event_id,
      [subscriptionId],
      ctx.now(),
      WEBHOOK_MAX_ATTEMPTS,
    );
    return (await findDeliveriesByIds(trx, accountId, [id!]))[0]!;
  });
}
