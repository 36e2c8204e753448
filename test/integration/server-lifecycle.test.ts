// Starting and stopping Ringbill as a user does, with real processes: the embedded database's OS lock (a
// stale lock file with a live pid does not block; a running server or command is named when it does),
// `npm start` stopped by a signal to npm's own pid (gracefully: the request in flight finishes), and the
// configuration shared by the server and the CLI through a `.env` file, with a command refusing to create a
// new embedded database while a server answers on the configured port.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lockDataDir, lockFilePath } from '../../src/db/data-dir.ts';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db.ts';
import { Api } from '../helpers/harness.ts';
import {
  childEnv,
  freePort,
  killAllStarted,
  pidExists,
  Proc,
  REPO,
  ringbill,
  sleep,
  spawnRingbill,
  startServer,
  waitUntilServing,
} from '../helpers/processes.ts';

const postgres = testDbKind() === 'postgres';
/** Each test starts real servers (seconds each, more on a busy machine). */
const SLOW = { timeout: 480_000 };

const procs: Proc[] = [];
/** Process groups of their own (npm start and its server): killed whole if a test fails. */
const groups: number[] = [];
afterEach(async () => {
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const p of procs.splice(0)) await p.kill9();
  await killAllStarted();
});

function track(proc: Proc): Proc {
  procs.push(proc);
  return proc;
}

const HH_MM = '\\d\\d:\\d\\d';

describe.runIf(!postgres)('the embedded database lock', () => {
  let base: string;
  let dataDir: string;
  /** Commands run in `base`, where the data folder is ./data, as in the README. */
  const env = { DATABASE_URL: '' };
  const cwd = () => ({ cwd: base });

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'ringbill-lock-'));
    dataDir = join(base, 'data');
    await mkdir(dataDir);
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it(
    'is not blocked by a lock file naming a live process that does not hold it (PID reuse)',
    SLOW,
    async () => {
      // What an older Ringbill left, its pid now belonging to another live process (this test runner),
      // and what this one writes, naming a live process that does not hold the lock.
      for (const stale of [
        String(process.pid),
        JSON.stringify({
          pid: process.pid,
          hostname: 'vm',
          role: 'server',
          port: 8080,
          since: new Date().toISOString(),
        }),
      ]) {
        await writeFile(lockFilePath(dataDir), stale);
        const port = await freePort();
        const server = track(await startServer(env, port, cwd()));
        expect(JSON.parse(await readFile(lockFilePath(dataDir), 'utf8'))).toMatchObject({
          pid: server.pid,
          role: 'server',
          port,
        });
        await server.stop();
      }
    },
  );

  it(
    'held by a running server: a second server and a command not yet served by it say who holds it',
    SLOW,
    async () => {
      const port = await freePort();
      const server = track(await startServer(env, port, cwd()));
      const second = await ringbill({ ...env, PORT: String(await freePort()) }, ['serve'], cwd());
      expect({ code: second.code, stderr: second.stderr }).toEqual({
        code: 1,
        stderr: expect.stringMatching(
          new RegExp(
            `^error: a Ringbill server \\(pid ${server.pid}, port ${port}, since ${HH_MM}\\) is using \\./data; stop it first \\(kill ${server.pid}\\) or give this server another RINGBILL_DATA_DIR\\n$`,
          ),
        ),
      });
      // The lock is the process's own: it goes with the process, however it ends.
      await server.kill9();
      const next = track(await startServer(env, port, cwd()));
      expect(next.running).toBe(true);
      await next.stop();
      // After a clean stop the lock is free.
      lockDataDir(dataDir, { role: 'command' }).release();
    },
  );

  it(
    'held by a command that opened the folder itself: another command says which, and waits for nothing',
    SLOW,
    async () => {
      // An account with a customer to bill, made through a server; then the server stops.
      const port = await freePort();
      const server = track(await startServer(env, port, cwd()));
      const created = await ringbill(env, ['accounts', 'create', '--name', 'Lock Telecom', '--json'], cwd());
      expect(created.code, created.stderr).toBe(0);
      const { account, apiKey } = JSON.parse(created.stdout);
      const api = new Api(`http://127.0.0.1:${port}`, apiKey.key);
      const customer = await api.post('/customers', { name: 'Held Ltd' });
      expect(
        (
          await api.post(`/customers/${customer.body.id}/features`, {
            name: 'Line',
            recurringValue: '10.00',
            startDate: '2026-10-01',
          })
        ).status,
      ).toBe(201);
      await server.stop();

      const bill = track(
        spawnRingbill(
          { ...env, RINGBILL_TEST_HOLD: 'billing-batch-committed:60000' },
          ['bill', '--account', account.id, '--cutoff', '2026-11-01'],
          cwd(),
        ),
      );
      await bill.waitFor(/ringbill test hold: billing-batch-committed/);
      const other = await ringbill(env, ['accounts', 'list'], cwd());
      expect({ code: other.code, stderr: other.stderr }).toEqual({
        code: 1,
        stderr: expect.stringMatching(
          new RegExp(
            `^error: a Ringbill command \\(pid ${bill.pid}, "ringbill bill", since ${HH_MM}\\) is using \\./data; wait for it to finish\\n$`,
          ),
        ),
      });
      await bill.kill9();
      // The next command to open the folder finds the run the dead command left, and says how to finish it.
      const listed = await ringbill(env, ['accounts', 'list'], cwd());
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stderr).toMatch(
        new RegExp(
          `^note: billing run \\d+ of account ${account.id} was interrupted when its process stopped; "ringbill bill --account ${account.id} --resume \\d+" finishes it\\n$`,
        ),
      );
    },
  );
});

