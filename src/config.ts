// Configuration comes from the environment (twelve-factor), with defaults that run on a fresh machine.
import { resolve } from 'node:path';

export interface Config {
  /** HTTP port (PORT, default 8080). */
  port: number;
  /** Interface to listen on (HOST, default 0.0.0.0). */
  host: string;
  /** Ringbill's data folder (RINGBILL_DATA_DIR, default ./data): the embedded database and local files. */
  dataDir: string;
  /** A PostgreSQL server (DATABASE_URL); when unset, the embedded PGlite database in the data folder. */
  databaseUrl: string | undefined;
  /** Log level (LOG_LEVEL, default info). */
  logLevel: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = env.PORT ? Number(env.PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  return {
    port,
    host: env.HOST || '0.0.0.0',
    dataDir: resolve(env.RINGBILL_DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    logLevel: env.LOG_LEVEL || 'info',
  };
}
