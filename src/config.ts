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
  /** Requests per minute per API key on /v1 (RATE_LIMIT_PER_MINUTE, default 600; counted per process). */
  rateLimitPerMinute: number;
  /** The server's public base URL (PUBLIC_URL), for the URLs of uploaded files; default: the request's host. */
  publicUrl: string | undefined;
  /** Where email goes (SMTP_URL, e.g. smtp://user:pass@smtp.example.com:587); unset: .eml files in the data folder. */
  smtpUrl: string | undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = env.PORT ? Number(env.PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  const rateLimitPerMinute = env.RATE_LIMIT_PER_MINUTE ? Number(env.RATE_LIMIT_PER_MINUTE) : 600;
  if (!Number.isInteger(rateLimitPerMinute) || rateLimitPerMinute < 1) {
    throw new Error(`RATE_LIMIT_PER_MINUTE must be a whole number of requests, 1 or more, not "${env.RATE_LIMIT_PER_MINUTE}"`);
  }
  const publicUrl = env.PUBLIC_URL || undefined;
  if (publicUrl !== undefined && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(publicUrl)) {
    throw new Error(`PUBLIC_URL must be an http(s) URL such as https://billing.example.com, not "${publicUrl}"`);
  }
  return {
    port,
    host: env.HOST || '0.0.0.0',
    dataDir: resolve(env.RINGBILL_DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    logLevel: env.LOG_LEVEL || 'info',
    rateLimitPerMinute,
    publicUrl,
    smtpUrl: env.SMTP_URL || undefined,
  };
}