describe('npm start', () => {
  let testDb: TestDatabase | undefined;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ringbill-npm-start-'));
    if (postgres) testDb = await createTestDatabase();
    env = postgres
      ? { DATABASE_URL: testDb!.url!, RINGBILL_DATA_DIR: dataDir }
      : { DATABASE_URL: '', RINGBILL_DATA_DIR: dataDir };
  });
  afterAll(async () => {
    await testDb?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** `npm start`, in a process group of its own as a terminal's foreground job is. */
  async function npmStart(port: number): Promise<Proc> {
    const child = spawn('npm', ['start'], {
      cwd: REPO,
      detached: true,
      env: childEnv({
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        RINGBILL_TEST_HOLD: 'idempotency-claimed:3000',
      }),
      stdio: 'pipe',
    });
    groups.push(child.pid!);
    const proc = track(new Proc(child));
    await waitUntilServing(proc, port);
    return proc;
  }

  /** The node process serving under npm (npm's child, or the shell's child without exec). */
  async function serverPid(npmPid: number): Promise<number> {
    const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid=,ppid=,args=']);
    const rows = stdout
      .trim()
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)?.slice(1) ?? ['0', '0', '']);
    const under = (ppid: number): number[] =>
      rows.filter((r) => Number(r[1]) === ppid).map((r) => Number(r[0]));
    const descendants = [...under(npmPid), ...under(npmPid).flatMap(under)];
    const server = rows.find(
      (r) => descendants.includes(Number(r[0])) && /ringbill\.js serve/.test(r[2] ?? ''),
    );
    if (!server) throw new Error(`no server under npm ${npmPid}`);
    return Number(server[0]);
  }

  function portAnswers(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
  }

  async function gone(pid: number, timeoutMs = 120_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (pidExists(pid) && Date.now() < deadline) await sleep(100);
    return !pidExists(pid);
  }

  it(
    "stops on SIGTERM to npm's pid, once the request in flight is answered, giving back the port and the lock",
    SLOW,
    async () => {
      const port = await freePort();
      const npm = await npmStart(port);
      const pid = await serverPid(npm.pid);
      const created = await ringbill(env, ['accounts', 'create', '--name', 'Npm Telecom', '--json']);
      expect(created.code, created.stderr).toBe(0);
      const api = new Api(`http://127.0.0.1:${port}`, JSON.parse(created.stdout).apiKey.key);

      // A request in flight (held 3 s after claiming its Idempotency-Key) when the signal comes.
      const inFlight = api.post('/customers', { name: 'In Flight Ltd' }, { 'idempotency-key': 'npm-1' });
      await npm.waitFor(/ringbill test hold: idempotency-claimed/);
      process.kill(npm.pid, 'SIGTERM');
      const answered = await inFlight;
      expect([answered.status, answered.body.name]).toEqual([201, 'In Flight Ltd']);
      expect(await gone(pid)).toBe(true);
      await npm.exited;
      expect(await portAnswers(port)).toBe(false);
      if (postgres) {
        // A clean stop leaves no process behind in the processes table (nothing to recover).
        const rows = await testDb!.database.db
          .selectFrom('processes')
          .select('pid')
          .where('pid', '=', pid)
          .execute();
        expect(rows).toEqual([]);
      } else {
        lockDataDir(dataDir, { role: 'command' }).release();
      }

      // Ctrl-C: the terminal sends SIGINT to the whole foreground job (npm and the server), and npm forwards
      // its own to the server too; still one graceful stop, the request in flight answered.
      const again = await npmStart(port);
      const pid2 = await serverPid(again.pid);
      const second = api.post('/customers', { name: 'Ctrl-C Ltd' }, { 'idempotency-key': 'npm-2' });
      await again.waitFor(/ringbill test hold: idempotency-claimed/);
      process.kill(-again.pid, 'SIGINT');
      const answeredToo = await second;
      expect([answeredToo.status, answeredToo.body.name]).toEqual([201, 'Ctrl-C Ltd']);
      expect(await gone(pid2)).toBe(true);
      await again.exited;
      expect(await portAnswers(port)).toBe(false);
      // What the requests in flight made is there.
      const after = await startServer(env, port);
      track(after);
      expect((await api.get('/customers')).body.map((c: any) => c.name)).toEqual([
        'In Flight Ltd',
        'Ctrl-C Ltd',
      ]);
    },
  );
});

