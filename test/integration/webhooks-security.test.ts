// Webhooks as an attacker would use them. A tenant's URL reaches only public addresses unless the operator
// sets WEBHOOK_ALLOW_PRIVATE_NETWORKS=true (here: ctx.services.outbound, which the server sets from it):
// refused when a subscription is saved, and again at every connection, on the address actually connected
// to (a name that resolved to a public address when saved and to 127.0.0.1 later gets no connection). The
// delivery log keeps only printable text of an answer. And a secret, shown once, is never kept for an
// Idempotency-Key replay.
//
// Names are resolved by a resolver of the test's own, so nothing here looks a name up on a network, and
// the only address anything connects to is the test receiver on 127.0.0.1.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { up as forgetStoredWebhookSecrets } from '../../src/db/migrations/0011_forget_stored_webhook_secrets.ts';
import type { OutboundPolicy, Resolver } from '../../src/shared/outbound-http.ts';
import { emitEvent } from '../../src/webhooks/emit.ts';
import { useHarness, type Api } from '../helpers/harness.ts';
import { startWebhookReceiver, type TestWebhookReceiver } from '../helpers/webhook-receiver.ts';

const h = useHarness();
const receivers: TestWebhookReceiver[] = [];

async function receiver(
  options: Parameters<typeof startWebhookReceiver>[0] = {},
): Promise<TestWebhookReceiver> {
  const r = await startWebhookReceiver({ clock: () => h.ctx.now(), ...options });
  receivers.push(r);
  return r;
}

/** A resolver of the test's own: what each name resolves to now (change it to move a name). */
function resolverOf(
  names: Record<string, string[]>,
): Resolver & { names: Record<string, string[]>; asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const addresses = names[hostname];
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({
      address,
      family: address.includes(':') ? (6 as const) : (4 as const),
    }));
  };
  return Object.assign(resolve, { names, asked });
}

/** What the server does with WEBHOOK_ALLOW_PRIVATE_NETWORKS set (or not). A policy is replaced, never changed. */
function setOutbound(policy: OutboundPolicy): void {
  h.ctx.services.outbound = policy;
}

