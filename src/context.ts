import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from './db/connection.ts';
import type { Executor } from './db/executor.ts';
import { createMailer, type Mailer } from './email/mailer.ts';
import type { PaymentGateway } from './payments/gateway.ts';
import type { Liveness } from './processes/repo.ts';
import type { OutboundPolicy } from './shared/outbound-http.ts';
import type { SmsProvider } from './sms/provider.ts';
import type { EventHandlers } from './shared/events.ts';

/** What side effects go through: mail, and the outbox's "deliver this job now". */
export interface Services {
  mailer: Mailer;
  /** What reacts to domain events (src/reactions.ts); publish() fails without it. */
  reactions?: EventHandlers;
  /** Attempts a queued job at once (set when an outbox worker runs in this process). */
  deliverNow?: (
    accountId: number,
    jobId: number,
  ) => Promise<{ delivered: boolean; error?: string } | undefined>;
  /** Where SMS goes (the server sets it from SMS_URL; default: the local provider, see src/sms/provider.ts). */
  sms?: SmsProvider;
  /** The card payment gateway (default: the built-in test gateway, src/payments/gateway.ts). */
  gateway?: PaymentGateway;
  /**
   * Where requests to URLs a tenant gives (webhooks) may go (WEBHOOK_ALLOW_PRIVATE_NETWORKS); default: public
   * addresses only. Replace the object to change it (a dispatcher is kept per policy object).
   */
  outbound?: OutboundPolicy;
  /**
   * Where customers reach this server (PUBLIC_URL), for links made outside a request: the payment link of an
   * automatic top-up, made by the outbox worker. The server sets it (PUBLIC_URL, else its own address).
   */
  publicUrl?: string;
  /** Where use cases log what a person must hear about (a refund that failed); serve gives its logger. */
  log?: DomainLog;
}

/** The base of links made outside a request (no trailing slash). */
export function publicUrlOf(ctx: Ctx): string {
  return (ctx.services.publicUrl ?? 'http://localhost').replace(/\/+$/, '');
}

/** The two levels use cases log at (pino's signature: the object, then the message). */
export interface DomainLog {
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

/** The context's log, or one JSON line on stderr when none was given (a command, a test). */
export function logOf(ctx: Pick<Ctx, 'services'>): DomainLog {
  if (ctx.services.log) return ctx.services.log;
  const line = (level: string) => (details: Record<string, unknown>, message: string) => {
    process.stderr.write(
      `${JSON.stringify({ level, time: new Date().toISOString(), msg: message, ...details })}\n`,
    );
  };
  return { warn: line('warn'), error: line('error') };
}

/** What every use case gets: the database, a clock (tests may fix the time) and the services. */
export interface Ctx {
  readonly database: Database;
  readonly db: Executor;
  now(): Date;
  readonly services: Services;
  /**
   * This process's identity: what it claims (an Idempotency-Key being processed, a billing run) names it,
   * and src/recovery/lease.ts keeps it registered with a heartbeat while the process runs.
   */
  readonly processId: string;
  /** Which processes count as live (see processes/repo.ts): on PGlite this one alone, on PostgreSQL a lease. */
  readonly liveness: Liveness;
}

/** Default seconds a process stays live without a heartbeat (PROCESS_LEASE_SECONDS). */
export const DEFAULT_LEASE_SECONDS = 30;

/** A connection or an open transaction: repositories accept either (src/db/executor.ts). */
export type { Executor };
/** A request's unit of work: what it changes and its audit entry commit together (src/db/unit-of-work.ts). */
export {
  afterUnitCommits,
  doomUnitOfWork,
  finishUnitOfWork,
  inUnitOfWork,
  outsideUnitOfWork,
  runInUnitOfWork,
  type UnitOfWork,
} from './db/unit-of-work.ts';

export function createCtx(
  database: Database,
  now: () => Date = () => new Date(),
  services?: Partial<Services>,
  options: { leaseSeconds?: number } = {},
): Ctx {
  const processId = randomUUID();
  return {
    database,
    db: database.db,
    now,
    processId,
    // The embedded database's OS lock admits one process at a time: any other process named there is gone.
    liveness:
      database.kind === 'pglite'
        ? { onlyProcess: processId }
        : { leaseSeconds: options.leaseSeconds ?? DEFAULT_LEASE_SECONDS },
    services: {
      mailer: services?.mailer ?? createMailer({ dataDir: join(tmpdir(), 'ringbill') }),
      ...services,
    },
  };
}
