// Benchmark: draining the call transactions feed (document 000) over HTTP, the way a poller does it.
//
//   npx tsx bench/feed.ts [--rows N] [--limit N] [--format json|csv|xml|all] [--keep] [--profile DIR]
//
// --format all: the three drains one after the other on the same rows, each next to the same bare SELECT.
//
// --profile DIR: the server runs with --cpu-prof and writes its CPU profile to DIR when it stops.
//
// 1. A fresh database on a PostgreSQL server (BENCH_DATABASE_URL, else DATABASE_URL, else TEST_DATABASE_URL,
//    else postgres://postgres@127.0.0.1:5432/test): a database of its own, made for the run and dropped
//    after (kept with --keep), migrated with Ringbill's migrations.
// 2. Two accounts made with the real use case; N feed rows (default 1,000,000) for the first, written with
//    one INSERT … SELECT generate_series per 200,000 rows straight into call_transactions (the only table
//    the feed reads rows from), with a quarter as many rows of the second account interleaved in id order
//    (transaction ids come from one sequence, so a real feed's ids are never dense). The mix: calls (a
//    tenth with their durations cleared by a later correction), corrections (10%), post-call events (4%),
//    custom data on a fifth, recordings on a third. Then VACUUM ANALYZE, as autovacuum would have.
// 3. The real server (`ringbill serve`, a child process, default logging) on a free port on 127.0.0.1.
// 4. A warm-up pass of the bare SELECT over every page (the data is then in the OS cache, as a feed polled
//    every few minutes is), then:
//    - the HTTP drain: GET …/networks/transactions/{id}.json?limit=4000&start_after_transaction_id=<last>
//      with the key in the Authorization header, the body parsed as the poller would, until a page is
//      shorter than the limit (the documented loop), every page timed;
//    - the bare keyset SELECT of the same pages (select * … where account_id = $1 and transaction_id > $2
//      order by transaction_id limit 4000, through node-postgres as the server reads them), every page timed;
//    - EXPLAIN (ANALYZE, BUFFERS) of the first and the last page.
//    Printed: rows per second of each, first- and last-page latency (and the medians of the first and last
//    ten pages), the ratio of the HTTP drain to the bare SELECT, and the CPU seconds this client and the
//    server used during the drain (the rest of the wall time is PostgreSQL and waiting for a CPU).
//
// Not part of the test run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { createAccount } from '../src/api-keys/create-account.ts';
import { createCtx } from '../src/context.ts';
import { REACTIONS } from '../src/reactions.ts';
import { openPostgres } from '../src/db/connection.ts';
import { migrate } from '../src/db/migrate.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    limit: { type: 'string', default: '4000' },
    format: { type: 'string', default: 'json' },
    keep: { type: 'boolean' },
    profile: { type: 'string' },
  },
});
const ROWS = Number(args.rows);
const LIMIT = Number(args.limit);
type Format = 'json' | 'csv' | 'xml';
const FORMATS: Format[] = args.format === 'all' ? ['json', 'csv', 'xml'] : [args.format as Format];
if (!Number.isSafeInteger(ROWS) || ROWS < 1) throw new Error('--rows: a whole number');
if (!Number.isSafeInteger(LIMIT) || LIMIT < 1 || LIMIT > 4000) throw new Error('--limit: 1 to 4000');
if (!['json', 'csv', 'xml', 'all'].includes(args.format)) throw new Error('--format: json, csv, xml or all');
const CHUNK = 200_000;
const SERVER_URL =
  process.env.BENCH_DATABASE_URL ||
  process.env.DATABASE_URL ||
  process.env.TEST_DATABASE_URL ||
  'postgres://postgres@127.0.0.1:5432/test';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

