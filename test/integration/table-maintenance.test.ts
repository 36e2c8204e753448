// Tables keep planner statistics where no autovacuum runs (PGlite always; PostgreSQL with autovacuum off):
// a table whose rows changed past autovacuum's threshold is analysed, one with dead rows past it vacuumed,
// and a table analysed since is left alone.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connection.ts';
import { maintainTables, maintenanceReason } from '../../src/db/table-maintenance.ts';
import { useHarness } from '../helpers/harness.ts';

const h = useHarness();

interface Activity {
  n_live_tup: number;
  n_dead_tup: number;
  n_mod_since_analyze: number;
  reltuples: number;
}

async function activity(database: Database, table: string): Promise<Activity> {
  const { rows } = await sql<Record<keyof Activity, string>>`
    select s.n_live_tup::text, s.n_dead_tup::text, s.n_mod_since_analyze::text, c.reltuples::text
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where s.schemaname = current_schema() and s.relname = ${table}
  `.execute(database.db);
  const row = rows[0]!;
  return {
    n_live_tup: Number(row.n_live_tup),
    n_dead_tup: Number(row.n_dead_tup),
    n_mod_since_analyze: Number(row.n_mod_since_analyze),
    reltuples: Number(row.reltuples),
  };
}

/** Runs `change` on one connection and has that backend report its counters, then waits until they show. */
async function changeAndReport(
  database: Database,
  change: string,
  until: (a: Activity) => boolean,
): Promise<Activity> {
  await database.db.connection().execute(async (db) => {
    await sql.raw(change).execute(db);
    await sql`select pg_stat_force_next_flush()`.execute(db);
    await sql`select 1`.execute(db);
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const now = await activity(database, 'customers');
    if (until(now)) return now;
    if (Date.now() > deadline) throw new Error(`counters never showed the change: ${JSON.stringify(now)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('table maintenance where no autovacuum runs', () => {
  it('runs on PGlite always, and on PostgreSQL only when autovacuum is off', async () => {
    const database = h.testDb.database;
    const reason = await maintenanceReason(database);
    if (database.kind === 'pglite') expect(reason).toBe('embedded database');
    else {
      const { rows } = await sql<{ on: string }>`select current_setting('autovacuum') as on`.execute(
        database.db,
      );
      expect(reason).toBe(rows[0]!.on === 'off' ? 'autovacuum is off' : undefined);
      // Where autovacuum runs, a pass does nothing at all.
      if (reason === undefined) expect(await maintainTables(database)).toMatchObject({ analyzed: [] });
    }
  });

  it('analyses a table whose rows changed past the threshold, then leaves it alone', async () => {
    const database = h.testDb.database;
    const { id: accountId } = await h.account();
    const before = await activity(database, 'customers');
    await changeAndReport(
      database,
      `insert into customers (account_id, name) select ${accountId}, 'Customer ' || g from generate_series(1, 400) g`,
      (a) => a.n_mod_since_analyze >= before.n_mod_since_analyze + 400,
    );

    const pass = await maintainTables(database, { always: true });
    expect(pass.reason).toBe('asked');
    expect(pass.analyzed).toContain('customers');
    const after = await activity(database, 'customers');
    expect(after.reltuples).toBeGreaterThanOrEqual(400);
    expect(after.n_mod_since_analyze).toBe(0);

    const again = await maintainTables(database, { always: true });
    expect(again.analyzed).not.toContain('customers');
  });

  it('vacuums a table whose dead rows passed the threshold', async () => {
    const database = h.testDb.database;
    const { id: accountId } = await h.account();
    await changeAndReport(
      database,
      `insert into customers (account_id, name) select ${accountId}, 'Line ' || g from generate_series(1, 300) g`,
      () => true,
    );
    await maintainTables(database, { always: true });
    // Every row of this account changed: its old versions are dead rows.
    await changeAndReport(
      database,
      `update customers set name = name || ' (renamed)' where account_id = ${accountId}`,
      (a) => a.n_dead_tup >= 300,
    );
    const dirty = await activity(database, 'customers');
    expect(dirty.n_dead_tup).toBeGreaterThan(50 + 0.2 * dirty.n_live_tup);

    const pass = await maintainTables(database, { always: true });
    expect(pass.vacuumed).toContain('customers');
    expect(pass.analyzed).toContain('customers');
    await changeAndReport(database, 'select 1', (a) => a.n_dead_tup < 300);
  });
});
