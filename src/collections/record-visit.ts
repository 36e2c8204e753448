// A visit to the payment page: counted on the request (document 003's visits and lastVisit).
import type { Ctx } from '../context.ts';
import { countVisit, findRequestByToken } from './repo.ts';

/** Counts a visit; false when there is no such link. */
export async function recordVisit(ctx: Ctx, token: string): Promise<boolean> {
  const request = await findRequestByToken(ctx.db, token);
  if (!request) return false;
  await countVisit(ctx.db, request.account_id, Number(request.id), ctx.now());
  return true;
}
