import type { Ctx } from '../context.ts';
import type { WebhookSubscriptionRow } from './repo.ts';
import { invalid, notFound } from '../shared/errors.ts';
import { lockSubscription, updateSubscriptionRow, type SubscriptionUpdate } from './repo.ts';
import { generateWebhookSecret } from './signature.ts';

export const DEFAULT_GRACE_PERIOD_HOURS = 24;
export const MAX_GRACE_PERIOD_HOURS = 168;

/**
 * Gives a subscription a new secret. For `gracePeriodHours` (default 24; 0 ends the old secret at once,
 * for a leaked one) deliveries carry a second signature made with the old secret, so a receiver can
 * switch over without dropping any.
 */
export async function rotateWebhookSecret(
  ctx: Ctx,
  accountId: number,
  id: number,
  input: { gracePeriodHours?: number | undefined } = {},
): Promise<{ subscription: WebhookSubscriptionRow; secret: string }> {
  const hours = input.gracePeriodHours ?? DEFAULT_GRACE_PERIOD_HOURS;
  if (!Number.isInteger(hours) || hours < 0 || hours > MAX_GRACE_PERIOD_HOURS) {
    throw invalid('gracePeriodHours', `must be a whole number of hours from 0 to ${MAX_GRACE_PERIOD_HOURS}`);
  }
  const secret = generateWebhookSecret();
  const now = ctx.now();
  const subscription = await ctx.db.transaction().execute(async (trx) => {
    const current = await lockSubscription(trx, accountId, id);
    if (!current) throw notFound('Webhook', id);
    return (await updateSubscriptionRow(trx, accountId, id, {
      ...rotationValues(current, secret, hours, now),
      updated_at: now,
    }))!;
  });
  return { subscription, secret };
}

/**
 * The row changes that give a (locked) subscription `secret`, the old one still signing for `hours` (0: not
 * at all). A rotation, and a PATCH that sets a secret the caller chose, both change the secret this way.
 */
export function rotationValues(
  current: WebhookSubscriptionRow,
  secret: string,
  hours: number,
  now: Date,
): Pick<SubscriptionUpdate, 'secret' | 'previous_secret' | 'previous_secret_expires_at'> {
  return {
    secret,
    previous_secret: hours > 0 ? current.secret : null,
    previous_secret_expires_at: hours > 0 ? new Date(now.getTime() + hours * 3600_000) : null,
  };
}
