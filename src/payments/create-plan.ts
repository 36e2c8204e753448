// A payer starts an instalment plan on the payment page, within the limits the request allows
// (instalmentEnabled, the frequencies offered, planRate, planMaxTerm and its period). The plan pays off what is
// outstanding (or the part the payer names), on the schedule of instalment-schedule.ts.
//
// A plan that starts today charges its first instalment now with the card given, and keeps the gateway's card
// token (when the payer agrees: saveCard) so the scheduler charges later instalments on their due dates;
// without a saved card each instalment is requested by link when due. Guards first; a pending attempt is
// recorded under the invoice's lock (card-attempt.ts: concurrent plan forms never charge twice); the gateway
// is asked outside any transaction; then one transaction stores the plan, its instalments and the payment,
// settles the attempt, and queues the receipts. A declined first charge creates no plan (the attempt is recorded, with
// its reason, and the payer may try again). A plan that starts later (up to 31 days ahead) charges nothing
// now and is paid by link.
import type { Ctx } from '../context.ts';
import { findRequestByToken, type PaymentRequestRow } from '../collections/repo.ts';
import { requestFacts } from './reports-repo.ts';
import { statesOf } from '../collections/states.ts';
import {
  instalmentSchedule,
  MAX_TERM,
  PLAN_FREQUENCIES,
  principalShares,
  type InstalmentSchedule,
  type PlanFrequency,
  type PlanSplit,
  type TermPeriod,
} from '../collections/instalment-schedule.ts';
import { findAccount } from '../accounts/repo.ts';
import { addDays, dateInZone, isIsoDate } from '../shared/dates.ts';
import { DomainError, invalid } from '../shared/errors.ts';
import { currencyMinorDigits, formatAmount, fromMinorUnits, money, toMinorUnits } from '../money/money.ts';
import { applyPayment, paymentAmount } from './apply-payment.ts';
import { assertAttemptsAllowed } from './attempt-guard.ts';
import { beginAttempt, chargeAttempt, finishAttempt, settledAttempt, type Applied } from './card-attempt.ts';
import type { CardInput } from './gateway.ts';
import { receiptRecipients } from './pay-instalment.ts';
import { queueReceipts, receiptTargets } from './queue-receipts.ts';
import {
  findPlan,
  insertPlan,
  markInstalment,
  setPlanStatus,
  type AttemptRow,
  type PlanWithInstalments,
} from './repo.ts';
import { settleStalePending } from './resolve-pending.ts';

/** When a request allows plans but sets no term: one year. */
export const DEFAULT_MAX_TERM = { maxTerm: 1, maxTermPeriod: 'year' as TermPeriod };
/** A plan may start at most this many days ahead. */
export const MAX_START_DAYS_AHEAD = 31;

export interface CreatePlanInput {
  token: string;
  /** The plan amount; default: everything outstanding. */
  amount?: string | undefined;
  frequency: string;
  /** The first instalment's due date; default (and for a card payment now): today in the account's timezone. */
  startDate?: string | undefined;
  instalmentCount?: number | undefined;
  instalmentAmount?: string | undefined;
  card?: CardInput | undefined;
  /** Keep the card (the gateway's token) to charge later instalments on their due dates. Default true. */
  saveCard?: boolean | undefined;
  /** The page form's token: the same form sent again answers the first result. */
  formToken?: string | undefined;
}

export type CreatePlanResult =
  | {
      outcome: 'created';
      plan: PlanWithInstalments;
      schedule: InstalmentSchedule;
      /** The first instalment, when it was charged now. */
      firstCharge: {
        attemptId: number;
        paymentId: number | null;
        charged: string;
        cardLast4: string | null;
        receiptTo: string[];
      } | null;
      outstanding: string;
    }
  | { outcome: 'declined'; attemptId: number; reason: string; schedule: InstalmentSchedule };

export interface PlanTermsOfRequest {
  frequencies: PlanFrequency[];
  rate: string;
  maxTerm: number;
  maxTermPeriod: TermPeriod;
}

/** The plan limits a request allows, or null when it allows no plans. */
export function planTermsOf(request: {
  instalment_enabled: boolean;
  plan_rate: string | null;
  plan_max_term: number | null;
  plan_max_term_period: TermPeriod | null;
  plan_frequencies: string[];
}): PlanTermsOfRequest | null {
  if (!request.instalment_enabled) return null;
  const frequencies = PLAN_FREQUENCIES.filter((f) => request.plan_frequencies.includes(f));
  // A term longer than the schedule's bound (ten years) is held to it.
  const term =
    request.plan_max_term !== null && request.plan_max_term_period !== null
      ? {
          maxTerm: Math.min(request.plan_max_term, MAX_TERM[request.plan_max_term_period]),
          maxTermPeriod: request.plan_max_term_period,
        }
      : DEFAULT_MAX_TERM;
  return {
    frequencies,
    rate: request.plan_rate === null ? '0' : money(request.plan_rate).toFixed(),
    ...term,
  };
}

