// Refunds leave through the outbox. A refund is recorded first (status pending) in the transaction that
// decides it, with an outbox job; the job asks the gateway, with the refund's own idempotency key so a repeat
// never refunds twice. A gateway that fails leaves the refund `failed_retrying` (with the error, logged)
// and the outbox tries again with backoff until it succeeds: a refund never vanishes. Used for refunds a
// user asks for and for compensations (a charge that could not be applied is given back).
import { logOf, type Ctx, type Executor } from '../context.ts';
import type { QueuedJob } from '../outbox/deliver-soon.ts';
import { enqueue, type OutboxJob } from '../outbox/repo.ts';
import { PermanentJobError, type JobHandler } from '../outbox/worker.ts';
import { findAttempt, findRefund, markRefund } from './attempts-repo.ts';
import { findPayment, type RefundRow } from './repo.ts';
import { gatewayOf } from './services.ts';

export const GATEWAY_REFUND_JOB = 'payments.gateway_refund';
/** Attempts before a refund job gives up: with the outbox's backoff (capped at 6 hours) about eight months. */
export const REFUND_MAX_ATTEMPTS = 1000;

export interface GatewayRefundJob {
  refundId: number;
}

/** Queues the gateway refund of a refund row, in the caller's transaction. */
export async function queueGatewayRefund(
  trx: Executor,
  refund: Pick<RefundRow, 'account_id' | 'id'>,
  now: Date,
): Promise<QueuedJob> {
  const job = await enqueue(trx, {
    accountId: refund.account_id,
    kind: GATEWAY_REFUND_JOB,
    payload: { refundId: Number(refund.id) } satisfies GatewayRefundJob,
    dedupeKey: `gateway-refund:${refund.id}`,
    maxAttempts: REFUND_MAX_ATTEMPTS,
    now,
  });
  return { accountId: refund.account_id, id: job.id };
}

/** The key a refund is sent with: one per refund row, the same on every try. */
export function refundIdempotencyKey(refund: Pick<RefundRow, 'account_id' | 'id'>): string {
  return `ringbill-refund-${refund.account_id}-${refund.id}`;
}

/** What the refunded charge was: the payment's gateway reference, or the (unapplied) attempt's. */
async function chargeOf(
  ctx: Ctx,
  refund: RefundRow,
): Promise<{ gateway: string; reference: string } | undefined> {
  if (refund.payment_id !== null) {
    const payment = await findPayment(ctx.db, refund.account_id, Number(refund.payment_id));
    if (payment?.gateway && payment.gateway_reference)
      return { gateway: payment.gateway, reference: payment.gateway_reference };
    return undefined;
  }
  if (refund.attempt_id !== null) {
    const attempt = await findAttempt(ctx.db, refund.account_id, Number(refund.attempt_id));
    if (attempt?.gateway_reference) return { gateway: attempt.gateway, reference: attempt.gateway_reference };
  }
  return undefined;
}

export const sendGatewayRefund: JobHandler = async (job: OutboxJob, ctx: Ctx) => {
  const { refundId } = job.payload as GatewayRefundJob;
  const refund = await findRefund(ctx.db, job.account_id, refundId);
  if (!refund) throw new PermanentJobError(`refund ${refundId} no longer exists`);
  if (refund.status === 'succeeded') return; // sent before (a repeat of the job)
  const charge = await chargeOf(ctx, refund);
  const now = ctx.now();
  const lastTry = job.attempts + 1 >= job.max_attempts;
  if (!charge) {
    await markRefund(ctx.db, refund.account_id, refundId, {
      status: 'failed',
      error: 'the refunded charge has no gateway reference',
      now,
    });
    throw new PermanentJobError(`refund ${refundId}: the refunded charge has no gateway reference`);
  }
  const details = {
    accountId: refund.account_id,
    refundId,
    paymentId: refund.payment_id,
    attemptId: refund.attempt_id,
    amount: refund.amount,
    currency: refund.currency,
    try: job.attempts + 1,
  };
  try {
    const gateway = gatewayOf(ctx);
    if (gateway.name !== charge.gateway)
      throw new Error(`the charge was taken by the ${charge.gateway} gateway, which is not configured`);
    const sent = await gateway.refund({
      reference: charge.reference,
      amount: refund.amount,
      currency: refund.currency,
      idempotencyKey: refundIdempotencyKey(refund),
    });
    await markRefund(ctx.db, refund.account_id, refundId, {
      status: 'succeeded',
      gatewayReference: sent.reference,
      now,
    });
    if (refund.tries > 0)
      logOf(ctx).warn(details, `refund ${refundId} went through after ${refund.tries} failed tries`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await markRefund(ctx.db, refund.account_id, refundId, {
      status: lastTry ? 'failed' : 'failed_retrying',
      error: message,
      now,
    });
    logOf(ctx)[lastTry ? 'error' : 'warn'](
      { ...details, error: message },
      lastTry
        ? `refund ${refundId} failed for good: refund it by hand`
        : `refund ${refundId} failed at the gateway; it is retried`,
    );
    throw error;
  }
};

export const PAYMENT_JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  [GATEWAY_REFUND_JOB]: sendGatewayRefund,
};
