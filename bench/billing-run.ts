// Benchmark: a billing run over 10,000 customers and 1,000,000 billing transactions, on PGlite and on
// PostgreSQL, against two references measured on the same rows in the same run:
//
// - the bare SQL aggregate (GROUP BY customer): what reading the charges costs. On PostgreSQL it is a
//   parallel plan (the leader and two workers on this 2-core machine); the same aggregate in one process
//   (max_parallel_workers_per_gather = 0) is printed beside it, because a statement that writes (the
//   floor's INSERT ... SELECT, each of the run's statements) is never planned in parallel;
// - the floor: bare set-based SQL writing what the run cannot avoid writing, timed in a transaction that
//   is rolled back, on a database of its own loaded the same way as the run's. Charges on unsent invoices:
//   the customers' own rows (their locks, the recurring charges, each invoice's totals, each feature's
//   billed-until date). Unbilled charges: the same, with each customer's invoice made from one grouped read
//   of its charges (its totals and its range of charge ids: invoices hold their charges by range since
//   migration 0031, so nothing is written per charge). Before 0031 this floor was the one UPDATE writing
//   invoice_id on each charge, 9-14 s on PostgreSQL here.
//
//   npx tsx bench/billing-run.ts [--customers N] [--transactions N] [--only pglite|postgres]
//                                [--scenario attached|unbilled] [--cpu-prof DIR]
//   BENCH_PROFILE=1: the run's slowest statements (summed per statement text).
//   BENCH_KEEP=1: PostgreSQL's databases are kept (their names printed) for EXPLAIN after the run.
//
// Each figure has its CPU seconds beside it: this process's (on PGlite, the database too: it runs in this
// process) and, on a PostgreSQL on this machine, the server's for the bench's database (from /proc). On a
// machine loaded by other work, compare within one run.
//
// PostgreSQL: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test
// (fresh databases are made for the floor and the run of each scenario and dropped after). Not part of
// the test run.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type LogEvent, sql } from 'kysely';
import pg from 'pg';
import { createAccount } from '../src/api-keys/create-account.ts';
import { findAccount } from '../src/accounts/repo.ts';
import { recalculateInvoices } from '../src/invoices/recalculate.ts';
import { runBilling } from '../src/billing-runs/run-billing.ts';
import { createCtx, type Ctx, type Executor } from '../src/context.ts';
import { REACTIONS } from '../src/reactions.ts';
import { openPglite, openPostgres, type Database } from '../src/db/connection.ts';
import { migrate } from '../src/db/migrate.ts';
import { localServerCpu, type ServerCpu } from './kit.ts';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '10000' },
    transactions: { type: 'string', default: '1000000' },
    only: { type: 'string' },
    scenario: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const CUSTOMERS = Number(args.customers);
const TRANSACTIONS = Number(args.transactions);
const CUTOFF = '2026-11-01';
const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ||
  process.env.TEST_DATABASE_URL ||
  'postgres://postgres@127.0.0.1:5432/test';

/** Statement times summed per statement text, collected while `on` (the run, with BENCH_PROFILE=1). */
const statements = { on: false, byText: new Map<string, { n: number; ms: number }>() };
function logStatement(event: LogEvent): void {
  if (!statements.on) return;
  const key = event.query.sql.replace(/\s+/g, ' ').trim().slice(0, 110);
  const entry = statements.byText.get(key) ?? { n: 0, ms: 0 };
  entry.n += 1;
  entry.ms += event.queryDurationMillis;
  statements.byText.set(key, entry);
}
const log = process.env.BENCH_PROFILE ? { log: logStatement } : {};

/** CPU seconds used by the database server's processes for the bench's database (undefined: not known). */

interface Timing {
  seconds: number;
  /** This process's CPU seconds (on PGlite the database's work too). */
  cpuSeconds: number;
  /** The PostgreSQL server's CPU seconds for the bench's database, when it runs on this machine. */
  serverCpuSeconds: number | undefined;
}

