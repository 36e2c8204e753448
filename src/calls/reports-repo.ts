// Read-only queries on calls for the console's read model (src/dashboard/), and the pieces other modules'
// queries compose so that only this module names the calls table (CONTRIBUTING.md rule 2). Each chart reads
// a bounded, indexed range (calls of the last 30 days through the start-time BRIN index), never all calls.
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { Sort } from '../shared/sorting.ts';
import type { RatingStatus } from './repo.ts';

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
 * The calls of the last days in one scan (the start-time index's range): per day in the account's zone,
 * the calls and billed seconds; per destination, the rated calls' charge and cost, largest charge first
 * (`limit` of them). The rows are first summed per UTC hour and destination (a hash of a few thousand
 * groups, no per-row time-zone conversion or sort), then the hours per local day and per destination:
 * about a third of the work of the two per-row groupings it replaced (bench/console.ts). A zone whose
 * offset is not whole hours (India, +05:30) puts the first half hour of a local day on the day before:
 * the chart is off by that much at its day boundaries, never in its totals.
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
  const r = await sql<{
    day: string | null;
    destination: string | null;
    calls: string;
    billable_s: string;
    rated: string;
    charge: string;
    cost: string;
  }>`
    select to_char(day, 'YYYY-MM-DD') as day, destination,
           sum(calls)::text as calls, sum(billable_s)::text as billable_s, sum(rated)::text as rated,
           sum(charge)::text as charge, sum(cost)::text as cost
    from (
      select (hour at time zone ${timezone})::date as day, destination, calls, billable_s, rated, charge, cost
      from (
        select date_trunc('hour', start_time) as hour, coalesce(destination, 'Unknown') as destination,
               count(*) as calls, coalesce(sum(billable_s), 0) as billable_s,
               count(*) filter (where rating_status = 'rated') as rated,
               coalesce(sum(charge) filter (where rating_status = 'rated'), 0) as charge,
               coalesce(sum(cost) filter (where rating_status = 'rated'), 0) as cost
        from calls
        where account_id = ${accountId} and start_time >= ${from}
        group by 1, 2
      ) as per_hour
    ) as per_local_hour
    group by grouping sets ((day), (destination))
    order by sum(charge) desc, 1, 2
  `.execute(db);
  const byDay = r.rows
    .filter((x) => x.day !== null)
    .map((x) => ({ day: x.day!, calls: Number(x.calls), billable_s: Number(x.billable_s) }))
    .sort((a, b) => (a.day < b.day ? -1 : 1));
  const byDestination = r.rows
    .filter((x) => x.day === null && x.destination !== null && Number(x.rated) > 0)
    .slice(0, limit)
    .map((x) => ({ destination: x.destination!, charge: x.charge, cost: x.cost, calls: Number(x.rated) }));
  return { byDay, byDestination };
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

/** Unrated and unallocated calls grouped by reason. */
export async function ratingProblems(
  db: Executor,
  accountId: number,
): Promise<{ rating_status: string; reason: string; calls: number; first: Date; last: Date }[]> {
  const r = await sql<{ rating_status: string; reason: string; calls: string; first: Date; last: Date }>`
    select rating_status, coalesce(rating_error, 'no reason recorded') as reason, count(*)::text as calls, min(start_time) as first, max(start_time) as last
    from calls where account_id = ${accountId} and rating_status in ('unrated', 'unallocated')
    group by 1, 2 order by count(*) desc limit 50
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
