import { keyCacheOf } from '../accounts/account-cache.ts';
import type { Ctx } from '../context.ts';
import { findActiveKeyWithAccount } from './repo.ts';
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

/**
 * The principal for an API key, or undefined when the key is unknown or revoked. The key and its account are
 * read in one query and kept a few seconds (accounts/account-cache.ts: a change to either, on any process, drops them at
 * once), so a request with a known key usually costs no round trip here, and none in accounts/current-account.ts.
 */
export async function authenticate(ctx: Ctx, key: string): Promise<Principal | undefined> {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) return undefined;
  const hash = hashApiKey(key);
  const cache = keyCacheOf(ctx.database);
  const cacheKey = hash.toString('base64');
  const cached = cache.key(cacheKey);
  if (cached) return { ...cached };
  const epoch = cache.begin();
  const found = await findByToken(ctx.db, 'api_key', routedPartOfKey(key), hash, (accountId) =>
    findActiveKeyWithAccount(ctx.db, accountId, hash),
  );
  if (!found) return undefined;
  const principal: Principal = {
    accountId: found.key.account_id,
    keyId: found.key.id,
    level: found.key.level,
    keyTimezone: found.key.timezone,
  };
  cache.storeKey(epoch, cacheKey, { ...principal }, Object.freeze(found.account));
  return principal;
}
