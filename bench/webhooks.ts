// Benchmark: what webhooks cost, on PGlite and on PostgreSQL.
//
//   npx tsx bench/webhooks.ts [--batches N] [--events N] [--deliveries N] [--only pglite|postgres]
//
// 1. The ingest hook when nobody subscribes: emitCallEvents() for a batch of 5,000 calls (the ingester's
//    batch) on an account without subscriptions, against a bare `select 1` round trip in the same run.
//    At 100,000 calls/s that is 20 batches a second: the figure printed is the share of one second.
// 2. Writing events when someone subscribes: one set-based statement per batch of 5,000 feed-row-sized
//    payloads (event + outbox job + delivery rows), events per second.
// 3. Delivering them: the outbox worker POSTing signed events to a receiver on 127.0.0.1, deliveries per
//    second (one at a time, as the worker sends).
// Parts 2 and 3 print a reference beside their figure, in the same run on the same database: the bare
// inserts of the same payloads (an event row, a job row and a delivery row each, one transaction per
// batch), and a bare loop that signs each payload (HMAC-SHA256), POSTs it to the same receiver and
// records the attempt in one row.
//
// PostgreSQL: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test
// (a fresh database is made for the run and dropped after). Not part of the test run.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { createAccount } from '../src/api-keys/create-account.ts';
import { createCtx, type Ctx } from '../src/context.ts';
import { REACTIONS } from '../src/reactions.ts';
import { openPglite, openPostgres, type Database } from '../src/db/connection.ts';
import { migrate } from '../src/db/migrate.ts';
import { JOB_HANDLERS } from '../src/jobs.ts';
import { OutboxWorker } from '../src/outbox/worker.ts';
import { emitCallEvents } from '../src/feed/call-events.ts';
import { createWebhookSubscription } from '../src/webhooks/create-subscription.ts';
import { emitEvents } from '../src/webhooks/emit.ts';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '2000' },
    events: { type: 'string', default: '50000' },
    deliveries: { type: 'string', default: '2000' },
    only: { type: 'string' },
  },
});
const BATCHES = Number(args.batches);
const EVENTS = Number(args.events);
const DELIVERIES = Number(args.deliveries);
const BATCH = 5000;
const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ||
  process.env.TEST_DATABASE_URL ||
  'postgres://postgres@127.0.0.1:5432/test';

/** A payload the size of a call.completed one (a feed row with custom data). */
function feedRow(i: number): Record<string, unknown> {
  return {
    transaction_id: String(i).padStart(16, '0'),
    transaction_type: 'call',
    corrects_transaction_id: null,
    corrected_at: null,
    complete_call_id: '8c9f1a52-3b7e-4d0a-9f41-0c2d6e5b7a13',
    start_time_local: '2026-10-01 10:00:00 +0100',
    start_time_xml: '2026-10-01T10:00:00+01:00',
    start_time_utc: 1790845200000 + i,
    start_time_network_timezone: '2026-10-01 10:00:00 +0100',
    start_time_network_timezone_xml: '2026-10-01T10:00:00+01:00',
    duration: 180,
    connect_duration: 180,
    calling_phone_number: '+441134960000',
    destination_phone_number: '+442079460001',
    call_result_description_detail: 'Connected',
    advertiser_payin_localized: '0.03',
    affiliate_payout_localized: null,
    margin_localized: '0.03',
    recording: null,
    notes: null,
    signal_partner_unique_id: null,
    signal_occurred_at: null,
    revenue: null,
    custom_data: [],
  };
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** The least writing `events` events must do: the payloads and two small rows each, a transaction per batch. */
async function referenceWrites(
  ctx: Ctx,
  payloads: Record<string, unknown>[],
  events: number,
): Promise<number> {
  await sql`create table bench_ref_events (id bigint generated always as identity primary key, account_id bigint not null, payload jsonb not null, created_at timestamptz not null default now())`.execute(
    ctx.db,
  );
  await sql`create table bench_ref_jobs (id bigint generated always as identity primary key, event_id bigint not null, status text not null default 'pending', run_at timestamptz not null default now())`.execute(
    ctx.db,
  );
  await sql`create table bench_ref_deliveries (id bigint generated always as identity primary key, event_id bigint not null, job_id bigint not null)`.execute(
    ctx.db,
  );
  const batch = JSON.stringify(payloads);
  return timeIt(async () => {
    for (let written = 0; written < events; written += payloads.length) {
      await ctx.db.transaction().execute(async (trx) => {
        await sql`
          with e as (
            insert into bench_ref_events (account_id, payload)
            select 2, value from jsonb_array_elements(${batch}::jsonb) returning id
          ), j as (
            insert into bench_ref_jobs (event_id) select id from e returning id, event_id
          )
          insert into bench_ref_deliveries (event_id, job_id) select event_id, id from j
        `.execute(trx);
      });
    }
  });
}

/** The least a delivery must do: sign the payload, POST it, record the attempt; one at a time. */
async function referenceDeliveries(
  ctx: Ctx,
  url: string,
  payloads: Record<string, unknown>[],
  deliveries: number,
): Promise<number> {
  await sql`create table bench_ref_attempts (id bigint generated always as identity primary key, status int not null, at timestamptz not null default now())`.execute(
    ctx.db,
  );
  const secret = 'whsec_bench_reference';
  return timeIt(async () => {
    for (let i = 0; i < deliveries; i++) {
      const body = JSON.stringify({ type: 'call.completed', data: payloads[i % payloads.length] });
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': `t=${timestamp},v1=${signature}` },
        body,
      });
      await res.arrayBuffer();
      await sql`insert into bench_ref_attempts (status) values (${res.status})`.execute(ctx.db);
    }
  });
}

