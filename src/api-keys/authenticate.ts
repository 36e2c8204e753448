import type { Ctx } from '../context.ts';
import { findActiveKeyByHash } from './repo.ts';
import { findByToken } from '../tokens/find-by-token.ts';
import { hashApiKey, routedPartOfKey } from './token.ts';

export interface Principal {
  accountId: number;
  keyId: number;
  level: number;
  /** The account's timezone when the key was made (the call feed reports times in it). */
  keyTimezone: string;
}

const MAX_KEY_LENGTH = 200;

/** The principal for an API key, or undefined when the key is unknown or revoked. */
export async function authenticate(ctx: Ctx, key: string): Promise<Principal | undefined> {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) return undefined;
  const hash = hashApiKey(key);
  const row = await findByToken(ctx.db, 'api_key', routedPartOfKey(key), hash, (accountId) =>
    findActiveKeyByHash(ctx.db, accountId, hash),
  );
  if (!row) return undefined;
  return { accountId: row.account_id, keyId: row.id, level: row.level, keyTimezone: row.timezone };
}
