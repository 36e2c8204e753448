// A billing run as the backend API shows it; the CLI prints the same (ringbill bill --json).
import { z } from 'zod';
import type { BillingRunRow } from '../../../billing-runs/repo.ts';
import { idString } from '../schemas.ts';
import { iso } from './format.ts';

export const billingRunView = z
  .object({
    id: idString,
    cutoffDate: z.string(),
    status: z.enum(['running', 'completed', 'failed', 'interrupted']).meta({
      description:
        '`running` (the counts grow as batches commit), `completed`, `failed` (see `error`), or `interrupted`: the process running it stopped part-way (a crash, kill -9, a lost machine); the counts are what committed. POST /billingRuns/{id}/resume finishes a failed or interrupted run.',
    }),
    customersBilled: z.number().int().meta({ description: 'Customers whose invoice the run completed' }),
    invoicesCompleted: z.number().int().meta({
      description:
        "Invoices the run completed for its cut-off: those it made (invoicesCreated) and the customers' existing unsent invoices",
    }),
    invoicesCreated: z
      .number()
      .int()
      .meta({ description: 'Invoices the run made (the others it completed already existed, unsent)' }),
    error: z.string().nullable(),
    started: z.string(),
    finished: z.string().nullable(),
  })
  .meta({ id: 'BillingRun' });

export function toBillingRunView(r: BillingRunRow): z.infer<typeof billingRunView> {
  return {
    id: String(r.id),
    cutoffDate: r.cutoff_date,
    status: r.status,
    customersBilled: r.customers_billed,
    invoicesCompleted: r.invoices_completed,
    invoicesCreated: r.invoices_created,
    error: r.error,
    started: r.started_at.toISOString(),
    finished: iso(r.finished_at),
  };
}
