// Planner statistics and dead rows when no autovacuum keeps them: PGlite has none (it runs PostgreSQL in a
// single process, without the autovacuum launcher), and a PostgreSQL server may run with `autovacuum = off`.
// Without it, tables never get statistics: the planner guesses from empty ones, and plans that were right for
// a few rows go on being used for millions (seen: a billing statement that re-scanned the account's charges
// once per charge, 40 ms a request at 600 customers and growing). This does what autovacuum would, with its
// default thresholds: ANALYZE a table once rows changed since its last ANALYZE exceed 50 + 10% of its rows,
// and VACUUM it once its dead rows exceed 50 + 20%. Run by the serving process's scheduler every minute;
// where autovacuum runs, it does nothing. Several processes may run it: SKIP_LOCKED passes over a table
// another one is working on.
import { sql } from 'kysely';
import type { Database } from './connection.ts';

/** What one pass did. `reason` is why it ran (or undefined: autovacuum runs, so it did nothing). */
export interface MaintenancePass {
  reason: 'embedded database' | 'autovacuum is off' | 'asked' | undefined;
  analyzed: string[];
  vacuumed: string[];
}

const ANALYZE = { threshold: 50, scale: 0.1 };
const VACUUM = { threshold: 50, scale: 0.2 };

interface TableActivity {
  relname: string;
  n_live_tup: string | number;
  n_dead_tup: string | number;
  n_mod_since_analyze: string | number;
}

/** Why this database needs Ringbill to keep its tables, or undefined when autovacuum does it. */
export async function maintenanceReason(database: Database): Promise<MaintenancePass['reason']> {
  if (database.kind === 'pglite') return 'embedded database';
  const { rows } = await sql<{
    autovacuum: string;
    track_counts: string;
  }>`select current_setting('autovacuum') as autovacuum, current_setting('track_counts') as track_counts`.execute(
    database.db,
  );
  const row = rows[0]!;
  // Without counters there is nothing to go by (and autovacuum could not run either).
  if (row.track_counts !== 'on') return undefined;
  return row.autovacuum === 'on' ? undefined : 'autovacuum is off';
}

/**
 * One pass over the schema's tables: ANALYZE and VACUUM those past autovacuum's thresholds. `always`
 * runs it whatever autovacuum does (a test, or an operator's command).
 */
export async function maintainTables(
  database: Database,
  options: { always?: boolean } = {},
): Promise<MaintenancePass> {
  const reason = options.always ? 'asked' : await maintenanceReason(database);
  const pass: MaintenancePass = { reason, analyzed: [], vacuumed: [] };
  if (reason === undefined) return pass;
  const { rows } = await sql<TableActivity>`
    select relname, n_live_tup, n_dead_tup, n_mod_since_analyze
    from pg_stat_user_tables where schemaname = current_schema()
    order by relname
  `.execute(database.db);
  for (const table of rows) {
    const live = Number(table.n_live_tup);
    const name = sql.id(table.relname);
    if (Number(table.n_dead_tup) > VACUUM.threshold + VACUUM.scale * live) {
      // VACUUM (ANALYZE) does both: one pass over the table.
      await sql`vacuum (analyze, skip_locked) ${name}`.execute(database.db);
      pass.vacuumed.push(table.relname);
      pass.analyzed.push(table.relname);
    } else if (Number(table.n_mod_since_analyze) > ANALYZE.threshold + ANALYZE.scale * live) {
      await sql`analyze (skip_locked) ${name}`.execute(database.db);
      pass.analyzed.push(table.relname);
    }
  }
  return pass;
}
