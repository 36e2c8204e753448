// From what the collections module knows about a link to what the page shows, and from what the payer typed
// to what the use cases take. One zod schema per form (the same fields arrive as a form post or as JSON).
import { z } from 'zod';
import type { PayableRequest } from '../../payments/find-payable-request.ts';
import {
  maxInstalmentCount,
  PLAN_FREQUENCIES,
  type PlanFrequency,
} from '../../collections/instalment-schedule.ts';
import { planTermsOf } from '../../payments/create-plan.ts';
import type { CardInput } from '../../payments/gateway.ts';
import { dateInZone, wallTimeInZone } from '../../shared/dates.ts';
import { invalid } from '../../shared/errors.ts';
import { currencyMinorDigits, formatAmount, money } from '../../money/money.ts';
import type { ActivePlanView, PageView, PaidLinkPayment } from './html.ts';
import type { PaymentWithRefunds } from '../../payments/list-payments.ts';
import { paymentFigures, receiptNumberOf } from '../../payments/payment-money.ts';

const text = (max: number) => z.string().max(max);
const whole = z.union([z.number(), z.string().max(12)]);

/** POST /pay/{token}/payments: pay in full, pay part, or pay one instalment of the plan. */
export const PaymentBody = z.strictObject({
  option: z.enum(['full', 'part']).optional(),
  amount: text(30).optional(),
  instalment: whole.optional(),
  cardName: text(100).optional(),
  cardNumber: text(40),
  expiry: text(10).optional(),
  expiryMonth: whole.optional(),
  expiryYear: whole.optional(),
  cvc: text(8),
  /** Keep the card for automatic top-ups (a top-up's link only). Form checkboxes send "true"; JSON a boolean. */
  saveCard: z.union([z.boolean(), z.enum(['true', 'false', 'on'])]).optional(),
  /** The form's token (a hidden field): the same form sent again answers the first result. */
  formToken: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be the form token the page gave')
    .optional(),
});
export type PaymentBody = z.infer<typeof PaymentBody>;

/** GET /pay/{token}/plan (the schedule before confirming) and POST /pay/{token}/plans. */
export const PlanChoice = z.strictObject({
  frequency: z.enum(PLAN_FREQUENCIES),
  instalments: whole,
});

export const PlanBody = PlanChoice.extend({
  cardName: text(100).optional(),
  cardNumber: text(40),
  expiry: text(10).optional(),
  expiryMonth: whole.optional(),
  expiryYear: whole.optional(),
  cvc: text(8),
  /** Form checkboxes send "true" (or nothing); JSON sends a boolean. */
  saveCard: z.union([z.boolean(), z.enum(['true', 'false', 'on'])]).optional(),
  formToken: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be the form token the page gave')
    .optional(),
});
export type PlanBody = z.infer<typeof PlanBody>;

export function wholeNumber(value: number | string, field: string): number {
  const n = typeof value === 'number' ? value : /^\s*\d{1,9}\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(field, 'must be a whole number');
  return n;
}

/** The card as typed: number with spaces or dashes, expiry as MM/YY, MM/YYYY or MMYY (or month and year). */
export function cardInput(body: {
  cardName?: string | undefined;
  cardNumber: string;
  expiry?: string | undefined;
  expiryMonth?: number | string | undefined;
  expiryYear?: number | string | undefined;
  cvc: string;
}): CardInput {
  const number = body.cardNumber.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number))
    throw invalid('cardNumber', 'enter the 12 to 19 digits of the card number');
  let month: number;
  let year: number;
  if (body.expiry !== undefined && body.expiry.trim() !== '') {
    const m = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(body.expiry);
    if (!m) throw invalid('expiry', 'enter the expiry date as MM/YY');
    month = Number(m[1]);
    year = m[2]!.length === 2 ? 2000 + Number(m[2]) : Number(m[2]);
  } else {
    if (body.expiryMonth === undefined || body.expiryYear === undefined)
      throw invalid('expiry', 'enter the expiry date as MM/YY');
    month = wholeNumber(body.expiryMonth, 'expiryMonth');
    year = wholeNumber(body.expiryYear, 'expiryYear');
    if (year < 100) year += 2000;
  }
  if (month < 1 || month > 12) throw invalid('expiry', 'the month must be 01 to 12');
  if (year < 2000 || year > 2100) throw invalid('expiry', 'enter the expiry date as MM/YY');
  const cvc = body.cvc.trim();
  if (!/^\d{3,4}$/.test(cvc)) throw invalid('cvc', 'enter the 3 or 4 digit security code');
  const name = body.cardName?.trim();
  return { number, expiryMonth: month, expiryYear: year, cvc, name: name === '' ? undefined : name };
}

