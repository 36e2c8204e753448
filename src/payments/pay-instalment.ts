// Charges one instalment of a plan: with the card saved for the plan (the scheduler) or a card typed on the
// payment page (an instalment requested by link, or a missed one). The gateway is asked outside any
// transaction; then one transaction records the attempt and, when approved, applies the instalment's
// principal share to the request's invoice, marks the instalment paid, completes the plan when nothing is
// left, and queues the receipts. An approved charge that cannot be recorded (the instalment was paid
// meanwhile) is refunded.
//
// What an instalment pays: its principal share (principalShares in instalment-schedule.ts) goes to the
// invoice as the payment's amount; the rest is the plan's interest, charged with it and kept on the payment
// (interest_amount: its receipt and a full refund are for the whole charge, payment-money.ts). If less is
// outstanding than the principal share (money came in another way), only what is outstanding is charged with
// the interest share.
import type { Ctx } from '../context.ts';
import { findRequest, requestFacts, type PaymentRequestRow } from '../collections/repo.ts';
import { statesOf } from '../collections/states.ts';
import { principalShares } from '../collections/instalment-schedule.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { currencyMinorDigits, fromMinorUnits, money, toMinorUnits } from '../shared/money.ts';
import { applyPayment } from './apply-payment.ts';
import type { CardInput, ChargeResult } from './gateway.ts';
import { assertAttemptsAllowed } from './attempt-guard.ts';
import { markMissed } from './plans-repo.ts';
import { queueReceipts, receiptTargets } from './queue-receipts.ts';
import { recordAttempt } from './record-attempt.ts';
import { findPlan, linkAttemptToPayment, lockInstalment, markInstalment, setPlanStatus, type InstalmentRow, type PlanWithInstalments } from './repo.ts';
import { gatewayOf } from './services.ts';

export interface ChargeInstalmentInput {
  accountId: number;
  planId: number;
  seq: number;
  /** A card typed on the page, or the plan's saved card when omitted. */
  card?: CardInput | undefined;
  /** 'schedule': the scheduler charging the saved card (a decline marks the instalment missed). */
  via: 'page' | 'schedule';
}

export type ChargeInstalmentResult =
  | {
      outcome: 'approved';
      attemptId: number;
      paymentId: number | null;
      charged: string;
      principal: string;
      interest: string;
      cardLast4: string | null;
      /** Left to pay on the request after this instalment. */
      outstanding: string;
      planCompleted: boolean;
      next: { seq: number; dueDate: string; amount: string } | null;
      receiptTo: string[];
    }
  | { outcome: 'declined'; attemptId: number; reason: string; charged: string }
  /** Nothing was left to pay: the plan is completed and nothing was charged. */
  | { outcome: 'settled' };

/** The principal and interest of instalment `seq` of a plan, in minor units. */
export function instalmentParts(plan: PlanWithInstalments, seq: number, digits: number): { principal: bigint; interest: bigint } {
  const amounts = plan.instalments.map((i) => toMinorUnits(money(i.amount).toFixed(), digits));
  const shares = principalShares(amounts, toMinorUnits(money(plan.plan.amount).toFixed(), digits));
  const index = plan.instalments.findIndex((i) => i.seq === seq);
  if (index < 0) throw notFound('Instalment', seq);
  return { principal: shares[index]!, interest: amounts[index]! - shares[index]! };
}

export function nextUnpaid(instalments: readonly InstalmentRow[], afterSeq: number): InstalmentRow | undefined {
  return instalments.find((i) => i.seq > afterSeq && i.status !== 'paid');
}

