// Runs chargeDueInstalments (after settling pending card attempts of stopped processes) on a timer in the
// serving process (every minute by default, and at start), beside the outbox worker.
// Several processes may run it on one PostgreSQL: instalments are claimed before they are charged.
import type { Ctx } from '../context.ts';
import { chargeDueInstalments, type DueRun } from './charge-due-instalments.ts';
import { resolvePendingAttempts } from './resolve-pending.ts';

export class PlanScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly intervalMs = 60_000,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .catch(this.onError)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Settles card attempts stopped processes left pending (resolve-pending.ts), then charges what is due. */
  async runOnce(): Promise<DueRun> {
    await resolvePendingAttempts(this.ctx);
    return chargeDueInstalments(this.ctx);
  }
}
