// Ending a reservation without a CDR: the switch releases it (the call failed or ended and no CDR will
// come), or it expires. Its money is given back by a release entry. A CDR that arrives later is still
// debited (once) when it is stored. Releasing a reservation that has ended already changes nothing.
import type { Ctx, Executor } from '../context.ts';
import { postToOne } from '../balances/post.ts';
import { lockBalances } from '../balances/repo.ts';
import type { ReservationRow } from '../balances/reservations-repo.ts';
import { notFound } from '../shared/errors.ts';
import { money } from '../money/money.ts';
import {
  dueReservations,
  findReservation,
  lockReservations,
  updateReservation,
} from '../balances/reservations-repo.ts';

/** Ends active reservations of one customer (balance row, then reservations: the lock order). */
export async function endReservations(
  trx: Executor,
  accountId: number,
  customerId: number,
  ids: readonly number[],
  status: 'released' | 'expired',
  now: Date,
  onlyDue = false,
): Promise<ReservationRow[]> {
  const [locked] = await lockBalances(trx, accountId, [customerId]);
  const rows = await lockReservations(trx, accountId, ids);
  const ending = rows.filter(
    (r) => r.status === 'active' && (!onlyDue || r.expires_at.getTime() <= now.getTime()),
  );
  const entries = ending
    .filter((r) => money(r.amount).greaterThan(0))
    .map((r) => ({
      kind: 'release' as const,
      amount: money(r.amount),
      reservationId: r.id,
      description: status === 'expired' ? 'reservation expired' : 'reservation released',
    }));
  if (locked && entries.length > 0) await postToOne(trx, accountId, locked, entries, now);
  const ended: ReservationRow[] = [];
  for (const r of ending)
    ended.push(await updateReservation(trx, accountId, r.id, { status, ended_at: now, updated_at: now }));
  return ended;
}

export async function releaseReservation(
  ctx: Ctx,
  accountId: number,
  reservationId: number,
): Promise<ReservationRow> {
  const seen = await findReservation(ctx.db, accountId, reservationId);
  if (!seen) throw notFound('Reservation', reservationId);
  return ctx.db.transaction().execute(async (trx) => {
    await endReservations(trx, accountId, seen.customer_id, [reservationId], 'released', ctx.now());
    return (await findReservation(trx, accountId, reservationId))!;
  });
}

/** Most reservations one run expires (the scheduler runs again soon). */
const EXPIRE_BATCH = 500;

/** Expires what is past its expiry, customer by customer; safe with several processes (row locks). */
export async function expireReservations(ctx: Ctx): Promise<number> {
  const now = ctx.now();
  const due = await dueReservations(ctx.db, now, EXPIRE_BATCH);
  const groups = new Map<string, { accountId: number; customerId: number; ids: number[] }>();
  for (const r of due) {
    const key = `${r.account_id}:${r.customer_id}`;
    const g = groups.get(key) ?? { accountId: r.account_id, customerId: r.customer_id, ids: [] };
    g.ids.push(r.id);
    groups.set(key, g);
  }
  let expired = 0;
  for (const g of groups.values()) {
    const ended = await ctx.db
      .transaction()
      .execute((trx) => endReservations(trx, g.accountId, g.customerId, g.ids, 'expired', now, true));
    expired += ended.length;
  }
  return expired;
}
