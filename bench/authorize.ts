// Benchmark: call authorisations per second over HTTP on PostgreSQL, against a bare Fastify + pg handler
// doing the least such a request must, in the same run on the same database.
//
//   npx tsx bench/authorize.ts [--customers 10000] [--prefixes 20000] [--seconds 10] [--connections 32] [--light-connections 4]
//
// 1. A fresh database (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test),
//    migrated; an account and a key; a default rate card of 20,000 prefixes; 10,000 prepaid customers, each
//    with a line and a balance of 1,000.00 (set-based inserts).
// 2. Ringbill's POST /backend/api/v1/calls/authorize (the real server): one query reads the key, the account,
//    the line, its customer's terms and balance and whether an alert applies; the rate comes from the cached
//    rate table and the duration from the inverse of rating; one statement locks the balance row, re-checks
//    what is available and inserts the reservation and its ledger entry with the row's new totals.
// 3. The reference: bare Fastify + pg, one handler: the key by hash, the feature by number, BEGIN, the balance
//    row FOR UPDATE, INSERT a reservation, COMMIT.
// Load: `connections` keep-alive clients for `seconds` each, every request a random customer (the reference
// saturates well before 32 on a small machine); then both again at `light-connections` for latency under a
// light load. Printed: requests per second, median and p99 latency for both and the ratio; then the check
// that every authorisation is exact (each balance row's reserved equals its active reservations and its
// ledger). The client, both servers and PostgreSQL share the machine: compare within one run.
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
import { buildServer } from '../src/http/server.ts';
import { accountOfRoutedToken } from '../src/tokens/routed-token.ts';
import { admin, dbUrl, formatRun, load, type LoadRun } from './kit.ts';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '10000' },
    prefixes: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    'light-connections': { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
  },
});
const CUSTOMERS = Number(args.customers);
const PREFIXES = Number(args.prefixes);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const LIGHT_CONNECTIONS = Number(args['light-connections']);
const numberOf = (i: number) => `+4420${String(7_000_000 + i).padStart(8, '0')}`;

async function run(url: string, key: string, connections = CONNECTIONS): Promise<LoadRun> {
  const target = new URL(url);
  return load({
    baseUrl: target.origin,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    connections,
    seconds: SECONDS,
    next: () => {
      const i = Math.floor(Math.random() * CUSTOMERS);
      const to = `44${String(Math.floor(Math.random() * PREFIXES)).padStart(5, '0')}123456`;
      return { path: target.pathname, body: JSON.stringify({ from: numberOf(i), to, maxDurationS: 60 }) };
    },
    accept: (text) => text.includes('"authorized":true'),
  });
}

