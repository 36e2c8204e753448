// PostgreSQL's LISTEN/NOTIFY, for in-process caches that must forget a row the moment another process (or
// this one) changes it. A NOTIFY is delivered when its transaction commits, to every session listening on
// the channel, so a cache cleared by it never keeps a value longer than the commit that changed it.
//
// On a PostgreSQL server LISTEN needs a session of its own (a pooled connection goes back to the pool and
// its LISTEN with it): one dedicated client per database, reconnecting after an error. While it is down,
// notifications are lost, so a subscriber hears `onReset` and must not trust what it holds until `live` is
// true again. On PGlite (one process, one session) notifications of this process's own commits are all there
// are, delivered as each statement returns.
import type { PGlite } from '@electric-sql/pglite';
import type { Kysely } from 'kysely';
import type { DB } from './schema.ts';
import pg from 'pg';

export interface NotificationHandlers {
  /** A NOTIFY on the channel, after its transaction committed. */
  onNotify(payload: string): void;
  /** Notifications may have been missed (the listening connection dropped): forget everything. */
  onReset(): void;
}

export interface Subscription {
  /** Whether every notification since the last onReset has been (or will be) delivered. */
  readonly live: boolean;
  close(): Promise<void>;
}

/** Channel names are identifiers of our own choosing: letters, digits and underscores. */
function checkChannel(channel: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`bad notification channel "${channel}"`);
  return channel;
}

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

/** The dedicated listening session of a PostgreSQL server: connects on the first subscription. */
export class PgListener {
  private client: pg.Client | undefined;
  private readonly handlers = new Map<string, Set<NotificationHandlers>>();
  private live = false;
  private closed = false;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RECONNECT_MIN_MS;

  constructor(private readonly connectionString: string) {}

  async subscribe(channel: string, handlers: NotificationHandlers): Promise<Subscription> {
    checkChannel(channel);
    let set = this.handlers.get(channel);
    const newChannel = set === undefined;
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handlers);
    const isLive = () => this.live && set.has(handlers);
    const subscription: Subscription = {
      get live() {
        return isLive();
      },
      close: async () => {
        set.delete(handlers);
      },
    };
    if (this.client && this.live && newChannel) await this.client.query(`listen ${channel}`);
    else if (!this.client) await this.connect().catch(() => this.scheduleReconnect());
    return subscription;
  }

  private connect(): Promise<void> {
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.connectionString });
      client.on('notification', (message) => {
        for (const h of this.handlers.get(message.channel) ?? []) h.onNotify(message.payload ?? '');
      });
      client.on('error', () => this.dropped(client));
      client.on('end', () => this.dropped(client));
      try {
        await client.connect();
        for (const channel of this.handlers.keys()) await client.query(`listen ${channel}`);
      } catch (error) {
        client.removeAllListeners('end');
        await client.end().catch(() => {});
        throw error;
      }
      if (this.closed) {
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
      this.live = true;
      this.retryMs = RECONNECT_MIN_MS;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private dropped(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.live = false;
    for (const set of this.handlers.values()) for (const h of set) h.onReset();
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect().catch(() => this.scheduleReconnect());
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => {});
    const client = this.client;
    this.client = undefined;
    this.live = false;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
    }
  }
}

/**
 * LISTEN on PGlite: its one session is shared with every query, so LISTEN runs while Kysely holds the
 * connection (never inside another request's transaction).
 */
export async function pgliteSubscribe(
  pglite: PGlite,
  db: Kysely<DB>,
  channel: string,
  handlers: NotificationHandlers,
): Promise<Subscription> {
  checkChannel(channel);
  const callback = (payload: string) => handlers.onNotify(payload);
  const unlisten = await db.connection().execute(() => pglite.listen(channel, callback));
  let open = true;
  return {
    get live() {
      return open && !pglite.closed;
    },
    close: async () => {
      if (!open) return;
      open = false;
      if (!pglite.closed) await db.connection().execute(() => unlisten());
    },
  };
}
