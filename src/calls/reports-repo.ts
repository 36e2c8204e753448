// Read-only queries on calls for the console's read model (src/dashboard/), and the pieces other modules'
// queries compose so that only this module names the calls table (CONTRIBUTING.md rule 2). Each chart reads
// a bounded, indexed range (calls of the last 30 days through the start-time BRIN index), never all calls.
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { RatingStatus } from './repo.ts';

/** `(select count(*) from calls …)`: the account's calls in a rating status, for a statement that counts several things. */
export function callCountSql(accountId: number, ratingStatus: RatingStatus) {
  return sql<string>`(select count(*) from calls where account_id = ${accountId} and rating_status = ${ratingStatus})`;
}

export async function callsByDay(
  db: Executor,
  accountId: number,
  from: Date,
  timezone: string,
): Promise<{ day: string; calls: number; billable_s: number }[]> {
  const r = await sql<{ day: string; calls: string; billable_s: string }>`
    select to_char((start_time at time zone ${timezone})::date, 'YYYY-MM-DD') as day, count(*)::text as calls, coalesce(sum(billable_s), 0)::text as billable_s
    from calls
    where account_id = ${accountId} and start_time >= ${from}
    group by 1 order by 1
  `.execute(db);
  return r.rows.map((x) => ({ day: x.day, calls: Number(x.calls), billable_s: Number(x.billable_s) }));
}

export async function marginByDestination(
  db: Executor,
  accountId: number,
  from: Date,
  limit: number,
): Promise<{ destination: string; charge: string; cost: string; calls: number }[]> {
  const r = await sql<{ destination: string; charge: string; cost: string; calls: string }>`
    select coalesce(destination, 'Unknown') as destination, coalesce(sum(charge), 0)::text as charge, coalesce(sum(cost), 0)::text as cost, count(*)::text as calls
    from calls
    where account_id = ${accountId} and start_time >= ${from} and rating_status = 'rated'
    group by 1 order by sum(charge) desc nulls last limit ${limit}
  `.execute(db);
  return r.rows.map((x) => ({ ...x, calls: Number(x.calls) }));
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
  limit: number;
}

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
  return q
    .orderBy('id', 'desc')
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
