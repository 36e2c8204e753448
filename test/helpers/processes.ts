// Real Ringbill processes for crash and lifecycle tests: servers started as users start them (`ringbill
// serve`, `npm start`), killed with real signals, and the `ringbill` command run as a child process.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO = resolve('.');
export const BIN = resolve('bin/ringbill.js');

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** The environment a child starts with: this one, less Ringbill's own variables, plus `env`. */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'DATABASE_URL',
    'RINGBILL_DATA_DIR',
    'PORT',
    'HOST',
    'RINGBILL_TEST_HOLD',
    'PROCESS_LEASE_SECONDS',
  ])
    delete base[name];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ringbill ARGS` to the end. */
export async function ringbill(
  env: Record<string, string | undefined>,
  args: string[],
  options: { cwd?: string } = {},
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: childEnv(env),
      cwd: options.cwd ?? REPO,
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Every child started here and not yet exited: a test that times out half-way still has them killed. */
const started = new Set<Proc>();

/** kill -9 every child still running (afterEach of the tests that start them). */
export async function killAllStarted(): Promise<void> {
  await Promise.all([...started].map((p) => p.kill9()));
}

/** A child process whose output is kept, and waited on. */
export class Proc {
  private text = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.text += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.text += d.toString()));
    started.add(this);
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        started.delete(this);
        done({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  output(): string {
    return this.text;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until the output matches (what a test hold prints, say). */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.text);
      if (match) return match;
      if (!this.running) throw new Error(`process exited before printing ${pattern}: ${this.text}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms: ${this.text}`);
      await sleep(100);
    }
  }

  /** kill -9: no shutdown, no cleanup, as a crash or an OOM kill. */
  async kill9(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.running) this.child.kill(signal);
    await this.exited;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until GET /healthz answers 200 on the port (the process must stay up meanwhile). */
export async function waitUntilServing(proc: Proc, port: number, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.running) throw new Error(`server exited early: ${proc.output()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await proc.kill9();
  throw new Error(`server did not become ready: ${proc.output()}`);
}

/** Starts `ringbill serve` on 127.0.0.1 and waits until it serves. */
export async function startServer(
  env: Record<string, string | undefined>,
  port: number,
  options: { cwd?: string } = {},
): Promise<Proc> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: childEnv({ LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' }),
    cwd: options.cwd ?? REPO,
    stdio: 'pipe',
  });
  const proc = new Proc(child);
  await waitUntilServing(proc, port);
  return proc;
}

/** Starts `ringbill ARGS` without waiting for it to end. */
export function spawnRingbill(
  env: Record<string, string | undefined>,
  args: string[],
  options: { cwd?: string } = {},
): Proc {
  return new Proc(
    spawn(process.execPath, [BIN, ...args], { env: childEnv(env), cwd: options.cwd ?? REPO, stdio: 'pipe' }),
  );
}

/** Whether a process with this pid is running (for a child's child, which the test cannot wait on); an exited one not yet reaped by its parent (a zombie) is not. */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/PID/stat: "pid (comm) state …"; Z is a zombie, X dead.
    const state = /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): the signal check stands
  }
}
