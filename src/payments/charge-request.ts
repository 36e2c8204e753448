// Paying a request by card (the hosted page): guards first (the link works, the amount is allowed), then
// the gateway is asked (outside any transaction: it is a network call), then one transaction records the
// attempt and, when approved, applies the payment and queues the receipts. A declined attempt is recorded
// with its reason and the payer may try again. If the payment cannot be applied after the gateway approved
// it (a concurrent payment took the outstanding), the charge is refunded through the gateway.
import type { Ctx } from '../context.ts';
import { findRequestByToken, requestFacts } from '../collections/repo.ts';
import { statesOf } from '../collections/states.ts';
import { DomainError, invalid } from '../shared/errors.ts';
import { currencyMinorDigits, formatAmount, money } from '../shared/money.ts';
import { applyPayment, paymentAmount } from './apply-payment.ts';
import { assertAttemptsAllowed } from './attempt-guard.ts';
import type { CardInput, ChargeResult } from './gateway.ts';
import { linkAttemptToPayment } from './repo.ts';
import { queueReceipts, receiptTargets } from './queue-receipts.ts';
import { recordAttempt } from './record-attempt.ts';
import { gatewayOf } from './services.ts';
import { testHold } from '../shared/test-hold.ts';

export interface ChargeRequestInput {
  token: string;
  amount: string;
  card?: CardInput | undefined;
  cardToken?: string | undefined;
  saveCard?: boolean | undefined;
  /** Sent to the gateway (see ChargeInput): the same key again is answered with the first charge. */
  idempotencyKey?: string | undefined;
}

export interface ChargeRequestResult {
  attempt: { id: number; outcome: 'approved' | 'declined'; declineReason: string | null; amount: string; cardLast4: string | null };
  paymentId: number | null;
  cardToken: string | null;
  /** Left to pay after this attempt. */
  outstanding: string;
  invoiceBecamePaid: boolean;
}

export async function chargeRequest(ctx: Ctx, input: ChargeRequestInput): Promise<ChargeRequestResult> {
  const found = await findRequestByToken(ctx.db, input.token);
  if (!found) throw new DomainError('not_found', 'no such payment link');
  const accountId = found.account_id;
  const [facts] = await requestFacts(ctx.db, accountId, { ids: [Number(found.id)], limit: 1 });
  const states = statesOf(facts!, ctx.now());
  const outstanding = formatAmount(states.outstanding, currencyMinorDigits(found.currency));
  if (found.cancelled_at !== null) throw new DomainError('conflict', 'this payment link has been cancelled');
  if (states.expired) throw new DomainError('conflict', 'this payment link has expired');
  const amount = paymentAmount(input.amount, found.currency);
  if (!money(states.outstanding).greaterThan(0)) throw new DomainError('conflict', 'nothing is left to pay on this link');
  if (money(amount).greaterThan(states.outstanding)) throw invalid('amount', `${amount} is more than the ${outstanding} outstanding`);
  if (!found.allow_partial && !money(amount).equals(states.outstanding)) throw invalid('amount', `must be the whole ${outstanding} outstanding (part payments are not allowed on this link)`);
  if ((input.card === undefined) === (input.cardToken === undefined)) throw invalid('card', 'give the card details (or a saved card token), once');

  // Card testing: a link takes only a few declined cards (the page helper's guard, attempt-guard.ts).
  await assertAttemptsAllowed(ctx, accountId, Number(found.id));
  const gateway = gatewayOf(ctx);
  const result: ChargeResult = await gateway.charge({
    amount,
    currency: found.currency,
    card: input.card,
    cardToken: input.cardToken,
    saveCard: input.saveCard,
    idempotencyKey: input.idempotencyKey,
    description: `Payment request ${found.id}`,
    now: ctx.now(),
  });
  await testHold('card-charged');

  const requestId = Number(found.id);
  try {
    const outcome = await ctx.db.transaction().execute(async (trx) => {
      const attempt = await recordAttempt(trx, {
        accountId,
        requestId,
        invoiceId: found.invoice_id,
        amount,
        currency: found.currency,
        gateway: gateway.name,
        result,
        at: ctx.now(),
      });
      if (result.outcome === 'declined') return { attempt, applied: undefined, jobs: [] };
      const applied = await applyPayment(trx, ctx, {
        accountId,
        requestId,
        amount,
        method: 'card',
        gateway: gateway.name,
        gatewayReference: result.reference,
        cardLast4: result.last4,
        attemptId: Number(attempt.id),
        paidAt: ctx.now(),
      });
      await linkAttemptToPayment(trx, accountId, Number(attempt.id), Number(applied.payment.id));
      const jobs = await queueReceipts(trx, applied.payment, receiptTargets(found), ctx.now());
      return { attempt, applied, jobs };
    });
    for (const job of outcome.jobs) await ctx.services.deliverNow?.(job.accountId, job.id).catch(() => undefined);
    return {
      attempt: {
        id: Number(outcome.attempt.id),
        outcome: outcome.attempt.outcome,
        declineReason: outcome.attempt.decline_reason,
        amount,
        cardLast4: outcome.attempt.card_last4,
      },
      paymentId: outcome.applied ? Number(outcome.applied.payment.id) : null,
      cardToken: result.outcome === 'approved' ? (result.cardToken ?? null) : null,
      outstanding: outcome.applied ? outcome.applied.outstanding : outstanding,
      invoiceBecamePaid: outcome.applied?.invoiceBecamePaid ?? false,
    };
  } catch (error) {
    if (result.outcome === 'approved') {
      // The money was taken but could not be recorded against the request: give it back.
      await gateway.refund({ reference: result.reference, amount, currency: found.currency }).catch(() => undefined);
    }
    throw error;
  }
}