interface Result {
  database: string;
  scenario: string;
  run: Timing;
  aggregate: Timing;
  /** The aggregate without parallel workers (PostgreSQL). */
  oneProcess: Timing | undefined;
  floor: Timing;
  invoices: number;
  load: string;
}

async function timed<T>(serverCpu: ServerCpu | undefined, fn: () => Promise<T>): Promise<[Timing, T]> {
  const serverBefore = await serverCpu?.();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const value = await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  let serverCpuSeconds: number | undefined;
  if (serverBefore !== undefined) {
    serverCpuSeconds = 0;
    for (const [pid, s] of await serverCpu!()) serverCpuSeconds += s - (serverBefore.get(pid) ?? 0);
  }
  return [{ seconds, cpuSeconds: (used.user + used.system) / 1e6, serverCpuSeconds }, value];
}

function describe(t: Timing): string {
  return `${t.seconds.toFixed(2)} s (CPU ${t.cpuSeconds.toFixed(2)} s${t.serverCpuSeconds === undefined ? '' : `, server ${t.serverCpuSeconds.toFixed(2)} s`})`;
}

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
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

async function bareAggregate(ctx: Ctx, accountId: number): Promise<void> {
  await sql`select customer_id, sum(value), count(*) from billing_transactions where account_id = ${accountId} group by customer_id`.execute(
    ctx.db,
  );
}

/** The bare aggregate in one process: no parallel workers (PostgreSQL; PGlite never has any). */
async function serialAggregate(ctx: Ctx, accountId: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
    await sql`select customer_id, sum(value), count(*) from billing_transactions where account_id = ${accountId} group by customer_id`.execute(
      trx,
    );
  });
}

class RolledBack extends Error {}

/** The floor's statements and their times in ms, in order (printed under the floor's figure). */
const floorParts: [string, number][] = [];

/** Runs one of the floor's statements, noting its time under `name`. */
async function part<T>(name: string, statement: () => Promise<T>): Promise<T> {
  const start = process.hrtime.bigint();
  const value = await statement();
  floorParts.push([name, Number(process.hrtime.bigint() - start) / 1e6]);
  return value;
}

const lockCustomers = (trx: Executor, accountId: number) =>
  part('lock the customers', () =>
    sql`select count(*) from (select id from customers where account_id = ${accountId} for update) as c`.execute(
      trx,
    ),
  );

/**
 * Times `statements` (the floor's bare SQL) in a transaction that is then rolled back, after `setup` in
 * the same transaction (not timed). Its database is dropped after: the run is measured on a second one,
 * loaded the same way, so both start from the same state (rewriting the tables after the rollback would
 * leave them packed tighter than a load does, and the run would pay for more index page splits).
 */
async function rolledBackFloor(
  ctx: Ctx,
  serverCpu: ServerCpu | undefined,
  setup: (trx: Executor) => Promise<void>,
  statements: (trx: Executor) => Promise<void>,
): Promise<Timing> {
  let timing: Timing | undefined;
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await setup(trx);
      [timing] = await timed(serverCpu, () => statements(trx));
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  return timing!;
}

/**
 * The unbilled scenario's floor, for invoices that hold their charges by range (migration 0031): the
 * customers' writes of the attached scenario's floor, and each customer's invoice made from one grouped read
 * of its unbilled charges (its net and its range of charge ids), with nothing written on the charges.
 */
