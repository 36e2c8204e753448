// The one way Ringbill charges a card, whatever asks (the page's full or part payment, an instalment, a
// plan's first instalment, the scheduler): nothing reaches the gateway that could not be applied.
//
//   1. beginAttempt: under the invoice's lock (customer -> invoice -> request, the house order), a pending
//      attempt is recorded for the invoice (or standalone request). At most one attempt is pending per
//      invoice (a unique index backs the lock), so concurrent payments queue and the second sees the
//      first's result instead of charging again. The caller's guards run again under the lock. A form sent
//      again (the same form token) gets the first attempt back instead of a new one.
//   2. chargeAttempt: the gateway is asked outside any transaction, with the attempt's idempotency key.
//   3. finishAttempt: one transaction applies the result and settles the attempt. If an approved charge
//      cannot be applied, it is refunded through the outbox (refund-jobs.ts), recorded and logged.
//
// A process that dies between 2 and 3 leaves the attempt pending: resolve-pending.ts settles it from the
// gateway's record of the idempotency key, when the process is found gone or when the next payment comes.
import { randomUUID } from 'node:crypto';
import { logOf, type Ctx, type Executor } from '../context.ts';
import { lockRequest } from '../collections/repo.ts';
import type { AttemptPurpose } from './repo.ts';
import { lockInvoiceWithCustomer } from '../invoices/lock.ts';
import { DomainError } from '../shared/errors.ts';
import { testHold } from '../shared/test-hold.ts';
import {
  findAttempt,
  findAttemptByFormToken,
  findPendingAttempt,
  insertPendingAttempt,
  insertPendingRefund,
  releaseAttempt,
  serialKeyOf,
  settleAttempt,
} from './attempts-repo.ts';
import type { ChargeInput, ChargeResult } from './gateway.ts';
import { deliverSoon, type QueuedJob } from '../outbox/deliver-soon.ts';
import { queueGatewayRefund } from './refund-jobs.ts';
import type { AttemptRow } from './repo.ts';
import { gatewayOf } from './services.ts';

export const PAYMENT_IN_PROGRESS =
  'a card payment on this invoice is being processed: wait a moment and reload the page (nothing is charged twice)';

/** A page form's token: random, sent back with the form. */
export const FORM_TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export interface AttemptScope {
  accountId: number;
  requestId: number;
  invoiceId: number | null;
  purpose: AttemptPurpose;
  instalmentPlanId?: number | null | undefined;
  instalmentSeq?: number | null | undefined;
  /** What the card is charged. */
  amount: string;
  /** What the invoice or request receives (amount less an instalment's plan interest). */
  principal: string;
  currency: string;
  formToken?: string | undefined;
}

export type Begun = { kind: 'begun'; attempt: AttemptRow } | { kind: 'replay'; attempt: AttemptRow };

/**
 * Records a pending attempt under the invoice's (or request's) lock, after `recheck` (the caller's guards,
 * run again under the lock) passes. A form token already used answers that attempt (`replay`).
 */
export async function beginAttempt(
  ctx: Ctx,
  scope: AttemptScope,
  recheck: (trx: Executor) => Promise<void>,
): Promise<Begun> {
  const { accountId } = scope;
  const serialKey = serialKeyOf(scope.invoiceId, scope.requestId);
  return ctx.db.transaction().execute(async (trx): Promise<Begun> => {
    if (scope.invoiceId !== null) await lockInvoiceWithCustomer(trx, accountId, scope.invoiceId);
    await lockRequest(trx, accountId, scope.requestId);
    if (scope.formToken !== undefined) {
      const first = await findAttemptByFormToken(trx, accountId, scope.requestId, scope.formToken);
      if (first) return { kind: 'replay', attempt: first };
    }
    if (await findPendingAttempt(trx, accountId, serialKey))
      throw new DomainError('conflict', PAYMENT_IN_PROGRESS);
    await recheck(trx);
    const attempt = await insertPendingAttempt(trx, {
      account_id: accountId,
      request_id: scope.requestId,
      invoice_id: scope.invoiceId,
      instalment_plan_id: scope.instalmentPlanId ?? null,
      instalment_seq: scope.instalmentSeq ?? null,
      amount: scope.amount,
      principal_amount: scope.principal,
      currency: scope.currency,
      gateway: gatewayOf(ctx).name,
      purpose: scope.purpose,
      serial_key: serialKey,
      idempotency_key: `ringbill-${accountId}-${randomUUID()}`,
      form_token: scope.formToken ?? null,
      process_id: ctx.processId,
      created_at: ctx.now(),
      updated_at: ctx.now(),
      outcome: 'pending',
    });
    return { kind: 'begun', attempt };
  });
}

