import type { Executor } from '../context.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { sql } from 'kysely';

export interface DiscountPlanRow {
  account_id: number;
  id: number;
  name: string;
  rules: unknown;
  created_at: Date;
  updated_at: Date;
}

/** The discount plans as a relation another module's query joins: `innerJoin(discountPlanRows(db).as('p'), …)`. */
export function discountPlanRows(db: Executor) {
  return db.selectFrom('discount_plans').selectAll();
}

export async function insertDiscountPlan(
  db: Executor,
  accountId: number,
  name: string,
  rules: unknown,
  now: Date,
): Promise<DiscountPlanRow> {
  return await db
    .insertInto('discount_plans')
    .values({ account_id: accountId, name, rules: JSON.stringify(rules), created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findDiscountPlan(
  db: Executor,
  accountId: number,
  id: number,
): Promise<DiscountPlanRow | undefined> {
  return await db
    .selectFrom('discount_plans')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findDiscountPlanByName(
  db: Executor,
  accountId: number,
  name: string,
): Promise<DiscountPlanRow | undefined> {
  return await db
    .selectFrom('discount_plans')
    .selectAll()
    .where('account_id', '=', accountId)
    .where(sql`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
}

export async function listDiscountPlans(
  db: Executor,
  accountId: number,
  page: PageRequest,
): Promise<Page<DiscountPlanRow>> {
  let q = db.selectFrom('discount_plans').selectAll().where('account_id', '=', accountId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    (await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute()) as DiscountPlanRow[],
    page.limit,
  );
}

export async function updateDiscountPlanRow(
  db: Executor,
  accountId: number,
  id: number,
  values: { name?: string; rules?: unknown; updated_at: Date },
): Promise<DiscountPlanRow | undefined> {
  return await db
    .updateTable('discount_plans')
    .set({
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.rules !== undefined ? { rules: JSON.stringify(values.rules) } : {}),
      updated_at: values.updated_at,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteDiscountPlanRow(db: Executor, accountId: number, id: number): Promise<void> {
  await db.deleteFrom('discount_plans').where('account_id', '=', accountId).where('id', '=', id).execute();
}

export async function discountPlanInUse(db: Executor, accountId: number, id: number): Promise<boolean> {
  return (
    (await db
      .selectFrom('customers')
      .select('id')
      .where('account_id', '=', accountId)
      .where('discount_plan_id', '=', id)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}
