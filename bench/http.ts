// Benchmark: the cost of one authenticated read, GET /backend/api/v1/invoices/ID, against a bare Fastify + pg
// handler doing the least the route must (the key by its account and hash, then the invoice row), in the same run on the
// same PostgreSQL database.
//
//   npx tsx bench/http.ts [--invoices 2000] [--seconds 10] [--connections 50] [--keep]
//
// 1. A fresh database (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test),
//    migrated; an account and a key; `invoices` customers, each with a one-off charge and its approved invoice,
//    made through Ringbill's own API.
// 2. Database round trips per request: a sample of sequential GETs with every statement the pg driver sends
//    counted (BEGIN and COMMIT included), for Ringbill and for the reference.
// 3. Load: `connections` keep-alive clients for `seconds`, each request a random invoice, the reference first.
// Printed: requests per second, median and p99 latency of both, the ratio (goal: 80% of the reference) and the
// round trips of each. The client, both servers and PostgreSQL share the machine: compare within one run.
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { createAccount } from '../src/api-keys/create-account.ts';
import { createCtx } from '../src/context.ts';
import { REACTIONS } from '../src/reactions.ts';
import { openPostgres } from '../src/db/connection.ts';
import { migrate } from '../src/db/migrate.ts';
import { maintainTables } from '../src/db/table-maintenance.ts';
import { buildServer } from '../src/http/server.ts';
import { accountOfRoutedToken } from '../src/tokens/routed-token.ts';
import { admin, dbUrl, formatRun, load } from './kit.ts';

const { values: args } = parseArgs({
  options: {
    invoices: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    keep: { type: 'boolean', default: false },
  },
});
const INVOICES = Number(args.invoices);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
/** BENCH_PORT: Ringbill listens on it and the reference on the next one (default: any free ports). */
const BENCH_PORT = Number(process.env.BENCH_PORT ?? 0);

/** Every statement any pg client in this process sends, counted while `counting` is on. */
let statements = 0;
let counting = false;
// The original method, taken off the prototype to be called with each client as `this` below.
const query = (pg.Client.prototype as { query: (...a: unknown[]) => unknown }).query;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...rest: unknown[]) {
  if (counting) statements++;
  return query.apply(this, rest);
} as typeof pg.Client.prototype.query;

