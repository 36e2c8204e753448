// Payment requests, their batches and everything the document 003 report reads about them.
import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../context.ts';
import { findByToken, tokenHash } from '../tokens/find-by-token.ts';
import type { PaymentRequestsTable } from '../db/schema-collections.ts';
import { invoiceRowsSql } from '../invoices/reports-repo.ts';

export type PaymentRequestRow = Selectable<PaymentRequestsTable>;
export type NewPaymentRequest = Insertable<PaymentRequestsTable>;

export async function insertBatch(
  db: Executor,
  accountId: number,
  requestCount: number,
  now: Date,
): Promise<number> {
  const row = await db
    .insertInto('collect_batches')
    .values({ account_id: accountId, request_count: requestCount, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function insertRequests(db: Executor, rows: NewPaymentRequest[]): Promise<PaymentRequestRow[]> {
  if (rows.length === 0) return [];
  return db.insertInto('payment_requests').values(rows).returningAll().execute();
}

export async function findRequest(
  db: Executor,
  accountId: number,
  requestId: number,
): Promise<PaymentRequestRow | undefined> {
  return db
    .selectFrom('payment_requests')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', requestId)
    .executeTakeFirst();
}

export async function lockRequest(
  db: Executor,
  accountId: number,
  requestId: number,
): Promise<PaymentRequestRow | undefined> {
  return db
    .selectFrom('payment_requests')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', requestId)
    .forUpdate()
    .executeTakeFirst();
}

/** The page knows only the token, which names the account (tokens/routed-token.ts): the lookup is routed by it. */
export async function findRequestByToken(
  db: Executor,
  token: string,
): Promise<PaymentRequestRow | undefined> {
  return findByToken(db, 'pay', token, tokenHash(token), (accountId) =>
    db
      .selectFrom('payment_requests')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('token', '=', token)
      .executeTakeFirst(),
  );
}

export async function countVisit(
  db: Executor,
  accountId: number,
  requestId: number,
  now: Date,
): Promise<void> {
  await db
    .updateTable('payment_requests')
    .set({
      visits: sql`visits + 1`,
      first_visit_at: sql`coalesce(first_visit_at, ${now}::timestamptz)`,
      last_visit_at: now,
      updated_at: now,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', requestId)
    .execute();
}

export async function markRequestSent(
  db: Executor,
  accountId: number,
  requestId: number,
  channel: 'sms' | 'email',
  now: Date,
): Promise<void> {
  await db
    .updateTable('payment_requests')
    .set(channel === 'sms' ? { sms_sent_at: now, updated_at: now } : { email_sent_at: now, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', requestId)
    .execute();
}

export async function markReceiptSent(
  db: Executor,
  accountId: number,
  requestId: number,
  now: Date,
): Promise<void> {
  await db
    .updateTable('payment_requests')
    .set({ receipt_sent_at: now, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', requestId)
    .execute();
}

/** A receipt for a payment recorded on the invoice (not through a link): every request for that invoice shows it. */
export async function markInvoiceRequestsReceiptSent(
  db: Executor,
  accountId: number,
  invoiceId: number,
  now: Date,
): Promise<void> {
  await db
    .updateTable('payment_requests')
    .set({ receipt_sent_at: now, updated_at: now })
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .execute();
}

export async function touchRequest(
  db: Executor,
  accountId: number,
  requestId: number,
  now: Date,
): Promise<void> {
  await db
    .updateTable('payment_requests')
    .set({ updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', requestId)
    .execute();
}

export async function cancelRequest(
  db: Executor,
  accountId: number,
  requestId: number,
  now: Date,
): Promise<void> {
  await db
    .updateTable('payment_requests')
    .set({ cancelled_at: now, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', requestId)
    .execute();
}

/** Adds `delta` (negative for a refund) to a standalone or invoice request's collected money. */
export async function addToRequestPaid(
  db: Executor,
  accountId: number,
  requestId: number,
  paidDelta: string,
  refundedDelta: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('payment_requests')
    .set({
      paid_amount: sql`paid_amount + ${paidDelta}::numeric`,
      refunded_amount: sql`refunded_amount + ${refundedDelta}::numeric`,
      updated_at: now,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', requestId)
    .execute();
}

/** A request with everything the report says about it, read in one query. */
export interface RequestFactsRow extends PaymentRequestRow {
  invoice_number: string | null;
  invoice_total: string | null;
  invoice_paid_amount: string | null;
  invoice_approved: boolean | null;
  invoice_refunded: string | null;
  attempts: number;
  approved_attempts: number;
  declined_attempts: number;
  last_attempt_at: Date | null;
  approved_attempts_amount: string;
  plan_id: number | null;
  plan_status: 'active' | 'completed' | 'cancelled' | null;
  plan_amount: string | null;
  plan_frequency: string | null;
  plan_start_date: string | null;
  plan_interest_rate: string | null;
  plan_total_amount: string | null;
}

export interface RequestFactsFilter {
  ids?: number[];
  createdFrom?: Date;
  createdBefore?: Date;
  afterId?: number;
  limit: number;
}

export async function requestFacts(
  db: Executor,
  accountId: number,
  filter: RequestFactsFilter,
): Promise<RequestFactsRow[]> {
  const conditions = [sql`r.account_id = ${accountId}`];
  if (filter.ids) conditions.push(sql`r.id = any(${filter.ids}::bigint[])`);
  if (filter.createdFrom) conditions.push(sql`r.created_at >= ${filter.createdFrom}`);
  if (filter.createdBefore) conditions.push(sql`r.created_at < ${filter.createdBefore}`);
  if (filter.afterId !== undefined) conditions.push(sql`r.id > ${filter.afterId}`);
  const result = await sql<RequestFactsRow>`
    select r.*,
      i.invoice_number, i.total::text as invoice_total, i.paid_amount::text as invoice_paid_amount,
      (i.approved_at is not null) as invoice_approved,
      (select coalesce(sum(f.amount), 0)::text from refunds f where f.account_id = r.account_id and f.invoice_id = r.invoice_id and f.payment_id is not null) as invoice_refunded,
      a.attempts, a.approved_attempts, a.declined_attempts, a.last_attempt_at, a.approved_attempts_amount,
      p.id as plan_id, p.status as plan_status, p.amount::text as plan_amount, p.frequency as plan_frequency,
      p.start_date as plan_start_date, p.interest_rate::text as plan_interest_rate, p.total_amount::text as plan_total_amount
    from payment_requests r
    left join ${invoiceRowsSql()} i on i.account_id = r.account_id and i.id = r.invoice_id
    left join lateral (
      -- Attempts that reached the gateway: a pending one (being charged) or one it never saw are not counted.
      select (count(*) filter (where t.outcome in ('approved', 'declined')))::int as attempts,
        (count(*) filter (where t.outcome = 'approved'))::int as approved_attempts,
        (count(*) filter (where t.outcome = 'declined'))::int as declined_attempts,
        max(t.created_at) filter (where t.outcome in ('approved', 'declined')) as last_attempt_at,
        coalesce(sum(t.amount) filter (where t.outcome = 'approved'), 0)::text as approved_attempts_amount
      from payment_attempts t where t.account_id = r.account_id and t.request_id = r.id
    ) a on true
    left join lateral (
      select * from instalment_plans q where q.account_id = r.account_id and q.request_id = r.id
      order by (q.status = 'active') desc, q.id desc limit 1
    ) p on true
    where ${sql.join(conditions, sql` and `)}
    order by r.id
    limit ${filter.limit}
  `.execute(db);
  return result.rows.map((row) => ({
    ...row,
    id: Number(row.id),
    account_id: Number(row.account_id),
    batch_id: row.batch_id === null ? null : Number(row.batch_id),
    invoice_id: row.invoice_id === null ? null : Number(row.invoice_id),
    customer_id: row.customer_id === null ? null : Number(row.customer_id),
    plan_id: row.plan_id === null ? null : Number(row.plan_id),
  }));
}

/** The payment requests as a relation another module's query reads: `paymentRequestRows(db).as('r')`. */
export function paymentRequestRows(db: Executor) {
  return db.selectFrom('payment_requests').selectAll();
}

/** The payment requests as a relation in another module's raw SQL: `from ${paymentRequestRowsSql()} as r`. */
export function paymentRequestRowsSql() {
  return sql`(select * from payment_requests)`;
}
