import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import type { BillingRunRow } from '../db/schema.ts';
import { completeInvoices } from '../invoices/complete.ts';
import { isIsoDate, type IsoDate, startOfDayInZone } from '../shared/dates.ts';
import { invalid, notFound } from '../shared/errors.ts';
import { customersToBill, finishBillingRun, insertBillingRun } from './repo.ts';

/** Customers completed per database transaction: each customer's invoice is all-or-nothing. */
export const BILLING_BATCH_SIZE = 1000;
/** Batches in flight at once on PostgreSQL. */
export const BILLING_CONCURRENCY = 2;

/**
 * Runs `work` over the items with at most `concurrency` in flight. After a failure no new item starts;
 * the first error is thrown once those in flight have settled.
 */
async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
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
 * customers' locks, so running it twice, or twice at once, bills nothing twice.
 */
export async function runBilling(
  ctx: Ctx,
  accountId: number,
  input: { cutoffDate: IsoDate },
  onProgress: (progress: BillingProgress) => void = () => {},
): Promise<BillingRunRow> {
  if (!isIsoDate(input.cutoffDate)) throw invalid('cutoffDate', 'must be a date YYYY-MM-DD');
  const account = await findAccount(ctx.db, accountId);
  if (!account) throw notFound('Account', accountId);
  const run = await insertBillingRun(ctx.db, accountId, input.cutoffDate, ctx.now());
  const customerIds = await customersToBill(ctx.db, accountId, input.cutoffDate, startOfDayInZone(input.cutoffDate, account.timezone));
  let customersBilled = 0;
  let invoicesCreated = 0;
  onProgress({ customersDone: 0, customersTotal: customerIds.length, invoicesCreated });
  const batches: number[][] = [];
  for (let i = 0; i < customerIds.length; i += BILLING_BATCH_SIZE) batches.push(customerIds.slice(i, i + BILLING_BATCH_SIZE));
  let customersDone = 0;
  const completeBatch = async (batch: number[]) => {
    const result = await ctx.db.transaction().execute((trx) =>
      completeInvoices(
        trx,
        account,
        batch,
        { cutoffDate: input.cutoffDate, transactionCutoffDate: null, includeTransactionIds: [], billingRunId: run.id, evenIfEmpty: false },
        ctx.now(),
      ),
    );
    customersBilled += result.invoiceIds.length;
    invoicesCreated += result.createdInvoiceIds.size;
    customersDone += batch.length;
    onProgress({ customersDone, customersTotal: customerIds.length, invoicesCreated });
  };
  try {
    // Batches hold disjoint customers, so on PostgreSQL two run side by side (one computes while the
    // other writes); PGlite has a single connection and runs them one after the other.
    await forEachConcurrently(batches, ctx.database.kind === 'postgres' ? BILLING_CONCURRENCY : 1, completeBatch);
  } catch (error) {
    await finishBillingRun(ctx.db, accountId, run.id, {
      status: 'failed',
      customersBilled,
      invoicesCreated,
      error: error instanceof Error ? error.message : String(error),
      now: ctx.now(),
    });
    throw error;
  }
  return finishBillingRun(ctx.db, accountId, run.id, { status: 'completed', customersBilled, invoicesCreated, error: null, now: ctx.now() });
}
