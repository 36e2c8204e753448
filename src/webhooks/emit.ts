// Emitting webhook events. Call these inside the transaction that makes the change, so the event and its
// deliveries commit (or roll back) with it; the outbox worker then sends them.
import type { Executor } from '../context.ts';
import { assert } from '../shared/errors.ts';
import { WEBHOOK_MAX_ATTEMPTS } from './backoff.ts';
import { subscribesTo, type WebhookEventType } from './event-types.ts';
import { insertEvents, subscribedEventTypes, type InsertEventsResult } from './repo.ts';

/** Most events one call writes (an ingest batch is smaller; a bound on the statement). */
export const MAX_EVENTS_PER_EMIT = 100_000;

/**
 * Records an event of `type` with `payload` (the `data` of the delivered body) and queues a delivery to
 * every enabled subscription of the account that takes the type. The event is recorded when a paused
 * subscription takes it too (for a replay once it is enabled); when no subscription takes it, nothing is written.
 */
export async function emitEvent(
  db: Executor,
  accountId: number,
  type: WebhookEventType,
  payload: unknown,
  now: Date,
): Promise<InsertEventsResult> {
  return emitEvents(db, accountId, type, [payload], now);
}

/** emitEvent for many events of one type: one statement for the whole set. */
export async function emitEvents(
  db: Executor,
  accountId: number,
  type: WebhookEventType,
  payloads: readonly unknown[],
  /** The event time: the caller's ctx.now(). */
  now: Date,
): Promise<InsertEventsResult> {
  if (payloads.length === 0) return { events: 0, deliveries: 0 };
  assert(payloads.length <= MAX_EVENTS_PER_EMIT, `at most ${MAX_EVENTS_PER_EMIT} events per emit`);
  const texts = payloads.map((p) => {
    const text = JSON.stringify(p);
    assert(text !== undefined, 'a webhook payload must be JSON');
    return text;
  });
  return insertEvents(db, accountId, type, texts, now, WEBHOOK_MAX_ATTEMPTS);
}

/**
 * How long a process trusts what it read about an account's subscriptions on the ingest path. A change
 * made in this process is seen at once (forgetSubscriptions); one made by another server process on the
 * same PostgreSQL, within this long. Events of types nobody wants are never built; the insert itself
 * checks the subscriptions again, so a stale "someone wants it" writes nothing wrong.
 */
export const SUBSCRIPTION_CACHE_MS = 1000;
/** A bound on the cache: past it, it starts again empty. */
const MAX_CACHED_ACCOUNTS = 10_000;
const subscriptionCache = new Map<number, { types: string[]; readAtMs: number }>();

/** Drops what this process remembers of an account's subscriptions (after any change to them commits). */
export function forgetSubscriptions(accountId: number): void {
  subscriptionCache.delete(accountId);
}

/** wantedEventTypes() through the cache: a map lookup per batch on the hot path, a query once a second. */
export async function wantedEventTypesCached<T extends WebhookEventType>(
  db: Executor,
  accountId: number,
  types: readonly T[],
): Promise<Set<T>> {
  const nowMs = performance.now();
  let entry = subscriptionCache.get(accountId);
  if (!entry || nowMs - entry.readAtMs > SUBSCRIPTION_CACHE_MS) {
    if (subscriptionCache.size >= MAX_CACHED_ACCOUNTS) subscriptionCache.clear();
    entry = { types: [...(await subscribedEventTypes(db, accountId))], readAtMs: nowMs };
    subscriptionCache.set(accountId, entry);
  }
  const subscribed = entry.types;
  return new Set(types.filter((t) => subscribesTo(subscribed, t)));
}

/**
 * Which of these event types some subscription takes, enabled or paused (paused ones still get the event
 * recorded): one indexed read of the account's (few) subscriptions.
 * Hot paths (ingestion) ask this once per batch, before building any payload, so an account with no
 * subscriptions pays one small query per batch and nothing per call.
 */
export async function wantedEventTypes<T extends WebhookEventType>(
  db: Executor,
  accountId: number,
  types: readonly T[],
): Promise<Set<T>> {
  const subscribed = [...(await subscribedEventTypes(db, accountId))];
  return new Set(types.filter((t) => subscribesTo(subscribed, t)));
}