export async function createPlan(ctx: Ctx, input: CreatePlanInput): Promise<CreatePlanResult> {
  const request = await findRequestByToken(ctx.db, input.token);
  if (!request) throw new DomainError('not_found', 'no such payment link');
  const accountId = request.account_id;
  const requestId = Number(request.id);
  const invoiceId = request.invoice_id === null ? null : Number(request.invoice_id);
  const account = (await findAccount(ctx.db, accountId))!;
  const [facts] = await requestFacts(ctx.db, accountId, { ids: [requestId], limit: 1 });
  const states = statesOf(facts!, ctx.now());
  if (request.cancelled_at !== null)
    throw new DomainError('conflict', 'this payment link has been cancelled');
  if (states.expired) throw new DomainError('conflict', 'this payment link has expired');
  if (!money(states.outstanding).greaterThan(0))
    throw new DomainError('conflict', 'nothing is left to pay on this link');
  if (states.hasActivePlan) throw new DomainError('conflict', 'this link already has an instalment plan');
  const terms = planTermsOf(request);
  if (!terms) throw new DomainError('conflict', 'instalment plans are not offered on this link');
  if (!terms.frequencies.includes(input.frequency as PlanFrequency)) {
    throw invalid('planFrequency', `must be one of ${terms.frequencies.join(', ')} on this link`);
  }
  const frequency = input.frequency as PlanFrequency;
  const digits = currencyMinorDigits(request.currency);
  const amount =
    input.amount === undefined
      ? formatAmount(states.outstanding, digits)
      : paymentAmount(input.amount, request.currency, 'planAmount');
  if (money(amount).greaterThan(states.outstanding))
    throw invalid(
      'planAmount',
      `${amount} is more than the ${formatAmount(states.outstanding, digits)} outstanding`,
    );
  const today = dateInZone(ctx.now(), account.timezone);
  const startDate = input.startDate ?? today;
  if (!isIsoDate(startDate)) throw invalid('planStartDate', 'must be a date, YYYY-MM-DD');
  if (startDate < today || startDate > addDays(today, MAX_START_DAYS_AHEAD)) {
    throw invalid('planStartDate', `must be from today (${today}) to ${MAX_START_DAYS_AHEAD} days ahead`);
  }
  const chargeNow = startDate === today;
  if (chargeNow && !input.card)
    throw invalid('card', 'the first instalment is paid today: give the card details');
  if (!chargeNow && input.card)
    throw invalid('card', 'a plan starting later is paid by link; give no card now');
  if ((input.instalmentCount === undefined) === (input.instalmentAmount === undefined)) {
    throw invalid('instalmentCount', 'give the number of instalments or the instalment amount');
  }
  const split: PlanSplit =
    input.instalmentCount !== undefined
      ? { instalmentCount: input.instalmentCount }
      : { instalmentAmount: input.instalmentAmount! };
  if (split.instalmentCount !== undefined && split.instalmentCount < 2)
    throw invalid('instalmentCount', 'a plan has at least 2 instalments');
  const schedule = instalmentSchedule(
    {
      amount,
      frequency,
      startDate,
      rate: terms.rate,
      maxTerm: terms.maxTerm,
      maxTermPeriod: terms.maxTermPeriod,
      minorDigits: digits,
    },
    split,
  );
  if (schedule.instalments.length < 2)
    throw invalid('instalmentAmount', 'a plan has at least 2 instalments: pay in full instead');

  const planRow = {
    account_id: accountId,
    request_id: requestId,
    invoice_id: request.invoice_id,
    amount: schedule.amount,
    interest_rate: terms.rate,
    total_amount: schedule.total,
    currency: request.currency,
    frequency,
    start_date: startDate,
    max_term: terms.maxTerm,
    max_term_period: terms.maxTermPeriod,
    created_at: ctx.now(),
    updated_at: ctx.now(),
  };
  const instalmentRows = schedule.instalments.map((i) => ({
    seq: i.number,
    due_date: i.dueDate,
    amount: i.amount,
  }));

  if (!chargeNow) {
    const plan = await ctx.db
      .transaction()
      .execute((trx) =>
        insertPlan(trx, { ...planRow, gateway: null, card_token: null, card_last4: null }, instalmentRows),
      );
    return {
      outcome: 'created',
      plan,
      schedule,
      firstCharge: null,
      outstanding: formatAmount(states.outstanding, digits),
    };
  }

  await assertAttemptsAllowed(ctx, accountId, requestId);
  await settleStalePending(ctx, accountId, invoiceId, requestId);
  const minor = schedule.instalments.map((i) => toMinorUnits(i.amount, digits));
  const firstPrincipal = fromMinorUnits(
    principalShares(minor, toMinorUnits(schedule.amount, digits))[0]!,
    digits,
  );
  const charged = schedule.instalments[0]!.amount;
  const interestPart = formatAmount(money(charged).minus(firstPrincipal), digits);
  const saveCard = input.saveCard ?? true;

  // Under the invoice's lock: still no plan, and still as much outstanding as the plan pays off.
  const begun = await beginAttempt(
    ctx,
    {
      accountId,
      requestId,
      invoiceId,
      purpose: 'plan_start',
      instalmentSeq: 1,
      amount: charged,
      principal: firstPrincipal,
      currency: request.currency,
      formToken: input.formToken,
    },
    async (trx) => {
      const [now] = await requestFacts(trx, accountId, { ids: [requestId], limit: 1 });
      const current = statesOf(now!, ctx.now());
      if (current.hasActivePlan)
        throw new DomainError('conflict', 'this link already has an instalment plan');
      if (money(amount).greaterThan(current.outstanding))
        throw new DomainError(
          'conflict',
          'what is outstanding changed while the plan was being made: reload the page and try again',
        );
    },
  );
  if (begun.kind === 'replay') return planReplay(ctx, begun.attempt, schedule, request);
  const result = await chargeAttempt(ctx, begun.attempt, {
    card: input.card,
    saveCard,
    description: `Instalment 1 of a plan for payment request ${requestId}`,
  });
  const finished = await finishAttempt(ctx, begun.attempt, result, async (trx, attempt, approved) => {
    const plan = await insertPlan(
      trx,
      {
        ...planRow,
        gateway: attempt.gateway,
        card_token: saveCard ? (approved.cardToken ?? null) : null,
        card_last4: saveCard ? approved.last4 : null,
      },
      instalmentRows,
    );
    const planId = Number(plan.plan.id);
    let paymentId: number | null = null;
    let outstanding = formatAmount(states.outstanding, digits);
    let jobs: Applied['jobs'] = [];
    if (money(firstPrincipal).greaterThan(0)) {
      const applied = await applyPayment(trx, ctx, {
        accountId,
        requestId,
        amount: firstPrincipal,
        interest: interestPart,
        method: 'card',
        gateway: attempt.gateway,
        gatewayReference: approved.reference,
        cardLast4: approved.last4,
        attemptId: Number(attempt.id),
        instalmentPlanId: planId,
        instalmentSeq: 1,
        notes: money(interestPart).greaterThan(0)
          ? `instalment 1 of plan ${planId}: charged ${charged}, of which ${interestPart} plan interest`
          : `instalment 1 of plan ${planId}`,
        paidAt: ctx.now(),
      });
      paymentId = Number(applied.payment.id);
      outstanding = applied.outstanding;
      jobs = await queueReceipts(trx, applied.payment, receiptTargets(request), ctx.now());
    }
    await markInstalment(trx, accountId, planId, 1, {
      status: 'paid',
      paymentId,
      at: ctx.now(),
      attempted: true,
    });
    if (!money(outstanding).greaterThan(0))
      await setPlanStatus(trx, accountId, planId, 'completed', ctx.now());
    const stored = {
      ...plan,
      instalments: plan.instalments.map((i) =>
        i.seq === 1
          ? { ...i, status: 'paid' as const, payment_id: paymentId, paid_at: ctx.now(), attempts: 1 }
          : i,
      ),
    };
    return { paymentId, instalmentPlanId: planId, jobs, plan: stored, outstanding };
  });
  if (finished.kind === 'declined') {
    return {
      outcome: 'declined',
      attemptId: Number(finished.attempt.id),
      reason: finished.attempt.decline_reason ?? 'declined',
      schedule,
    };
  }
  const value = finished.value;
  return {
    outcome: 'created',
    plan: value.plan,
    schedule,
    firstCharge: {
      attemptId: Number(finished.attempt.id),
      paymentId: value.paymentId,
      charged,
      cardLast4: result.outcome === 'approved' ? result.last4 : null,
      receiptTo: receiptRecipients(request, value.paymentId !== null),
    },
    outstanding: value.outstanding,
  };
}

