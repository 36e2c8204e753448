// An API server on a real database and a real socket, one per test file; one account per test.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { createAccount } from '../../src/api-keys/create-account.ts';
import { createApiKey } from '../../src/api-keys/create-key.ts';
import { createCtx, type Ctx } from '../../src/context.ts';
import { buildServer, type ServerOptions } from '../../src/http/server.ts';
import { createMailer, type Mailer } from '../../src/email/mailer.ts';
import { REACTIONS } from '../../src/reactions.ts';
import { OutboxWorker } from '../../src/outbox/worker.ts';
import { JOB_HANDLERS } from '../../src/jobs.ts';
import { startProcessLease } from '../../src/recovery/lease.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from './db.ts';

export interface Res<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export class Api {
  constructor(
    readonly baseUrl: string,
    readonly key: string | undefined,
    readonly prefix = '/backend/api/v1',
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.key !== undefined && !('authorization' in h)) h.authorization = `Bearer ${this.key}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${this.prefix}${path}`, {
      method,
      headers: h,
      body: payload,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, text, headers: response.headers };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  patch<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PATCH', path, body, headers);
  }
  delete<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, undefined, headers);
  }
}

export interface TestAccount {
  id: number;
  key: string;
  api: Api;
  /** An API client with a new key of the given level (a function property: it may be destructured). */
  withLevel: (level: number) => Promise<Api>;
}

export interface Harness {
  url: string;
  ctx: Ctx;
  testDb: TestDatabase;
  app: FastifyInstance;
  /** Fixes the clock (undefined: real time). */
  setNow(date: Date | undefined): void;
  account(options?: { timezone?: string; currency?: string; name?: string }): Promise<TestAccount>;
  anonymous(): Api;
  /** The outbox worker (not running on a timer): `runOnce()` delivers what is due. */
  outbox: OutboxWorker;
  /** The folder the default (file) mailer writes .eml files to. */
  mailDir: string;
}

export interface HarnessOptions {
  /** The mailer to send with (made when the harness starts); default: .eml files in a temp folder. */
  mailer?: () => Mailer;
  server?: ServerOptions;
  /**
   * WEBHOOK_ALLOW_PRIVATE_NETWORKS for this harness; default true, as the test receivers listen on
   * 127.0.0.1. A test of the refusals replaces `ctx.services.outbound` with a policy of its own.
   */
  allowPrivateNetworks?: boolean;
}

export async function startHarness(
  options: HarnessOptions = {},
): Promise<Harness & { close(): Promise<void> }> {
  const testDb = await createTestDatabase();
  let fixed: Date | undefined;
  const mailDir = await mkdtemp(join(tmpdir(), 'ringbill-mail-'));
  const ctx = createCtx(testDb.database, () => fixed ?? new Date(), {
    mailer: options.mailer?.() ?? createMailer({ dataDir: mailDir }),
    reactions: REACTIONS,
    outbound: { allowPrivateNetworks: options.allowPrivateNetworks ?? true },
  });
  const outbox = new OutboxWorker(ctx, JOB_HANDLERS);
  ctx.services.deliverNow = (accountId, jobId) => outbox.deliverNow(accountId, jobId);
  // Registered as a real server is, so its Idempotency-Key claims count as a live process's.
  const lease = await startProcessLease(ctx, {
    role: 'server',
    description: 'test harness',
    leaseSeconds: 30,
  });
  const app = await buildServer(ctx, options.server);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: address,
    ctx,
    testDb,
    app,
    outbox,
    mailDir: join(mailDir, 'mail'),
    setNow: (date) => {
      fixed = date;
    },
    async account(options = {}) {
      const { account, apiKey } = await createAccount(ctx, {
        name: options.name ?? 'Test Telecom',
        timezone: options.timezone ?? 'Europe/London',
        currency: options.currency ?? 'GBP',
      });
      return {
        id: account.id,
        key: apiKey.key,
        api: new Api(address, apiKey.key),
        withLevel: async (level) => new Api(address, (await createApiKey(ctx, account.id, { level })).key),
      };
    },
    anonymous: () => new Api(address, undefined),
    close: async () => {
      await app.close();
      await lease.stop();
      await testDb.drop();
      await rm(mailDir, { recursive: true, force: true });
    },
  };
}

/** Starts one harness for the test file. */
export function useHarness(options: HarnessOptions = {}): Harness {
  let harness: (Harness & { close(): Promise<void> }) | undefined;
  beforeAll(async () => {
    harness = await startHarness(options);
  });
  afterAll(async () => {
    await harness?.close();
  });
  const get = (): Harness => {
    if (!harness) throw new Error('harness not started');
    return harness;
  };
  return {
    get url() {
      return get().url;
    },
    get ctx() {
      return get().ctx;
    },
    get testDb() {
      return get().testDb;
    },
    get app() {
      return get().app;
    },
    get outbox() {
      return get().outbox;
    },
    get mailDir() {
      return get().mailDir;
    },
    setNow: (date) => get().setNow(date),
    account: (options) => get().account(options),
    anonymous: () => get().anonymous(),
  };
}

// ---- factories

export async function makeCustomer(api: Api, overrides: Record<string, unknown> = {}): Promise<any> {
  const res = await api.post('/customers', {
    name: 'Bright Dental Ltd',
    email: 'accounts@brightdental.example',
    ...overrides,
  });
  if (res.status !== 201) throw new Error(`makeCustomer: ${res.status} ${res.text}`);
  return res.body;
}

export async function makeFeature(
  api: Api,
  customerId: string,
  overrides: Record<string, unknown> = {},
): Promise<any> {
  const res = await api.post(`/customers/${customerId}/features`, { name: 'Main line', ...overrides });
  if (res.status !== 201) throw new Error(`makeFeature: ${res.status} ${res.text}`);
  return res.body;
}

export async function makeCharge(
  api: Api,
  path: string,
  overrides: Record<string, unknown> = {},
): Promise<any> {
  const res = await api.post(`${path}/transactions`, {
    transactionType: 'oneOff',
    transactionValue: '10.00',
    ...overrides,
  });
  if (res.status !== 201) throw new Error(`makeCharge: ${res.status} ${res.text}`);
  return res.body;
}
