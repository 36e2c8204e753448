import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { BillingRunRow } from '../db/schema.ts';
import type { IsoDate } from '../shared/dates.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';

export async function insertBillingRun(db: Executor, accountId: number, cutoffDate: IsoDate, now: Date): Promise<BillingRunRow> {
  return db
    .insertInto('billing_runs')
    .values({ account_id: accountId, cutoff_date: cutoffDate, status: 'running', started_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function finishBillingRun(
  db: Executor,
  accountId: number,
  runId: number,
  values: { status: 'completed' | 'failed'; customersBilled: number; invoicesCreated: number; error: string | null; now: Date },
): Promise<BillingRunRow> {
  return db
    .updateTable('billing_runs')
    .set({
      status: values.status,
      customers_billed: values.customersBilled,
      invoices_created: values.invoicesCreated,
      error: values.error,
      finished_at: values.now,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findBillingRun(db: Executor, accountId: number, runId: number): Promise<BillingRunRow | undefined> {
  return db.selectFrom('billing_runs').selectAll().where('account_id', '=', accountId).where('id', '=', runId).executeTakeFirst();
}

export async function listBillingRuns(db: Executor, accountId: number, page: PageRequest): Promise<Page<BillingRunRow>> {
  let q = db.selectFrom('billing_runs').selectAll().where('account_id', '=', accountId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(await q.orderBy('id').limit(page.limit + 1).execute(), page.limit);
}

/**
 * Customers that may have something to bill at a cut-off: an unsent invoice, unbilled charges dated
 * before the cut-off, a recurring feature, or rated calls not yet billed that started before it. Completion decides for each whether an invoice is due.
 */
export async function customersToBill(db: Executor, accountId: number, cutoffDate: IsoDate, callsBefore: Date): Promise<number[]> {
  const result = await sql<{ customer_id: number }>`
    select customer_id from invoices where account_id = ${accountId} and approved_at is null
    union
    select customer_id from billing_transactions where account_id = ${accountId} and invoice_id is null and bill_date < ${cutoffDate}
    union
    select customer_id from features where account_id = ${accountId} and recurring_value is not null
    union
    select customer_id from calls
    where account_id = ${accountId} and invoice_id is null and rating_status = 'rated' and start_time < ${callsBefore}
    union
    select customer_id from invoices
    where account_id = ${accountId} and approved_at is not null and total > paid_amount and due_date < ${cutoffDate}
    order by customer_id
  `.execute(db);
  return result.rows.map((r) => Number(r.customer_id));
}
