import { join } from 'node:path';
import type { Config } from '../config.ts';
import { openPglite, openPostgres, type Database } from './connection.ts';
import { lockDataDir } from './data-dir.ts';
import { migrate } from './migrate.ts';

export interface OpenOptions {
  /** Apply pending migrations (the server and most commands do; `migrate` reports them itself). */
  migrate: boolean;
}

/** Opens the configured database: PostgreSQL when DATABASE_URL is set, else PGlite in the data folder. */
export async function openConfiguredDatabase(config: Config, options: OpenOptions): Promise<Database> {
  let database: Database;
  if (config.databaseUrl) {
    database = await openPostgres({ connectionString: config.databaseUrl });
  } else {
    const unlock = lockDataDir(config.dataDir);
    try {
      const pglite = await openPglite({ dataDir: join(config.dataDir, 'pgdata') });
      database = {
        ...pglite,
        close: async () => {
          try {
            await pglite.close();
          } finally {
            unlock();
          }
        },
      };
    } catch (error) {
      unlock();
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
