// Runs chargeDueInstalments on a timer in the serving process (every minute by default), beside the outbox
// worker. Several processes may run it on one PostgreSQL: instalments are claimed before they are charged.
import type { Ctx } from '../context.ts';
import { chargeDueInstalments, type DueRun } from './charge-due-instalments.ts';

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

  runOnce(): Promise<DueRun> {
    return chargeDueInstalments(this.ctx);
  }
}
