// The authorisation hot path's database work, counted: the key, the account, the calling line and its
// balance are read in one query, and the reservation, its ledger entry and the balance row's new totals are
// written in one statement (no BEGIN/COMMIT around it). The answers are those of the locking path: the
// same figures as authorize.test.ts, a key of too low a level is refused, a revoked key too, and an account
// with an alert takes the locking path (the alert is checked in the same transaction).
import type { FastifyInstance } from 'fastify';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/api-keys/create-key.ts';
import { revokeApiKey } from '../../src/api-keys/revoke-key.ts';
import type { Ctx } from '../../src/context.ts';
import { buildServer } from '../../src/http/server.ts';
import { Api, useHarness } from '../helpers/harness.ts';
import { expectLedgerConsistent, prepaidLine, rateCard, topUp } from '../helpers/prepaid.ts';

const h = useHarness();
const START = '2026-10-20T09:00:00Z';

/**
 * Counts the statements Kysely sends (transactions are counted at db.transaction()), except the rate card's
 * check (at most one a second per card, in the background while the cached table is trusted).
 */
class Counter implements KyselyPlugin {
  statements = 0;
  readonly #rateChecks = new Set<unknown>();
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const text = JSON.stringify(args.node);
    if (/from rates where|"rates"/.test(text)) this.#rateChecks.add(args.queryId);
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (!this.#rateChecks.delete(args.queryId)) this.statements += 1;
    return args.result;
  }
}

let counter: Counter;
let counted: { app: FastifyInstance; url: string; transactions: number };

