// Read-only queries on the feed's rows for the console's read model (src/dashboard/): only this module names
// call_transactions (CONTRIBUTING.md rule 2).
import type { Executor } from '../context.ts';

/** The feed's newest rows (the console's live tail), newest first. */
export async function latestFeedRows(db: Executor, accountId: number, limit: number) {
  return db
    .selectFrom('call_transactions')
    .select([
      'transaction_id',
      'transaction_type',
      'call_id',
      'corrects_transaction_id',
      'start_time',
      'calling_phone_number',
      'destination_phone_number',
      'call_status',
      'payin',
      'created_at',
    ])
    .where('account_id', '=', accountId)
    .orderBy('transaction_id', 'desc')
    .limit(limit)
    .execute();
}
