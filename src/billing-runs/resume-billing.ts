import { recordAudit, type AuditChange } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import type { BillingRunRow } from './repo.ts';
import { startOfDayInZone } from '../shared/dates.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { claimRunToResume, customersToBill, findBillingRun, setCustomersTotal } from './repo.ts';
import { billCustomers, type BillingProgress } from './run-billing.ts';
import { customersBilledByRun } from '../invoices/repo.ts';

/**
 * Finishes a billing run that stopped part-way: one `interrupted` (its process died), `failed`, or still
 * marked running by a process that is gone. The batches that committed stay as they are; the customers the
 * run has not billed are billed now, for the run's cut-off and under its id, so no customer is billed twice
 * and the run's counts add up to the whole run.
 */
export async function resumeBilling(
  ctx: Ctx,
  accountId: number,
  runId: number,
  onProgress: (progress: BillingProgress) => void = () => {},
  /** The audit entry of the change that resumes the run: written with the claim. */
  audit?: AuditChange,
): Promise<BillingRunRow> {
  const account = await findAccount(ctx.db, accountId);
  if (!account) throw notFound('Account', accountId);
  const run = await ctx.db.transaction().execute(async (trx) => {
    const claimed = await claimRunToResume(trx, accountId, runId, ctx.processId, ctx.liveness);
    if (claimed && audit) await recordAudit(ctx, accountId, audit, trx);
    return claimed;
  });
  if (!run) {
    const existing = await findBillingRun(ctx.db, accountId, runId);
    if (!existing) throw notFound('Billing run', runId);
    if (existing.status === 'completed')
      throw new DomainError('conflict', `billing run ${runId} is completed: there is nothing to resume`);
    throw new DomainError(
      'conflict',
      `billing run ${runId} is still running in a live Ringbill process; it can be resumed only once it stops`,
    );
  }
  const billed = await customersBilledByRun(ctx.db, accountId, run.id);
  const all = await customersToBill(
    ctx.db,
    accountId,
    run.cutoff_date,
    startOfDayInZone(run.cutoff_date, account.timezone),
    run.customer_ids,
  );
  const rest = all.filter((id) => !billed.has(id));
  // The run has looked at what it has done; what is left is added to that.
  await setCustomersTotal(ctx.db, accountId, run.id, run.customers_done + rest.length);
  return billCustomers(ctx, account, run, rest, onProgress);
}
