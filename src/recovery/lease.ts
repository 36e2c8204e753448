// A process's lease on what it claims. Each Ringbill process that uses the database registers in
// `processes` with the id its claims carry (ctx.processId) and renews a heartbeat every third of the lease.
// On PostgreSQL a process whose heartbeat is older than the lease (PROCESS_LEASE_SECONDS, default 30) is
// gone: any other process may then take over its Idempotency-Key claims and interrupt its billing runs. On
// PGlite the data folder's OS lock admits one process, so every other process named there is gone at once.
import { hostname } from 'node:os';
import type { Ctx } from '../context.ts';
import { beat, registerProcess, removeProcess } from '../processes/repo.ts';
import { type Recovered, recoverOrphans } from './recover-orphans.ts';

export interface LeaseOptions {
  role: 'server' | 'command';
  /** What the process is, for people reading the table ("ringbill serve on port 8080"). */
  description: string;
  /** Seconds without a heartbeat after which the process counts as gone. */
  leaseSeconds: number;
  /** Told what was recovered from processes that died (when anything was). */
  onRecovered?: (recovered: Recovered) => void;
  /** Told when a heartbeat or a recovery fails (the next heartbeat tries again). */
  onError?: (error: unknown) => void;
}

export interface ProcessLease {
  /** Stops the heartbeat and removes this process's row (a clean exit: nothing of it to recover). */
  stop(): Promise<void>;
}

export async function startProcessLease(ctx: Ctx, options: LeaseOptions): Promise<ProcessLease> {
  const row = {
    id: ctx.processId,
    pid: process.pid,
    hostname: hostname(),
    role: options.role,
    description: options.description,
  };
  await registerProcess(ctx.db, row);
  const report = (recovered: Recovered) => {
    if (recovered.processes.length + recovered.interruptedRuns.length + recovered.releasedClaims > 0)
      options.onRecovered?.(recovered);
  };
  report(await recoverOrphans(ctx));
  const shared = !('onlyProcess' in ctx.liveness);
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    // A process paused past its lease (found gone, its row removed) registers again; what it had claimed
    // was taken over, and its billing runs' next batches are refused (billing-runs/repo.ts addBatchCounts).
    if (!(await beat(ctx.db, ctx.processId))) await registerProcess(ctx.db, row);
    if (shared) report(await recoverOrphans(ctx));
  };
  const timer = setInterval(
    () => {
      if (stopped) return;
      running = running.then(tick).catch((error: unknown) => options.onError?.(error));
    },
    Math.max(1000, Math.floor((options.leaseSeconds * 1000) / 3)),
  );
  // The heartbeat never keeps a process alive by itself (a command exits when its work is done).
  timer.unref();
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await running;
      await removeProcess(ctx.db, ctx.processId);
    },
  };
}