/** The API's JSON answer, of the shape the caller names (this benchmark reads only ids). */
async function json<T = unknown>(url: string, key: string, method: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** Round trips per request: `sample` sequential GETs of random invoices, every statement counted. */
async function roundTrips(
  baseUrl: string,
  path: (id: string) => string,
  key: string,
  ids: string[],
  sample = 200,
): Promise<number> {
  statements = 0;
  counting = true;
  for (let i = 0; i < sample; i++) {
    const res = await fetch(`${baseUrl}${path(ids[Math.floor(Math.random() * ids.length)]!)}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (res.status !== 200) throw new Error(`GET: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  counting = false;
  return statements / sample;
}

async function main(): Promise<void> {
  const name = `ringbill_bench_http_${Date.now()}`;
  await admin(`create database ${name}`);
  const database = await openPostgres({ connectionString: dbUrl(name), maxConnections: 20 });
  try {
    await migrate(database);
    const ctx = createCtx(database, undefined, { reactions: REACTIONS });
    const { apiKey } = await createAccount(ctx, {
      name: 'Bench Telecom',
      timezone: 'Europe/London',
      currency: 'GBP',
    });
    const key = apiKey.key;
    const app = await buildServer(ctx);
    const ringbillBase = await app.listen({ port: BENCH_PORT, host: '127.0.0.1' });
    const api = `${ringbillBase}/backend/api/v1`;

    console.log(`setting up: ${INVOICES} customers, each with an approved invoice, through the API…`);
    const ids: string[] = [];
    let next = 0;
    const maker = async () => {
      while (next < INVOICES) {
        const n = next++;
        const customer = await json<{ id: string }>(`${api}/customers`, key, 'POST', {
          name: `Customer ${n}`,
          email: `c${n}@example.com`,
        });
        await json(`${api}/customers/${customer.id}/transactions`, key, 'POST', {
          transactionType: 'oneOff',
          transactionDescription: 'Handset',
          transactionValue: '49.99',
          transactionDate: '2026-10-20',
        });
        const invoice = await json<{ id: string }>(`${api}/customers/${customer.id}/invoices`, key, 'POST', {
          cutoffDate: '2026-11-01',
        });
        await json(`${api}/invoices/${invoice.id}?action=approve`, key, 'POST');
        ids.push(String(invoice.id));
      }
    };
    // Statistics kept as `ringbill serve`'s scheduler keeps them where autovacuum is off (it is on some
    // test machines): planned on empty tables, the set-up's statements slow down as the tables fill.
    const maintenance = setInterval(() => void maintainTables(database).catch(() => {}), 5000);
    try {
      await Promise.all(Array.from({ length: 8 }, maker));
    } finally {
      clearInterval(maintenance);
    }
    await sql`analyze`.execute(database.db);

    // The reference: the least the route must do, on its own pool of the same size.
    const pool = new pg.Pool({ connectionString: dbUrl(name), max: 20 });
    const ref = Fastify({ logger: false });
    ref.get<{ Params: { id: string } }>('/invoices/:id', async (request, reply) => {
      const token = /^Bearer\s+(\S+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      // The key names its account (tokens/routed-token.ts): the lookup is routed by it, as Ringbill's is.
      const k = await pool.query<{ account_id: string }>(
        'select account_id from api_keys where account_id = $1 and key_hash = $2 and revoked_at is null',
        [accountOfRoutedToken(token.slice(3)) ?? 0, createHash('sha256').update(token).digest()],
      );
      const apiKey = k.rows[0];
      if (apiKey === undefined) return reply.status(401).send({ error: 'key' });
      const id = Number(request.params.id);
      if (!Number.isSafeInteger(id)) return reply.status(400).send({ error: 'id' });
      const invoice = await pool.query('select * from invoices where account_id = $1 and id = $2', [
        apiKey.account_id,
        id,
      ]);
      if (invoice.rowCount === 0) return reply.status(404).send({ error: 'not found' });
      return invoice.rows[0];
    });
    const refBase = await ref.listen({ port: BENCH_PORT === 0 ? 0 : BENCH_PORT + 1, host: '127.0.0.1' });

    const ringbillPath = (id: string) => `/backend/api/v1/invoices/${id}`;
    const refPath = (id: string) => `/invoices/${id}`;
    const ringbillTrips = await roundTrips(ringbillBase, ringbillPath, key, ids);
    const refTrips = await roundTrips(refBase, refPath, key, ids);

    const run = (baseUrl: string, path: (id: string) => string) =>
      load({
        baseUrl,
        method: 'GET',
        headers: { authorization: `Bearer ${key}` },
        connections: CONNECTIONS,
        seconds: SECONDS,
        next: () => ({ path: path(ids[Math.floor(Math.random() * ids.length)]!) }),
      });
    // Warm both briefly, then measure, the reference first.
    await run(refBase, refPath);
    await run(ringbillBase, ringbillPath);
    const reference = await run(refBase, refPath);
    const ringbill = await run(ringbillBase, ringbillPath);

    console.log(
      `\nGET one invoice, ${CONNECTIONS} connections, ${SECONDS} s each, PostgreSQL, ${ids.length} invoices`,
    );
    console.log(
      `reference (bare Fastify + pg): ${formatRun(reference, 'ok')}  ${refTrips.toFixed(2)} statements per request`,
    );
    console.log(
      `Ringbill /invoices/ID:         ${formatRun(ringbill, 'ok')}  ${ringbillTrips.toFixed(2)} statements per request`,
    );
    console.log(
      `ratio: ${((ringbill.rps / reference.rps) * 100).toFixed(1)}% of the reference's throughput (goal 80%)`,
    );
    await app.close();
    await ref.close();
    await pool.end();
  } finally {
    await database.close();
    if (!args.keep) await admin(`drop database if exists ${name} with (force)`);
    else console.log(`kept database ${name}`);
  }
}

await main();
