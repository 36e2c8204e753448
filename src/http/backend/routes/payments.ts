// Payments of an invoice on the backend API: money made elsewhere (bank transfer, cash, cheque…) recorded
// against an invoice, the list of every payment (card payments through payment links included), and refunds.
import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import type { Ctx } from '../../../context.ts';
import { findInvoice } from '../../../invoices/repo.ts';
import { PAYMENT_METHODS } from '../../../payments/apply-payment.ts';
import { recordInvoicePayment } from '../../../payments/record-payment.ts';
import { paymentsWithRefunds } from '../../../payments/list-payments.ts';
import type { PaymentRow, RefundRow } from '../../../payments/repo.ts';
import { invalid, notFound } from '../../../shared/errors.ts';
import { paymentFigures, receiptNumberOf, refundStatusOf } from '../../../payments/payment-money.ts';
import { principalOf } from '../../auth.ts';
import { loadAccount, type ZodApp } from '../../kit/app-type.ts';
import { pathId } from '../../kit/route-helpers.ts';
import { refundFromRoute } from '../../kit/refund-route.ts';
import { amount, idParams, idString } from '../schemas.ts';
import { AMOUNT_AS_STRING } from '../../../money/wire.ts';
import { invoiceView, toInvoiceView } from '../views/invoices.ts';

const tags = ['Payments'];
const MAX_LISTED = 1000;

/** Amounts enter only as decimal strings: a JSON number is refused (400001). */
const amountIn = z
  .string({ error: AMOUNT_AS_STRING })
  .max(40)
  .transform((v) => v.trim());

const refundStatus = z
  .enum(['pending', 'succeeded', 'failed_retrying', 'failed'])
  .describe(
    'pending: recorded, not yet taken by the gateway; succeeded; failed_retrying: the gateway refused it and the outbox tries again; failed: given up (refund by hand)',
  );
const refundView = z.object({
  id: idString,
  paymentID: idString,
  amount,
  reason: z.string().nullable(),
  status: refundStatus,
  lastError: z.string().nullable().describe("The gateway's last refusal while failed_retrying"),
  gatewayReference: z.string().nullable(),
  created: z.string(),
});
const paymentView = z
  .object({
    id: idString,
    invoiceID: idString.nullable(),
    paymentRequestID: idString.nullable(),
    amount: amount.describe('What the invoice received'),
    interestAmount: amount.describe(
      'Instalment plan interest charged with it ("0.00" otherwise): the card was charged amount + interestAmount, which a full refund returns',
    ),
    refundedAmount: amount,
    status: z.enum(['paid', 'partially_refunded', 'refunded']),
    paymentMethod: z.string(),
    reference: z.string().nullable(),
    notes: z.string().nullable(),
    gateway: z.string().nullable(),
    gatewayReference: z.string().nullable(),
    cardLast4: z.string().nullable(),
    receiptNumber: z
      .string()
      .describe('One per payment: the number its email and SMS receipts and the payment page show'),
    refundStatus: refundStatus.nullable().describe('Where its refunds stand, the worst first (null: none)'),
    paidAt: z.string(),
    created: z.string(),
    refunds: z.array(refundView),
  })
  .meta({ id: 'Payment' });

function time(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

function toRefund(r: RefundRow): z.infer<typeof refundView> {
  return {
    id: String(r.id),
    paymentID: String(r.payment_id),
    amount: r.amount,
    reason: r.reason,
    status: r.status,
    lastError: r.last_error,
    gatewayReference: r.gateway_reference,
    created: time(r.created_at),
  };
}

function toPayment(p: PaymentRow, allRefunds: RefundRow[]): z.infer<typeof paymentView> {
  const figures = paymentFigures(p);
  const refunds = allRefunds.filter((r) => Number(r.payment_id) === Number(p.id));
  return {
    id: String(p.id),
    invoiceID: p.invoice_id === null ? null : String(p.invoice_id),
    paymentRequestID: p.request_id === null ? null : String(p.request_id),
    amount: figures.amount,
    interestAmount: figures.interest,
    refundedAmount: figures.refunded,
    status: figures.status,
    paymentMethod: p.method,
    reference: p.reference,
    notes: p.notes,
    gateway: p.gateway,
    gatewayReference: p.gateway_reference,
    cardLast4: p.card_last4,
    receiptNumber: receiptNumberOf(p),
    refundStatus: refundStatusOf(refunds),
    paidAt: time(p.paid_at),
    created: time(p.created_at),
    refunds: refunds.map(toRefund),
  };
}

const paymentBody = z.strictObject({
  amount: amountIn.describe('The amount received, a decimal string ("25.00"); at most what is outstanding'),
  paymentMethod: z.enum(PAYMENT_METHODS).optional().describe('Default bank_transfer'),
  reference: z.string().max(200).optional().describe('The bank reference, cheque number…'),
  notes: z.string().max(2000).optional(),
  paidAt: z
    .string()
    .max(40)
    .optional()
    .describe('When the money arrived: an ISO 8601 time or a date (default now)'),
  sendReceipt: z.boolean().optional().describe('Email a receipt to the customer'),
});

const refundBody = z
  .strictObject({
    amount: amountIn.optional().describe('Default: all that is left to refund'),
    reason: z.string().max(500).optional(),
  })
  .nullish();

function parsePaidAt(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const d = new Date(`${value}T12:00:00Z`);
    if (!Number.isNaN(d.getTime()) && d.toISOString().startsWith(value)) return d;
  } else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
    const d = new Date(value.replace(' ', 'T'));
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw invalid('paidAt', 'must be a date (YYYY-MM-DD) or an ISO 8601 time with an offset');
}

