// `ringbill import rates`, `ringbill import calls` and `ringbill rerate` as a user runs them: real
// processes, files in the user's own folder named by relative paths, a summary on stdout. On PGlite while
// `ringbill serve` holds the data folder (the commands run inside it) and after it stops; on PostgreSQL
// through DATABASE_URL with an API server beside them.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAll } from '../helpers/billing.ts';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db.ts';
import { Api } from '../helpers/harness.ts';

// Each test starts real processes (a server, CLI commands, each booting Node and the database): on a busy
// two-core machine one test can take minutes, so the file's tests get more than the default minute.
const PROCESS_TEST_TIMEOUT = 300_000;

const run = promisify(execFile);
const BIN = resolve('bin/ringbill.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function ringbill(env: Record<string, string>, cwd: string, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function startServer(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}): ${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not become ready: ${output}`);
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const RATES_CSV = [
  'prefix,destination,rate_per_minute,connection_fee,minimum_charge,initial_increment_s,subsequent_increment_s,cost_per_minute',
  '44,UK,0.012,0,0,60,60,0.004',
  '447,UK mobile,0.10,0.02,0.05,30,6,0.05',
  '34,Spain,free,0,0,60,60,',
].join('\n');

// Line 1 is the header. What each line becomes:
//   2  f1  rated: 61 s at 60/60 bill 120 s, 0.012 x 2 = 0.024
//   3  f2  rated ("answered"): 37 s at 30/6 bill 42 s, 0.02 + 0.10 x 42/60 = 0.09
//   4  f3  free (missed); a time with no offset is London time
//   5  f4  refused: start_time
//   6  f5  refused: 5 columns
//   7  f6  refused: a stray quote in duration_s (and line 8 is still read)
//   8  f7  unallocated: no feature has 441632960099
//   9  f8  unrated: no rate for France
//  10  f1  repeated: already loaded
//  11  f9  free (BUSY); the number as typed, with spaces
//  12  f10 refused: negative duration
const CALLS_CSV = [
  'call_id,from,to,start_time,duration_s,status,direction,carrier',
  'f1,441632960001,442079460000,2026-02-02T10:00:00Z,61,completed,,BT',
  'f2,441632960001,447700900123,2026-02-02T11:00:00Z,37,answered,outbound,BT',
  'f3,441632960001,442079460000,2026-02-02 12:00:00,0,missed,,',
  'f4,441632960001,442079460000,yesterday,60,completed,,',
  'f5,441632960001,442079460000,2026-02-02T13:00:00Z,60',
  'f6,441632960001,442079460000,2026-02-02T13:00:00Z,"60"s,completed,,',
  'f7,441632960099,442079460000,2026-02-02T14:00:00Z,60,completed,,',
  'f8,441632960001,33140000000,2026-02-02T15:00:00Z,60,completed,,',
  'f1,441632960001,442079460000,2026-02-02T10:00:00Z,61,completed,,BT',
  'f9,44 1632 960001,442079460000,2026-02-03T10:00:00Z,120,BUSY,out,',
  'f10,441632960001,442079460000,2026-02-03T10:00:00Z,-5,completed,,',
].join('\r\n');

const REFUSED_LINES = [
  '  line 5: start_time: "yesterday" is not an ISO 8601 date-time such as 2026-01-15T10:30:00Z',
  '  line 6: expected 8 columns as in the header, found 5',
  '  line 7: duration_s: ""60"s" is not a whole number of seconds',
  '  line 12: duration_s: "-5" is not a whole number of seconds',
];

const FIRST_IMPORT = [
  'Read 11 call record(s) from calls.csv: 6 new, 1 already loaded, 4 refused.',
  'Rated 2 (charges 0.114000), 2 free (not completed), 1 could not be priced (1 no rate), 1 on numbers no feature has.',
  ...REFUSED_LINES,
];

const SECOND_IMPORT = [
  'Read 11 call record(s) from calls.csv: 0 new, 7 already loaded, 4 refused.',
  'Rated 0 (charges 0.000000), 0 free (not completed), 0 could not be priced, 0 on numbers no feature has.',
  ...REFUSED_LINES,
];

const lines = (text: string) => text.trimEnd().split('\n');

/** Writes the user's files in a folder of their own (not the data folder, not the server's working folder). */
async function userFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ringbill-user-'));
  await writeFile(join(dir, 'rates.csv'), RATES_CSV);
  await writeFile(join(dir, 'calls.csv'), CALLS_CSV);
  await writeFile(join(dir, 'bad-header.csv'), 'id,caller,callee\n1,2,3\n');
  return dir;
}

