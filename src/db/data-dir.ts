// Only one process may open a PGlite data folder. The process that opens it holds an OS lock on
// `ringbill.lock` in the folder for as long as it runs: an OFD lock (fcntl F_OFD_SETLK) on Linux, flock on
// macOS, taken through fs-native-extensions. The kernel releases it when the process ends, however it ends
// (kill -9, a crash, a reboot), so nothing depends on process ids: a lock file left behind by a dead process
// locks nothing, and a live process that happens to have the old pid (PID reuse after a reboot or in a
// container) is not mistaken for its holder. The file also says who holds it (pid, port, since when), so
// the refusal names the holder instead of guessing.
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { tryLock, unlock } from 'fs-native-extensions';

/** Who holds a data folder, as written in its lock file. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** A server (`ringbill serve`), or a command that opened the folder itself. */
  role: 'server' | 'command';
  /** The server's HTTP port. */
  port?: number;
  /** The command, as typed (`ringbill import calls`). */
  command?: string;
  /** ISO 8601 instant the lock was taken. */
  since: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(`${describeHolder(holder)} is using ${displayPath(dataDir)}`);
  }
}

export function lockFilePath(dataDir: string): string {
  return join(dataDir, 'ringbill.lock');
}

/** The data folder as the user would type it: `./data` inside the working folder, else the absolute path. */
export function displayPath(dir: string, cwd = process.cwd()): string {
  const rel = relative(cwd, dir);
  if (rel === '') return '.';
  if (rel.startsWith('..') || isAbsolute(rel)) return dir;
  return `./${rel}`;
}

/** "10:02" today, "2026-11-03 10:02" another day (local time). */
export function describeSince(since: Date, now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(since.getHours())}:${pad(since.getMinutes())}`;
  const sameDay =
    since.getFullYear() === now.getFullYear() &&
    since.getMonth() === now.getMonth() &&
    since.getDate() === now.getDate();
  return sameDay
    ? time
    : `${since.getFullYear()}-${pad(since.getMonth() + 1)}-${pad(since.getDate())} ${time}`;
}

/** "a Ringbill server (pid 14302, port 8080, since 10:02)". */
export function describeHolder(holder: LockHolder | undefined, now = new Date()): string {
  if (!holder) return 'another process';
  const parts = [`pid ${holder.pid}`];
  if (holder.hostname !== hostname()) parts.push(`host ${holder.hostname}`);
  if (holder.role === 'server' && holder.port !== undefined) parts.push(`port ${holder.port}`);
  if (holder.role === 'command' && holder.command) parts.push(`"${holder.command}"`);
  const since = new Date(holder.since);
  if (!Number.isNaN(since.getTime())) parts.push(`since ${describeSince(since, now)}`);
  return `a Ringbill ${holder.role} (${parts.join(', ')})`;
}

/** What the lock file says, if it says anything readable (a lock file from an older version holds a bare pid). */
export function readLockHolder(dataDir: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(lockFilePath(dataDir), 'utf8')) as Partial<LockHolder>;
    if (
      typeof parsed.pid !== 'number' ||
      (parsed.role !== 'server' && parsed.role !== 'command') ||
      typeof parsed.since !== 'string'
    )
      return undefined;
    return {
      ...parsed,
      hostname: typeof parsed.hostname === 'string' ? parsed.hostname : hostname(),
    } as LockHolder;
  } catch {
    return undefined;
  }
}

export interface DataDirLock {
  /** Rewrites what the lock file says about its holder (the server's port once it listens). */
  update(info: Partial<Pick<LockHolder, 'port' | 'command'>>): void;
  /** Gives the lock back (the file stays: removing it could let two processes lock different files). */
  release(): void;
}

/** Takes the data folder's lock, or throws DataDirLockedError naming the process that holds it. */
export function lockDataDir(
  dataDir: string,
  who: Pick<LockHolder, 'role' | 'port' | 'command'>,
): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = lockFilePath(dataDir);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  let locked: boolean;
  try {
    locked = tryLock(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  if (!locked) {
    closeSync(fd);
    throw new DataDirLockedError(dataDir, readLockHolder(dataDir));
  }
  let holder: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    ...who,
    since: new Date().toISOString(),
  };
  const write = () => {
    ftruncateSync(fd, 0);
    writeSync(fd, `${JSON.stringify(holder)}\n`, 0);
  };
  write();
  let released = false;
  return {
    update(info) {
      if (released) return;
      holder = { ...holder, ...info };
      write();
    },
    release() {
      if (released) return;
      released = true;
      try {
        ftruncateSync(fd, 0);
        unlock(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}