export async function chargeInstalment(ctx: Ctx, input: ChargeInstalmentInput): Promise<ChargeInstalmentResult> {
  const { accountId } = input;
  const plan = await findPlan(ctx.db, accountId, input.planId);
  if (!plan) throw notFound('Instalment plan', input.planId);
  const instalment = plan.instalments.find((i) => i.seq === input.seq);
  if (!instalment) throw notFound('Instalment', input.seq);
  if (plan.plan.status !== 'active') throw new DomainError('conflict', `instalment plan ${input.planId} is ${plan.plan.status}`);
  if (instalment.status === 'paid') throw new DomainError('conflict', `instalment ${input.seq} is already paid`);
  const request = (await findRequest(ctx.db, accountId, Number(plan.plan.request_id)))!;
  const digits = currencyMinorDigits(plan.plan.currency);
  if (input.via === 'page') await assertAttemptsAllowed(ctx, accountId, Number(request.id));

  const [facts] = await requestFacts(ctx.db, accountId, { ids: [Number(request.id)], limit: 1 });
  const outstandingMinor = toMinorUnits(money(statesOf(facts!, ctx.now()).outstanding).toFixed(), digits);
  if (outstandingMinor <= 0n) {
    await setPlanStatus(ctx.db, accountId, input.planId, 'completed', ctx.now());
    return { outcome: 'settled' };
  }
  const parts = instalmentParts(plan, input.seq, digits);
  const principalMinor = parts.principal < outstandingMinor ? parts.principal : outstandingMinor;
  const chargedMinor = principalMinor + parts.interest;
  const charged = fromMinorUnits(chargedMinor, digits);
  const principal = fromMinorUnits(principalMinor, digits);
  const interest = fromMinorUnits(parts.interest, digits);

  const cardToken = input.card ? undefined : (plan.plan.card_token ?? undefined);
  if (!input.card && !cardToken) throw new DomainError('conflict', `instalment plan ${input.planId} has no saved card: the instalment is paid by link`);
  const gateway = gatewayOf(ctx);
  const result: ChargeResult = await gateway.charge({
    amount: charged,
    currency: plan.plan.currency,
    card: input.card,
    cardToken,
    description: `Instalment ${input.seq} of plan ${input.planId}`,
    now: ctx.now(),
  });

  try {
    const outcome = await ctx.db.transaction().execute(async (trx) => {
      const attempt = await recordAttempt(trx, {
        accountId,
        requestId: Number(request.id),
        invoiceId: request.invoice_id,
        instalmentPlanId: input.planId,
        instalmentSeq: input.seq,
        amount: charged,
        currency: plan.plan.currency,
        gateway: gateway.name,
        result,
        at: ctx.now(),
      });
      if (result.outcome === 'declined') {
        if (input.via === 'schedule') {
          await markInstalment(trx, accountId, input.planId, input.seq, { status: 'missed', error: result.reason, at: ctx.now(), attempted: true });
        } else {
          await markInstalment(trx, accountId, input.planId, input.seq, { status: instalment.status, error: result.reason, at: ctx.now(), attempted: true });
        }
        return { kind: 'declined' as const, attempt };
      }
      let paymentId: number | null = null;
      let outstanding = fromMinorUnits(outstandingMinor, digits);
      let jobs: { accountId: number; id: number }[] = [];
      if (principalMinor > 0n) {
        const applied = await applyPayment(trx, ctx, {
          accountId,
          requestId: Number(request.id),
          amount: principal,
          interest,
          method: 'card',
          gateway: gateway.name,
          gatewayReference: result.reference,
          cardLast4: result.last4,
          attemptId: Number(attempt.id),
          instalmentPlanId: input.planId,
          instalmentSeq: input.seq,
          notes: parts.interest > 0n ? `instalment ${input.seq} of plan ${input.planId}: charged ${charged}, of which ${interest} plan interest` : `instalment ${input.seq} of plan ${input.planId}`,
          paidAt: ctx.now(),
        });
        paymentId = Number(applied.payment.id);
        outstanding = applied.outstanding;
        await linkAttemptToPayment(trx, accountId, Number(attempt.id), paymentId);
        jobs = await queueReceipts(trx, applied.payment, receiptTargets(request), ctx.now());
      }
      // Locked after the request (the house order: customer, invoice, request, then its instalments).
      const locked = await lockInstalment(trx, accountId, input.planId, input.seq);
      if (!locked || locked.status === 'paid') throw new DomainError('conflict', `instalment ${input.seq} was paid at the same time`);
      await markInstalment(trx, accountId, input.planId, input.seq, { status: 'paid', paymentId, at: ctx.now(), attempted: true });
      const allPaid = plan.instalments.every((i) => i.seq === input.seq || i.status === 'paid');
      const completed = allPaid || !money(outstanding).greaterThan(0);
      if (completed) await setPlanStatus(trx, accountId, input.planId, 'completed', ctx.now());
      return { kind: 'approved' as const, attempt, paymentId, outstanding, completed, jobs };
    });
    if (outcome.kind === 'declined') {
      return { outcome: 'declined', attemptId: Number(outcome.attempt.id), reason: outcome.attempt.decline_reason ?? 'declined', charged };
    }
    for (const job of outcome.jobs) await ctx.services.deliverNow?.(job.accountId, job.id).catch(() => undefined);
    const next = outcome.completed ? undefined : nextUnpaid(plan.instalments, input.seq);
    return {
      outcome: 'approved',
      attemptId: Number(outcome.attempt.id),
      paymentId: outcome.paymentId,
      charged,
      principal,
      interest,
      cardLast4: result.outcome === 'approved' ? result.last4 : null,
      outstanding: outcome.outstanding,
      planCompleted: outcome.completed,
      next: next ? { seq: next.seq, dueDate: next.due_date, amount: money(next.amount).toFixed(digits) } : null,
      receiptTo: receiptRecipients(request, outcome.paymentId !== null),
    };
  } catch (error) {
    if (result.outcome === 'approved') {
      await gateway.refund({ reference: result.reference, amount: charged, currency: plan.plan.currency }).catch(() => undefined);
    }
    throw error;
  }
}

export function receiptRecipients(request: PaymentRequestRow, sent: boolean): string[] {
  if (!sent) return [];
  return [request.email, request.mobile_number].filter((v): v is string => Boolean(v));
}

/** For the scheduler: a plan without a card whose instalment went unpaid past its grace days. */
export async function markInstalmentMissed(ctx: Ctx, accountId: number, planId: number, seq: number): Promise<void> {
  await markMissed(ctx.db, accountId, planId, seq, 'not paid by its due date');
}
