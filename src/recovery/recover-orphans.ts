// What a process that died leaves behind, put right: its billing runs become `interrupted` (with the counts
// of what committed, ready to resume), its Idempotency-Key claims are given back (a retry runs afresh),
// and its row in `processes` is removed. Run by every process when it starts and, on PostgreSQL where
// several processes share the database, on every heartbeat.
import type { Ctx } from '../context.ts';
import { interruptOrphanedRuns } from '../billing-runs/repo.ts';
import { releaseOrphanedClaims } from '../idempotency/repo.ts';
import { deadProcesses, type ProcessRow, removeDeadProcesses } from '../processes/repo.ts';

export interface Recovered {
  /** The processes found gone. */
  processes: Pick<ProcessRow, 'pid' | 'hostname' | 'description'>[];
  /** The billing runs marked interrupted. */
  interruptedRuns: { accountId: number; runId: number }[];
  /** Idempotency-Key claims given back. */
  releasedClaims: number;
}

export async function recoverOrphans(ctx: Ctx): Promise<Recovered> {
  const dead = await deadProcesses(ctx.db, ctx.liveness);
  const runs = await interruptOrphanedRuns(ctx.db, ctx.liveness, ctx.now());
  const releasedClaims = await releaseOrphanedClaims(ctx.db, ctx.liveness);
  await removeDeadProcesses(
    ctx.db,
    dead.map((p) => p.id),
    ctx.liveness,
  );
  return {
    processes: dead.map((p) => ({ pid: p.pid, hostname: p.hostname, description: p.description })),
    interruptedRuns: runs.map((r) => ({ accountId: r.account_id, runId: r.id })),
    releasedClaims,
  };
}
