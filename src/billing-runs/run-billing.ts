import { recordAudit, type AuditChange } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import type { AccountRow } from '../accounts/repo.ts';
import type { BillingRunRow } from './repo.ts';
import { completeInvoices } from '../invoices/complete.ts';
import { isIsoDate, type IsoDate, startOfDayInZone } from '../shared/dates.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { testHold } from '../shared/test-hold.ts';
import {
  addBatchCounts,
  customersToBill,
  finishBillingRun,
  insertBillingRun,
  setCustomersTotal,
} from './repo.ts';

/** Customers completed per database transaction: each customer's invoice is all-or-nothing. */
export const BILLING_BATCH_SIZE = 1000;
/** Batches in flight at once on PostgreSQL. */
export const BILLING_CONCURRENCY = 2;
/** At most this many chosen customers in one run (more: run for the whole account). */
export const MAX_CHOSEN_CUSTOMERS = 1000;

/**
 * Runs `work` over the items with at most `concurrency` in flight. After a failure no new item starts;
 * the first error is thrown once those in flight have settled.
 */
async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure) throw failure.error;
}

export interface BillingProgress {
  customersDone: number;
  customersTotal: number;
  invoicesCreated: number;
}

/**
 * A billing run: for every customer with anything to bill, the unsent invoice completed for the cut-off
 * (made if there is none). Customers are processed in batches, each batch in one transaction holding the
 * customers' locks, so running it twice, or twice at once, bills nothing twice. Each batch adds its counts
 * to the run in its own transaction: a run whose process dies part-way shows what committed, becomes
 * `interrupted` (src/recovery/recover-orphans.ts) and is finished by resumeBilling.
 */
export async function runBilling(
  ctx: Ctx,
  accountId: number,
  input: {
    cutoffDate: IsoDate;
    /** Bill only these customers (each must be the account's); absent: every customer with anything to bill. */
    customerIds?: readonly number[] | undefined;
    /** The audit entry of the change that starts the run: written with the run's row (its id added). */
    audit?: AuditChange | undefined;
  },
  onProgress: (progress: BillingProgress) => void = () => {},
  /** Told the run's row as soon as it exists (the console follows the run's progress by its id). */
  onStarted: (run: BillingRunRow) => void = () => {},
): Promise<BillingRunRow> {
  if (!isIsoDate(input.cutoffDate)) throw invalid('cutoffDate', 'must be a date YYYY-MM-DD');
  const chosen =
    input.customerIds === undefined ? null : [...new Set(input.customerIds)].sort((a, b) => a - b);
  if (chosen !== null) {
    if (chosen.length === 0) throw invalid('customerIds', 'choose at least one customer');
    if (chosen.length > MAX_CHOSEN_CUSTOMERS)
      throw invalid(
        'customerIds',
        `at most ${MAX_CHOSEN_CUSTOMERS} customers: run billing for the whole account`,
      );
  }
  const account = await findAccount(ctx.db, accountId);
  if (!account) throw notFound('Account', accountId);
  if (chosen !== null) {
    const found = await customersToBill(ctx.db, accountId, input.cutoffDate, new Date(0), chosen);
    const missing = chosen.find((id) => !found.includes(id));
    if (missing !== undefined) throw notFound('Customer', missing);
  }
  const run = await ctx.db.transaction().execute(async (trx) => {
    const made = await insertBillingRun(trx, accountId, input.cutoffDate, ctx.now(), ctx.processId, chosen);
    if (input.audit) await recordAudit(ctx, accountId, { ...input.audit, resourceId: made.id }, trx);
    return made;
  });
  onStarted(run);
  const customerIds = await customersToBill(
    ctx.db,
    accountId,
    input.cutoffDate,
    startOfDayInZone(input.cutoffDate, account.timezone),
    chosen,
  );
  await setCustomersTotal(ctx.db, accountId, run.id, customerIds.length);
  return billCustomers(ctx, account, run, customerIds, onProgress);
}

/** Bills the customers in batches for the run this process owns, then marks it completed (or failed). */
export async function billCustomers(
  ctx: Ctx,
  account: AccountRow,
  run: BillingRunRow,
  customerIds: number[],
  onProgress: (progress: BillingProgress) => void,
): Promise<BillingRunRow> {
  const accountId = account.id;
  let invoicesCreated = 0;
  onProgress({ customersDone: 0, customersTotal: customerIds.length, invoicesCreated });
  const batches: number[][] = [];
  for (let i = 0; i < customerIds.length; i += BILLING_BATCH_SIZE)
    batches.push(customerIds.slice(i, i + BILLING_BATCH_SIZE));
  let customersDone = 0;
  const completeBatch = async (batch: number[]) => {
    const counts = await ctx.db.transaction().execute(async (trx) => {
      const result = await completeInvoices(
        trx,
        account,
        batch,
        {
          cutoffDate: run.cutoff_date,
          transactionCutoffDate: null,
          includeTransactionIds: [],
          billingRunId: run.id,
          evenIfEmpty: false,
        },
        ctx.now(),
      );
      const counts = {
        customersDone: batch.length,
        customersBilled: result.invoiceIds.length,
        invoicesCreated: result.createdInvoiceIds.size,
        invoicesCompleted: new Set([...result.invoiceIds, ...result.createdInvoiceIds]).size,
      };
      // Last in the batch, so the run's row is locked only while the batch commits (batches run side by side).
      if (!(await addBatchCounts(trx, accountId, run.id, ctx.processId, counts))) {
        throw new Error(
          `billing run ${run.id} is no longer run by this process (it was found stopped and interrupted or resumed elsewhere)`,
        );
      }
      return counts;
    });
    invoicesCreated += counts.invoicesCreated;
    customersDone += batch.length;
    onProgress({ customersDone, customersTotal: customerIds.length, invoicesCreated });
    await testHold('billing-batch-committed');
  };
  try {
    // Batches hold disjoint customers, so on PostgreSQL two run side by side (one computes while the
    // other writes); PGlite has a single connection and runs them one after the other.
    await forEachConcurrently(
      batches,
      ctx.database.kind === 'postgres' ? BILLING_CONCURRENCY : 1,
      completeBatch,
    );
  } catch (error) {
    await finishBillingRun(ctx.db, accountId, run.id, ctx.processId, {
      status: 'failed',
      error: error instanceof Error ? error.message : String(error),
      now: ctx.now(),
    });
    throw error;
  }
  const finished = await finishBillingRun(ctx.db, accountId, run.id, ctx.processId, {
    status: 'completed',
    error: null,
    now: ctx.now(),
  });
  if (!finished)
    throw new DomainError('conflict', `billing run ${run.id} was interrupted while this process ran it`);
  return finished;
}
