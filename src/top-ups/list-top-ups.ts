// A customer's top-ups, with the payment link of those paid by link.
import type { Ctx } from '../context.ts';
import { findRequest } from '../collections/repo.ts';
import { findCustomerTerms, findTopUp, listTopUps } from '../balances/repo.ts';
import type { TopUpRow } from '../balances/repo.ts';
import { notFound } from '../shared/errors.ts';
import type { Page, PageRequest } from '../shared/pagination.ts';

export interface TopUpWithLink {
  topUp: TopUpRow;
  url: string | null;
}

async function withLink(ctx: Ctx, accountId: number, topUp: TopUpRow): Promise<TopUpWithLink> {
  if (topUp.request_id === null) return { topUp, url: null };
  const request = await findRequest(ctx.db, accountId, topUp.request_id);
  return { topUp, url: request?.url ?? null };
}

export async function listCustomerTopUps(
  ctx: Ctx,
  accountId: number,
  customerId: number,
  page: PageRequest,
): Promise<Page<TopUpWithLink & { id: number }>> {
  if (!(await findCustomerTerms(ctx.db, accountId, customerId))) throw notFound('Customer', customerId);
  const found = await listTopUps(ctx.db, accountId, customerId, page);
  const rows = [];
  for (const t of found.rows) rows.push({ ...(await withLink(ctx, accountId, t)), id: t.id });
  return { rows, nextAfter: found.nextAfter };
}

export async function getTopUp(
  ctx: Ctx,
  accountId: number,
  customerId: number,
  topUpId: number,
): Promise<TopUpWithLink> {
  const topUp = await findTopUp(ctx.db, accountId, topUpId);
  if (!topUp || topUp.customer_id !== customerId) throw notFound('Top-up', topUpId);
  return withLink(ctx, accountId, topUp);
}