afterEach(async () => {
  await h.ctx.db.updateTable('outbox').set({ status: 'failed' }).where('status', '=', 'pending').execute();
  h.setNow(undefined);
  setOutbound({ allowPrivateNetworks: true });
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const PRIVATE =
  'only public internet addresses are allowed (the operator can allow private networks with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true)';
const NEVER = 'requests are never sent there';

function expectRefusedUrl(res: { status: number; body: unknown; text: string }, hint: string): void {
  expect({ status: res.status, body: res.body }, res.text).toEqual({
    status: 400,
    body: { error: 'Invalid Parameter', error_code: 400001, hint: `url: ${hint}` },
  });
}

// [URL, why it is refused with private networks not allowed]
const REFUSED_URLS: [string, string][] = [
  ['http://127.0.0.1:9000/hooks', `127.0.0.1 is a loopback address: ${PRIVATE}`],
  ['http://localhost:9000/hooks', `localhost is a loopback name: ${PRIVATE}`],
  ['http://[::1]:9000/hooks', `::1 is a loopback address: ${PRIVATE}`],
  ['http://0x7f000001/hooks', `127.0.0.1 is a loopback address: ${PRIVATE}`],
  ['http://2130706433/hooks', `127.0.0.1 is a loopback address: ${PRIVATE}`],
  ['http://0177.0.0.1/hooks', `127.0.0.1 is a loopback address: ${PRIVATE}`],
  ['http://127.1/hooks', `127.0.0.1 is a loopback address: ${PRIVATE}`],
  [
    'http://[::ffff:127.0.0.1]/hooks',
    `::ffff:7f00:1 is IPv4-mapped 127.0.0.1, a loopback address: ${PRIVATE}`,
  ],
  ['http://[::ffff:7f00:1]/hooks', `::ffff:7f00:1 is IPv4-mapped 127.0.0.1, a loopback address: ${PRIVATE}`],
  [
    'http://[64:ff9b::7f00:1]/hooks',
    `64:ff9b::7f00:1 is NAT64 address of 127.0.0.1, a loopback address: ${PRIVATE}`,
  ],
  [
    'http://[2002:7f00:1::1]/hooks',
    `2002:7f00:1::1 is 6to4 address of 127.0.0.1, a loopback address: ${PRIVATE}`,
  ],
  [
    'http://169.254.169.254/latest/meta-data/',
    `169.254.169.254 is a link-local address (where cloud metadata services answer): ${NEVER}`,
  ],
  ['http://10.0.0.1/hooks', `10.0.0.1 is a private-network address: ${PRIVATE}`],
  ['https://192.168.0.10/hooks', `192.168.0.10 is a private-network address: ${PRIVATE}`],
  ['http://100.64.1.1/hooks', `100.64.1.1 is a carrier-grade NAT address (100.64.0.0/10): ${PRIVATE}`],
  ['http://[fe80::1]/hooks', `fe80::1 is a link-local address: ${NEVER}`],
  ['http://[fc00::1]/hooks', `fc00::1 is a unique local address (fc00::/7): ${PRIVATE}`],
  ['http://0.0.0.0:9000/hooks', `0.0.0.0 is an unspecified address (0.0.0.0/8): ${NEVER}`],
  ['http://[::]:9000/hooks', `:: is the unspecified address: ${NEVER}`],
  ['http://224.0.0.251/hooks', `224.0.0.251 is a multicast address: ${NEVER}`],
  ['http://[ff02::1]/hooks', `ff02::1 is a multicast address: ${NEVER}`],
  ['http://255.255.255.255/hooks', `255.255.255.255 is the broadcast address: ${NEVER}`],
  ['http://240.0.0.1/hooks', `240.0.0.1 is a reserved address: ${NEVER}`],
];

describe('webhook URLs: only public addresses unless the operator allows private networks', () => {
  it('refuses a subscription to loopback, private, link-local, multicast, unspecified and reserved addresses, however written (400, url), and makes none', async () => {
    setOutbound({ allowPrivateNetworks: false, resolve: resolverOf({}) });
    const { api } = await h.account();
    for (const [url, hint] of REFUSED_URLS)
      expectRefusedUrl(await api.post('/webhooks', { url, eventTypes: ['*'] }), hint);
    expect((await api.get('/webhooks')).body).toEqual([]);
  });

  it('refuses a host name that resolves to a refused address when it is saved, and takes one that resolves only to public addresses', async () => {
    const resolve = resolverOf({
      'intranet.example.test': ['10.1.2.3'],
      'metadata.example.test': ['169.254.169.254'],
      'split.example.test': ['93.184.216.34', '::1'],
      'hooks.example.test': ['93.184.216.34', '2606:2800:220:1::1'],
    });
    setOutbound({ allowPrivateNetworks: false, resolve });
    const { api } = await h.account();
    expectRefusedUrl(
      await api.post('/webhooks', { url: 'https://intranet.example.test/hooks', eventTypes: ['*'] }),
      `intranet.example.test resolves to a private-network address: ${PRIVATE}`,
    );
    expectRefusedUrl(
      await api.post('/webhooks', { url: 'https://metadata.example.test/', eventTypes: ['*'] }),
      `metadata.example.test resolves to a link-local address (where cloud metadata services answer): ${NEVER}`,
    );
    expectRefusedUrl(
      await api.post('/webhooks', { url: 'https://split.example.test/hooks', eventTypes: ['*'] }),
      `split.example.test resolves to a loopback address: ${PRIVATE}`,
    );
    const created = await api.post('/webhooks', {
      url: 'https://hooks.example.test/ringbill',
      eventTypes: ['*'],
    });
    expect(created.status, created.text).toBe(201);
    // A name that cannot be looked up yet is taken: it is checked at every delivery.
    expect(
      (await api.post('/webhooks', { url: 'https://not-live-yet.example.test/ringbill', eventTypes: ['*'] }))
        .status,
    ).toBe(201);
    expect((await api.get('/webhooks')).body.map((w: any) => w.url)).toEqual([
      'https://hooks.example.test/ringbill',
      'https://not-live-yet.example.test/ringbill',
    ]);
    expect(resolve.asked).toEqual([
      'intranet.example.test',
      'metadata.example.test',
      'split.example.test',
      'hooks.example.test',
      'not-live-yet.example.test',
    ]);
  });

  it("refuses the same when a subscription's URL is changed, and keeps the URL it had", async () => {
    setOutbound({
      allowPrivateNetworks: false,
      resolve: resolverOf({
        'hooks.example.test': ['93.184.216.34'],
        'internal.example.test': ['192.168.7.7'],
      }),
    });
    const { api } = await h.account();
    const { id } = (
      await api.post('/webhooks', { url: 'https://hooks.example.test/r', eventTypes: ['invoice.paid'] })
    ).body;
    expectRefusedUrl(
      await api.patch(`/webhooks/${id}`, { url: 'http://0x7f000001:8080/admin' }),
      `127.0.0.1 is a loopback address: ${PRIVATE}`,
    );
    expectRefusedUrl(
      await api.patch(`/webhooks/${id}`, { url: 'http://[::ffff:169.254.169.254]/' }),
      `::ffff:a9fe:a9fe is IPv4-mapped 169.254.169.254, a link-local address (where cloud metadata services answer): ${NEVER}`,
    );
    expectRefusedUrl(
      await api.patch(`/webhooks/${id}`, { url: 'https://internal.example.test/', enabled: false }),
      `internal.example.test resolves to a private-network address: ${PRIVATE}`,
    );
    const shown = await api.get(`/webhooks/${id}`);
    expect(shown.body).toMatchObject({ url: 'https://hooks.example.test/r', enabled: true });
    // Another change that leaves the URL alone needs no look-up.
    expect((await api.patch(`/webhooks/${id}`, { description: 'CRM' })).status).toBe(200);
  });

  it('with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true takes loopback and private targets, but never link-local, unspecified, multicast, broadcast or reserved ones', async () => {
    setOutbound({ allowPrivateNetworks: true, resolve: resolverOf({ 'erp.corp.test': ['10.20.30.40'] }) });
    const { api } = await h.account();
    for (const url of [
      'http://127.0.0.1:9000/hooks',
      'http://localhost:9000/hooks',
      'http://[::1]/h',
      'http://10.0.0.1/h',
      'http://100.64.1.1/h',
      'http://[fc00::1]/h',
      'http://erp.corp.test/h',
    ]) {
      const res = await api.post('/webhooks', { url, eventTypes: ['invoice.paid'] });
      expect(res.status, `${url}: ${res.text}`).toBe(201);
    }
    for (const [url, hint] of REFUSED_URLS.filter(([, hint]) => hint.endsWith(NEVER)))
      expectRefusedUrl(await api.post('/webhooks', { url, eventTypes: ['*'] }), hint);
    expect((await api.get('/webhooks')).body).toHaveLength(7);
  });
});

/** Queues an event for every subscription of the account that takes invoice.approved. */
async function emitApproved(accountId: number, now: Date): Promise<void> {
  await emitEvent(h.ctx.db, accountId, 'invoice.approved', { id: '1', invoiceNumber: 'INV-1' }, now);
}

async function onlyDelivery(api: Api, webhookId: string): Promise<any> {
  const deliveries = (await api.get(`/webhooks/${webhookId}/deliveries`)).body;
  expect(deliveries).toHaveLength(1);
  return deliveries[0];
}

describe('webhook deliveries: the address is checked again at every connection', () => {
  it('does not connect to a name that resolved to a public address when saved and to 127.0.0.1 now (DNS rebinding); the log says why; it is retried as usual, and delivered once private networks are allowed', async () => {
    const t0 = new Date('2026-11-02T09:00:00Z');
    h.setNow(t0);
    const r = await receiver();
    const port = new URL(r.url).port;
    const resolve = resolverOf({ 'rebind.example.test': ['93.184.216.34'] });
    setOutbound({ allowPrivateNetworks: false, resolve });
    const { api, id: accountId } = await h.account();
    const created = await api.post('/webhooks', {
      url: `http://rebind.example.test:${port}/hooks/ringbill`,
      eventTypes: ['invoice.approved'],
    });
    expect(created.status, created.text).toBe(201);
    r.secrets.push(created.body.secret);

    // The name now points at the machine itself.
    resolve.names['rebind.example.test'] = ['127.0.0.1'];
    await emitApproved(accountId, t0);
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(0);
    const refused = `not sent: rebind.example.test resolves to a loopback address: ${PRIVATE}`;
    expect(await onlyDelivery(api, created.body.id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastResponseCode: null,
      lastResponseBody: null,
      lastError: refused,
      nextAttempt: new Date(t0.getTime() + 60_000).toISOString(),
    });
    expect(resolve.asked).toEqual(['rebind.example.test', 'rebind.example.test']);

    // The next attempt, a minute later, is refused the same way.
    h.setNow(new Date(t0.getTime() + 60_000));
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(0);
    expect(await onlyDelivery(api, created.body.id)).toMatchObject({
      status: 'pending',
      attempts: 2,
      lastError: refused,
      nextAttempt: new Date(t0.getTime() + 180_000).toISOString(),
    });

    // The operator allows private networks: the retry goes through, signed.
    setOutbound({ allowPrivateNetworks: true, resolve });
    h.setNow(new Date(t0.getTime() + 180_000));
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.verified).toBe(true);
    const delivered = await onlyDelivery(api, created.body.id);
    expect(delivered).toMatchObject({
      status: 'succeeded',
      attempts: 3,
      lastResponseCode: 200,
      lastResponseBody: 'ok',
      lastError: null,
    });
    const detail = (await api.get(`/webhooks/${created.body.id}/deliveries/${delivered.id}`)).body;
    expect(detail.attemptLog.map((a: any) => [a.attempt, a.responseCode, a.responseBody, a.error])).toEqual([
      [1, null, null, refused],
      [2, null, null, refused],
      [3, 200, 'ok', null],
    ]);
  });

  it('does not connect to localhost (resolved by the system) while private networks are not allowed, and delivers to it when they are', async () => {
    const r = await receiver();
    const { api, id: accountId } = await h.account();
    setOutbound({ allowPrivateNetworks: true });
    const created = await api.post('/webhooks', {
      url: `http://localhost:${new URL(r.url).port}/hooks`,
      eventTypes: ['invoice.approved'],
    });
    expect(created.status, created.text).toBe(201);
    r.secrets.push(created.body.secret);

    // The operator turns the setting off (a restart without it): what is queued is not sent.
    setOutbound({ allowPrivateNetworks: false });
    const t0 = new Date('2026-11-04T10:00:00Z');
    h.setNow(t0);
    await emitApproved(accountId, t0);
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(0);
    expect(await onlyDelivery(api, created.body.id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastResponseCode: null,
      lastResponseBody: null,
      lastError: `not sent: localhost is a loopback name: ${PRIVATE}`,
    });

    setOutbound({ allowPrivateNetworks: true });
    h.setNow(new Date(t0.getTime() + 60_000));
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.verified).toBe(true);
    expect(await onlyDelivery(api, created.body.id)).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      lastResponseCode: 200,
    });
  });

  it('does not connect to an IP address host that is not allowed, and gives up after the usual attempts', async () => {
    const r = await receiver();
    const { api, id: accountId } = await h.account();
    setOutbound({ allowPrivateNetworks: true });
    const created = await api.post('/webhooks', { url: r.url, eventTypes: ['invoice.approved'] });
    expect(created.status, created.text).toBe(201);
    setOutbound({ allowPrivateNetworks: false });
    const t0 = new Date('2026-11-05T10:00:00Z');
    h.setNow(t0);
    await emitApproved(accountId, t0);
    let now = t0.getTime();
    for (let i = 0; i < 20; i++) {
      await h.outbox.runOnce();
      now += 7 * 3600_000;
      h.setNow(new Date(now));
    }
    expect(r.received).toHaveLength(0);
    expect(await onlyDelivery(api, created.body.id)).toMatchObject({
      status: 'failed',
      attempts: 16,
      lastResponseCode: null,
      lastError: `not sent: 127.0.0.1 is a loopback address: ${PRIVATE}`,
      nextAttempt: null,
    });
  });

  it('keeps only printable text of an answer in the log: control characters replaced, a body of another media type named, not stored', async () => {
    const { api, id: accountId } = await h.account();
    const text = await receiver({ answer: () => ({ status: 200, body: 'ok\u0000\u0007 done\r\n\ttab' }) });
    const binary = await receiver({
      answer: () => ({
        status: 500,
        headers: { 'content-type': 'image/png; charset=binary' },
        body: '\u0089PNG\r\n\u001a\n\u0000\u0000',
      }),
    });
    const json = await receiver({
      answer: () => ({
        status: 422,
        headers: { 'content-type': 'application/problem+json' },
        body: '{"title":"no"}',
      }),
    });
    const ids: string[] = [];
    for (const r of [text, binary, json]) {
      const created = await api.post('/webhooks', { url: r.url, eventTypes: ['invoice.approved'] });
      expect(created.status, created.text).toBe(201);
      ids.push(created.body.id);
    }
    await emitApproved(accountId, h.ctx.now());
    await h.outbox.runOnce();
    expect(await onlyDelivery(api, ids[0]!)).toMatchObject({
      status: 'succeeded',
      lastResponseCode: 200,
      lastResponseBody: 'ok\ufffd\ufffd done\r\n\ttab',
      lastError: null,
    });
    expect(await onlyDelivery(api, ids[1]!)).toMatchObject({
      status: 'pending',
      lastResponseCode: 500,
      lastResponseBody: '(image/png body, not shown)',
      lastError: 'the receiver answered HTTP 500',
    });
    expect(await onlyDelivery(api, ids[2]!)).toMatchObject({
      status: 'pending',
      lastResponseCode: 422,
      lastResponseBody: '{"title":"no"}',
    });
  });
});

