// Charges one instalment of a plan: with the card saved for the plan (the scheduler) or a card typed on the
// payment page (an instalment requested by link, or a missed one). A pending attempt is recorded under the
// invoice's lock first (card-attempt.ts: one card payment in flight per invoice, so the page and the
// scheduler, or a double-clicked form, never charge twice); the gateway is asked outside any transaction;
// then one transaction applies the instalment's principal share to the request's invoice, marks the
// instalment paid, completes the plan when nothing is left, and queues the receipts. An approved charge that
// still cannot be applied is refunded through the outbox (recorded and logged).
//
// What an instalment pays: its principal share (principalShares in instalment-schedule.ts) goes to the
// invoice as the payment's amount; the rest is the plan's interest, charged with it and kept on the payment
// (interest_amount: its receipt and a full refund are for the whole charge, payment-money.ts). If less is
// outstanding than the principal share (money came in another way), only what is outstanding is charged with
// the interest share.
import type { Ctx, Executor } from '../context.ts';
import { findRequest, type PaymentRequestRow } from '../collections/repo.ts';
import { requestFacts } from './reports-repo.ts';
import { statesOf } from '../collections/states.ts';
import { principalShares } from '../collections/instalment-schedule.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { currencyMinorDigits, formatAmount, fromMinorUnits, money, toMinorUnits } from '../money/money.ts';
import { applyInstalmentCharge } from './apply-charge.ts';
import { findAttemptByFormToken } from './attempts-repo.ts';
import type { CardInput } from './gateway.ts';
import { assertAttemptsAllowed } from './attempt-guard.ts';
import { beginAttempt, chargeAttempt, finishAttempt, settledAttempt } from './card-attempt.ts';
import { markMissed } from './plans-repo.ts';
import {
  findPlan,
  markInstalment,
  setPlanStatus,
  type InstalmentRow,
  type PlanWithInstalments,
} from './repo.ts';
import { settleStalePending } from './resolve-pending.ts';

