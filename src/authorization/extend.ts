// POST /calls/authorize/{id}/extend: more time for a call in progress. The call's whole duration is priced
// again (the inverse of rating over the total, so increments and the connection fee count once), capped at
// what is held plus what is available, and at `seconds` more than granted so far. The extra money is held
// by a reservation entry; the expiry moves forward.
import type { Ctx } from '../context.ts';
import { availableOf } from '../balances/ledger.ts';
import { postToOne } from '../balances/post.ts';
import { lockBalances } from '../balances/repo.ts';
import { fromMicros, toMicros } from '../money/micros.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { formatDecimal, money } from '../money/money.ts';
import {
  DEFAULT_AUTHORIZATION_SETTINGS,
  rateOfReservation,
  type Authorization,
  type AuthorizationSettings,
} from './authorize.ts';
import { maxAffordableDuration } from './max-duration.ts';
import { accountRating } from './repo.ts';
import { findReservation, lockReservations, updateReservation } from '../balances/reservations-repo.ts';

export async function extendReservation(
  ctx: Ctx,
  accountId: number,
  reservationId: number,
  input: { seconds?: number | undefined },
  settings: AuthorizationSettings = DEFAULT_AUTHORIZATION_SETTINGS,
): Promise<Authorization & { extendedByS: number }> {
  const seconds = input.seconds ?? settings.maxDurationS;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > settings.maxDurationS)
    throw invalid('seconds', `must be a whole number from 1 to ${settings.maxDurationS}`);
  const seen = await findReservation(ctx.db, accountId, reservationId);
  if (!seen) throw notFound('Reservation', reservationId);
  const account = (await accountRating(ctx.db, accountId))!;
  const rate = await rateOfReservation(ctx, accountId, seen);
  if (!rate)
    throw new DomainError('conflict', `reservation ${reservationId}: its rate no longer prices the call`);
  return ctx.db.transaction().execute(async (trx) => {
    const [locked] = await lockBalances(trx, accountId, [seen.customer_id]);
    const [reservation] = await lockReservations(trx, accountId, [reservationId]);
    if (!reservation) throw notFound('Reservation', reservationId);
    if (reservation.status !== 'active')
      throw new DomainError(
        'conflict',
        `reservation ${reservationId} is ${reservation.status}: only an active one can be extended`,
      );
    const now = ctx.now();
    const heldMicros = toMicros(formatDecimal(reservation.amount));
    const cap = reservation.max_duration_s + seconds;
    let durationS = cap;
    let costMicros = 0;
    let available: string | null = null;
    const left = locked
      ? availableOf(
          { balance: money(locked.balance), reserved: money(locked.reserved) },
          { mode: locked.billing_mode, creditLimit: locked.credit_limit, overdraft: locked.overdraft },
        )
      : null;
    if (locked && left !== null) {
      const leftMicros = left.isNegative()
        ? 0
        : toMicros(left.greaterThan('999999999999') ? '999999999999' : formatDecimal(left));
      ({ durationS, costMicros } = maxAffordableDuration(rate.rate, leftMicros + heldMicros, rate.vat, cap));
      if (durationS < reservation.max_duration_s) {
        // Less is available than when it was granted (an overdraft lowered…): keep what was granted.
        durationS = reservation.max_duration_s;
        costMicros = heldMicros;
      }
      available = left.minus(fromMicros(costMicros - heldMicros)).toFixed();
    }
    const extraMicros = costMicros - heldMicros;
    if (locked && extraMicros > 0) {
      await postToOne(
        trx,
        accountId,
        locked,
        [
          {
            kind: 'reservation',
            amount: money(fromMicros(extraMicros)).negated(),
            reservationId,
            description: `call extended to ${durationS} s`,
          },
        ],
        now,
      );
    }
    const updated = await updateReservation(trx, accountId, reservationId, {
      amount: locked && left !== null ? fromMicros(costMicros) : reservation.amount,
      max_duration_s: durationS,
      expires_at: new Date(now.getTime() + settings.reservationTtlS * 1000),
      updated_at: now,
    });
    const extendedByS = durationS - reservation.max_duration_s;
    return {
      authorized: extendedByS > 0,
      maxDurationS: durationS,
      reservation: updated,
      rate,
      reason:
        extendedByS > 0
          ? null
          : locked?.billing_mode === 'prepaid'
            ? 'insufficient_balance'
            : 'credit_limit_reached',
      currency: account.currency,
      available,
      replayed: false,
      extendedByS,
    };
  });
}
