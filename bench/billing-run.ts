// Benchmark: a billing run over 10,000 customers and 1,000,000 billing transactions, on PGlite and on
// PostgreSQL, against the bare SQL aggregate (GROUP BY customer) over the same rows as the reference.
//
//   npx tsx bench/billing-run.ts [--customers N] [--transactions N] [--only pglite|postgres]
//                                [--scenario attached|unbilled]   (BENCH_PROFILE=1: slowest statements)
//
// PostgreSQL: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test
// (a fresh database is made for the run and dropped after). Not part of the test run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { createAccount } from '../src/api-keys/create-account.ts';
import { findAccount } from '../src/accounts/repo.ts';
import { recalculateInvoices } from '../src/invoices/recalculate.ts';
import { runBilling } from '../src/billing-runs/run-billing.ts';
import { createCtx, type Ctx } from '../src/context.ts';
import { REACTIONS } from '../src/reactions.ts';
import { openPglite, openPostgres, type Database } from '../src/db/connection.ts';
import { migrate } from '../src/db/migrate.ts';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '10000' },
    transactions: { type: 'string', default: '1000000' },
    only: { type: 'string' },
    scenario: { type: 'string' },
  },
});
const CUSTOMERS = Number(args.customers);
const TRANSACTIONS = Number(args.transactions);
const CUTOFF = '2026-11-01';
const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ||
  process.env.TEST_DATABASE_URL ||
  'postgres://postgres@127.0.0.1:5432/test';

const statementMillis = { total: 0 };

interface Result {
  database: string;
  scenario: string;
  runSeconds: number;
  aggregateSeconds: number;
  invoices: number;
}

async function seconds<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return [Number(process.hrtime.bigint() - start) / 1e9, value];
}

/**
 * Loads the data set with server-side SQL (identical on both engines): customers, one recurring feature
 * each, and charges spread evenly over customers and October. `attached` puts the charges on each
 * customer's unsent invoice, as POST /features/ID/transactions does; otherwise they are unbilled.
 */
async function load(ctx: Ctx, accountId: number, attached: boolean): Promise<void> {
  const db = ctx.db;
  await sql`
    insert into customers (account_id, name, email)
    select ${accountId}, 'Customer ' || g, 'billing' || g || '@example.com' from generate_series(1, ${CUSTOMERS}) g
  `.execute(db);
  await sql`
    insert into features (account_id, customer_id, name, phone_number, recurring_value, recurring_frequency, billing, start_date)
    select account_id, id, 'Line', '+44113' || lpad(id::text, 7, '0'), 12.50, 'monthly', 'advance', date '2026-10-01'
    from customers where account_id = ${accountId}
  `.execute(db);
  if (attached) {
    await sql`
      insert into invoices (account_id, customer_id) select account_id, id from customers where account_id = ${accountId} order by id
    `.execute(db);
  }
  // Ids come from identity columns and were given out in order by the single inserts above, so the k-th
  // customer (and its invoice) is first id + k: no join needed to spread the charges.
  const first = await sql<{ customer: number; invoice: number | null }>`
    select (select min(id) from customers where account_id = ${accountId}) as customer,
           (select min(id) from invoices where account_id = ${accountId}) as invoice
  `.execute(db);
  const { customer: firstCustomer, invoice: firstInvoice } = first.rows[0]!;
  // Transaction g belongs to the (g mod CUSTOMERS)-th customer; values 0.01 to 99.99 at 20% or 0% VAT.
  await sql`
    insert into billing_transactions
      (account_id, customer_id, invoice_id, transaction_type, description, transaction_date, bill_date, value, vat_rate)
    select ${accountId}, ${firstCustomer}::bigint + g % ${CUSTOMERS},
           ${attached ? sql`${firstInvoice}::bigint + g % ${CUSTOMERS}` : sql`null`}, 'oneOff', 'Charge ' || g,
           date '2026-10-01' + (g % 31), date '2026-10-01' + (g % 31),
           ((g::bigint * 7919) % 9999 + 1) / 100.0, case when g % 10 = 0 then 0 else 20 end
    from generate_series(0, ${TRANSACTIONS - 1}) g
  `.execute(db);
  if (attached) {
    // The API keeps an unsent invoice's totals current as charges are posted; do the same here.
    const invoiceIds = (
      await db.selectFrom('invoices').select('id').where('account_id', '=', accountId).execute()
    ).map((r) => r.id);
    const account = (await findAccount(db, accountId))!;
    for (let i = 0; i < invoiceIds.length; i += 1000) {
      await db
        .transaction()
        .execute((trx) => recalculateInvoices(trx, account, invoiceIds.slice(i, i + 1000), new Date()));
    }
  }
  // Settle the tables as a live system's would be (statistics, visibility map), so that no autovacuum
  // started by the load runs during the measurement.
  await sql`vacuum analyze`.execute(db);
}