const NO_IDEMPOTENCY = {
  error: 'Invalid Parameter',
  error_code: 400001,
  hint: 'Idempotency-Key: is not accepted here: the response carries a secret that is shown once and never stored',
};

async function keptKeys(accountId: number): Promise<string[]> {
  return (
    await h.ctx.db.selectFrom('idempotency_keys').select('key').where('account_id', '=', accountId).execute()
  ).map((r) => r.key);
}

describe('webhook secrets are shown once: never kept for an Idempotency-Key replay', () => {
  it('refuses an Idempotency-Key on POST /webhooks (400) and makes nothing; without one the webhook is made', async () => {
    const r = await receiver();
    const { api, id: accountId } = await h.account();
    const body = { url: r.url, eventTypes: ['invoice.paid'] };
    for (let i = 0; i < 2; i++) {
      const refused = await api.post('/webhooks', body, { 'idempotency-key': 'make-hook-1' });
      expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: NO_IDEMPOTENCY });
      expect(refused.headers.get('idempotent-replayed')).toBeNull();
    }
    expect((await api.get('/webhooks')).body).toEqual([]);
    expect(await keptKeys(accountId)).toEqual([]);
    const created = await api.post('/webhooks', body);
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(await keptKeys(accountId)).toEqual([]);
  });

  it('refuses an Idempotency-Key on rotateSecret (400) and leaves the secret as it was', async () => {
    const r = await receiver();
    const { api, id: accountId } = await h.account();
    const created = await api.post('/webhooks', { url: r.url, eventTypes: ['invoice.paid'] });
    const secretOf = async () =>
      h.ctx.db
        .selectFrom('webhook_subscriptions')
        .select(['secret', 'previous_secret'])
        .where('account_id', '=', accountId)
        .where('id', '=', Number(created.body.id))
        .executeTakeFirstOrThrow();
    const refused = await api.post(
      `/webhooks/${created.body.id}/rotateSecret`,
      { gracePeriodHours: 1 },
      { 'idempotency-key': 'rotate-1' },
    );
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: NO_IDEMPOTENCY });
    expect(await secretOf()).toEqual({ secret: created.body.secret, previous_secret: null });
    expect(await keptKeys(accountId)).toEqual([]);

    const rotated = await api.post(`/webhooks/${created.body.id}/rotateSecret`, { gracePeriodHours: 1 });
    expect(rotated.status).toBe(200);
    expect(await secretOf()).toEqual({ secret: rotated.body.secret, previous_secret: created.body.secret });
    // A route whose answer holds no secret still takes a key.
    expect(
      (await api.post('/customers', { name: 'Keyed Ltd' }, { 'idempotency-key': 'customer-1' })).status,
    ).toBe(201);
    expect(await keptKeys(accountId)).toEqual(['customer-1']);
  });

  it('upgrading deletes the webhook answers, secret included, that an earlier version kept for a replay', async () => {
    const r = await receiver();
    const { api, id: accountId } = await h.account();
    const created = await api.post('/webhooks', { url: r.url, eventTypes: ['invoice.paid'] });
    const rotated = await api.post(`/webhooks/${created.body.id}/rotateSecret`, {});
    const customer = await api.post(
      '/customers',
      { name: 'Kept Ltd' },
      { 'idempotency-key': 'customer-kept' },
    );
    expect(customer.status).toBe(201);
    // What an earlier version kept: the answers as sent, each under its key.
    for (const [key, res] of [
      ['hook-old', created],
      ['rotate-old', rotated],
    ] as const) {
      await h.ctx.db
        .insertInto('idempotency_keys')
        .values({
          account_id: accountId,
          key,
          request_hash: 'h',
          response_status: res.status,
          response_body: res.text,
        })
        .execute();
    }
    expect((await keptKeys(accountId)).sort()).toEqual(['customer-kept', 'hook-old', 'rotate-old']);
    await sql.raw(forgetStoredWebhookSecrets).execute(h.ctx.db);
    expect(await keptKeys(accountId)).toEqual(['customer-kept']);
    const everything = await h.ctx.db.selectFrom('idempotency_keys').select('response_body').execute();
    expect(
      everything.some(
        (row) =>
          row.response_body?.includes(created.body.secret) ||
          row.response_body?.includes(rotated.body.secret),
      ),
    ).toBe(false);
  });
});
