// Reads whose rows come back as arrays of values in select order (the feed's pages: thousands of rows a
// request, where the driver's object per row, with a property set per column, is a cost of its own).
import type { Compilable } from 'kysely';
import type { Database } from './connection.ts';
import type { CopyColumnType } from './copy-rows.ts';
import type { Executor } from './executor.ts';
import { inUnitOfWork } from './unit-of-work.ts';

/**
 * Runs `query` and returns its rows as arrays of the values of `columns` (the names it selects, in order).
 * Outside a transaction (`db` is the database's own executor and no unit of work is open) the driver hands
 * over arrays (Database.selectArrays); inside one, `db` runs it, so it sees what the transaction wrote, and
 * each row object is made an array here. The values are the same either way: the same SQL, the same parsers.
 */
export async function selectRowArrays(
  db: Executor,
  database: Pick<Database, 'db' | 'selectArrays'> | undefined,
  query: Compilable<unknown>,
  columns: readonly string[],
): Promise<unknown[][]> {
  const compiled = query.compile();
  if (database !== undefined && db === database.db && !inUnitOfWork(db))
    return database.selectArrays(compiled);
  const { rows } = await db.executeQuery<Record<string, unknown>>(compiled);
  return rows.map((row) => columns.map((column) => row[column]));
}

/**
 * selectRowArrays() a row at a time: `onRow` gets each row's array as it is read, and the count is
 * returned. Outside a transaction, Database.eachArray (on PostgreSQL through COPY, each value parsed by its
 * column's `type` as the driver parses it: no array of the rows is kept); inside one, through `db`.
 */
export async function eachRowArray(
  db: Executor,
  database: Pick<Database, 'db' | 'eachArray'> | undefined,
  query: Compilable<unknown>,
  columns: readonly { name: string; type: CopyColumnType }[],
  onRow: (row: unknown[]) => void,
): Promise<number> {
  const compiled = query.compile();
  if (database !== undefined && db === database.db && !inUnitOfWork(db))
    return database.eachArray(
      compiled,
      columns.map((c) => c.type),
      onRow,
    );
  const { rows } = await db.executeQuery<Record<string, unknown>>(compiled);
  for (const row of rows) onRow(columns.map((column) => row[column.name]));
  return rows.length;
}
