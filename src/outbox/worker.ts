// Delivers outbox jobs. Each kind has a handler; a handler that throws is retried with exponential
// backoff (30 s, 1 min, 2 min … capped at 6 h: 16 attempts span about two days), then the job is marked
// failed and kept, with its last error, for a person to see. A job is delivered at least once: handlers
// must tolerate a repeat (a crash after sending and before recording it sends again on restart).
import { logOf, type Ctx } from '../context.ts';
import { PeriodicJob } from '../shared/periodic-job.ts';
import { claimDue, markAttemptFailed, markDelivered, type OutboxJob } from './repo.ts';

export type JobHandler = ((job: OutboxJob, ctx: Ctx) => Promise<void>) & {
  /** This kind's own retry schedule (the wait after `attemptsSoFar + 1` failed attempts); default retryDelayMs. */
  retryDelayMs?: (attemptsSoFar: number) => number;
  /** Jobs of this kind in one claimed batch are attempted side by side (webhooks: one slow receiver does not hold up the rest). */
  concurrent?: boolean;
};

/** A failure that retrying cannot fix (a refused address): the job fails at once. */
export class PermanentJobError extends Error {}

const BASE_DELAY_MS = 30_000;
const MAX_DELAY_MS = 6 * 3600_000;
const LEASE_SECONDS = 300;
const CLAIM_BATCH = 20;

export function retryDelayMs(attemptsSoFar: number): number {
  return Math.min(BASE_DELAY_MS * 2 ** Math.max(attemptsSoFar, 0), MAX_DELAY_MS);
}

export interface AttemptResult {
  delivered: boolean;
  error?: string;
}

export class OutboxWorker {
  /** The one scheduler of the serving process (shared/periodic-job.ts): a run at start, then intervalMs after each run ends. */
  private readonly job: PeriodicJob;

  constructor(
    private readonly ctx: Ctx,
    private readonly handlers: Readonly<Record<string, JobHandler>>,
    intervalMs = 2000,
  ) {
    this.job = new PeriodicJob(
      () => this.runOnce(),
      intervalMs,
      (error: unknown) =>
        logOf(this.ctx).error(
          { error: error instanceof Error ? error.message : String(error) },
          'an outbox run failed; the next run tries again',
        ),
    );
  }

  start(): void {
    this.job.start();
  }

  /** Stops the timer and waits for a run in flight (graceful stop: no job is left half-attempted). */
  stop(): Promise<void> {
    return this.job.stop();
  }

  /** Delivers the jobs due now; returns how many were attempted. */
  async runOnce(): Promise<number> {
    let attempted = 0;
    for (;;) {
      const jobs = await claimDue(this.ctx.db, CLAIM_BATCH, LEASE_SECONDS, this.ctx.now());
      const side = jobs.filter((job) => this.handlers[job.kind]?.concurrent);
      const inTurn = jobs.filter((job) => !this.handlers[job.kind]?.concurrent);
      await Promise.all([
        Promise.all(side.map((job) => this.attempt(job))),
        (async () => {
          for (const job of inTurn) await this.attempt(job);
        })(),
      ]);
      attempted += jobs.length;
      if (jobs.length < CLAIM_BATCH) return attempted;
    }
  }

  /** Tries one job now if it is pending (an action that wants to report the outcome at once). */
  async deliverNow(accountId: number, id: number): Promise<AttemptResult | undefined> {
    const [job] = await claimDue(this.ctx.db, 1, LEASE_SECONDS, this.ctx.now(), { accountId, id });
    if (!job) return undefined;
    return this.attempt(job);
  }

  private async attempt(job: OutboxJob): Promise<AttemptResult> {
    const handler = this.handlers[job.kind];
    try {
      if (!handler) throw new PermanentJobError(`no handler for jobs of kind ${job.kind}`);
      await handler(job, this.ctx);
      await markDelivered(this.ctx.db, job, this.ctx.now());
      return { delivered: true };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const now = this.ctx.now();
      const last = error instanceof PermanentJobError || job.attempts + 1 >= job.max_attempts;
      const delayMs = (handler?.retryDelayMs ?? retryDelayMs)(job.attempts);
      await markAttemptFailed(
        this.ctx.db,
        job,
        message,
        last ? null : new Date(now.getTime() + delayMs),
        now,
      );
      return { delivered: false, error: message };
    }
  }
}
