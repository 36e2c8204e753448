// Document 002 on /v1: GET /v1/calls?invoice_id=… (the {success, data, meta} envelope, every call field in
// its documented form, data: false, paging), GET /v1/calls/{id}, the four documented error responses byte
// for byte in shape, the per-key rate limit, and recordings and transcriptions uploaded to Ringbill.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.ts';
import { Api, makeCustomer, makeFeature, useHarness, type TestAccount } from '../helpers/harness.ts';

const h = useHarness();

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const REQUEST_ID = /^req_[0-9a-f]{24}$/;
const anyMeta = {
  timestamp: expect.stringMatching(TIMESTAMP),
  request_id: expect.stringMatching(REQUEST_ID),
};

/** The error body of document 002, with its code and message. */
function errorBody(code: string, message: string) {
  return { success: false, error: { code, message }, meta: anyMeta };
}

interface CallSpec {
  call_id: string;
  from?: string;
  to?: string;
  start_time?: string;
  duration_s?: number;
  status?: string;
  recording_url?: string;
  transcription_url?: string;
  confidence_score?: number | string;
  voice_agent_id?: string;
}

interface Billed {
  account: TestAccount;
  v1: Api;
  invoiceId: number;
  customerId: string;
  /** Ringbill's call id for each call_id given. */
  callIds: Record<string, number>;
}

const FROM = '+1234567890';

/**
 * An account with a rate card, a customer whose line is FROM, these calls sent in, and an invoice (cut off
 * 2024-02-01) that the calls before February go on.
 */
async function billedCalls(
  calls: CallSpec[],
  options: { timezone?: string; account?: TestAccount } = {},
): Promise<Billed> {
  const account =
    options.account ??
    (await h.account({ timezone: options.timezone ?? 'America/New_York', currency: 'USD' }));
  const { api } = account;
  const card = await api.post('/rateCards', {
    name: `Standard ${randomBytes(3).toString('hex')}`,
    isDefault: options.account === undefined,
  });
  expect(card.status, card.text).toBe(201);
  const rates = await api.request('PUT', `/rateCards/${card.body.id}/rates`, {
    effectiveFrom: '2024-01-01',
    rates: [
      { prefix: '0', destination: 'Zero', ratePerMinute: '0.02' },
      { prefix: '1', destination: 'North America', ratePerMinute: '0.01' },
    ],
  });
  expect(rates.status, rates.text).toBe(200);
  const customer = await makeCustomer(api, { rateCardID: undefined });
  const from = calls[0]?.from ?? FROM;
  await makeFeature(api, customer.id, { phoneNumber: from, startDate: '2024-01-01' });
  if (calls.length > 0) {
    const sent = await api.post(
      '/calls',
      calls.map((c) => ({
        from,
        to: '+0987654321',
        start_time: '2024-01-15T10:30:00Z',
        duration_s: 180,
        status: 'completed',
        ...c,
      })),
    );
    expect(sent.status, sent.text).toBe(200);
    expect(sent.body.rejected, sent.text).toBe(0);
  }
  const invoice = await api.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2024-02-01' });
  expect(invoice.status, invoice.text).toBe(201);
  const rows = await h.ctx.db
    .selectFrom('calls')
    .select(['id', 'source_call_id'])
    .where('account_id', '=', account.id)
    .execute();
  return {
    account,
    v1: new Api(h.url, account.key, '/v1'),
    invoiceId: Number(invoice.body.id),
    customerId: customer.id,
    callIds: Object.fromEntries(rows.map((r) => [r.source_call_id, r.id])),
  };
}

