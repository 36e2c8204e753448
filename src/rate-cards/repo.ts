import type { Insertable } from 'kysely';
import type { Executor } from '../context.ts';
import type { RateCardRow, RateRow, RatesTable } from '../db/schema.ts';
import type { IsoDate } from '../shared/dates.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { sql } from 'kysely';
export type { RateBandColumn, RateCardRow, RateRow } from '../db/schema.ts';

export async function insertRateCard(
  db: Executor,
  accountId: number,
  name: string,
  isDefault: boolean,
  now: Date,
): Promise<RateCardRow> {
  return db
    .insertInto('rate_cards')
    .values({ account_id: accountId, name, is_default: isDefault, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findRateCard(
  db: Executor,
  accountId: number,
  id: number,
): Promise<RateCardRow | undefined> {
  return db
    .selectFrom('rate_cards')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findRateCardByName(
  db: Executor,
  accountId: number,
  name: string,
): Promise<RateCardRow | undefined> {
  return db
    .selectFrom('rate_cards')
    .selectAll()
    .where('account_id', '=', accountId)
    .where(sql`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
}

export async function findDefaultRateCard(db: Executor, accountId: number): Promise<RateCardRow | undefined> {
  return db
    .selectFrom('rate_cards')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('is_default', '=', true)
    .executeTakeFirst();
}

export async function listRateCards(
  db: Executor,
  accountId: number,
  page: PageRequest,
): Promise<Page<RateCardRow>> {
  let q = db.selectFrom('rate_cards').selectAll().where('account_id', '=', accountId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

export async function updateRateCardRow(
  db: Executor,
  accountId: number,
  id: number,
  values: { name?: string; is_default?: boolean; updated_at: Date },
): Promise<RateCardRow | undefined> {
  return db
    .updateTable('rate_cards')
    .set(values)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Only one default card per account: clears the flag on the others. */
export async function clearDefaultRateCard(db: Executor, accountId: number, exceptId: number): Promise<void> {
  await db
    .updateTable('rate_cards')
    .set({ is_default: false })
    .where('account_id', '=', accountId)
    .where('is_default', '=', true)
    .where('id', '!=', exceptId)
    .execute();
}

export async function deleteRateCardRow(db: Executor, accountId: number, id: number): Promise<void> {
  await db.deleteFrom('rates').where('account_id', '=', accountId).where('rate_card_id', '=', id).execute();
  await db.deleteFrom('rate_cards').where('account_id', '=', accountId).where('id', '=', id).execute();
}

/** The rates as a relation another module's query joins: `innerJoin(rateRows(db).as('r'), …)`. */
export function rateRows(db: Executor) {
  return db.selectFrom('rates').selectAll();
}

export async function loadRates(db: Executor, accountId: number, rateCardId: number): Promise<RateRow[]> {
  return db
    .selectFrom('rates')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('rate_card_id', '=', rateCardId)
    .execute();
}

export interface RateFilter {
  prefix?: string | undefined;
  /** Only rates in effect on this date. */
  on?: IsoDate | undefined;
}

export async function listRates(
  db: Executor,
  accountId: number,
  rateCardId: number,
  filter: RateFilter,
  page: PageRequest,
): Promise<Page<RateRow>> {
  let q = db
    .selectFrom('rates')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('rate_card_id', '=', rateCardId);
  if (filter.prefix !== undefined) q = q.where('prefix', '=', filter.prefix);
  if (filter.on !== undefined) {
    const on = filter.on;
    q = q
      .where((eb) => eb.or([eb('effective_from', 'is', null), eb('effective_from', '<=', on)]))
      .where((eb) => eb.or([eb('effective_to', 'is', null), eb('effective_to', '>', on)]));
  }
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

/**
 * Ends the card's rates at a date: rates in force then stop the day before; rates that would only have
 * started on or after it never apply (kept, with an empty period, for the calls that point at them).
 */
export async function closeRatesFrom(
  db: Executor,
  accountId: number,
  rateCardId: number,
  from: IsoDate,
): Promise<void> {
  await db
    .updateTable('rates')
    .set({ effective_to: from })
    .where('account_id', '=', accountId)
    .where('rate_card_id', '=', rateCardId)
    .where((eb) => eb.or([eb('effective_from', 'is', null), eb('effective_from', '<', from)]))
    .where((eb) => eb.or([eb('effective_to', 'is', null), eb('effective_to', '>', from)]))
    .execute();
  await db
    .updateTable('rates')
    .set({ effective_to: sql`effective_from` })
    .where('account_id', '=', accountId)
    .where('rate_card_id', '=', rateCardId)
    .where('effective_from', '>=', from)
    .execute();
}

/** Whether the card has ever had a rate (its first import applies from the start of time). */
export async function rateCardHasRates(
  db: Executor,
  accountId: number,
  rateCardId: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('rates')
    .select('id')
    .where('account_id', '=', accountId)
    .where('rate_card_id', '=', rateCardId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the account has any rate card (its first becomes its default). */
export async function accountHasRateCards(db: Executor, accountId: number): Promise<boolean> {
  const row = await db
    .selectFrom('rate_cards')
    .select('id')
    .where('account_id', '=', accountId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertRates(db: Executor, rows: Insertable<RatesTable>[]): Promise<void> {
  const CHUNK = 2000;
  for (let i = 0; i < rows.length; i += CHUNK)
    await db
      .insertInto('rates')
      .values(rows.slice(i, i + CHUNK))
      .execute();
}

/** A cheap summary of a card's rates: when it changes, the cached table is compiled again. */
export async function rateCardFingerprint(
  db: Executor,
  accountId: number,
  rateCardId: number,
): Promise<string> {
  const result = await sql<{ n: number; max_id: number | null; ended: number; last_end: string | null }>`
    select count(*)::int as n, max(id) as max_id, count(effective_to)::int as ended, max(effective_to)::text as last_end
    from rates where account_id = ${accountId} and rate_card_id = ${rateCardId}
  `.execute(db);
  const r = result.rows[0]!;
  return `${r.n}/${r.max_id ?? 0}/${r.ended}/${r.last_end ?? ''}`;
}

export async function loadCardRates(db: Executor, accountId: number, rateCardId: number): Promise<RateRow[]> {
  return db
    .selectFrom('rates')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('rate_card_id', '=', rateCardId)
    .execute();
}

/** `(select r.id from rate_cards …)`: the default rate card of the account the outer query's column names. */
export function defaultRateCardIdSql(accountIdColumn: string) {
  return sql<unknown>`(select r.id from rate_cards as r where r.account_id = ${sql.ref(accountIdColumn)} and r.is_default)`;
}