describe('configuration shared by the server and the CLI', () => {
  let testDb: TestDatabase | undefined;
  const folders: string[] = [];

  beforeAll(async () => {
    if (postgres) testDb = await createTestDatabase();
  });
  afterAll(async () => {
    await testDb?.drop();
    for (const f of folders) await rm(f, { recursive: true, force: true });
  });

  async function folder(): Promise<string> {
    const f = await mkdtemp(join(tmpdir(), 'ringbill-env-'));
    folders.push(f);
    return f;
  }

  it('a .env file in the folder configures the server and every command alike', SLOW, async () => {
    const here = await folder();
    const port = await freePort();
    const database = postgres ? `DATABASE_URL=${testDb!.url}` : 'RINGBILL_DATA_DIR=./ringbill-data';
    await writeFile(
      join(here, '.env'),
      `# Ringbill's settings\n${database}\nPORT=${port}\nHOST=127.0.0.1\nLOG_LEVEL=warn\n`,
    );
    // The server started in the folder with nothing in its environment...
    const server = track(
      new Proc(
        spawn(process.execPath, [join(REPO, 'bin/ringbill.js'), 'serve'], {
          cwd: here,
          env: childEnv({}),
          stdio: 'pipe',
        }),
      ),
    );
    await waitUntilServing(server, port);
    // ...and the README's second-terminal command, also with nothing in its environment.
    const created = await ringbill({}, ['accounts', 'create', '--name', 'Env Telecom', '--json'], {
      cwd: here,
    });
    expect(created.code, created.stderr).toBe(0);
    const { account, apiKey } = JSON.parse(created.stdout);
    const me = await new Api(`http://127.0.0.1:${port}`, apiKey.key).get('/account');
    expect([me.status, me.body.id, me.body.name]).toEqual([200, account.id, 'Env Telecom']);
    // No embedded database was made beside it.
    expect(existsSync(join(here, 'data'))).toBe(false);
    // The environment wins over the file.
    const overridden = await ringbill({ PORT: 'not-a-port' }, ['accounts', 'list'], { cwd: here });
    expect({ code: overridden.code, stderr: overridden.stderr }).toEqual({
      code: 1,
      stderr: 'error: PORT must be a port number, not "not-a-port"\n',
    });
  });

  it(
    'a command about to create a new embedded database while a server answers on the port says so instead',
    SLOW,
    async () => {
      const serverFolder = await folder();
      const port = await freePort();
      const serverEnv = postgres
        ? { DATABASE_URL: testDb!.url!, RINGBILL_DATA_DIR: join(serverFolder, 'data') }
        : { DATABASE_URL: '', RINGBILL_DATA_DIR: join(serverFolder, 'data') };
      track(await startServer(serverEnv, port, { cwd: serverFolder }));
      // A second terminal in another folder, without the server's DATABASE_URL / data folder.
      const here = await folder();
      const result = await ringbill(
        { PORT: String(port) },
        ['accounts', 'create', '--name', 'Lost Telecom'],
        { cwd: here },
      );
      const where = postgres ? 'on PostgreSQL' : 'on an embedded database in another folder';
      const fix = postgres
        ? 'set DATABASE_URL as the server has it'
        : 'set RINGBILL_DATA_DIR as the server has it';
      expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
        code: 1,
        stdout: '',
        stderr: `error: a Ringbill server answers on port ${port} (${where}), but this command would create a new embedded database in ./data; ${fix} (a .env file in this folder is read by both), then run it again\n`,
      });
      expect(existsSync(join(here, 'data'))).toBe(false);
      // With nothing answering on the port, a new embedded database is what the user asked for.
      const elsewhere = await ringbill(
        { PORT: String(await freePort()) },
        ['accounts', 'create', '--name', 'New Telecom', '--json'],
        { cwd: here },
      );
      expect(elsewhere.code, elsewhere.stderr).toBe(0);
      expect(existsSync(join(here, 'data', 'pgdata'))).toBe(true);
    },
  );
});