beforeAll(async () => {
  counter = new Counter();
  const db = h.ctx.db.withPlugin(counter);
  const state = { transactions: 0 };
  // Every method runs on the real instance (Kysely keeps private fields); transaction() is counted.
  const countedDb = new Proxy(db, {
    get(target, property) {
      if (property === 'transaction') {
        return () => {
          state.transactions += 1;
          return target.transaction();
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  // On PostgreSQL the hot path's two statements are named prepared statements on the pool: counted there.
  const pool = h.ctx.database.pool;
  const countedPool = pool
    ? new Proxy(pool, {
        get(target, property) {
          if (property === 'query') {
            return (...args: unknown[]) => {
              counter.statements += 1;
              return (target.query as (...a: unknown[]) => unknown)(...args);
            };
          }
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      })
    : undefined;
  const ctx: Ctx = {
    ...h.ctx,
    db: countedDb,
    database: { ...h.ctx.database, ...(countedPool ? { pool: countedPool } : {}) },
  };
  const app = await buildServer(ctx);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  counted = {
    app,
    url,
    get transactions() {
      return state.transactions;
    },
  };
});
afterAll(async () => {
  await counted.app.close();
});

function measure() {
  const before = { statements: counter.statements, transactions: counted.transactions };
  return () => ({
    statements: counter.statements - before.statements,
    transactions: counted.transactions - before.transactions,
  });
}

describe('POST /calls/authorize: one read and one write', () => {
  it('reads once and writes once, with no transaction, and answers exactly as the locking path does', async () => {
    const account = await h.account();
    await rateCard(account.api);
    const { customer, number } = await prepaidLine(account, { vatRate: '20' });
    await topUp(account.api, customer.id, '1.00');
    const api = new Api(counted.url, account.key);
    h.setNow(new Date(START));
    try {
      // Warm the rate card cache (its fingerprint is read at most once a second).
      await api.post('/calls/authorize', { from: number, to: '+441134960001', maxDurationS: 1 });
      const done = measure();
      const res = await api.post('/calls/authorize', { from: number, to: '+447700900123', callId: 'rt-1' });
      const work = done();
      expect(res.status).toBe(200);
      // 1.00 - 0.06 (the first call: one 60 s increment of the landline rate, VAT 20%: 0.072) = 0.928 available;
      // a mobile call: (0.05 + 0.12 x d / 60) x 1.2 <= 0.928 -> d = 361 s costs (0.05 + 0.722) x 1.2 = 0.9264.
      expect(res.body).toMatchObject({
        authorized: true,
        maxDurationS: 361,
        reserved: '0.9264',
        available: '0.0016',
        replayed: false,
      });
      expect(work).toEqual({ statements: 2, transactions: 0 });
      await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
      // A retry of the same callId: the same answer, read again, nothing written.
      const again = await api.post('/calls/authorize', { from: number, to: '+447700900123', callId: 'rt-1' });
      expect(again.body).toMatchObject({
        authorized: true,
        reservationId: res.body.reservationId,
        replayed: true,
        maxDurationS: 361,
      });
      // Nothing left for a call: refused on the read alone.
      const refusedAt = measure();
      const refused = await api.post('/calls/authorize', { from: number, to: '+447700900123' });
      expect(refused.body).toMatchObject({ authorized: false, reason: 'insufficient_balance' });
      expect(refusedAt()).toEqual({ statements: 1, transactions: 0 });
    } finally {
      h.setNow(undefined);
    }
  });

  it('checks the key in that read: unknown, revoked and too low a level are refused', async () => {
    const account = await h.account();
    await rateCard(account.api);
    const { customer, number } = await prepaidLine(account);
    await topUp(account.api, customer.id, '5.00');
    const body = { from: number, to: '+441134960001', maxDurationS: 60 };
    const unknown = await new Api(counted.url, 'rb_live_not_a_key').post('/calls/authorize', body);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ error_code: expect.any(Number) });
    const low = await createApiKey(h.ctx, account.id, { level: 1 });
    const lowRes = await new Api(counted.url, low.key).post('/calls/authorize', body);
    expect(lowRes.status).toBe(403);
    const revoked = await createApiKey(h.ctx, account.id, { level: 3 });
    expect((await new Api(counted.url, revoked.key).post('/calls/authorize', body)).status).toBe(200);
    await revokeApiKey(h.ctx, account.id, Number(revoked.row.id));
    expect((await new Api(counted.url, revoked.key).post('/calls/authorize', body)).status).toBe(401);
    // Nothing was held by the refused requests.
    const balance = await account.api.get(`/customers/${customer.id}/balance`);
    expect(balance.body).toMatchObject({ balance: '5.00', reserved: '0.06' });
  });

  it('with an Idempotency-Key the key is checked first (the claim needs it), and the answer is replayed', async () => {
    const account = await h.account();
    await rateCard(account.api);
    const { customer, number } = await prepaidLine(account);
    await topUp(account.api, customer.id, '1.00');
    const api = new Api(counted.url, account.key);
    const body = { from: number, to: '+441134960001', maxDurationS: 60 };
    const first = await api.post('/calls/authorize', body, { 'idempotency-key': 'auth-1' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      authorized: true,
      maxDurationS: 60,
      reserved: '0.06',
      available: '0.94',
    });
    const again = await api.post('/calls/authorize', body, { 'idempotency-key': 'auth-1' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await account.api.get(`/customers/${customer.id}/balance`)).body).toMatchObject({
      reserved: '0.06',
    });
    const anonymous = await new Api(counted.url, undefined).post('/calls/authorize', body);
    expect(anonymous.status).toBe(401);
    await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
  });

  it('an account with an alert takes the locking path, and the alert fires in it', async () => {
    const account = await h.account();
    await rateCard(account.api);
    const { customer, number } = await prepaidLine(account);
    await topUp(account.api, customer.id, '1.00');
    const alert = await account.api.post(`/customers/${customer.id}/balance/alerts`, {
      type: 'low_balance',
      threshold: '0.50',
      channels: [],
    });
    expect(alert.status).toBe(201);
    const api = new Api(counted.url, account.key);
    const done = measure();
    const res = await api.post('/calls/authorize', { from: number, to: '+441134960001', maxDurationS: 600 });
    expect(res.body).toMatchObject({
      authorized: true,
      maxDurationS: 600,
      reserved: '0.60',
      available: '0.40',
    });
    expect(done().transactions).toBe(1);
    await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
  });
});