export type CardOf = Pick<ChargeInput, 'card' | 'cardToken' | 'saveCard' | 'description'>;

/**
 * Asks the gateway to charge the attempt. When the gateway fails (a network error: was the card charged?),
 * its record of the idempotency key decides; when that cannot be read either, the attempt is left to
 * recovery and the payer is told the payment is being checked.
 */
export async function chargeAttempt(ctx: Ctx, attempt: AttemptRow, card: CardOf): Promise<ChargeResult> {
  const gateway = gatewayOf(ctx);
  const key = attempt.idempotency_key!;
  let result: ChargeResult;
  try {
    result = await gateway.charge({
      ...card,
      amount: attempt.amount,
      currency: attempt.currency,
      now: ctx.now(),
      idempotencyKey: key,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    let found: ChargeResult | null | undefined;
    try {
      found = gateway.findCharge ? await gateway.findCharge(key) : undefined;
    } catch {
      found = undefined;
    }
    if (found) return found;
    const details = {
      accountId: attempt.account_id,
      attemptId: Number(attempt.id),
      amount: attempt.amount,
      error: message,
    };
    if (found === null) {
      await settleAttempt(ctx.db, attempt.account_id, Number(attempt.id), {
        outcome: 'not_charged',
        note: `the gateway failed: ${message}`.slice(0, 500),
        now: ctx.now(),
      });
      logOf(ctx).warn(details, 'the gateway failed a charge and has no record of it: nothing was taken');
      throw new DomainError(
        'action_failed',
        'the card could not be charged (the payment service failed); nothing was taken: try again',
      );
    }
    await releaseAttempt(
      ctx.db,
      attempt.account_id,
      Number(attempt.id),
      `the gateway failed: ${message}`.slice(0, 500),
      ctx.now(),
    );
    logOf(ctx).error(
      details,
      'the gateway failed a charge and its outcome is unknown: the attempt stays pending until recovery reads the gateway',
    );
    throw new DomainError(
      'action_failed',
      'the payment service did not answer: the payment is being checked and will not be taken twice; do not pay again yet',
    );
  }
  await testHold('card-charged');
  return result;
}

export type Approved = Extract<ChargeResult, { outcome: 'approved' }>;

/** What applying an approved charge produced: the payment (if any) and jobs to deliver after commit. */
export interface Applied {
  paymentId: number | null;
  instalmentPlanId?: number | undefined;
  jobs: QueuedJob[];
}

export type Finished<T> =
  { kind: 'declined'; attempt: AttemptRow } | { kind: 'approved'; attempt: AttemptRow; value: T };

/**
 * Applies the gateway's answer in one transaction and settles the attempt. A declined charge is recorded
 * (with `onDeclined`, in the same transaction); an approved charge that cannot be applied is refunded
 * through the outbox (compensate) and the apply's error is thrown.
 */
export async function finishAttempt<T extends Applied>(
  ctx: Ctx,
  attempt: AttemptRow,
  result: ChargeResult,
  apply: (trx: Executor, attempt: AttemptRow, result: Approved) => Promise<T>,
  onDeclined?: (trx: Executor) => Promise<void>,
): Promise<Finished<T>> {
  const accountId = attempt.account_id;
  const attemptId = Number(attempt.id);
  const card = { gatewayReference: result.reference, cardLast4: result.last4, cardBrand: result.brand };
  if (result.outcome === 'declined') {
    const settled = await ctx.db.transaction().execute(async (trx) => {
      const row = await settleAttempt(trx, accountId, attemptId, {
        outcome: 'declined',
        declineReason: result.reason,
        ...card,
        now: ctx.now(),
      });
      if (!row) throw new DomainError('conflict', `payment attempt ${attemptId} was settled meanwhile`);
      await onDeclined?.(trx);
      return row;
    });
    return { kind: 'declined', attempt: settled };
  }
  let outcome: { row: AttemptRow; value: T };
  try {
    outcome = await ctx.db.transaction().execute(async (trx) => {
      const value = await apply(trx, attempt, result);
      const row = await settleAttempt(trx, accountId, attemptId, {
        outcome: 'approved',
        ...card,
        paymentId: value.paymentId,
        instalmentPlanId: value.instalmentPlanId,
        now: ctx.now(),
      });
      if (!row) throw new DomainError('conflict', `payment attempt ${attemptId} was settled meanwhile`);
      return { row, value };
    });
  } catch (error) {
    await compensate(ctx, attempt, result, error);
    throw error;
  }
  await deliverSoon(ctx, outcome.value.jobs);
  return { kind: 'approved', attempt: outcome.row, value: outcome.value };
}

/**
 * The card was charged but the charge could not be applied: the attempt is settled as approved-and-refunded,
 * and a refund of the whole charge is recorded and queued (the outbox retries it until the gateway takes it).
 * If the attempt was settled meanwhile (recovery applied it), nothing is given back.
 */
export async function compensate(
  ctx: Ctx,
  attempt: AttemptRow,
  result: Approved,
  cause: unknown,
): Promise<void> {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const accountId = attempt.account_id;
  const attemptId = Number(attempt.id);
  const details = {
    accountId,
    attemptId,
    requestId: attempt.request_id,
    invoiceId: attempt.invoice_id,
    amount: attempt.amount,
    currency: attempt.currency,
    gatewayReference: result.reference,
    cause: reason,
  };
  let queued: { refundId: number; job: QueuedJob } | undefined;
  try {
    queued = await ctx.db.transaction().execute(async (trx) => {
      const now = ctx.now();
      const row = await settleAttempt(trx, accountId, attemptId, {
        outcome: 'approved',
        gatewayReference: result.reference,
        cardLast4: result.last4,
        cardBrand: result.brand,
        note: `charged but not applied (${reason}): the charge is refunded`.slice(0, 500),
        now,
      });
      if (!row) return undefined;
      const refund = await insertPendingRefund(trx, {
        account_id: accountId,
        payment_id: null,
        attempt_id: attemptId,
        request_id: attempt.request_id,
        invoice_id: attempt.invoice_id,
        amount: attempt.amount,
        currency: attempt.currency,
        reason: `the charge could not be applied: ${reason}`.slice(0, 500),
        gateway_reference: null,
        created_at: now,
      });
      return { refundId: Number(refund.id), job: await queueGatewayRefund(trx, refund, now) };
    });
  } catch (error) {
    // The database failed too: the attempt stays pending and recovery settles it from the gateway's record.
    logOf(ctx).error(
      { ...details, error: error instanceof Error ? error.message : String(error) },
      'a charge that could not be applied could not be recorded for refund either: recovery settles its pending attempt',
    );
    return;
  }
  if (!queued) return;
  logOf(ctx).warn(
    { ...details, refundId: queued.refundId },
    'a card charge could not be applied: it is refunded through the outbox',
  );
  await deliverSoon(ctx, [queued.job]);
}

/** Waits (bounded) for an attempt to be settled: a form sent again answers the first result. */
export async function settledAttempt(
  ctx: Ctx,
  accountId: number,
  attemptId: number,
  waitMs = 30_000,
): Promise<AttemptRow> {
  const deadline = Date.now() + waitMs;
  for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
    const row = await findAttempt(ctx.db, accountId, attemptId);
    if (!row) throw new DomainError('not_found', `payment attempt ${attemptId} not found`);
    if (row.outcome !== 'pending' || Date.now() >= deadline) return row;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