/** The same plan form sent twice at once: the second answers the first's result. */
async function planReplay(
  ctx: Ctx,
  first: AttemptRow,
  schedule: InstalmentSchedule,
  request: PaymentRequestRow,
): Promise<CreatePlanResult> {
  const attempt = await settledAttempt(ctx, first.account_id, Number(first.id));
  if (attempt.outcome === 'declined')
    return {
      outcome: 'declined',
      attemptId: Number(attempt.id),
      reason: attempt.decline_reason ?? 'declined',
      schedule,
    };
  const plan =
    attempt.outcome === 'approved' && attempt.instalment_plan_id !== null
      ? await findPlan(ctx.db, attempt.account_id, Number(attempt.instalment_plan_id))
      : null;
  if (!plan)
    throw new DomainError(
      'conflict',
      'this form was sent before and its plan is being made: wait a moment and reload the page',
    );
  const [facts] = await requestFacts(ctx.db, attempt.account_id, { ids: [Number(request.id)], limit: 1 });
  return {
    outcome: 'created',
    plan,
    schedule,
    firstCharge: {
      attemptId: Number(attempt.id),
      paymentId: attempt.payment_id === null ? null : Number(attempt.payment_id),
      charged: attempt.amount,
      cardLast4: attempt.card_last4,
      receiptTo: [],
    },
    outstanding: formatAmount(statesOf(facts!, ctx.now()).outstanding, currencyMinorDigits(request.currency)),
  };
}
