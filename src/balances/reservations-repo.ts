// Reservations: the holds call authorisation puts on a customer's balance until the call's CDR settles them.
// The balances module owns them with the ledger (a reservation's amount is the balance row's `reserved`, and
// it is made with its ledger entry in one statement). Every query takes the account id.
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../context.ts';
import type { ReservationRow, ReservationStatus } from '../db/schema-prepaid.ts';
import { runPrepared, type PreparedPool } from '../db/prepared.ts';
import { callsStoredInThisTransactionSql } from '../calls/repo.ts';
export type { ReservationRow } from '../db/schema-prepaid.ts';

/** `(select r.id from reservations …)`: the reservation an earlier authorisation made for this call id. */
export function reservationIdOfCallSql(accountIdColumn: string, callId: string) {
  return sql<unknown>`(select r.id from reservations as r where r.account_id = ${sql.ref(accountIdColumn)} and r.call_id = ${callId})`;
}

export interface NewReservation {
  account_id: number;
  customer_id: number;
  feature_id: number;
  call_id: string | null;
  from_number: string;
  to_number: string;
  start_time: Date;
  rate_id: number | null;
  destination: string | null;
  amount: string;
  max_duration_s: number;
  status: ReservationStatus;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

export async function insertReservation(db: Executor, values: NewReservation): Promise<ReservationRow> {
  return db.insertInto('reservations').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function findReservation(
  db: Executor,
  accountId: number,
  id: number,
): Promise<ReservationRow | undefined> {
  return db
    .selectFrom('reservations')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findReservationByCallId(
  db: Executor,
  accountId: number,
  callId: string,
): Promise<ReservationRow | undefined> {
  return db
    .selectFrom('reservations')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('call_id', '=', callId)
    .executeTakeFirst();
}

/** Locks reservations (after their customers' balance rows: the lock order), in id order. */
export async function lockReservations(
  db: Executor,
  accountId: number,
  ids: readonly number[],
): Promise<ReservationRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('reservations')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', 'in', [...ids])
    .orderBy('id')
    .forUpdate()
    .execute();
}

export async function updateReservation(
  db: Executor,
  accountId: number,
  id: number,
  values: {
    status?: ReservationStatus;
    amount?: string;
    max_duration_s?: number;
    expires_at?: Date;
    settled_call_id?: number | null;
    ended_at?: Date | null;
    updated_at: Date;
  },
): Promise<ReservationRow> {
  return db
    .updateTable('reservations')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function accountHasActiveReservations(db: Executor, accountId: number): Promise<boolean> {
  const row = await db
    .selectFrom('reservations')
    .select('id')
    .where('account_id', '=', accountId)
    .where('status', '=', 'active')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Most minutes between a reservation's start and its call's start for the two to be matched without a call id. */
export const MATCH_WINDOW_S = 300;

/**
 * Active reservations matched by calls this transaction stored (ids above `newAbove`): by the switch's call
 * id, else by the same from and to numbers (either spelling) and a start within MATCH_WINDOW_S, the
 * nearest first. A call matches at most one reservation and a reservation one call (the caller decides).
 */
export async function reservationsForNewCalls(
  db: Executor,
  accountId: number,
  newAbove: number,
): Promise<
  { reservation_id: number; customer_id: number; call_id: number; by_id: boolean; gap_s: number }[]
> {
  const result = await sql<{
    reservation_id: number;
    customer_id: number;
    call_id: number;
    by_id: boolean;
    gap_s: number;
  }>`
    select r.id as reservation_id, r.customer_id, c.id as call_id, (r.call_id is not null) as by_id,
      abs(extract(epoch from (c.start_time - r.start_time)))::int as gap_s
    from ${callsStoredInThisTransactionSql(accountId, newAbove)} as c
    join reservations as r on r.account_id = c.account_id and r.status = 'active'
      and (
        r.call_id = c.source_call_id
        or (r.call_id is null and r.from_number = ltrim(c.from_number, '+') and r.to_number = ltrim(c.to_number, '+')
            and c.start_time between r.start_time - make_interval(secs => ${MATCH_WINDOW_S}) and r.start_time + make_interval(secs => ${MATCH_WINDOW_S}))
      )
    order by by_id desc, gap_s, r.id, c.id
  `.execute(db);
  return result.rows.map((r) => ({
    ...r,
    reservation_id: Number(r.reservation_id),
    customer_id: Number(r.customer_id),
    call_id: Number(r.call_id),
  }));
}

/** Active reservations past their expiry (no locks: the expirer locks them with their balances). */
export async function dueReservations(
  db: Executor,
  now: Date,
  limit: number,
): Promise<{ account_id: number; customer_id: number; id: number }[]> {
  return db
    .selectFrom('reservations')
    .select(['account_id', 'customer_id', 'id'])
    .where('status', '=', 'active')
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
}

export async function listReservations(
  db: Executor,
  accountId: number,
  customerId: number,
  status: ReservationStatus | undefined,
  after: number | undefined,
  limit: number,
): Promise<ReservationRow[]> {
  let q = db
    .selectFrom('reservations')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId);
  if (status !== undefined) q = q.where('status', '=', status);
  if (after !== undefined) q = q.where('id', '>', after);
  return q
    .orderBy('id')
    .limit(limit + 1)
    .execute();
}

export interface OneStatementReservation extends NewReservation {
  /** The entry's description. */
  description: string;
  /**
   * The reservation is made only if what is available under the lock is at least `amount` and, when set,
   * less than `availableBelow` (the least that would pay for a longer call): then the duration decided on
   * the unlocked read is exactly what the locked row gives.
   */
  availableBelow: string | null;
}

/**
 * Locks the customer's balance row, checks what is available, and inserts the reservation, its
 * 'reservation' ledger entry (seq, running totals from the locked row) and the row's new totals: one
 * statement, so no transaction is needed around it. Undefined (nothing written) when the check fails.
 */
export async function reserveInOneStatement(
  db: Executor,
  r: OneStatementReservation,
  /** The customers relation (customers/reports-repo.ts customerRowsSql()): balances sits below customers. */
  customers: RawBuilder<unknown>,
  pool?: PreparedPool,
): Promise<{ reservation: ReservationRow; availableBefore: string } | undefined> {
  const query = sql<ReservationRow & { available_before: string }>`
    with b as (
      select b.balance, b.reserved, b.entries, b.currency,
        case when c.billing_mode = 'prepaid' then b.balance + c.overdraft - b.reserved
             when c.credit_limit is null then null
             else c.credit_limit + b.balance - b.reserved end as available
      from balances as b
      join ${customers} as c on c.account_id = b.account_id and c.id = b.customer_id
      where b.account_id = ${r.account_id} and b.customer_id = ${r.customer_id}
      for update of b
    ), ok as (
      select * from b where b.available >= ${r.amount}::numeric and (${r.availableBelow}::numeric is null or b.available < ${r.availableBelow}::numeric)
    ), res as (
      insert into reservations (account_id, customer_id, feature_id, call_id, from_number, to_number, start_time, rate_id, destination, amount, max_duration_s, status, expires_at, created_at, updated_at)
      select ${r.account_id}, ${r.customer_id}, ${r.feature_id}, ${r.call_id}, ${r.from_number}, ${r.to_number}, ${r.start_time}::timestamptz, ${r.rate_id}::bigint, ${r.destination},
        ${r.amount}::numeric, ${r.max_duration_s}::int, ${r.status}, ${r.expires_at}::timestamptz, ${r.created_at}::timestamptz, ${r.updated_at}::timestamptz
      from ok
      returning *
    ), entry as (
      insert into balance_entries (account_id, customer_id, seq, kind, amount, currency, balance_after, reserved_after, reservation_id, description, created_at)
      select ${r.account_id}, ${r.customer_id}, ok.entries + 1, 'reservation', -${r.amount}::numeric, ok.currency, ok.balance, ok.reserved + ${r.amount}::numeric,
        res.id, ${r.description}, ${r.created_at}::timestamptz
      from ok, res
      returning reservation_id
    ), totals as (
      update balances as t set reserved = ok.reserved + ${r.amount}::numeric, entries = ok.entries + 1, updated_at = ${r.updated_at}::timestamptz
      from ok, entry
      where t.account_id = ${r.account_id} and t.customer_id = ${r.customer_id}
      returning t.customer_id
    )
    select res.*, ok.available::text as available_before from res, ok, totals
  `;
  const row = (await runPrepared(db, pool, 'ringbill_reserve_in_one_statement', query))[0];
  if (!row) return undefined;
  const { available_before, ...reservation } = row;
  return { reservation: { ...reservation, id: Number(reservation.id) }, availableBefore: available_before };
}