function rangeFloor(ctx: Ctx, accountId: number, serverCpu: ServerCpu | undefined): Promise<Timing> {
  return rolledBackFloor(
    ctx,
    serverCpu,
    async () => {},
    async (trx) => {
      await lockCustomers(trx, accountId);
      const made = await part('make the invoices from a grouped read of the charges', () =>
        sql`
        insert into invoices (account_id, customer_id, cutoff_date, invoice_amount, charges_one_off, charges_after_id, charges_through_id)
        select ${accountId}, customer_id, ${CUTOFF}, sum(value), sum(value), 0, max(id) from billing_transactions
        where account_id = ${accountId} and invoice_id is null and bill_date < ${CUTOFF}
        group by customer_id
      `.execute(trx),
      );
      if (Number(made.numAffectedRows) !== CUSTOMERS)
        throw new Error(`the range floor made ${made.numAffectedRows} invoices`);
      await customerWrites(trx, accountId);
    },
  );
}

/**
 * The attached scenario's floor: the rows any run must write for these customers, each kind in one bare
 * statement over the account: the customers' row locks, then customerWrites.
 */
function customerWritesFloor(ctx: Ctx, accountId: number, serverCpu: ServerCpu | undefined): Promise<Timing> {
  return rolledBackFloor(
    ctx,
    serverCpu,
    async () => {},
    async (trx) => {
      await lockCustomers(trx, accountId);
      await customerWrites(trx, accountId);
    },
  );
}

/**
 * The two recurring charges per feature that the run generates (October and November, monthly in
 * advance), each invoice's totals and cut-off, and each feature's billed-until date.
 */
async function customerWrites(trx: Executor, accountId: number): Promise<void> {
  await part('insert the recurring charges', () =>
    sql`
    insert into billing_transactions (account_id, customer_id, feature_id, invoice_id, origin, transaction_type, description,
      source, feature_count, transaction_date, bill_date, start_date, end_date, value, vat_rate)
    select f.account_id, f.customer_id, f.id, i.id, 'recurring', 'recurring', f.name || ' monthly ' || p.s || ' to ' || p.e,
      'recurring', 1, p.s, p.s, p.s, p.e, f.recurring_value, 20
    from features as f
    join invoices as i on i.account_id = f.account_id and i.customer_id = f.customer_id and i.approved_at is null
    cross join (values (date '2026-10-01', date '2026-10-31'), (date '2026-11-01', date '2026-11-30')) as p(s, e)
    where f.account_id = ${accountId}
  `.execute(trx),
  );
  await part("update the invoices' totals", () =>
    sql`
    update invoices set cutoff_date = ${CUTOFF}, charges_recurring = charges_recurring + 25, invoice_amount = invoice_amount + 25,
      invoice_vat = invoice_vat + 5, total = total + 30, updated_at = now()
    where account_id = ${accountId} and approved_at is null
  `.execute(trx),
  );
  await part('update the features', () =>
    sql`update features set billed_until = date '2026-12-01' where account_id = ${accountId}`.execute(trx),
  );
}

/** A fresh, migrated database of one kind; `dispose` closes and removes it. */
interface BenchDatabase {
  database: Database;
  serverCpu: ServerCpu | undefined;
  dispose: () => Promise<void>;
}

