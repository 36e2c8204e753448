import { sql, type Insertable, type Updateable } from 'kysely';
import type { Executor } from '../context.ts';
import type { AccountRow, AccountsTable } from '../db/schema.ts';
export type { AccountRow, AccountsTable } from '../db/schema.ts';
/** The columns of a new account row. */
export type NewAccount = Insertable<AccountsTable>;

export async function insertAccount(db: Executor, values: Insertable<AccountsTable>): Promise<AccountRow> {
  return db.insertInto('accounts').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function findAccount(db: Executor, accountId: number): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
}

/** Locks the account row, so that checks against its settings hold until the transaction ends. */
export async function lockAccount(db: Executor, accountId: number): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', accountId).forUpdate().executeTakeFirst();
}

/**
 * Whether the account's features carry recurring charges, which hold an amount in its currency (invoices
 * and charges, which fix it too, are billing's to answer: the 'currency-changing' event).
 */
export async function recordsPricedInCurrency(
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

export async function listAccounts(db: Executor, limit: number): Promise<AccountRow[]> {
  return db.selectFrom('accounts').selectAll().orderBy('id').limit(limit).execute();
}

export async function updateAccount(
  db: Executor,
  accountId: number,
  /** updated_at: the caller's ctx.now() (a repository has no clock of its own). */
  values: Updateable<AccountsTable> & { updated_at: Date },
): Promise<AccountRow | undefined> {
  return db.updateTable('accounts').set(values).where('id', '=', accountId).returningAll().executeTakeFirst();
}

/**
 * Takes the account's next invoice number and advances it. The row lock this UPDATE takes serialises
 * approvals within an account, so numbers are gapless and never reused (as tax rules usually require).
 */
export async function takeNextInvoiceNumber(
  db: Executor,
  accountId: number,
): Promise<{ prefix: string; number: number }> {
  const row = await db
    .updateTable('accounts')
    .set((eb) => ({ invoice_next_number: eb('invoice_next_number', '+', 1) }))
    .where('id', '=', accountId)
    .returning(['invoice_prefix', 'invoice_next_number'])
    .executeTakeFirstOrThrow();
  return { prefix: row.invoice_prefix, number: row.invoice_next_number - 1 };
}

/** The accounts as a relation another module's query joins: `innerJoin(accountRows(db).as('a'), …)`. */
export function accountRows(db: Executor) {
  return db.selectFrom('accounts').selectAll();
}

/** The accounts as a relation in another module's raw SQL: `join ${accountRowsSql()} as a on …`. */
export function accountRowsSql() {
  return sql`(select * from accounts)`;
}

export async function setFeedStyle(
  db: Executor,
  accountId: number,
  style: 'rollup' | 'legacy',
): Promise<void> {
  await db.updateTable('accounts').set({ feed_style: style }).where('id', '=', accountId).execute();
}

/** The account's currency (a new balance row is kept in it). */
export async function findAccountCurrency(db: Executor, accountId: number): Promise<string> {
  const row = await db
    .selectFrom('accounts')
    .select('currency')
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (!row) throw new Error(`account ${accountId} not found`);
  return row.currency;
}

/** What an email from the account needs: its name and From address. */
export async function findAccountSender(
  db: Executor,
  accountId: number,
): Promise<{ name: string; email_from: string | null; email: string | null } | undefined> {
  return db
    .selectFrom('accounts')
    .select(['name', 'email_from', 'email'])
    .where('id', '=', accountId)
    .executeTakeFirst();
}
