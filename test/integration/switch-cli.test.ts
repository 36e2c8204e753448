// `ringbill import calls FILE --format …` as a user runs it: a real process, the real Asterisk sample and
// a FreeSWITCH file, the summary on stdout naming the format found. On PGlite (the command opens the data
// folder itself) and on PostgreSQL through DATABASE_URL.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db.ts';

const run = promisify(execFile);
const BIN = resolve('bin/ringbill.js');
const FIXTURES = resolve('test/fixtures/switch');

describe('ringbill import calls --format', () => {
  let dataDir: string;
  let testDb: TestDatabase | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ringbill-cli-switch-'));
    env = { RINGBILL_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    if (testDbKind() === 'postgres') {
      testDb = await createTestDatabase();
      env.DATABASE_URL = testDb.url!;
    }
  });
  afterAll(async () => {
    await testDb?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function ringbill(...args: string[]) {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
        env: { ...process.env, ...env },
        timeout: 120_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return {
        code: typeof e.code === 'number' ? e.code : 1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      };
    }
  }

  it('detects the format, says which, refuses what is not a call with its line, and changes nothing the second time', async () => {
    const created = await ringbill(
      'accounts',
      'create',
      '--name',
      'PBX Reseller',
      '--timezone',
      'UTC',
      '--json',
    );
    expect(created.code).toBe(0);
    const account = String(JSON.parse(created.stdout).account.id);
    const sample = join(FIXTURES, 'asterisk/master-anon.csv');

    const first = await ringbill('import', 'calls', sample, '--account', account, '--format', 'auto');
    expect(first.code).toBe(0);
    const out = first.stdout.trimEnd().split('\n');
    expect(out[0]).toBe('Detected: Asterisk CDRs with a header naming their fields.');
    expect(out[1]).toMatch(
      /^Read 458 call record\(s\) from master-anon\.csv: (\d+) new, 7 already loaded, (\d+) refused\.$/,
    );
    expect(out).toContain(
      '  line 14: not a call to bill: from "1000" is an internal extension (4 digits or fewer), not a phone number; to "s" is Asterisk\'s start extension (no number was dialled)',
    );
    const [, inserted, refused] = /(\d+) new, 7 already loaded, (\d+) refused/.exec(out[1]!)!;
    expect(Number(inserted) + 7 + Number(refused)).toBe(458);

    const again = await ringbill(
      'import',
      'calls',
      sample,
      '--account',
      account,
      '--format',
      'asterisk',
      '--json',
    );
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      format: 'asterisk',
      formatDetected: false,
      received: 458,
      inserted: 0,
      duplicates: Number(inserted) + 7,
      rejected: Number(refused),
    });

    // Internal calls kept, for this import: stored, not refused.
    const fs = join(FIXTURES, 'freeswitch/Master.csv');
    const stored = await ringbill(
      'import',
      'calls',
      fs,
      '--account',
      account,
      '--format',
      'freeswitch',
      '--internal-calls',
      'store',
      '--timezone',
      'Europe/London',
      '--json',
    );
    expect(JSON.parse(stored.stdout)).toMatchObject({
      format: 'freeswitch',
      received: 7,
      inserted: 6,
      internal: 1,
      rejected: 1,
    });

    const bad = await ringbill('import', 'calls', sample, '--account', account, '--format', 'sideways');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /argument 'sideways' is invalid\. Allowed choices are ringbill, asterisk, freeswitch, kamailio, opensips, cgrates, auto/,
    );
    const country = await ringbill(
      'import',
      'calls',
      sample,
      '--account',
      account,
      '--format',
      'auto',
      '--country',
      'Narnia',
    );
    expect(country.code).toBe(1);
    expect(country.stderr.trim()).toBe(
      'error: country: "Narnia" is not a country code such as GB or US (ISO 3166 alpha-2)',
    );
    const unknown = await ringbill(
      'import',
      'calls',
      join(FIXTURES, 'README.md'),
      '--account',
      account,
      '--format',
      'auto',
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: format: could not tell which switch wrote this file/);
  }, 600_000); // seven processes, each opening the database
});