/** What the payer reads when a card is declined, by the gateway's reason. */
export function declineMessage(reason: string): string {
  switch (reason) {
    case 'insufficient_funds':
      return 'Your card was declined: insufficient funds. Try another card.';
    case 'expired_card':
      return 'Your card was declined: the card has expired. Check the expiry date or try another card.';
    case 'incorrect_cvc':
      return 'Your card was declined: the security code is incorrect. Check it and try again.';
    case 'invalid_number':
      return 'The card number is not valid. Check it and try again.';
    case 'card_not_supported':
      return 'Your card was declined: this card is not supported. Try another card.';
    case 'processing_error':
      return 'The payment could not be processed. Please try again.';
    default:
      return 'Your card was declined. Try another card or contact your bank.';
  }
}

/** The instalment the payer can pay on the page: the earliest missed one, or one due with no saved card. */
export function payableInstalment(found: PayableRequest, today: string): ActivePlanView['payable'] {
  const plan = found.plan;
  if (!plan) return null;
  const digits = currencyMinorDigits(found.account.currency);
  for (const i of plan.instalments) {
    if (i.status === 'paid' || i.status === 'cancelled') continue;
    const dueNow = i.due_date <= today;
    if (i.status === 'missed' || (dueNow && plan.plan.card_token === null)) {
      return {
        seq: i.seq,
        dueDate: i.due_date,
        amount: formatAmount(money(i.amount), digits),
        status: i.status,
      };
    }
    return null; // the earliest unpaid one is not payable now; later ones wait their turn
  }
  return null;
}

export function pageView(found: PayableRequest, now: Date): PageView {
  const digits = currencyMinorDigits(found.account.currency);
  const fmt = (v: string) => formatAmount(money(v), digits);
  const r = found.request;
  const today = dateInZone(now, found.account.timezone);
  const terms = planTermsOf(r);
  let planOffer: PageView['planOffer'] = null;
  if (terms && !found.plan && terms.frequencies.length > 0) {
    const maxCounts: Partial<Record<PlanFrequency, number>> = {};
    for (const f of terms.frequencies)
      maxCounts[f] = maxInstalmentCount(today, f, terms.maxTerm, terms.maxTermPeriod);
    planOffer = {
      frequencies: terms.frequencies,
      maxCounts,
      rate: terms.rate,
      maxTerm: terms.maxTerm,
      maxTermPeriod: terms.maxTermPeriod,
    };
  }
  let activePlan: ActivePlanView | null = null;
  if (found.plan) {
    const p = found.plan.plan;
    activePlan = {
      id: Number(p.id),
      frequency: p.frequency,
      amount: fmt(p.amount),
      interest: fmt(money(p.total_amount).minus(p.amount).toFixed()),
      total: fmt(p.total_amount),
      cardLast4: p.card_token ? p.card_last4 : null,
      instalments: found.plan.instalments.map((i) => ({
        seq: i.seq,
        dueDate: i.due_date,
        amount: fmt(i.amount),
        status: i.status,
      })),
      payable: payableInstalment(found, today),
    };
  }
  const invoice = found.invoice;
  return {
    token: r.token,
    merchant: found.account.name,
    currency: found.account.currency,
    invoice: invoice
      ? {
          number: invoice.invoice_number ?? String(invoice.id),
          date: invoice.invoice_date,
          dueDate: invoice.due_date,
          amount: fmt(invoice.total),
        }
      : null,
    description: r.description,
    requested: fmt(found.states.figures.owed),
    paid: fmt(found.states.figures.paidNet),
    outstanding: fmt(found.states.outstanding),
    allowPartial: r.allow_partial,
    planOffer,
    activePlan,
    expiresOn: r.expires_at.toISOString().slice(0, 10),
  };
}

/** An instant as the payer reads it, in the account's timezone: "2026-12-06 14:41 Europe/London". */
export function timeInZone(instant: Date, timeZone: string): string {
  return `${wallTimeInZone(instant, timeZone)} ${timeZone}`;
}

/** What a payment on a link paid: its invoice (by number), or what the request was for. */
export function paidForText(found: PayableRequest): string {
  if (found.invoice) return `invoice ${found.invoice.invoice_number ?? found.invoice.id}`;
  return found.request.description ?? 'your payment';
}

/** The payments of a paid link, as its page lists them. */
export function paidLinkPayments(
  found: PayableRequest,
  payments: readonly PaymentWithRefunds[],
): PaidLinkPayment[] {
  const digits = currencyMinorDigits(found.account.currency);
  return payments.map(({ payment }) => {
    const figures = paymentFigures(payment);
    return {
      amount: figures.charged,
      paidFor: paidForText(found),
      paidAt: timeInZone(payment.paid_at, found.account.timezone),
      receiptNumber: receiptNumberOf(payment),
      cardLast4: payment.card_last4,
      refunded: money(figures.refunded).greaterThan(0) ? formatAmount(money(figures.refunded), digits) : null,
    };
  });
}
