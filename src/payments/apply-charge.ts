// Applying an approved card charge, inside finishAttempt's transaction (card-attempt.ts): to a request (a
// full or part payment) or to an instalment of a plan. Used by the page's use cases and by recovery
// (resolve-pending.ts), which settles a charge its process did not live to apply.
import type { Ctx, Executor } from '../context.ts';
import { requestFacts } from './reports-repo.ts';
import { statesOf } from '../collections/states.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { currencyMinorDigits, formatAmount, money } from '../money/money.ts';
import { applyPayment, type AppliedPayment } from './apply-payment.ts';
import type { Applied, Approved } from './card-attempt.ts';
import { queueReceipts, receiptTargets } from './queue-receipts.ts';
import { findPlan, lockInstalment, markInstalment, setPlanStatus, type AttemptRow } from './repo.ts';

/** The principal of an attempt (what the invoice or request receives) and the plan interest charged with it. */
export function attemptParts(attempt: AttemptRow): { principal: string; interest: string } {
  const principal = attempt.principal_amount ?? attempt.amount;
  return {
    principal: money(principal).toFixed(),
    interest: money(attempt.amount).minus(principal).toFixed(),
  };
}

export interface AppliedToRequest extends Applied {
  applied: AppliedPayment;
}

/** A full or part payment of a request. */
export async function applyRequestCharge(
  trx: Executor,
  ctx: Ctx,
  attempt: AttemptRow,
  result: Approved,
): Promise<AppliedToRequest> {
  const applied = await applyPayment(trx, ctx, {
    accountId: attempt.account_id,
    requestId: Number(attempt.request_id),
    amount: attemptParts(attempt).principal,
    method: 'card',
    gateway: attempt.gateway,
    gatewayReference: result.reference,
    cardLast4: result.last4,
    attemptId: Number(attempt.id),
    paidAt: ctx.now(),
  });
  const jobs = await queueReceipts(trx, applied.payment, receiptTargets(applied.request!), ctx.now());
  return { applied, paymentId: Number(applied.payment.id), jobs };
}

export interface AppliedToInstalment extends Applied {
  outstanding: string;
  completed: boolean;
}

/**
 * One instalment of a plan: its principal share to the request's invoice (with the plan interest kept on the
 * payment), the instalment marked paid, the plan completed when nothing is left.
 */
export async function applyInstalmentCharge(
  trx: Executor,
  ctx: Ctx,
  attempt: AttemptRow,
  result: Approved,
): Promise<AppliedToInstalment> {
  const accountId = attempt.account_id;
  const planId = Number(attempt.instalment_plan_id);
  const seq = Number(attempt.instalment_seq);
  const requestId = Number(attempt.request_id);
  const { principal, interest } = attemptParts(attempt);
  const digits = currencyMinorDigits(attempt.currency);
  let paymentId: number | null = null;
  let outstanding: string;
  let jobs: Applied['jobs'] = [];
  if (money(principal).greaterThan(0)) {
    const applied = await applyPayment(trx, ctx, {
      accountId,
      requestId,
      amount: principal,
      interest,
      method: 'card',
      gateway: attempt.gateway,
      gatewayReference: result.reference,
      cardLast4: result.last4,
      attemptId: Number(attempt.id),
      instalmentPlanId: planId,
      instalmentSeq: seq,
      notes: money(interest).greaterThan(0)
        ? `instalment ${seq} of plan ${planId}: charged ${formatAmount(attempt.amount, digits)}, of which ${formatAmount(interest, digits)} plan interest`
        : `instalment ${seq} of plan ${planId}`,
      paidAt: ctx.now(),
    });
    paymentId = Number(applied.payment.id);
    outstanding = applied.outstanding;
    jobs = await queueReceipts(trx, applied.payment, receiptTargets(applied.request!), ctx.now());
  } else {
    const [facts] = await requestFacts(trx, accountId, { ids: [requestId], limit: 1 });
    if (!facts) throw notFound('Payment request', requestId);
    outstanding = formatAmount(statesOf(facts, ctx.now()).outstanding, digits);
  }
  // Locked after the request (the house order: customer, invoice, request, then its instalments).
  const locked = await lockInstalment(trx, accountId, planId, seq);
  if (!locked || locked.status === 'paid')
    throw new DomainError('conflict', `instalment ${seq} was paid at the same time`);
  await markInstalment(trx, accountId, planId, seq, {
    status: 'paid',
    paymentId,
    at: ctx.now(),
    attempted: true,
  });
  const plan = await findPlan(trx, accountId, planId);
  if (!plan) throw notFound('Instalment plan', planId);
  const allPaid = plan.instalments.every((i) => i.seq === seq || i.status === 'paid');
  const completed = allPaid || !money(outstanding).greaterThan(0);
  if (completed) await setPlanStatus(trx, accountId, planId, 'completed', ctx.now());
  return { paymentId, outstanding, completed, jobs };
}
