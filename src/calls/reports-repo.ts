// Read-only queries on calls for the console's read model (src/dashboard/), and the pieces other modules'
// queries compose so that only this module names the calls table (CONTRIBUTING.md rule 2). Each chart reads
// the calls summed per hour (call_hours, hours-repo.ts) and the newest calls not yet summed, never all calls.
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../context.ts';
import type { Sort } from '../shared/sorting.ts';
import type { RatingStatus } from './repo.ts';
import { callHoursMark, callHoursMarkSql, callHoursSql } from './hours-repo.ts';

/**
 * `(select customer_id …)`: the customers with rated calls on no invoice that started before `before`, as a
 * relation in another module's raw SQL (the billing run's one query of customers to bill).
 */
export function unbilledCallCustomersSql(accountId: number, before: Date) {
  return sql<{
    customer_id: number;
  }>`(select customer_id from calls where account_id = ${accountId} and invoice_id is null and rating_status = 'rated' and start_time < ${before})`;
}

/** `(select count(*) from calls …)`: the account's calls in a rating status, for a statement that counts several things. */
export function callCountSql(accountId: number, ratingStatus: RatingStatus) {
  return sql<string>`(select count(*) from calls where account_id = ${accountId} and rating_status = ${ratingStatus})`;
}

/**
 * The calls of the last days: per day in the account's zone, the calls and billed seconds; per
 * destination, the rated calls' charge and cost, largest charge first (`limit` of them). Read from the
 * calls summed per UTC hour and destination (call_hours, a few thousand rows for 30 days) and the calls
 * not yet summed (the newest ids, through the primary key), never the 30 days of calls themselves; the
 * hours are then summed per local day and per destination. A zone whose offset is not whole hours (India,
 * +05:30) puts the first half hour of a local day on the day before: the chart is off by that much at its
 * day boundaries, never in its totals.
 */
export async function callActivity(
  db: Executor,
  accountId: number,
  from: Date,
  timezone: string,
  limit: number,
): Promise<{
  byDay: { day: string; calls: number; billable_s: number }[];
  byDestination: { destination: string; charge: string; cost: string; calls: number }[];
}> {
  const rows = await activityRows(db, accountId, from, timezone);
  const byDay = rows
    .filter((x) => x.day !== null)
    .map((x) => ({ day: x.day!, calls: Number(x.calls), billable_s: Number(x.billable_s) }))
    .sort((a, b) => (a.day < b.day ? -1 : 1));
  const byDestination = rows
    .filter((x) => x.day === null && x.destination !== null && Number(x.rated) > 0)
    .slice(0, limit)
    .map((x) => ({ destination: x.destination!, charge: x.charge, cost: x.cost, calls: Number(x.rated) }));
  return { byDay, byDestination };
}

interface ActivityRow {
  day: string | null;
  destination: string | null;
  calls: string;
  billable_s: string;
  rated: string;
  charge: string;
  cost: string;
  mark: string;
}

/** The mark is read first and passed as a value (see callHoursSql); if a run moved it meanwhile, once more with the statement's own. */
async function activityRows(db: Executor, accountId: number, from: Date, timezone: string) {
  const query = (mark: RawBuilder<unknown>) => sql<ActivityRow>`
    select to_char(day, 'YYYY-MM-DD') as day, destination,
           sum(calls)::text as calls, sum(billable_s)::text as billable_s, sum(rated)::text as rated,
           sum(charge)::text as charge, sum(cost)::text as cost, ${callHoursMarkSql(accountId)}::text as mark
    from (
      select (hour at time zone ${timezone})::date as day, destination, calls, billable_s, rated, charge, cost
      from ${callHoursSql(accountId, from, mark)} as per_hour
    ) as per_local_hour
    group by grouping sets ((day), (destination))
    order by sum(charge) desc, 1, 2
  `;
  const mark = await callHoursMark(db, accountId);
  const r = await query(sql`${mark}::bigint`).execute(db);
  if (r.rows.every((x) => x.mark === mark)) return r.rows;
  return (await query(callHoursMarkSql(accountId)).execute(db)).rows;
}

export interface CallSearch {
  number?: string | undefined;
  customerId?: number | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  status?: string | undefined;
  ratingStatus?: string | undefined;
  /** Older than this id (newest first). */
  before?: number | undefined;
  /** A whitelisted column's order (then id), from `offset`, instead of newest first. */
  sort?: Sort<keyof typeof CALL_SORTS> | undefined;
  offset?: number | undefined;
  limit: number;
}

export const CALL_SORTS = {
  start: 'start_time',
  from: 'from_number',
  to: 'to_number',
  seconds: 'duration_s',
  status: 'status',
  rating: 'rating_status',
  destination: 'destination',
  charge: 'charge',
} as const;

