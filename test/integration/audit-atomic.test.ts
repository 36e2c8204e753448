// An audit entry commits with its change, or neither does, for the API and the console alike: a change
// request runs in one unit of work (src/db/unit-of-work.ts) and its entry is written in it. Failures are
// forced in the test database with triggers (on audit_log, or on the changed table), scoped to this file's
// accounts so nothing else is touched.
import { readdir } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INGEST_BATCH_SIZE } from '../../src/calls/ingest.ts';
import { createCtx, finishUnitOfWork, runInUnitOfWork } from '../../src/context.ts';
import { openPostgres } from '../../src/db/connection.ts';
import { runPrepared } from '../../src/db/prepared.ts';
import { buildServer } from '../../src/http/server.ts';
import { createTestGateway } from '../../src/payments/gateway.ts';
import { GATEWAY_REFUND_JOB } from '../../src/payments/refund-jobs.ts';
import { REACTIONS } from '../../src/reactions.ts';
import { dbCallCount } from '../helpers/call-billing.ts';
import { consoleSession } from '../helpers/console.ts';
import { testDbKind } from '../helpers/db.ts';
import { Api, makeCustomer, useHarness, type TestAccount } from '../helpers/harness.ts';
import { APPROVING_CARD, approvedInvoice, collectApi, paymentRequest } from '../helpers/pay-page.ts';

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

