// Writing the feed when the calls module stores or corrects calls (the 'calls-stored' and 'calls-corrected'
// events, src/reactions.ts): new calls (one statement per ingest batch) and corrections of
// calls whose feed-visible state changed (re-rating, payout, notes, signals and custom data on the call).
// Both run inside the caller's transaction, as its last statements (they take the feed lock).
import type { Executor } from '../context.ts';
import { onFeedRows } from './events.ts';
import {
  callsChangedSinceFeed,
  clearDurations,
  type FeedRowsWritten,
  insertCorrectionRows,
  insertNewCallRows,
} from './repo.ts';

/**
 * The call rows of the calls this transaction stored after `highWater` (calls' callIdHighWater); `now`:
 * ctx.now(). The 'calls-stored' event's handler.
 */
export async function recordNewCalls(
  db: Executor,
  accountId: number,
  highWater: number,
  now: Date,
): Promise<FeedRowsWritten | undefined> {
  const written = await insertNewCallRows(db, accountId, highWater);
  await onFeedRows(db, accountId, written, now);
  return written;
}

/**
 * A correction for each of these calls whose current record differs from its latest call row: the whole
 * corrected record, pointing at the row it corrects; the duration fields of the earlier rows are cleared
 * first, so the durations summed over the whole feed stay the true total. The callers hold the calls'
 * row locks (FOR UPDATE), so two corrections of one call never interleave.
 */
export async function recordCallCorrections(
  db: Executor,
  accountId: number,
  callIds: readonly number[],
  now: Date,
): Promise<FeedRowsWritten | undefined> {
  const changed = await callsChangedSinceFeed(db, accountId, callIds);
  if (changed.length === 0) return undefined;
  await clearDurations(
    db,
    accountId,
    changed.map((c) => c.callId),
  );
  const written = await insertCorrectionRows(db, accountId, changed, now);
  await onFeedRows(db, accountId, written, now);
  return written;
}
