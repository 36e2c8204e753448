// Payments, refunds, attempts and SMS as the collections surface shows them (ids are numbers, times UTC
// "YYYY-MM-DD HH:MM:SS", amounts decimal strings).
import { z } from 'zod';
import type { AttemptRow, PaymentRow, RefundRow } from '../../payments/repo.ts';
import type { SmsMessageRow } from '../../sms/repo.ts';
import { paymentFigures, receiptNumberOf, refundStatusOf } from '../../payments/payment-money.ts';
import { utcTime } from './views.ts';

const refundStatus = z
  .enum(['pending', 'succeeded', 'failed_retrying', 'failed'])
  .describe(
    'pending: recorded, not yet taken by the gateway; succeeded; failed_retrying: the gateway refused it, the outbox tries again; failed: given up (refund by hand)',
  );

export const attemptView = z.object({
  id: z.number().int(),
  requestId: z.number().int().nullable(),
  invoiceId: z.number().int().nullable(),
  amount: z.string(),
  currency: z.string(),
  outcome: z
    .enum(['pending', 'approved', 'declined', 'not_charged'])
    .describe(
      'pending: recorded before the gateway is asked (being charged); not_charged: settled by recovery, the gateway took nothing',
    ),
  declineReason: z.string().nullable(),
  gateway: z.string(),
  gatewayReference: z.string().nullable(),
  cardLast4: z.string().nullable(),
  cardBrand: z.string().nullable(),
  paymentId: z.number().int().nullable(),
  instalmentPlanId: z.number().int().nullable(),
  instalmentNumber: z.number().int().nullable(),
  note: z
    .string()
    .nullable()
    .describe(
      'Why an approved charge was not applied (it is refunded), or how recovery settled a pending attempt',
    ),
  refundStatus: refundStatus
    .nullable()
    .describe('The refund of a charge that could not be applied (a compensation), if any'),
  created: z.string(),
});

export function toAttemptView(
  a: AttemptRow,
  refunds: readonly RefundRow[] = [],
): z.infer<typeof attemptView> {
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: Number(a.id),
    requestId: n(a.request_id),
    invoiceId: n(a.invoice_id),
    amount: a.amount,
    currency: a.currency,
    outcome: a.outcome,
    declineReason: a.decline_reason,
    gateway: a.gateway,
    gatewayReference: a.gateway_reference,
    cardLast4: a.card_last4,
    cardBrand: a.card_brand,
    paymentId: n(a.payment_id),
    instalmentPlanId: n(a.instalment_plan_id),
    instalmentNumber: n(a.instalment_seq),
    note: a.note,
    refundStatus: refundStatusOf(refunds),
    created: utcTime(a.created_at)!,
  };
}

export const refundView = z.object({
  id: z.number().int(),
  paymentId: z.number().int().nullable(),
  attemptId: z
    .number()
    .int()
    .nullable()
    .describe('The attempt whose charge is refunded because it could not be applied (no payment)'),
  status: refundStatus,
  lastError: z.string().nullable(),
  amount: z.string(),
  currency: z.string(),
  reason: z.string().nullable(),
  gatewayReference: z.string().nullable(),
  created: z.string(),
});

export function toRefundView(r: RefundRow): z.infer<typeof refundView> {
  return {
    id: Number(r.id),
    paymentId: r.payment_id === null ? null : Number(r.payment_id),
    attemptId: r.attempt_id === null ? null : Number(r.attempt_id),
    status: r.status,
    lastError: r.last_error,
    amount: r.amount,
    currency: r.currency,
    reason: r.reason,
    gatewayReference: r.gateway_reference,
    created: utcTime(r.created_at)!,
  };
}

export const paymentView = z.object({
  id: z.number().int(),
  requestId: z.number().int().nullable(),
  invoiceId: z.number().int().nullable(),
  amount: z.string().describe('What the invoice (or request) received'),
  interestAmount: z
    .string()
    .describe(
      'Instalment plan interest charged with it ("0.00" otherwise): the card was charged amount + interestAmount, which a full refund returns',
    ),
  refundedAmount: z.string(),
  status: z.enum(['paid', 'partially_refunded', 'refunded']),
  currency: z.string(),
  method: z.string(),
  reference: z.string().nullable(),
  gateway: z.string().nullable(),
  gatewayReference: z.string().nullable(),
  cardLast4: z.string().nullable(),
  receiptNumber: z
    .string()
    .describe('One per payment: the number its email and SMS receipts and the payment page show'),
  refundStatus: refundStatus.nullable().describe('Where its refunds stand, the worst first (null: none)'),
  paidAt: z.string(),
  created: z.string(),
});

export function toPaymentView(
  p: PaymentRow,
  refunds: readonly RefundRow[] = [],
): z.infer<typeof paymentView> {
  const figures = paymentFigures(p);
  return {
    id: Number(p.id),
    requestId: p.request_id === null ? null : Number(p.request_id),
    invoiceId: p.invoice_id === null ? null : Number(p.invoice_id),
    amount: figures.amount,
    interestAmount: figures.interest,
    refundedAmount: figures.refunded,
    status: figures.status,
    currency: p.currency,
    method: p.method,
    reference: p.reference,
    gateway: p.gateway,
    gatewayReference: p.gateway_reference,
    cardLast4: p.card_last4,
    receiptNumber: receiptNumberOf(p),
    refundStatus: refundStatusOf(refunds.filter((r) => Number(r.payment_id) === Number(p.id))),
    paidAt: utcTime(p.paid_at)!,
    created: utcTime(p.created_at)!,
  };
}

export const smsView = z.object({
  id: z.number().int(),
  requestId: z.number().int().nullable(),
  kind: z.string(),
  to: z.string(),
  body: z.string(),
  provider: z.string(),
  status: z.string(),
  providerMessageId: z.string().nullable(),
  created: z.string(),
});

export function toSmsView(s: SmsMessageRow): z.infer<typeof smsView> {
  return {
    id: Number(s.id),
    requestId: s.request_id === null ? null : Number(s.request_id),
    kind: s.kind,
    to: s.to_number,
    body: s.body,
    provider: s.provider,
    status: s.status,
    providerMessageId: s.provider_message_id,
    created: utcTime(s.created_at)!,
  };
}
