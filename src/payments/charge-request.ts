// Paying a request by card (the hosted page): guards first (the link works, the amount is allowed), then a
// pending attempt is recorded under the invoice's lock with the guards checked again (card-attempt.ts: at
// most one card payment is in flight per invoice, so concurrent payments never charge twice), then the
// gateway is asked (outside any transaction: it is a network call), then one transaction applies the payment,
// settles the attempt and queues the receipts. A declined attempt is recorded with its reason and the payer
// may try again. A form sent again (its form token) answers the first attempt's result. An approved charge
// that still cannot be applied is refunded through the outbox, recorded on the attempt and logged.
import type { Ctx, Executor } from '../context.ts';
import { findRequestByToken, type PaymentRequestRow } from '../collections/repo.ts';
import { requestFacts } from './reports-repo.ts';
import { statesOf } from '../collections/states.ts';
import { DomainError, invalid } from '../shared/errors.ts';
import { currencyMinorDigits, formatAmount, money } from '../money/money.ts';
import { paymentAmount } from './apply-payment.ts';
import { applyRequestCharge } from './apply-charge.ts';
import { assertAttemptsAllowed } from './attempt-guard.ts';
import { findAttemptByFormToken } from './attempts-repo.ts';
import { beginAttempt, chargeAttempt, finishAttempt, settledAttempt } from './card-attempt.ts';
import type { CardInput } from './gateway.ts';
import type { AttemptRow } from './repo.ts';
import { settleStalePending } from './resolve-pending.ts';

export interface ChargeRequestInput {
  token: string;
  amount: string;
  card?: CardInput | undefined;
  cardToken?: string | undefined;
  saveCard?: boolean | undefined;
  /** The page form's token: the same form sent again answers the first result. */
  formToken?: string | undefined;
}

export interface ChargeRequestResult {
  attempt: {
    id: number;
    outcome: 'approved' | 'declined';
    declineReason: string | null;
    amount: string;
    cardLast4: string | null;
  };
  paymentId: number | null;
  cardToken: string | null;
  /** Left to pay after this attempt. */
  outstanding: string;
  invoiceBecamePaid: boolean;
  /** True when this answers a form sent earlier (nothing was charged now). */
  replayed?: boolean;
}

/** The guards of a payment on a request, on what is read now (before the lock, and again under it). */
async function checkPayable(db: Executor, ctx: Ctx, found: PaymentRequestRow, amount: string): Promise<void> {
  const [facts] = await requestFacts(db, found.account_id, { ids: [Number(found.id)], limit: 1 });
  const states = statesOf(facts!, ctx.now());
  const outstanding = formatAmount(states.outstanding, currencyMinorDigits(found.currency));
  if (facts!.cancelled_at !== null) throw new DomainError('conflict', 'this payment link has been cancelled');
  if (states.expired) throw new DomainError('conflict', 'this payment link has expired');
  if (!money(states.outstanding).greaterThan(0))
    throw new DomainError('conflict', 'nothing is left to pay on this link');
  if (money(amount).greaterThan(states.outstanding))
    throw invalid('amount', `${amount} is more than the ${outstanding} outstanding`);
  if (!found.allow_partial && !money(amount).equals(states.outstanding))
    throw invalid(
      'amount',
      `must be the whole ${outstanding} outstanding (part payments are not allowed on this link)`,
    );
}

async function outstandingOf(ctx: Ctx, found: PaymentRequestRow): Promise<string> {
  const [facts] = await requestFacts(ctx.db, found.account_id, { ids: [Number(found.id)], limit: 1 });
  return formatAmount(statesOf(facts!, ctx.now()).outstanding, currencyMinorDigits(found.currency));
}

/** The answer of a settled attempt (a form sent again, or a payment that waited for it). */
export async function answerOfAttempt(
  ctx: Ctx,
  found: PaymentRequestRow,
  attempt: AttemptRow,
): Promise<ChargeRequestResult> {
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
  return {
    attempt: {
      id: Number(attempt.id),
      outcome: attempt.outcome,
      declineReason: attempt.decline_reason,
      amount: attempt.amount,
      cardLast4: attempt.card_last4,
    },
    paymentId: attempt.payment_id === null ? null : Number(attempt.payment_id),
    cardToken: null,
    outstanding: await outstandingOf(ctx, found),
    invoiceBecamePaid: false,
    replayed: true,
  };
}

export async function chargeRequest(ctx: Ctx, input: ChargeRequestInput): Promise<ChargeRequestResult> {
  const found = await findRequestByToken(ctx.db, input.token);
  if (!found) throw new DomainError('not_found', 'no such payment link');
  const accountId = found.account_id;
  const requestId = Number(found.id);
  const invoiceId = found.invoice_id === null ? null : Number(found.invoice_id);
  const amount = paymentAmount(input.amount, found.currency);
  if ((input.card === undefined) === (input.cardToken === undefined))
    throw invalid('card', 'give the card details (or a saved card token), once');
  if (input.formToken !== undefined) {
    const replay = await formReplay(ctx, found, input.formToken);
    if (replay) return replay;
  }
  await checkPayable(ctx.db, ctx, found, amount);
  // Card testing: a link takes only a few declined cards (the page helper's guard, attempt-guard.ts).
  await assertAttemptsAllowed(ctx, accountId, requestId);
  // A card payment a dead process left pending on this invoice is settled first (from the gateway's record).
  await settleStalePending(ctx, accountId, invoiceId, requestId);

  const begun = await beginAttempt(
    ctx,
    {
      accountId,
      requestId,
      invoiceId,
      purpose: 'payment',
      amount,
      principal: amount,
      currency: found.currency,
      formToken: input.formToken,
    },
    (trx) => checkPayable(trx, ctx, found, amount),
  );
  if (begun.kind === 'replay')
    return answerOfAttempt(ctx, found, await settledAttempt(ctx, accountId, Number(begun.attempt.id)));
  const result = await chargeAttempt(ctx, begun.attempt, {
    card: input.card,
    cardToken: input.cardToken,
    saveCard: input.saveCard,
    description: `Payment request ${requestId}`,
  });
  const finished = await finishAttempt(ctx, begun.attempt, result, (trx, attempt, approved) =>
    applyRequestCharge(trx, ctx, attempt, approved),
  );
  const attempt = finished.attempt;
  const view = {
    id: Number(attempt.id),
    outcome: attempt.outcome as 'approved' | 'declined',
    declineReason: attempt.decline_reason,
    amount,
    cardLast4: attempt.card_last4,
  };
  if (finished.kind === 'declined') {
    return {
      attempt: view,
      paymentId: null,
      cardToken: null,
      outstanding: await outstandingOf(ctx, found),
      invoiceBecamePaid: false,
    };
  }
  const applied = finished.value.applied;
  return {
    attempt: view,
    paymentId: Number(applied.payment.id),
    cardToken: result.outcome === 'approved' ? (result.cardToken ?? null) : null,
    outstanding: applied.outstanding,
    invoiceBecamePaid: applied.invoiceBecamePaid,
  };
}

/** A form sent before: its attempt's result (waited for while it is being charged), or undefined. */
export async function formReplay(
  ctx: Ctx,
  found: PaymentRequestRow,
  formToken: string,
): Promise<ChargeRequestResult | undefined> {
  const first = await findAttemptByFormToken(ctx.db, found.account_id, Number(found.id), formToken);
  if (!first) return undefined;
  return answerOfAttempt(ctx, found, await settledAttempt(ctx, found.account_id, Number(first.id)));
}
