import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { BillingRunRow } from '../db/schema.ts';
import type { IsoDate } from '../shared/dates.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import type { Sort } from '../shared/sorting.ts';
import { type Liveness, liveProcessIds } from '../processes/repo.ts';
import { customerRowsSql } from '../customers/reports-repo.ts';
import { recurringFeatureCustomersSql } from '../features/repo.ts';
import { unbilledCallCustomersSql } from '../calls/reports-repo.ts';
import { customersWithOverdueInvoicesSql, customersWithUnsentInvoicesSql } from '../invoices/repo.ts';
import { customersWithUnbilledChargesSql } from '../invoices/invoice-charges-repo.ts';
export type { BillingRunRow } from '../db/schema.ts';

/** What a run's process says when it stopped before finishing (a crash, kill -9, a lost machine). */
export const INTERRUPTED_MESSAGE =
  'the process running it stopped before it finished; resume it to bill the rest';

export async function insertBillingRun(
  db: Executor,
  accountId: number,
  cutoffDate: IsoDate,
  now: Date,
  owner: string,
  /** The chosen customers (null: the whole account). */
  customerIds: number[] | null = null,
): Promise<BillingRunRow> {
  return db
    .insertInto('billing_runs')
    .values({
      account_id: accountId,
      cutoff_date: cutoffDate,
      status: 'running',
      started_at: now,
      owner_process: owner,
      customer_ids: customerIds,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface BatchCounts {
  /** Customers the batch looked at (billed or not). */
  customersDone: number;
  customersBilled: number;
  invoicesCreated: number;
  invoicesCompleted: number;
}

/**
 * Adds a committed batch's counts to its run, in the batch's own transaction, so the run always shows what
 * committed. Returns false when `owner` no longer runs it (another process found this one dead and the run
 * was interrupted or resumed elsewhere): the caller then rolls the batch back.
 */
export async function addBatchCounts(
  db: Executor,
  accountId: number,
  runId: number,
  owner: string,
  counts: BatchCounts,
): Promise<boolean> {
  const row = await db
    .updateTable('billing_runs')
    .set((eb) => ({
      customers_done: eb('customers_done', '+', counts.customersDone),
      customers_billed: eb('customers_billed', '+', counts.customersBilled),
      invoices_created: eb('invoices_created', '+', counts.invoicesCreated),
      invoices_completed: eb('invoices_completed', '+', counts.invoicesCompleted),
    }))
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .where('owner_process', '=', owner)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** How many customers the run has to look at (set once they are known, before the first batch). */
export async function setCustomersTotal(
  db: Executor,
  accountId: number,
  runId: number,
  total: number,
): Promise<void> {
  await db
    .updateTable('billing_runs')
    .set({ customers_total: total })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .execute();
}

/** Ends a run `owner` is running; undefined when it no longer runs it. */
export async function finishBillingRun(
  db: Executor,
  accountId: number,
  runId: number,
  owner: string,
  values: { status: 'completed' | 'failed'; error: string | null; now: Date },
): Promise<BillingRunRow | undefined> {
  return db
    .updateTable('billing_runs')
    .set({ status: values.status, error: values.error, finished_at: values.now, owner_process: null })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .where('owner_process', '=', owner)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Takes a run over to finish it: one that was interrupted or failed, or one still marked running whose
 * process is gone. Undefined when the run is completed, or running in a live process (or not found).
 */
export async function claimRunToResume(
  db: Executor,
  accountId: number,
  runId: number,
  owner: string,
  liveness: Liveness,
): Promise<BillingRunRow | undefined> {
  return db
    .updateTable('billing_runs')
    .set({ status: 'running', owner_process: owner, error: null, finished_at: null })
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .where((eb) =>
      eb.or([
        eb('status', 'in', ['interrupted', 'failed']),
        eb.and([
          eb('status', '=', 'running'),
          eb.or([
            eb('owner_process', 'is', null),
            eb('owner_process', 'not in', liveProcessIds(db, liveness)),
          ]),
        ]),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
}

/**
 * Marks `interrupted` every run (all accounts) still `running` whose process is gone, keeping the counts
 * of the batches that committed. Returns those runs.
 */
export async function interruptOrphanedRuns(
  db: Executor,
  liveness: Liveness,
  now: Date,
): Promise<Pick<BillingRunRow, 'account_id' | 'id'>[]> {
  return db
    .updateTable('billing_runs')
    .set({ status: 'interrupted', error: INTERRUPTED_MESSAGE, finished_at: now, owner_process: null })
    .where('status', '=', 'running')
    .where((eb) =>
      eb.or([eb('owner_process', 'is', null), eb('owner_process', 'not in', liveProcessIds(db, liveness))]),
    )
    .returning(['account_id', 'id'])
    .execute();
}

export async function findBillingRun(
  db: Executor,
  accountId: number,
  runId: number,
): Promise<BillingRunRow | undefined> {
  return db
    .selectFrom('billing_runs')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', runId)
    .executeTakeFirst();
}

/** The columns a list of runs may be sorted by (the console's column headers). */
export const BILLING_RUN_SORTS = {
  id: 'id',
  cutoff: 'cutoff_date',
  status: 'status',
  customers: 'customers_billed',
  invoices: 'invoices_created',
  started: 'started_at',
} as const;

/** A page of runs in the order a person asked for (then by id), with filters; offset paging, bounded. */
export async function searchBillingRuns(
  db: Executor,
  accountId: number,
  s: {
    status?: BillingRunRow['status'] | undefined;
    sort: Sort<keyof typeof BILLING_RUN_SORTS>;
    offset: number;
    limit: number;
  },
): Promise<BillingRunRow[]> {
  let q = db.selectFrom('billing_runs').selectAll().where('account_id', '=', accountId);
  if (s.status) q = q.where('status', '=', s.status);
  return q
    .orderBy(BILLING_RUN_SORTS[s.sort.key], s.sort.dir)
    .orderBy('id', s.sort.dir)
    .offset(s.offset)
    .limit(s.limit + 1)
    .execute();
}

export async function listBillingRuns(
  db: Executor,
  accountId: number,
  page: PageRequest,
): Promise<Page<BillingRunRow>> {
  let q = db.selectFrom('billing_runs').selectAll().where('account_id', '=', accountId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

/**
 * Customers that may have something to bill at a cut-off: an unsent invoice, unbilled charges dated
 * before the cut-off, a recurring feature, or rated calls not yet billed that started before it. Completion decides for each whether an invoice is due.
 */
export async function customersToBill(
  db: Executor,
  accountId: number,
  cutoffDate: IsoDate,
  callsBefore: Date,
  /** Only these customers (a run for chosen customers); null: all. */
  only: readonly number[] | null = null,
): Promise<number[]> {
  if (only !== null) {
    if (only.length === 0) return [];
    const result = await sql<{ id: number }>`
      select id from ${customerRowsSql()} as c where account_id = ${accountId} and id = any(${sql.val([...only])}::bigint[]) order by id
    `.execute(db);
    return result.rows.map((r) => Number(r.id));
  }
  // Unbilled charges are probed (an index probe per customer) only for customers not already named by an
  // unsent invoice or a recurring feature: usually most of them have one.
  const result = await sql<{ customer_id: number }>`
    with known as materialized (
      select customer_id from ${customersWithUnsentInvoicesSql(accountId)} as i
      union
      select customer_id from ${recurringFeatureCustomersSql(accountId)} as f
    )
    select customer_id from known
    union
    select customer_id from ${customersWithUnbilledChargesSql(accountId, cutoffDate, sql`(select customer_id from known)`)} as t
    union
    select customer_id from ${unbilledCallCustomersSql(accountId, callsBefore)} as c
    union
    select customer_id from ${customersWithOverdueInvoicesSql(accountId, cutoffDate)} as o
    order by customer_id
  `.execute(db);
  return result.rows.map((r) => Number(r.customer_id));
}