async function freshPglite(): Promise<BenchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'ringbill-bench-'));
  const database = await openPglite({ dataDir: join(dir, 'pgdata'), ...log });
  await migrate(database);
  return {
    database,
    serverCpu: undefined,
    dispose: async () => {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function freshPostgres(): Promise<BenchDatabase> {
  const name = `ringbill_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const serverCpu = localServerCpu(admin, name, url.hostname);
  const database = await openPostgres({ connectionString: url.toString(), ...log });
  await migrate(database);
  return {
    database,
    serverCpu,
    dispose: async () => {
      await database.close();
      if (process.env.BENCH_KEEP) {
        process.stdout.write(`    (kept database ${name})\n`);
        await admin.end();
        return;
      }
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** A fresh database with the scenario's data set loaded: its context and account. */
async function loaded(
  fresh: BenchDatabase,
  name: string,
  attached: boolean,
  what: string,
): Promise<{ ctx: Ctx; accountId: number }> {
  const ctx = createCtx(fresh.database, () => new Date('2026-11-02T09:00:00Z'), { reactions: REACTIONS });
  const { account } = await createAccount(ctx, {
    name: `bench ${name}`,
    timezone: 'Europe/London',
    currency: 'GBP',
  });
  process.stdout.write(
    `  ${fresh.database.kind}/${name}: loading ${CUSTOMERS} customers, ${TRANSACTIONS} transactions (${what})... `,
  );
  const start = process.hrtime.bigint();
  await load(ctx, account.id, attached);
  process.stdout.write(`${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(1)} s\n`);
  return { ctx, accountId: account.id };
}

async function scenario(kind: 'pglite' | 'postgres', name: string, attached: boolean): Promise<Result> {
  const open = kind === 'pglite' ? freshPglite : freshPostgres;
  // The floor, on a database of its own, dropped after.
  let floor: Timing;
  {
    const fresh = await open();
    try {
      const { ctx, accountId } = await loaded(fresh, name, attached, 'for the floor');
      floor = attached
        ? await customerWritesFloor(ctx, accountId, fresh.serverCpu)
        : await rangeFloor(ctx, accountId, fresh.serverCpu);
      process.stdout.write(
        `    floor (${attached ? "the customers' rows: locks, recurring charges, invoice totals, billed-until" : "the customers' rows, invoices made from a grouped read of the charges"}; rolled back) ${describe(floor)}\n`,
      );
      process.stdout.write(
        `      its statements: ${floorParts.map(([what, ms]) => `${what} ${ms.toFixed(0)} ms`).join('; ')}\n`,
      );
      floorParts.length = 0;
    } finally {
      await fresh.dispose();
    }
  }
  const fresh = await open();
  try {
    const { ctx, accountId } = await loaded(fresh, name, attached, 'for the run');
    const serverCpu = fresh.serverCpu;
    // Warm the cache the same way for both sides, then take the better of two aggregate timings.
    await bareAggregate(ctx, accountId);
    const [a1] = await timed(serverCpu, () => bareAggregate(ctx, accountId));
    const [a2] = await timed(serverCpu, () => bareAggregate(ctx, accountId));
    const aggregate = a1.seconds <= a2.seconds ? a1 : a2;
    let oneProcess: Timing | undefined;
    if (kind === 'postgres') {
      const [s1] = await timed(serverCpu, () => serialAggregate(ctx, accountId));
      const [s2] = await timed(serverCpu, () => serialAggregate(ctx, accountId));
      oneProcess = s1.seconds <= s2.seconds ? s1 : s2;
    }
    const loadAtStart = loadAverage();
    const profiler = args['cpu-prof'] === undefined ? undefined : new Session();
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
      await profiler.post('Profiler.start');
    }
    statements.byText.clear();
    statements.on = true;
    const [run, billingRun] = await timed(serverCpu, () =>
      runBilling(ctx, accountId, { cutoffDate: CUTOFF }),
    );
    statements.on = false;
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      await mkdir(args['cpu-prof']!, { recursive: true });
      const path = join(
        args['cpu-prof']!,
        `billing-run-${kind}-${attached ? 'attached' : 'unbilled'}-${Date.now()}.cpuprofile`,
      );
      await writeFile(path, JSON.stringify(profile));
      process.stdout.write(`    (profile ${path})\n`);
    }
    const loadDuring = `${loadAtStart} -> ${loadAverage()}`;
    if (process.env.BENCH_PROFILE) {
      let total = 0;
      for (const e of statements.byText.values()) total += e.ms;
      console.log(`    statements took ${(total / 1000).toFixed(2)} s of the run (summed over connections)`);
      for (const [q, e] of [...statements.byText].sort((x, y) => y[1].ms - x[1].ms).slice(0, 15)) {
        console.log(`    ${e.ms.toFixed(0).padStart(7)} ms ${String(e.n).padStart(6)}x  ${q}`);
      }
    }
    // Every charge is on an invoice (invoice_id written, or in its invoice's range: migration 0031), and
    // the invoices' net adds up to the charges'.
    const check = await sql<{ n: number; lines: string; net: string; adds_up: boolean }>`
      select count(*)::int as n,
             (select count(*) from billing_transactions as t where t.account_id = ${accountId} and t.invoice_id is null
                and (t.left_out or not exists (select 1 from invoices as r where r.account_id = t.account_id
                  and r.customer_id = t.customer_id and r.charges_after_id < t.id and r.charges_through_id >= t.id)))::int as lines,
             sum(invoice_amount)::text as net,
             sum(invoice_amount) = (select sum(value) from billing_transactions where account_id = ${accountId}) as adds_up
      from invoices where account_id = ${accountId}
    `.execute(ctx.db);
    const row = check.rows[0]!;
    if (row.n !== CUSTOMERS || Number(row.lines) !== 0 || !row.adds_up)
      throw new Error(`unexpected result: ${JSON.stringify(row)} run=${JSON.stringify(billingRun)}`);
    process.stdout.write(
      `    run ${describe(run)}, aggregate ${describe(aggregate)}${oneProcess ? ` (in one process ${describe(oneProcess)})` : ''}, invoiced net ${row.net}; load average ${loadDuring}\n`,
    );
    return {
      database: kind,
      scenario: name,
      run,
      aggregate,
      oneProcess,
      floor,
      invoices: row.n,
      load: loadDuring,
    };
  } finally {
    await fresh.dispose();
  }
}

/**
 * Two scenarios, each on databases of its own. "charges on unsent invoices" is the normal state: charges
 * posted through the API go on the customer's unsent invoice at once. "unbilled charges" is the worst
 * case: every charge still has to be moved onto an invoice by the run (for example after unsent invoices
 * were deleted).
 */
async function scenarios(kind: 'pglite' | 'postgres'): Promise<Result[]> {
  const out: Result[] = [];
  if (args.scenario !== 'unbilled') out.push(await scenario(kind, 'charges on unsent invoices', true));
  if (args.scenario !== 'attached') out.push(await scenario(kind, 'unbilled charges', false));
  return out;
}

const results: Result[] = [];
console.log(
  `Billing run benchmark: ${CUSTOMERS} customers, ${TRANSACTIONS} billing transactions, cut-off ${CUTOFF}; ${availableParallelism()} CPUs, load average ${loadAverage()}`,
);
if (args.only !== 'postgres') results.push(...(await scenarios('pglite')));
if (args.only !== 'pglite') results.push(...(await scenarios('postgres')));

const cpu = (t: Timing) =>
  `${t.cpuSeconds.toFixed(2)}${t.serverCpuSeconds === undefined ? '' : ` + ${t.serverCpuSeconds.toFixed(2)}`}`;
console.log('');
console.log(
  '| database | scenario | billing run (s) | bare GROUP BY aggregate (s) | run / aggregate | aggregate in one process (s) | floor (s) | run / floor | CPU s, run (node + server) | CPU s, floor | load average (start -> end of run) |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of results) {
  console.log(
    `| ${r.database} | ${r.scenario} | ${r.run.seconds.toFixed(2)} | ${r.aggregate.seconds.toFixed(3)} | ${(r.run.seconds / r.aggregate.seconds).toFixed(1)}x | ${r.oneProcess ? r.oneProcess.seconds.toFixed(3) : '-'} | ${r.floor.seconds.toFixed(2)} | ${(r.run.seconds / r.floor.seconds).toFixed(2)}x | ${cpu(r.run)} | ${cpu(r.floor)} | ${r.load} |`,
  );
}
console.log(
  "\nGoal: the billing run within 3x of the bare aggregate on PostgreSQL, 5x on PGlite (issue 15). Floor: the bare writes of the customers' rows (locks, recurring charges, invoice totals, billed-until); for unbilled charges also each invoice made from one grouped read of its charges (its range: nothing is written per charge).",
);
