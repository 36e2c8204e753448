// An audit entry commits with its change, or neither does, for the API and the console alike: a change
// request runs in one unit of work (src/db/unit-of-work.ts) and its entry is written in it. Failures are
// forced in the test database with triggers (on audit_log, or on the changed table), scoped to this file's
// accounts so nothing else is touched.
import { sql } from 'kysely';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.ts';
import { createCtx, finishUnitOfWork, runInUnitOfWork } from '../../src/context.ts';
import { openPostgres } from '../../src/db/connection.ts';
import { runPrepared } from '../../src/db/prepared.ts';
import { buildServer } from '../../src/http/server.ts';
import { REACTIONS } from '../../src/reactions.ts';
import { testDbKind } from '../helpers/db.ts';
import { Api, makeCustomer, useHarness, type TestAccount } from '../helpers/harness.ts';

const h = useHarness();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let account: TestAccount;
let cookie = '';
let csrf = '';

async function send(path: string, init: RequestInit = {}) {
  const res = await fetch(`${h.url}${path}`, { redirect: 'manual', ...init });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

/** A trigger that refuses rows of `table` (before insert or update) matching `when`. */
async function failOn(table: 'audit_log' | 'customers', event: 'insert' | 'update', when: string) {
  await sql
    .raw(
      `create or replace function rb_test_refuse() returns trigger language plpgsql as $$
       begin raise exception 'refused by the test'; end $$`,
    )
    .execute(h.ctx.db);
  await sql
    .raw(
      `create trigger rb_test_refuse before ${event} on ${table} for each row when (${when})
       execute function rb_test_refuse()`,
    )
    .execute(h.ctx.db);
}

async function auditRows(resource: string) {
  return h.ctx.db
    .selectFrom('audit_log')
    .selectAll()
    .where('account_id', '=', account.id)
    .where('resource', '=', resource)
    .orderBy('id')
    .execute();
}

async function consoleSignIn(): Promise<void> {
  const out: string[] = [];
  const code = await runProgram(
    {
      io: { out: (t) => out.push(t), err: () => {}, progress: () => {} },
      ctx: async () => h.ctx,
      baseUrl: h.url,
    },
    [
      'users',
      'create',
      '--account',
      String(account.id),
      '--email',
      'o@atomic.example',
      '--role',
      'owner',
      '--json',
    ],
  );
  expect(code).toBe(0);
  const path = new URL(JSON.parse(out.join('\n')).setUpLink).pathname;
  expect((await send(path, { method: 'POST', headers: FORM, body: 'password=a-long-password' })).status).toBe(
    303,
  );
  const res = await fetch(`${h.url}/console/sign-in`, {
    method: 'POST',
    headers: FORM,
    body: 'email=o%40atomic.example&password=a-long-password',
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const profile = await send('/console/profile', { headers: { cookie } });
  csrf = /name="csrf" value="([^"]+)"/.exec(profile.text)![1]!;
}

beforeAll(async () => {
  account = await h.account({ name: 'Atomic Telecom' });
  await consoleSignIn();
});

afterEach(async () => {
  await sql.raw('drop trigger if exists rb_test_refuse on audit_log').execute(h.ctx.db);
  await sql.raw('drop trigger if exists rb_test_refuse on customers').execute(h.ctx.db);
});

describe('audit entries commit with their change: the API', () => {
  it('rolls an update back, with a 500, when its entry cannot be written', async () => {
    const customer = await makeCustomer(account.api, { name: 'Bright Dental' });
    await failOn('audit_log', 'insert', `new.account_id = ${account.id} and new.action = 'update'`);
    const refused = await account.api.patch(`/customers/${customer.id}`, { name: 'Renamed' });
    expect(refused.status).toBe(500);
    expect(refused.body).toMatchObject({ error: 'Internal Error', error_code: 500001 });
    expect((await account.api.get(`/customers/${customer.id}`)).body.name).toBe('Bright Dental');
    expect((await auditRows('customers')).filter((r) => r.action === 'update')).toHaveLength(0);
  });

  it('rolls a creation back when its entry cannot be written, and the key can be used again', async () => {
    const before = (await account.api.get('/customers?limit=500')).body.length as number;
    await failOn('audit_log', 'insert', `new.account_id = ${account.id} and new.action = 'create'`);
    const refused = await account.api.post('/customers', { name: 'Never Kept' }, { 'idempotency-key': 'k1' });
    expect(refused.status).toBe(500);
    const names = ((await account.api.get('/customers?limit=500')).body as { name: string }[]).map(
      (c) => c.name,
    );
    expect(names).toHaveLength(before);
    expect(names).not.toContain('Never Kept');
    // With the entry writable again, the same key runs the request (the failure was not kept as its answer).
    await sql.raw('drop trigger rb_test_refuse on audit_log').execute(h.ctx.db);
    const kept = await account.api.post('/customers', { name: 'Never Kept' }, { 'idempotency-key': 'k1' });
    expect(kept.status).toBe(201);
    const entries = (await auditRows('customers')).filter((r) => r.resource_id === String(kept.body.id));
    expect(entries.map((r) => r.action)).toEqual(['create']);
  });

  it('writes no entry for a change whose transaction fails, and keeps what changed for one that commits', async () => {
    const customer = await makeCustomer(account.api, { name: 'Harbour Vets' });
    await failOn('customers', 'update', `new.account_id = ${account.id} and new.name = 'Explodes'`);
    const failed = await account.api.patch(`/customers/${customer.id}`, { name: 'Explodes' });
    expect(failed.status).toBe(500);
    const refused = await account.api.patch(`/customers/${customer.id}`, { email: 'not an email' });
    expect(refused.status).toBe(400);
    expect((await auditRows('customers')).filter((r) => r.resource_id === String(customer.id))).toHaveLength(
      1,
    );
    const ok = await account.api.patch(`/customers/${customer.id}`, { name: 'Harbour Vets Ltd' });
    expect(ok.status).toBe(200);
    const entries = (await auditRows('customers')).filter((r) => r.resource_id === String(customer.id));
    expect(entries.map((r) => r.action)).toEqual(['create', 'update']);
    expect(entries[1]!.changes).toEqual({ name: { from: 'Harbour Vets', to: 'Harbour Vets Ltd' } });
  });

  it("writes a billing run's entry with the run's row: no run when it cannot be written", async () => {
    await failOn('audit_log', 'insert', `new.account_id = ${account.id} and new.resource = 'billingRuns'`);
    const refused = await account.api.post('/billingRuns', { cutoffDate: '2026-01-01' });
    expect(refused.status).toBe(500);
    expect((await account.api.get('/billingRuns')).body).toEqual([]);
    await sql.raw('drop trigger rb_test_refuse on audit_log').execute(h.ctx.db);
    const run = await account.api.post('/billingRuns', { cutoffDate: '2026-01-01' });
    expect(run.status).toBe(201);
    const entries = await auditRows('billingRuns');
    expect(entries.map((r) => [r.action, r.resource_id, r.actor_type, r.surface])).toEqual([
      ['create', String(run.body.id), 'api_key', 'api'],
    ]);
  });
});

describe('audit entries commit with their change: the console', () => {
  const post = (path: string, body: Record<string, string>) =>
    send(path, {
      method: 'POST',
      headers: { cookie, ...FORM },
      body: new URLSearchParams({ csrf, ...body }).toString(),
    });
  const names = async () =>
    ((await account.api.get('/customers?limit=500')).body as { name: string }[]).map((c) => c.name);

  it('rolls a console change back when its entry cannot be written', async () => {
    await failOn(
      'audit_log',
      'insert',
      `new.account_id = ${account.id} and new.surface = 'console' and new.resource = 'customers'`,
    );
    const refused = await post('/console/customers', { name: 'Console Only' });
    expect(refused.status).toBe(500);
    expect(refused.text).toContain('Nothing was changed');
    expect(await names()).not.toContain('Console Only');
    await sql.raw('drop trigger rb_test_refuse on audit_log').execute(h.ctx.db);
    const made = await post('/console/customers', { name: 'Console Only' });
    expect(made.status).toBe(303);
    expect(await names()).toContain('Console Only');
    const entries = (await auditRows('customers')).filter((r) => r.surface === 'console');
    expect(entries.map((r) => [r.action, r.actor_type, (r.changes as { name: string }).name])).toEqual([
      ['create', 'user', 'Console Only'],
    ]);
  });

  it('writes no entry for a console change whose transaction fails', async () => {
    const customer = await makeCustomer(account.api, { name: 'Quay Dental' });
    await failOn('customers', 'update', `new.account_id = ${account.id} and new.name = 'Explodes'`);
    const failed = await post(`/console/customers/${customer.id}`, { name: 'Explodes' });
    expect(failed.status).toBe(500);
    expect((await account.api.get(`/customers/${customer.id}`)).body.name).toBe('Quay Dental');
    expect(
      (await auditRows('customers')).filter(
        (r) => r.surface === 'console' && r.resource_id === String(customer.id),
      ),
    ).toEqual([]);
  });

  it('writes a billing run started in the console with the run: none when the entry fails', async () => {
    await failOn(
      'audit_log',
      'insert',
      `new.account_id = ${account.id} and new.surface = 'console' and new.resource = 'billingRuns'`,
    );
    const before = (await account.api.get('/billingRuns')).body.length as number;
    const refused = await post('/console/billing-runs', { cutoffDate: '2026-02-01', scope: 'all' });
    expect(refused.status).toBe(500);
    expect((await account.api.get('/billingRuns')).body).toHaveLength(before);
  });
});

describe.skipIf(testDbKind() !== 'postgres')('units of work on a pool smaller than the writers', () => {
  const POOL_CONNECTIONS = 2;
  const WRITERS = 8;

  it('finishes more concurrent audited writers than the pool has connections: a unit never needs a second', async () => {
    // A server of its own on this file's database, with a pool of 2: 8 writers keep 8 units wanting a
    // connection at once. A unit that waited for a second connection while holding one would hang here.
    const database = await openPostgres({
      connectionString: h.testDb.url!,
      maxConnections: POOL_CONNECTIONS,
    });
    const app = await buildServer(createCtx(database, undefined, { reactions: REACTIONS }));
    let mostWaiting = 0;
    const watch = setInterval(() => (mostWaiting = Math.max(mostWaiting, database.pool!.waitingCount)), 2);
    try {
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const api = new Api(base, account.key);
      const form = (body: Record<string, string>) => ({
        method: 'POST',
        headers: { cookie, ...FORM },
        body: new URLSearchParams({ csrf, ...body }).toString(),
        redirect: 'manual' as const,
      });
      const writer = async (n: number): Promise<string[]> => {
        const statuses: string[] = [];
        const customer = await api.post('/customers', { name: `Pool Writer ${n}` });
        statuses.push(`customer ${customer.status}`);
        const renamed = await api.patch(`/customers/${customer.body.id}`, { name: `Pool Writer ${n} Ltd` });
        statuses.push(`rename ${renamed.status}`);
        const charge = await api.post(`/customers/${customer.body.id}/transactions`, {
          transactionType: 'oneOff',
          transactionDescription: 'Handset',
          transactionValue: '49.99',
          transactionDate: '2026-10-20',
        });
        statuses.push(`charge ${charge.status}`);
        const invoice = await api.post(`/customers/${customer.body.id}/invoices`, {
          cutoffDate: '2026-11-01',
        });
        statuses.push(`invoice ${invoice.status}`);
        const approved = await api.post(`/invoices/${invoice.body.id}?action=approve`);
        statuses.push(`approve ${approved.status}`);
        const fromConsole = await fetch(`${base}/console/customers`, form({ name: `Pool Console ${n}` }));
        await fromConsole.arrayBuffer();
        statuses.push(`console ${fromConsole.status}`);
        return statuses;
      };
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('the writers did not finish: the pool deadlocked')),
          45_000,
        );
      });
      const results = await Promise.race([
        Promise.all(Array.from({ length: WRITERS }, (_, n) => writer(n))),
        deadline,
      ]).finally(() => clearTimeout(timer));
      for (const statuses of results)
        expect(statuses).toEqual([
          'customer 201',
          'rename 200',
          'charge 201',
          'invoice 201',
          'approve 200',
          'console 303',
        ]);
      // The writers did queue for the pool (more units wanted a connection than it had).
      expect(mostWaiting).toBeGreaterThan(0);
      expect(database.pool!.totalCount).toBeLessThanOrEqual(POOL_CONNECTIONS);
      // Every change has its one entry.
      const names = await h.ctx.db
        .selectFrom('audit_log')
        .select(['resource', 'action'])
        .where('account_id', '=', account.id)
        .execute();
      const count = (resource: string, action: string) =>
        names.filter((r) => r.resource === resource && r.action === action).length;
      expect(count('customers', 'update')).toBeGreaterThanOrEqual(WRITERS);
      expect(count('invoices', 'approve')).toBe(WRITERS);
      expect(count('transactions', 'create')).toBe(WRITERS);
    } finally {
      clearInterval(watch);
      // After a deadlock the requests never end: the failure above is the answer, not a hung close.
      const closed = (async () => {
        await app.close();
        await database.close();
      })();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
  }, 90_000);

  it('refuses work that takes a pooled client of its own inside a unit, and runs prepared statements in it', async () => {
    // One connection: a second asked for inside the unit would never come.
    const database = await openPostgres({ connectionString: h.testDb.url!, maxConnections: 1 });
    try {
      await runInUnitOfWork(database.db, async (work) => {
        await sql`select set_config('ringbill.test', 'in the unit', true)`.execute(database.db);
        const seen = await runPrepared(
          database.db,
          database.pool,
          'ringbill_test_setting',
          sql<{ value: string }>`select current_setting('ringbill.test', true) as value`,
        );
        expect(seen).toEqual([{ value: 'in the unit' }]);
        await expect(database.copyInto('calls', ['account_id'], '')).rejects.toThrow(
          'COPY takes a connection of its own, so it cannot run inside a unit of work',
        );
        await expect(database.copyTransaction(async () => undefined)).rejects.toThrow(
          'cannot run inside a unit of work',
        );
        await finishUnitOfWork(work, { commit: false });
      });
    } finally {
      await database.close();
    }
  });
});
