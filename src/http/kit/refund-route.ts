// A refund asked for through an API (the backend's `POST /payments/ID/refunds` and the collect API's): made
// with its audit entry in the refund's own transaction (the routes run outside a unit of work, see
// refund-payment.ts), then the payment read back with every refund it has, for the answer. Each surface shapes
// the answer with its own views.
import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../../context.ts';
import type { PaymentRow, RefundRow } from '../../payments/repo.ts';
import { paymentsWithRefunds } from '../../payments/list-payments.ts';
import { refundPayment, type RefundInput } from '../../payments/refund-payment.ts';
import { principalOf } from '../auth.ts';
import { apiAuditOf } from './unit-of-work.ts';

export async function refundFromRoute(
  ctx: Ctx,
  request: FastifyRequest,
  paymentId: number,
  input: RefundInput,
): Promise<{ refund: RefundRow; payment: PaymentRow; refunds: RefundRow[] }> {
  const { accountId } = principalOf(request);
  const result = await refundPayment(
    ctx,
    accountId,
    paymentId,
    input,
    apiAuditOf(request, { action: 'create', resource: 'refunds' }),
  );
  const [shown] = await paymentsWithRefunds(ctx, accountId, { paymentId: Number(result.payment.id) }, 1);
  return { ...result, refunds: shown?.refunds ?? [] };
}
