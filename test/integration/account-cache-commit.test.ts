// A change to an account inside a request's unit of work commits when the answer is sent, after the use case
// returned. This process must forget the account it keeps when that commit happens, not only when the use
// case returned: a request that read the row between the two keeps the row from before, and the client's
// next request (sent as soon as the answer arrives, maybe before the change's NOTIFY does) would be answered
// with it. CI saw this: a logo uploaded, then 404 for the logo.
import { describe, expect, it } from 'vitest';
import { accountChanged, keyCacheOf } from '../../src/accounts/account-cache.ts';
import { findAccount } from '../../src/accounts/repo.ts';
import { finishUnitOfWork, runInUnitOfWork } from '../../src/context.ts';
import { useHarness } from '../helpers/harness.ts';

const h = useHarness();

async function liveCache(): Promise<ReturnType<typeof keyCacheOf>> {
  const cache = keyCacheOf(h.ctx.database);
  for (let i = 0; i < 200 && !cache.live; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(cache.live).toBe(true);
  return cache;
}

describe('the account cache and units of work', () => {
  it('forgets an account changed in a unit when the unit commits, so a row read before the commit is not kept', async () => {
    const { id } = await h.account();
    const cache = await liveCache();
    const before = (await findAccount(h.ctx.database.db, id))!;

    const work = runInUnitOfWork(h.ctx.database.db, (unit) => {
      accountChanged(h.ctx.database, id);
      return unit;
    });
    // Another request, between the use case's return and the commit, reads the committed (old) row and keeps it.
    cache.storeAccount(cache.begin(), Object.freeze(before));
    expect(cache.account(id)).toBe(before);

    await finishUnitOfWork(work, { commit: true });
    expect(cache.account(id)).toBeUndefined();
  });

  it('keeps what it read after a unit that rolled back (nothing changed)', async () => {
    const { id } = await h.account();
    const cache = await liveCache();
    const row = (await findAccount(h.ctx.database.db, id))!;
    const work = runInUnitOfWork(h.ctx.database.db, (unit) => {
      accountChanged(h.ctx.database, id);
      return unit;
    });
    cache.storeAccount(cache.begin(), Object.freeze(row));
    await finishUnitOfWork(work, { commit: false });
    expect(cache.account(id)).toBe(row);
  });
});
