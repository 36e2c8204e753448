// "Try these jobs now": after a use case commits, the jobs it queued are attempted at once when an outbox
// worker runs in this process. A failure is not lost: the job stays queued, the worker retries it, and the
// failure to try is logged (never swallowed).
// Inside a request's unit of work (src/db/unit-of-work.ts) the jobs are tried once it commits: an email or a
// webhook goes out only for a change that is kept.
import { afterUnitCommits, logOf, type Ctx } from '../context.ts';

export interface QueuedJob {
  accountId: number;
  id: number;
}

export async function deliverSoon(ctx: Ctx, jobs: readonly QueuedJob[]): Promise<void> {
  if (jobs.length === 0 || afterUnitCommits(ctx.db, () => tryJobs(ctx, jobs))) return;
  await tryJobs(ctx, jobs);
}

async function tryJobs(ctx: Ctx, jobs: readonly QueuedJob[]): Promise<void> {
  for (const job of jobs) {
    try {
      await ctx.services.deliverNow?.(job.accountId, job.id);
    } catch (error) {
      logOf(ctx).warn(
        {
          accountId: job.accountId,
          jobId: job.id,
          error: error instanceof Error ? error.message : String(error),
        },
        'an outbox job could not be tried at once; the worker retries it',
      );
    }
  }
}
