// Cancelling a link: it stops taking payments (overallStatus expired). Money already taken stays.
import type { Ctx } from '../context.ts';
import { notFound } from '../shared/errors.ts';
import { cancelRequest, lockRequest } from './repo.ts';

export async function cancelPaymentRequest(ctx: Ctx, accountId: number, requestId: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const request = await lockRequest(trx, accountId, requestId);
    if (!request) throw notFound('Payment request', requestId);
    if (request.cancelled_at === null) await cancelRequest(trx, accountId, requestId, ctx.now());
  });
}
