import type { Ctx } from '../context.ts';
import { findActiveKeyByHash } from './repo.ts';
import { hashApiKey } from './token.ts';

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
  const row = await findActiveKeyByHash(ctx.db, hashApiKey(key));
  if (!row) return undefined;
  return { accountId: row.account_id, keyId: row.id, level: row.level, keyTimezone: row.timezone };
}
