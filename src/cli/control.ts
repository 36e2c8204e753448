// Only one process can open a PGlite data folder, so while the server runs, `ringbill` commands on the
// same folder run inside it: the server listens on a Unix socket in the data folder (mode 0600, so only
// its owner can use it), runs the command with its own database, and streams the command's output back
// as newline-delimited JSON events.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ctx } from '../context.ts';
import { readLockHolder } from '../db/data-dir.ts';
import type { CliIO, ProgressEvent } from './io.ts';
import { runProgram } from './program.ts';

type ControlEvent = { out: string } | { err: string } | { progress: ProgressEvent } | { exit: number };

const MAX_REQUEST_BYTES = 1024 * 1024;
// sun_path is 108 bytes on Linux; a deep data folder gets a socket in the temp folder instead.
const MAX_SOCKET_PATH = 100;

export function controlSocketPath(dataDir: string): string {
  const inDataDir = join(dataDir, 'ringbill.sock');
  if (inDataDir.length <= MAX_SOCKET_PATH) return inDataDir;
  return join(tmpdir(), `ringbill-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}.sock`);
}

export async function startControlServer(ctx: Ctx, dataDir: string, baseUrl?: string): Promise<Server> {
  const path = controlSocketPath(dataDir);
  // The data folder's lock is ours, so a socket file left here is from a process that died.
  rmSync(path, { force: true });
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/run') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      let argv: string[];
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { argv?: unknown };
        if (!Array.isArray(body.argv) || !body.argv.every((a) => typeof a === 'string'))
          throw new Error('argv must be an array of strings');
        argv = body.argv;
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const send = (event: ControlEvent) => res.write(`${JSON.stringify(event)}\n`);
      const io: CliIO = {
        out: (out) => send({ out }),
        err: (err) => send({ err }),
        progress: (progress) => send({ progress }),
      };
      void runProgram({ io, ctx: async () => ctx, baseUrl }, argv).then((code) => {
        send({ exit: code });
        res.end();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return server;
}

/** The server running a command stopped (killed, crashed) before the command finished. */
export class ServerStoppedError extends Error {
  constructor(pid: number | undefined) {
    super(
      `the Ringbill server running this command${pid !== undefined ? ` (pid ${pid})` : ''} stopped before the command finished; ` +
        'what it completed is kept: start the server again and check before repeating the command',
    );
  }
}

/**
 * Runs a command in the server that holds the data folder, if one is listening. Returns the exit code,
 * or undefined when no server answers (the caller then opens the database itself). Throws
 * ServerStoppedError when the server goes away while the command runs.
 */
export async function runInServer(dataDir: string, argv: string[], io: CliIO): Promise<number | undefined> {
  const path = controlSocketPath(dataDir);
  if (!existsSync(path)) return undefined;
  const serverPid = readLockHolder(dataDir)?.pid;
  return new Promise((resolve, reject) => {
    let connected = false;
    const stopped = () => reject(new ServerStoppedError(serverPid));
    const req = httpRequest(
      { socketPath: path, method: 'POST', path: '/run', headers: { 'content-type': 'application/json' } },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`the server refused the command (HTTP ${res.statusCode})`));
          return;
        }
        let buffered = '';
        let exitCode: number | undefined;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) !== -1) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            if (line.trim() === '') continue;
            let event: ControlEvent;
            try {
              event = JSON.parse(line) as ControlEvent;
            } catch {
              reject(new Error(`the server sent an unreadable answer: ${line.slice(0, 100)}`));
              res.destroy();
              return;
            }
            if ('out' in event) io.out(event.out);
            else if ('err' in event) io.err(event.err);
            else if ('progress' in event) io.progress(event.progress);
            else exitCode = event.exit;
          }
        });
        // Ended without an exit code, or cut off (ECONNRESET): the server is gone.
        res.on('end', () => (exitCode === undefined ? stopped() : resolve(exitCode)));
        res.on('error', stopped);
        res.on('aborted', stopped);
      },
    );
    req.on('socket', (socket) => socket.once('connect', () => (connected = true)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A socket file with nobody listening: no server.
      if (!connected && (error.code === 'ECONNREFUSED' || error.code === 'ENOENT')) resolve(undefined);
      else if (connected || error.code === 'ECONNRESET' || error.code === 'EPIPE') stopped();
      else reject(error);
    });
    req.end(JSON.stringify({ argv }));
  });
}
