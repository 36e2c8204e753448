import type { Insertable, Updateable } from 'kysely';
import type { Executor } from '../context.ts';
import type { AccountRow, AccountsTable } from '../db/schema.ts';

export async function insertAccount(db: Executor, values: Insertable<AccountsTable>): Promise<AccountRow> {
  return db.insertInto('accounts').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function findAccount(db: Executor, accountId: number): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
}

export async function listAccounts(db: Executor, limit: number): Promise<AccountRow[]> {
  return db.selectFrom('accounts').selectAll().orderBy('id').limit(limit).execute();
}

export async function updateAccount(
  db: Executor,
  accountId: number,
  values: Updateable<AccountsTable>,
): Promise<AccountRow | undefined> {
  return db
    .updateTable('accounts')
    .set({ ...values, updated_at: new Date() })
    .where('id', '=', accountId)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Takes the account's next invoice number and advances it. The row lock this UPDATE takes serialises
 * approvals within an account, so numbers are gapless and never reused (as tax rules usually require).
 */
export async function takeNextInvoiceNumber(db: Executor, accountId: number): Promise<{ prefix: string; number: number }> {
  const row = await db
    .updateTable('accounts')
    .set((eb) => ({ invoice_next_number: eb('invoice_next_number', '+', 1) }))
    .where('id', '=', accountId)
    .returning(['invoice_prefix', 'invoice_next_number'])
    .executeTakeFirstOrThrow();
  return { prefix: row.invoice_prefix, number: row.invoice_next_number - 1 };
}
