// The automatic top-up, run by the outbox worker (job 'balance.auto_top_up', queued when a prepaid balance
// falls below its threshold): the customer's saved card is charged through the payment gateway for the set
// amount, by a standalone payment request (link only, never sent) so that the charge is a payment like any
// other (attempts, refunds, the collections report); its payment credits the balance (payment-hooks.ts).
//   - once: a top-up whose request is paid is not charged again, however often the job runs;
//   - retried: a gateway failure (processing_error, a network error) throws, and the outbox retries with backoff;
//   - a decline fails the top-up and emails the customer, with the payment link (PUBLIC_URL) to top up by hand;
//   - crash-safe: the charge is a card attempt of the payments module, recorded pending with its gateway
//     idempotency key before the card is charged and settled from the gateway's record after a crash.
import { createPaymentRequests } from '../collections/create-request.ts';
import { findRequest } from '../collections/repo.ts';
import type { AutoTopUpJob } from '../balances/after-change.ts';
import { publicUrlOf } from '../context.ts';
import { findAccountSender } from '../accounts/repo.ts';
import { findBalance, findTopUp, lockTopUp, updateTopUp } from '../balances/repo.ts';
import { chargeRequest } from '../payments/charge-request.ts';
import { enqueue } from '../outbox/repo.ts';
import { PermanentJobError, type JobHandler } from '../outbox/worker.ts';
import { formatAmount, money } from '../money/money.ts';
import { roundForDisplay } from '../money/rounding.ts';

/** Declines that retrying the same card may cure. */
const TRANSIENT = new Set(['processing_error']);

export interface DeclineJob {
  topUpId: number;
}

export const runAutoTopUp: JobHandler = async (job, ctx) => {
  const { topUpId } = job.payload as AutoTopUpJob;
  const accountId = job.account_id;
  const topUp = await findTopUp(ctx.db, accountId, topUpId);
  if (!topUp) throw new PermanentJobError(`top-up ${topUpId} no longer exists`);
  if (topUp.status !== 'pending') return;
  const balance = await findBalance(ctx.db, accountId, topUp.customer_id);
  const cardToken = balance?.auto_top_up_card_token ?? null;
  if (!balance || !balance.auto_top_up_enabled || cardToken === null) {
    await updateTopUp(ctx.db, accountId, topUpId, {
      status: 'cancelled',
      failure_reason: 'the automatic top-up was switched off or has no saved card',
    });
    return;
  }
  let requestId = topUp.request_id;
  if (requestId === null) {
    const created = await createPaymentRequests(
      ctx,
      accountId,
      [
        {
          amount: money(topUp.amount).toFixed(),
          description: `Automatic top-up of the prepaid balance of ${balance.customer_name}`,
          channels: [],
          allowPartial: false,
        },
      ],
      {
        batch: false,
        baseUrl: publicUrlOf(ctx),
        inTransaction: async (trx, requests) => {
          const locked = await lockTopUp(trx, accountId, topUpId);
          if (locked?.request_id !== null) throw new Error(`top-up ${topUpId} got a request meanwhile`);
          await updateTopUp(trx, accountId, topUpId, { request_id: Number(requests[0]!.id) });
        },
      },
    );
    requestId = Number(created.requests[0]!.id);
  }
  const request = await findRequest(ctx.db, accountId, requestId);
  if (!request)
    throw new PermanentJobError(`payment request ${requestId} of top-up ${topUpId} no longer exists`);
  // Paid already (a run that charged and recorded, then stopped before the job was marked): never twice.
  if (money(request.paid_amount).greaterThanOrEqualTo(request.amount)) return;
  await updateTopUp(ctx.db, accountId, topUpId, { attempts: topUp.attempts + 1 });
  // Crash-safe by the payments module: chargeRequest records a pending attempt (with the idempotency key the
  // gateway is given) before the charge, and a retry settles an attempt a dead process left pending from the
  // gateway's record of that key (payments/resolve-pending.ts): one charge, one credit.
  const result = await chargeRequest(ctx, {
    token: request.token,
    amount: money(request.amount).toFixed(),
    cardToken,
  });
  if (result.attempt.outcome === 'approved') return;
  const reason = result.attempt.declineReason ?? 'card_declined';
  if (TRANSIENT.has(reason))
    throw new Error(`the gateway could not charge the card (${reason}); trying again later`);
  await ctx.db.transaction().execute(async (trx) => {
    await updateTopUp(trx, accountId, topUpId, { status: 'failed', failure_reason: reason });
    await enqueue(trx, {
      accountId,
      kind: 'balance.auto_top_up_declined',
      payload: { topUpId } satisfies DeclineJob,
      dedupeKey: `auto-top-up-declined:${topUpId}`,
      now: ctx.now(),
    });
  });
};

export const sendDeclineEmail: JobHandler = async (job, ctx) => {
  const { topUpId } = job.payload as DeclineJob;
  const topUp = await findTopUp(ctx.db, job.account_id, topUpId);
  if (!topUp) throw new PermanentJobError(`top-up ${topUpId} no longer exists`);
  const balance = await findBalance(ctx.db, job.account_id, topUp.customer_id);
  const account = await findAccountSender(ctx.db, job.account_id);
  if (!balance || !account) throw new PermanentJobError(`customer of top-up ${topUpId} no longer exists`);
  if (!balance.customer_email) throw new PermanentJobError('the customer has no email address');
  // The top-up's own payment link (made with PUBLIC_URL): the customer can pay it by card at once.
  const request =
    topUp.request_id === null ? undefined : await findRequest(ctx.db, job.account_id, topUp.request_id);
  const payLink = request
    ? `\n\nTop up now by card (you can save the new card for automatic top-ups): ${request.url}`
    : '';
  await ctx.services.mailer.send({
    from: `"${account.name.replace(/"/g, "'")}" <${account.email_from ?? account.email ?? 'billing@ringbill.invalid'}>`,
    to: balance.customer_email.split(/\s*[,;]\s*/),
    subject: `${account.name}: your automatic top-up was declined`,
    text: `Hello ${balance.customer_name},\n\nWe tried to top up your prepaid balance with ${topUp.currency} ${formatAmount(roundForDisplay(money(topUp.amount), 2), 2)} from your saved card${balance.auto_top_up_card_last4 ? ` ending ${balance.auto_top_up_card_last4}` : ''}, but the card was declined (${topUp.failure_reason}).\n\nYour balance is ${topUp.currency} ${formatAmount(roundForDisplay(money(balance.balance), 2), 2)}. Please top up, or update your card, to keep calling.${payLink}\n\n${account.name}`,
    attachments: [],
  });
};

export const TOP_UP_JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  'balance.auto_top_up': runAutoTopUp,
  'balance.auto_top_up_declined': sendDeclineEmail,
};
