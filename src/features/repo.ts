import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { FeatureRow, FeatureUpdate, NewFeature } from '../db/schema.ts';
import type { IsoDate } from '../shared/dates.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { fromJsonRow, idArray, idsWithin, jsonRowSql, plainArray } from '../db/sql.ts';
import { phoneSpellings } from '../shared/contact.ts';
export type { FeatureRow, FeatureUpdate } from '../db/schema.ts';

export async function insertFeature(db: Executor, values: NewFeature): Promise<FeatureRow> {
  return db.insertInto('features').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function findFeature(
  db: Executor,
  accountId: number,
  featureId: number,
): Promise<FeatureRow | undefined> {
  return db
    .selectFrom('features')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', featureId)
    .executeTakeFirst();
}

export async function listFeatures(
  db: Executor,
  accountId: number,
  customerId: number,
  page: PageRequest,
): Promise<Page<FeatureRow>> {
  let q = db
    .selectFrom('features')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  const rows = await q
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  return toPage(rows, page.limit);
}

export async function updateFeatureRow(
  db: Executor,
  accountId: number,
  featureId: number,
  values: FeatureUpdate,
): Promise<FeatureRow | undefined> {
  return db
    .updateTable('features')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', featureId)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteFeatureRow(db: Executor, accountId: number, featureId: number): Promise<void> {
  await db.deleteFrom('features').where('account_id', '=', accountId).where('id', '=', featureId).execute();
}

/** The columns billing a feature's recurring charge reads (a batch reads thousands of features). */
export const RECURRING_FEATURE_COLUMNS = [
  'id',
  'customer_id',
  'name',
  'recurring_value',
  'recurring_frequency',
  'billing',
  'start_date',
  'end_date',
  'billed_until',
  'vat_rate',
] as const satisfies readonly (keyof FeatureRow)[];
export type RecurringFeatureRow = Pick<FeatureRow, (typeof RECURRING_FEATURE_COLUMNS)[number]>;

/** Features of these customers that carry a recurring charge. */
export async function recurringFeatures(
  db: Executor,
  accountId: number,
  customerIds: number[],
): Promise<RecurringFeatureRow[]> {
  if (customerIds.length === 0) return [];
  // One JSON text per row: a billing batch reads a thousand features (see jsonRowSql).
  const result = await sql<{ row: string }>`
    select ${jsonRowSql('f', RECURRING_FEATURE_COLUMNS, RECURRING_AS_TEXT)} as row from features as f
    where f.account_id = ${accountId} and ${idsWithin('f.customer_id', customerIds)} and f.recurring_value is not null
    order by f.id
  `.execute(db);
  return result.rows.map((r) => fromJsonRow<RecurringFeatureRow>(r.row, RECURRING_FEATURE_COLUMNS));
}
const RECURRING_AS_TEXT: ReadonlySet<string> = new Set(['recurring_value', 'vat_rate']);

/** Sets billed_until on many features in one statement. */
export async function setBilledUntil(
  db: Executor,
  accountId: number,
  updates: { featureId: number; billedUntil: IsoDate | null }[],
): Promise<void> {
  if (updates.length === 0) return;
  const ids = updates.map((u) => u.featureId);
  await sql`
    update features as f set billed_until = v.billed_until
    from unnest(${idArray(ids)}::bigint[], ${plainArray(updates.map((u) => u.billedUntil))}::date[]) as v(id, billed_until)
    where f.account_id = ${accountId} and f.id = v.id and ${idsWithin('f.id', ids)}
  `.execute(db);
}

/**
 * Another feature of the account using this phone number over an overlapping time (a number can move
 * to a new feature once the old one has ended).
 */
export async function findPhoneNumberClash(
  db: Executor,
  accountId: number,
  phoneNumber: string,
  startDate: IsoDate | null,
  endDate: IsoDate | null,
  excludeFeatureId: number | undefined,
): Promise<FeatureRow | undefined> {
  let q = db
    .selectFrom('features')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('phone_number', 'in', phoneSpellings(phoneNumber));
  if (excludeFeatureId !== undefined) q = q.where('id', '!=', excludeFeatureId);
  // Ranges [start, end] overlap unless one ends before the other starts; null means open-ended.
  if (startDate !== null)
    q = q.where((eb) => eb.or([eb('end_date', 'is', null), eb('end_date', '>=', startDate)]));
  if (endDate !== null)
    q = q.where((eb) => eb.or([eb('start_date', 'is', null), eb('start_date', '<=', endDate)]));
  return q.limit(1).executeTakeFirst();
}

/** Customers of the account with a recurring feature that may have something due. */
export async function customersWithRecurringFeatures(db: Executor, accountId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('features')
    .select('customer_id')
    .distinct()
    .where('account_id', '=', accountId)
    .where('recurring_value', 'is not', null)
    .execute();
  return rows.map((r) => r.customer_id);
}

/**
 * `(select customer_id …)`: the customers with a recurring feature, as a relation in another module's raw SQL
 * (the billing run's one query of customers to bill): `select customer_id from ${…} as f`.
 */
export function recurringFeatureCustomersSql(accountId: number) {
  return sql<{
    customer_id: number;
  }>`(select customer_id from features where account_id = ${accountId} and recurring_value is not null)`;
}

/** Names and VAT rates of features (for the lines that bill them). */
export async function featureNamesAndRates(
  db: Executor,
  accountId: number,
  featureIds: number[],
): Promise<Map<number, { name: string; vatRate: string | null }>> {
  if (featureIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('features')
    .select(['id', 'name', 'vat_rate'])
    .where('account_id', '=', accountId)
    .where('id', 'in', featureIds)
    .execute();
  return new Map(rows.map((r) => [r.id, { name: r.name, vatRate: r.vat_rate }]));
}

/** Names and phone numbers of features (for the bill's itemised calls). */
export async function featureLabels(
  db: Executor,
  accountId: number,
  featureIds: number[],
): Promise<Map<number, { name: string; phoneNumber: string | null }>> {
  if (featureIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('features')
    .select(['id', 'name', 'phone_number'])
    .where('account_id', '=', accountId)
    .where('id', 'in', featureIds)
    .execute();
  return new Map(rows.map((r) => [r.id, { name: r.name, phoneNumber: r.phone_number }]));
}

/**
 * `exists (…)`: the customer named by the outer query's columns has a feature whose phone number contains
 * these digits. A piece of another module's query (customers' search): only this module names features.
 */
export function phoneNumberContainsSql(customerAccountId: string, customerId: string, digits: string) {
  return sql<boolean>`exists (select 1 from features where features.account_id = ${sql.ref(customerAccountId)} and features.customer_id = ${sql.ref(customerId)} and features.phone_number like ${`%${digits}%`})`;
}

/** The features (the lines) as a relation another module's query joins: `selectFrom(featureRows(db).as('f'))`. */
export function featureRows(db: Executor) {
  return db.selectFrom('features').selectAll();
}

/** The features (the lines) as a relation in another module's raw SQL: `from ${featureRowsSql()} as f`. */
export function featureRowsSql() {
  return sql`(select * from features)`;
}

/** Deletes a customer's features (the 'customer-deleting' event, after billing's answer). */
export async function deleteCustomerFeatures(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<void> {
  await db
    .deleteFrom('features')
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .execute();
}

/** A feature whose rate card is this one (the 'rate-card-deleting' event), if any. */
export async function featureUsingRateCard(
  db: Executor,
  accountId: number,
  rateCardId: number,
): Promise<number | undefined> {
  const feature = await db
    .selectFrom('features')
    .select('id')
    .where('account_id', '=', accountId)
    .where('rate_card_id', '=', rateCardId)
    .limit(1)
    .executeTakeFirst();
  return feature?.id;
}

/**
 * Whether the account's features carry recurring charges, which hold an amount in its currency (the
 * 'currency-changing' event, after billing's invoices and charges).
 */
export async function recurringChargesPricedIn(
  db: Executor,
  accountId: number,
): Promise<'recurring charges' | undefined> {
  const recurring = await db
    .selectFrom('features')
    .select('id')
    .where('account_id', '=', accountId)
    .where('recurring_value', 'is not', null)
    .limit(1)
    .executeTakeFirst();
  return recurring ? 'recurring charges' : undefined;
}
