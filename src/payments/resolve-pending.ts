// Recovery of card attempts left pending: a process that died (or lost the gateway's answer) between the
// charge and applying it. The gateway's record of the attempt's idempotency key decides: no charge -> the
// attempt is `not_charged` and the payer may pay; declined -> recorded; approved -> applied now as the
// process would have (a payment, an instalment), or refunded through the outbox when it no longer can be
// (a plan whose first instalment was charged but never stored is refunded: the payer starts it again).
// Run by the server at start and every minute (beside the instalment scheduler), and by the next payment on
// the same invoice before it begins, so a crash never blocks an invoice for longer than that.
import { logOf, type Ctx } from '../context.ts';
import { applyInstalmentCharge, applyRequestCharge } from './apply-charge.ts';
import { pendingAttemptsToResolve, serialKeyOf, settleAttempt } from './attempts-repo.ts';
import { compensate, finishAttempt, type Applied } from './card-attempt.ts';
import type { ChargeResult } from './gateway.ts';
import type { AttemptRow } from './repo.ts';
import { gatewayOf } from './services.ts';

/** A pending attempt older than this is settled even if its process looks alive (no charge takes so long). */
export const STALE_PENDING_MS = 10 * 60_000;
const BATCH = 100;

export type Resolution = 'applied' | 'declined' | 'not_charged' | 'refunded' | 'left';

export interface ResolvedRun {
  applied: number;
  declined: number;
  notCharged: number;
  refunded: number;
  left: number;
}

/** Settles what can be settled of the pending attempts of gone processes (at most one batch). */
export async function resolvePendingAttempts(ctx: Ctx): Promise<ResolvedRun> {
  const run: ResolvedRun = { applied: 0, declined: 0, notCharged: 0, refunded: 0, left: 0 };
  const rows = await pendingAttemptsToResolve(
    ctx.db,
    ctx.liveness,
    new Date(ctx.now().getTime() - STALE_PENDING_MS),
    BATCH,
  );
  for (const row of rows) {
    const outcome = await resolvePendingAttempt(ctx, row);
    if (outcome === 'not_charged') run.notCharged++;
    else run[outcome]++;
  }
  return run;
}

/** Before a new attempt on an invoice (or standalone request): settles one a gone process left there. */
export async function settleStalePending(
  ctx: Ctx,
  accountId: number,
  invoiceId: number | null,
  requestId: number,
): Promise<void> {
  const rows = await pendingAttemptsToResolve(
    ctx.db,
    ctx.liveness,
    new Date(ctx.now().getTime() - STALE_PENDING_MS),
    5,
    {
      accountId,
      serialKey: serialKeyOf(invoiceId, requestId),
    },
  );
  for (const row of rows) await resolvePendingAttempt(ctx, row);
}

export async function resolvePendingAttempt(ctx: Ctx, attempt: AttemptRow): Promise<Resolution> {
  const gateway = gatewayOf(ctx);
  const details = {
    accountId: attempt.account_id,
    attemptId: Number(attempt.id),
    amount: attempt.amount,
    currency: attempt.currency,
    purpose: attempt.purpose,
  };
  if (gateway.name !== attempt.gateway || !gateway.findCharge || attempt.idempotency_key === null) {
    logOf(ctx).warn(
      details,
      `a pending card attempt cannot be settled here: the ${attempt.gateway} gateway is not configured or cannot look charges up`,
    );
    return 'left';
  }
  let found: ChargeResult | null;
  try {
    found = await gateway.findCharge(attempt.idempotency_key);
  } catch (error) {
    logOf(ctx).warn(
      { ...details, error: error instanceof Error ? error.message : String(error) },
      'the gateway could not be asked about a pending card attempt; tried again later',
    );
    return 'left';
  }
  if (found === null) {
    const settled = await settleAttempt(ctx.db, attempt.account_id, Number(attempt.id), {
      outcome: 'not_charged',
      note: 'settled by recovery: the gateway has no charge for it',
      now: ctx.now(),
    });
    if (settled)
      logOf(ctx).warn(details, 'a pending card attempt of a stopped process was never charged: closed');
    return 'not_charged';
  }
  if (found.outcome === 'declined') {
    await finishAttempt(ctx, attempt, found, async () => ({ paymentId: null, jobs: [] })).catch(
      (error: unknown) => logFailure(ctx, details, error),
    );
    return 'declined';
  }
  if (attempt.purpose === 'plan_start') {
    await compensate(
      ctx,
      attempt,
      found,
      new Error('the process starting the plan stopped before the plan was stored'),
    );
    return 'refunded';
  }
  try {
    await finishAttempt<Applied>(ctx, attempt, found, (trx, a, approved) =>
      a.purpose === 'instalment'
        ? applyInstalmentCharge(trx, ctx, a, approved)
        : applyRequestCharge(trx, ctx, a, approved),
    );
    logOf(ctx).warn(details, 'a card charge a stopped process made was applied by recovery');
    return 'applied';
  } catch (error) {
    // finishAttempt refunded it through the outbox (compensate), unless it was settled meanwhile.
    logFailure(ctx, details, error);
    return 'refunded';
  }
}

function logFailure(ctx: Ctx, details: Record<string, unknown>, error: unknown): void {
  logOf(ctx).warn(
    { ...details, error: error instanceof Error ? error.message : String(error) },
    'a pending card attempt could not be applied by recovery',
  );
}
