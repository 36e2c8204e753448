import type { Ctx } from '../context.ts';
import { notFound } from '../shared/errors.ts';
import type { RequestFactsRow } from '../collections/repo.ts';
import { requestFacts } from './reports-repo.ts';

/** One request of the account with everything the report says about it; another account's is not found. */
export async function getRequest(ctx: Ctx, accountId: number, requestId: number): Promise<RequestFactsRow> {
  const [row] = await requestFacts(ctx.db, accountId, { ids: [requestId], limit: 1 });
  if (!row) throw notFound('Payment request', requestId);
  return row;
}
