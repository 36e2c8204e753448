// Bodies and URLs a client may not send: JSON nested deeper than 64 levels, bodies over a route's size
// limit, URLs the router cannot read (a bad percent-escape, a path segment over 100 characters). Each is a
// 4xx in the error shape of the surface it was sent to (never a 500, never Fastify's own JSON), and the
// server keeps answering.
import { describe, expect, it } from 'vitest';
import { Api, useHarness } from '../helpers/harness.ts';
import { approvedInvoice, paymentRequest } from '../helpers/pay-page.ts';

const h = useHarness();

/** `[[[…1…]]]`: 20,000 levels in 40 KB, what overflowed the stack of a recursive walk. */
const DEEP_ARRAY = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
/** `{"a":{"a":…}}`, 65 levels: one more than allowed. */
const DEEP_OBJECT = `${'{"a":'.repeat(65)}1${'}'.repeat(65)}`;
/** 8,000 levels in 16 KB: within the payment page's 16 KiB limit, and deep enough to overflow a recursive walk. */
const DEEP_SMALL = `${'['.repeat(8000)}1${']'.repeat(8000)}`;
/** 64 levels: allowed (and then refused by the route's schema, a 400 of its own). */
const DEEP_64 = `${'{"a":'.repeat(64)}1${'}'.repeat(64)}`;

async function raw(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; type: string; text: string; json: any }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, type: response.headers.get('content-type') ?? '', text, json };
}

function backendShape(body: any, status: number, code: number, hint: RegExp): void {
  expect(body).toStrictEqual({
    error: expect.any(String),
    error_code: code,
    hint: expect.stringMatching(hint),
  });
  expect(Math.floor(code / 1000)).toBe(status);
}

describe('deeply nested JSON', () => {
  it('is a 400 in the backend shape on every JSON route, not a 500; 64 levels still parse', async () => {
    const { api } = await h.account();
    for (const [method, path] of [
      ['POST', '/customers'],
      ['POST', '/calls'],
      ['PATCH', '/account'],
      ['POST', '/webhooks'],
      ['POST', '/callEvents'],
    ] as const) {
      for (const body of [DEEP_ARRAY, DEEP_OBJECT]) {
        const res = await api.request(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(400);
        backendShape(res.body, 400, 400002, /nested more than 64 levels/);
      }
    }
    const ok = await api.post('/customers', DEEP_64);
    expect(ok.status).toBe(400);
    expect(ok.body.error_code).toBe(400001); // parsed, then refused by the schema: a.: unknown field
    expect((await api.get('/account')).status).toBe(200);
  });

  it('is a 400 on the unauthenticated pay page, as JSON in its own shape', async () => {
    const account = await h.account();
    const invoice = await approvedInvoice(account);
    const { path } = await paymentRequest(account, { invoiceId: invoice.id, email: 'pat@example.com' });
    const res = await raw(`${h.url}${path}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: DEEP_SMALL,
    });
    expect(res.status).toBe(400);
    expect(res.json).toStrictEqual({
      error: { code: 'malformed_request', message: expect.stringMatching(/nested more than 64 levels/) },
    });
    // An unknown link answers the same (the body is refused before the link is looked up).
    const unknown = await raw(`${h.url}/pay/${'x'.repeat(43)}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: DEEP_OBJECT,
    });
    expect(unknown.status).toBe(400);
  });

  it('is a 400 on the collections surface in its shape', async () => {
    const account = await h.account();
    const collect = new Api(account.api.baseUrl, account.key, '/collect/v1');
    const res = await collect.post('/requests', DEEP_ARRAY);
    expect(res.status).toBe(400);
    expect(res.body).toStrictEqual({
      error: { code: 'invalid_request', message: expect.stringMatching(/nested more than 64 levels/) },
    });
  });
});

