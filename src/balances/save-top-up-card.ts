// "Save this card for automatic top-ups": a customer paying a top-up's payment link (the pay page, reached
// from the portal or from a top-up request) may keep the card with the gateway; its token becomes the card
// the automatic top-up charges (set-auto-top-up.ts keeps the threshold and amount). Only a top-up's link
// offers it: a card is saved for the balance it tops up, never from another payment.
import type { Ctx, Executor } from '../context.ts';
import { findTopUpByRequest, insertBalanceRow, saveAutoTopUpCard } from './repo.ts';

/** The top-up a payment request pays, if it pays one. */
export async function topUpOfRequest(db: Executor, accountId: number, requestId: number) {
  return findTopUpByRequest(db, accountId, requestId);
}

/** Saves the card a top-up was paid with as the customer's card for automatic top-ups. */
export async function saveTopUpCard(
  ctx: Ctx,
  accountId: number,
  requestId: number,
  card: { token: string; last4: string | null },
): Promise<boolean> {
  return ctx.db.transaction().execute(async (trx) => {
    const topUp = await findTopUpByRequest(trx, accountId, requestId);
    if (!topUp) return false;
    const now = ctx.now();
    await insertBalanceRow(trx, accountId, topUp.customer_id, topUp.currency, now);
    return saveAutoTopUpCard(trx, accountId, topUp.customer_id, card.token, card.last4, now);
  });
}
