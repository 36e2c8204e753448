import { inUnitOfWork, type Ctx } from '../context.ts';
import { keyCacheOf } from './account-cache.ts';
import type { AccountRow } from './repo.ts';
import { findAccount } from './repo.ts';

/**
 * The account as it is now (committed), for shaping an answer: from the process's account cache when a
 * request's key brought it there (account-cache.ts), else read, and kept unless `ctx.db` is a transaction
 * (which may have changed it). Read-only: the row is shared.
 */
export async function currentAccount(ctx: Ctx, accountId: number): Promise<AccountRow | undefined> {
  const cache = keyCacheOf(ctx.database);
  const outsideTransaction = ctx.db === ctx.database.db && !inUnitOfWork(ctx.db);
  if (outsideTransaction) {
    const cached = cache.account(accountId);
    if (cached) return cached;
  }
  const epoch = cache.begin();
  const row = await findAccount(ctx.db, accountId);
  if (row && outsideTransaction) cache.storeAccount(epoch, Object.freeze(row));
  return row;
}
