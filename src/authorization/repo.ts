// Call authorisation's SQL: finding the line a call comes from (with its customer's credit terms and the
// account's rating settings), rate card fingerprints for the process cache, and reservations.
import { sql, type RawBuilder } from 'kysely';
import type pg from 'pg';
import type { Executor } from '../context.ts';
import type { ReservationRow, ReservationStatus } from '../db/schema-prepaid.ts';
import type { RateRow } from '../db/schema.ts';
import { phoneSpellings } from '../shared/contact.ts';
import { accountRowsSql } from '../accounts/repo.ts';
export type { ReservationRow } from '../db/schema-prepaid.ts';

export interface LineCandidate {
  feature_id: number;
  customer_id: number;
  start_date: string | null;
  end_date: string | null;
  rate_card_id: number | null;
  feature_vat_rate: string | null;
  billing_mode: 'postpaid' | 'prepaid';
  credit_limit: string | null;
  reverse_charge: boolean;
  has_balance: boolean;
}

export interface AccountRating {
  id: number;
  timezone: string;
  currency: string;
  peak_start: string;
  peak_end: string;
  default_vat_rate: string;
  default_rate_card_id: number | null;
}

/** The account's rating settings and default rate card, in one read. */
export async function accountRating(db: Executor, accountId: number): Promise<AccountRating | undefined> {
  const result = await sql<AccountRating>`
    select a.id, a.timezone, a.currency, a.peak_start, a.peak_end, a.default_vat_rate,
      (select r.id from rate_cards as r where r.account_id = a.id and r.is_default) as default_rate_card_id
    from ${accountRowsSql()} as a where a.id = ${accountId}
  `.execute(db);
  const row = result.rows[0];
  return row
    ? {
        ...row,
        default_rate_card_id: row.default_rate_card_id === null ? null : Number(row.default_rate_card_id),
      }
    : undefined;
}

/** Features with this number (either spelling), with what authorisation needs of their customers. */
export async function linesWithNumber(
  db: Executor,
  accountId: number,
  number: string,
): Promise<LineCandidate[]> {
  const rows = await sql<LineCandidate>`
    select f.id as feature_id, f.customer_id, f.start_date, f.end_date, coalesce(f.rate_card_id, c.rate_card_id) as rate_card_id,
      f.vat_rate as feature_vat_rate, c.billing_mode, c.credit_limit, c.reverse_charge,
      exists (select 1 from balances as b where b.account_id = f.account_id and b.customer_id = f.customer_id) as has_balance
    from features as f
    join customers as c on c.account_id = f.account_id and c.id = f.customer_id
    where f.account_id = ${accountId} and f.phone_number = any(${phoneSpellings(number)}::text[])
    order by f.id
  `.execute(db);
  return rows.rows.map((r) => ({
    ...r,
    rate_card_id: r.rate_card_id === null ? null : Number(r.rate_card_id),
  }));
}

/** A cheap summary of a card's rates: when it changes, the cached table is compiled again. */
export async function rateCardFingerprint(
  db: Executor,
  accountId: number,
  rateCardId: number,
): Promise<string> {
  const result = await sql<{ n: number; max_id: number | null; ended: number; last_end: string | null }>`
    select count(*)::int as n, max(id) as max_id, count(effective_to)::int as ended, max(effective_to)::text as last_end
    from rates where account_id = ${accountId} and rate_card_id = ${rateCardId}
  `.execute(db);
  const r = result.rows[0]!;
  return `${r.n}/${r.max_id ?? 0}/${r.ended}/${r.last_end ?? ''}`;
}

