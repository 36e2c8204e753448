import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../context.ts';

export interface OutboxJob {
  account_id: number;
  id: number;
  kind: string;
  payload: unknown;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  dedupe_key: string | null;
  created_at: Date;
  finished_at: Date | null;
}

export interface NewOutboxJob {
  accountId: number;
  kind: string;
  payload: unknown;
  /** While a job with this key is pending, enqueueing it again returns that job instead. */
  dedupeKey?: string | null;
  maxAttempts?: number;
  /** The caller's clock (ctx.now()): the job is due from then. Default: the database's now(). */
  now?: Date;
}

/** Queues a job in the caller's transaction. Returns the job (the pending one with the same key, if any). */
export async function enqueue(db: Executor, job: NewOutboxJob): Promise<{ id: number; created: boolean }> {
  const result = await sql<{ id: number }>`
    insert into outbox (account_id, kind, payload, dedupe_key, max_attempts, next_attempt_at, created_at)
    values (${job.accountId}, ${job.kind}, ${JSON.stringify(job.payload)}::jsonb, ${job.dedupeKey ?? null}, ${job.maxAttempts ?? 16},
            coalesce(${job.now ?? null}::timestamptz, now()), coalesce(${job.now ?? null}::timestamptz, now()))
    on conflict (account_id, dedupe_key) where status = 'pending' and dedupe_key is not null do nothing
    returning id
  `.execute(db);
  if (result.rows[0]) return { id: Number(result.rows[0].id), created: true };
  const existing = await sql<{ id: number }>`
    select id from outbox where account_id = ${job.accountId} and dedupe_key = ${job.dedupeKey ?? null} and status = 'pending'
  `.execute(db);
  return { id: Number(existing.rows[0]!.id), created: false };
}

/**
 * Claims up to `limit` due jobs: their next attempt moves `leaseSeconds` ahead, so another worker (another
 * process on the same PostgreSQL) does not take them meanwhile. SKIP LOCKED lets workers claim side by side.
 */
export async function claimDue(
  db: Executor,
  limit: number,
  leaseSeconds: number,
  now: Date,
  only?: { accountId: number; id: number },
): Promise<OutboxJob[]> {
  const result = await sql<OutboxJob>`
    update outbox as o set next_attempt_at = ${now}::timestamptz + make_interval(secs => ${leaseSeconds})
    from (
      select account_id, id from outbox
      where status = 'pending' and next_attempt_at <= ${now}
        ${only ? sql`and account_id = ${only.accountId} and id = ${only.id}` : sql``}
      order by next_attempt_at
      limit ${limit}
      for update skip locked
    ) as due
    where o.account_id = due.account_id and o.id = due.id
    returning o.*
  `.execute(db);
  return result.rows.map((r) => ({ ...r, id: Number(r.id), account_id: Number(r.account_id) }));
}

export async function markDelivered(
  db: Executor,
  job: Pick<OutboxJob, 'account_id' | 'id'>,
  now: Date,
): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ status: 'delivered', attempts: sql`attempts + 1`, finished_at: now, last_error: null })
    .where('account_id', '=', job.account_id)
    .where('id', '=', job.id)
    .execute();
}

/** Records a failed attempt: retried at `retryAt`, or failed for good when attempts run out (retryAt null). */
export async function markAttemptFailed(
  db: Executor,
  job: Pick<OutboxJob, 'account_id' | 'id'>,
  error: string,
  retryAt: Date | null,
  now: Date,
): Promise<void> {
  await db
    .updateTable('outbox')
    .set({
      attempts: sql`attempts + 1`,
      last_error: error.slice(0, 2000),
      ...(retryAt ? { next_attempt_at: retryAt } : { status: 'failed', finished_at: now }),
    })
    .where('account_id', '=', job.account_id)
    .where('id', '=', job.id)
    .execute();
}

export async function findJob(db: Executor, accountId: number, id: number): Promise<OutboxJob | undefined> {
  const row = await db
    .selectFrom('outbox')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row;
}

/** `(select count(*) from outbox …)`: the account's emails and SMS waiting for a retry (webhooks left out). */
export function retryingJobCountSql(accountId: number) {
  return sql<string>`(select count(*) from outbox where account_id = ${accountId} and status = 'pending' and last_error is not null and kind not like 'webhook%')`;
}

/** Outbox jobs (emails, SMS) waiting to be tried again after a failure, newest first. */
export async function retryingJobs(db: Executor, accountId: number, limit: number) {
  return db
    .selectFrom('outbox')
    .select(['id', 'kind', 'attempts', 'max_attempts', 'next_attempt_at', 'last_error', 'created_at'])
    .where('account_id', '=', accountId)
    .where('status', '=', 'pending')
    .where('last_error', 'is not', null)
    .where('kind', 'not like', 'webhook%')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/**
 * `insert into outbox … select … returning id, payload`: queues one job per row of `from` (its FROM clause,
 * with any ORDER BY: ids follow that order), each job's payload being `payload` on that row. A piece of the
 * caller's statement, so jobs are queued set-based with the rows that cause them (webhook deliveries, written
 * with their events in one statement), while only this module names the outbox table.
 */
export function enqueueManySql(job: {
  accountId: number;
  kind: string;
  payload: RawBuilder<unknown>;
  maxAttempts: number;
  now: Date;
  from: RawBuilder<unknown>;
}) {
  return sql`
      insert into outbox (account_id, kind, payload, max_attempts, next_attempt_at, created_at)
      select ${job.accountId}, ${job.kind}, ${job.payload}, ${job.maxAttempts}, ${job.now}::timestamptz, ${job.now}::timestamptz
      ${job.from}
      returning id, payload`;
}

/** Fails the account's pending jobs of this kind whose ids `ids` (a subquery) selects: they will not be tried again. */
export async function failPendingJobs(
  db: Executor,
  accountId: number,
  kind: string,
  ids: RawBuilder<unknown>,
  reason: string,
  now: Date,
): Promise<void> {
  await sql`
    update outbox set status = 'failed', finished_at = ${now}, last_error = ${reason}
    where account_id = ${accountId} and status = 'pending' and kind = ${kind}
      and id in (${ids})
  `.execute(db);
}
