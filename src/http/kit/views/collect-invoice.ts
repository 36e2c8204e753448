// Document 003's invoice object, from a request's facts. Field names are the document's; amounts are decimal
// strings with the currency's minor-unit digits ("123.88"); times are "YYYY-MM-DD HH:MM:SS" in UTC as the
// document shows them; counts and ids are numbers; smsStatus and smsUpdateDate are deprecated and null.
// Extensions after the document's fields: requestId, currency, outstanding, paidAmount, refundedAmount,
// expiresAt, channels, allowPartial, planFrequencies, planTotalAmount, description.
import { z } from 'zod';
import type { RequestFactsRow } from '../../../collections/repo.ts';
import { statesOf } from '../../../collections/states.ts';
import { planTermsOf } from '../../../payments/create-plan.ts';
import { INVOICE_STATUSES, OVERALL_STATUSES } from '../../../collections/status.ts';
import { currencyMinorDigits, formatAmount, money } from '../../../money/money.ts';
import { roundForDisplay } from '../../../money/rounding.ts';

const amount = z.string().describe('a decimal string with the currency\'s minor-unit digits, e.g. "123.88"');
const time = z.string().nullable().describe('UTC, "YYYY-MM-DD HH:MM:SS"');

export const collectInvoice = z.object({
  invoiceId: z
    .number()
    .int()
    .nullable()
    .describe('The billing invoice the request is for (null for a standalone amount)'),
  batchId: z.number().int().nullable().describe('Requests sent in one batch share it (null when sent alone)'),
  accountNumber: z.string().nullable(),
  invoiceAmount: amount.describe('The amount requested'),
  invoiceStatus: z.enum(INVOICE_STATUSES),
  overallStatus: z.enum(OVERALL_STATUSES),
  url: z.string().describe('The payment link'),
  smsStatus: z.null().describe('[DEPRECATED] always null'),
  smsUpdateDate: z.null().describe('[DEPRECATED] always null'),
  visits: z.number().int().describe('Visits to the payment page'),
  lastVisit: time,
  transactions: z.number().int().describe('Payment attempts'),
  approvedTransactions: z.number().int().describe('Approved payment attempts'),
  declinedTransactions: z.number().int().describe('Declined payment attempts'),
  lastTransaction: time.describe('When the last payment attempt was made'),
  totalTransactionsAmount: amount.describe('Sum of the approved payment attempts'),
  email: z.string().nullable(),
  receiptDate: time.describe('When the last receipt was sent'),
  handler: z.string().nullable().describe('Agent id stored for reporting'),
  mobileNumber: z.string().nullable(),
  planAmount: amount.nullable(),
  planFrequency: z.enum(['weekly', 'fortnightly', 'monthly']).nullable(),
  planStartDate: z.string().nullable().describe('YYYY-MM-DD'),
  planRate: z.number().nullable().describe('Plan interest rate, percent a year'),
  instalmentEnabled: z.boolean(),
  planMaxTerm: z.number().int().nullable(),
  planMaxTermPeriod: z.enum(['day', 'month', 'year']).nullable(),
  customLabel1: z.string().nullable(),
  customValue1: z.string().nullable(),
  customLabel2: z.string().nullable(),
  customValue2: z.string().nullable(),
  customLabel3: z.string().nullable(),
  customValue3: z.string().nullable(),
  created: z.string().describe('UTC, "YYYY-MM-DD HH:MM:SS": when the request was processed'),
  updated: z.string().describe('UTC, "YYYY-MM-DD HH:MM:SS"'),
  // extensions
  requestId: z.number().int(),
  currency: z.string(),
  description: z.string().nullable(),
  outstanding: amount,
  paidAmount: amount.describe('Net paid (payments minus refunds)'),
  refundedAmount: amount,
  expiresAt: z.string().describe('UTC, "YYYY-MM-DD HH:MM:SS": the link stops working then'),
  channels: z.array(z.enum(['sms', 'email'])),
  allowPartial: z.boolean(),
  planFrequencies: z.array(z.enum(['weekly', 'fortnightly', 'monthly'])),
  planTotalAmount: amount.nullable().describe('Plan amount plus interest'),
});
export type CollectInvoice = z.infer<typeof collectInvoice>;

export function utcTime(value: Date | null): string | null {
  return value === null ? null : value.toISOString().slice(0, 19).replace('T', ' ');
}

export function toCollectInvoice(row: RequestFactsRow, now: Date): CollectInvoice {
  const digits = currencyMinorDigits(row.currency);
  const m = (value: string) => formatAmount(roundForDisplay(money(value), digits), digits);
  const states = statesOf(row, now);
  const plan = row.plan_id !== null;
  const terms = planTermsOf(row);
  return {
    invoiceId: row.invoice_id,
    batchId: row.batch_id,
    accountNumber: row.account_number,
    invoiceAmount: m(row.amount),
    invoiceStatus: states.invoiceStatus,
    overallStatus: states.overallStatus,
    url: row.url,
    smsStatus: null,
    smsUpdateDate: null,
    visits: row.visits,
    lastVisit: utcTime(row.last_visit_at),
    transactions: row.attempts,
    approvedTransactions: row.approved_attempts,
    declinedTransactions: row.declined_attempts,
    lastTransaction: utcTime(row.last_attempt_at),
    totalTransactionsAmount: m(row.approved_attempts_amount),
    email: row.email,
    receiptDate: utcTime(row.receipt_sent_at),
    handler: row.handler,
    mobileNumber: row.mobile_number,
    planAmount: plan && row.plan_amount !== null ? m(row.plan_amount) : null,
    planFrequency: plan ? (row.plan_frequency as CollectInvoice['planFrequency']) : null,
    planStartDate: plan ? row.plan_start_date : null,
    planRate:
      plan && row.plan_interest_rate !== null
        ? Number(row.plan_interest_rate)
        : row.plan_rate !== null
          ? Number(row.plan_rate)
          : null,
    instalmentEnabled: row.instalment_enabled,
    // The term the page enforces (a request that allows plans without a term gets the default), else null.
    planMaxTerm: terms ? terms.maxTerm : row.plan_max_term,
    planMaxTermPeriod: terms ? terms.maxTermPeriod : row.plan_max_term_period,
    customLabel1: row.custom_label1,
    customValue1: row.custom_value1,
    customLabel2: row.custom_label2,
    customValue2: row.custom_value2,
    customLabel3: row.custom_label3,
    customValue3: row.custom_value3,
    created: utcTime(row.created_at)!,
    updated: utcTime(row.updated_at)!,
    requestId: row.id,
    currency: row.currency,
    description: row.description,
    outstanding: m(states.outstanding),
    paidAmount: m(states.figures.paidNet),
    refundedAmount: m(states.figures.refunded),
    expiresAt: utcTime(row.expires_at)!,
    channels: row.channels as ('sms' | 'email')[],
    allowPartial: row.allow_partial,
    planFrequencies: row.plan_frequencies as CollectInvoice['planFrequencies'],
    planTotalAmount: plan && row.plan_total_amount !== null ? m(row.plan_total_amount) : null,
  };
}