export function paymentRoutes(app: ZodApp, ctx: Ctx): void {
  app.get(
    '/invoices/:id/payments',
    {
      schema: {
        tags,
        operationId: 'listInvoicePayments',
        summary: 'Payments of an invoice (card and recorded), with their refunds',
        params: idParams,
        response: { 200: z.array(paymentView) },
      },
    },
    async (request) => {
      const { accountId } = principalOf(request);
      const invoiceId = pathId(request.params.id, 'Invoice');
      if (!(await findInvoice(ctx.db, accountId, invoiceId))) throw notFound('Invoice', invoiceId);
      return (await paymentsWithRefunds(ctx, accountId, { invoiceId }, MAX_LISTED)).map((p) =>
        toPayment(p.payment, p.refunds),
      );
    },
  );

  app.post(
    '/invoices/:id/payments',
    {
      schema: {
        tags,
        operationId: 'recordInvoicePayment',
        summary: 'Record a payment made elsewhere (bank transfer, cash, cheque…)',
        description:
          "The invoice must be approved; the amount must not be more than is outstanding (400001). While a card payment is being taken on the invoice (its payment link), its amount is set aside: a payment recorded meanwhile may take only what is left beside it (409, retry in a moment). The invoice's paidAmount, outstanding and paidDate follow; when it becomes paid it carries the paid status flag and an invoice.paid webhook event is sent.",
        params: idParams,
        body: paymentBody,
        response: { 201: z.object({ payment: paymentView, invoice: invoiceView }) },
      },
      config: { level: KeyLevel.invoices },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const invoiceId = pathId(request.params.id, 'Invoice');
      const b = request.body;
      const applied = await recordInvoicePayment(ctx, accountId, invoiceId, {
        amount: b.amount,
        method: b.paymentMethod,
        reference: b.reference,
        notes: b.notes,
        paidAt: parsePaidAt(b.paidAt),
        sendReceipt: b.sendReceipt,
      });
      const account = await loadAccount(ctx, accountId);
      return reply
        .status(201)
        .send({ payment: toPayment(applied.payment, []), invoice: toInvoiceView(applied.invoice!, account) });
    },
  );

  app.post(
    '/payments/:id/refunds',
    {
      schema: {
        tags,
        operationId: 'refundPayment',
        summary: 'Refund a payment, all or part',
        description:
          "The refund is recorded at once (the invoice's paid amount moves back) and a card payment's refund is sent to its gateway by the outbox: tried at once, retried with backoff until the gateway takes it. `status` (and the payment's `refundStatus`) shows pending, succeeded, failed_retrying (with `lastError`) or failed.",
        params: idParams,
        body: refundBody,
        response: { 201: z.object({ refund: refundView, payment: paymentView }) },
      },
      // The refund is recorded and committed, then the gateway is tried and the answer says how it went
      // (refund-payment.ts): no unit of work, so a crash after the call keeps the record; the entry is
      // written in the refund's transaction.
      config: { level: KeyLevel.invoices, unitOfWork: false, auditedByRoute: true },
    },
    async (request, reply) => {
      const result = await refundFromRoute(ctx, request, pathId(request.params.id, 'Payment'), {
        amount: request.body?.amount,
        reason: request.body?.reason,
      });
      return reply
        .status(201)
        .send({ refund: toRefund(result.refund), payment: toPayment(result.payment, result.refunds) });
    },
  );
}
