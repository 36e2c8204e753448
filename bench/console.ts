// Benchmark: the console's pages on PostgreSQL, each page's server time (median and p95 over N requests),
// on an account of 10,000 customers, 1,000,000 calls and 100,000 invoices next to the same page on an
// empty account. Goal (issue 13): median under 200 ms and p95 under 500 ms for every page; the overview's
// charts must not scan all calls.
//
//   npm run bench:console -- [--customers N] [--calls N] [--invoices N] [--requests N]
//
// The data is made with server-side SQL (INSERT … SELECT generate_series), like bench/billing-run.ts:
// customers with one line each; calls spread over the last 365 days (about 1 in 1,000 unrated, 1 in 997
// unallocated), rated against five destinations; invoices spread evenly over customers and the last ten
// months, approved and numbered, each with two lines. A console user signs in (the real sign-in), and each
// page is asked for through the server in this process (Fastify's inject: the server's whole work for the
// page, no network). The machine's load average is printed beside the figures: other work on it slows
// every page alike.
//
// PostgreSQL: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test (a
// fresh database is made for the run and dropped after). Not part of the test run.
import { loadavg, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createAccount } from '../src/api-keys/create-account.ts';
import { createCtx, type Ctx } from '../src/context.ts';
import { REACTIONS } from '../src/reactions.ts';
import { openPostgres } from '../src/db/connection.ts';
import { migrate } from '../src/db/migrate.ts';
import { createConsoleUser, setPasswordWithLink } from '../src/console-users/manage-users.ts';
import { signIn } from '../src/console-users/sign-in.ts';
import { buildServer } from '../src/http/server.ts';
import { admin, dbUrl } from './kit.ts';
import { loadConsoleData } from './console-data.ts';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '10000' },
    calls: { type: 'string', default: '1000000' },
    invoices: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '40' },
  },
});
const CUSTOMERS = Number(args.customers);
const CALLS = Number(args.calls);
const INVOICES = Number(args.invoices);
const REQUESTS = Number(args.requests);
const GOAL = { median: 200, p95: 500 };
const PASSWORD = 'bench password 1234';

async function seconds<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return [Number(process.hrtime.bigint() - start) / 1e9, value];
}

async function consoleCookie(ctx: Ctx, accountId: number, email: string): Promise<string> {
  const { setUpPath } = await createConsoleUser(ctx, accountId, { email, role: 'owner' });
  await setPasswordWithLink(ctx, setUpPath.split('/').at(-1)!, PASSWORD);
  const started = await signIn(ctx, { email, password: PASSWORD, ip: '127.0.0.1' });
  if (started.kind !== 'signed_in') throw new Error('expected one account');
  return `rb_console=${started.token}`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Timing {
  median: number;
  p95: number;
}

async function time(
  app: Awaited<ReturnType<typeof buildServer>>,
  url: string,
  cookie: string,
): Promise<Timing> {
  const ms: number[] = [];
  // Two warm-up requests (plans, caches), then N measured.
  for (let i = 0; i < REQUESTS + 2; i++) {
    const start = process.hrtime.bigint();
    const res = await app.inject({ method: 'GET', url, headers: { cookie } });
    const took = Number(process.hrtime.bigint() - start) / 1e6;
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    if (i >= 2) ms.push(took);
  }
  ms.sort((a, b) => a - b);
  return { median: percentile(ms, 50), p95: percentile(ms, 95) };
}

async function main(): Promise<void> {
  const name = `ringbill_bench_console_${Date.now()}`;
  await admin(`create database ${name}`);
  const database = await openPostgres({ connectionString: dbUrl(name) });
  try {
    await migrate(database);
    const ctx = createCtx(database, () => new Date(), { reactions: REACTIONS });
    const big = await createAccount(ctx, { name: 'Big Telecom', timezone: 'Europe/London', currency: 'GBP' });
    const empty = await createAccount(ctx, {
      name: 'Empty Telecom',
      timezone: 'Europe/London',
      currency: 'GBP',
    });
    process.stdout.write(
      `PostgreSQL: loading ${CUSTOMERS} customers, ${CALLS} calls, ${INVOICES} invoices... `,
    );
    const [loadSeconds, ids] = await seconds(() =>
      loadConsoleData(ctx, big.account.id, { customers: CUSTOMERS, calls: CALLS, invoices: INVOICES }),
    );
    process.stdout.write(`${loadSeconds.toFixed(1)} s\n`);
    const emptyCustomer = (
      await sql<{
        id: number;
      }>`insert into customers (account_id, name) values (${empty.account.id}, 'Only') returning id`.execute(
        ctx.db,
      )
    ).rows[0]!.id;
    const app = await buildServer(ctx, {});
    await app.ready();
    const bigCookie = await consoleCookie(ctx, big.account.id, 'owner@big.example');
    const emptyCookie = await consoleCookie(ctx, empty.account.id, 'owner@empty.example');
    const pages: [string, (big: boolean) => string | undefined][] = [
      ['overview', () => '/console'],
      ['customers list', () => '/console/customers'],
      ['customers search', () => '/console/customers?q=Customer%209876'],
      ['one customer', (b) => `/console/customers/${b ? ids.customer : emptyCustomer}`],
      ['calls list + rating problems', () => '/console/calls'],
      ['calls by number', () => '/console/calls?number=%2B441130000042'],
      ['one call', (b) => (b ? `/console/calls/${ids.call}` : undefined)],
      ['invoices list', () => '/console/invoices'],
      ['invoices unpaid', () => '/console/invoices?status=unpaid'],
      ['one invoice', (b) => (b ? `/console/invoices/${ids.invoice}` : undefined)],
      ['billing runs', () => '/console/billing-runs'],
      ['collections', () => '/console/collections'],
      ['webhooks', () => '/console/webhooks'],
      ['audit log', () => '/console/audit'],
      ['settings', () => '/console/settings'],
    ];
    const load1 = loadavg();
    console.log(
      `\nServer time per page (ms), ${REQUESTS} requests each after 2 warm-ups; load average ${load1.map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`,
    );
    console.log(
      `${'page'.padEnd(30)} ${'empty median'.padStart(12)} ${'p95'.padStart(7)}   ${'big median'.padStart(10)} ${'p95'.padStart(7)}  goal (<${GOAL.median} / <${GOAL.p95})`,
    );
    let missed = 0;
    for (const [label, path] of pages) {
      const e = path(false);
      const b = path(true)!;
      const emptyT = e ? await time(app, e, emptyCookie) : undefined;
      const bigT = await time(app, b, bigCookie);
      const ok = bigT.median < GOAL.median && bigT.p95 < GOAL.p95;
      if (!ok) missed++;
      console.log(
        `${label.padEnd(30)} ${(emptyT ? emptyT.median.toFixed(1) : '—').padStart(12)} ${(emptyT ? emptyT.p95.toFixed(1) : '—').padStart(7)}   ${bigT.median.toFixed(1).padStart(10)} ${bigT.p95.toFixed(1).padStart(7)}  ${ok ? 'met' : 'MISSED'}`,
      );
    }
    console.log(
      `\n${missed === 0 ? 'Every page met the goal.' : `${missed} page(s) missed the goal.`} Load average now ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}.`,
    );
    await app.close();
  } finally {
    await database.close();
    // BENCH_KEEP_DB=1 keeps the database for a look at the plans (EXPLAIN ANALYZE); it is named here.
    if (process.env.BENCH_KEEP_DB) console.log(`kept database ${name}`);
    else await admin(`drop database if exists ${name} with (force)`);
  }
}

await main();
