// Instalment plans on the collections surface: a plan with every instalment and its state (paid, due, missed),
// so missed instalments are visible. Plans are started by the payer on the payment page.
import { z } from 'zod';
import type { Ctx } from '../../../context.ts';
import { principalOf } from '../../auth.ts';
import type { ZodApp } from '../../kit/app-type.ts';
import { pathId } from '../../kit/route-helpers.ts';
import { getPlan, getRequestPlan } from '../../../payments/get-plan.ts';
import type { PlanWithInstalments } from '../../../payments/repo.ts';
import { currencyMinorDigits, formatAmount, money, ZERO } from '../../../money/money.ts';
import { errorResponses, idParams } from '../schemas.ts';
import { utcTime } from '../views.ts';

const tags = ['Collections: instalment plans'];
const amount = z.string().describe("a decimal string with the currency's minor-unit digits");

const instalmentView = z.object({
  number: z.number().int().describe('1, 2, …'),
  dueDate: z.string().describe('YYYY-MM-DD'),
  amount,
  status: z
    .enum(['due', 'paid', 'missed', 'cancelled'])
    .describe('cancelled: never charged, because the invoice was paid in full another way'),
  paymentId: z.number().int().nullable(),
  paidAt: z.string().nullable(),
  attempts: z.number().int(),
  lastAttempt: z.string().nullable(),
  lastError: z
    .string()
    .nullable()
    .describe('why the last charge failed (a decline reason), or why it is missed'),
});

export const planView = z
  .object({
    planId: z.number().int(),
    requestId: z.number().int(),
    invoiceId: z.number().int().nullable(),
    status: z.enum(['active', 'completed', 'cancelled']),
    currency: z.string(),
    planAmount: amount.describe('what the plan pays off'),
    planRate: z
      .string()
      .describe("simple interest, percent a year, on the plan amount for the plan's length"),
    interest: amount,
    totalAmount: amount.describe('planAmount + interest: what the instalments sum to'),
    planFrequency: z.enum(['weekly', 'fortnightly', 'monthly']),
    planStartDate: z.string(),
    planMaxTerm: z.number().int().nullable(),
    planMaxTermPeriod: z.enum(['day', 'month', 'year']).nullable(),
    cardSaved: z
      .boolean()
      .describe('due instalments are charged to the saved card; otherwise each is requested by link'),
    cardLast4: z.string().nullable(),
    paidAmount: amount.describe('the instalments paid, summed'),
    remainingAmount: amount.describe('the instalments not yet paid (and not cancelled), summed'),
    missedInstalments: z.number().int(),
    instalments: z.array(instalmentView),
    created: z.string(),
    updated: z.string(),
  })
  .meta({ id: 'InstalmentPlan' });

export function toPlanView(p: PlanWithInstalments): z.infer<typeof planView> {
  const digits = currencyMinorDigits(p.plan.currency);
  const fmt = (v: string | ReturnType<typeof money>) => formatAmount(money(v), digits);
  let paid = ZERO;
  let remaining = ZERO;
  for (const i of p.instalments) {
    if (i.status === 'paid') paid = paid.plus(i.amount);
    else if (i.status !== 'cancelled') remaining = remaining.plus(i.amount); // cancelled ones are never charged
  }
  return {
    planId: Number(p.plan.id),
    requestId: Number(p.plan.request_id),
    invoiceId: p.plan.invoice_id === null ? null : Number(p.plan.invoice_id),
    status: p.plan.status,
    currency: p.plan.currency,
    planAmount: fmt(p.plan.amount),
    planRate: money(p.plan.interest_rate).toFixed(),
    interest: fmt(money(p.plan.total_amount).minus(p.plan.amount)),
    totalAmount: fmt(p.plan.total_amount),
    planFrequency: p.plan.frequency,
    planStartDate: p.plan.start_date,
    planMaxTerm: p.plan.max_term,
    planMaxTermPeriod: p.plan.max_term_period,
    cardSaved: p.plan.card_token !== null,
    cardLast4: p.plan.card_last4,
    paidAmount: fmt(paid),
    remainingAmount: fmt(remaining),
    missedInstalments: p.instalments.filter((i) => i.status === 'missed').length,
    instalments: p.instalments.map((i) => ({
      number: i.seq,
      dueDate: i.due_date,
      amount: fmt(i.amount),
      status: i.status,
      paymentId: i.payment_id === null ? null : Number(i.payment_id),
      paidAt: utcTime(i.paid_at),
      attempts: i.attempts,
      lastAttempt: utcTime(i.last_attempt_at),
      lastError: i.last_error,
    })),
    created: utcTime(p.plan.created_at)!,
    updated: utcTime(p.plan.updated_at)!,
  };
}

export function planRoutes(app: ZodApp, ctx: Ctx): void {
  app.get(
    '/plans/:id',
    {
      schema: {
        tags,
        operationId: 'getInstalmentPlan',
        summary: 'An instalment plan with its instalments (paid, due, missed)',
        params: idParams,
        response: { 200: planView, ...errorResponses },
      },
    },
    async (request) =>
      toPlanView(
        await getPlan(ctx, principalOf(request).accountId, pathId(request.params.id, 'Instalment plan')),
      ),
  );
  app.get(
    '/requests/:id/plan',
    {
      schema: {
        tags,
        operationId: 'getPaymentRequestPlan',
        summary: 'The instalment plan of a payment request (its active one, else its latest)',
        params: idParams,
        response: { 200: planView, ...errorResponses },
      },
    },
    async (request) =>
      toPlanView(
        await getRequestPlan(
          ctx,
          principalOf(request).accountId,
          pathId(request.params.id, 'Payment request'),
        ),
      ),
  );
}