async function bareAggregate(ctx: Ctx, accountId: number): Promise<number> {
  const [s] = await seconds(() =>
    sql`select customer_id, sum(value), count(*) from billing_transactions where account_id = ${accountId} group by customer_id`.execute(
      ctx.db,
    ),
  );
  return s;
}

async function scenario(database: Database, name: string, attached: boolean): Promise<Result> {
  const ctx = createCtx(database, () => new Date('2026-11-02T09:00:00Z'), { reactions: REACTIONS });
  const { account } = await createAccount(ctx, {
    name: `bench ${name}`,
    timezone: 'Europe/London',
    currency: 'GBP',
  });
  process.stdout.write(
    `  ${database.kind}/${name}: loading ${CUSTOMERS} customers, ${TRANSACTIONS} transactions... `,
  );
  const [loadSeconds] = await seconds(() => load(ctx, account.id, attached));
  process.stdout.write(`${loadSeconds.toFixed(1)} s\n`);
  // Warm the cache the same way for both sides, then take the better of two aggregate timings.
  await bareAggregate(ctx, account.id);
  const aggregateSeconds = Math.min(
    await bareAggregate(ctx, account.id),
    await bareAggregate(ctx, account.id),
  );
  statementMillis.total = 0;
  const [runSeconds, run] = await seconds(() => runBilling(ctx, account.id, { cutoffDate: CUTOFF }));
  if (process.env.BENCH_PROFILE)
    console.log(`    statements took ${(statementMillis.total / 1000).toFixed(2)} s of the run`);
  const check = await sql<{ n: number; lines: string; net: string }>`
    select count(*)::int as n, (select count(*) from billing_transactions where account_id = ${account.id} and invoice_id is null)::int as lines,
           sum(invoice_amount)::text as net
    from invoices where account_id = ${account.id}
  `.execute(ctx.db);
  const row = check.rows[0]!;
  if (row.n !== CUSTOMERS || Number(row.lines) !== 0)
    throw new Error(`unexpected result: ${JSON.stringify(row)} run=${JSON.stringify(run)}`);
  process.stdout.write(
    `    run ${runSeconds.toFixed(2)} s, aggregate ${aggregateSeconds.toFixed(3)} s, invoiced net ${row.net}\n`,
  );
  return { database: database.kind, scenario: name, runSeconds, aggregateSeconds, invoices: row.n };
}

/**
 * Two scenarios. "charges on unsent invoices" is the normal state: charges posted through the API go on
 * the customer's unsent invoice at once. "unbilled charges" is the worst case: every charge still has to
 * be moved onto an invoice by the run (for example after unsent invoices were deleted).
 */
async function scenarios(database: Database, afterEach: () => void = () => {}): Promise<Result[]> {
  const out: Result[] = [];
  if (args.scenario !== 'unbilled') {
    out.push(await scenario(database, 'charges on unsent invoices', true));
    afterEach();
  }
  if (args.scenario !== 'attached') {
    out.push(await scenario(database, 'unbilled charges', false));
    afterEach();
  }
  return out;
}

async function benchPglite(): Promise<Result[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ringbill-bench-'));
  const database = await openPglite({ dataDir: join(dir, 'pgdata') });
  try {
    await migrate(database);
    return await scenarios(database);
  } finally {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(): Promise<Result[]> {
  const name = `ringbill_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const queryMillis = new Map<string, { n: number; ms: number }>();
  const database = await openPostgres({
    connectionString: url.toString(),
    ...(process.env.BENCH_PROFILE
      ? {
          log: (event) => {
            statementMillis.total += event.queryDurationMillis;
            const key = event.query.sql.replace(/\s+/g, ' ').slice(0, 90);
            const entry = queryMillis.get(key) ?? { n: 0, ms: 0 };
            entry.n += 1;
            entry.ms += event.queryDurationMillis;
            queryMillis.set(key, entry);
          },
        }
      : {}),
  });
  try {
    await migrate(database);
    return await scenarios(database, () => {
      for (const [q, e] of [...queryMillis].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) {
        console.log(`    ${e.ms.toFixed(0).padStart(7)} ms ${String(e.n).padStart(6)}x  ${q}`);
      }
      queryMillis.clear();
    });
  } finally {
    await database.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

const results: Result[] = [];
console.log(
  `Billing run benchmark: ${CUSTOMERS} customers, ${TRANSACTIONS} billing transactions, cut-off ${CUTOFF}`,
);
if (args.only !== 'postgres') results.push(...(await benchPglite()));
if (args.only !== 'pglite') results.push(...(await benchPostgres()));

console.log('');
console.log('| database | scenario | billing run (s) | bare GROUP BY aggregate (s) | ratio | invoices |');
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.database} | ${r.scenario} | ${r.runSeconds.toFixed(2)} | ${r.aggregateSeconds.toFixed(3)} | ${(r.runSeconds / r.aggregateSeconds).toFixed(1)}x | ${r.invoices} |`,
  );
}
console.log('\nGoal: the billing run within 3x of the bare aggregate on PostgreSQL.');
