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

export interface PayOnPageInput {
  token: string;
  card: CardInput;
  /** The amount to pay (full or part); ignored when paying an instalment. */
  amount?: string | undefined;
  /** Pay this instalment (seq) of the link's plan. */
  instalment?: number | undefined;
}

export type PayOnPageResult =
  | { outcome: 'approved'; attemptId: number; paymentId: number | null; amount: string; outstanding: string }
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
    const result = await chargeInstalment(ctx, { accountId, planId: Number(plan.plan.id), seq: instalment.seq, card: input.card, via: 'page' });
    if (result.outcome === 'settled') throw new DomainError('conflict', 'nothing is left to pay on this link');
    if (result.outcome === 'declined') return { outcome: 'declined', attemptId: result.attemptId, reason: result.reason, amount: result.charged };
    return { outcome: 'approved', attemptId: result.attemptId, paymentId: result.paymentId, amount: result.charged, outstanding: result.outstanding };
  }
  if (plan) throw new DomainError('conflict', 'this link is being paid by an instalment plan: pay its instalments');
  if (input.amount === undefined) throw invalid('amount', 'give the amount to pay');
  await assertAttemptsAllowed(ctx, accountId, requestId);
  const result = await chargeRequest(ctx, { token: input.token, amount: input.amount, card: input.card });
  if (result.attempt.outcome === 'declined') {
    return { outcome: 'declined', attemptId: result.attempt.id, reason: result.attempt.declineReason ?? 'card_declined', amount: result.attempt.amount };
  }
  return { outcome: 'approved', attemptId: result.attempt.id, paymentId: result.paymentId, amount: result.attempt.amount, outstanding: result.outstanding };
}
