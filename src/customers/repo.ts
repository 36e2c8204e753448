import type { Executor } from '../context.ts';
import type { CustomerRow, CustomerUpdate, NewCustomer } from '../db/schema.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { sql } from 'kysely';
import { anyId, fromJsonRow, idsWithin, jsonRowSql } from '../db/sql.ts';
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
const LOCKED_CUSTOMER_COLUMNS = ['id', 'reverse_charge', 'rate_card_id', 'bill_delivery'] as const;
export type LockedCustomer = Pick<CustomerRow, (typeof LOCKED_CUSTOMER_COLUMNS)[number]>;

export async function lockCustomers(
  db: Executor,
  accountId: number,
  customerIds: number[],
): Promise<LockedCustomer[]> {
  if (customerIds.length === 0) return [];
  // One JSON text per row: a billing batch locks a thousand customers (see jsonRowSql).
  const result = await sql<{ row: string }>`
    select ${jsonRowSql('c', LOCKED_CUSTOMER_COLUMNS)} as row from customers as c
    where c.account_id = ${accountId} and ${idsWithin('c.id', customerIds)}
    order by c.id
    for update
  `.execute(db);
  return result.rows.map((r) => fromJsonRow<LockedCustomer>(r.row, LOCKED_CUSTOMER_COLUMNS));
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
 * Deletes a customer. Billing has checked it has no invoices and removed its unbilled charges, and its
 * features are gone (the 'customer-deleting' event).
 */
export async function deleteCustomerRow(db: Executor, accountId: number, customerId: number): Promise<void> {
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

/** A customer whose rate card is this one (the 'rate-card-deleting' event), if any. */
export async function customerUsingRateCard(
  db: Executor,
  accountId: number,
  rateCardId: number,
): Promise<number | undefined> {
  const customer = await db
    .selectFrom('customers')
    .select('id')
    .where('account_id', '=', accountId)
    .where('rate_card_id', '=', rateCardId)
    .limit(1)
    .executeTakeFirst();
  return customer?.id;
}

/** Whether a customer has this discount plan (the 'discount-plan-deleting' event). */
export async function discountPlanAssigned(
  db: Executor,
  accountId: number,
  discountPlanId: number,
): Promise<boolean> {
  return (
    (await db
      .selectFrom('customers')
      .select('id')
      .where('account_id', '=', accountId)
      .where('discount_plan_id', '=', discountPlanId)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}

export async function customerExists(db: Executor, accountId: number, customerId: number): Promise<boolean> {
  const row = await db
    .selectFrom('customers')
    .select('id')
    .where('account_id', '=', accountId)
    .where('id', '=', customerId)
    .executeTakeFirst();
  return row !== undefined;
}
