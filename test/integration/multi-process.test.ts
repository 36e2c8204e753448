// Several `ringbill serve` processes on one PostgreSQL, as one runs them behind a load balancer: three real
// server processes (each with its own data folder, the same DATABASE_URL), the requests spread across them.
// What must hold: the outbox sends each email and each webhook once whichever process picks it up, an
// instalment is charged once when every process's scheduler finds it due at the same moment, the same CDR file
// imported through every process at once stores and bills each call once, billing runs started on every
// process at once make one invoice per customer, and the feed stays exactly-once with writers on different
// processes. PostgreSQL only: the embedded database is one process's by design (its OS lock refuses a second).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/api-keys/create-account.ts';
import { KEY_CACHE_TTL_MS } from '../../src/accounts/account-cache.ts';
import { createCtx } from '../../src/context.ts';
import { createTestGateway } from '../../src/payments/gateway.ts';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db.ts';
import { Api } from '../helpers/harness.ts';
import { freePort, killAllStarted, type Proc, sleep, startServer } from '../helpers/processes.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { startWebhookReceiver, type TestWebhookReceiver } from '../helpers/webhook-receiver.ts';

const postgres = testDbKind() === 'postgres';
const SERVERS = 3;
const SLOW = { timeout: 300_000 };
const FEED = '/api/2024-01-01/networks/transactions';
const CARD = { cardNumber: '4242 4242 4242 4242', expiry: '12/34', cvc: '123' };

interface Server {
  proc: Proc;
  url: string;
  api: Api;
}

