// The processes table: every Ringbill process that uses the database (a server, or a command that opens it
// itself) and its heartbeat. A process is live while its heartbeat is younger than the lease; on the
// embedded database, whose OS lock admits one process at a time, only the process holding it is live.
// Times are the database's (now()), so clocks of different machines do not matter.
import { sql, type SelectQueryBuilder } from 'kysely';
import type { Executor } from '../context.ts';
import type { DB, ProcessesTable } from '../db/schema.ts';
import type { Selectable } from 'kysely';

export type ProcessRow = Selectable<ProcessesTable>;

/** Which processes count as live: those with a fresh heartbeat, or (embedded database) this one alone. */
export type Liveness = { leaseSeconds: number } | { onlyProcess: string };

/** The ids of the live processes, as a subquery for the repositories of what processes own. */
export function liveProcessIds(
  db: Executor,
  liveness: Liveness,
): SelectQueryBuilder<DB, 'processes', { id: string }> {
  const q = db.selectFrom('processes').select('id');
  return 'onlyProcess' in liveness
    ? q.where('id', '=', liveness.onlyProcess)
    : q.where('heartbeat_at', '>', sql<Date>`now() - make_interval(secs => ${liveness.leaseSeconds})`);
}

export async function registerProcess(
  db: Executor,
  row: Pick<ProcessRow, 'id' | 'pid' | 'hostname' | 'role' | 'description'>,
): Promise<void> {
  await db
    .insertInto('processes')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: sql<Date>`now()` }))
    .execute();
}

/** Renews the heartbeat; false when the row is gone (another process found this one dead and removed it). */
export async function beat(db: Executor, id: string): Promise<boolean> {
  const row = await db
    .updateTable('processes')
    .set({ heartbeat_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function removeProcess(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('processes').where('id', '=', id).execute();
}

/** The processes that are not live (for the log), oldest first, at most `limit`. */
export async function deadProcesses(db: Executor, liveness: Liveness, limit = 100): Promise<ProcessRow[]> {
  return db
    .selectFrom('processes')
    .selectAll()
    .where('id', 'not in', liveProcessIds(db, liveness))
    .orderBy('heartbeat_at')
    .limit(limit)
    .execute();
}

/** Removes the rows of these processes if they are still not live. */
export async function removeDeadProcesses(db: Executor, ids: string[], liveness: Liveness): Promise<void> {
  if (ids.length === 0) return;
  await db
    .deleteFrom('processes')
    .where('id', 'in', ids)
    .where('id', 'not in', liveProcessIds(db, liveness))
    .execute();
}