beforeAll(async () => {
  account = await h.account({ name: 'Atomic Telecom' });
  ({ cookie, csrf } = await consoleSession(h, account.id, 'o@atomic.example'));
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

  it('rolls a batch of payment requests back when its entry cannot be written (it reads them back side by side)', async () => {
    const requests = async () =>
      (
        await h.ctx.db
          .selectFrom('payment_requests')
          .select('id')
          .where('account_id', '=', account.id)
          .where('batch_id', 'is not', null)
          .execute()
      ).length;
    const body = { requests: [{ amount: '10.00' }, { amount: '20.00' }, { amount: '30.00' }] };
    // The hook names a batch's entry by its route: resource `batch`, id the batchId.
    await failOn('audit_log', 'insert', `new.account_id = ${account.id} and new.resource = 'batch'`);
    const refused = await collectApi(account).post('/requests/batch', body);
    expect(refused.status).toBe(500);
    expect(await requests()).toBe(0);
    await sql.raw('drop trigger rb_test_refuse on audit_log').execute(h.ctx.db);
    const kept = await collectApi(account).post('/requests/batch', body);
    expect(kept.status, kept.text).toBe(201);
    expect(kept.body.requests.map((r: { invoiceAmount: string }) => r.invoiceAmount)).toEqual([
      '10.00',
      '20.00',
      '30.00',
    ]);
    expect(await requests()).toBe(3);
    const entries = await auditRows('batch');
    expect(entries.map((r) => [r.action, r.resource_id, r.actor_type, r.surface])).toEqual([
      ['create', String(kept.body.batchId), 'api_key', 'api'],
    ]);
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

describe('entries written in the first transaction of work that commits before its answer', () => {
  // A refund, an email sent at once and a call file import commit their records before the request ends
  // (before the gateway or the SMTP server is called, batch by batch for an import), outside a unit of work:
  // each writes its entry in that first transaction, so a failed entry rolls the record back.
  const post = (path: string, body: Record<string, string>) =>
    send(path, {
      method: 'POST',
      headers: { cookie, ...FORM },
      body: new URLSearchParams({ csrf, ...body }).toString(),
    });
  const outboxJobs = async (kind: string) =>
    h.ctx.db
      .selectFrom('outbox')
      .select('id')
      .where('account_id', '=', account.id)
      .where('kind', '=', kind)
      .execute();
  const mails = async () => (await readdir(h.mailDir).catch(() => [])).length;

  afterEach(() => {
    h.ctx.services.gateway = undefined;
  });

  it('a refund: a 500, nothing refunded and the gateway not called when its entry cannot be written', async () => {
    const gateway = createTestGateway();
    h.ctx.services.gateway = gateway;
    const invoice = await approvedInvoice(account, '40.00');
    const { path } = await paymentRequest(account, { invoiceId: Number(invoice.id) });
    const paid = await fetch(`${h.url}${path}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(APPROVING_CARD),
    });
    expect(paid.status).toBe(201);
    const paymentId = Number(((await paid.json()) as { paymentId: string }).paymentId);

    await failOn('audit_log', 'insert', `new.account_id = ${account.id} and new.resource = 'refunds'`);
    const refused = await account.api.post(`/payments/${paymentId}/refunds`, { amount: '15.00' });
    expect(refused.status).toBe(500);
    expect(refused.body).toMatchObject({ error: 'Internal Error', error_code: 500001 });
    expect((await post(`/console/payments/${paymentId}/refund`, { amount: '5.00' })).status).toBe(500);
    expect(gateway.refunds()).toEqual([]);
    expect(await outboxJobs(GATEWAY_REFUND_JOB)).toEqual([]);
    const payments = async () =>
      ((await account.api.get(`/invoices/${invoice.id}/payments`)).body as any[]).map((p) => [
        p.refundedAmount,
        p.refunds.length,
      ]);
    expect(await payments()).toEqual([['0.00', 0]]);
    expect((await account.api.get(`/invoices/${invoice.id}`)).body.paidAmount).toBe('40.00');

    await sql.raw('drop trigger rb_test_refuse on audit_log').execute(h.ctx.db);
    const refunded = await account.api.post(`/payments/${paymentId}/refunds`, { amount: '15.00' });
    expect(refunded.status, refunded.text).toBe(201);
    expect((await post(`/console/payments/${paymentId}/refund`, { amount: '5.00' })).status).toBe(303);
    expect(gateway.refunds().map((r) => r.amount)).toEqual(['15.00', '5.00']);
    // 40.00 paid, 15.00 and 5.00 refunded: 20.00 left on the invoice.
    expect(await payments()).toEqual([['20.00', 2]]);
    const [fromApi, fromConsole] = (
      (await account.api.get(`/invoices/${invoice.id}/payments`)).body as any[]
    )[0].refunds as { id: string }[];
    expect((await auditRows('refunds')).map((r) => [r.action, r.surface, r.resource_id, r.changes])).toEqual([
      ['create', 'api', String(fromApi!.id), { paymentId, amount: '15.00' }],
      ['create', 'console', String(fromConsole!.id), { paymentId, amount: '5.00' }],
    ]);
  });

  it('an invoice email: a 500, nothing queued or sent when its entry cannot be written', async () => {
    const invoice = await approvedInvoice(account, '12.00');
    const mailsBefore = await mails();
    await failOn(
      'audit_log',
      'insert',
      `new.account_id = ${account.id} and new.resource = 'invoices' and new.action = 'email'`,
    );
    const refused = await account.api.post(`/invoices/${invoice.id}?action=email`);
    expect(refused.status).toBe(500);
    expect(refused.body).toMatchObject({ error: 'Internal Error', error_code: 500001 });
    expect((await post(`/console/invoices/${invoice.id}/email`, {})).status).toBe(500);
    expect(await outboxJobs('invoice_email')).toEqual([]);
    expect(await mails()).toBe(mailsBefore);

    await sql.raw('drop trigger rb_test_refuse on audit_log').execute(h.ctx.db);
    const sent = await account.api.post(`/invoices/${invoice.id}?action=email`);
    expect(sent.body).toEqual({
      success: true,
      message: `Invoice ${invoice.invoiceNumber} emailed to accounts@brightdental.example`,
    });
    expect((await post(`/console/invoices/${invoice.id}/email`, {})).status).toBe(303);
    expect(await mails()).toBe(mailsBefore + 2);
    expect(
      (await auditRows('invoices'))
        .filter((r) => r.action === 'email')
        .map((r) => [r.surface, r.resource_id, r.actor_type]),
    ).toEqual([
      ['api', String(invoice.id), 'api_key'],
      ['console', String(invoice.id), 'user'],
    ]);
  });

  it('a call file import: a 500 and no call stored when its entry cannot be written, past the first batch too', async () => {
    // More lines than one batch: the second batch must not commit before the first, which carries the entry.
    const lines = (prefix: string, n: number) =>
      [
        'call_id,from,to,start_time,duration_s,status',
        ...Array.from(
          { length: n },
          (_, i) =>
            `${prefix}-${i},441134960000,4477009${String(i).padStart(5, '0')},2026-10-01T10:00:00Z,60,completed`,
        ),
      ].join('\n');
    const file = lines('atomic', INGEST_BATCH_SIZE + 500);
    const upload = () => account.api.request('POST', '/calls/files', file, { 'content-type': 'text/csv' });
    await failOn(
      'audit_log',
      'insert',
      `new.account_id = ${account.id} and new.resource in ('files', 'calls')`,
    );
    const refused = await upload();
    expect(refused.status).toBe(500);
    expect(refused.body).toMatchObject({ error: 'Internal Error', error_code: 500001 });
    const small = lines('console', 3);
    const fromConsole = await post('/console/calls/upload', { format: 'ringbill', csv: small });
    expect(fromConsole.status).toBe(500);
    expect(await dbCallCount(h, account.id)).toBe(0);

    await sql.raw('drop trigger rb_test_refuse on audit_log').execute(h.ctx.db);
    const imported = await upload();
    expect(imported.status, imported.text).toBe(200);
    expect(imported.body).toMatchObject({
      received: INGEST_BATCH_SIZE + 500,
      inserted: INGEST_BATCH_SIZE + 500,
    });
    expect((await post('/console/calls/upload', { format: 'ringbill', csv: small })).status).toBe(200);
    // Sent again: nothing stored, the entry written on its own.
    expect((await upload()).body).toMatchObject({ inserted: 0, duplicates: INGEST_BATCH_SIZE + 500 });
    expect(await dbCallCount(h, account.id)).toBe(INGEST_BATCH_SIZE + 503);
    const entries = [...(await auditRows('files')), ...(await auditRows('calls'))].filter(
      (r) => r.action === 'create' || r.action === 'importCalls',
    );
    expect(entries.map((r) => [r.resource, r.action, r.surface, r.changes])).toEqual([
      ['files', 'create', 'api', { format: 'ringbill', source: 'upload' }],
      ['files', 'create', 'api', { format: 'ringbill', source: 'upload' }],
      [
        'calls',
        'importCalls',
        'console',
        { format: 'ringbill', source: 'console upload', sizeBytes: Buffer.byteLength(small) },
      ],
    ]);
  });
});

describe.skipIf(testDbKind() !== 'postgres')('units of work on a pool smaller than the writers', () => {
  const POOL_CONNECTIONS = 2;
  const WRITERS = 8;

  it('finishes more concurrent audited writers than the pool has connections: a unit never needs a second', async () => {
    // A server of its own on this file's database, with a pool of 2: 8 writers keep 8 units wanting a
    // connection at once. A unit that waited for a second connection while holding one would hang here.
    const entryCounts = async () => {
      const rows = await h.ctx.db
        .selectFrom('audit_log')
        .select(['resource', 'action'])
        .where('account_id', '=', account.id)
        .execute();
      const counts: Record<string, number> = {};
      for (const r of rows)
        counts[`${r.resource} ${r.action}`] = (counts[`${r.resource} ${r.action}`] ?? 0) + 1;
      return counts;
    };
    const before = await entryCounts();
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
      const after = await entryCounts();
      const made = Object.entries(after)
        .map(([k, n]) => [k, n - (before[k] ?? 0)] as const)
        .filter(([, n]) => n > 0);
      expect(Object.fromEntries(made)).toEqual({
        'customers create': 2 * WRITERS,
        'customers update': WRITERS,
        'transactions create': WRITERS,
        'invoices create': WRITERS,
        'invoices approve': WRITERS,
      });
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

describe('scripts and COPY in a unit of work, on either engine', () => {
  it('refuses them inside a unit, whose statements keep their turn on its one connection', async () => {
    const database = h.ctx.database;
    await runInUnitOfWork(database.db, async (work) => {
      await expect(database.exec('select 1')).rejects.toThrow('cannot run inside a unit of work');
      await expect(database.copyInto('calls', ['account_id'], '')).rejects.toThrow(
        'COPY takes a connection of its own, so it cannot run inside a unit of work',
      );
      await expect(database.copyTransaction(async () => undefined)).rejects.toThrow(
        'cannot run inside a unit of work',
      );
      await finishUnitOfWork(work, { commit: false });
    });
    // Outside a unit they run.
    await database.exec('select 1');
    await database.copyTransaction(async () => undefined);
  });
});
