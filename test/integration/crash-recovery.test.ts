// Recovery after a crash, with real server processes killed with kill -9 at chosen points (the
// RINGBILL_TEST_HOLD hook pauses a process there and says so): an Idempotency-Key claimed by a process that
// died is taken over by a retry, a billing run killed part-way becomes `interrupted` with the counts of what
// committed and is resumed without billing anyone twice, and a command running inside a server that dies
// says so in one line. On PGlite the next process to open the data folder recovers at once; on PostgreSQL,
// another process sharing the database does once the dead one's lease (PROCESS_LEASE_SECONDS) runs out.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createAccount } from '../../src/api-keys/create-account.ts';
import { createCtx } from '../../src/context.ts';
import { openPglite, type Database } from '../../src/db/connection.ts';
import { getAll } from '../helpers/billing.ts';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db.ts';
import { Api } from '../helpers/harness.ts';
import {
  freePort,
  killAllStarted,
  type Proc,
  ringbill,
  sleep,
  spawnRingbill,
  startServer,
} from '../helpers/processes.ts';

const postgres = testDbKind() === 'postgres';
const LEASE = { PROCESS_LEASE_SECONDS: '2' };
/** Each test starts real servers (seconds each, more on a busy machine). */
const SLOW = { timeout: 480_000 };

interface Setup {
  env: Record<string, string>;
  accountId: number;
  key: string;
  /** The database, opened by the test while no server holds it (PGlite) or alongside (PostgreSQL). */
  withDb<T>(fn: (database: Database) => Promise<T>): Promise<T>;
}

const cleanups: (() => Promise<void>)[] = [];
const procs: Proc[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.kill9();
  await killAllStarted();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A database of the project's kind with one account, as the servers under test will see it. */
async function setup(): Promise<Setup> {
  let withDb: Setup['withDb'];
  let env: Record<string, string>;
  if (postgres) {
    const testDb: TestDatabase = await createTestDatabase();
    cleanups.push(() => testDb.drop());
    env = { DATABASE_URL: testDb.url!, RINGBILL_DATA_DIR: await mkdtemp(join(tmpdir(), 'ringbill-crash-')) };
    withDb = (fn) => fn(testDb.database);
  } else {
    const dataDir = await mkdtemp(join(tmpdir(), 'ringbill-crash-'));
    // The migrated template, loaded into a real data folder (a fresh initdb costs seconds).
    const template = new Blob([await readFile(inject('pgliteTemplatePath'))]);
    const first = await openPglite({ dataDir: join(dataDir, 'pgdata'), loadDataDir: template });
    await first.close();
    env = { RINGBILL_DATA_DIR: dataDir, DATABASE_URL: '' };
    withDb = async (fn) => {
      const database = await openPglite({ dataDir: join(dataDir, 'pgdata') });
      try {
        return await fn(database);
      } finally {
        await database.close();
      }
    };
  }
  cleanups.push(() => rm(env.RINGBILL_DATA_DIR!, { recursive: true, force: true }));
  const { account, apiKey } = await withDb((database) =>
    createAccount(createCtx(database), { name: 'Crash Telecom', timezone: 'Europe/London', currency: 'GBP' }),
  );
  return { env, accountId: account.id, key: apiKey.key, withDb };
}

async function server(env: Record<string, string>, port: number): Promise<Proc> {
  const proc = await startServer(env, port);
  procs.push(proc);
  return proc;
}

/** Asks until the answer is not "still being processed" (409008), within a bound; returns every answer. */
async function retryWhileInProgress(api: Api, path: string, body: unknown, key: string, timeoutMs: number) {
  const answers = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.post(path, body, { 'idempotency-key': key });
    answers.push(res);
    if (!(res.status === 409 && res.body?.error_code === 409008) || Date.now() > deadline) return answers;
    await sleep(250);
  }
}

