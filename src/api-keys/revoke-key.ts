import type { Ctx } from '../context.ts';
import { notFound } from '../shared/errors.ts';
import { accountChanged } from '../accounts/account-cache.ts';
import type { ApiKeyRow } from './repo.ts';
import { findApiKey, revokeApiKey as revokeRow } from './repo.ts';

/**
 * Revokes a key at once; revoking a revoked key is a no-op that returns it. Every process forgets the key
 * when the change commits (its NOTIFY, migration 0026); this one also forgets it before answering.
 */
export async function revokeApiKey(ctx: Ctx, accountId: number, keyId: number): Promise<ApiKeyRow> {
  const revoked = await revokeRow(ctx.db, accountId, keyId, ctx.now());
  accountChanged(ctx.database, accountId);
  if (revoked) return revoked;
  const existing = await findApiKey(ctx.db, accountId, keyId);
  if (!existing) throw notFound('API key', keyId);
  return existing;
}
