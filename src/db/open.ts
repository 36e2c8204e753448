import { join } from 'node:path';
import type { Config } from '../config.ts';
import { openPglite, openPostgres, type Database } from './connection.ts';
import { type DataDirLock, type LockHolder, lockDataDir } from './data-dir.ts';
import { migrate } from './migrate.ts';

export interface OpenOptions {
  /** Apply pending migrations (the server and most commands do; `migrate` reports them itself). */
  migrate: boolean;
  /** Who is opening it, written in the embedded database's lock file (see data-dir.ts). */
  holder: Pick<LockHolder, 'role' | 'port' | 'command'>;
}

/** An open database; on PGlite, with the data folder's lock this process holds while it is open. */
export type OpenedDatabase = Database & { readonly dataDirLock?: DataDirLock };

/** Opens the configured database: PostgreSQL when DATABASE_URL is set, else PGlite in the data folder. */
export async function openConfiguredDatabase(config: Config, options: OpenOptions): Promise<OpenedDatabase> {
  let database: OpenedDatabase;
  if (config.databaseUrl) {
    database = await openPostgres({ connectionString: config.databaseUrl });
  } else {
    const lock = lockDataDir(config.dataDir, options.holder);
    try {
      const pglite = await openPglite({ dataDir: join(config.dataDir, 'pgdata') });
      database = {
        ...pglite,
        dataDirLock: lock,
        close: async () => {
          try {
            await pglite.close();
          } finally {
            lock.release();
          }
        },
      };
    } catch (error) {
      lock.release();
      throw error;
    }
  }
  if (options.migrate) {
    try {
      await migrate(database);
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  return database;
}
