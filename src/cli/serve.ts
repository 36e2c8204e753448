import type { Server } from 'node:http';
import type { Config } from '../config.ts';
import { createCtx } from '../context.ts';
import { openConfiguredDatabase } from '../db/open.ts';
import { buildServer } from '../http/server.ts';
import { startControlServer } from './control.ts';
import { createMailer } from '../email/mailer.ts';
import { createHttpSmsProvider } from '../sms/provider.ts';
import { OutboxWorker } from '../outbox/worker.ts';
import { PlanScheduler } from '../payments/plan-scheduler.ts';
import { createTestGateway } from '../payments/gateway.ts';
import { JOB_HANDLERS } from '../jobs.ts';
import { REACTIONS } from '../reactions.ts';
import { expireReservations } from '../authorization/release.ts';
import { PeriodicJob } from '../shared/periodic-job.ts';
import { startProcessLease } from '../recovery/lease.ts';
import { summariseCallHours } from '../calls/summarise-call-hours.ts';
import { maintainTables } from '../db/table-maintenance.ts';

/**
 * Opens the database, applies migrations and serves the API until SIGINT or SIGTERM, then stops gracefully:
 * requests and commands in flight finish, the background workers stop, the process's lease and the data
 * folder's lock are given back and the database is closed. A second signal stops it at once.
 */
export async function serve(config: Config, overrides: { port?: number; host?: string }): Promise<void> {
  const port = overrides.port ?? config.port;
  const database = await openConfiguredDatabase(config, { migrate: true, holder: { role: 'server', port } });
  const ctx = createCtx(
    database,
    undefined,
    {
      mailer: createMailer({ smtpUrl: config.smtpUrl, dataDir: config.dataDir }),
      reactions: REACTIONS,
      ...(config.sms ? { sms: createHttpSmsProvider(config.sms) } : {}),
      outbound: { allowPrivateNetworks: config.webhookAllowPrivateNetworks },
      // Links made by background jobs (an automatic top-up's payment link): PUBLIC_URL, else this server's
      // own address, which only works where customers can reach it (set PUBLIC_URL behind a proxy).
      publicUrl:
        config.publicUrl ??
        `http://${(overrides.host ?? config.host) === '0.0.0.0' ? 'localhost' : (overrides.host ?? config.host)}:${port}`,
      ...(config.testGatewayLog ? { gateway: createTestGateway({ logFile: config.testGatewayLog }) } : {}),
    },
    { leaseSeconds: config.processLeaseSeconds },
  );
  // Side effects queued in the outbox are delivered by this process, with retries; a restart resumes them.
  const outbox = new OutboxWorker(ctx, JOB_HANDLERS);
  ctx.services.deliverNow = (accountId, jobId) => outbox.deliverNow(accountId, jobId);
  const app = await buildServer(ctx, {
    logLevel: config.logLevel,
    trustProxy: config.trustProxy,
    rateLimitPerMinute: config.rateLimitPerMinute,
    publicUrl: config.publicUrl,
    collectLinkExpiryDays: config.collectLinkExpiryDays,
    authorization: { reservationTtlS: config.reservationTtlS, maxDurationS: config.authorizeMaxDurationS },
  });
  // What use cases must tell a person (a refund the gateway refused, a pending card attempt settled) goes to the server log.
  ctx.services.log = {
    warn: (details, message) => app.log.warn(details, message),
    error: (details, message) => app.log.error(details, message),
  };
  let stoppingSince: number | undefined;
  // While stopping, each answer closes its connection: a client's idle keep-alive connection would otherwise
  // hold the shutdown for Fastify's keep-alive timeout (72 s) after the requests in flight are answered.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (stoppingSince !== undefined) reply.header('connection', 'close');
    return payload;
  });
  let control: Server | undefined;
  let lease: Awaited<ReturnType<typeof startProcessLease>> | undefined;
  try {
    // What processes that died left behind is put right before the first request (see recovery/).
    lease = await startProcessLease(ctx, {
      role: 'server',
      description: `ringbill serve on port ${port}`,
      leaseSeconds: config.processLeaseSeconds,
      onRecovered: (r) =>
        app.log.warn(
          {
            interruptedRuns: r.interruptedRuns,
            releasedIdempotencyKeys: r.releasedClaims,
            stoppedProcesses: r.processes,
          },
          `recovered what stopped processes left: ${r.interruptedRuns.length} billing run(s) interrupted (POST /backend/api/v1/billingRuns/ID/resume finishes each), ${r.releasedClaims} Idempotency-Key claim(s) given back`,
        ),
      onError: (err) => app.log.error({ err }, 'process heartbeat failed'),
    });
    await app.listen({ port, host: overrides.host ?? config.host });
    const address = app.server.address();
    if (address && typeof address === 'object') database.dataDirLock?.update({ port: address.port });
    if (database.kind === 'pglite')
      control = await startControlServer(
        ctx,
        config.dataDir,
        config.publicUrl ?? `http://localhost:${config.port}`,
      );
  } catch (error) {
    await app.close();
    await lease?.stop();
    await database.close();
    throw error;
  }
  outbox.start();
  // Due instalments of plans are charged (saved card) or requested by link every minute.
  const plans = new PlanScheduler(ctx, 60_000, (err) =>
    app.log.error({ err }, 'instalment scheduler run failed'),
  );
  plans.start();
  // Call reservations past their expiry give their money back (every 30 seconds).
  const expirer = new PeriodicJob(
    () => expireReservations(ctx),
    30_000,
    (err) => app.log.error({ err }, 'reservation expiry run failed'),
  );
  expirer.start();
  // The calls of the console overview's charts are summed per hour (call_hours) every minute.
  const callHours = new PeriodicJob(
    () => summariseCallHours(ctx),
    60_000,
    (err) => app.log.error({ err }, 'call summary run failed'),
  );
  callHours.start();
  // Where no autovacuum runs (PGlite, or PostgreSQL with autovacuum = off), tables are analysed and vacuumed
  // as autovacuum would, so plans follow the data (checked every minute).
  const tables = new PeriodicJob(
    async () => {
      const pass = await maintainTables(database);
      if (pass.analyzed.length > 0)
        app.log.info(
          { analyzed: pass.analyzed, vacuumed: pass.vacuumed },
          `table statistics refreshed (${pass.reason})`,
        );
    },
    60_000,
    (err) => app.log.error({ err }, 'table maintenance run failed'),
  );
  tables.start();
  const where =
    database.kind === 'pglite'
      ? `embedded PGlite database in ${config.dataDir}`
      : 'PostgreSQL (DATABASE_URL)';
  app.log.info(
    `Ringbill serving the API with the ${where}; docs at /docs; email to ${ctx.services.mailer.description}`,
  );

  const stop = async (signal: string) => {
    if (stoppingSince !== undefined) {
      // A second signal stops at once (what was in flight is recovered as after a crash). One Ctrl-C under
      // `npm start` arrives twice (from the terminal, and forwarded by npm) within milliseconds: that is not
      // a second signal.
      if (Date.now() - stoppingSince > 1000) {
        app.log.warn(`${signal} again: stopping now`);
        process.exit(1);
      }
      return;
    }
    stoppingSince = Date.now();
    app.log.info(
      `${signal}: shutting down once the requests and commands in flight finish (send it again to stop at once)`,
    );
    try {
      const commandsDone = control
        ? new Promise<void>((resolve) => control.close(() => resolve()))
        : Promise.resolve();
      await app.close();
      await commandsDone;
      await outbox.stop();
      await plans.stop();
      await expirer.stop();
      await callHours.stop();
      await tables.stop();
      await lease?.stop();
      await database.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
