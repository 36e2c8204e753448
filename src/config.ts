// Configuration comes from the environment (twelve-factor), with defaults that run on a fresh machine, and
// from a `.env` file in the working folder: the server and every `ringbill` command read the same file, so a
// command typed in a second terminal uses the database the server uses. The environment wins over the file.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS } from './collections/create-request.ts';
import ipaddr from 'ipaddr.js';
import type { HttpSmsOptions } from './sms/provider.ts';
import { DEFAULT_MAX_DURATION_S, DEFAULT_RESERVATION_TTL_S } from './authorization/authorize.ts';

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
  /**
   * An HTTP SMS gateway (SMS_URL, SMS_FROM, SMS_USERNAME, SMS_PASSWORD, SMS_TOKEN); unset: SMS are recorded only.
   * The operator's own setting, not a tenant's: it may name a gateway on this machine or a private network
   * (a local Kannel or smsd is common), so the webhook address rules do not apply to it.
   */
  sms: HttpSmsOptions | undefined;
  /** Days a payment link works when a request does not say (COLLECT_LINK_EXPIRY_DAYS, default 30, 1 to 366). */
  collectLinkExpiryDays: number;
  /**
   * Webhooks may go to loopback, private (RFC 1918), carrier-grade NAT and IPv6 unique local addresses
   * (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true, for an on-premises install); default false: public addresses only.
   */
  webhookAllowPrivateNetworks: boolean;
  /** Seconds a call authorisation's reservation lives without its CDR (RESERVATION_TTL_SECONDS, default 14400: 4 hours). */
  reservationTtlS: number;
  /** The longest call one authorisation or extension grants (AUTHORIZE_MAX_DURATION_SECONDS, default 3600; at most the TTL). */
  authorizeMaxDurationS: number;
  /**
   * Seconds a process's lease lasts without a heartbeat (PROCESS_LEASE_SECONDS, default 30, 2 to 3600): after
   * that, on PostgreSQL, its Idempotency-Key claims may be taken over and its billing runs are interrupted.
   */
  processLeaseSeconds: number;
  /**
   * Which proxies in front of the server to believe about the client's address (TRUST_PROXY), as Fastify's
   * trustProxy takes it: false (default: the connecting address is the client), true (believe every
   * X-Forwarded-For hop), a hop count, or the proxies' addresses and CIDR ranges. Rate limits (the payment
   * page's per client address) and request logs use the address it gives.
   */
  trustProxy: TrustProxy;
  /** Tests only (RINGBILL_TEST_HOLD=point:ms,…): pause at named points so a test can kill the process there. */
  testHolds: Record<string, number>;
  /**
   * Tests only (RINGBILL_TEST_GATEWAY_LOG=file): the built-in test gateway keeps its log of charges and
   * refunds in this file, so it outlives a process killed by a crash test and the test can count charges.
   */
  testGatewayLog: string | undefined;
}

export const ENV_FILE = '.env';

/** TRUST_PROXY, read: see Config.trustProxy. */
export type TrustProxy = boolean | number | string[];

/** Most proxy hops a hop count may name (a bound; real chains have one to three). */
const MAX_PROXY_HOPS = 32;

/**
 * TRUST_PROXY: unset, empty or false: trust no proxy; true: every hop; a whole number: that many hops
 * (1: the one reverse proxy in front); otherwise a comma-separated list of addresses and CIDR ranges of
 * the proxies (127.0.0.1, 10.0.0.0/8, ::1, fd00::/8).
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = value?.trim() ?? '';
  if (text === '' || /^(false|0)$/i.test(text)) return false;
  if (/^true$/i.test(text)) return true;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_PROXY_HOPS)
      throw new ConfigError(
        `TRUST_PROXY must be true, false, a hop count from 1 to ${MAX_PROXY_HOPS}, or proxy addresses and CIDR ranges, not "${value}"`,
      );
    return hops;
  }
  const list = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  for (const item of list) {
    if (!isAddressOrRange(item)) {
      throw new ConfigError(
        `TRUST_PROXY must be true, false, a hop count, or a comma-separated list of proxy addresses and CIDR ranges (10.0.0.0/8, ::1); "${item}" is none of them`,
      );
    }
  }
  return list;
}

/** An address written plainly (1.2.3.4, ::1), or such an address and a prefix length: 10.0.0.0/8, fd00::/8. */
function isAddressOrRange(item: string): boolean {
  const [address = '', prefix, extra] = item.split('/');
  if (extra !== undefined) return false;
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(address);
  if (!v4 && !ipaddr.IPv6.isValid(address)) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (v4 ? 32 : 128);
}

/**
 * The variables a `.env` file in `dir` sets (none when there is no file). Lines are `NAME=value`, `#`
 * comments, optional quotes and `export `, as Node's own parser (util.parseEnv) reads them.
 */
export function readEnvFile(dir: string = process.cwd()): Record<string, string> {
  const path = join(dir, ENV_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    throw new ConfigError(`${path} cannot be read (${code ?? String(error)})`);
  }
  return parseEnv(text) as Record<string, string>;
}

/** The variables the configuration is read from: the environment, over a `.env` file's (see readEnvFile). */
export function configEnv(
  env: NodeJS.ProcessEnv = process.env,
  dir: string = process.cwd(),
): NodeJS.ProcessEnv {
  return { ...readEnvFile(dir), ...env };
}

