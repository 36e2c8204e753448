// Payments of an invoice on the backend API: money made elsewhere (bank transfer, cash, cheque…) recorded
// against an invoice, the list of every payment (card payments through payment links included), and refunds.
import { z } from 'zod';
import { KeyLevel } from '../../../api-keys/levels.ts';
import type { Ctx } from '../../../context.ts';
import { findInvoice } from '../../../invoices/repo.ts';
import { PAYMENT_METHODS } from '../../../payments/apply-payment.ts';
import { recordInvoicePayment } from '../../../payments/record-payment.ts';
import { refundPayment } from '../../../payments/refund-payment.ts';
import { listPayments, listRefunds, type PaymentRow, type RefundRow } from '../../../payments/repo.ts';
import { invalid, notFound } from '../../../shared/errors.ts';
import { paymentFigures } from '../../../payments/payment-money.ts';
import { principalOf } from '../../auth.ts';
import { loadAccount, type ZodApp } from '../app-type.ts';
import { pathId } from '../route-helpers.ts';
import { amount, idParams, idString } from '../schemas.ts';
import { invoiceView, toInvoiceView } from '../views.ts';

const tags = ['Payments'];
const MAX_LISTED = 1000;

const amountIn = z
  .union([z.string().max(40), z.number().finite()])
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim()));

const refundView = z.object({ id: idString, paymentID: idString, amount, reason: z.string().nullable(), gatewayReference: z.string().nullable(), created: z.string() });
const paymentView = z
  .object({
    id: idString,
    invoiceID: idString.nullable(),
    paymentRequestID: idString.nullable(),
    amount: amount.describe('What the invoice received'),
    interestAmount: amount.describe('Instalment plan interest charged with it ("0.00" otherwise): the card was charged amount + interestAmount, which a full refund returns'),
    refundedAmount: amount,
    status: z.enum(['paid', 'partially_refunded', 'refunded']),
    paymentMethod: z.string(),
    reference: z.string().nullable(),
    notes: z.string().nullable(),
    gateway: z.string().nullable(),
    gatewayReference: z.string().nullable(),
    cardLast4: z.string().nullable(),
    paidAt: z.string(),
    created: z.string(),
    refunds: z.array(refundView),
  })
  .meta({ id: 'Payment' });

function time(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

function toRefund(r: RefundRow): z.infer<typeof refundView> {
  return { id: String(r.id), paymentID: String(r.payment_id), amount: r.amount, reason: r.reason, gatewayReference: r.gateway_reference, created: time(r.created_at) };
}

function toPayment(p: PaymentRow, refunds: RefundRow[]): z.infer<typeof paymentView> {
  const figures = paymentFigures(p);
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
    paidAt: time(p.paid_at),
    created: time(p.created_at),
    refunds: refunds.filter((r) => Number(r.payment_id) === Number(p.id)).map(toRefund),
  };
}

const paymentBody = z.strictObject({
  amount: amountIn.describe('The amount received, a decimal string ("25.00"); at most what is outstanding'),
  paymentMethod: z.enum(PAYMENT_METHODS).optional().describe('Default bank_transfer'),
  reference: z.string().max(200).optional().describe('The bank reference, cheque number…'),
  notes: z.string().max(2000).optional(),
  paidAt: z.string().max(40).optional().describe('When the money arrived: an ISO 8601 time or a date (default now)'),
  sendReceipt: z.boolean().optional().describe('Email a receipt to the customer'),
});

const refundBody = z.strictObject({ amount: amountIn.optional().describe('Default: all that is left to refund'), reason: z.string().max(500).optional() }).nullish();

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
    { schema: { tags, summary: 'Payments of an invoice (card and recorded), with their refunds', params: idParams, response: { 200: z.array(paymentView) } } },
    async (request) => {
      const { accountId } = principalOf(request);
      const invoiceId = pathId(request.params.id, 'Invoice');
      if (!(await findInvoice(ctx.db, accountId, invoiceId))) throw notFound('Invoice', invoiceId);
      const payments = await listPayments(ctx.db, accountId, { invoiceId }, MAX_LISTED);
      const refunds = await listRefunds(ctx.db, accountId, payments.map((p) => Number(p.id)));
      return payments.map((p) => toPayment(p, refunds));
    },
  );

  app.post(
    '/invoices/:id/payments',
    {
      schema: {
        tags,
        summary: 'Record a payment made elsewhere (bank transfer, cash, cheque…)',
        description: 'The invoice must be approved; the amount must not be more than is outstanding (400001). The invoice\'s paidAmount, outstanding and paidDate follow; when it becomes paid it carries the paid status flag and an invoice.paid webhook event is sent.',
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
      return reply.status(201).send({ payment: toPayment(applied.payment, []), invoice: toInvoiceView(applied.invoice!, account) });
    },
  );

  app.post(
    '/payments/:id/refunds',
    {
      schema: {
        tags,
        summary: 'Refund a payment, all or part',
        params: idParams,
        body: refundBody,
        response: { 201: z.object({ refund: refundView, payment: paymentView }) },
      },
      config: { level: KeyLevel.invoices },
    },
    async (request, reply) => {
      const { accountId } = principalOf(request);
      const result = await refundPayment(ctx, accountId, pathId(request.params.id, 'Payment'), { amount: request.body?.amount, reason: request.body?.reason });
      const refunds = await listRefunds(ctx.db, accountId, [Number(result.payment.id)]);
      return reply.status(201).send({ refund: toRefund(result.refund), payment: toPayment(result.payment, refunds) });
    },
  );
}
