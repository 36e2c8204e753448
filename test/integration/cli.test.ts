// The `ringbill` command as a user runs it: real processes, real data folders, real HTTP.
// On PGlite, commands run while `ringbill serve` holds the data folder (they go through its control
// socket) and after it stops (they open the folder themselves). On PostgreSQL, through DATABASE_URL.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db.ts';
import { Api } from '../helpers/harness.ts';

// Each test starts real processes (a server, CLI commands, each booting Node and the database): on a busy
// two-core machine one test can take minutes, so the file's tests get more than the default minute.
const PROCESS_TEST_TIMEOUT = 300_000;

const run = promisify(execFile);
const BIN = resolve('bin/ringbill.js');

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function ringbill(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function startServer(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const deadline = Date.now() + 240_000; // a new data folder (initdb, migrations) on a busy machine
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}): ${output}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not become ready: ${output}`);
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Creates a customer with a recurring feature and a charge through the API, as a user would. */
async function seedBilling(api: Api): Promise<string> {
  const customer = await api.post('/customers', { name: 'Harbour Cafe' });
  expect(customer.status).toBe(201);
  const feature = await api.post(`/customers/${customer.body.id}/features`, {
    name: 'Line',
    recurringValue: '20.00',
    startDate: '2026-10-01',
  });
  expect(feature.status).toBe(201);
  const charge = await api.post(`/features/${feature.body.id}/transactions`, {
    transactionValue: '5.00',
    transactionDate: '2026-10-10',
  });
  expect(charge.status).toBe(201);
  return customer.body.id;
}

describe.runIf(testDbKind() === 'pglite')(
  'ringbill CLI on the embedded database',
  { timeout: PROCESS_TEST_TIMEOUT },
  () => {
    let dataDir: string;
    let env: Record<string, string>;

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'ringbill-cli-'));
      env = { RINGBILL_DATA_DIR: dataDir, DATABASE_URL: '' };
    });
    afterAll(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });

    it('runs every command while the server holds the data folder, and after it stops', async () => {
      const port = await freePort();
      const server = await startServer(env, port);
      try {
        const created = await ringbill(
          env,
          'accounts',
          'create',
          '--name',
          'Harbour Telecom',
          '--timezone',
          'Europe/London',
          '--currency',
          'GBP',
          '--json',
        );
        expect(created.code, created.stderr).toBe(0);
        const { account, apiKey } = JSON.parse(created.stdout);
        expect(account).toMatchObject({
          name: 'Harbour Telecom',
          timezone: 'Europe/London',
          currency: 'GBP',
        });
        expect(apiKey.level).toBe(5);
        expect(apiKey.key).toMatch(/^rb_/);

        const api = new Api(`http://127.0.0.1:${port}`, apiKey.key);
        const customerId = await seedBilling(api);

        const key = await ringbill(env, 'keys', 'create', '--account', account.id, '--level', '2', '--json');
        expect(key.code, key.stderr).toBe(0);
        const level2 = JSON.parse(key.stdout);
        expect(level2.level).toBe(2);
        const readable = await new Api(`http://127.0.0.1:${port}`, level2.key).get(
          `/customers/${customerId}`,
        );
        expect(readable.status).toBe(200);

        const billed = await ringbill(
          env,
          'bill',
          '--account',
          account.id,
          '--cutoff',
          '2026-11-01',
          '--json',
        );
        expect(billed.code, billed.stderr).toBe(0);
        // The charge had made the customer's unsent invoice: the run completed it and made none.
        expect(JSON.parse(billed.stdout)).toMatchObject({
          cutoffDate: '2026-11-01',
          status: 'completed',
          customersBilled: 1,
          invoicesCompleted: 1,
          invoicesCreated: 0,
        });
        const invoices = await api.get('/invoices?unsent');
        // October and November line rental in advance, plus the 5.00 charge.
        expect(invoices.body).toHaveLength(1);
        expect(invoices.body[0]).toMatchObject({
          invoiceAmount: '45.00',
          invoiceVAT: '9.00',
          total: '54.00',
        });

        const migrated = await ringbill(env, 'migrate');
        expect(migrated.code, migrated.stderr).toBe(0);
        expect(migrated.stdout).toMatch(/up to date/);

        const bad = await ringbill(env, 'keys', 'create', '--account', account.id, '--level', '9');
        expect(bad.code).toBe(1);
        expect(bad.stderr).toMatch(/level/);

        const second = await ringbill(env, 'serve');
        expect(second.code).toBe(1);
        expect(second.stderr).toMatch(
          /^error: a Ringbill server \(pid \d+, port \d+, since \d\d:\d\d\) is using /,
        );
      } finally {
        await stopServer(server);
      }

      // With the server stopped the command opens the folder itself and sees the same data.
      const listed = await ringbill(env, 'accounts', 'list', '--json');
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout).map((a: { name: string }) => a.name)).toEqual(['Harbour Telecom']);
      const billedAgain = await ringbill(env, 'bill', '--account', '1', '--cutoff', '2026-11-01');
      expect(billedAgain.code, billedAgain.stderr).toBe(0);
      expect(billedAgain.stdout).toBe(
        'Billing run 2 for cut-off 2026-11-01: 1 customer(s) billed, 1 invoice(s) completed, 0 of them new.\n',
      );
    });

    it('explains usage errors', async () => {
      const result = await ringbill(env, 'bill', '--account', '1');
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/--cutoff/);
      const date = await ringbill(env, 'bill', '--account', '1', '--cutoff', '2026-02-30');
      expect(date.code).toBe(1);
      expect(date.stderr).toMatch(/not a date/);
      // A setting that cannot be used: one line, for every command, not a stack trace.
      for (const args of [['accounts', 'list'], ['serve']]) {
        const bad = await ringbill({ ...env, PORT: 'abc' }, ...args);
        expect({ code: bad.code, stderr: bad.stderr }).toEqual({
          code: 1,
          stderr: 'error: PORT must be a port number, not "abc"\n',
        });
      }
    });
  },
);

