// Payment requests, their batches and everything the document 003 report reads about them.
import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../context.ts';
import { findByToken, tokenHash } from '../tokens/find-by-token.ts';
import type { PaymentRequestsTable } from '../db/schema-collections.ts';

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

/** The payment requests as a relation another module's query reads: `paymentRequestRows(db).as('r')`. */
export function paymentRequestRows(db: Executor) {
  return db.selectFrom('payment_requests').selectAll();
}

/** The payment requests as a relation in another module's raw SQL: `from ${paymentRequestRowsSql()} as r`. */
export function paymentRequestRowsSql() {
  return sql`(select * from payment_requests)`;
}
