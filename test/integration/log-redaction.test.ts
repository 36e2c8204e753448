// No credential in the server's log: a real `ringbill serve` process, logging at trace level, is sent every
// kind of secret Ringbill takes (an API key as the feed's oauth_token parameter, as a bearer token and as
// HTTP Basic's password; payment-page, download-link and portal sign-in tokens in the path; a session
// cookie; token-bearing query parameters; the same inside malformed URLs whose error message quotes them),
// and its whole output is searched for each of them. Behind a trusted proxy (TRUST_PROXY), the log names
// the client's address, not the proxy's.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAccount } from '../../src/api-keys/create-account.ts';
import { createCtx } from '../../src/context.ts';
import { openPglite } from '../../src/db/connection.ts';
import { createTestDatabase, testDbKind, type TestDatabase } from '../helpers/db.ts';
import { freePort, killAllStarted, type Proc, startServer } from '../helpers/processes.ts';

const SLOW = { timeout: 480_000 };

let proc: Proc | undefined;
let testDb: TestDatabase | undefined;
let dataDir = '';
let port = 0;
let accountId = 0;
let apiKey = '';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ringbill-logs-'));
  let env: Record<string, string>;
  if (testDbKind() === 'postgres') {
    testDb = await createTestDatabase();
    env = { DATABASE_URL: testDb.url!, RINGBILL_DATA_DIR: dataDir };
    ({
      account: { id: accountId },
      apiKey: { key: apiKey },
    } = await createAccount(createCtx(testDb.database), {
      name: 'Log Telecom',
      timezone: 'Europe/London',
      currency: 'GBP',
    }));
  } else {
    // The migrated template, loaded into a real data folder (a fresh initdb costs seconds).
    const database = await openPglite({
      dataDir: join(dataDir, 'pgdata'),
      loadDataDir: new Blob([await readFile(inject('pgliteTemplatePath'))]),
    });
    ({
      account: { id: accountId },
      apiKey: { key: apiKey },
    } = await createAccount(createCtx(database), {
      name: 'Log Telecom',
      timezone: 'Europe/London',
      currency: 'GBP',
    }));
    await database.close();
    env = { RINGBILL_DATA_DIR: dataDir, DATABASE_URL: '' };
  }
  port = await freePort();
  // Behind a proxy on this machine (TRUST_PROXY): the log names the client X-Forwarded-For gives.
  proc = await startServer({ ...env, LOG_LEVEL: 'trace', TRUST_PROXY: '127.0.0.1' }, port);
}, 300_000);

afterAll(async () => {
  await killAllStarted();
  await testDb?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/** A token as Ringbill makes them (32 random bytes, base64url). */
const token = () => randomBytes(32).toString('base64url');

describe('the server log', () => {
  it('holds none of the credentials sent to it, in URLs, headers or error messages', SLOW, async () => {
    const base = `http://127.0.0.1:${port}`;
    const payToken = token();
    const downloadToken = token();
    const portalToken = token();
    const cookie = token();
    const accessToken = token();
    const basic = Buffer.from(`switch:${apiKey}`).toString('base64');
    const secrets = { apiKey, payToken, downloadToken, portalToken, cookie, accessToken, basic };

    const requests: [string, RequestInit?][] = [
      // The feed's documented way: the key as a query parameter (a 200).
      [`/api/2024-01-01/networks/transactions/${accountId}.json?oauth_token=${apiKey}&limit=1`],
      [
        `/api/2024-01-01/networks/transactions/${accountId}.csv?limit=1&oauth_token=${encodeURIComponent(apiKey)}`,
      ],
      // A bad key in the query: a 401 (its message must not echo it either).
      [`/api/2024-01-01/networks/transactions/${accountId}.json?oauth_token=${accessToken}`],
      [`/backend/api/v1/customers`, { headers: { authorization: `Bearer ${apiKey}` } }],
      [
        `/backend/api/v1/calls/push/freeswitch`,
        {
          method: 'POST',
          headers: { authorization: `Basic ${basic}`, 'content-type': 'application/json' },
          body: '{}',
        },
      ],
      [`/backend/api/v1/customers?access_token=${accessToken}&api_key=${apiKey}`],
      [`/pay/${payToken}`],
      [
        `/pay/${payToken}/payments`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"cardNumber": "4242424242424242"}',
        },
      ],
      [`/pay/${payToken}/plan?frequency=monthly&instalments=3`],
      [`/download/invoice/${downloadToken}`],
      [`/download/invoice/${downloadToken}`, { method: 'HEAD' }],
      [`/portal/sign-in/${portalToken}`],
      [`/portal`, { headers: { cookie: `rb_portal=${cookie}` } }],
      // Malformed URLs: the router's error quotes the path.
      [`/pay/${payToken}%E0%A4`],
      [`/download/invoice/${downloadToken}/${'x'.repeat(120)}`],
      [`/nowhere?oauth_token=${apiKey}`, { headers: { 'x-forwarded-for': '203.0.113.9' } }],
    ];
    for (const [path, init] of requests) {
      const response = await fetch(`${base}${path}`, { redirect: 'manual', ...init });
      await response.arrayBuffer();
      expect(response.status, path).toBeLessThan(500);
    }
    // The log is written as requests finish: wait for the last one's line.
    await proc!.waitFor(/"url":"\/nowhere/, 30_000);

    const log = proc!.output();
    if (process.env.SHOW_LOG) console.log(log);
    // The requests were logged (the test can fail): each URL, with its secrets replaced.
    expect(log).toContain('"url":"/pay/[redacted]"');
    expect(log).toContain('"url":"/pay/[redacted]/payments"');
    expect(log).toContain('"url":"/download/invoice/[redacted]"');
    expect(log).toContain('"url":"/portal/sign-in/[redacted]"');
    expect(log).toContain(
      `"url":"/api/2024-01-01/networks/transactions/${accountId}.json?oauth_token=[redacted]&limit=1"`,
    );
    expect(log).toContain('"url":"/backend/api/v1/customers?access_token=[redacted]&api_key=[redacted]"');
    expect(log).toMatch(
      /"url":"\/nowhere\?oauth_token=\[redacted\]","host":"[^"]+","remoteAddress":"203\.0\.113\.9"/,
    );
    for (const [name, secret] of Object.entries(secrets)) {
      expect(log.includes(secret), `${name} appears in the log`).toBe(false);
      // Nor any long piece of it (a truncated or re-encoded copy).
      expect(log.includes(secret.slice(3, 23)), `part of ${name} appears in the log`).toBe(false);
    }
  });
});