export interface ChargeInstalmentInput {
  accountId: number;
  planId: number;
  seq: number;
  /** A card typed on the page, or the plan's saved card when omitted. */
  card?: CardInput | undefined;
  /** 'schedule': the scheduler charging the saved card (a decline marks the instalment missed). */
  via: 'page' | 'schedule';
  /** The page form's token: the same form sent again answers the first result. */
  formToken?: string | undefined;
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
export function instalmentParts(
  plan: PlanWithInstalments,
  seq: number,
  digits: number,
): { principal: bigint; interest: bigint } {
  const amounts = plan.instalments.map((i) => toMinorUnits(money(i.amount).toFixed(), digits));
  const shares = principalShares(amounts, toMinorUnits(money(plan.plan.amount).toFixed(), digits));
  const index = plan.instalments.findIndex((i) => i.seq === seq);
  if (index < 0) throw notFound('Instalment', seq);
  return { principal: shares[index]!, interest: amounts[index]! - shares[index]! };
}

export function nextUnpaid(
  instalments: readonly InstalmentRow[],
  afterSeq: number,
): InstalmentRow | undefined {
  return instalments.find((i) => i.seq > afterSeq && i.status !== 'paid');
}

export async function chargeInstalment(
  ctx: Ctx,
  input: ChargeInstalmentInput,
): Promise<ChargeInstalmentResult> {
  const { accountId } = input;
  const plan = await findPlan(ctx.db, accountId, input.planId);
  if (!plan) throw notFound('Instalment plan', input.planId);
  const instalment = plan.instalments.find((i) => i.seq === input.seq);
  if (!instalment) throw notFound('Instalment', input.seq);
  const request = (await findRequest(ctx.db, accountId, Number(plan.plan.request_id)))!;
  const requestId = Number(request.id);
  const invoiceId = request.invoice_id === null ? null : Number(request.invoice_id);
  const digits = currencyMinorDigits(plan.plan.currency);
  if (input.formToken !== undefined) {
    const replay = await instalmentReplay(ctx, accountId, requestId, input.formToken, digits);
    if (replay) return replay;
  }
  if (plan.plan.status !== 'active')
    throw new DomainError('conflict', `instalment plan ${input.planId} is ${plan.plan.status}`);
  if (instalment.status === 'paid')
    throw new DomainError('conflict', `instalment ${input.seq} is already paid`);
  if (input.via === 'page') await assertAttemptsAllowed(ctx, accountId, requestId);
  await settleStalePending(ctx, accountId, invoiceId, requestId);

  const outstandingMinor = await outstandingMinorOf(ctx.db, ctx, accountId, requestId, digits);
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
  if (!input.card && !cardToken)
    throw new DomainError(
      'conflict',
      `instalment plan ${input.planId} has no saved card: the instalment is paid by link`,
    );

  // Under the invoice's lock: the plan still active, the instalment unpaid, and as much outstanding as was
  // read (a payment made meanwhile another way changes what this instalment may charge: try again).
  const begun = await beginAttempt(
    ctx,
    {
      accountId,
      requestId,
      invoiceId,
      purpose: 'instalment',
      instalmentPlanId: input.planId,
      instalmentSeq: input.seq,
      amount: charged,
      principal,
      currency: plan.plan.currency,
      formToken: input.formToken,
    },
    async (trx) => {
      const now = await findPlan(trx, accountId, input.planId);
      const current = now?.instalments.find((i) => i.seq === input.seq);
      if (!now || now.plan.status !== 'active')
        throw new DomainError('conflict', `instalment plan ${input.planId} is ${now?.plan.status ?? 'gone'}`);
      if (!current || current.status === 'paid' || current.status === 'cancelled')
        throw new DomainError('conflict', `instalment ${input.seq} is already ${current?.status ?? 'gone'}`);
      if ((await outstandingMinorOf(trx, ctx, accountId, requestId, digits)) < principalMinor) {
        throw new DomainError(
          'conflict',
          'what is outstanding changed while this instalment was being paid: reload the page and try again',
        );
      }
    },
  );
  if (begun.kind === 'replay') {
    const replay = await instalmentReplay(ctx, accountId, requestId, input.formToken!, digits);
    if (!replay) throw new DomainError('conflict', 'this form was sent before: reload the page');
    return replay;
  }
  const result = await chargeAttempt(ctx, begun.attempt, {
    card: input.card,
    cardToken,
    description: `Instalment ${input.seq} of plan ${input.planId}`,
  });
  const finished = await finishAttempt(
    ctx,
    begun.attempt,
    result,
    (trx, attempt, approved) => applyInstalmentCharge(trx, ctx, attempt, approved),
    async (trx) => {
      if (result.outcome !== 'declined') return;
      const status = input.via === 'schedule' ? 'missed' : instalment.status;
      await markInstalment(trx, accountId, input.planId, input.seq, {
        status,
        error: result.reason,
        at: ctx.now(),
        attempted: true,
      });
    },
  );
  if (finished.kind === 'declined') {
    return {
      outcome: 'declined',
      attemptId: Number(finished.attempt.id),
      reason: finished.attempt.decline_reason ?? 'declined',
      charged,
    };
  }
  const value = finished.value;
  const next = value.completed ? undefined : nextUnpaid(plan.instalments, input.seq);
  return {
    outcome: 'approved',
    attemptId: Number(finished.attempt.id),
    paymentId: value.paymentId,
    charged,
    principal,
    interest,
    cardLast4: result.outcome === 'approved' ? result.last4 : null,
    outstanding: value.outstanding,
    planCompleted: value.completed,
    next: next ? { seq: next.seq, dueDate: next.due_date, amount: formatAmount(next.amount, digits) } : null,
    receiptTo: receiptRecipients(request, value.paymentId !== null),
  };
}

async function outstandingMinorOf(
  db: Executor,
  ctx: Ctx,
  accountId: number,
  requestId: number,
  digits: number,
): Promise<bigint> {
  const [facts] = await requestFacts(db, accountId, { ids: [requestId], limit: 1 });
  return toMinorUnits(money(statesOf(facts!, ctx.now()).outstanding).toFixed(), digits);
}

/** A page form sent again: the first attempt's result (waited for while it is being charged). */
async function instalmentReplay(
  ctx: Ctx,
  accountId: number,
  requestId: number,
  formToken: string,
  digits: number,
): Promise<ChargeInstalmentResult | undefined> {
  const first = await findAttemptByFormToken(ctx.db, accountId, requestId, formToken);
  if (!first) return undefined;
  const attempt = await settledAttempt(ctx, accountId, Number(first.id));
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
  const charged = formatAmount(attempt.amount, digits);
  if (attempt.outcome === 'declined')
    return {
      outcome: 'declined',
      attemptId: Number(attempt.id),
      reason: attempt.decline_reason ?? 'declined',
      charged,
    };
  const outstanding = fromMinorUnits(
    await outstandingMinorOf(ctx.db, ctx, accountId, requestId, digits),
    digits,
  );
  return {
    outcome: 'approved',
    attemptId: Number(attempt.id),
    paymentId: attempt.payment_id === null ? null : Number(attempt.payment_id),
    charged,
    principal: formatAmount(attempt.principal_amount ?? attempt.amount, digits),
    interest: formatAmount(money(attempt.amount).minus(attempt.principal_amount ?? attempt.amount), digits),
    cardLast4: attempt.card_last4,
    outstanding,
    planCompleted: !money(outstanding).greaterThan(0),
    next: null,
    receiptTo: [],
  };
}

export function receiptRecipients(request: PaymentRequestRow, sent: boolean): string[] {
  if (!sent) return [];
  return [request.email, request.mobile_number].filter((v): v is string => Boolean(v));
}

/** For the scheduler: a plan without a card whose instalment went unpaid past its grace days. */
export async function markInstalmentMissed(
  ctx: Ctx,
  accountId: number,
  planId: number,
  seq: number,
): Promise<void> {
  await markMissed(ctx.db, accountId, planId, seq, 'not paid by its due date');
}
