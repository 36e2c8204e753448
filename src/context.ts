import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from './db/connection.ts';
import type { DB } from './db/schema.ts';
import { createMailer, type Mailer } from './delivery/mailer.ts';
import type { PaymentGateway } from './payments/gateway.ts';
import type { OutboundPolicy } from './shared/outbound-http.ts';
import type { SmsProvider } from './sms/provider.ts';

/** What side effects go through: mail, and the outbox's "deliver this job now". */
export interface Services {
  mailer: Mailer;
  /** Attempts a queued job at once (set when an outbox worker runs in this process). */
  deliverNow?: (accountId: number, jobId: number) => Promise<{ delivered: boolean; error?: string } | undefined>;
  /** Where SMS goes (the server sets it from SMS_URL; default: the local provider, see src/sms/provider.ts). */
  sms?: SmsProvider;
  /** The card payment gateway (default: the built-in test gateway, src/payments/gateway.ts). */
  gateway?: PaymentGateway;
  /**
   * Where requests to URLs a tenant gives (webhooks) may go (WEBHOOK_ALLOW_PRIVATE_NETWORKS); default: public
   * addresses only. Replace the object to change it (a dispatcher is kept per policy object).
   */
  outbound?: OutboundPolicy;
}

/** What every use case gets: the database, a clock (tests may fix the time) and the services. */
export interface Ctx {
  readonly database: Database;
  readonly db: Kysely<DB>;
  now(): Date;
  readonly services: Services;
}

/** A connection or an open transaction: repositories accept either. */
export type Executor = Kysely<DB>;

export function createCtx(database: Database, now: () => Date = () => new Date(), services?: Partial<Services>): Ctx {
  return {
    database,
    db: database.db,
    now,
    services: { mailer: services?.mailer ?? createMailer({ dataDir: join(tmpdir(), 'ringbill') }), ...services },
  };
}
