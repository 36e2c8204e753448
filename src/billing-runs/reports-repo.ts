// Pieces of other modules' read models on billing runs: only this module names billing_runs
// (CONTRIBUTING.md rule 2).
import { sql } from 'kysely';

/** `(select count(*) from billing_runs …)`: the account's interrupted runs, for a statement that counts several things. */
export function interruptedRunCountSql(accountId: number) {
  return sql<string>`(select count(*) from billing_runs where account_id = ${accountId} and status = 'interrupted')`;
}