describe('GET /v1/calls?invoice_id=…', () => {
  it('answers the envelope with every call field in its documented form', async () => {
    const b = await billedCalls([
      {
        call_id: 'src-1',
        start_time: '2024-01-15T10:30:00Z',
        duration_s: 180,
        recording_url: 'https://api.credira.com/recordings/call_123456789.mp3',
        transcription_url: 'https://api.credira.com/transcriptions/call_123456789.txt',
        confidence_score: 0.95,
        voice_agent_id: 'agent_456789123',
      },
      { call_id: 'src-2', start_time: '2024-01-20T23:59:59.750Z', duration_s: 61 },
    ]);
    const res = await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}`, {
      'content-type': 'application/json',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toStrictEqual({
      success: true,
      data: [
        {
          id: `call_${b.callIds['src-1']}`,
          invoice_id: `inv_${b.invoiceId}`,
          duration: 180,
          status: 'completed',
          from: '+1234567890',
          to: '+0987654321',
          transcription_url: 'https://api.credira.com/transcriptions/call_123456789.txt',
          call_recording_url: 'https://api.credira.com/recordings/call_123456789.mp3',
          confidence_score: 0.95,
          voice_agent_id: 'agent_456789123',
          timezone: 'America/New_York',
          account_id: `acc_${b.account.id}`,
          created_time: '2024-01-15T10:30:00Z',
          billed_duration: 180,
        },
        {
          id: `call_${b.callIds['src-2']}`,
          invoice_id: `inv_${b.invoiceId}`,
          duration: 61,
          status: 'completed',
          from: '+1234567890',
          to: '+0987654321',
          transcription_url: null,
          call_recording_url: null,
          confidence_score: null,
          voice_agent_id: null,
          timezone: 'America/New_York',
          account_id: `acc_${b.account.id}`,
          created_time: '2024-01-20T23:59:59Z',
          // duration is how long the call lasted; billed_duration (an extension) what it was billed for:
          // 61 s at per-minute increments bills 120 s.
          billed_duration: 120,
        },
      ],
      meta: { ...anyMeta, total_calls: 2 },
    });
    // The documented key order, as the example shows it.
    expect(Object.keys(res.body)).toStrictEqual(['success', 'data', 'meta']);
    expect(Object.keys(res.body.data[0])).toStrictEqual([
      'id',
      'invoice_id',
      'duration',
      'status',
      'from',
      'to',
      'transcription_url',
      'call_recording_url',
      'confidence_score',
      'voice_agent_id',
      'timezone',
      'account_id',
      'created_time',
      'billed_duration',
    ]);
    expect(Object.keys(res.body.meta)).toStrictEqual(['timestamp', 'request_id', 'total_calls']);
    // A JSON number, not a decimal string.
    expect(res.text).toContain('"confidence_score":0.95,');
    expect(res.headers.get('x-request-id')).toBe(res.body.meta.request_id);
  });

  it("takes the invoice id with or without its prefix, and lists only that invoice's calls", async () => {
    const b = await billedCalls([
      { call_id: 'jan', start_time: '2024-01-31T12:00:00Z' },
      // After the cut-off: waits for the next invoice.
      { call_id: 'feb', start_time: '2024-02-02T12:00:00Z' },
    ]);
    const prefixed = await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}`);
    const bare = await b.v1.get(`/calls?invoice_id=${b.invoiceId}`);
    expect(prefixed.status).toBe(200);
    expect(bare.status).toBe(200);
    expect(bare.body.data).toStrictEqual(prefixed.body.data);
    expect(prefixed.body.data.map((c: any) => c.id)).toStrictEqual([`call_${b.callIds.jan}`]);
    expect(prefixed.body.meta.total_calls).toBe(1);
    // Every response has its own request id.
    expect(bare.body.meta.request_id).not.toBe(prefixed.body.meta.request_id);
  });

  it('answers data: false when the invoice has no calls', async () => {
    const b = await billedCalls([]);
    const res = await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}`);
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ success: true, data: false, meta: { ...anyMeta, total_calls: 0 } });
    expect(res.text).toContain('"data":false');
  });

  it('reports times in UTC whatever the account timezone, and the account timezone on each call', async () => {
    const b = await billedCalls([{ call_id: 'tokyo', start_time: '2024-01-15T09:00:00+09:00' }], {
      timezone: 'Asia/Tokyo',
    });
    const res = await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}`);
    expect(res.body.data[0]).toMatchObject({ timezone: 'Asia/Tokyo', created_time: '2024-01-15T00:00:00Z' });
  });

  it('pages long invoices with limit and starting_after, keeping total_calls the invoice total', async () => {
    const specs = Array.from({ length: 5 }, (_, i) => ({
      call_id: `p${i}`,
      start_time: `2024-01-1${i}T08:00:00Z`,
    }));
    const b = await billedCalls(specs);
    const ids = specs.map((s) => `call_${b.callIds[s.call_id]}`);

    const first = await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.data.map((c: any) => c.id)).toStrictEqual(ids.slice(0, 2));
    expect(first.body.meta).toStrictEqual({
      ...anyMeta,
      total_calls: 5,
      has_more: true,
      next_starting_after: ids[1],
    });
    expect(Object.keys(first.body.meta)).toStrictEqual([
      'timestamp',
      'request_id',
      'total_calls',
      'has_more',
      'next_starting_after',
    ]);

    const second = await b.v1.get(
      `/calls?invoice_id=inv_${b.invoiceId}&limit=2&starting_after=${first.body.meta.next_starting_after}`,
    );
    expect(second.body.data.map((c: any) => c.id)).toStrictEqual(ids.slice(2, 4));
    expect(second.body.meta).toStrictEqual({
      ...anyMeta,
      total_calls: 5,
      has_more: true,
      next_starting_after: ids[3],
    });

    // The cursor also goes without its prefix.
    const bareCursor = String(b.callIds.p3);
    const last = await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}&limit=2&starting_after=${bareCursor}`);
    expect(last.body.data.map((c: any) => c.id)).toStrictEqual(ids.slice(4));
    expect(last.body.meta).toStrictEqual({ ...anyMeta, total_calls: 5 });

    // Past the last call: an empty page (the invoice still has calls, so not false).
    const beyond = await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}&starting_after=${ids[4]}`);
    expect(beyond.body).toStrictEqual({ success: true, data: [], meta: { ...anyMeta, total_calls: 5 } });

    // Without limit, every call of an invoice of up to 10000 calls (the largest page) comes at once.
    const all = await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}`);
    expect(all.body.data).toHaveLength(5);
    expect((await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}&limit=10000`)).status).toBe(200);
  });
});

