// SQL for charging instalment plans and guarding the payment page (the rest of the plans' SQL is in repo.ts).
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { InstalmentRow, PaymentRow } from './repo.ts';
import { accountRows } from '../accounts/repo.ts';

export interface SchedulableInstalment extends InstalmentRow {
  request_id: number;
  card_token: string | null;
  currency: string;
  timezone: string;
}

/**
 * Unpaid instalments the scheduler has to act on, oldest first: due ones of plans with a saved card (to
 * charge), and due ones of plans without a card whose link has not been sent yet. `onOrBefore` is the latest
 * "today" of any timezone; the caller checks each against its account's own date. Instalments whose claim
 * (last_attempt_at) is younger than the lease are left to whoever holds it.
 */
export async function instalmentsToAct(
  db: Executor,
  onOrBefore: string,
  leaseExpiredBefore: Date,
  limit: number,
): Promise<SchedulableInstalment[]> {
  const rows = await db
    .selectFrom('instalments as i')
    .innerJoin('instalment_plans as p', (j) =>
      j.onRef('p.account_id', '=', 'i.account_id').onRef('p.id', '=', 'i.plan_id'),
    )
    .innerJoin(accountRows(db).as('a'), 'a.id', 'i.account_id')
    .selectAll('i')
    .select(['p.request_id', 'p.card_token', 'p.currency', 'a.timezone'])
    .where('i.status', '=', 'due')
    .where('p.status', '=', 'active')
    .where('i.due_date', '<=', onOrBefore)
    .where((eb) =>
      eb.or([
        eb.and([
          eb('p.card_token', 'is not', null),
          eb.or([eb('i.last_attempt_at', 'is', null), eb('i.last_attempt_at', '<', leaseExpiredBefore)]),
        ]),
        eb.and([eb('p.card_token', 'is', null), eb('i.last_attempt_at', 'is', null)]),
      ]),
    )
    .orderBy('i.due_date')
    .orderBy('i.account_id')
    .orderBy('i.plan_id')
    .orderBy('i.seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    ...r,
    account_id: Number(r.account_id),
    plan_id: Number(r.plan_id),
    request_id: Number(r.request_id),
  }));
}

/**
 * Claims an instalment for one charge or one link: sets last_attempt_at if nobody holds a live claim. True when
 * this caller got it (so two schedulers never charge the same instalment at once).
 */
export async function claimInstalment(
  db: Executor,
  accountId: number,
  planId: number,
  seq: number,
  now: Date,
  leaseExpiredBefore: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('instalments')
    .set({ last_attempt_at: now })
    .where('account_id', '=', accountId)
    .where('plan_id', '=', planId)
    .where('seq', '=', seq)
    .where('status', '=', 'due')
    .where((eb) => eb.or([eb('last_attempt_at', 'is', null), eb('last_attempt_at', '<', leaseExpiredBefore)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Gives up this caller's claim (made at `claimedAt`) on an instalment still due, so the next scheduler run may
 * take it at once instead of when the lease runs out: for a charge that could not start (another payment on
 * the same invoice was in progress in another process). A claim someone else holds, or a paid instalment, is
 * left as it is.
 */
export async function releaseInstalment(
  db: Executor,
  accountId: number,
  planId: number,
  seq: number,
  claimedAt: Date,
): Promise<void> {
  await db
    .updateTable('instalments')
    .set({ last_attempt_at: null })
    .where('account_id', '=', accountId)
    .where('plan_id', '=', planId)
    .where('seq', '=', seq)
    .where('status', '=', 'due')
    .where('last_attempt_at', '=', claimedAt)
    .execute();
}

/** Due instalments of plans without a saved card, due on or before the date and still unpaid: they become missed. */
export async function overdueWithoutCard(
  db: Executor,
  dueOnOrBefore: string,
  limit: number,
): Promise<{ account_id: number; plan_id: number; seq: number }[]> {
  const rows = await db
    .selectFrom('instalments as i')
    .innerJoin('instalment_plans as p', (j) =>
      j.onRef('p.account_id', '=', 'i.account_id').onRef('p.id', '=', 'i.plan_id'),
    )
    .select(['i.account_id', 'i.plan_id', 'i.seq'])
    .where('i.status', '=', 'due')
    .where('p.status', '=', 'active')
    .where('p.card_token', 'is', null)
    .where('i.due_date', '<=', dueOnOrBefore)
    .orderBy('i.due_date')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    account_id: Number(r.account_id),
    plan_id: Number(r.plan_id),
    seq: Number(r.seq),
  }));
}

export async function markMissed(
  db: Executor,
  accountId: number,
  planId: number,
  seq: number,
  reason: string,
): Promise<void> {
  await db
    .updateTable('instalments')
    .set({ status: 'missed', last_error: reason })
    .where('account_id', '=', accountId)
    .where('plan_id', '=', planId)
    .where('seq', '=', seq)
    .where('status', '=', 'due')
    .execute();
}

/** Declined card attempts on a request since a time (the page's guard against card testing). */
export async function countDeclinedAttempts(
  db: Executor,
  accountId: number,
  requestId: number,
  since: Date | null,
): Promise<number> {
  const row = await sql<{ n: number }>`
    select count(*)::int as n from payment_attempts
    where account_id = ${accountId} and request_id = ${requestId} and outcome = 'declined'
      ${since ? sql`and created_at >= ${since}` : sql``}
  `.execute(db);
  return Number(row.rows[0]?.n ?? 0);
}

/** A payment made through a request (the page's confirmation), or undefined. */
export async function findRequestPayment(
  db: Executor,
  accountId: number,
  requestId: number,
  paymentId: number,
): Promise<PaymentRow | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('request_id', '=', requestId)
    .where('id', '=', paymentId)
    .executeTakeFirst();
}

export async function setPlanCard(
  db: Executor,
  accountId: number,
  planId: number,
  card: { token: string | null; last4: string | null; gateway: string },
  now: Date,
): Promise<void> {
  await db
    .updateTable('instalment_plans')
    .set({ card_token: card.token, card_last4: card.last4, gateway: card.gateway, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', planId)
    .execute();
}

/** The request's newest plan (active, completed or cancelled), or undefined. */
export async function latestPlanIdOfRequest(
  db: Executor,
  accountId: number,
  requestId: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('instalment_plans')
    .select('id')
    .where('account_id', '=', accountId)
    .where('request_id', '=', requestId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.id) : undefined;
}