describe.runIf(testDbKind() === 'postgres')(
  'ringbill CLI on PostgreSQL (DATABASE_URL)',
  { timeout: PROCESS_TEST_TIMEOUT },
  () => {
    let testDb: TestDatabase;
    let env: Record<string, string>;

    beforeAll(async () => {
      testDb = await createTestDatabase();
      env = {
        DATABASE_URL: testDb.url!,
        RINGBILL_DATA_DIR: await mkdtemp(join(tmpdir(), 'ringbill-cli-pg-')),
      };
    });
    afterAll(async () => {
      await testDb.drop();
      await rm(env.RINGBILL_DATA_DIR!, { recursive: true, force: true });
    });

    it('runs commands against the server database, with an API server running at the same time', async () => {
      const port = await freePort();
      const server = await startServer(env, port);
      try {
        const created = await ringbill(
          env,
          'accounts',
          'create',
          '--name',
          'Quay Networks',
          '--currency',
          'EUR',
          '--timezone',
          'Europe/Dublin',
          '--json',
        );
        expect(created.code, created.stderr).toBe(0);
        const { account, apiKey } = JSON.parse(created.stdout);
        expect(account.currency).toBe('EUR');
        const api = new Api(`http://127.0.0.1:${port}`, apiKey.key);
        await seedBilling(api);

        const billed = await ringbill(
          env,
          'bill',
          '--account',
          account.id,
          '--cutoff',
          '2026-11-01',
          '--json',
        );
        expect(billed.code, billed.stderr).toBe(0);
        expect(JSON.parse(billed.stdout)).toMatchObject({ status: 'completed', customersBilled: 1 });
        const invoices = await api.get('/invoices?unsent');
        expect(invoices.body[0]).toMatchObject({ invoiceAmount: '45.00', currency: 'EUR' });

        const migrated = await ringbill(env, 'migrate');
        expect(migrated.stdout).toMatch(/up to date/);
        const key = await ringbill(env, 'keys', 'create', '--account', account.id, '--level', '1');
        expect(key.code, key.stderr).toBe(0);
        expect(key.stdout).toMatch(/rb_/);
      } finally {
        await stopServer(server);
      }
    });
  },
);