describe('GET /v1/calls: the documented error responses', () => {
  let b: Billed;
  beforeAll(async () => {
    b = await billedCalls([{ call_id: 'e1' }]);
  });

  it('400 INVALID_REQUEST when invoice_id is missing', async () => {
    const res = await b.v1.get('/calls');
    expect(res.status).toBe(400);
    expect(res.body).toStrictEqual(errorBody('INVALID_REQUEST', 'Missing required parameter: invoice_id'));
    expect(Object.keys(res.body)).toStrictEqual(['success', 'error', 'meta']);
    expect(Object.keys(res.body.meta)).toStrictEqual(['timestamp', 'request_id']);
    expect(res.headers.get('x-request-id')).toBe(res.body.meta.request_id);
    // An empty value is no value.
    expect((await b.v1.get('/calls?invoice_id=')).body).toStrictEqual(
      errorBody('INVALID_REQUEST', 'Missing required parameter: invoice_id'),
    );
  });

  it('400 INVALID_REQUEST naming the parameter when one is malformed', async () => {
    const twice = await b.v1.get(`/calls?invoice_id=${b.invoiceId}&invoice_id=${b.invoiceId}`);
    expect(twice.status).toBe(400);
    expect(twice.body).toStrictEqual(
      errorBody('INVALID_REQUEST', 'Invalid parameter: invoice_id must be given once'),
    );
    for (const limit of ['0', '10001', 'ten', '2.5']) {
      const res = await b.v1.get(`/calls?invoice_id=${b.invoiceId}&limit=${limit}`);
      expect({ limit, status: res.status, body: res.body }).toStrictEqual({
        limit,
        status: 400,
        body: errorBody('INVALID_REQUEST', 'Invalid parameter: limit must be an integer from 1 to 10000'),
      });
    }
    const cursor = await b.v1.get(`/calls?invoice_id=${b.invoiceId}&starting_after=abc`);
    expect(cursor.status).toBe(400);
    expect(cursor.body).toStrictEqual(
      errorBody(
        'INVALID_REQUEST',
        'Invalid parameter: starting_after must be a call id such as call_123456789',
      ),
    );
  });

  it('401 UNAUTHORIZED without a key, with a wrong key, and with a revoked key', async () => {
    const unauthorized = errorBody('UNAUTHORIZED', 'Invalid or missing API key');
    const path = `/calls?invoice_id=inv_${b.invoiceId}`;
    const none = await new Api(h.url, undefined, '/v1').get(path);
    expect(none.status).toBe(401);
    expect(none.body).toStrictEqual(unauthorized);
    expect(none.headers.get('x-request-id')).toBe(none.body.meta.request_id);
    const wrong = await new Api(h.url, 'rb_not_a_real_key', '/v1').get(path);
    expect([wrong.status, wrong.body]).toStrictEqual([401, unauthorized]);
    const notBearer = await b.v1.get(path, { authorization: `Basic ${b.account.key}` });
    expect([notBearer.status, notBearer.body]).toStrictEqual([401, unauthorized]);

    const created = await b.account.api.post('/apiKeys', { level: 1 });
    expect(created.status, created.text).toBe(201);
    const key = new Api(h.url, created.body.key, '/v1');
    expect((await key.get(path)).status).toBe(200);
    expect((await b.account.api.delete(`/apiKeys/${created.body.id}`)).status).toBe(200);
    const revoked = await key.get(path);
    expect([revoked.status, revoked.body]).toStrictEqual([401, unauthorized]);
    // Missing key beats a missing parameter.
    expect((await new Api(h.url, undefined, '/v1').get('/calls')).body).toStrictEqual(unauthorized);
  });

  it("404 NOT_FOUND for an unknown invoice, and for another account's", async () => {
    const notFound = errorBody('NOT_FOUND', 'Invoice not found');
    const unknown = await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId + 100000}`);
    expect([unknown.status, unknown.body]).toStrictEqual([404, notFound]);
    const other = await h.account();
    const otherV1 = new Api(h.url, other.key, '/v1');
    const theirs = await otherV1.get(`/calls?invoice_id=inv_${b.invoiceId}`);
    expect([theirs.status, theirs.body]).toStrictEqual([404, notFound]);
    expect((await otherV1.get(`/calls?invoice_id=${b.invoiceId}`)).body).toStrictEqual(notFound);
  });

  it('404 NOT_FOUND, not 400, for any invoice_id value that names no invoice (only a missing one is 400)', async () => {
    const notFound = errorBody('NOT_FOUND', 'Invoice not found');
    const values = [
      'abc',
      'inv_',
      'inv_abc',
      'inv_0',
      'inv_-1',
      'INV_1',
      `INV_${b.invoiceId}`,
      'inv_12x',
      '-3',
      '1e3',
      '1234567890123456',
      'inv_99999999999999999999999',
      ' ',
    ];
    for (const value of values) {
      const res = await b.v1.get(`/calls?invoice_id=${encodeURIComponent(value)}`);
      expect({ value, status: res.status, body: res.body }).toStrictEqual({
        value,
        status: 404,
        body: notFound,
      });
    }
  });

  it('404 NOT_FOUND in the same shape for a path that does not exist', async () => {
    const res = await b.v1.get('/nope');
    expect(res.status).toBe(404);
    expect(res.body).toStrictEqual(errorBody('NOT_FOUND', 'Route not found: GET /v1/nope'));
    expect(res.headers.get('x-request-id')).toBe(res.body.meta.request_id);
  });
});

describe('the per-key rate limit: 429 RATE_LIMITED', () => {
  let app: FastifyInstance;
  let url: string;
  beforeAll(async () => {
    app = await buildServer(h.ctx, { rateLimitPerMinute: 3 });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers 429 with the documented body once a key has made its requests this minute; other keys go on', async () => {
    const b = await billedCalls([{ call_id: 'r1' }]);
    const v1 = new Api(url, b.account.key, '/v1');
    const path = `/calls?invoice_id=inv_${b.invoiceId}`;
    // Requests refused for a bad key count against no one.
    for (let i = 0; i < 5; i++) expect((await new Api(url, 'rb_wrong', '/v1').get(path)).status).toBe(401);
    const answered: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await v1.get(i === 1 ? '/calls' : path);
      answered.push(res.status);
      expect(res.headers.get('x-ratelimit-limit')).toBe('3');
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(2 - i));
    }
    expect(answered).toStrictEqual([200, 400, 200]);
    const limited = await v1.get(path);
    expect(limited.status).toBe(429);
    expect(limited.body).toStrictEqual(errorBody('RATE_LIMITED', 'Rate limit exceeded'));
    expect(Object.keys(limited.body)).toStrictEqual(['success', 'error', 'meta']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(limited.headers.get('x-request-id')).toBe(limited.body.meta.request_id);
    // Every route of the surface shares the key's allowance.
    expect((await v1.get(`/calls/call_${b.callIds.r1}`)).status).toBe(429);

    // Another key of the same account has its own allowance.
    const second = await b.account.withLevel(1);
    expect((await new Api(url, second.key, '/v1').get(path)).status).toBe(200);
    // The limit is this surface's: the backend API is not limited by it.
    expect((await new Api(url, b.account.key).get('/account')).status).toBe(200);
  });
});

describe('GET /v1/calls/{id}', () => {
  let b: Billed;
  beforeAll(async () => {
    b = await billedCalls([
      { call_id: 'one', confidence_score: '1', voice_agent_id: '456789123' },
      { call_id: 'later', start_time: '2024-03-01T00:00:00Z' },
      { call_id: 'bot', voice_agent_id: 'bot7' },
    ]);
  });

  it('answers one call in the envelope, by call_<id> or the bare id', async () => {
    const id = b.callIds.one!;
    const res = await b.v1.get(`/calls/call_${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({
      success: true,
      data: {
        id: `call_${id}`,
        invoice_id: `inv_${b.invoiceId}`,
        duration: 180,
        status: 'completed',
        from: '+1234567890',
        to: '+0987654321',
        transcription_url: null,
        call_recording_url: null,
        confidence_score: 1,
        // Sent without the prefix; document 002 shows agent ids as agent_….
        voice_agent_id: 'agent_456789123',
        timezone: 'America/New_York',
        account_id: `acc_${b.account.id}`,
        created_time: '2024-01-15T10:30:00Z',
        billed_duration: 180,
      },
      meta: anyMeta,
    });
    expect((await b.v1.get(`/calls/${id}`)).body.data).toStrictEqual(res.body.data);
  });

  it('shows a call on no invoice yet with invoice_id null', async () => {
    const res = await b.v1.get(`/calls/call_${b.callIds.later}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      id: `call_${b.callIds.later}`,
      invoice_id: null,
      created_time: '2024-03-01T00:00:00Z',
      voice_agent_id: null,
    });
  });

  it('shows voice agent ids as agent_…, whether or not they were sent with the prefix', async () => {
    const bot = await b.v1.get(`/calls/call_${b.callIds.bot}`);
    expect([bot.status, bot.body.data.voice_agent_id]).toStrictEqual([200, 'agent_bot7']);
    const listed = await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}`);
    expect(listed.body.data.map((c: any) => c.voice_agent_id)).toStrictEqual([
      'agent_456789123',
      'agent_bot7',
    ]);
  });

  it('404 NOT_FOUND "Call not found" for an unknown or malformed id and for another account\'s call', async () => {
    const notFound = errorBody('NOT_FOUND', 'Call not found');
    for (const id of [`call_${b.callIds.one! + 100000}`, 'call_abc', 'inv_1', '0']) {
      const res = await b.v1.get(`/calls/${id}`);
      expect({ id, status: res.status, body: res.body }).toStrictEqual({ id, status: 404, body: notFound });
    }
    const other = await h.account();
    const theirs = await new Api(h.url, other.key, '/v1').get(`/calls/call_${b.callIds.one}`);
    expect([theirs.status, theirs.body]).toStrictEqual([404, notFound]);
  });

  it('401 UNAUTHORIZED without a key', async () => {
    const res = await new Api(h.url, undefined, '/v1').get(`/calls/call_${b.callIds.one}`);
    expect([res.status, res.body]).toStrictEqual([
      401,
      errorBody('UNAUTHORIZED', 'Invalid or missing API key'),
    ]);
  });
});