async function benchDatabase(database: Database): Promise<void> {
  await migrate(database);
  // The receiver is on 127.0.0.1: allowed as WEBHOOK_ALLOW_PRIVATE_NETWORKS=true allows it.
  const ctx: Ctx = createCtx(database, undefined, {
    outbound: { allowPrivateNetworks: true },
    reactions: REACTIONS,
  });
  const quiet = (await createAccount(ctx, { name: 'Quiet', timezone: 'Europe/London', currency: 'GBP' }))
    .account.id;
  const busy = (await createAccount(ctx, { name: 'Busy', timezone: 'Europe/London', currency: 'GBP' }))
    .account.id;

  // 1. The hook with no subscribers, against a bare round trip.
  const written = { firstTransactionId: 1, lastTransactionId: BATCH, count: BATCH };
  for (let i = 0; i < 50; i++) await emitCallEvents(ctx.db, quiet, written, new Date());
  const hookMs = await timeIt(async () => {
    for (let i = 0; i < BATCHES; i++) await emitCallEvents(ctx.db, quiet, written, new Date());
  });
  const selectMs = await timeIt(async () => {
    for (let i = 0; i < BATCHES; i++) await sql`select 1`.execute(ctx.db);
  });
  const perBatchUs = (hookMs / BATCHES) * 1000;
  console.log(
    `  no subscriber: ${perBatchUs.toFixed(0)} µs per batch of ${BATCH} calls (bare select 1: ${((selectMs / BATCHES) * 1000).toFixed(0)} µs, ratio ${(hookMs / selectMs).toFixed(2)}); ` +
      `at 100,000 calls/s: ${((perBatchUs * (100_000 / BATCH)) / 1e4).toFixed(3)}% of a second`,
  );

  // 2. Writing events for a subscriber.
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  try {
    await createWebhookSubscription(ctx, busy, { url, eventTypes: ['call.completed'] });
    const payloads = Array.from({ length: BATCH }, (_, i) => feedRow(i + 1));
    let emitted = 0;
    const emitMs = await timeIt(async () => {
      while (emitted < EVENTS) {
        await ctx.db
          .transaction()
          .execute((trx) => emitEvents(trx, busy, 'call.completed', payloads, ctx.now()));
        emitted += BATCH;
      }
    });
    console.log(
      `  subscribed: ${emitted.toLocaleString('en')} events (+ outbox jobs + deliveries) written at ${Math.round(emitted / (emitMs / 1000)).toLocaleString('en')} events/s, ${(emitMs / (emitted / BATCH)).toFixed(0)} ms per batch of ${BATCH}`,
    );
    const refEmitMs = await referenceWrites(ctx, payloads, emitted);
    console.log(
      `  reference (bare inserts of the same payloads: an event, a job and a delivery row each): ${Math.round(emitted / (refEmitMs / 1000)).toLocaleString('en')} events/s; Ringbill takes ${(emitMs / refEmitMs).toFixed(2)}x its time`,
    );

    // 3. Delivering: only the first DELIVERIES jobs are left pending.
    await sql`
      update outbox set status = 'failed' where account_id = ${busy} and status = 'pending'
        and id > (select id from outbox where account_id = ${busy} and status = 'pending' order by id offset ${DELIVERIES - 1} limit 1)
    `.execute(ctx.db);
    const worker = new OutboxWorker(ctx, JOB_HANDLERS);
    let delivered = 0;
    const deliverMs = await timeIt(async () => {
      delivered = await worker.runOnce();
    });
    console.log(
      `  delivery: ${delivered.toLocaleString('en')} signed POSTs to 127.0.0.1 at ${Math.round(delivered / (deliverMs / 1000)).toLocaleString('en')} deliveries/s (${(deliverMs / delivered).toFixed(2)} ms each, logged)`,
    );
    const refDeliverMs = await referenceDeliveries(ctx, url, payloads, delivered);
    console.log(
      `  reference (bare loop: sign, POST, record the attempt): ${Math.round(delivered / (refDeliverMs / 1000)).toLocaleString('en')} deliveries/s (${(refDeliverMs / delivered).toFixed(2)} ms each); Ringbill takes ${(deliverMs / refDeliverMs).toFixed(2)}x its time`,
    );
  } finally {
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
}

console.log(
  `Webhooks benchmark (no-subscriber hook x${BATCHES}, ${EVENTS.toLocaleString('en')} events, ${DELIVERIES.toLocaleString('en')} deliveries)`,
);
if (args.only !== 'postgres') {
  console.log('PGlite');
  const database = await openPglite();
  try {
    await benchDatabase(database);
  } finally {
    await database.close();
  }
}
if (args.only !== 'pglite') {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`PostgreSQL: not reachable at ${ADMIN_URL} (${(error as Error).message}); skipped`);
    process.exit(0);
  }
  const name = `ringbill_bench_webhooks_${Date.now()}`;
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const database = await openPostgres({ connectionString: url.toString() });
  console.log('PostgreSQL');
  try {
    await benchDatabase(database);
  } finally {
    await database.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
