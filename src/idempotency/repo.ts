import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { IdempotencyKeysTable } from '../db/schema.ts';
import type { Selectable } from 'kysely';

export type IdempotencyRecord = Selectable<IdempotencyKeysTable>;

/** Keys are remembered this long; after that the same key starts afresh. */
export const IDEMPOTENCY_TTL_HOURS = 24;

/**
 * Claims a key for a request. Returns undefined when the claim is new (the caller goes on and then
 * records its response), or the existing record (finished, or still in progress) when the key is taken.
 */
export async function claimIdempotencyKey(
  db: Executor,
  accountId: number,
  key: string,
  requestHash: string,
): Promise<IdempotencyRecord | undefined> {
  await db
    .deleteFrom('idempotency_keys')
    .where('account_id', '=', accountId)
    .where('key', '=', key)
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`)
    .execute();
  const inserted = await db
    .insertInto('idempotency_keys')
    .values({ account_id: accountId, key, request_hash: requestHash })
    .onConflict((oc) => oc.columns(['account_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (inserted) return undefined;
  return db.selectFrom('idempotency_keys').selectAll().where('account_id', '=', accountId).where('key', '=', key).executeTakeFirst();
}

export async function recordIdempotentResponse(db: Executor, accountId: number, key: string, status: number, body: string): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ response_status: status, response_body: body })
    .where('account_id', '=', accountId)
    .where('key', '=', key)
    .execute();
}

/** Gives a key back after a failure that should not be replayed (a server error): a retry runs again. */
export async function releaseIdempotencyKey(db: Executor, accountId: number, key: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('account_id', '=', accountId).where('key', '=', key).where('response_status', 'is', null).execute();
}
