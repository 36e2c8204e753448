// Named prepared statements for the hot paths that plan in far longer than they run (call authorisation's
// read and its one-statement reservation).
import type { RawBuilder } from 'kysely';
import type pg from 'pg';
import type { Executor } from './executor.ts';
import { anyUnitOfWorkOpen } from './unit-of-work.ts';

/** The PostgreSQL pool (ctx.database.pool), for named prepared statements; PGlite has none. */
export type PreparedPool = Pick<pg.Pool, 'query'>;

/**
 * Runs a query as a named prepared statement on PostgreSQL: parsed and planned once per connection (these
 * two plan in far longer than they run), then only bound and executed. Each name has one SQL text. On PGlite
 * (no pool) it runs through Kysely as usual, and so it does in a transaction or a unit of work: the pool would
 * hand out another connection, outside the transaction (and a unit waiting for a second connection is how a
 * full pool deadlocks).
 */
export async function runPrepared<R>(
  db: Executor,
  pool: PreparedPool | undefined,
  name: string,
  query: RawBuilder<R>,
): Promise<R[]> {
  if (!pool || db.isTransaction || anyUnitOfWorkOpen()) return (await query.execute(db)).rows;
  const compiled = query.compile(db);
  const result = await pool.query({ name, text: compiled.sql, values: compiled.parameters as unknown[] });
  return result.rows as R[];
}