async function main(): Promise<void> {
  const name = `ringbill_bench_authorize_${Date.now()}`;
  await admin(`create database ${name}`);
  const database = await openPostgres({ connectionString: dbUrl(name), maxConnections: 20 });
  try {
    await migrate(database);
    const ctx = createCtx(database, undefined, { reactions: REACTIONS });
    const { account, apiKey } = await createAccount(ctx, {
      name: 'Bench Telecom',
      timezone: 'Europe/London',
      currency: 'GBP',
    });
    const accountId = account.id;

    console.log(`setting up: ${CUSTOMERS} prepaid customers, a ${PREFIXES}-prefix rate card…`);
    await sql`insert into rate_cards (account_id, name, is_default, created_at, updated_at) values (${accountId}, 'Bench', true, now(), now())`.execute(
      ctx.db,
    );
    await sql`
      insert into rates (account_id, rate_card_id, prefix, destination, rate_per_minute, connection_fee, initial_increment_s, subsequent_increment_s, effective_from)
      select ${accountId}, (select id from rate_cards where account_id = ${accountId}), '44' || lpad(g::text, 5, '0'), 'Destination ' || g,
        (0.01 + (g % 50) / 1000.0)::numeric(20,6), (case when g % 3 = 0 then 0.02 else 0 end)::numeric(20,6), 30, 6, '2026-01-01'
      from generate_series(0, ${PREFIXES - 1}) as g
    `.execute(ctx.db);
    await sql`
      insert into customers (account_id, id, name, billing_mode, created_at, updated_at)
      select ${accountId}, g, 'Customer ' || g, 'prepaid', now(), now() from generate_series(1, ${CUSTOMERS}) as g
    `.execute(ctx.db);
    await sql`select setval(pg_get_serial_sequence('customers', 'id'), ${CUSTOMERS})`.execute(ctx.db);
    await sql`
      insert into features (account_id, customer_id, name, phone_number, start_date, vat_rate, created_at, updated_at)
      select ${accountId}, g, 'Line', '+4420' || lpad((7000000 + g - 1)::text, 8, '0'), '2026-01-01', 20, now(), now() from generate_series(1, ${CUSTOMERS}) as g
    `.execute(ctx.db);
    await sql`
      insert into balances (account_id, customer_id, currency, balance, entries, created_at, updated_at)
      select ${accountId}, g, 'GBP', 1000, 0, now(), now() from generate_series(1, ${CUSTOMERS}) as g
    `.execute(ctx.db);
    await sql`analyze`.execute(ctx.db);

    // Ringbill.
    const app = await buildServer(ctx);
    const ringbillUrl = `${await app.listen({ port: 0, host: '127.0.0.1' })}/backend/api/v1/calls/authorize`;

    // The reference: the least an authorisation must do, on its own pool.
    const pool = new pg.Pool({ connectionString: dbUrl(name), max: 20 });
    const ref = Fastify({ logger: false });
    ref.post('/authorize', async (request, reply) => {
      const key = /^Bearer\s+(\S+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      // The key names its account (tokens/routed-token.ts): the lookup is routed by it, as Ringbill's is.
      const k = await pool.query<{ account_id: string }>(
        'select account_id from api_keys where account_id = $1 and key_hash = $2 and revoked_at is null',
        [accountOfRoutedToken(key.slice(3)) ?? 0, createHash('sha256').update(key).digest()],
      );
      const apiKey = k.rows[0];
      if (apiKey === undefined) return reply.status(401).send({ error: 'key' });
      const body = request.body as { from: string; to: string };
      const f = await pool.query<{ id: string; customer_id: string }>(
        'select id, customer_id from features where account_id = $1 and phone_number = $2',
        [apiKey.account_id, body.from],
      );
      const line = f.rows[0];
      if (line === undefined) return { authorized: false };
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query(
          'select balance from balances where account_id = $1 and customer_id = $2 for update',
          [apiKey.account_id, line.customer_id],
        );
        const r = await client.query<{ id: string }>(
          `insert into reservations (account_id, customer_id, feature_id, from_number, to_number, start_time, amount, max_duration_s, status, expires_at, created_at, updated_at)
           values ($1, $2, $3, $4, $5, now(), 0.1, 60, 'active', now() + interval '4 hours', now(), now()) returning id`,
          [apiKey.account_id, line.customer_id, line.id, body.from, body.to],
        );
        await client.query('commit');
        return { authorized: true, reservationId: String(r.rows[0]!.id) };
      } catch (error) {
        await client.query('rollback');
        throw error;
      } finally {
        client.release();
      }
    });
    const refAddress = await ref.listen({ port: 0, host: '127.0.0.1' });
    const refUrl = `${refAddress}/authorize`;

    // Warm both (connections, the cached rate table), then measure, reference first.
    await run(refUrl, apiKey.key).catch(() => undefined);
    await run(ringbillUrl, apiKey.key).catch(() => undefined);
    await sql`delete from reservations where rate_id is null`.execute(ctx.db);
    const reference = await run(refUrl, apiKey.key);
    const ringbill = await run(ringbillUrl, apiKey.key);
    const referenceLight = await run(refUrl, apiKey.key, LIGHT_CONNECTIONS);
    const ringbillLight = await run(ringbillUrl, apiKey.key, LIGHT_CONNECTIONS);

    // Exactness: every balance row's reserved equals its active reservations, and its ledger.
    const check = await sql<{ bad_reserved: number; bad_ledger: number; entries: number }>`
      select
        (select count(*)::int from balances b where b.account_id = ${accountId} and b.reserved <>
           coalesce((select sum(amount) from reservations r where r.account_id = b.account_id and r.customer_id = b.customer_id and r.status = 'active' and r.rate_id is not null), 0)) as bad_reserved,
        (select count(*)::int from balances b where b.account_id = ${accountId} and b.reserved <>
           coalesce((select -sum(amount) from balance_entries e where e.account_id = b.account_id and e.customer_id = b.customer_id and e.kind in ('reservation', 'release')), 0)) as bad_ledger,
        (select count(*)::int from balance_entries where account_id = ${accountId}) as entries
    `.execute(ctx.db);
    const fmt = (r: LoadRun) => formatRun(r, 'authorised');
    console.log(
      `\n${CONNECTIONS} connections, ${SECONDS} s each, PostgreSQL, ${CUSTOMERS} customers, ${PREFIXES} prefixes`,
    );
    console.log(`reference (bare Fastify + pg): ${fmt(reference)}`);
    console.log(`Ringbill /calls/authorize:     ${fmt(ringbill)}`);
    console.log(
      `ratio: ${((ringbill.rps / reference.rps) * 100).toFixed(1)}% of the reference's throughput (goal 60%); p99 ${ringbill.p99.toFixed(2)} ms (goal under 20 ms)`,
    );
    console.log(`\n${LIGHT_CONNECTIONS} connections (light load):`);
    console.log(`reference (bare Fastify + pg): ${fmt(referenceLight)}`);
    console.log(`Ringbill /calls/authorize:     ${fmt(ringbillLight)}`);
    console.log(
      `ratio: ${((ringbillLight.rps / referenceLight.rps) * 100).toFixed(1)}%; p99 ${ringbillLight.p99.toFixed(2)} ms against the reference's ${referenceLight.p99.toFixed(2)} ms`,
    );
    const c = check.rows[0]!;
    console.log(
      `exact: ${c.bad_reserved === 0 && c.bad_ledger === 0 ? 'yes' : 'NO'} (balances whose reserved differs from their reservations: ${c.bad_reserved}, from their ledger: ${c.bad_ledger}; ${c.entries} ledger entries)`,
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
