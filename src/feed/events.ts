// The hook point where the feed tells the rest of Ringbill that rows were written: called once per
// statement that appends rows (one call per ingest batch, never per row), inside the writing transaction,
// after the feed lock is taken. The webhooks module (call.completed, call.corrected) hangs off it.
//
// The rows are exactly the account's call_transactions with transaction ids from first to last: while the
// feed lock is held no other transaction writes rows for the account. A handler reads them set-based
// (INSERT … SELECT … WHERE account_id = $1 AND transaction_id BETWEEN $2 AND $3) and must not wait for any
// other lock (the feed lock is the last lock a transaction takes).
import type { Executor } from '../context.ts';
import { emitCallEvents } from './call-events.ts';
import type { FeedRowsWritten } from './repo.ts';

export type { FeedRowsWritten } from './repo.ts';

/**
 * Webhooks: call.completed for new call rows, call.corrected for correction rows, when the account has an
 * enabled subscription for the type (one small read per batch otherwise). `now` is the event time: the
 * caller's ctx.now(), never a clock of its own (tests and previews move ctx's).
 */
export async function onFeedRows(
  db: Executor,
  accountId: number,
  rows: FeedRowsWritten | undefined,
  now: Date,
): Promise<void> {
  if (rows === undefined || rows.count === 0) return;
  await emitCallEvents(db, accountId, rows, now);
}
