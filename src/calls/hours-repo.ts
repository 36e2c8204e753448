// The calls summed per account, UTC hour and destination (call_hours, migration 0029), for the console
// overview's charts: every call with an id up to the account's mark (call_hours_marks.summarised_to) is in
// call_hours, the ones above it are read live through the primary key. summariseAccountCallHours moves the
// mark (the periodic job, calls/summarise-call-hours.ts); updateCallRatings (repo.ts) adds a re-rated
// summarised call's change with callHoursDeltaSql. Owned by the calls module, like the calls.
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../context.ts';
import { accountRowsSql } from '../accounts/repo.ts';

/** The most call ids one run sums for one account (rule 6: every batch bounded). */
export const SUMMARY_CHUNK_IDS = 1_000_000;

/**
 * The columns of call_hours from a relation of calls with a `sign` column (1, or -1 for what a change
 * takes away), grouped by hour and destination; the caller adds `from … group by 1, 2`.
 */
function hourTotalsColumns(sign: RawBuilder<unknown>) {
  return sql`date_trunc('hour', start_time, 'UTC') as hour, coalesce(destination, 'Unknown') as destination,
    sum(${sign}) as calls, coalesce(sum(${sign} * billable_s), 0) as billable_s,
    coalesce(sum(${sign}) filter (where rating_status = 'rated'), 0) as rated,
    coalesce(sum(${sign} * charge) filter (where rating_status = 'rated'), 0) as charge,
    coalesce(sum(${sign} * cost) filter (where rating_status = 'rated'), 0) as cost`;
}

/** Adds rows of hour totals (a select of hourTotalsColumns) to call_hours, in key order (no deadlock between two adders). */
function addToCallHours(accountId: number, totals: RawBuilder<unknown>) {
  return sql`
    insert into call_hours (account_id, hour, destination, calls, billable_s, rated, charge, cost)
    select ${accountId}::bigint, hour, destination, calls, billable_s, rated, charge, cost
    from (${totals}) as t order by hour, destination
    on conflict (account_id, hour, destination) do update set
      calls = call_hours.calls + excluded.calls, billable_s = call_hours.billable_s + excluded.billable_s,
      rated = call_hours.rated + excluded.rated, charge = call_hours.charge + excluded.charge,
      cost = call_hours.cost + excluded.cost`;
}

/**
 * For updateCallRatings' statement: given its CTEs `before` (the calls as they were) and `after` (as the
 * update left them), each with id, start_time, destination, billable_s, rating_status, charge and cost,
 * adds the change of the summarised ones to their hours. Reading the mark `for share` waits for a
 * summarising run in flight, so a call that run summed with its old figures is corrected here.
 */
export function callHoursDeltaSql(accountId: number) {
  const mark = sql`(select summarised_to from call_hours_marks where account_id = ${accountId} for share)`;
  return addToCallHours(
    accountId,
    sql`select ${hourTotalsColumns(sql`sign`)} from (
      select -1 as sign, b.* from before as b where b.id <= ${mark}
      union all
      select 1 as sign, a.* from after as a where a.id <= ${mark}
    ) as d group by 1, 2`,
  );
}

/** Accounts with calls above their mark (to be summed in). */
export async function accountsWithCallsToSummarise(db: Executor, limit: number): Promise<number[]> {
  const r = await sql<{ id: string }>`
    select a.id from ${accountRowsSql()} as a
    where exists (
      select 1 from calls as c
      where c.account_id = a.id
        and c.id > coalesce((select m.summarised_to from call_hours_marks as m where m.account_id = a.id), 0)
    )
    order by a.id limit ${limit}
  `.execute(db);
  return r.rows.map((x) => Number(x.id));
}

/**
 * One step of moving an account's mark up, in the caller's transaction (read committed): locks the mark,
 * notes the highest call id and the snapshot's xmax, and sums the calls above the mark up to the highest
 * id it may: that one if every transaction that could still add a lower id has ended (the case on a quiet
 * database), else the one the last run noted, once its transactions have ended. At most
 * SUMMARY_CHUNK_IDS ids. Returns the calls summed and whether calls above the mark are left.
 */
