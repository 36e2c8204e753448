import type { Executor } from '../context.ts';
import type { CustomerRow, CustomerUpdate, NewCustomer } from '../db/schema.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { anyId } from '../db/sql.ts';
import { discountPlanRows } from '../discounts/repo.ts';
export type { CustomerRow, CustomerUpdate } from '../db/schema.ts';

export async function insertCustomer(db: Executor, values: NewCustomer): Promise<CustomerRow> {
  return db.insertInto('customers').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function findCustomer(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<CustomerRow | undefined> {
  return db
    .selectFrom('customers')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', customerId)
    .executeTakeFirst();
}

/** Locks the customer row: the per-customer mutex for everything that changes the customer's invoices. */
export async function lockCustomer(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<CustomerRow | undefined> {
  return db
    .selectFrom('customers')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', customerId)
    .forUpdate()
    .executeTakeFirst();
}

/** Locks many customers, in id order so that concurrent lockers never deadlock. */
export async function lockCustomers(
  db: Executor,
  accountId: number,
  customerIds: number[],
): Promise<Pick<CustomerRow, 'id' | 'reverse_charge' | 'rate_card_id' | 'bill_delivery'>[]> {
  if (customerIds.length === 0) return [];
  return db
    .selectFrom('customers')
    .select(['id', 'reverse_charge', 'rate_card_id', 'bill_delivery'])
    .where('account_id', '=', accountId)
    .where('id', '=', anyId(customerIds))
    .orderBy('id')
    .forUpdate()
    .execute();
}

export interface CustomerFilter {
  accountNumber?: string | undefined;
  createdSince?: Date | undefined;
}

export async function listCustomers(
  db: Executor,
  accountId: number,
  filter: CustomerFilter,
  page: PageRequest,
): Promise<Page<CustomerRow>> {
  let q = db.selectFrom('customers').selectAll().where('account_id', '=', accountId);
  if (filter.accountNumber !== undefined) q = q.where('account_number', '=', filter.accountNumber);
  if (filter.createdSince !== undefined) q = q.where('created_at', '>=', filter.createdSince);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  const rows = await q
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  return toPage(rows, page.limit);
}

export async function updateCustomer(
  db: Executor,
  accountId: number,
  customerId: number,
  values: CustomerUpdate,
): Promise<CustomerRow | undefined> {
  return db
    .updateTable('customers')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', customerId)
    .returningAll()
    .executeTakeFirst();
}

export async function findCustomerByAccountNumber(
  db: Executor,
  accountId: number,
  accountNumber: string,
): Promise<CustomerRow | undefined> {
  return db
    .selectFrom('customers')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('account_number', '=', accountNumber)
    .executeTakeFirst();
}

/**
 * Deletes a customer with its features. Billing has checked it has no invoices and removed its unbilled
 * charges (the 'customer-deleting' event).
 */
export async function deleteCustomerCascade(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<void> {
  await db
    .deleteFrom('features')
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .execute();
  await db.deleteFrom('customers').where('account_id', '=', accountId).where('id', '=', customerId).execute();
}

/** The discount plan rules of these customers (those that have a plan). */
export async function plansOfCustomers(
  db: Executor,
  accountId: number,
  customerIds: number[],
): Promise<Map<number, unknown>> {
  if (customerIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('customers as c')
    .innerJoin(discountPlanRows(db).as('p'), (j) =>
      j.onRef('p.account_id', '=', 'c.account_id').onRef('p.id', '=', 'c.discount_plan_id'),
    )
    .select(['c.id', 'p.rules'])
    .where('c.account_id', '=', accountId)
    .where('c.id', '=', anyId(customerIds))
    .execute();
  return new Map(rows.map((r) => [r.id, r.rules]));
}