describe('an Idempotency-Key claimed by a process that died', () => {
  it('is taken over by a retry on a fresh process, which runs the request exactly once', SLOW, async () => {
    const s = await setup();
    const portA = await freePort();
    const a = await server({ ...s.env, ...LEASE, RINGBILL_TEST_HOLD: 'idempotency-claimed:120000' }, portA);
    const apiA = new Api(`http://127.0.0.1:${portA}`, s.key);
    const body = { name: 'Exactly Once Ltd', accountNumber: 'ONCE-7' };

    // The first request claims its key and is held before doing anything.
    const first = apiA.post('/customers', body, { 'idempotency-key': 'pay-7' }).then(
      (res) => res,
      (error: unknown) => error,
    );
    await a.waitFor(/ringbill test hold: idempotency-claimed/);
    // While its process lives (and renews its lease past PROCESS_LEASE_SECONDS), the key is still being processed.
    await sleep(3000);
    const meanwhile = await apiA.post('/customers', body, { 'idempotency-key': 'pay-7' });
    expect({ status: meanwhile.status, body: meanwhile.body }).toEqual({
      status: 409,
      body: {
        error: 'Request In Progress',
        error_code: 409008,
        hint: 'a request with this Idempotency-Key is still being processed; retry shortly',
      },
    });

    await a.kill9();
    expect(await first).toBeInstanceOf(Error); // the connection died with the process

    // A fresh process: on PGlite it opens the data folder the dead one held; on PostgreSQL it shares the
    // database and sees the dead process's lease run out.
    const portB = await freePort();
    await server({ ...s.env, ...LEASE }, portB);
    const apiB = new Api(`http://127.0.0.1:${portB}`, s.key);
    const answers = await retryWhileInProgress(apiB, '/customers', body, 'pay-7', 20_000);
    const last = answers.at(-1)!;
    // Any answer before the takeover said "still being processed"; the retry then ran, once.
    for (const early of answers.slice(0, -1))
      expect([early.status, early.body.error_code]).toEqual([409, 409008]);
    if (!postgres) expect(answers).toHaveLength(1); // the embedded database's next process knows at once
    expect(last.status, last.text).toBe(201);
    expect(last.headers.get('idempotent-replayed')).toBeNull();
    expect(last.body).toMatchObject({ name: 'Exactly Once Ltd', accountNumber: 'ONCE-7' });

    const again = await apiB.post('/customers', body, { 'idempotency-key': 'pay-7' });
    expect({
      status: again.status,
      replayed: again.headers.get('idempotent-replayed'),
      body: again.body,
    }).toEqual({ status: 201, replayed: 'true', body: last.body });
    const customers = await apiB.get('/customers');
    expect(customers.body.map((c: any) => [c.id, c.name])).toEqual([[last.body.id, 'Exactly Once Ltd']]);
  });
});

