// The periodic job that keeps the console overview's call summary (call_hours, hours-repo.ts) close to the
// calls: every account with calls above its mark has them summed in, a bounded chunk per transaction. Run by
// the serving process's scheduler (shared/periodic-job.ts, every minute); several processes may run it on
// one PostgreSQL (the mark row is locked). Charts are right without it (the calls above the mark are read
// live); it only keeps that live part small.
import type { Ctx } from '../context.ts';
import { accountsWithCallsToSummarise, summariseAccountCallHours } from './hours-repo.ts';

const ACCOUNTS_PER_RUN = 1000;
const CHUNKS_PER_ACCOUNT = 20;

/** Sums the calls above each account's mark into call_hours; returns how many calls it summed. */
export async function summariseCallHours(ctx: Ctx): Promise<number> {
  let summed = 0;
  for (const accountId of await accountsWithCallsToSummarise(ctx.db, ACCOUNTS_PER_RUN)) {
    for (let chunk = 0; chunk < CHUNKS_PER_ACCOUNT; chunk++) {
      const step = await ctx.db.transaction().execute((trx) => summariseAccountCallHours(trx, accountId));
      summed += step.calls;
      if (!step.more || step.calls === 0) break;
    }
  }
  return summed;
}
