// call.completed and call.corrected: emitted from the feed's hook (src/feed/events.ts), once per statement
// that appends call rows, set-based. An account nobody subscribes for pays a map lookup per batch (and a
// small indexed read once a second, see SUBSCRIPTION_CACHE_MS) and nothing per call; otherwise the batch's rows are read back once and their events written in
// one statement per event type.
import { findAccount } from '../accounts/repo.ts';
import type { Executor } from '../context.ts';
import { defaultColumns, FeedView } from './columns.ts';
import { FEED_ROW, type FeedPageRow, readFeedPage, type FeedRowsWritten } from './repo.ts';
import { assert } from '../shared/errors.ts';
import { emitEvents, MAX_EVENTS_PER_EMIT, wantedEventTypesCached } from '../webhooks/emit.ts';

const CALL_EVENT_TYPES = ['call.completed', 'call.corrected'] as const;

/** A feed row as the JSON feed shows it, custom data included, times in the account's timezone. */
export function callEventPayload(view: FeedView, row: FeedPageRow): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const column of view.columns) payload[column] = view.value(row, column);
  return payload;
}

export async function emitCallEvents(
  db: Executor,
  accountId: number,
  written: FeedRowsWritten,
  now: Date,
): Promise<{ events: number; deliveries: number }> {
  const none = { events: 0, deliveries: 0 };
  if (written.count === 0) return none;
  const wanted = await wantedEventTypesCached(db, accountId, CALL_EVENT_TYPES);
  if (wanted.size === 0) return none;
  assert(written.count <= MAX_EVENTS_PER_EMIT, `at most ${MAX_EVENTS_PER_EMIT} feed rows per batch`);
  const account = await findAccount(db, accountId);
  if (!account) return none;
  // Only call rows: post-call events, signals and sales are not call.* events.
  const rows = await readFeedPage(db, accountId, {
    afterTransactionId: written.firstTransactionId - 1,
    limit: written.count,
    types: ['call'],
  });
  const view = new FeedView(account.timezone, account.timezone, [
    ...defaultColumns(account.feed_style),
    'custom_data',
  ]);
  const completed: Record<string, unknown>[] = [];
  const corrected: Record<string, unknown>[] = [];
  for (const row of rows) {
    if (row[FEED_ROW.transaction_id] > written.lastTransactionId) break;
    if (row[FEED_ROW.corrects_transaction_id] === null) {
      if (wanted.has('call.completed')) completed.push(callEventPayload(view, row));
    } else if (wanted.has('call.corrected')) {
      corrected.push(callEventPayload(view, row));
    }
  }
  const a = await emitEvents(db, accountId, 'call.completed', completed, now);
  const b = await emitEvents(db, accountId, 'call.corrected', corrected, now);
  return { events: a.events + b.events, deliveries: a.deliveries + b.deliveries };
}