describe('deeply nested JSON from a switch', () => {
  it("a pushed FreeSWITCH CDR (a form's cdr field, or base64) is a 400; a line of a JSON CDR file is refused, the others go in", async () => {
    const { api } = await h.account();
    const form = await api.request(
      'POST',
      '/calls/push/freeswitch',
      `cdr=${encodeURIComponent(DEEP_ARRAY)}`,
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    expect(form.status).toBe(400);
    backendShape(form.body, 400, 400002, /the cdr field is nested more than 64 levels deep/);
    const base64 = await api.request(
      'POST',
      '/calls/push/freeswitch',
      `cdr=${Buffer.from(DEEP_OBJECT).toString('base64')}`,
      { 'content-type': 'application/x-www-form-base64-encoded' },
    );
    expect(base64.status).toBe(400);
    backendShape(base64.body, 400, 400002, /nested more than 64 levels deep/);

    const line = JSON.stringify({
      variables: {
        uuid: 'a1',
        caller_id_number: '441134960000',
        destination_number: '447700900123',
        start_stamp: '2026-10-16 10:15:00',
        billsec: '95',
        hangup_cause: 'NORMAL_CLEARING',
      },
    });
    const file = await api.request(
      'POST',
      '/calls/files?format=freeswitch&timezone=UTC',
      `${line}\n${DEEP_ARRAY}\n`,
      { 'content-type': 'application/x-ndjson' },
    );
    expect(file.status).toBe(200);
    expect(file.body).toMatchObject({ received: 2, rejected: 1 });
    const rejected = (await api.get('/calls/rejected')).body;
    expect(rejected.map((r: any) => [r.line, r.reason])).toContainEqual([
      2,
      'nested more than 64 levels deep',
    ]);
  });
});

describe('body size limits per route', () => {
  it('a JSON body over 1 MiB is a 413 on an ordinary route; a batch of calls may be larger', async () => {
    const { api } = await h.account();
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024) });
    const res = await api.post('/customers', big);
    expect(res.status).toBe(413);
    backendShape(res.body, 413, 413001, /too large: at most 1048576 bytes/);

    // 2 MB of calls: over the ordinary limit, within the batch route's (each call refused for its content).
    const calls = Array.from({ length: 2000 }, (_, i) => ({ call_id: `c${i}`, notes: 'n'.repeat(1000) }));
    const batch = await api.post('/calls', calls);
    expect(batch.status).toBe(200);
    expect(batch.body.rejected).toBe(2000);
  });

  it('the pay page takes at most 16 KiB, answered in its own shape', async () => {
    const res = await raw(`${h.url}/pay/${'y'.repeat(43)}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cardName: 'x'.repeat(20_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.json).toStrictEqual({
      error: { code: 'malformed_request', message: expect.stringMatching(/too large/) },
    });
  });
});

describe('URLs the router cannot read', () => {
  const long = 'a'.repeat(101);

  it('answer in the backend shape', async () => {
    const { api } = await h.account();
    const bad = await api.get('/customers/%E0%A4');
    expect(bad.status).toBe(400);
    backendShape(bad.body, 400, 400002, /URL is malformed/);
    const tooLong = await api.get(`/customers/${long}`);
    expect(tooLong.status).toBe(414);
    backendShape(tooLong.body, 414, 414001, /longer than 100 characters/);
  });

  it('answer in the /v1 envelope', async () => {
    const account = await h.account();
    const v1 = new Api(account.api.baseUrl, account.key, '/v1');
    for (const [path, status] of [
      ['/calls/%E0%A4', 400],
      [`/calls/${long}`, 414],
    ] as const) {
      const res = await v1.get(path);
      expect(res.status, path).toBe(status);
      expect(res.body).toStrictEqual({
        success: false,
        error: { code: 'INVALID_REQUEST', message: expect.any(String) },
        meta: { timestamp: expect.any(String), request_id: expect.stringMatching(/^req_/) },
      });
    }
  });

  it('answer the feed as {"error"}, the collections surface in its shape', async () => {
    const account = await h.account();
    const feed = await raw(`${h.url}/api/2024-01-01/networks/transactions/%E0%A4.json`, {
      headers: { authorization: `Bearer ${account.key}` },
    });
    expect(feed.status).toBe(400);
    expect(feed.json).toStrictEqual({ error: expect.stringMatching(/URL is malformed/) });
    const feedLong = await raw(`${h.url}/api/2024-01-01/networks/transactions/${long}.json`, {
      headers: { authorization: `Bearer ${account.key}` },
    });
    expect(feedLong.status).toBe(414);
    expect(feedLong.json).toStrictEqual({ error: expect.any(String) });
    const collect = await raw(`${h.url}/collect/v1/requests/%E0%A4`, {
      headers: { authorization: `Bearer ${account.key}` },
    });
    expect(collect.status).toBe(400);
    expect(collect.json).toStrictEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
  });

  it('answer the pages (pay page, portal, download links) with an HTML page', async () => {
    for (const [path, status] of [
      ['/pay/%E0%A4', 400],
      [`/pay/${'t'.repeat(300)}`, 414],
      ['/portal/sign-in/%E0%A4', 400],
      [`/portal/sign-in/${'t'.repeat(300)}`, 414],
      ['/download/invoice/%E0%A4', 400],
      [`/download/invoice/${'t'.repeat(300)}`, 414],
      ['/download/invoice/%00', 400],
      ['/pay/x/nothing/here', 404],
      ['/portal/nothing/here', 404],
    ] as const) {
      const res = await raw(`${h.url}${path}`, { headers: { accept: 'text/html' } });
      expect([path, res.status]).toStrictEqual([path, status]);
      expect(res.type, path).toMatch(/^text\/html/);
      expect(res.text, path).toMatch(/^<!doctype html>/i);
    }
  });

  it("a request line over 16 KB (refused by the HTTP parser, before Fastify) answers in the surface's shape", async () => {
    const account = await h.account();
    const query = `?invoiceNumber=${'x'.repeat(20_000)}`;
    const backend = await raw(`${h.url}/backend/api/v1/invoices${query}`, {
      headers: { authorization: `Bearer ${account.key}` },
    });
    expect(backend.status).toBe(431);
    backendShape(backend.json, 431, 431001, /larger than 16 KB/);
    const v1 = await raw(`${h.url}/v1/calls${query}`);
    expect([v1.status, v1.json?.success, v1.json?.error?.code]).toStrictEqual([
      431,
      false,
      'INVALID_REQUEST',
    ]);
    const pay = await raw(`${h.url}/pay/abc${query}`);
    expect([pay.status, pay.type]).toStrictEqual([431, 'text/html; charset=utf-8']);
  });

  it('outside any surface: plain JSON {"error"}', async () => {
    const res = await raw(`${h.url}/nothing/%E0%A4`);
    expect(res.status).toBe(400);
    expect(res.json).toStrictEqual({ error: expect.any(String) });
    const missing = await raw(`${h.url}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.json).toStrictEqual({ error: expect.any(String) });
  });
});
