// What use cases hand to repositories: the connection or an open transaction. Use cases pass it on and
// open transactions with it; only repositories and src/db/ build queries (CONTRIBUTING.md, "Dependency
// rules"), so this is the one name for it outside them, and kysely's types stay here.
import { sql, type Kysely } from 'kysely';
import type { DB } from './schema.ts';

/** A connection or an open transaction: repositories accept either. */
export type Executor = Kysely<DB>;

/** One round trip to the database (the readiness probe). */
export async function pingDatabase(db: Executor): Promise<void> {
  await sql`select 1`.execute(db);
}