async function seedCustomer(api: Api): Promise<void> {
  const customer = await api.post('/customers', { name: 'Harbour Cafe' });
  expect(customer.status).toBe(201);
  const feature = await api.post(`/customers/${customer.body.id}/features`, {
    name: 'Main line',
    phoneNumber: '441632960001',
  });
  expect(feature.status).toBe(201);
}

async function callsByStatus(api: Api): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const c of await getAll(api, '/calls')) (out[c.ratingStatus] ??= []).push(`${c.callID}:${c.charge}`);
  return out;
}

describe.runIf(testDbKind() === 'pglite')(
  'import and rerate on the embedded database',
  { timeout: PROCESS_TEST_TIMEOUT },
  () => {
    let dataDir: string;
    let userDir: string;
    let env: Record<string, string>;

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'ringbill-cli-calls-'));
      userDir = await userFolder();
      env = { RINGBILL_DATA_DIR: dataDir, DATABASE_URL: '' };
    });
    afterAll(async () => {
      await rm(dataDir, { recursive: true, force: true });
      await rm(userDir, { recursive: true, force: true });
    });

    it('loads a rate card and a CDR file with good and bad lines, once, and re-rates, with the server running and stopped', async () => {
      const cli = (...args: string[]) => ringbill(env, userDir, ...args);
      const port = await freePort();
      const server = await startServer(env, port);
      let accountId: string;
      let api: Api;
      try {
        const created = await cli(
          'accounts',
          'create',
          '--name',
          'Harbour Telecom',
          '--timezone',
          'Europe/London',
          '--json',
        );
        expect(created.code, created.stderr).toBe(0);
        const { account, apiKey } = JSON.parse(created.stdout);
        accountId = account.id;
        api = new Api(`http://127.0.0.1:${port}`, apiKey.key);
        await seedCustomer(api);

        const rates = await cli(
          'import',
          'rates',
          'rates.csv',
          '--account',
          accountId,
          '--rate-card',
          'Standard',
          '--effective-from',
          '2026-01-01',
          '--default',
        );
        expect(rates.code, rates.stderr).toBe(0);
        expect(lines(rates.stdout)).toEqual([
          'Rate card 1 "Standard" (default): 2 rates from 2026-01-01, 1 refused.',
          '  line 4: rate_per_minute: "free" is not a decimal amount with at most 6 decimal places',
        ]);

        // The file named after the options, by a path relative to the user's folder: the server reads it.
        const first = await cli('import', 'calls', '--account', accountId, 'calls.csv');
        expect(first.code, first.stderr).toBe(0);
        expect(lines(first.stdout)).toEqual(FIRST_IMPORT);
        expect(await callsByStatus(api)).toEqual({
          rated: ['f1:0.024000', 'f2:0.090000'],
          free: ['f3:0.000000', 'f9:0.000000'],
          unallocated: ['f7:null'],
          unrated: ['f8:null'],
        });
        const f3 = (await getAll(api, '/calls?ratingStatus=free'))[0];
        expect(f3.startTime).toBe('2026-02-02T12:00:00.000Z');
        const rejected = await getAll(api, '/calls/rejected?source=calls.csv');
        expect(rejected.map((r) => [r.line, r.raw])).toEqual([
          [5, 'f4,441632960001,442079460000,yesterday,60,completed,,'],
          [6, 'f5,441632960001,442079460000,2026-02-02T13:00:00Z,60'],
          [7, 'f6,441632960001,442079460000,2026-02-02T13:00:00Z,"60"s,completed,,'],
          [12, 'f10,441632960001,442079460000,2026-02-03T10:00:00Z,-5,completed,,'],
        ]);

        // The same file again: nothing new is stored, and each refused line is still kept once.
        const second = await cli('import', 'calls', 'calls.csv', '--account', accountId);
        expect(second.code, second.stderr).toBe(0);
        expect(lines(second.stdout)).toEqual(SECOND_IMPORT);
        expect(await getAll(api, '/calls')).toHaveLength(6);
        expect(await getAll(api, '/calls/rejected?source=calls.csv')).toEqual(rejected);

        // UK goes up to 0.02 from 1 January; re-rate February: f1 120 s -> 0.04; f2 moves to the reloaded
        // mobile rate at the same price.
        await writeFile(
          join(userDir, 'rates-v2.csv'),
          RATES_CSV.replace('44,UK,0.012', '44,UK,0.02').replace(/\n34,.*$/, ''),
        );
        const v2 = await cli(
          'import',
          'rates',
          '--account',
          accountId,
          '--rate-card',
          'standard',
          '--effective-from',
          '2026-01-01',
          'rates-v2.csv',
        );
        expect(v2.code, v2.stderr).toBe(0);
        expect(lines(v2.stdout)).toEqual([
          'Rate card 1 "Standard" (default): 2 rates from 2026-01-01, 0 refused.',
        ]);
        const rerate = await cli(
          'rerate',
          '--account',
          accountId,
          '--from',
          '2026-02-01',
          '--to',
          '2026-02-28',
        );
        expect(rerate.code, rerate.stderr).toBe(0);
        expect(lines(rerate.stdout)).toEqual([
          'Re-rated 6 call(s): 2 changed; 2 rated, 2 free, 1 unrated, 1 unallocated.',
        ]);
        expect((await callsByStatus(api)).rated).toEqual(['f1:0.040000', 'f2:0.090000']);

        // March's invoice is raised with f1 and f2 on it; UK goes to 0.03: +0.02 for f1 on the next invoice.
        const [customer] = await getAll(api, '/customers');
        const invoice = await api.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-03-01' });
        expect(invoice.body.invoiceAmount).toBe('0.13'); // 0.04 + 0.09
        expect((await api.post(`/invoices/${invoice.body.id}?action=approve`)).status).toBe(200);
        await writeFile(
          join(userDir, 'rates-v3.csv'),
          RATES_CSV.replace('44,UK,0.012', '44,UK,0.03').replace(/\n34,.*$/, ''),
        );
        expect(
          (
            await cli(
              'import',
              'rates',
              'rates-v3.csv',
              '--account',
              accountId,
              '--rate-card',
              'Standard',
              '--effective-from',
              '2026-01-01',
            )
          ).code,
        ).toBe(0);
        const adjusted = await cli('rerate', '--account', accountId);
        expect(adjusted.code, adjusted.stderr).toBe(0);
        expect(lines(adjusted.stdout)).toEqual([
          'Re-rated 6 call(s): 2 changed; 2 rated, 2 free, 1 unrated, 1 unallocated.',
          "1 adjustment(s) totalling 0.02 on the customers' next invoices.",
        ]);
        const unsent = await getAll(api, '/invoices?unsent');
        expect(unsent.map((i) => i.invoiceAmount)).toEqual(['0.02']);
        expect((await api.get(`/invoices/${invoice.body.id}`)).body.invoiceAmount).toBe('0.13');
      } finally {
        await stopServer(server);
      }

      // With the server stopped the commands open the data folder themselves.
      const third = await cli('import', 'calls', 'calls.csv', '--account', accountId!, '--json');
      expect(third.code, third.stderr).toBe(0);
      expect(JSON.parse(third.stdout)).toMatchObject({
        source: 'calls.csv',
        received: 11,
        inserted: 0,
        duplicates: 7,
        rejected: 4,
      });
      const json = await cli('rerate', '--account', accountId!, '--json');
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toStrictEqual({
        calls: 6,
        changed: 0,
        rated: 2,
        free: 2,
        unrated: 1,
        unallocated: 1,
        adjustments: 0,
        adjustmentTotal: '0',
        invoicesUpdated: 0,
      });
    }, 240_000);

    it('explains what it cannot do, on stderr, with exit code 1', async () => {
      const cli = (...args: string[]) => ringbill(env, userDir, ...args);
      const missing = await cli('import', 'calls', 'nowhere.csv', '--account', '1');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^error: \S*nowhere\.csv: no such file$/m);
      const header = await cli('import', 'calls', 'bad-header.csv', '--account', '1');
      expect(header.code).toBe(1);
      expect(header.stderr).toMatch(
        'error: header: the CSV header must name call_id,from,to,start_time,duration_s,status; missing: call_id, from, to, start_time, duration_s, status',
      );
      const account = await cli('import', 'calls', 'calls.csv', '--account', '999');
      expect(account.code).toBe(1);
      expect(account.stderr).toMatch('error: Account 999 not found');
      const date = await cli('rerate', '--account', '1', '--from', '2026-02-30');
      expect(date.code).toBe(1);
      expect(date.stderr).toMatch(/not a date/);
      const noCard = await cli('import', 'rates', 'rates.csv', '--account', '1');
      expect(noCard.code).not.toBe(0);
      expect(noCard.stderr).toMatch(/--rate-card/);
    }, 120_000);
  },
);

