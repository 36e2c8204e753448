// Issue 11 item 1, a crash between the charge and applying it: a real server is killed with kill -9 right
// after the gateway charged a card (the RINGBILL_TEST_HOLD point `card-charged`). The test gateway writes its
// log to a file (RINGBILL_TEST_GATEWAY_LOG), so the charge is on record after the process is gone. The next
// server settles the pending attempt from the gateway's record of its idempotency key: the invoice is paid
// once, and a retry by the payer charges nothing. On PGlite the next process knows at once that the dead one
// is gone; on PostgreSQL it does once the dead one's lease (PROCESS_LEASE_SECONDS) runs out.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createAccount } from '../../src/api-keys/create-account.ts';
import { createCtx } from '../../src/context.ts';
import { openPglite, type Database } from '../../src/db/connection.ts';
import { createTestGateway } from '../../src/payments/gateway.ts';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db.ts';
import { Api, type TestAccount } from '../helpers/harness.ts';
import { approvedInvoice, paymentRequest } from '../helpers/pay-page.ts';
import { freePort, killAllStarted, type Proc, sleep, startServer } from '../helpers/processes.ts';

const postgres = testDbKind() === 'postgres';
const SLOW = { timeout: 480_000 };
const CARD = { cardNumber: '4242 4242 4242 4242', expiry: '12/34', cvc: '123' };

const cleanups: (() => Promise<void>)[] = [];
const procs: Proc[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.kill9();
  await killAllStarted();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A database of the project's kind with one account, as the servers under test will see it. */
async function setup(): Promise<{ env: Record<string, string>; key: string; accountId: number }> {
  const folder = await mkdtemp(join(tmpdir(), 'ringbill-card-crash-'));
  cleanups.push(() => rm(folder, { recursive: true, force: true }));
  const base = { RINGBILL_TEST_GATEWAY_LOG: join(folder, 'gateway.jsonl'), PROCESS_LEASE_SECONDS: '2' };
  let withDb: <T>(fn: (database: Database) => Promise<T>) => Promise<T>;
  let env: Record<string, string>;
  if (postgres) {
    const testDb: TestDatabase = await createTestDatabase();
    cleanups.push(() => testDb.drop());
    env = { ...base, DATABASE_URL: testDb.url!, RINGBILL_DATA_DIR: folder };
    withDb = (fn) => fn(testDb.database);
  } else {
    const template = new Blob([await readFile(inject('pgliteTemplatePath'))]);
    const first = await openPglite({ dataDir: join(folder, 'pgdata'), loadDataDir: template });
    await first.close();
    env = { ...base, RINGBILL_DATA_DIR: folder, DATABASE_URL: '' };
    withDb = async (fn) => {
      const database = await openPglite({ dataDir: join(folder, 'pgdata') });
      try {
        return await fn(database);
      } finally {
        await database.close();
      }
    };
  }
  const { account, apiKey } = await withDb((database) =>
    createAccount(createCtx(database), { name: 'Crash Telecom', timezone: 'Europe/London', currency: 'GBP' }),
  );
  return { env, key: apiKey.key, accountId: account.id };
}

async function server(env: Record<string, string>, port: number): Promise<Proc> {
  const proc = await startServer(env, port);
  procs.push(proc);
  return proc;
}

describe("a server killed between the gateway's charge and applying the payment", () => {
  it(
    "leaves a pending attempt the next server settles from the gateway's record: paid once, never charged again",
    SLOW,
    async () => {
      const s = await setup();
      const gatewayLog = createTestGateway({ logFile: s.env.RINGBILL_TEST_GATEWAY_LOG });
      const portA = await freePort();
      const a = await server({ ...s.env, RINGBILL_TEST_HOLD: 'card-charged:120000' }, portA);
      const accountA: TestAccount = {
        id: s.accountId,
        key: s.key,
        api: new Api(`http://127.0.0.1:${portA}`, s.key),
        withLevel: async () => accountA.api,
      };
      const invoice = await approvedInvoice(accountA, '55.00');
      const { path } = await paymentRequest(accountA, { invoiceId: Number(invoice.id) });

      const paying = fetch(`http://127.0.0.1:${portA}${path}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(CARD),
      }).then(
        (res) => res.status,
        (error: unknown) => error,
      );
      await a.waitFor(/ringbill test hold: card-charged/);
      await a.kill9();
      expect(await paying).toBeInstanceOf(Error); // the connection died with the process
      expect(gatewayLog.approvedCharges().map((c) => c.amount)).toEqual(['55.00']);

      // The next server settles it at start (on PostgreSQL once the dead server's 2-second lease has run out:
      // the payer's retry below settles it then, if the start's run came too early).
      const portB = await freePort();
      await server(s.env, portB);
      const apiB = new Api(`http://127.0.0.1:${portB}`, s.key);
      if (postgres) await sleep(2500);
      const retry = await fetch(`http://127.0.0.1:${portB}${path}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(CARD),
      });
      expect(retry.status).toBe(409);
      expect((await retry.json()).error.message).toMatch(/paid in full|nothing is left to pay/);

      const after = (await apiB.get(`/invoices/${invoice.id}`)).body;
      expect([after.paidAmount, after.outstanding, after.paymentMethod]).toEqual(['55.00', '0.00', 'card']);
      const payments = (await apiB.get(`/invoices/${invoice.id}/payments`)).body;
      expect(payments.map((p: any) => [p.amount, p.gatewayReference])).toEqual([
        ['55.00', gatewayLog.approvedCharges()[0]!.result.reference],
      ]);
      expect(gatewayLog.approvedCharges()).toHaveLength(1);
      expect(gatewayLog.refunds()).toHaveLength(0);
    },
  );
});