export async function searchCalls(db: Executor, accountId: number, s: CallSearch) {
  let q = db
    .selectFrom('calls')
    .select([
      'id',
      'source_call_id',
      'start_time',
      'from_number',
      'to_number',
      'direction',
      'duration_s',
      'status',
      'rating_status',
      'rating_error',
      'customer_id',
      'destination',
      'charge',
      'cost',
      'invoice_id',
    ])
    .where('account_id', '=', accountId);
  const digits = (s.number ?? '').replace(/\D/g, '');
  if (digits)
    q = q.where((eb) =>
      eb.or([eb('to_number', 'like', `%${digits}%`), eb('from_number', 'like', `%${digits}%`)]),
    );
  if (s.customerId !== undefined) q = q.where('customer_id', '=', s.customerId);
  if (s.from) q = q.where('start_time', '>=', s.from);
  if (s.to) q = q.where('start_time', '<', s.to);
  if (s.status) q = q.where('status', '=', s.status as never);
  if (s.ratingStatus) q = q.where('rating_status', '=', s.ratingStatus as never);
  if (s.before !== undefined) q = q.where('id', '<', s.before);
  if (s.sort) q = q.orderBy(CALL_SORTS[s.sort.key], s.sort.dir);
  return q
    .orderBy('id', s.sort?.dir ?? 'desc')
    .offset(s.offset ?? 0)
    .limit(s.limit + 1)
    .execute();
}

/** How many of the account's newest calls a customer's page looks through for that customer's latest ones. */
export const LATEST_CALLS_WINDOW = 20_000;

/**
 * A customer's newest calls among the account's newest LATEST_CALLS_WINDOW: a bounded walk back along the
 * primary key, whatever the number of calls and customers (no index by customer: it would cost every
 * stored call more than the page is worth; bench:ingest measured it).
 */
export async function latestCustomerCalls(
  db: Executor,
  accountId: number,
  customerId: number,
  limit: number,
) {
  const rows = await sql<{
    id: number;
    start_time: Date;
    to_number: string;
    duration_s: number;
    rating_status: string;
    charge: string | null;
  }>`
    select id, start_time, to_number, duration_s, rating_status, charge
    from (
      select id, customer_id, start_time, to_number, duration_s, rating_status, charge
      from calls where account_id = ${accountId} order by id desc limit ${LATEST_CALLS_WINDOW}
    ) as newest
    where customer_id = ${customerId}
    order by id desc limit ${limit}
  `.execute(db);
  return rows.rows.map((call) => ({ ...call, id: Number(call.id) }));
}

/**
 * Unrated and unallocated calls grouped by reason. A call's reason names its number and day ("no rate for
 * +447700900123 effective on 2026-10-21: card Standard's rates start 2026-12-07"); grouped as written, each
 * call would be a group of its own. So the number and the day are taken out of the group's reason
 * ("no rate for the called number effective on the call's day: …"), and one call's own reason is the example.
 */
export async function ratingProblems(
  db: Executor,
  accountId: number,
): Promise<
  { rating_status: string; reason: string; example: string | null; calls: number; first: Date; last: Date }[]
> {
  const r = await sql<{
    rating_status: string;
    reason: string;
    example: string | null;
    calls: string;
    first: Date;
    last: Date;
  }>`
    with problem as (
      select rating_status, rating_error, start_time,
        case
          when rating_error is not null then regexp_replace(
            regexp_replace(rating_error, '^no rate for .*?(?=( in the [a-z-]+ band on | effective on |: |$))', 'no rate for the called number'),
            ' on [0-9]{4}-[0-9]{2}-[0-9]{2}', ' on the call''s day', 'g')
          when rating_status = 'unallocated' then 'no feature has the calling number on the call''s day'
          else 'no reason recorded'
        end as reason
      from calls where account_id = ${accountId} and rating_status in ('unrated', 'unallocated')
    )
    select rating_status, reason, min(rating_error) as example, count(*)::text as calls, min(start_time) as first, max(start_time) as last
    from problem group by 1, 2 order by count(*) desc, 2 limit 50
  `.execute(db);
  return r.rows.map((x) => ({ ...x, calls: Number(x.calls) }));
}

/** The portal's search of a customer's own calls. */
export interface CustomerCallSearch {
  number?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  after?: number | undefined;
  limit: number;
}

export async function customerCalls(
  db: Executor,
  accountId: number,
  customerId: number,
  s: CustomerCallSearch,
) {
  let q = db
    .selectFrom('calls')
    .select([
      'id',
      'start_time',
      'from_number',
      'to_number',
      'direction',
      'duration_s',
      'status',
      'destination',
      'charge',
    ])
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId);
  if (s.number) {
    const digits = `%${s.number.replace(/\D/g, '')}%`;
    q = q.where((eb) => eb.or([eb('to_number', 'like', digits), eb('from_number', 'like', digits)]));
  }
  if (s.from) q = q.where('start_time', '>=', s.from);
  if (s.to) q = q.where('start_time', '<', s.to);
  if (s.after !== undefined) q = q.where('id', '<', s.after);
  return q
    .orderBy('id', 'desc')
    .limit(s.limit + 1)
    .execute();
}
