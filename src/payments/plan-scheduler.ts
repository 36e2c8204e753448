// Runs chargeDueInstalments (after settling pending card attempts of stopped processes) on a timer in the
// serving process (every minute by default, and at start), beside the outbox worker.
// Several processes may run it on one PostgreSQL: instalments are claimed before they are charged.
import type { Ctx } from '../context.ts';
import { PeriodicJob } from '../shared/periodic-job.ts';
import { chargeDueInstalments, type DueRun } from './charge-due-instalments.ts';
import { resolvePendingAttempts } from './resolve-pending.ts';

export class PlanScheduler {
  private readonly job: PeriodicJob;

  constructor(
    private readonly ctx: Ctx,
    intervalMs = 60_000,
    onError: (error: unknown) => void = () => undefined,
  ) {
    this.job = new PeriodicJob(() => this.runOnce(), intervalMs, onError);
  }

  start(): void {
    this.job.start();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  /** Settles card attempts stopped processes left pending (resolve-pending.ts), then charges what is due. */
  async runOnce(): Promise<DueRun> {
    await resolvePendingAttempts(this.ctx);
    return chargeDueInstalments(this.ctx);
  }
}
