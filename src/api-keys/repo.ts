import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import { accountRows } from '../accounts/repo.ts';
import type { AccountRow, ApiKeyRow } from '../db/schema.ts';
export type { ApiKeyRow } from '../db/schema.ts';

export interface NewApiKey {
  accountId: number;
  name: string | null;
  level: number;
  hash: Buffer;
  displayPrefix: string;
  timezone: string;
}

export async function insertApiKey(db: Executor, key: NewApiKey): Promise<ApiKeyRow> {
  return db
    .insertInto('api_keys')
    .values({
      account_id: key.accountId,
      name: key.name,
      level: key.level,
      key_hash: key.hash,
      key_prefix: key.displayPrefix,
      timezone: key.timezone,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findActiveKeyByHash(
  db: Executor,
  accountId: number,
  hash: Buffer,
): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('key_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

/** An active key and its account, in one round trip (authentication). */
export async function findActiveKeyWithAccount(
  db: Executor,
  accountId: number,
  hash: Buffer,
): Promise<
  { key: Pick<ApiKeyRow, 'id' | 'account_id' | 'level' | 'timezone'>; account: AccountRow } | undefined
> {
  const row = await db
    .selectFrom('api_keys as k')
    .innerJoin(accountRows(db).as('a'), 'a.id', 'k.account_id')
    .selectAll('a')
    .select(['k.id as key_id', 'k.level as key_level', 'k.timezone as key_timezone'])
    .where('k.account_id', '=', accountId)
    .where('k.key_hash', '=', hash)
    .where('k.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  const { key_id, key_level, key_timezone, ...account } = row;
  return { key: { id: key_id, account_id: account.id, level: key_level, timezone: key_timezone }, account };
}

export async function listApiKeys(db: Executor, accountId: number): Promise<ApiKeyRow[]> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id')
    .limit(1000)
    .execute();
}

export async function revokeApiKey(
  db: Executor,
  accountId: number,
  keyId: number,
  at: Date,
): Promise<ApiKeyRow | undefined> {
  return db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('account_id', '=', accountId)
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export async function findApiKey(
  db: Executor,
  accountId: number,
  keyId: number,
): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', keyId)
    .executeTakeFirst();
}

/** The API keys as a relation in another module's raw SQL (call authorisation's one read). */
export function apiKeyRowsSql() {
  return sql`(select * from api_keys)`;
}
