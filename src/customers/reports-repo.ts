// Read-only queries on customers for the console's read model, and the pieces other
// modules' read models compose so that only this module names the customers table (CONTRIBUTING.md rule 2).
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
export type { CustomerRow } from './repo.ts';

/** The customers as a relation another module's query joins: `innerJoin(customerRows(db).as('c'), …)`. */
export function customerRows(db: Executor) {
  return db.selectFrom('customers').selectAll();
}

export async function customerNames(
  db: Executor,
  accountId: number,
  ids: number[],
): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('customers')
    .select(['id', 'name'])
    .where('account_id', '=', accountId)
    .where('id', 'in', ids.slice(0, 1000))
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** The customers as a relation in another module's raw SQL: `join ${customerRowsSql()} as c on …`. */
export function customerRowsSql() {
  return sql`(select * from customers)`;
}