describe.runIf(postgres)(`${SERVERS} ringbill serve processes on one PostgreSQL`, () => {
  let testDb: TestDatabase;
  let smtp: TestSmtpServer;
  let receiver: TestWebhookReceiver;
  let gatewayLog: string;
  let folders: string[] = [];
  let servers: Server[] = [];
  let accountId: number;
  let key: string;
  /** The server the n-th request goes to: round robin, as a load balancer would. */
  const nth = (n: number) => servers[n % servers.length]!;

  async function startAll(env: Record<string, string>): Promise<void> {
    servers = await Promise.all(
      folders.map(async (folder) => {
        const port = await freePort();
        const proc = await startServer({ ...env, RINGBILL_DATA_DIR: folder }, port);
        const url = `http://127.0.0.1:${port}`;
        return { proc, url, api: new Api(url, key) };
      }),
    );
  }

  let env: Record<string, string>;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    smtp = await startSmtpServer();
    receiver = await startWebhookReceiver();
    const scratch = await mkdtemp(join(tmpdir(), 'ringbill-multi-'));
    gatewayLog = join(scratch, 'gateway.jsonl');
    folders = await Promise.all(
      Array.from({ length: SERVERS }, (_, i) => mkdtemp(join(scratch, `server-${i}-`))),
    );
    const { account, apiKey } = await createAccount(createCtx(testDb.database), {
      name: 'Many Servers Telecom',
      timezone: 'Europe/London',
      currency: 'GBP',
    });
    accountId = account.id;
    key = apiKey.key;
    env = {
      DATABASE_URL: testDb.url!,
      SMTP_URL: smtp.url,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      RINGBILL_TEST_GATEWAY_LOG: gatewayLog,
      PROCESS_LEASE_SECONDS: '5',
    };
    await startAll(env);
  }, 600_000);

  afterAll(async () => {
    await killAllStarted();
    await receiver?.close();
    await smtp?.close();
    await testDb?.drop();
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it(
    'imports of one CDR file through every process at once store each call once, and concurrent billing runs make one invoice per customer',
    SLOW,
    async () => {
      const api = nth(0).api;
      const card = await api.post('/rateCards', { name: 'Flat', isDefault: true });
      expect(card.status, card.text).toBe(201);
      const rates = await api.request('PUT', `/rateCards/${card.body.id}/rates`, {
        effectiveFrom: '2026-01-01',
        rates: [
          {
            prefix: '44',
            destination: 'UK',
            ratePerMinute: '0.60',
            initialIncrementS: 60,
            subsequentIncrementS: 60,
          },
        ],
      });
      expect(rates.status, rates.text).toBe(200);
      const CUSTOMERS = 12;
      const CALLS_EACH = 15;
      const customers: string[] = [];
      for (let c = 0; c < CUSTOMERS; c++) {
        const customer = await nth(c).api.post('/customers', {
          name: `Multi ${c}`,
          email: `multi${c}@example.com`,
        });
        expect(customer.status, customer.text).toBe(201);
        customers.push(customer.body.id);
        const line = `+4411349${String(c).padStart(5, '0')}`;
        const feature = await nth(c + 1).api.post(`/customers/${customer.body.id}/features`, {
          name: 'Line',
          phoneNumber: line,
          startDate: '2026-10-01',
        });
        expect(feature.status, feature.text).toBe(201);
      }
      // One file, every call exactly a minute: 0.60 each.
      const lines = ['call_id,from,to,start_time,duration_s,status'];
      for (let c = 0; c < CUSTOMERS; c++) {
        for (let i = 0; i < CALLS_EACH; i++) {
          lines.push(
            `multi-${c}-${i},+4411349${String(c).padStart(5, '0')},+441632960${String(i).padStart(3, '0')},2026-10-${String(2 + i).padStart(2, '0')}T10:00:00Z,60,completed`,
          );
        }
      }
      const file = `${lines.join('\n')}\n`;

      // The same file through every process at once, twice over.
      const reports = await Promise.all(
        Array.from({ length: SERVERS * 2 }, (_, i) =>
          nth(i).api.request('POST', '/calls/files', file, { 'content-type': 'text/csv' }),
        ),
      );
      for (const r of reports) expect(r.status, r.text).toBe(200);
      const stored = await testDb.database.db
        .selectFrom('calls')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      expect(stored.n).toBe(CUSTOMERS * CALLS_EACH);
      const newCalls = reports.map((r) => Number(r.body.inserted ?? r.body.new ?? r.body.imported));
      expect(newCalls.reduce((a, b) => a + b, 0)).toBe(CUSTOMERS * CALLS_EACH);

      // A billing run on every process at once, for the same cut-off.
      const runs = await Promise.all(
        Array.from({ length: SERVERS }, (_, i) =>
          nth(i).api.post('/billingRuns', { cutoffDate: '2026-11-01' }),
        ),
      );
      for (const r of runs) expect([200, 201, 409], r.text).toContain(r.status);
      const finished = runs.filter((r) => r.status === 200 || r.status === 201);
      expect(finished.length).toBeGreaterThanOrEqual(1);
      expect(finished.reduce((n, r) => n + Number(r.body.invoicesCreated), 0)).toBe(CUSTOMERS);
      for (const id of customers) {
        const invoices = await nth(Number(id)).api.get(`/customers/${id}/invoices?includeUnsent`);
        expect(invoices.status, invoices.text).toBe(200);
        expect(invoices.body, `customer ${id}`).toHaveLength(1);
        const [invoice] = invoices.body;
        expect([invoice.invoiceCallCount, invoice.invoiceAmount]).toEqual([
          CALLS_EACH,
          (0.6 * CALLS_EACH).toFixed(2),
        ]);
      }
    },
  );

  it('sends each email and each webhook once, whichever process queued or picked it up', SLOW, async () => {
    const subscription = await nth(0).api.post('/webhooks', {
      url: receiver.url,
      eventTypes: ['invoice.approved'],
    });
    expect(subscription.status, subscription.text).toBe(201);
    receiver.secrets.push(subscription.body.secret);
    const INVOICES = 12;
    const invoiceIds: string[] = [];
    for (let i = 0; i < INVOICES; i++) {
      const customer = await nth(i).api.post('/customers', {
        name: `Mail ${i}`,
        email: `mail${i}@example.com`,
      });
      expect(customer.status, customer.text).toBe(201);
      const charge = await nth(i + 1).api.post(`/customers/${customer.body.id}/transactions`, {
        transactionType: 'oneOff',
        transactionValue: '10.00',
        transactionDate: '2026-10-20',
      });
      expect(charge.status, charge.text).toBe(201);
      const invoice = await nth(i + 2).api.post(`/customers/${customer.body.id}/invoices`, {
        cutoffDate: '2026-11-01',
      });
      expect(invoice.status, invoice.text).toBe(201);
      invoiceIds.push(invoice.body.id);
    }
    // Approve and email each through a different process, all at once.
    await Promise.all(
      invoiceIds.map(async (id, i) => {
        const approved = await nth(i).api.post(`/invoices/${id}?action=approve`);
        expect(approved.status, approved.text).toBe(200);
        const emailed = await nth(i + 1).api.post(`/invoices/${id}?action=email`);
        expect(emailed.status, emailed.text).toBeLessThan(300);
      }),
    );
    const deadline = Date.now() + 120_000;
    const mailTo = (i: number) => smtp.messages.filter((m) => m.to.includes(`mail${i}@example.com`)).length;
    const approvedEvents = () => receiver.received.filter((r) => r.body?.type === 'invoice.approved');
    while (
      Date.now() < deadline &&
      (invoiceIds.some((_, i) => mailTo(i) === 0) || approvedEvents().length < INVOICES)
    )
      await sleep(250);
    // Give a second sender, if there were one, time to send again.
    await sleep(3_000);
    expect(invoiceIds.map((_, i) => mailTo(i))).toEqual(invoiceIds.map(() => 1));
    const events = approvedEvents();
    expect(events.every((e) => e.verified)).toBe(true);
    const byEvent = new Map<string, number>();
    for (const e of events) byEvent.set(String(e.body.id), (byEvent.get(String(e.body.id)) ?? 0) + 1);
    expect(byEvent.size).toBe(INVOICES);
    expect([...byEvent.values()].every((n) => n === 1)).toBe(true);
    const jobs = await testDb.database.db
      .selectFrom('outbox')
      .select(['status', sql<number>`count(*)::int`.as('n')])
      .where('account_id', '=', accountId)
      .groupBy('status')
      .execute();
    expect(jobs.filter((j) => j.status !== 'delivered')).toEqual([]); // outbox statuses: pending, failed, delivered
  });

  it(
    'charges each due instalment once when every process finds it due at the same moment',
    SLOW,
    async () => {
      const PLANS = 6;
      const plans: { requestId: string; invoiceId: string }[] = [];
      for (let p = 0; p < PLANS; p++) {
        const api = nth(p).api;
        const customer = await api.post('/customers', { name: `Plan ${p}`, accountNumber: `PLAN${p}` });
        expect(customer.status, customer.text).toBe(201);
        await api.post(`/customers/${customer.body.id}/transactions`, {
          transactionType: 'oneOff',
          transactionValue: '90.00',
          transactionVATRate: '0',
          transactionDate: '2026-10-20',
        });
        const invoice = await api.post(`/customers/${customer.body.id}/invoices`, {
          cutoffDate: '2026-11-01',
        });
        expect((await api.post(`/invoices/${invoice.body.id}?action=approve`)).status).toBe(200);
        const collect = new Api(nth(p).url, key, '/collect/v1');
        const request = await collect.post('/requests', {
          invoiceId: Number(invoice.body.id),
          instalmentEnabled: true,
          planRate: '0',
          planMaxTerm: 1,
          planMaxTermPeriod: 'year',
        });
        expect(request.status, request.text).toBe(201);
        const path = new URL(request.body.url).pathname;
        const started = await fetch(`${nth(p + 1).url}${path}/plans`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ frequency: 'monthly', instalments: 3, saveCard: true, ...CARD }),
        });
        expect(started.status, await started.clone().text()).toBe(201);
        plans.push({ requestId: String(request.body.requestId), invoiceId: String(invoice.body.id) });
      }
      const chargesBefore = createTestGateway({ logFile: gatewayLog }).approvedCharges().length;

      // Each plan's second instalment falls due, and every process starts at once: each scheduler runs at start.
      await Promise.all(servers.map((s) => s.proc.stop()));
      await testDb.database.db
        .updateTable('instalments')
        .set({ due_date: sql`current_date - 1` })
        .where('account_id', '=', accountId)
        .where('seq', '=', 2)
        .execute();
      await startAll(env);

      const deadline = Date.now() + 120_000;
      const paidOf = async (invoiceId: string) =>
        (await nth(0).api.get(`/invoices/${invoiceId}`)).body.paidAmount;
      while (
        Date.now() < deadline &&
        (await Promise.all(plans.map((p) => paidOf(p.invoiceId)))).some((paid) => paid !== '60.00')
      )
        await sleep(500);
      await sleep(2_000);

      const gateway = createTestGateway({ logFile: gatewayLog });
      const newCharges = gateway.approvedCharges().slice(chargesBefore);
      // The second instalment of 30.00 of each plan, charged once.
      expect(newCharges).toHaveLength(PLANS);
      expect(newCharges.every((c) => c.amount === '30.00')).toBe(true);
      expect(new Set(newCharges.map((c) => c.idempotencyKey)).size).toBe(PLANS);
      for (const p of plans) {
        expect(await paidOf(p.invoiceId)).toBe('60.00');
        const plan = (await new Api(nth(0).url, key, '/collect/v1').get(`/requests/${p.requestId}/plan`))
          .body;
        expect(plan.instalments.map((i: any) => i.status)).toEqual(['paid', 'paid', 'due']);
      }
    },
  );

  it('keeps the feed exactly-once while writers on every process add calls', SLOW, async () => {
    const WRITERS = SERVERS * 2;
    const BATCHES = 10;
    const BATCH = 100;
    const feed = new Api(nth(0).url, key, FEED);
    const seen = new Map<string, number>();
    let after = '';
    let writing = true;
    const poll = async () => {
      const res = await feed.get(
        `/${accountId}.json?limit=4000&include_columns=transaction_id&start_after_transaction_id=${after}`,
      );
      expect(res.status, res.text).toBe(200);
      for (const r of res.body) seen.set(r.transaction_id, (seen.get(r.transaction_id) ?? 0) + 1);
      if (res.body.length > 0) after = res.body.at(-1).transaction_id;
      return res.body.length as number;
    };
    // Start after what earlier tests wrote.
    while ((await poll()) === 4000);
    seen.clear();
    const poller = (async () => {
      while (writing) {
        await poll();
        await sleep(20);
      }
    })();
    const writer = async (w: number) => {
      const api = nth(w).api;
      for (let b = 0; b < BATCHES; b++) {
        const calls = Array.from({ length: BATCH }, (_, i) => ({
          call_id: `feed-${w}-${b}-${i}`,
          from: `+1444${w}${String(b * BATCH + i).padStart(6, '0')}`,
          to: '+15550000000',
          start_time: '2026-10-05T12:00:00Z',
          duration_s: 30 + i,
          status: 'completed',
        }));
        const res = await api.post('/calls', calls);
        expect(res.status, res.text).toBe(200);
      }
    };
    try {
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    } finally {
      writing = false;
      await poller;
    }
    while ((await poll()) === 4000);
    const written = WRITERS * BATCHES * BATCH;
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    expect({ rows: seen.size, duplicates }).toEqual({ rows: written, duplicates: 0 });
  });

  it(
    'a key revoked on one process is refused at once by the others, though each keeps keys a few seconds',
    SLOW,
    async () => {
      const KEYS = 6;
      const admin = nth(0).api;
      const statusOn = async (server: Server, k: string) =>
        (await new Api(server.url, k).get(`/invoices/999999999`)).status;
      const NOTIFY_WINDOW_MS = 500;
      expect(NOTIFY_WINDOW_MS * 4).toBeLessThan(KEY_CACHE_TTL_MS);
      const refusedWithin = async (server: Server, k: string) => {
        const until = Date.now() + NOTIFY_WINDOW_MS;
        let status = await statusOn(server, k);
        while (status !== 401 && Date.now() < until) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          status = await statusOn(server, k);
        }
        return status;
      };
      for (let i = 0; i < KEYS; i++) {
        const created = await admin.post('/apiKeys', { level: 1, name: `revoked on ${i % SERVERS}` });
        expect(created.status, created.text).toBe(201);
        const k: string = created.body.key;
        // Every process has the key in memory (a known key's lookups are answered from there for seconds).
        for (const server of servers) expect(await statusOn(server, k)).toBe(404);
        const revoking = nth(i);
        const revoked = await revoking.api.delete(`/apiKeys/${created.body.id}`);
        expect(revoked.status, revoked.text).toBe(200);
        // The revoking process refuses the very next request; the others as soon as the notification
        // reaches them (it is sent at commit and arrives in milliseconds; a loaded machine may take longer to
        // run the listener, so they get NOTIFY_WINDOW_MS, far below the keys' time in memory).
        expect(await statusOn(revoking, k), `key ${i} on the revoking server`).toBe(401);
        const after = await Promise.all(servers.map((server) => refusedWithin(server, k)));
        expect(after, `key ${i}, revoked on server ${i % SERVERS}`).toEqual(servers.map(() => 401));
      }

      // The control: without the notification (the trigger dropped), the other processes still accept the
      // revoked key from memory; what refused it above was the notification, not a lookup.
      await sql`drop trigger api_keys_notify_auth on api_keys`.execute(testDb.database.db);
      try {
        const created = await admin.post('/apiKeys', { level: 1, name: 'control' });
        const k: string = created.body.key;
        for (const server of servers) expect(await statusOn(server, k)).toBe(404);
        expect((await admin.delete(`/apiKeys/${created.body.id}`)).status).toBe(200);
        // Given the same window, another process still accepts it.
        expect(await refusedWithin(nth(1), k)).toBe(404);
      } finally {
        await sql`create trigger api_keys_notify_auth after update or delete on api_keys for each row execute function ringbill_notify_auth('account_id')`.execute(
          testDb.database.db,
        );
      }
    },
  );
});