describe.runIf(testDbKind() === 'postgres')(
  'import and rerate on PostgreSQL (DATABASE_URL)',
  { timeout: PROCESS_TEST_TIMEOUT },
  () => {
    let testDb: TestDatabase;
    let userDir: string;
    let env: Record<string, string>;

    beforeAll(async () => {
      testDb = await createTestDatabase();
      userDir = await userFolder();
      env = {
        DATABASE_URL: testDb.url!,
        RINGBILL_DATA_DIR: await mkdtemp(join(tmpdir(), 'ringbill-cli-calls-pg-')),
      };
    });
    afterAll(async () => {
      await testDb.drop();
      await rm(userDir, { recursive: true, force: true });
      await rm(env.RINGBILL_DATA_DIR!, { recursive: true, force: true });
    });

    it('loads a rate card and a CDR file once, and re-rates, with an API server beside it', async () => {
      const cli = (...args: string[]) => ringbill(env, userDir, ...args);
      const port = await freePort();
      const server = await startServer(env, port);
      try {
        const created = await cli(
          'accounts',
          'create',
          '--name',
          'Quay Networks',
          '--timezone',
          'Europe/London',
          '--json',
        );
        expect(created.code, created.stderr).toBe(0);
        const { account, apiKey } = JSON.parse(created.stdout);
        const api = new Api(`http://127.0.0.1:${port}`, apiKey.key);
        await seedCustomer(api);

        const rates = await cli(
          'import',
          'rates',
          'rates.csv',
          '--account',
          account.id,
          '--rate-card',
          'Standard',
          '--effective-from',
          '2026-01-01',
          '--default',
          '--json',
        );
        expect(rates.code, rates.stderr).toBe(0);
        expect(JSON.parse(rates.stdout)).toMatchObject({
          rateCard: { name: 'Standard', isDefault: true },
          effectiveFrom: '2026-01-01',
          imported: 2,
          rejected: [
            {
              line: 4,
              reason: 'rate_per_minute: "free" is not a decimal amount with at most 6 decimal places',
            },
          ],
          waitingCallsRated: 0,
        });

        const first = await cli('import', 'calls', 'calls.csv', '--account', account.id);
        expect(first.code, first.stderr).toBe(0);
        expect(lines(first.stdout)).toEqual(FIRST_IMPORT);
        const second = await cli('import', 'calls', 'calls.csv', '--account', account.id);
        expect(lines(second.stdout)).toEqual(SECOND_IMPORT);
        expect(await callsByStatus(api)).toEqual({
          rated: ['f1:0.024000', 'f2:0.090000'],
          free: ['f3:0.000000', 'f9:0.000000'],
          unallocated: ['f7:null'],
          unrated: ['f8:null'],
        });

        // The unallocated call is priced when a feature gets its number.
        const [customer] = await getAll(api, '/customers');
        expect(
          (
            await api.post(`/customers/${customer.id}/features`, {
              name: 'Second line',
              phoneNumber: '441632960099',
            })
          ).status,
        ).toBe(201);
        expect((await callsByStatus(api)).rated).toEqual(['f1:0.024000', 'f2:0.090000', 'f7:0.012000']);

        await writeFile(
          join(userDir, 'rates-v2.csv'),
          RATES_CSV.replace('44,UK,0.012', '44,UK,0.02').replace(/\n34,.*$/, ''),
        );
        expect(
          (
            await cli(
              'import',
              'rates',
              'rates-v2.csv',
              '--account',
              account.id,
              '--rate-card',
              'Standard',
              '--effective-from',
              '2026-01-01',
            )
          ).code,
        ).toBe(0);
        const rerate = await cli('rerate', '--account', account.id, '--json');
        expect(rerate.code, rerate.stderr).toBe(0);
        // f1 0.024 -> 0.04, f7 0.012 -> 0.02, f2 to the reloaded mobile rate (same price).
        expect(JSON.parse(rerate.stdout)).toMatchObject({
          calls: 6,
          changed: 3,
          rated: 3,
          free: 2,
          unrated: 1,
          unallocated: 0,
          adjustments: 0,
        });
        expect((await callsByStatus(api)).rated).toEqual(['f1:0.040000', 'f2:0.090000', 'f7:0.020000']);
      } finally {
        await stopServer(server);
      }
    }, 240_000);
  },
);
