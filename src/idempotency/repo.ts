import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { IdempotencyKeysTable } from '../db/schema.ts';
import type { Selectable } from 'kysely';
import { type Liveness, liveProcessIds } from '../processes/repo.ts';

export type IdempotencyRecord = Selectable<IdempotencyKeysTable>;

/** Keys are remembered this long; after that the same key starts afresh. */
export const IDEMPOTENCY_TTL_HOURS = 24;

/**
 * Claims a key for a request, for the process `owner`. Returns undefined when the claim is this request's
 * (new, or taken over from a process that stopped before answering: the same request may then run again),
 * or the existing record (finished, or still being processed by a live process) when the key is taken.
 */
export async function claimIdempotencyKey(
  db: Executor,
  accountId: number,
  key: string,
  requestHash: string,
  owner: string,
  liveness: Liveness,
): Promise<IdempotencyRecord | undefined> {
  await db
    .deleteFrom('idempotency_keys')
    .where('account_id', '=', accountId)
    .where('key', '=', key)
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`)
    .execute();
  const inserted = await db
    .insertInto('idempotency_keys')
    .values({ account_id: accountId, key, request_hash: requestHash, owner_process: owner })
    .onConflict((oc) => oc.columns(['account_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (inserted) return undefined;
  // One statement decides, so two retries racing for a dead claim cannot both take it.
  const takenOver = await db
    .updateTable('idempotency_keys')
    .set({ owner_process: owner })
    .where('account_id', '=', accountId)
    .where('key', '=', key)
    .where('request_hash', '=', requestHash)
    .where('response_status', 'is', null)
    .where((eb) =>
      eb.or([eb('owner_process', 'is', null), eb('owner_process', 'not in', liveProcessIds(db, liveness))]),
    )
    .returning('key')
    .executeTakeFirst();
  if (takenOver) return undefined;
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('key', '=', key)
    .executeTakeFirst();
}

/** Records the answer, if this process still holds the claim. */
export async function recordIdempotentResponse(
  db: Executor,
  accountId: number,
  key: string,
  owner: string,
  status: number,
  body: string,
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ response_status: status, response_body: body })
    .where('account_id', '=', accountId)
    .where('key', '=', key)
    .where('owner_process', '=', owner)
    .where('response_status', 'is', null)
    .execute();
}

/** Gives a key back after a failure that should not be replayed (a server error): a retry runs again. */
export async function releaseIdempotencyKey(
  db: Executor,
  accountId: number,
  key: string,
  owner: string,
): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('account_id', '=', accountId)
    .where('key', '=', key)
    .where('owner_process', '=', owner)
    .where('response_status', 'is', null)
    .execute();
}

/** Gives back every claim whose process is gone without answering (all accounts); returns how many. */
export async function releaseOrphanedClaims(db: Executor, liveness: Liveness): Promise<number> {
  const result = await db
    .deleteFrom('idempotency_keys')
    .where('response_status', 'is', null)
    .where((eb) =>
      eb.or([eb('owner_process', 'is', null), eb('owner_process', 'not in', liveProcessIds(db, liveness))]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
