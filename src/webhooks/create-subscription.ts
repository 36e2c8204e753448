import type { Ctx } from '../context.ts';
import { forgetSubscriptions } from './emit.ts';
import type { WebhookSubscriptionRow } from './repo.ts';
import { DomainError } from '../shared/errors.ts';
import { checkDescription, checkEventTypes, checkWebhookSecret, checkWebhookUrl } from './input.ts';
import { countSubscriptions, insertSubscription } from './repo.ts';
import { generateWebhookSecret } from './signature.ts';
import { checkWebhookTarget } from './target.ts';

/** Subscriptions per account: a bound, and more than any receiver layout needs. */
export const MAX_SUBSCRIPTIONS_PER_ACCOUNT = 50;

export interface CreateSubscriptionInput {
  url: string;
  eventTypes: string[];
  description?: string | null | undefined;
  enabled?: boolean | undefined;
  /** A signing secret the caller chose; without it, one is made. */
  secret?: string | undefined;
}

/** A new subscription with its secret (made here unless given); the secret is returned here, and by a rotation, only. */
export async function createWebhookSubscription(
  ctx: Ctx,
  accountId: number,
  input: CreateSubscriptionInput,
): Promise<{ subscription: WebhookSubscriptionRow; secret: string }> {
  const url = checkWebhookUrl(input.url);
  const eventTypes = checkEventTypes(input.eventTypes);
  const description = checkDescription(input.description ?? null);
  const secret = input.secret === undefined ? generateWebhookSecret() : checkWebhookSecret(input.secret);
  await checkWebhookTarget(ctx, url);
  const subscription = await ctx.db.transaction().execute(async (trx) => {
    if ((await countSubscriptions(trx, accountId)) >= MAX_SUBSCRIPTIONS_PER_ACCOUNT) {
      throw new DomainError(
        'conflict',
        `an account can have at most ${MAX_SUBSCRIPTIONS_PER_ACCOUNT} webhook subscriptions`,
      );
    }
    return insertSubscription(
      trx,
      accountId,
      { url, event_types: eventTypes, description, secret, enabled: input.enabled ?? true },
      ctx.now(),
    );
  });
  forgetSubscriptions(accountId);
  return { subscription, secret };
}