export async function loadCardRates(db: Executor, accountId: number, rateCardId: number): Promise<RateRow[]> {
  return db
    .selectFrom('rates')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('rate_card_id', '=', rateCardId)
    .execute();
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
    from calls as c
    join reservations as r on r.account_id = c.account_id and r.status = 'active'
      and (
        r.call_id = c.source_call_id
        or (r.call_id is null and r.from_number = ltrim(c.from_number, '+') and r.to_number = ltrim(c.to_number, '+')
            and c.start_time between r.start_time - make_interval(secs => ${MATCH_WINDOW_S}) and r.start_time + make_interval(secs => ${MATCH_WINDOW_S}))
      )
    where c.account_id = ${accountId} and c.id > ${newAbove} and c.xmin = pg_current_xact_id()::xid
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

/** The account's rating settings and the lines with this number, in one round trip (the authorisation path). */
export async function accountAndLines(
  db: Executor,
  accountId: number,
  number: string,
): Promise<{ account: AccountRating | undefined; lines: LineCandidate[] }> {
  const result = await sql<AccountRating & Partial<LineCandidate> & { feature_id: number | null }>`
    select a.id, a.timezone, a.currency, a.peak_start, a.peak_end, a.default_vat_rate,
      (select r.id from rate_cards as r where r.account_id = a.id and r.is_default) as default_rate_card_id,
      l.*
    from ${accountRowsSql()} as a
    left join lateral (
      select f.id as feature_id, f.customer_id, f.start_date, f.end_date, coalesce(f.rate_card_id, c.rate_card_id) as rate_card_id,
        f.vat_rate as feature_vat_rate, c.billing_mode, c.credit_limit, c.reverse_charge,
        exists (select 1 from balances as b where b.account_id = f.account_id and b.customer_id = f.customer_id) as has_balance
      from features as f
      join customers as c on c.account_id = f.account_id and c.id = f.customer_id
      where f.account_id = a.id and f.phone_number = any(${phoneSpellings(number)}::text[])
    ) as l on true
    where a.id = ${accountId}
    order by l.feature_id
  `.execute(db);
  const first = result.rows[0];
  if (!first) return { account: undefined, lines: [] };
  const account: AccountRating = {
    id: Number(first.id),
    timezone: first.timezone,
    currency: first.currency,
    peak_start: first.peak_start,
    peak_end: first.peak_end,
    default_vat_rate: first.default_vat_rate,
    default_rate_card_id: first.default_rate_card_id === null ? null : Number(first.default_rate_card_id),
  };
  const lines = result.rows
    .filter((r) => r.feature_id !== null)
    .map((r) => ({
      feature_id: Number(r.feature_id),
      customer_id: Number(r.customer_id),
      start_date: r.start_date ?? null,
      end_date: r.end_date ?? null,
      rate_card_id: r.rate_card_id == null ? null : Number(r.rate_card_id),
      feature_vat_rate: r.feature_vat_rate ?? null,
      billing_mode: r.billing_mode!,
      credit_limit: r.credit_limit ?? null,
      reverse_charge: Boolean(r.reverse_charge),
      has_balance: Boolean(r.has_balance),
    }));
  return { account, lines };
}

// ---- the authorisation hot path: one read, one write
//
// An authorisation reads the key, the account, the calling line, its customer's credit terms and balance,
// and whether any alert applies, in ONE query (authorizationFacts), and writes the reservation, its ledger
// entry and the balance row's new totals in ONE statement (reserveInOneStatement), which locks the balance
// row and re-checks what is available under that lock. So it reads tables other modules own (api_keys,
// accounts, features, customers, balances, balance_alerts) and writes the balances module's two tables: the
// one place this is done, for speed (bench/authorize.ts); every other read and write goes through the
// owning module, and the ledger arithmetic it repeats in SQL is the ledger's (balances/ledger.ts:
// availableOf, applyEntry for a reservation).

/** The PostgreSQL pool (ctx.database.pool), for named prepared statements; PGlite has none. */
export type PreparedPool = Pick<pg.Pool, 'query'>;

/**
 * Runs a query as a named prepared statement on PostgreSQL: parsed and planned once per connection (these
 * two plan in far longer than they run), then only bound and executed. Each name has one SQL text. On PGlite
 * (no pool) it runs through Kysely as usual.
 */
async function runPrepared<R>(
  db: Executor,
  pool: PreparedPool | undefined,
  name: string,
  query: RawBuilder<R>,
): Promise<R[]> {
  if (!pool) return (await query.execute(db)).rows;
  const compiled = query.compile(db);
  const result = await pool.query({ name, text: compiled.sql, values: compiled.parameters as unknown[] });
  return result.rows as R[];
}

export interface KeyOfRequest {
  id: number;
  level: number;
  timezone: string;
  account_id: number;
}

export interface LineWithBalance extends LineCandidate {
  overdraft: string;
  /** The balance row's totals when it was read (null: no balance row). */
  balance: string | null;
  reserved: string | null;
  /** An enabled alert applies to the customer (its own or the account's): the locking path checks it. */
  has_alerts: boolean;
}

export interface AuthorizationFacts {
  key: KeyOfRequest;
  account: AccountRating;
  lines: LineWithBalance[];
  /** The reservation of an earlier authorisation with this callId. */
  earlierReservationId: number | null;
}

/**
 * A row of the facts query: the key's and account's columns repeat on each line of the number (one row with
 * the line's columns null when none has it). Ids and levels are read through Number() (bigints arrive as
 * strings); the line's columns are typed as they are when `feature_id` is not null, the only rows read.
 */
interface AuthorizationFactsRow {
  key_id: unknown;
  key_level: unknown;
  key_timezone: string;
  id: unknown;
  timezone: string;
  currency: string;
  peak_start: string;
  peak_end: string;
  default_vat_rate: string;
  default_rate_card_id: unknown;
  earlier_id: unknown;
  feature_id: unknown;
  customer_id: unknown;
  start_date: string | null;
  end_date: string | null;
  rate_card_id: unknown;
  feature_vat_rate: string | null;
  billing_mode: LineCandidate['billing_mode'];
  credit_limit: string | null;
  reverse_charge: boolean;
  overdraft: string;
  has_balance: boolean;
  balance: string | null;
  reserved: string | null;
  has_alerts: boolean;
}

/** Everything an authorisation decides on, in one round trip; undefined when the key is unknown or revoked. */
export async function authorizationFacts(
  db: Executor,
  keyAccountId: number,
  keyHash: Buffer,
  number: string,
  callId: string | null,
  pool?: PreparedPool,
): Promise<AuthorizationFacts | undefined> {
  const query = sql<AuthorizationFactsRow>`
    select k.id as key_id, k.level as key_level, k.timezone as key_timezone,
      a.id, a.timezone, a.currency, a.peak_start, a.peak_end, a.default_vat_rate,
      (select r.id from rate_cards as r where r.account_id = a.id and r.is_default) as default_rate_card_id,
      ${callId === null ? sql`null::bigint` : sql`(select r.id from reservations as r where r.account_id = a.id and r.call_id = ${callId})`} as earlier_id,
      l.*
    from api_keys as k
    join ${accountRowsSql()} as a on a.id = k.account_id
    left join lateral (
      select f.id as feature_id, f.customer_id, f.start_date, f.end_date, coalesce(f.rate_card_id, c.rate_card_id) as rate_card_id,
        f.vat_rate as feature_vat_rate, c.billing_mode, c.credit_limit, c.reverse_charge, c.overdraft,
        (b.customer_id is not null) as has_balance, b.balance, b.reserved,
        exists (select 1 from balance_alerts as al where al.account_id = f.account_id and al.enabled and (al.customer_id is null or al.customer_id = f.customer_id)) as has_alerts
      from features as f
      join customers as c on c.account_id = f.account_id and c.id = f.customer_id
      left join balances as b on b.account_id = f.account_id and b.customer_id = f.customer_id
      where f.account_id = a.id and f.phone_number = any(${phoneSpellings(number)}::text[])
    ) as l on true
    where k.account_id = ${keyAccountId} and k.key_hash = ${keyHash} and k.revoked_at is null
    order by l.feature_id
  `;
  const rows = await runPrepared(
    db,
    pool,
    callId === null ? 'ringbill_authorization_facts' : 'ringbill_authorization_facts_call_id',
    query,
  );
  const first = rows[0];
  if (!first) return undefined;
  const nullableId = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    key: {
      id: Number(first.key_id),
      level: Number(first.key_level),
      timezone: first.key_timezone,
      account_id: Number(first.id),
    },
    account: {
      id: Number(first.id),
      timezone: first.timezone,
      currency: first.currency,
      peak_start: first.peak_start,
      peak_end: first.peak_end,
      default_vat_rate: first.default_vat_rate,
      default_rate_card_id: nullableId(first.default_rate_card_id),
    },
    lines: rows
      .filter((r) => r.feature_id !== null)
      .map((r) => ({
        feature_id: Number(r.feature_id),
        customer_id: Number(r.customer_id),
        start_date: r.start_date ?? null,
        end_date: r.end_date ?? null,
        rate_card_id: nullableId(r.rate_card_id),
        feature_vat_rate: r.feature_vat_rate ?? null,
        billing_mode: r.billing_mode,
        credit_limit: r.credit_limit ?? null,
        reverse_charge: Boolean(r.reverse_charge),
        has_balance: Boolean(r.has_balance),
        overdraft: r.overdraft,
        balance: r.balance ?? null,
        reserved: r.reserved ?? null,
        has_alerts: Boolean(r.has_alerts),
      })),
    earlierReservationId: nullableId(first.earlier_id),
  };
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
  pool?: PreparedPool,
): Promise<{ reservation: ReservationRow; availableBefore: string } | undefined> {
  const query = sql<ReservationRow & { available_before: string }>`
    with b as (
      select b.balance, b.reserved, b.entries, b.currency,
        case when c.billing_mode = 'prepaid' then b.balance + c.overdraft - b.reserved
             when c.credit_limit is null then null
             else c.credit_limit + b.balance - b.reserved end as available
      from balances as b
      join customers as c on c.account_id = b.account_id and c.id = b.customer_id
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
