// Webhook subscriptions, events, deliveries and attempts. Every query takes the account id.
// A delivery is an outbox job (kind webhook_delivery) and a row here with the same id: events and their
// deliveries are written set-based, in one statement, in the caller's transaction.
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type {
  WebhookAttemptRow,
  WebhookDeliveryRow,
  WebhookDeliveryStatus,
  WebhookEventRow,
  WebhookSubscriptionRow,
} from '../db/schema-webhooks.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { ALL_EVENT_TYPES } from './event-types.ts';
import { enqueueManySql, failPendingJobs } from '../outbox/repo.ts';
export type { WebhookAttemptRow, WebhookEventRow, WebhookSubscriptionRow } from '../db/schema-webhooks.ts';

export const WEBHOOK_JOB_KIND = 'webhook_delivery';

// ---- subscriptions

export interface SubscriptionValues {
  url: string;
  description: string | null;
  event_types: string[];
  secret: string;
  enabled: boolean;
}

export async function insertSubscription(
  db: Executor,
  accountId: number,
  values: SubscriptionValues,
  now: Date,
): Promise<WebhookSubscriptionRow> {
  return db
    .insertInto('webhook_subscriptions')
    .values({ account_id: accountId, ...values, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findSubscription(
  db: Executor,
  accountId: number,
  id: number,
): Promise<WebhookSubscriptionRow | undefined> {
  return db
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The row, locked for the rest of the transaction (a change or a rotation). */
export async function lockSubscription(
  db: Executor,
  accountId: number,
  id: number,
): Promise<WebhookSubscriptionRow | undefined> {
  return db
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export async function listSubscriptions(
  db: Executor,
  accountId: number,
  page: PageRequest,
): Promise<Page<WebhookSubscriptionRow>> {
  let q = db.selectFrom('webhook_subscriptions').selectAll().where('account_id', '=', accountId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

export async function countSubscriptions(db: Executor, accountId: number): Promise<number> {
  const row = await db
    .selectFrom('webhook_subscriptions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export type SubscriptionUpdate = Partial<Omit<SubscriptionValues, 'secret'>> & {
  secret?: string;
  previous_secret?: string | null;
  previous_secret_expires_at?: Date | null;
  updated_at: Date;
};

export async function updateSubscriptionRow(
  db: Executor,
  accountId: number,
  id: number,
  values: SubscriptionUpdate,
): Promise<WebhookSubscriptionRow | undefined> {
  return db
    .updateTable('webhook_subscriptions')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes a subscription with its delivery log; its pending deliveries are called off. */
export async function deleteSubscriptionRow(
  db: Executor,
  accountId: number,
  id: number,
  now: Date,
): Promise<void> {
  await failPendingJobs(
    db,
    accountId,
    WEBHOOK_JOB_KIND,
    sql`select id from webhook_deliveries where account_id = ${accountId} and subscription_id = ${id} and status = 'pending'`,
    'the webhook subscription was deleted',
    now,
  );
  await sql`
    delete from webhook_attempts
    where account_id = ${accountId} and delivery_id in (select id from webhook_deliveries where account_id = ${accountId} and subscription_id = ${id})
  `.execute(db);
  await db
    .deleteFrom('webhook_deliveries')
    .where('account_id', '=', accountId)
    .where('subscription_id', '=', id)
    .execute();
  await db
    .deleteFrom('webhook_subscriptions')
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .execute();
}

/**
 * The event types some subscription of the account takes, enabled or paused ('*' among them if one takes
 * all): events of these types are recorded, so a paused subscription can have them replayed once enabled.
 */
export async function subscribedEventTypes(db: Executor, accountId: number): Promise<Set<string>> {
  const result = await sql<{ type: string }>`
    select distinct unnest(event_types) as type from webhook_subscriptions where account_id = ${accountId}
  `.execute(db);
  return new Set(result.rows.map((r) => r.type));
}

// ---- events and deliveries

/** The account's subscriptions that take `type`: all of them (enabled or paused), or only the enabled ones. */
const subscribersOf = (accountId: number, type: string, which: 'enabled' | 'any' = 'enabled') => sql`
  select id, enabled from webhook_subscriptions
  where account_id = ${accountId} ${which === 'enabled' ? sql`and enabled` : sql``}
    and (event_types @> array[${type}]::text[] or event_types @> array[${ALL_EVENT_TYPES}]::text[])
`;

export interface InsertEventsResult {
  events: number;
  deliveries: number;
}

/**
 * Records one event per payload (a JSON text each) and queues a delivery of each to every enabled
 * subscription of the account that takes the type. The events are recorded when any subscription takes
 * the type, a paused one too (it gets no delivery, but the event can be replayed to it once it is enabled);
 * nothing is written when none does. One statement.
 */
export async function insertEvents(
  db: Executor,
  accountId: number,
  type: string,
  payloadsJson: readonly string[],
  now: Date,
  maxAttempts: number,
): Promise<InsertEventsResult> {
  if (payloadsJson.length === 0) return { events: 0, deliveries: 0 };
  const array = `[${payloadsJson.join(',')}]`;
  const result = await sql<{ events: number; deliveries: number }>`
    with takers as (${subscribersOf(accountId, type, 'any')}),
    subs as (select id from takers where enabled),
    ev as (
      insert into webhook_events (account_id, public_id, type, payload, created_at)
      select ${accountId}, 'evt_' || replace(gen_random_uuid()::text, '-', ''), ${type}, p.value, ${now}::timestamptz
      from json_array_elements(${array}::json) with ordinality as p(value, n)
      where exists (select 1 from takers)
      order by p.n
      returning id
    ),
    jobs as (${enqueueManySql({
      accountId,
      kind: WEBHOOK_JOB_KIND,
      payload: sql`jsonb_build_object('eventId', ev.id, 'subscriptionId', subs.id)`,
      maxAttempts,
      now,
      from: sql`from ev cross join subs order by ev.id, subs.id`,
    })}),
    dl as (
      insert into webhook_deliveries (account_id, id, subscription_id, event_id, next_attempt_at, created_at)
      select ${accountId}, jobs.id, (jobs.payload->>'subscriptionId')::bigint, (jobs.payload->>'eventId')::bigint, ${now}::timestamptz, ${now}::timestamptz
      from jobs
      returning id
    )
    select (select count(*) from ev) as events, (select count(*) from dl) as deliveries
  `.execute(db);
  const row = result.rows[0]!;
  return { events: Number(row.events), deliveries: Number(row.deliveries) };
}

/** Queues new deliveries of a stored event to the given subscriptions (a replay). */
export async function insertReplayDeliveries(
  db: Executor,
  accountId: number,
  eventId: number,
  subscriptionIds: readonly number[],
  now: Date,
  maxAttempts: number,
): Promise<number[]> {
  if (subscriptionIds.length === 0) return [];
  const result = await sql<{ id: number }>`
    with jobs as (${enqueueManySql({
      accountId,
      kind: WEBHOOK_JOB_KIND,
      payload: sql`jsonb_build_object('eventId', ${eventId}::bigint, 'subscriptionId', s.id)`,
      maxAttempts,
      now,
      from: sql`from unnest(${subscriptionIds}::bigint[]) as s(id) order by s.id`,
    })})
    insert into webhook_deliveries (account_id, id, subscription_id, event_id, replay, next_attempt_at, created_at)
    select ${accountId}, jobs.id, (jobs.payload->>'subscriptionId')::bigint, ${eventId}::bigint, true, ${now}::timestamptz, ${now}::timestamptz
    from jobs
    returning id
  `.execute(db);
  return result.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/** The enabled subscriptions that take events of this type. */
export async function subscriberIds(db: Executor, accountId: number, type: string): Promise<number[]> {
  const result = await sql<{
    id: number;
  }>`select id from (${subscribersOf(accountId, type)}) as s order by id`.execute(db);
  return result.rows.map((r) => Number(r.id));
}

export async function findEventByPublicId(
  db: Executor,
  accountId: number,
  publicId: string,
): Promise<WebhookEventRow | undefined> {
  return db
    .selectFrom('webhook_events')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('public_id', '=', publicId)
    .executeTakeFirst();
}

export interface EventFilter {
  type?: string | undefined;
}

/** Events oldest first; `after` is the internal id of the last event of the previous page. */
export async function listEvents(
  db: Executor,
  accountId: number,
  filter: EventFilter,
  page: PageRequest,
): Promise<Page<WebhookEventRow>> {
  let q = db.selectFrom('webhook_events').selectAll().where('account_id', '=', accountId);
  if (filter.type !== undefined) q = q.where('type', '=', filter.type);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

export interface DeliveryListRow extends WebhookDeliveryRow {
  event_public_id: string;
  event_type: string;
}

export interface DeliveryFilter {
  status?: WebhookDeliveryStatus | undefined;
  eventId?: number | undefined;
}

export async function listDeliveries(
  db: Executor,
  accountId: number,
  subscriptionId: number,
  filter: DeliveryFilter,
  page: PageRequest,
): Promise<Page<DeliveryListRow>> {
  let q = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', (join) =>
      join.onRef('e.account_id', '=', 'd.account_id').onRef('e.id', '=', 'd.event_id'),
    )
    .selectAll('d')
    .select(['e.public_id as event_public_id', 'e.type as event_type'])
    .where('d.account_id', '=', accountId)
    .where('d.subscription_id', '=', subscriptionId);
  if (filter.status !== undefined) q = q.where('d.status', '=', filter.status);
  if (filter.eventId !== undefined) q = q.where('d.event_id', '=', filter.eventId);
  if (page.after !== undefined) q = q.where('d.id', '>', page.after);
  return toPage(
    await q
      .orderBy('d.id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

export async function findDelivery(
  db: Executor,
  accountId: number,
  subscriptionId: number,
  id: number,
): Promise<DeliveryListRow | undefined> {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', (join) =>
      join.onRef('e.account_id', '=', 'd.account_id').onRef('e.id', '=', 'd.event_id'),
    )
    .selectAll('d')
    .select(['e.public_id as event_public_id', 'e.type as event_type'])
    .where('d.account_id', '=', accountId)
    .where('d.subscription_id', '=', subscriptionId)
    .where('d.id', '=', id)
    .executeTakeFirst();
}

export async function findDeliveriesByIds(
  db: Executor,
  accountId: number,
  ids: readonly number[],
): Promise<DeliveryListRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', (join) =>
      join.onRef('e.account_id', '=', 'd.account_id').onRef('e.id', '=', 'd.event_id'),
    )
    .selectAll('d')
    .select(['e.public_id as event_public_id', 'e.type as event_type'])
    .where('d.account_id', '=', accountId)
    .where('d.id', 'in', ids as number[])
    .orderBy('d.id')
    .execute();
}

/** Most attempts one delivery can have (the retry schedule's bound, with room for replays of old rows). */
const MAX_ATTEMPTS_LISTED = 100;

export async function listAttempts(
  db: Executor,
  accountId: number,
  deliveryId: number,
): Promise<WebhookAttemptRow[]> {
  return db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('delivery_id', '=', deliveryId)
    .orderBy('attempt')
    .limit(MAX_ATTEMPTS_LISTED)
    .execute();
}

/** All a delivery attempt needs: the delivery, its subscription (if it still exists) and its event. */
export interface DeliveryToSend {
  delivery: WebhookDeliveryRow;
  subscription: WebhookSubscriptionRow | undefined;
  event: Omit<WebhookEventRow, 'payload'> & { payload_text: string };
}

export async function loadDeliveryToSend(
  db: Executor,
  accountId: number,
  deliveryId: number,
): Promise<DeliveryToSend | undefined> {
  // One round trip: the worker sends many of these.
  const result = await sql<
    WebhookDeliveryRow & {
      e_public_id: string;
      e_type: string;
      e_created_at: Date;
      e_payload_text: string;
      s_id: number | null;
      s_url: string;
      s_description: string | null;
      s_event_types: string[];
      s_secret: string;
      s_previous_secret: string | null;
      s_previous_secret_expires_at: Date | null;
      s_enabled: boolean;
      s_created_at: Date;
      s_updated_at: Date;
    }
  >`
    select d.*, e.public_id as e_public_id, e.type as e_type, e.created_at as e_created_at, e.payload::text as e_payload_text,
      s.id as s_id, s.url as s_url, s.description as s_description, s.event_types as s_event_types, s.secret as s_secret,
      s.previous_secret as s_previous_secret, s.previous_secret_expires_at as s_previous_secret_expires_at, s.enabled as s_enabled,
      s.created_at as s_created_at, s.updated_at as s_updated_at
    from webhook_deliveries as d
    join webhook_events as e on e.account_id = d.account_id and e.id = d.event_id
    left join webhook_subscriptions as s on s.account_id = d.account_id and s.id = d.subscription_id
    where d.account_id = ${accountId} and d.id = ${deliveryId}
  `.execute(db);
  const r = result.rows[0];
  if (!r) return undefined;
  const delivery: WebhookDeliveryRow = {
    account_id: Number(r.account_id),
    id: Number(r.id),
    subscription_id: Number(r.subscription_id),
    event_id: Number(r.event_id),
    replay: r.replay,
    status: r.status,
    attempts: r.attempts,
    next_attempt_at: r.next_attempt_at,
    last_attempt_at: r.last_attempt_at,
    last_response_status: r.last_response_status,
    last_response_body: r.last_response_body,
    last_error: r.last_error,
    created_at: r.created_at,
  };
  const event = {
    account_id: delivery.account_id,
    id: delivery.event_id,
    public_id: r.e_public_id,
    type: r.e_type,
    created_at: r.e_created_at,
    payload_text: r.e_payload_text,
  };
  const subscription: WebhookSubscriptionRow | undefined =
    r.s_id === null
      ? undefined
      : {
          account_id: delivery.account_id,
          id: Number(r.s_id),
          url: r.s_url,
          description: r.s_description,
          event_types: r.s_event_types,
          secret: r.s_secret,
          previous_secret: r.s_previous_secret,
          previous_secret_expires_at: r.s_previous_secret_expires_at,
          enabled: r.s_enabled,
          created_at: r.s_created_at,
          updated_at: r.s_updated_at,
        };
  return { delivery, subscription, event };
}

export interface AttemptRecord {
  attemptedAt: Date;
  responseStatus: number | null;
  responseBody: string | null;
  error: string | null;
  durationMs: number;
  /** The delivery's state after this attempt. */
  status: WebhookDeliveryStatus;
  nextAttemptAt: Date | null;
}

/** Logs an attempt and moves the delivery on, in one statement. */
export async function recordAttempt(
  db: Executor,
  accountId: number,
  deliveryId: number,
  record: AttemptRecord,
): Promise<void> {
  await sql`
    with d as (
      update webhook_deliveries set
        attempts = attempts + 1,
        status = ${record.status},
        next_attempt_at = ${record.nextAttemptAt},
        last_attempt_at = ${record.attemptedAt},
        last_response_status = ${record.responseStatus},
        last_response_body = ${record.responseBody},
        last_error = ${record.error}
      where account_id = ${accountId} and id = ${deliveryId}
      returning attempts
    )
    insert into webhook_attempts (account_id, delivery_id, attempt, attempted_at, response_status, response_body, error, duration_ms)
    select ${accountId}, ${deliveryId}, d.attempts, ${record.attemptedAt}, ${record.responseStatus}, ${record.responseBody}, ${record.error}, ${Math.round(record.durationMs)}
    from d
  `.execute(db);
}

/** A delivery that will not be attempted (its subscription is disabled or gone). */
export async function cancelDelivery(
  db: Executor,
  accountId: number,
  deliveryId: number,
  reason: string,
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'cancelled', next_attempt_at: null, last_error: reason })
    .where('account_id', '=', accountId)
    .where('id', '=', deliveryId)
    .execute();
}

/** `(select count(*) from webhook_deliveries …)`: the account's failed deliveries, for a statement that counts several things. */
export function failedDeliveryCountSql(accountId: number) {
  return sql<string>`(select count(*) from webhook_deliveries where account_id = ${accountId} and status = 'failed')`;
}
