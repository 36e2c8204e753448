// Reading an instalment plan with its instalments (paid, due, missed), by plan id or by the request it pays.
import type { Ctx } from '../context.ts';
import { findRequest } from '../collections/repo.ts';
import { notFound } from '../shared/errors.ts';
import { latestPlanIdOfRequest } from './plans-repo.ts';
import { findPlan, type PlanWithInstalments } from './repo.ts';

export async function getPlan(ctx: Ctx, accountId: number, planId: number): Promise<PlanWithInstalments> {
  const plan = await findPlan(ctx.db, accountId, planId);
  if (!plan) throw notFound('Instalment plan', planId);
  return plan;
}

/** The plan of a payment request: its active one, else its latest. */
export async function getRequestPlan(
  ctx: Ctx,
  accountId: number,
  requestId: number,
): Promise<PlanWithInstalments> {
  if (!(await findRequest(ctx.db, accountId, requestId))) throw notFound('Payment request', requestId);
  const planId = await latestPlanIdOfRequest(ctx.db, accountId, requestId);
  if (planId === undefined) throw notFound('Instalment plan of payment request', requestId);
  return getPlan(ctx, accountId, planId);
}
