// What the HTTP benchmarks share: a PostgreSQL database of their own, and a keep-alive load generator that
// measures requests per second and latency (median, p99) at a number of concurrent connections.
import { readFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import pg from 'pg';

/** Where benchmark databases are made: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local server. */
export const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ||
  process.env.TEST_DATABASE_URL ||
  'postgres://postgres@127.0.0.1:5432/test';

/** The URL of database `name` on the benchmark server. */
export function dbUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** One statement on the administrative connection (create or drop a database). */
export async function admin(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

export interface LoadRun {
  requests: number;
  errors: number;
  /** Answers `accept` said yes to. */
  accepted: number;
  rps: number;
  p50: number;
  p99: number;
}

export interface LoadOptions {
  /** Base URL of the server (`http://127.0.0.1:PORT`). */
  baseUrl: string;
  method: 'GET' | 'POST';
  /** Each request's path (and query), and body for a POST. */
  next(): { path: string; body?: string };
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  /** Whether an answer counts as accepted (`accepted` in the result); a status other than 200 is an error. */
  accept?(text: string): boolean;
}

/** `connections` keep-alive clients sending requests back to back for `seconds`. */
export async function load(options: LoadOptions): Promise<LoadRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const target = new URL(options.baseUrl);
  const latencies: number[] = [];
  let errors = 0;
  let accepted = 0;
  const until = performance.now() + options.seconds * 1000;
  const one = (path: string, body: string | undefined) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const headers: Record<string, string | number> = { ...options.headers };
      if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
      const req = httpRequest(
        { host: target.hostname, port: target.port, path, method: options.method, agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async () => {
    while (performance.now() < until) {
      const { path, body } = options.next();
      const start = performance.now();
      try {
        const res = await one(path, body);
        latencies.push(performance.now() - start);
        if (res.status !== 200) errors++;
        else if (!options.accept || options.accept(res.text)) accepted++;
      } catch {
        errors++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: options.connections }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    errors,
    accepted,
    rps: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
  };
}

/** One line: throughput, median and p99, counts. */
export function formatRun(r: LoadRun, accepted = 'accepted'): string {
  return `${r.rps.toFixed(0).padStart(6)} req/s  median ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.requests} requests, ${r.accepted} ${accepted}, ${r.errors} errors)`;
}

/** CPU seconds used so far by each of the server's processes serving a database, by pid. */
export type ServerCpu = () => Promise<Map<number, number>>;

/**
 * The CPU time of the server's processes serving database `name` (its backends, autovacuum), read from
 * /proc (utime + stime, in clock ticks of 1/100 s) when the server runs on this machine (`host` is
 * local); undefined otherwise. Processes that end inside a measurement (a parallel query's workers) are
 * counted through the postmaster's reaped children (cutime + cstime, under the key -1): without them a
 * parallel aggregate showed a third of its CPU.
 */
export function localServerCpu(
  admin: Pick<pg.Client, 'query'>,
  name: string,
  host: string,
): ServerCpu | undefined {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return undefined;
  const statFields = async (pid: number) =>
    (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /s, '').split(' ');
  return async () => {
    const pids = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [
      name,
    ]);
    const out = new Map<number, number>();
    let postmaster: number | undefined;
    for (const { pid } of pids.rows) {
      try {
        const fields = await statFields(pid);
        out.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
        postmaster ??= Number(fields[1]);
      } catch {
        // Not on this machine, or ended meanwhile.
      }
    }
    if (postmaster !== undefined) {
      try {
        const fields = await statFields(postmaster);
        out.set(-1, (Number(fields[13]) + Number(fields[14])) / 100);
      } catch {
        // Not readable: the ended processes go uncounted.
      }
    }
    return out;
  };
}
