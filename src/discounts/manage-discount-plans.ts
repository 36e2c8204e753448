// An account's discount plans: named lists of rules (see rules.ts), assigned to customers with their
// discountPlanID and applied whenever an invoice of theirs is made (or `reapplyDiscountPlans` asks).
import type { Ctx, Executor } from '../context.ts';
import { DomainError, invalid, notFound } from '../shared/errors.ts';
import { publish } from '../shared/events.ts';
import {
  deleteDiscountPlanRow,
  type DiscountPlanRow,
  findDiscountPlan,
  findDiscountPlanByName,
  insertDiscountPlan,
  updateDiscountPlanRow,
} from './repo.ts';
import { parseDiscountRules } from './rules.ts';

function checkPlanName(value: string): string {
  const name = value.trim();
  if (name.length === 0 || name.length > 100) throw invalid('name', 'must be 1 to 100 characters');
  return name;
}

export async function createDiscountPlan(
  ctx: Ctx,
  accountId: number,
  input: { name: string; rules: unknown },
): Promise<DiscountPlanRow> {
  const name = checkPlanName(input.name);
  const rules = parseDiscountRules(input.rules);
  return ctx.db.transaction().execute(async (trx) => {
    const clash = await findDiscountPlanByName(trx, accountId, name);
    if (clash)
      throw new DomainError('conflict', `the name "${name}" is already used by discount plan ${clash.id}`);
    return insertDiscountPlan(trx, accountId, name, rules, ctx.now());
  });
}

/** Changes a plan. Unsent invoices pick the change up when they are made again (or reapplyDiscountPlans). */
export async function updateDiscountPlan(
  ctx: Ctx,
  accountId: number,
  id: number,
  input: { name?: string; rules?: unknown },
): Promise<DiscountPlanRow> {
  const name = input.name === undefined ? undefined : checkPlanName(input.name);
  const rules = input.rules === undefined ? undefined : parseDiscountRules(input.rules);
  return ctx.db.transaction().execute(async (trx) => {
    if (!(await findDiscountPlan(trx, accountId, id))) throw notFound('Discount plan', id);
    if (name !== undefined) {
      const clash = await findDiscountPlanByName(trx, accountId, name);
      if (clash && clash.id !== id)
        throw new DomainError('conflict', `the name "${name}" is already used by discount plan ${clash.id}`);
    }
    const updated = await updateDiscountPlanRow(trx, accountId, id, { name, rules, updated_at: ctx.now() });
    if (!updated) throw notFound('Discount plan', id);
    return updated;
  });
}

/** Deletes a plan no customer has (409 otherwise: take it off them first). */
export async function deleteDiscountPlan(ctx: Ctx, accountId: number, id: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await findDiscountPlan(trx, accountId, id))) throw notFound('Discount plan', id);
    // Customers answer whether one has it (the 'discount-plan-deleting' event).
    if (await publish(ctx, { type: 'discount-plan-deleting', db: trx, accountId, discountPlanId: id }))
      throw new DomainError(
        'conflict',
        `discount plan ${id} is assigned to customers; remove it from them first`,
      );
    await deleteDiscountPlanRow(trx, accountId, id);
  });
}

/** Checks a customer's discountPlanID (given as a string or number; null takes the plan off). */
export async function checkDiscountPlanId(
  db: Executor,
  accountId: number,
  value: number | null | undefined,
): Promise<void> {
  if (value === undefined || value === null) return;
  if (!(await findDiscountPlan(db, accountId, value)))
    throw invalid('discountPlanID', `no discount plan ${value} in this account`);
}
