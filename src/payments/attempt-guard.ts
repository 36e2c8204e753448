// The payment page's guard against card testing: a link takes at most a few declined cards an hour, and a
// bounded number in all. Checked before the gateway is asked; declined attempts are what count.
import type { Ctx } from '../context.ts';
import { DomainError } from '../shared/errors.ts';
import { countDeclinedAttempts } from './plans-repo.ts';

export const MAX_DECLINES_PER_HOUR = 5;
export const MAX_DECLINES_PER_LINK = 20;

export async function assertAttemptsAllowed(ctx: Ctx, accountId: number, requestId: number): Promise<void> {
  const lastHour = await countDeclinedAttempts(
    ctx.db,
    accountId,
    requestId,
    new Date(ctx.now().getTime() - 3600_000),
  );
  if (lastHour >= MAX_DECLINES_PER_HOUR) {
    throw new DomainError(
      'rate_limited',
      `too many declined cards on this link: ${MAX_DECLINES_PER_HOUR} in the last hour. Try again later.`,
    );
  }
  const ever = await countDeclinedAttempts(ctx.db, accountId, requestId, null);
  if (ever >= MAX_DECLINES_PER_LINK) {
    throw new DomainError(
      'rate_limited',
      `this link has had ${MAX_DECLINES_PER_LINK} declined cards and takes no more; ask the sender for a new link.`,
    );
  }
}
