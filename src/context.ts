import type { Kysely } from 'kysely';
import type { Database } from './db/connection.ts';
import type { DB } from './db/schema.ts';

/** What every use case gets: the database and a clock (tests may fix the time). */
export interface Ctx {
  readonly database: Database;
  readonly db: Kysely<DB>;
  now(): Date;
}

/** A connection or an open transaction: repositories accept either. */
export type Executor = Kysely<DB>;

export function createCtx(database: Database, now: () => Date = () => new Date()): Ctx {
  return { database, db: database.db, now };
}
