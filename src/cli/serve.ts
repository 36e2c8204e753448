import type { Server } from 'node:http';
import type { Config } from '../config.ts';
import { createCtx } from '../context.ts';
import { openConfiguredDatabase } from '../db/open.ts';
import { buildServer } from '../http/server.ts';
import { startControlServer } from './control.ts';
import { createMailer } from '../delivery/mailer.ts';
import { createHttpSmsProvider } from '../sms/provider.ts';
import { OutboxWorker } from '../outbox/worker.ts';
import { PlanScheduler } from '../payments/plan-scheduler.ts';
import { JOB_HANDLERS } from '../jobs.ts';
import { expireReservations } from '../authorization/release.ts';
import { PeriodicJob } from '../authorization/periodic-job.ts';

/** Opens the database, applies migrations and serves the API until SIGINT or SIGTERM. */
export async function serve(config: Config, overrides: { port?: number; host?: string }): Promise<void> {
  const database = await openConfiguredDatabase(config, { migrate: true });
  const ctx = createCtx(database, undefined, {
    mailer: createMailer({ smtpUrl: config.smtpUrl, dataDir: config.dataDir }),
    ...(config.sms ? { sms: createHttpSmsProvider(config.sms) } : {}),
    outbound: { allowPrivateNetworks: config.webhookAllowPrivateNetworks },
  });
  // Side effects queued in the outbox are delivered by this process, with retries; a restart resumes them.
  const outbox = new OutboxWorker(ctx, JOB_HANDLERS);
  ctx.services.deliverNow = (accountId, jobId) => outbox.deliverNow(accountId, jobId);
  const app = await buildServer(ctx, {
    logger: { level: config.logLevel },
    rateLimitPerMinute: config.rateLimitPerMinute,
    publicUrl: config.publicUrl,
    collectLinkExpiryDays: config.collectLinkExpiryDays,
    authorization: { reservationTtlS: config.reservationTtlS, maxDurationS: config.authorizeMaxDurationS },
  });
  let control: Server | undefined;
  try {
    await app.listen({ port: overrides.port ?? config.port, host: overrides.host ?? config.host });
    if (database.kind === 'pglite') control = await startControlServer(ctx, config.dataDir);
  } catch (error) {
    await app.close();
    await database.close();
    throw error;
  }
  outbox.start();
  // Due instalments of plans are charged (saved card) or requested by link every minute.
  const plans = new PlanScheduler(ctx, 60_000, (err) => app.log.error({ err }, 'instalment scheduler run failed'));
  plans.start();
  // Call reservations past their expiry give their money back (every 30 seconds).
  const expirer = new PeriodicJob(() => expireReservations(ctx), 30_000, (err) => app.log.error({ err }, 'reservation expiry run failed'));
  expirer.start();
  const where = database.kind === 'pglite' ? `embedded PGlite database in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)';
  app.log.info(`Ringbill serving the API with the ${where}; docs at /docs; email to ${ctx.services.mailer.description}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal}: shutting down`);
    control?.close();
    await app.close();
    await outbox.stop();
    await plans.stop();
    await expirer.stop();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