/** A setting that cannot be used, said in one line (the command prints it and exits 1). */
export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = env.PORT ? Number(env.PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`PORT must be a port number, not "${env.PORT}"`);
  const rateLimitPerMinute = env.RATE_LIMIT_PER_MINUTE ? Number(env.RATE_LIMIT_PER_MINUTE) : 600;
  if (!Number.isInteger(rateLimitPerMinute) || rateLimitPerMinute < 1) {
    throw new ConfigError(
      `RATE_LIMIT_PER_MINUTE must be a whole number of requests, 1 or more, not "${env.RATE_LIMIT_PER_MINUTE}"`,
    );
  }
  const publicUrl = env.PUBLIC_URL || undefined;
  if (publicUrl !== undefined && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(publicUrl)) {
    throw new ConfigError(
      `PUBLIC_URL must be an http(s) URL such as https://billing.example.com, not "${publicUrl}"`,
    );
  }
  const smsUrl = env.SMS_URL || undefined;
  if (smsUrl !== undefined && !/^https?:\/\/\S+$/.test(smsUrl))
    throw new ConfigError(`SMS_URL must be an http(s) URL, not "${smsUrl}"`);
  const collectLinkExpiryDays = env.COLLECT_LINK_EXPIRY_DAYS
    ? Number(env.COLLECT_LINK_EXPIRY_DAYS)
    : DEFAULT_EXPIRY_DAYS;
  if (
    !Number.isInteger(collectLinkExpiryDays) ||
    collectLinkExpiryDays < 1 ||
    collectLinkExpiryDays > MAX_EXPIRY_DAYS
  ) {
    throw new ConfigError(
      `COLLECT_LINK_EXPIRY_DAYS must be a whole number of days from 1 to ${MAX_EXPIRY_DAYS}, not "${env.COLLECT_LINK_EXPIRY_DAYS}"`,
    );
  }
  const processLeaseSeconds = env.PROCESS_LEASE_SECONDS ? Number(env.PROCESS_LEASE_SECONDS) : 30;
  if (!Number.isInteger(processLeaseSeconds) || processLeaseSeconds < 2 || processLeaseSeconds > 3600) {
    throw new ConfigError(
      `PROCESS_LEASE_SECONDS must be a whole number of seconds from 2 to 3600, not "${env.PROCESS_LEASE_SECONDS}"`,
    );
  }
  const testHolds: Record<string, number> = {};
  for (const item of (env.RINGBILL_TEST_HOLD ?? '').split(',').filter((s) => s.trim() !== '')) {
    const [point, ms] = item.trim().split(':');
    if (!point || !/^\d+$/.test(ms ?? ''))
      throw new ConfigError(
        `RINGBILL_TEST_HOLD must be point:milliseconds[,…], not "${env.RINGBILL_TEST_HOLD}"`,
      );
    testHolds[point] = Number(ms);
  }
  const webhookAllowPrivateNetworks = booleanSetting(env, 'WEBHOOK_ALLOW_PRIVATE_NETWORKS', false);
  const reservationTtlS = env.RESERVATION_TTL_SECONDS
    ? Number(env.RESERVATION_TTL_SECONDS)
    : DEFAULT_RESERVATION_TTL_S;
  if (!Number.isInteger(reservationTtlS) || reservationTtlS < 60 || reservationTtlS > 7 * 86_400) {
    throw new ConfigError(
      `RESERVATION_TTL_SECONDS must be a whole number of seconds from 60 to 604800, not "${env.RESERVATION_TTL_SECONDS}"`,
    );
  }
  const authorizeMaxDurationS = env.AUTHORIZE_MAX_DURATION_SECONDS
    ? Number(env.AUTHORIZE_MAX_DURATION_SECONDS)
    : Math.min(DEFAULT_MAX_DURATION_S, reservationTtlS);
  if (
    !Number.isInteger(authorizeMaxDurationS) ||
    authorizeMaxDurationS < 1 ||
    authorizeMaxDurationS > reservationTtlS
  ) {
    throw new ConfigError(
      `AUTHORIZE_MAX_DURATION_SECONDS must be a whole number of seconds from 1 to RESERVATION_TTL_SECONDS (${reservationTtlS}), not "${env.AUTHORIZE_MAX_DURATION_SECONDS}"`,
    );
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
    sms: smsUrl
      ? {
          url: smsUrl,
          from: env.SMS_FROM || undefined,
          username: env.SMS_USERNAME || undefined,
          password: env.SMS_PASSWORD || undefined,
          token: env.SMS_TOKEN || undefined,
        }
      : undefined,
    collectLinkExpiryDays,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    processLeaseSeconds,
    testHolds,
    testGatewayLog: env.RINGBILL_TEST_GATEWAY_LOG ? resolve(env.RINGBILL_TEST_GATEWAY_LOG) : undefined,
    webhookAllowPrivateNetworks,
    reservationTtlS,
    authorizeMaxDurationS,
  };
}

/** true/false (or 1/0), any case; unset or empty: the default. */
function booleanSetting(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(`${name} must be true or false, not "${env[name]}"`);
}
