// Reads of payments and attempts for the API views: each with its refunds (status included), so a refund the
// gateway has not taken yet is visible where the money is shown.
import type { Ctx } from '../context.ts';
import { refundsOfAttempts } from './attempts-repo.ts';
import {
  listAttempts,
  listPayments,
  listRefunds,
  type AttemptRow,
  type PaymentRow,
  type RefundRow,
} from './repo.ts';

export interface PaymentWithRefunds {
  payment: PaymentRow;
  refunds: RefundRow[];
}

export async function paymentsWithRefunds(
  ctx: Ctx,
  accountId: number,
  filter: { invoiceId?: number; requestId?: number; paymentId?: number },
  limit: number,
): Promise<PaymentWithRefunds[]> {
  const payments = await listPayments(ctx.db, accountId, filter, limit);
  const refunds = await listRefunds(
    ctx.db,
    accountId,
    payments.map((p) => Number(p.id)),
  );
  return payments.map((payment) => ({
    payment,
    refunds: refunds.filter((r) => Number(r.payment_id) === Number(payment.id)),
  }));
}

export interface AttemptWithRefunds {
  attempt: AttemptRow;
  /** The refund of a charge that could not be applied (a compensation), if any. */
  refunds: RefundRow[];
}

export async function attemptsWithRefunds(
  ctx: Ctx,
  accountId: number,
  requestId: number,
  limit: number,
): Promise<AttemptWithRefunds[]> {
  const attempts = await listAttempts(ctx.db, accountId, requestId, limit);
  const refunds = await refundsOfAttempts(
    ctx.db,
    accountId,
    attempts.map((a) => Number(a.id)),
  );
  return attempts.map((attempt) => ({
    attempt,
    refunds: refunds.filter((r) => Number(r.attempt_id) === Number(attempt.id)),
  }));
}
