// deliverSoon: the one helper a use case calls after queueing outbox jobs. A failure to try a job at once is
// logged with the job it concerns (the job stays queued for the worker), never swallowed, and does not stop
// the other jobs from being tried.
import { describe, expect, it } from 'vitest';
import type { Ctx, DomainLog } from '../../src/context.ts';
import { deliverSoon } from '../../src/outbox/deliver-soon.ts';

function ctxWith(deliverNow: (accountId: number, id: number) => Promise<undefined>): {
  ctx: Ctx;
  warnings: { details: Record<string, unknown>; message: string }[];
} {
  const warnings: { details: Record<string, unknown>; message: string }[] = [];
  const log: DomainLog = {
    warn: (details, message) => warnings.push({ details, message }),
    error: () => undefined,
  };
  return { ctx: { services: { deliverNow, log } } as unknown as Ctx, warnings };
}

describe('deliverSoon', () => {
  it('tries every job at once, and logs (never swallows) the one that could not be tried', async () => {
    const tried: number[] = [];
    const { ctx, warnings } = ctxWith(async (_accountId, id) => {
      tried.push(id);
      if (id === 2) throw new Error('database went away');
      return undefined;
    });
    await deliverSoon(ctx, [
      { accountId: 7, id: 1 },
      { accountId: 7, id: 2 },
      { accountId: 7, id: 3 },
    ]);
    expect(tried).toEqual([1, 2, 3]);
    expect(warnings).toEqual([
      {
        details: { accountId: 7, jobId: 2, error: 'database went away' },
        message: 'an outbox job could not be tried at once; the worker retries it',
      },
    ]);
  });

  it('does nothing without a worker in the process (a command): the worker of a server delivers the jobs', async () => {
    const ctx = { services: {} } as unknown as Ctx;
    await expect(deliverSoon(ctx, [{ accountId: 1, id: 1 }])).resolves.toBeUndefined();
  });
});
