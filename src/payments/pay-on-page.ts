// A payment made on the hosted page: the whole outstanding, a part, or one instalment of the link's plan.
// Guards against card testing first (attempt-guard.ts), then hands over to chargeRequest (the request) or
// chargeInstalment (an instalment of its plan).
import type { Ctx } from '../context.ts';
import { findRequestByToken } from '../collections/repo.ts';
import { DomainError, invalid } from '../shared/errors.ts';
import { assertAttemptsAllowed } from './attempt-guard.ts';
import { chargeRequest } from './charge-request.ts';
import type { CardInput } from './gateway.ts';
import { chargeInstalment } from './pay-instalment.ts';
import { activePlan } from './repo.ts';
import { saveTopUpCard, topUpOfRequest } from '../balances/save-top-up-card.ts';
import { findAttemptByFormToken } from './attempts-repo.ts';
import { FORM_TOKEN_PATTERN, settledAttempt } from './card-attempt.ts';

export interface PayOnPageInput {
  token: string;
  card: CardInput;
  /** The amount to pay (full or part); ignored when paying an instalment. */
  amount?: string | undefined;
  /** Pay this instalment (seq) of the link's plan. */
  instalment?: number | undefined;
  /** Keep the card for the automatic top-up of the balance this link tops up (a top-up's link only). */
  saveCard?: boolean | undefined;
  /** The form's token (a hidden field of the page): the same form sent again answers the first result. */
  formToken?: string | undefined;
}

export type PayOnPageResult =
  | {
      outcome: 'approved';
      attemptId: number;
      paymentId: number | null;
      amount: string;
      outstanding: string;
      cardSaved?: boolean;
    }
  | { outcome: 'declined'; attemptId: number; reason: string; amount: string };

export async function payOnPage(ctx: Ctx, input: PayOnPageInput): Promise<PayOnPageResult> {
  const request = await findRequestByToken(ctx.db, input.token);
  if (!request) throw new DomainError('not_found', 'no such payment link');
  const accountId = request.account_id;
  const requestId = Number(request.id);
  const plan = await activePlan(ctx.db, accountId, requestId);
  if (input.instalment !== undefined) {
    if (!plan) throw new DomainError('conflict', 'this link has no active instalment plan');
    const instalment = plan.instalments.find((i) => i.seq === input.instalment);
    if (!instalment) throw invalid('instalment', `the plan has no instalment ${input.instalment}`);
    const result = await chargeInstalment(ctx, {
      accountId,
      planId: Number(plan.plan.id),
      seq: instalment.seq,
      card: input.card,
      via: 'page',
      formToken: input.formToken,
    });
    if (result.outcome === 'settled')
      throw new DomainError('conflict', 'nothing is left to pay on this link');
    if (result.outcome === 'declined')
      return {
        outcome: 'declined',
        attemptId: result.attemptId,
        reason: result.reason,
        amount: result.charged,
      };
    return {
      outcome: 'approved',
      attemptId: result.attemptId,
      paymentId: result.paymentId,
      amount: result.charged,
      outstanding: result.outstanding,
    };
  }
  if (plan)
    throw new DomainError('conflict', 'this link is being paid by an instalment plan: pay its instalments');
  if (input.amount === undefined) throw invalid('amount', 'give the amount to pay');
  const saveCard = input.saveCard === true;
  if (saveCard && !(await topUpOfRequest(ctx.db, accountId, requestId))) {
    throw invalid(
      'saveCard',
      'a card is saved only for the automatic top-up of a prepaid balance, when paying a top-up',
    );
  }
  await assertAttemptsAllowed(ctx, accountId, requestId);
  const result = await chargeRequest(ctx, {
    token: input.token,
    amount: input.amount,
    card: input.card,
    formToken: input.formToken,
    saveCard,
  });
  if (result.attempt.outcome === 'declined') {
    return {
      outcome: 'declined',
      attemptId: result.attempt.id,
      reason: result.attempt.declineReason ?? 'card_declined',
      amount: result.attempt.amount,
    };
  }
  // The payment is recorded (and the balance credited); keeping the card is a change of its own after it.
  const cardSaved =
    saveCard && result.cardToken !== null
      ? await saveTopUpCard(ctx, accountId, requestId, {
          token: result.cardToken,
          last4: result.attempt.cardLast4,
        })
      : false;
  return {
    outcome: 'approved',
    attemptId: result.attempt.id,
    paymentId: result.paymentId,
    amount: result.attempt.amount,
    outstanding: result.outstanding,
    cardSaved,
  };
}

export type FormReplay =
  | {
      outcome: 'approved';
      attemptId: number;
      paymentId: number | null;
      planId: number | null;
      amount: string;
    }
  | { outcome: 'declined'; attemptId: number; reason: string; amount: string };

/**
 * A page form (payment or plan) sent again: the first attempt's result, waited for while it is being charged;
 * undefined when the form was never sent. Asked before anything else, so a form sent again after it paid the
 * link in full still answers its payment, not "nothing left to pay".
 */
export async function replayPageForm(
  ctx: Ctx,
  token: string,
  formToken: string,
): Promise<FormReplay | undefined> {
  if (!FORM_TOKEN_PATTERN.test(formToken)) return undefined;
  const request = await findRequestByToken(ctx.db, token);
  if (!request) return undefined;
  const first = await findAttemptByFormToken(ctx.db, request.account_id, Number(request.id), formToken);
  if (!first) return undefined;
  const attempt = await settledAttempt(ctx, request.account_id, Number(first.id));
  if (attempt.outcome === 'pending')
    throw new DomainError(
      'conflict',
      'this payment is still being processed: wait a moment and reload the page (nothing is charged twice)',
    );
  if (attempt.outcome === 'not_charged')
    throw new DomainError(
      'action_failed',
      'the card could not be charged (the payment service failed); nothing was taken: try again',
    );
  if (attempt.outcome === 'declined')
    return {
      outcome: 'declined',
      attemptId: Number(attempt.id),
      reason: attempt.decline_reason ?? 'card_declined',
      amount: attempt.amount,
    };
  return {
    outcome: 'approved',
    attemptId: Number(attempt.id),
    paymentId: attempt.payment_id === null ? null : Number(attempt.payment_id),
    planId: attempt.instalment_plan_id === null ? null : Number(attempt.instalment_plan_id),
    amount: attempt.amount,
  };
}