describe('a billing run killed part-way', () => {
  const CUSTOMERS = 2500; // batches of 1,000: 1000, 1000, 500

  /** Each customer has a 10.00 monthly line in advance from 1 October: at cut-off 1 November, October and November. */
  async function seedCustomers(s: Setup): Promise<void> {
    await s.withDb(async ({ db }) => {
      await sql`insert into customers (account_id, name) select ${s.accountId}, 'Customer ' || g from generate_series(1, ${CUSTOMERS}) g`.execute(
        db,
      );
      await sql`
        insert into features (account_id, customer_id, name, recurring_value, recurring_frequency, billing, start_date)
        select account_id, id, 'Line', 10.00, 'monthly', 'advance', date '2026-10-01' from customers where account_id = ${s.accountId}
      `.execute(db);
    });
  }

  async function runById(api: Api, id: string) {
    const res = await api.get(`/billingRuns/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  it(
    'becomes interrupted with the counts of what committed, and resume finishes it billing nothing twice',
    SLOW,
    async () => {
      const s = await setup();
      await seedCustomers(s);
      const portA = await freePort();
      const a = await server(
        { ...s.env, ...LEASE, RINGBILL_TEST_HOLD: 'billing-batch-committed:120000' },
        portA,
      );
      // PostgreSQL: a second server on the same database is running when the first dies, and notices.
      const portB = await freePort();
      const b = postgres ? await server({ ...s.env, ...LEASE }, portB) : undefined;
      const apiA = new Api(`http://127.0.0.1:${portA}`, s.key);

      const posting = apiA.post('/billingRuns', { cutoffDate: '2026-11-01' }).then(
        (res) => res,
        (error: unknown) => error,
      );
      await a.waitFor(/ringbill test hold: billing-batch-committed/);
      // While it runs, the run shows what has committed so far.
      const [running] = (await apiA.get('/billingRuns')).body;
      expect(running).toMatchObject({ status: 'running', cutoffDate: '2026-11-01', finished: null });
      expect(running.customersBilled).toBeGreaterThanOrEqual(1000);
      await a.kill9();
      expect(await posting).toBeInstanceOf(Error);

      if (b === undefined) await server({ ...s.env, ...LEASE }, portB); // PGlite: the next process to open the folder
      const apiB = new Api(`http://127.0.0.1:${portB}`, s.key);
      let interrupted = await runById(apiB, running.id);
      for (let i = 0; i < 60 && interrupted.status === 'running'; i++) {
        await sleep(250);
        interrupted = await runById(apiB, running.id);
      }
      // Its counts are exactly what committed: whole batches, each customer's invoice marked with the run.
      const committed = await getAll(apiB, `/invoices?unsent&billingRun=${running.id}&limit=1000`);
      expect([1000, 2000]).toContain(committed.length);
      expect(interrupted).toEqual({
        id: running.id,
        cutoffDate: '2026-11-01',
        status: 'interrupted',
        customersBilled: committed.length,
        invoicesCompleted: committed.length,
        invoicesCreated: committed.length,
        error: 'the process running it stopped before it finished; resume it to bill the rest',
        started: running.started,
        finished: expect.any(String),
      });

      const resumed = await apiB.post(`/billingRuns/${running.id}/resume`);
      expect(resumed.status, resumed.text).toBe(200);
      expect(resumed.body).toEqual({
        ...interrupted,
        status: 'completed',
        customersBilled: CUSTOMERS,
        invoicesCompleted: CUSTOMERS,
        invoicesCreated: CUSTOMERS,
        error: null,
        finished: expect.any(String),
      });
      expect(await runById(apiB, running.id)).toEqual(resumed.body);

      // Every customer billed once: one invoice each, 2 x 10.00, with the run; no recurring period charged twice.
      const invoices = await getAll(apiB, `/invoices?unsent&billingRun=${running.id}&limit=1000`);
      expect(invoices).toHaveLength(CUSTOMERS);
      expect(new Set(invoices.map((i: any) => i.customerID)).size).toBe(CUSTOMERS);
      expect(new Set(invoices.map((i: any) => `${i.invoiceAmount} ${i.invoiceVAT} ${i.total}`))).toEqual(
        new Set(['20.00 4.00 24.00']),
      );
      const charges = await getAll(apiB, '/transactions?includeUnsent&limit=1000');
      expect(charges).toHaveLength(2 * CUSTOMERS);
      expect(new Set(charges.map((t: any) => `${t.featureID} ${t.transactionStartDate}`)).size).toBe(
        2 * CUSTOMERS,
      );

      // Nothing left to resume; an unknown run is a 404.
      const twice = await apiB.post(`/billingRuns/${running.id}/resume`);
      expect({ status: twice.status, body: twice.body }).toEqual({
        status: 409,
        body: {
          error: 'Conflict',
          error_code: 409000,
          hint: `billing run ${running.id} is completed: there is nothing to resume`,
        },
      });
      const unknown = await apiB.post('/billingRuns/999999/resume');
      expect([unknown.status, unknown.body.error_code]).toEqual([404, 404001]);
    },
  );

  it('cannot be resumed while a live process runs it, nor from another account', SLOW, async () => {
    const s = await setup();
    await s.withDb(async ({ db }) => {
      await sql`insert into customers (account_id, name) values (${s.accountId}, 'Solo Ltd')`.execute(db);
      await sql`
        insert into features (account_id, customer_id, name, recurring_value, recurring_frequency, billing, start_date)
        select account_id, id, 'Line', 10.00, 'monthly', 'advance', date '2026-10-01' from customers where account_id = ${s.accountId}
      `.execute(db);
    });
    const other = await s.withDb((database) => createAccount(createCtx(database), { name: 'Other Telecom' }));
    const port = await freePort();
    const a = await server({ ...s.env, ...LEASE, RINGBILL_TEST_HOLD: 'billing-batch-committed:5000' }, port);
    const api = new Api(`http://127.0.0.1:${port}`, s.key);
    const posting = api.post('/billingRuns', { cutoffDate: '2026-11-01' });
    await a.waitFor(/ringbill test hold: billing-batch-committed/);
    const [running] = (await api.get('/billingRuns')).body;
    const refused = await api.post(`/billingRuns/${running.id}/resume`);
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 409,
      body: {
        error: 'Conflict',
        error_code: 409000,
        hint: `billing run ${running.id} is still running in a live Ringbill process; it can be resumed only once it stops`,
      },
    });
    const foreign = await new Api(`http://127.0.0.1:${port}`, other.apiKey.key).post(
      `/billingRuns/${running.id}/resume`,
    );
    expect([foreign.status, foreign.body.error_code]).toEqual([404, 404001]);
    const done = await posting;
    expect([done.status, done.body.status, done.body.customersBilled]).toEqual([201, 'completed', 1]);
    // The command says the same.
    const cli = await ringbill(s.env, ['bill', '--account', String(s.accountId), '--resume', running.id]);
    expect({ code: cli.code, stdout: cli.stdout, stderr: cli.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: billing run ${running.id} is completed: there is nothing to resume\n`,
    });
  });
});

describe.runIf(!postgres)('a command running inside a server that dies', () => {
  it(
    'says so in one line and exits 1; after a restart `ringbill bill --resume` finishes the run',
    SLOW,
    async () => {
      const s = await setup();
      await s.withDb(async ({ db }) => {
        await sql`insert into customers (account_id, name) select ${s.accountId}, 'Customer ' || g from generate_series(1, 3) g`.execute(
          db,
        );
        await sql`
        insert into features (account_id, customer_id, name, recurring_value, recurring_frequency, billing, start_date)
        select account_id, id, 'Line', 10.00, 'monthly', 'advance', date '2026-10-01' from customers where account_id = ${s.accountId}
      `.execute(db);
      });
      const port = await freePort();
      const a = await server({ ...s.env, RINGBILL_TEST_HOLD: 'billing-batch-committed:120000' }, port);
      // The command goes through the server (it holds the embedded database) over its Unix socket.
      const bill = spawnRingbill(s.env, ['bill', '--account', String(s.accountId), '--cutoff', '2026-11-01']);
      procs.push(bill);
      await a.waitFor(/ringbill test hold: billing-batch-committed/);
      await a.kill9();
      const { code } = await bill.exited;
      expect(code).toBe(1);
      expect(bill.output()).toMatch(
        new RegExp(
          `^(Billing .*\\n)?error: the Ringbill server running this command \\(pid ${a.pid}\\) stopped before the command finished; what it completed is kept: start the server again and check before repeating the command\\n$`,
        ),
      );
      expect(bill.output()).not.toMatch(/socket hang up|ECONNRESET|\n\s+at /);

      const b = await server(s.env, port);
      const runs = await new Api(`http://127.0.0.1:${port}`, s.key).get('/billingRuns');
      expect(runs.body.map((r: any) => [r.status, r.customersBilled])).toEqual([['interrupted', 3]]);
      const resumed = await ringbill(s.env, [
        'bill',
        '--account',
        String(s.accountId),
        '--resume',
        runs.body[0].id,
        '--json',
      ]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({
        id: runs.body[0].id,
        status: 'completed',
        customersBilled: 3,
        invoicesCompleted: 3,
        invoicesCreated: 3,
      });
      const text = await ringbill(s.env, [
        'bill',
        '--account',
        String(s.accountId),
        '--resume',
        runs.body[0].id,
      ]);
      expect({ code: text.code, stderr: text.stderr }).toEqual({
        code: 1,
        stderr: `error: billing run ${runs.body[0].id} is completed: there is nothing to resume\n`,
      });
      expect(b.running).toBe(true);
    },
  );
});