function rate(rows: number, elapsedMs: number): string {
  return `${Math.round(rows / (elapsedMs / 1000)).toLocaleString('en')} rows/s`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function freePort(): Promise<number> {
  // BENCH_PORT: the server listens on it (default: any free port).
  if (process.env.BENCH_PORT) return Promise.resolve(Number(process.env.BENCH_PORT));
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startServer(
  databaseUrl: string,
  dataDir: string,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const profile = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [];
  const child = spawn(process.execPath, [...profile, join(ROOT, 'bin/ringbill.js'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      RINGBILL_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // If this process dies first (Ctrl-C, a closed pipe), the server goes with it.
  process.once('exit', () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 10_000) stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${stderr}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error(`the server did not answer on ${url} within a minute: ${stderr}`);
}

/** User and system CPU seconds a process has used (Linux /proc; 0 elsewhere). */
async function processCpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/**
 * The rows of bench row i (1-based) and noise rows, by formula. Bench row i has transaction id
 * i + floor((i - 1) / 4) (every fifth id is skipped), and noise row j has id 5j: the skipped ones.
 */
function insertChunk(benchAccount: number, noiseAccount: number, first: number, last: number) {
  return sql`
    insert into call_transactions (account_id, transaction_id, transaction_type, call_id, complete_call_id,
      corrects_transaction_id, corrected_at, start_time, duration_s, connect_duration_s, calling_phone_number,
      destination_phone_number, call_status, payin, payout, recording_url, notes, custom_data, partner_unique_id,
      occurred_at, revenue, created_at)
    select r.account_id, r.transaction_id, r.kind, r.call_id, md5('call' || r.account_id || '-' || r.call_id)::uuid,
      case when r.correction then r.corrects end,
      case when r.correction then ts.start_time + interval '1 day' end,
      ts.start_time,
      d.duration, d.duration,
      '+1555' || lpad((r.call_id % 10000000)::text, 7, '0'),
      '+1444' || lpad(((r.call_id * 7919) % 10000000)::text, 7, '0'),
      case when r.call_id % 13 = 0 then 'missed' else 'completed' end,
      case when r.kind = 'call' then round((30 + r.call_id % 600) / 60.0 * case when r.correction then 0.0150 else 0.0123 end, 6) end,
      case when r.kind = 'call' and r.call_id % 4 = 0 then 0.050000 end,
      case when r.call_id % 3 = 0 then 'https://recordings.example.com/' || md5('call' || r.account_id || '-' || r.call_id) || '.mp3' end,
      case when r.correction then 'Re-rated: new prices from 1 March' end,
      case
        when r.kind = 'post_call_event' then jsonb_build_object(
          'Reservation', jsonb_build_object('value', true, 'data_type', 'signal', 'source', 'Api'),
          'gclid', jsonb_build_object('value', 'Cj0KCQ' || r.call_id, 'data_type', 'shortText', 'source', 'Api'))
        when r.call_id % 5 = 0 then jsonb_build_object('gclid', jsonb_build_object('value', 'Cj0KCQ' || r.call_id, 'data_type', 'shortText', 'source', 'Import'))
      end,
      case when r.kind = 'post_call_event' then 'res-' || r.call_id end,
      case when r.kind = 'post_call_event' then ts.start_time + interval '1 hour' end,
      case when r.kind = 'post_call_event' then 120.000000 end,
      now()
    from (
      -- Bench row g: every 25th a post-call event and every 10th a correction, both of the call 37 rows
      -- back; the rows those corrections correct (g % 10 = 6) have their durations cleared.
      select ${benchAccount}::bigint as account_id, g + (g - 1) / 4 as transaction_id,
        case when g % 25 = 7 and g > 37 then 'post_call_event' else 'call' end as kind,
        case when (g % 10 = 3 or g % 25 = 7) and g > 37 then g - 37 else g end as call_id,
        g % 10 = 3 and g % 25 <> 7 and g > 37 as correction,
        (g - 37) + (g - 38) / 4 as corrects,
        g % 10 = 6 and g + 37 <= ${ROWS}::bigint as cleared
      from generate_series(${first}::bigint, ${last}::bigint) as g
      union all
      select ${noiseAccount}::bigint, 5 * j, 'call', j, false, null, false
      from generate_series((${first}::bigint + 3) / 4, ${last}::bigint / 4) as j
      where j >= 1
    ) as r
    cross join lateral (select timestamptz '2024-01-01 00:00:00+00' + r.call_id * interval '3 seconds' as start_time) as ts
    cross join lateral (
      select case when r.kind <> 'call' or r.cleared then null when r.call_id % 13 = 0 then 0 else 30 + (r.call_id % 600)::int end as duration
    ) as d
    order by r.transaction_id
  `;
}

interface PageTiming {
  after: number;
  rows: number;
  ms: number;
}

const FEED_PATH = '/api/2024-01-01/networks/transactions';

/** The documented loop over HTTP: pages of LIMIT until one is shorter. */
async function drainHttp(
  FORMAT: Format,
  url: string,
  accountId: number,
  key: string,
): Promise<{ pages: PageTiming[]; totalMs: number; rows: number; bytes: number }> {
  const pages: PageTiming[] = [];
  let after = '';
  let rows = 0;
  let bytes = 0;
  let lastId = 0;
  const started = performance.now();
  for (;;) {
    const t0 = performance.now();
    const res = await fetch(
      `${url}${FEED_PATH}/${accountId}.${FORMAT}?limit=${LIMIT}&start_after_transaction_id=${after}`,
      { headers: { authorization: `Bearer ${key}` } },
    );
    const text = await res.text();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 500)}`);
    let ids: string[];
    if (FORMAT === 'json') {
      const body = JSON.parse(text) as { transaction_id: string }[];
      ids = body.length === 0 ? [] : [body[0]!.transaction_id, body.at(-1)!.transaction_id];
      rows += body.length;
      pages.push({ after: Number(after || 0), rows: body.length, ms: performance.now() - t0 });
    } else {
      // The poller needs the last id: the X-Row-Count header and the last row's first field.
      const count = Number(res.headers.get('x-row-count'));
      const found = [
        ...text.matchAll(FORMAT === 'csv' ? /^(\d{16}),/gm : /<transaction_id>(\d{16})<\/transaction_id>/g),
      ].map((m) => m[1]!);
      ids = found.length === 0 ? [] : [found[0]!, found.at(-1)!];
      rows += count;
      pages.push({ after: Number(after || 0), rows: count, ms: performance.now() - t0 });
    }
    // The size as sent (the bench's own bookkeeping, not a poller's work: Buffer.byteLength of the page's
    // text would cost this client 0.5 ms a page).
    const length = res.headers.get('content-length');
    bytes += length === null ? Buffer.byteLength(text) : Number(length);
    if (ids.length > 0) {
      if (Number(ids[0]) <= lastId)
        throw new Error(`page after ${after} starts at ${ids[0]}, not after ${lastId}`);
      lastId = Number(ids[1]);
      after = ids[1]!;
    }
    if (pages.at(-1)!.rows < LIMIT) break;
  }
  return { pages, totalMs: performance.now() - started, rows, bytes };
}

const KEYSET =
  'select * from call_transactions where account_id = $1 and transaction_id > $2 order by transaction_id limit $3';

async function drainSelect(
  pool: pg.Pool,
  accountId: number,
  afters: readonly number[],
): Promise<{ pages: PageTiming[]; totalMs: number; rows: number }> {
  const pages: PageTiming[] = [];
  let rows = 0;
  const client = await pool.connect();
  try {
    const started = performance.now();
    for (const after of afters) {
      const t0 = performance.now();
      const result = await client.query(KEYSET, [accountId, after, LIMIT]);
      pages.push({ after, rows: result.rows.length, ms: performance.now() - t0 });
      rows += result.rows.length;
    }
    return { pages, totalMs: performance.now() - started, rows };
  } finally {
    client.release();
  }
}

async function explain(pool: pg.Pool, accountId: number, after: number): Promise<string> {
  const result = await pool.query(
    `explain (analyze, buffers, costs off) ${KEYSET.replace('$1', String(accountId)).replace('$2', String(after)).replace('$3', String(LIMIT))}`,
  );
  return result.rows.map((r: Record<string, string>) => `      ${r['QUERY PLAN']}`).join('\n');
}

function summary(
  label: string,
  pages: readonly PageTiming[],
  totalMs: number,
  rows: number,
): { first: number; last: number } {
  const full = pages.filter((p) => p.rows === LIMIT);
  const first = full[0]!.ms;
  const last = full.at(-1)!.ms;
  const firstTen = median(full.slice(0, 10).map((p) => p.ms));
  const lastTen = median(full.slice(-10).map((p) => p.ms));
  console.log(
    `  ${label}: ${rows.toLocaleString('en')} rows in ${pages.length} pages, ${(totalMs / 1000).toFixed(2)} s, ${rate(rows, totalMs)}; ` +
      `first page ${ms(first)}, last full page ${ms(last)} (${(last / first).toFixed(2)}x); median of the first ten ${ms(firstTen)}, of the last ten ${ms(lastTen)} (${(lastTen / firstTen).toFixed(2)}x); ` +
      `the closing short page ${ms(pages.at(-1)!.ms)}`,
  );
  return { first: firstTen, last: lastTen };
}

// ---------------------------------------------------------------------------------------------------

process.once('SIGINT', () => process.exit(130));
const admin = new pg.Client({ connectionString: SERVER_URL });
try {
  await admin.connect();
} catch (error) {
  console.log(
    `PostgreSQL: not reachable at ${SERVER_URL.replace(/\/\/[^@/]*@/, '//…@')} (${(error as Error).message}); nothing to measure`,
  );
  process.exit(1);
}
const name = `ringbill_bench_feed_${Date.now()}`;
await admin.query(`create database ${name}`);
const dbUrl = new URL(SERVER_URL);
dbUrl.pathname = `/${name}`;
const serverVersion = (await admin.query<{ server_version: string }>('show server_version')).rows[0]!
  .server_version;
const database = await openPostgres({ connectionString: dbUrl.toString() });
const dataDir = await mkdtemp(join(tmpdir(), 'ringbill-bench-feed-'));
let server: ChildProcess | undefined;
try {
  console.log(
    `Feed benchmark: ${ROWS.toLocaleString('en')} feed rows, pages of ${LIMIT} as ${FORMATS.map((f) => f.toUpperCase()).join(', ')} over HTTP`,
  );
  console.log(
    `  machine: ${availableParallelism()} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the start (the server, PostgreSQL and this client share them)`,
  );
  console.log(
    `  PostgreSQL ${serverVersion} at ${dbUrl.host}, database ${name} (made for this run${args.keep ? ', kept' : ', dropped after'})`,
  );
  await migrate(database);
  const ctx = createCtx(database, undefined, { reactions: REACTIONS });
  const bench = await createAccount(ctx, {
    name: 'Feed Bench Telecom',
    timezone: 'America/Los_Angeles',
    currency: 'USD',
  });
  const noise = await createAccount(ctx, {
    name: 'Another Telecom',
    timezone: 'Europe/London',
    currency: 'GBP',
  });
  const benchId = bench.account.id;

  let t0 = performance.now();
  for (let first = 1; first <= ROWS; first += CHUNK) {
    await insertChunk(benchId, noise.account.id, first, Math.min(first + CHUNK - 1, ROWS)).execute(
      database.db,
    );
  }
  await sql`select setval('call_transactions_id_seq', (select max(transaction_id) from call_transactions))`.execute(
    database.db,
  );
  const insertMs = performance.now() - t0;
  t0 = performance.now();
  await sql`vacuum analyze call_transactions`.execute(database.db);
  const vacuumMs = performance.now() - t0;
  const counts = await sql<{
    account_id: number;
    n: number;
  }>`select account_id, count(*)::int as n from call_transactions group by 1 order by 1`.execute(database.db);
  const size = await sql<{
    table: string;
    indexes: string;
  }>`select pg_size_pretty(pg_table_size('call_transactions')) as table, pg_size_pretty(pg_indexes_size('call_transactions')) as indexes`.execute(
    database.db,
  );
  console.log(
    `  written: ${counts.rows.map((r) => `${r.n.toLocaleString('en')} rows of account ${r.account_id}`).join(', ')} in ${(insertMs / 1000).toFixed(1)} s (${rate(
      counts.rows.reduce((s, r) => s + r.n, 0),
      insertMs,
    )}, INSERT … SELECT generate_series); ` +
      `VACUUM ANALYZE ${(vacuumMs / 1000).toFixed(1)} s; table ${size.rows[0]!.table}, indexes ${size.rows[0]!.indexes}`,
  );
  if (counts.rows.find((r) => r.account_id === benchId)?.n !== ROWS)
    throw new Error('the bench account does not have the rows asked for');

  const started = await startServer(dbUrl.toString(), dataDir);
  server = started.child;
  console.log(`  server: ringbill serve (child process, pid ${server.pid}) on ${started.url}`);

  // Warm-up: the page boundaries, every page read once by the bare SELECT.
  const afters: number[] = [];
  {
    const client = await database.pool!.connect();
    try {
      let after = 0;
      for (;;) {
        afters.push(after);
        const result = await client.query<{ transaction_id: number }>(KEYSET, [benchId, after, LIMIT]);
        if (result.rows.length < LIMIT) break;
        after = Number(result.rows.at(-1)!.transaction_id);
      }
    } finally {
      client.release();
    }
  }
  for (const FORMAT of FORMATS) {
    // One HTTP request first (the server's first request compiles its code paths).
    await fetch(`${started.url}${FEED_PATH}/${benchId}.${FORMAT}?limit=1`, {
      headers: { authorization: `Bearer ${bench.apiKey.key}` },
    }).then((r) => r.text());

    // The drain, then the bare SELECT of the same pages right after it (the machine's load shifts).
    const cpu0 = { client: process.cpuUsage(), server: await processCpuSeconds(server.pid!) };
    const http = await drainHttp(FORMAT, started.url, benchId, bench.apiKey.key);
    const client = process.cpuUsage(cpu0.client);
    const serverCpu = (await processCpuSeconds(server.pid!)) - cpu0.server;
    if (http.rows !== ROWS) throw new Error(`the HTTP drain got ${http.rows} rows, not ${ROWS}`);
    if (http.pages.length !== afters.length || http.pages.some((p, i) => p.after !== afters[i]))
      throw new Error('the HTTP drain paged differently from the SELECT');
    const select = await drainSelect(database.pool!, benchId, afters);

    console.log(
      `  ${FORMAT.toUpperCase()}: HTTP body ${(http.bytes / 1e6).toFixed(0)} MB, ${Math.round(http.bytes / ROWS)} bytes a row; load average ${loadavg()[0]!.toFixed(1)}`,
    );
    console.log(
      `  CPU during the HTTP drain (${(http.totalMs / 1000).toFixed(1)} s of wall time): this client ${((client.user + client.system) / 1e6).toFixed(1)} s (fetch, JSON.parse or the id scan), the server ${serverCpu.toFixed(1)} s; the rest is PostgreSQL and waiting for the CPUs`,
    );
    const h = summary(`HTTP drain (GET ${FORMAT}, parse)`, http.pages, http.totalMs, http.rows);
    const s = summary('bare keyset SELECT          ', select.pages, select.totalMs, select.rows);
    const ratio = http.rows / http.totalMs / (select.rows / select.totalMs);
    console.log(
      `  ratio (${FORMAT.toUpperCase()}): the HTTP drain runs at ${(ratio * 100).toFixed(1)}% of the bare SELECT's rate (${(1 / ratio).toFixed(2)}x its time; goal at most 2x); per page (medians) ${(median(http.pages.map((p) => p.ms)) / median(select.pages.map((p) => p.ms))).toFixed(2)}x`,
    );
    console.log(
      `  last page / first page (medians of ten): HTTP ${(h.last / h.first).toFixed(2)}x, SELECT ${(s.last / s.first).toFixed(2)}x (goal: HTTP at most 1.20x)`,
    );
  }
  console.log(`  plan of the first page:\n${await explain(database.pool!, benchId, afters[0]!)}`);
  console.log(`  plan of the last full page:\n${await explain(database.pool!, benchId, afters.at(-2)!)}`);
} finally {
  if (server) await stopServer(server);
  await database.close();
  if (!args.keep) await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
  await rm(dataDir, { recursive: true, force: true });
}