export async function summariseAccountCallHours(
  db: Executor,
  accountId: number,
): Promise<{ calls: number; more: boolean }> {
  // First, before this transaction writes anything (a transaction id of its own would hold back the xmin
  // it is compared with): the highest id, and the xmax of the snapshot that saw it.
  const seen = (
    await sql<{ top: string; xmax: string }>`
      select coalesce(max(id), 0)::text as top, pg_snapshot_xmax(pg_current_snapshot())::text as xmax
      from calls where account_id = ${accountId}
    `.execute(db)
  ).rows[0]!;
  await sql`insert into call_hours_marks (account_id) values (${accountId}) on conflict do nothing`.execute(
    db,
  );
  await sql`select 1 from call_hours_marks where account_id = ${accountId} for update`.execute(db);
  // In one statement, so that "every transaction below xmax has ended" holds for the snapshot it reads.
  const r = await sql<{ summarised_to: string; top: string; calls: string }>`
    with t as (
      select m.summarised_to as from_id,
             least(m.summarised_to + ${SUMMARY_CHUNK_IDS}::bigint, greatest(m.summarised_to,
               case when ${seen.xmax}::bigint <= s.xmin then ${seen.top}::bigint
                    when m.pending_xmax <= s.xmin then m.pending_to
                    else m.summarised_to end)) as upto
      from call_hours_marks as m,
           (select pg_snapshot_xmin(pg_current_snapshot())::text::bigint as xmin) as s
      where m.account_id = ${accountId}
    ), sums as (
      select ${hourTotalsColumns(sql`1`)} from calls as c, t
      where c.account_id = ${accountId} and c.id > t.from_id and c.id <= t.upto group by 1, 2
    ), added as (
      ${addToCallHours(accountId, sql`select * from sums`)}
      returning 1
    )
    update call_hours_marks as m set summarised_to = t.upto,
      pending_to = case when t.upto >= ${seen.top}::bigint then null else ${seen.top}::bigint end,
      pending_xmax = case when t.upto >= ${seen.top}::bigint then null else ${seen.xmax}::bigint end
    from t where m.account_id = ${accountId}
    returning m.summarised_to::text, ${seen.top}::text as top, (select coalesce(sum(calls), 0) from sums)::text as calls,
      (select count(*) from added) as hours
  `.execute(db);
  const row = r.rows[0]!;
  return { calls: Number(row.calls), more: BigInt(row.summarised_to) < BigInt(row.top) };
}

/** The account's mark: every call with an id up to it is in call_hours ('0' before the first run). */
export async function callHoursMark(db: Executor, accountId: number): Promise<string> {
  const r = await sql<{ summarised_to: string }>`
    select summarised_to::text from call_hours_marks where account_id = ${accountId}
  `.execute(db);
  return r.rows[0]?.summarised_to ?? '0';
}

/** The mark as a scalar subquery of the reading statement (its snapshot's mark). */
export function callHoursMarkSql(accountId: number) {
  return sql<string>`coalesce((select summarised_to from call_hours_marks where account_id = ${accountId}), 0)`;
}

/**
 * The account's calls per UTC hour and destination from `from` (rounded down to its hour), as a relation
 * (hour, destination, calls, billable_s, rated, charge, cost): call_hours, plus the calls above the mark
 * read live. `mark` is the mark as a literal (read just before, so that the planner sees a range of the
 * newest ids and walks the primary key; the caller checks with callHoursMarkSql that it did not move) or
 * callHoursMarkSql itself.
 */
export function callHoursSql(accountId: number, from: Date, mark: RawBuilder<unknown>) {
  return sql`(
    select hour, destination, calls, billable_s, rated, charge, cost
    from call_hours where account_id = ${accountId} and hour >= date_trunc('hour', ${from}::timestamptz, 'UTC')
    union all
    select ${hourTotalsColumns(sql`1`)}
    from calls
    where account_id = ${accountId} and id > ${mark}
      and start_time >= date_trunc('hour', ${from}::timestamptz, 'UTC')
    group by 1, 2
  )`;
}