/** A PUT or GET with raw bytes (the Api helper speaks JSON). */
async function raw(
  url: string,
  method: 'PUT' | 'GET',
  key: string | undefined,
  body?: Buffer | string,
  contentType?: string,
) {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (contentType !== undefined) headers['content-type'] = contentType;
  const payload = typeof body === 'string' || body === undefined ? body : new Uint8Array(body);
  const res = await fetch(url, { method, headers, body: payload });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: any;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, bytes, json };
}

describe('recordings and transcriptions uploaded to Ringbill', () => {
  let b: Billed;
  let callId: number;
  beforeAll(async () => {
    b = await billedCalls([
      {
        call_id: 'rec',
        recording_url: 'https://switch.example/rec/1.mp3',
        transcription_url: 'https://switch.example/tx/1.txt',
      },
      { call_id: 'plain' },
    ]);
    callId = b.callIds.rec!;
  });
  const fileUrl = (id: number | string, kind: string) =>
    `${h.url}/v1/calls/${typeof id === 'number' ? `call_${id}` : id}/${kind}`;

  it("stores a recording as sent and serves it back, with its content type, to the account's keys", async () => {
    const audio = randomBytes(64 * 1024);
    const put = await raw(fileUrl(callId, 'recording'), 'PUT', b.account.key, audio, 'audio/mpeg');
    expect(put.status, put.bytes.toString()).toBe(200);
    expect(put.json).toStrictEqual({
      success: true,
      data: expect.objectContaining({
        id: `call_${callId}`,
        call_recording_url: fileUrl(callId, 'recording'),
        // The other kind keeps the URL given at ingestion.
        transcription_url: 'https://switch.example/tx/1.txt',
      }),
      meta: anyMeta,
    });

    const got = await raw(fileUrl(callId, 'recording'), 'GET', b.account.key);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('audio/mpeg');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.bytes.equals(audio)).toBe(true);
    // The bare id works too, and the list shows the served URL.
    expect((await raw(fileUrl(String(callId), 'recording'), 'GET', b.account.key)).bytes.equals(audio)).toBe(
      true,
    );
    const listed = await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}`);
    const call = listed.body.data.find((c: any) => c.id === `call_${callId}`);
    expect(call.call_recording_url).toBe(fileUrl(callId, 'recording'));

    // In the database: one row of the account, the bytes as sent.
    const rows = await h.ctx.db
      .selectFrom('call_files')
      .selectAll()
      .where('account_id', '=', b.account.id)
      .execute();
    expect(
      rows.map((r) => [r.call_id, r.kind, r.content_type, Buffer.from(r.content).equals(audio)]),
    ).toStrictEqual([[callId, 'recording', 'audio/mpeg', true]]);

    // A new upload replaces the old one.
    const replacement = randomBytes(100);
    expect(
      (await raw(fileUrl(callId, 'recording'), 'PUT', b.account.key, replacement, 'audio/wav')).status,
    ).toBe(200);
    const again = await raw(fileUrl(callId, 'recording'), 'GET', b.account.key);
    expect([again.headers.get('content-type'), again.bytes.equals(replacement)]).toStrictEqual([
      'audio/wav',
      true,
    ]);
  });

  it('takes recordings larger than the server-wide body limit (10 MB), up to 50 MB', async () => {
    const id = b.callIds.plain!;
    const audio = randomBytes(11 * 1024 * 1024);
    const put = await raw(fileUrl(id, 'recording'), 'PUT', b.account.key, audio, 'audio/ogg');
    expect(put.status, put.bytes.toString()).toBe(200);
    const got = await raw(fileUrl(id, 'recording'), 'GET', b.account.key);
    expect([
      got.headers.get('content-type'),
      got.headers.get('content-length'),
      got.bytes.equals(audio),
    ]).toStrictEqual(['audio/ogg', String(audio.length), true]);
    // Gone again, so the other tests see the call without a recording (the upload made it the call's recording URL).
    await h.ctx.db
      .deleteFrom('call_files')
      .where('account_id', '=', b.account.id)
      .where('call_id', '=', id)
      .execute();
    await h.ctx.db
      .updateTable('calls')
      .set({ recording_url: null })
      .where('account_id', '=', b.account.id)
      .where('id', '=', id)
      .execute();
  });

  it('stores a transcription of any text type without parsing it', async () => {
    const id = b.callIds.plain!;
    const json = '{"segments": [{"speaker": "agent", "text": "Hello"}], "__proto__": {"x": 1}}';
    const put = await raw(fileUrl(id, 'transcription'), 'PUT', b.account.key, json, 'application/json');
    expect(put.status, put.bytes.toString()).toBe(200);
    expect(put.json.data).toMatchObject({
      transcription_url: fileUrl(id, 'transcription'),
      call_recording_url: null,
    });
    const got = await raw(fileUrl(id, 'transcription'), 'GET', b.account.key);
    expect(got.headers.get('content-type')).toBe('application/json');
    expect(got.bytes.toString('utf8')).toBe(json);

    const text = 'Agent: Hello — how can I help?\n';
    expect(
      (await raw(fileUrl(id, 'transcription'), 'PUT', b.account.key, text, 'text/plain; charset=utf-8'))
        .status,
    ).toBe(200);
    const gotText = await raw(fileUrl(id, 'transcription'), 'GET', b.account.key);
    expect([gotText.headers.get('content-type'), gotText.bytes.toString('utf8')]).toStrictEqual([
      'text/plain; charset=utf-8',
      text,
    ]);
  });

  it('stores a file sent without a Content-Type as application/octet-stream', async () => {
    const id = b.callIds.plain!;
    const bytes = randomBytes(10);
    const put = await raw(fileUrl(id, 'recording'), 'PUT', b.account.key, bytes);
    expect(put.status, put.bytes.toString()).toBe(200);
    const got = await raw(fileUrl(id, 'recording'), 'GET', b.account.key);
    expect([got.headers.get('content-type'), got.bytes.equals(bytes)]).toStrictEqual([
      'application/octet-stream',
      true,
    ]);
  });

  it("keeps the files from other accounts: 404 to read or write another account's call", async () => {
    const other = await h.account();
    const read = await raw(fileUrl(callId, 'recording'), 'GET', other.key);
    expect([read.status, read.json]).toStrictEqual([404, errorBody('NOT_FOUND', 'Recording not found')]);
    const write = await raw(
      fileUrl(callId, 'recording'),
      'PUT',
      other.key,
      Buffer.from('evil'),
      'audio/mpeg',
    );
    expect([write.status, write.json]).toStrictEqual([404, errorBody('NOT_FOUND', 'Call not found')]);
    const anonymous = await raw(fileUrl(callId, 'recording'), 'GET', undefined);
    expect([anonymous.status, anonymous.json]).toStrictEqual([
      401,
      errorBody('UNAUTHORIZED', 'Invalid or missing API key'),
    ]);
    // The owner's file is untouched, and the other account has no file rows.
    expect((await raw(fileUrl(callId, 'recording'), 'GET', b.account.key)).status).toBe(200);
    const theirs = await h.ctx.db
      .selectFrom('call_files')
      .select('call_id')
      .where('account_id', '=', other.id)
      .execute();
    expect(theirs).toStrictEqual([]);
  });

  it('404 for a call without an uploaded file, even one with a URL from ingestion', async () => {
    const res = await raw(fileUrl(callId, 'transcription'), 'GET', b.account.key);
    expect([res.status, res.json]).toStrictEqual([404, errorBody('NOT_FOUND', 'Transcription not found')]);
    const unknown = await raw(
      fileUrl(callId + 100000, 'recording'),
      'PUT',
      b.account.key,
      Buffer.from('x'),
      'audio/mpeg',
    );
    expect([unknown.status, unknown.json]).toStrictEqual([404, errorBody('NOT_FOUND', 'Call not found')]);
  });

  it('refuses empty files, bad content types, files over the limit, and keys below level 2', async () => {
    const empty = await raw(
      fileUrl(callId, 'transcription'),
      'PUT',
      b.account.key,
      Buffer.alloc(0),
      'text/plain',
    );
    expect([empty.status, empty.json]).toStrictEqual([
      400,
      errorBody('INVALID_REQUEST', 'body: the transcription file is empty'),
    ]);
    const badType = await raw(fileUrl(callId, 'transcription'), 'PUT', b.account.key, 'hello', 'not a type');
    expect([badType.status, badType.json]).toStrictEqual([
      415,
      errorBody('INVALID_REQUEST', 'Content-Type: must be a media type such as audio/mpeg or text/plain'),
    ]);
    const tooLarge = await raw(
      fileUrl(callId, 'transcription'),
      'PUT',
      b.account.key,
      Buffer.alloc(5 * 1024 * 1024 + 1, 0x61),
      'text/plain',
    );
    expect([tooLarge.status, tooLarge.json]).toStrictEqual([
      413,
      errorBody('INVALID_REQUEST', 'The file is too large: at most 5242880 bytes'),
    ]);
    const reader = await b.account.withLevel(1);
    const forbidden = await raw(fileUrl(callId, 'transcription'), 'PUT', reader.key, 'hello', 'text/plain');
    expect([forbidden.status, forbidden.json]).toStrictEqual([
      403,
      errorBody('FORBIDDEN', 'This needs an API key of level 2 or more; this key is level 1'),
    ]);
    // A level-1 key reads files.
    expect((await raw(fileUrl(callId, 'recording'), 'GET', reader.key)).status).toBe(200);
    // Nothing was stored by the refused uploads.
    const stored = await h.ctx.db
      .selectFrom('call_files')
      .select('kind')
      .where('account_id', '=', b.account.id)
      .where('call_id', '=', callId)
      .execute();
    expect(stored.map((r) => r.kind)).toStrictEqual(['recording']);
  });

  it('an uploaded recording reaches the call transactions feed as a correction carrying its URL', async () => {
    const f = await billedCalls([
      { call_id: 'given', recording_url: 'https://switch.example/rec/9.mp3' },
      { call_id: 'none' },
    ]);
    const feed = new Api(h.url, f.account.key, '/api/2024-01-01/networks/transactions');
    const columns =
      'include_columns=transaction_id,complete_call_id,corrects_transaction_id,recording,duration';
    const rowsOf = async () => {
      const res = await feed.get(`/${f.account.id}.json?${columns}`);
      expect(res.status, res.text).toBe(200);
      return res.body as any[];
    };
    const before = await rowsOf();
    expect(before.map((r) => r.recording)).toStrictEqual(['https://switch.example/rec/9.mp3', null]);

    const given = f.callIds.given!;
    const none = f.callIds.none!;
    expect(
      (await raw(fileUrl(given, 'recording'), 'PUT', f.account.key, randomBytes(10), 'audio/mpeg')).status,
    ).toBe(200);
    expect(
      (await raw(fileUrl(none, 'recording'), 'PUT', f.account.key, randomBytes(10), 'audio/mpeg')).status,
    ).toBe(200);
    const after = await rowsOf();
    expect(after).toHaveLength(4);
    expect(after.slice(2)).toStrictEqual([
      {
        ...before[0],
        transaction_id: expect.any(String),
        corrects_transaction_id: before[0].transaction_id,
        recording: fileUrl(given, 'recording'),
      },
      {
        ...before[1],
        transaction_id: expect.any(String),
        corrects_transaction_id: before[1].transaction_id,
        recording: fileUrl(none, 'recording'),
      },
    ]);
    // The corrected rows' durations are cleared: the feed still sums to the true total.
    expect(after.slice(0, 2).map((r) => r.duration)).toStrictEqual([null, null]);
    expect(after.reduce((sum, r) => sum + (r.duration ?? 0), 0)).toBe(2 * 180);
    // The served URL is the one /v1/calls shows.
    expect((await f.v1.get(`/calls/call_${given}`)).body.data.call_recording_url).toBe(
      fileUrl(given, 'recording'),
    );

    // A new upload keeps the URL (nothing new to show), and the feed has no transcription column: no rows.
    expect(
      (await raw(fileUrl(given, 'recording'), 'PUT', f.account.key, randomBytes(10), 'audio/wav')).status,
    ).toBe(200);
    expect(
      (await raw(fileUrl(given, 'transcription'), 'PUT', f.account.key, 'Hello', 'text/plain')).status,
    ).toBe(200);
    expect(await rowsOf()).toHaveLength(4);

    // Under PUBLIC_URL, the feed carries the public URL, as /v1/calls does.
    const app = await buildServer(h.ctx, { publicUrl: 'https://billing.example.com' });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await h.ctx.db
        .updateTable('calls')
        .set({ recording_url: null })
        .where('account_id', '=', f.account.id)
        .where('id', '=', none)
        .execute();
      expect(
        (
          await raw(
            `${url}/v1/calls/call_${none}/recording`,
            'PUT',
            f.account.key,
            randomBytes(10),
            'audio/mpeg',
          )
        ).status,
      ).toBe(200);
    } finally {
      await app.close();
    }
    expect((await rowsOf()).at(-1).recording).toBe(
      `https://billing.example.com/v1/calls/call_${none}/recording`,
    );
  });

  it('builds the URLs of uploaded files on PUBLIC_URL when it is set', async () => {
    const app = await buildServer(h.ctx, { publicUrl: 'https://billing.example.com/' });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await new Api(url, b.account.key, '/v1').get(`/calls/call_${callId}`);
      expect(res.body.data.call_recording_url).toBe(
        `https://billing.example.com/v1/calls/call_${callId}/recording`,
      );
    } finally {
      await app.close();
    }
  });
});

