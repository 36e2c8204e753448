// The embedded database's lock: an OS lock held by the process (fs-native-extensions: OFD locks on Linux),
// not a pid in a file; the refusal names the holder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataDirLockedError,
  describeHolder,
  displayPath,
  lockDataDir,
  lockFilePath,
} from '../../src/db/data-dir.ts';

describe('lockDataDir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringbill-lock-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'takes a lock another holder cannot take while it is held, and writes who holds it',
    { timeout: 60_000 },
    () => {
      const lock = lockDataDir(dir, { role: 'server', port: 8080 });
      expect(JSON.parse(readFileSync(lockFilePath(dir), 'utf8'))).toEqual({
        pid: process.pid,
        hostname: hostname(),
        role: 'server',
        port: 8080,
        since: expect.any(String),
      });
      let refused: unknown;
      try {
        lockDataDir(dir, { role: 'command', command: 'ringbill accounts list' });
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(DataDirLockedError);
      expect((refused as Error).message).toMatch(
        new RegExp(
          `^a Ringbill server \\(pid ${process.pid}, port 8080, since \\d\\d:\\d\\d\\) is using ${dir}$`,
        ),
      );
      // Another process cannot take it either.
      const other = spawnSync(
        process.execPath,
        [
          '-e',
          `const fs=require('fs');const {tryLock}=require('fs-native-extensions');process.stdout.write(String(tryLock(fs.openSync(${JSON.stringify(lockFilePath(dir))},'r+'))))`,
        ],
        { encoding: 'utf8' },
      );
      expect(other.stdout).toBe('false');
      lock.release();
      const after = spawnSync(
        process.execPath,
        [
          '-e',
          `const fs=require('fs');const {tryLock}=require('fs-native-extensions');process.stdout.write(String(tryLock(fs.openSync(${JSON.stringify(lockFilePath(dir))},'r+'))))`,
        ],
        { encoding: 'utf8' },
      );
      expect(after.stdout).toBe('true');
    },
  );

  it('ignores what a lock file says when nobody holds the lock (a live pid from before a reboot)', () => {
    writeFileSync(lockFilePath(dir), String(process.ppid));
    const lock = lockDataDir(dir, { role: 'command', command: 'ringbill bill' });
    expect(JSON.parse(readFileSync(lockFilePath(dir), 'utf8'))).toMatchObject({
      pid: process.pid,
      role: 'command',
      command: 'ringbill bill',
    });
    lock.release();
  });

  it('describes holders as a person would say it', () => {
    const since = new Date(2026, 10, 3, 10, 2);
    const now = new Date(2026, 10, 3, 17, 0);
    expect(
      describeHolder(
        { pid: 14302, hostname: hostname(), role: 'server', port: 8080, since: since.toISOString() },
        now,
      ),
    ).toBe('a Ringbill server (pid 14302, port 8080, since 10:02)');
    expect(
      describeHolder(
        {
          pid: 9,
          hostname: 'db-2',
          role: 'command',
          command: 'ringbill import calls',
          since: since.toISOString(),
        },
        new Date(2026, 10, 4),
      ),
    ).toBe('a Ringbill command (pid 9, host db-2, "ringbill import calls", since 2026-11-03 10:02)');
    expect(describeHolder(undefined)).toBe('another process');
    expect(displayPath('/srv/ringbill/data', '/srv/ringbill')).toBe('./data');
    expect(displayPath('/var/lib/ringbill', '/srv/ringbill')).toBe('/var/lib/ringbill');
  });
});