describe('the OpenAPI document', () => {
  let doc: any;
  beforeAll(async () => {
    doc = await (await fetch(`${h.url}/openapi.json`)).json();
  });

  function validator(path: string, method: string, status: number) {
    const schema =
      doc.paths[path]?.[method]?.responses?.[String(status)]?.content?.['application/json']?.schema;
    expect(schema, `${method} ${path} ${status}`).toBeDefined();
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema({ $id: 'openapi.json', components: doc.components }, 'openapi.json');
    return ajv.compile(
      JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"openapi.json#/components/')),
    );
  }

  it('describes the /v1 routes, their parameters and the paging extension', () => {
    const v1 = Object.fromEntries(
      Object.entries<any>(doc.paths)
        .filter(([path]) => path.startsWith('/v1/'))
        .map(([path, item]) => [
          path,
          Object.keys(item)
            .filter((k) => ['get', 'put', 'post', 'delete', 'patch'].includes(k))
            .sort(),
        ]),
    );
    expect(v1).toStrictEqual({
      '/v1/calls': ['get'],
      '/v1/calls/{id}': ['get'],
      '/v1/calls/{id}/recording': ['get', 'put'],
      '/v1/calls/{id}/transcription': ['get', 'put'],
    });
    const list = doc.paths['/v1/calls'].get;
    const query = Object.fromEntries(
      list.parameters.filter((p: any) => p.in === 'query').map((p: any) => [p.name, p.required ?? false]),
    );
    expect(query).toStrictEqual({ invoice_id: true, limit: false, starting_after: false });
    expect(list.description).toContain('starting_after');
    expect(list.description).toContain('has_more');
    expect(Object.keys(list.responses).sort()).toStrictEqual(['200', '400', '401', '404', '429']);
    expect(doc.paths['/v1/calls/{id}/recording'].put.requestBody.content['*/*'].schema).toMatchObject({
      type: 'string',
      format: 'binary',
    });
  });

  it('matches what the API really answers', async () => {
    const b = await billedCalls([{ call_id: 'doc', confidence_score: 0.5, voice_agent_id: 'agent_1' }]);
    const check = (res: { status: number; body: unknown }, path: string, method = 'get') => {
      const validate = validator(path, method, res.status);
      expect({ path, status: res.status, errors: validate(res.body) ? null : validate.errors }).toStrictEqual(
        { path, status: res.status, errors: null },
      );
    };
    check(await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}`), '/v1/calls');
    check(await b.v1.get(`/calls?invoice_id=inv_${(await billedCalls([])).invoiceId}`), '/v1/calls');
    check(await b.v1.get('/calls'), '/v1/calls');
    check(await new Api(h.url, undefined, '/v1').get('/calls'), '/v1/calls');
    check(await b.v1.get('/calls?invoice_id=inv_999999'), '/v1/calls');
    check(await b.v1.get(`/calls/call_${b.callIds.doc}`), '/v1/calls/{id}');
    check(await b.v1.get('/calls/call_999999'), '/v1/calls/{id}');
    // The check has teeth: a call whose confidence is a string does not match.
    const validateList = validator('/v1/calls', 'get', 200);
    const good = (await b.v1.get(`/calls?invoice_id=inv_${b.invoiceId}`)).body;
    expect(validateList(good)).toBe(true);
    expect(validateList({ ...good, data: [{ ...good.data[0], confidence_score: '0.5' }] })).toBe(false);
  });
});
