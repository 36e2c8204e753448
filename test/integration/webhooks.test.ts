// Webhooks end to end: subscriptions over the API, events from real use cases, signed deliveries to real
// HTTP receivers on 127.0.0.1 that check the signature, retries with backoff driven by the test clock,
// the delivery log, replays, disabled and deleted subscriptions, other accounts, and bad input.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { findAccount } from '../../src/accounts/repo.ts';
import { findInvoice } from '../../src/invoices/repo.ts';
import { OutboxWorker } from '../../src/outbox/worker.ts';
import { createWebhookHandler } from '../../src/webhooks/deliver.ts';
import { emitInvoicePaidIfSettled } from '../../src/invoices/invoice-events.ts';
import { emitEvents, wantedEventTypes } from '../../src/webhooks/emit.ts';
import { parseSignatureHeader, verifyWebhookSignature } from '../../src/webhooks/signature.ts';
import { cdr, loadRates, makeRateCard, sendCalls } from '../helpers/call-billing.ts';
import { Api, makeCharge, makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';
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

afterEach(async () => {
  // Nothing a test queued is left for the next one: settle every pending delivery, then close receivers.
  await h.ctx.db.updateTable('outbox').set({ status: 'failed' }).where('status', '=', 'pending').execute();
  h.setNow(undefined);
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function subscribe(api: Api, r: TestWebhookReceiver, body: Record<string, unknown> = {}) {
  const res = await api.post('/webhooks', {
    url: r.url,
    eventTypes: ['invoice.approved', 'invoice.paid'],
    ...body,
  });
  expect(res.status, res.text).toBe(201);
  r.secrets.push(res.body.secret);
  return res.body;
}

/** An unsent invoice of 106.44 (88.70 + VAT), ready to approve. */
async function unsentInvoice(api: Api): Promise<string> {
  const customer = await makeCustomer(api);
  const feature = await makeFeature(api, customer.id, { recurringValue: '25.00', startDate: '2026-10-15' });
  await makeCharge(api, `/features/${feature.id}`, {
    transactionValue: '49.99',
    transactionDate: '2026-10-20',
  });
  const created = await api.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
  expect(created.status, created.text).toBe(201);
  return created.body.id;
}

async function approve(api: Api, invoiceId: string) {
  const res = await api.post(`/invoices/${invoiceId}?action=approve`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

describe('webhook subscriptions', () => {
  it('creates, shows, lists, changes and deletes a subscription; the secret is shown on create and rotation only', async () => {
    const { api } = await h.account();
    const created = await api.post('/webhooks', {
      url: 'https://example.com/hooks',
      eventTypes: ['invoice.paid'],
      description: 'Finance',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      url: 'https://example.com/hooks',
      description: 'Finance',
      eventTypes: ['invoice.paid'],
      enabled: true,
      previousSecretExpires: null,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
      created: expect.any(String),
      updated: expect.any(String),
    });
    const id = created.body.id;
    const shown = await api.get(`/webhooks/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.secret).toBeUndefined();
    expect(shown.body.url).toBe('https://example.com/hooks');
    expect((await api.get('/webhooks')).body.map((w: any) => w.id)).toEqual([id]);

    const changed = await api.patch(`/webhooks/${id}`, {
      eventTypes: ['*'],
      enabled: false,
      url: 'http://hooks.example.com:8443/r',
      description: null,
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toMatchObject({
      eventTypes: ['*'],
      enabled: false,
      url: 'http://hooks.example.com:8443/r',
      description: null,
    });

    const rotated = await api.post(`/webhooks/${id}/rotateSecret`, { gracePeriodHours: 2 });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(Date.parse(rotated.body.previousSecretExpires) - Date.now()).toBeGreaterThan(1.9 * 3600_000);

    const types = await api.get('/webhooks/eventTypes');
    expect(types.body.map((t: any) => t.type)).toEqual([
      'call.completed',
      'call.corrected',
      'invoice.approved',
      'invoice.paid',
      'balance.low',
      'spend.threshold',
      'credit.limit',
      '*',
    ]);

    const deleted = await api.delete(`/webhooks/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ success: true, message: `Webhook ${id} deleted` });
    expect((await api.get(`/webhooks/${id}`)).status).toBe(404);
  });

  it('answers bad input with a 4xx in the backend error shape', async () => {
    const { api } = await h.account();
    const bad = async (body: unknown, field: string) => {
      const res = await api.post('/webhooks', body);
      expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(400);
      expect(res.body).toEqual({
        error: 'Invalid Parameter',
        error_code: 400001,
        hint: expect.stringContaining(field),
      });
    };
    await bad({ url: 'ftp://example.com/x', eventTypes: ['*'] }, 'url');
    await bad({ url: 'not a url', eventTypes: ['*'] }, 'url');
    await bad({ url: 'https://u:p@example.com/', eventTypes: ['*'] }, 'url');
    await bad({ url: 'https://example.com/', eventTypes: [] }, 'eventTypes');
    await bad({ url: 'https://example.com/', eventTypes: ['invoice.created'] }, 'eventTypes');
    await bad({ url: 'https://example.com/', eventTypes: 'invoice.paid' }, 'eventTypes');
    await bad({ eventTypes: ['*'] }, 'url');
    await bad({ url: 'https://example.com/', eventTypes: ['*'], secret: 'mine' }, 'secret');
    await bad({ url: 42, eventTypes: ['*'] }, 'url');

    const malformed = await api.post('/webhooks', '{"url": ', { 'content-type': 'application/json' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error_code).toBe(400002);

    const { id } = (await api.post('/webhooks', { url: 'https://example.com/', eventTypes: ['*'] })).body;
    expect((await api.patch(`/webhooks/${id}`, { url: 'mailto:a@b.c' })).body.error_code).toBe(400001);
    expect((await api.patch(`/webhooks/${id}`, { enabled: 'yes' })).status).toBe(400);
    expect((await api.post(`/webhooks/${id}/rotateSecret`, { gracePeriodHours: 1000 })).status).toBe(400);
    expect((await api.post(`/webhooks/${id}/rotateSecret`, { gracePeriodHours: 1.5 })).status).toBe(400);
    expect((await api.get(`/webhooks/${id}/deliveries?status=lost`)).status).toBe(400);
    expect((await api.get(`/webhooks/${id}/deliveries?limit=0`)).status).toBe(400);
    expect((await api.get('/webhooks/events?type=nope')).status).toBe(400);
    expect((await api.get('/webhooks/events?after=evt_nope')).status).toBe(400);
    for (const path of [
      '/webhooks/abc',
      '/webhooks/0',
      '/webhooks/99999999',
      `/webhooks/${id}/deliveries/abc`,
      '/webhooks/events/evt_x',
      '/webhooks/events/123',
    ]) {
      const res = await api.get(path);
      expect(res.status, path).toBe(404);
      expect(res.body.error_code, path).toBe(404001);
    }
  });

  it('takes a secret of your own on create and on change; a changed secret is a rotation with a grace period', async () => {
    h.setNow(new Date('2026-11-02T09:00:00Z'));
    const { api } = await h.account();
    const mine = 'my-own-secret_0123456789+/=!';
    const created = await api.post('/webhooks', {
      url: 'https://example.com/hooks',
      eventTypes: ['*'],
      secret: mine,
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ secret: mine, previousSecretExpires: null });
    const row = async () =>
      await h.ctx.db
        .selectFrom('webhook_subscriptions')
        .selectAll()
        .where('id', '=', Number(created.body.id))
        .executeTakeFirstOrThrow();
    expect((await row()).secret).toBe(mine);

    const next = 'x'.repeat(200);
    const changed = await api.patch(`/webhooks/${created.body.id}`, { secret: next });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.secret).toBeUndefined();
    expect(Date.parse(changed.body.previousSecretExpires) - h.ctx.now().getTime()).toBe(24 * 3600_000);
    expect(await row()).toMatchObject({ secret: next, previous_secret: mine });
    // The same secret again changes nothing.
    expect((await api.patch(`/webhooks/${created.body.id}`, { secret: next })).status).toBe(200);
    expect(await row()).toMatchObject({ secret: next, previous_secret: mine });

    for (const secret of [
      'a'.repeat(23),
      'a'.repeat(201),
      `${'a'.repeat(24)} b`,
      `${'a'.repeat(24)}é`,
      `${'a'.repeat(24)}\t`,
      '',
    ]) {
      for (const res of [
        await api.post('/webhooks', { url: 'https://example.com/', eventTypes: ['*'], secret }),
        await api.patch(`/webhooks/${created.body.id}`, { secret }),
      ]) {
        expect(res.status, `${JSON.stringify(secret)} → ${res.text}`).toBe(400);
        expect(res.body).toEqual({
          error: 'Invalid Parameter',
          error_code: 400001,
          hint: expect.stringContaining('secret'),
        });
      }
    }
    expect(
      (
        await api.post('/webhooks', {
          url: 'https://example.com/',
          eventTypes: ['*'],
          secret: 1.2345678901234568e25,
        })
      ).status,
    ).toBe(400);
    expect((await row()).secret).toBe(next);
  });

  it('signs deliveries with a secret of your own, and with the old one too after a change by PATCH', async () => {
    const { api } = await h.account();
    const r = await receiver();
    const first = 'first-secret-of-my-own-0123';
    const webhook = await subscribe(api, r, { eventTypes: ['invoice.approved'], secret: first });
    expect(r.secrets).toEqual([first]);
    await approve(api, await unsentInvoice(api));
    await h.outbox.runOnce();
    expect(r.received[0]!.verified).toBe(true);

    const second = 'second-secret-of-my-own-456';
    expect((await api.patch(`/webhooks/${webhook.id}`, { secret: second })).status).toBe(200);
    await approve(api, await unsentInvoice(api));
    await h.outbox.runOnce();
    const header = String(r.received[1]!.headers['ringbill-signature']);
    expect(parseSignatureHeader(header)!.signatures).toHaveLength(2);
    for (const secret of [first, second]) {
      expect(
        verifyWebhookSignature(r.received[1]!.rawBody, header, secret, { now: h.ctx.now() }),
        secret,
      ).toBe(true);
    }
  });

  it('needs a level-5 key to make or change a subscription; level 1 can read', async () => {
    const account = await h.account();
    const { id } = (await account.api.post('/webhooks', { url: 'https://example.com/', eventTypes: ['*'] }))
      .body;
    const reader = await account.withLevel(1);
    const invoicer = await account.withLevel(4);
    expect((await reader.get('/webhooks')).status).toBe(200);
    expect((await reader.get(`/webhooks/${id}/deliveries`)).status).toBe(200);
    for (const api of [reader, invoicer]) {
      const res = await api.post('/webhooks', { url: 'https://example.com/', eventTypes: ['*'] });
      expect(res.status).toBe(403);
      expect(res.body.error_code).toBe(403001);
      expect((await api.patch(`/webhooks/${id}`, { enabled: false })).status).toBe(403);
      expect((await api.delete(`/webhooks/${id}`)).status).toBe(403);
      expect((await api.post(`/webhooks/${id}/rotateSecret`)).status).toBe(403);
    }
    expect((await h.anonymous().get('/webhooks')).status).toBe(401);
  });
});

describe('webhook deliveries', () => {
  it('delivers invoice.approved, signed, to a real receiver; the delivery log shows it', async () => {
    const { api, id: accountId } = await h.account();
    const r = await receiver();
    const webhook = await subscribe(api, r);
    const invoiceId = await unsentInvoice(api);
    const approved = await approve(api, invoiceId);

    expect(await h.outbox.runOnce()).toBeGreaterThanOrEqual(1);
    expect(r.received).toHaveLength(1);
    const got = r.received[0]!;
    expect(got.verified).toBe(true);
    expect(got.method).toBe('POST');
    expect(got.path).toBe('/hooks/ringbill');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['ringbill-event-type']).toBe('invoice.approved');
    expect(got.headers['ringbill-event-id']).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(got.headers['ringbill-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(got.body).toEqual({
      id: got.headers['ringbill-event-id'],
      type: 'invoice.approved',
      created: expect.any(String),
      accountID: String(accountId),
      data: (await api.get(`/invoices/${invoiceId}`)).body,
    });
    expect(got.body.data).toEqual(approved);
    expect(got.body.data.total).toBe('106.44');
    expect(got.body.data.invoiceNumber).toBe(approved.invoiceNumber);

    const log = await api.get(`/webhooks/${webhook.id}/deliveries`);
    expect(log.status).toBe(200);
    expect(log.body).toEqual([
      {
        id: got.headers['ringbill-delivery-id'],
        webhookID: webhook.id,
        eventID: got.body.id,
        eventType: 'invoice.approved',
        replay: false,
        status: 'succeeded',
        attempts: 1,
        lastAttempt: expect.any(String),
        lastResponseCode: 200,
        lastResponseBody: 'ok',
        lastError: null,
        nextAttempt: null,
        created: expect.any(String),
      },
    ]);
    const event = await api.get(`/webhooks/events/${got.body.id}`);
    expect(event.status).toBe(200);
    expect(event.body).toEqual({
      id: got.body.id,
      type: 'invoice.approved',
      created: got.body.created,
      data: got.body.data,
    });

    // Settled: running the worker again sends nothing more.
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(1);
  });

  it('retries a receiver that fails at first with backoff, with the same event id and body, until it answers 2xx', async () => {
    const t0 = new Date('2026-11-02T09:00:00Z');
    h.setNow(t0);
    const { api } = await h.account();
    const r = await receiver({
      answer: (n) => (n < 3 ? { status: 500, body: `broken ${n + 1}` } : { status: 204 }),
    });
    const webhook = await subscribe(api, r, { eventTypes: ['invoice.approved'] });
    await approve(api, await unsentInvoice(api));

    const at = (ms: number) => h.setNow(new Date(t0.getTime() + ms));
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(1);
    let [delivery] = (await api.get(`/webhooks/${webhook.id}/deliveries`)).body;
    expect(delivery).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastResponseCode: 500,
      lastResponseBody: 'broken 1',
      lastError: 'the receiver answered HTTP 500',
    });
    expect(delivery.nextAttempt).toBe(new Date(t0.getTime() + 60_000).toISOString());

    // Not due yet: nothing is sent.
    at(59_000);
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(1);

    at(60_000);
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(2);
    [delivery] = (await api.get(`/webhooks/${webhook.id}/deliveries`)).body;
    expect(delivery).toMatchObject({
      status: 'pending',
      attempts: 2,
      nextAttempt: new Date(t0.getTime() + 60_000 + 120_000).toISOString(),
    });

    at(60_000 + 119_000);
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(2);
    at(180_000);
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(3);
    at(180_000 + 240_000);
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(4);

    // Every attempt: the same event id and the same bytes, each signed at its own time.
    expect(new Set(r.received.map((x) => x.headers['ringbill-event-id'])).size).toBe(1);
    expect(new Set(r.received.map((x) => x.rawBody.toString())).size).toBe(1);
    expect(r.received.every((x) => x.verified)).toBe(true);
    const stamps = r.received.map(
      (x) => parseSignatureHeader(String(x.headers['ringbill-signature']))!.timestamp - t0.getTime() / 1000,
    );
    expect(stamps).toEqual([0, 60, 180, 420]);

    const detail = await api.get(`/webhooks/${webhook.id}/deliveries/${delivery.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      status: 'succeeded',
      attempts: 4,
      lastResponseCode: 204,
      lastError: null,
      nextAttempt: null,
    });
    expect(
      detail.body.attemptLog.map((a: any) => [a.attempt, a.responseCode, a.responseBody, a.error]),
    ).toEqual([
      [1, 500, 'broken 1', 'the receiver answered HTTP 500'],
      [2, 500, 'broken 2', 'the receiver answered HTTP 500'],
      [3, 500, 'broken 3', 'the receiver answered HTTP 500'],
      [4, 204, '', null],
    ]);
    expect(detail.body.attemptLog.map((a: any) => a.attempted)).toEqual(
      [0, 60_000, 180_000, 420_000].map((ms) => new Date(t0.getTime() + ms).toISOString()),
    );
    expect((await api.get(`/webhooks/${webhook.id}/deliveries?status=succeeded`)).body).toHaveLength(1);
    expect((await api.get(`/webhooks/${webhook.id}/deliveries?status=pending`)).body).toHaveLength(0);
  });

  it('gives up after 16 attempts over more than a day, and the log says failed', async () => {
    const t0 = new Date('2026-11-03T00:00:00Z');
    h.setNow(t0);
    const { api } = await h.account();
    const r = await receiver({ answer: () => ({ status: 503, body: 'x'.repeat(5000) }) });
    const webhook = await subscribe(api, r, { eventTypes: ['invoice.approved'] });
    await approve(api, await unsentInvoice(api));
    let now: number;
    for (let i = 0; i < 40 && r.received.length < 20; i++) {
      await h.outbox.runOnce();
      const [d] = (await api.get(`/webhooks/${webhook.id}/deliveries`)).body;
      if (d.status !== 'pending') break;
      now = Date.parse(d.nextAttempt);
      h.setNow(new Date(now));
    }
    expect(r.received).toHaveLength(16);
    const [d] = (await api.get(`/webhooks/${webhook.id}/deliveries`)).body;
    expect(d).toMatchObject({ status: 'failed', attempts: 16, lastResponseCode: 503, nextAttempt: null });
    expect(d.lastResponseBody).toHaveLength(1024);
    const spanHours = (Date.parse(d.lastAttempt) - t0.getTime()) / 3600_000;
    expect(spanHours * 60).toBe(511 + 6 * 360); // 44.5 hours
  });

  it('does not follow redirects, and times out a receiver that does not answer', async () => {
    const { api } = await h.account();
    const target = await receiver();
    const redirecting = await receiver({
      answer: () => ({ status: 302, headers: { location: target.url } }),
    });
    const webhook = await subscribe(api, redirecting, { eventTypes: ['invoice.approved'] });
    const slow = await receiver({ answer: () => ({ status: 200, delayMs: 2000 }) });
    const slowHook = await subscribe(api, slow, { eventTypes: ['invoice.approved'] });
    await approve(api, await unsentInvoice(api));

    // A worker whose receivers get 300 ms to answer.
    const worker = new OutboxWorker(h.ctx, { webhook_delivery: createWebhookHandler({ timeoutMs: 300 }) });
    const started = Date.now();
    await worker.runOnce();
    expect(Date.now() - started).toBeLessThan(1800);
    expect(redirecting.received).toHaveLength(1);
    expect(target.received).toHaveLength(0);
    const [redirected] = (await api.get(`/webhooks/${webhook.id}/deliveries`)).body;
    expect(redirected).toMatchObject({ status: 'pending', attempts: 1, lastResponseCode: 302 });
    expect(redirected.lastError).toContain('not followed');
    const [timedOut] = (await api.get(`/webhooks/${slowHook.id}/deliveries`)).body;
    expect(timedOut).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastResponseCode: null,
      lastError: 'no answer within 0.3 s',
    });
  });

  it('records a refused connection as a failed attempt', async () => {
    const { api } = await h.account();
    const r = await receiver();
    const webhook = await subscribe(api, r, { eventTypes: ['invoice.approved'] });
    await r.close();
    await approve(api, await unsentInvoice(api));
    await h.outbox.runOnce();
    const [d] = (await api.get(`/webhooks/${webhook.id}/deliveries`)).body;
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastResponseCode: null });
    expect(d.lastError).toContain('ECONNREFUSED');
  });

  it('sends nothing to a disabled subscription, and calls off deliveries waiting when it is disabled', async () => {
    const { api } = await h.account();
    const off = await receiver();
    const offHook = await subscribe(api, off, { enabled: false });
    await approve(api, await unsentInvoice(api));
    await h.outbox.runOnce();
    expect(off.received).toHaveLength(0);
    expect((await api.get(`/webhooks/${offHook.id}/deliveries`)).body).toEqual([]);
    // Paused, not gone: the event is recorded (for a replay once it is enabled), but nothing is sent.
    expect((await api.get('/webhooks/events')).body.map((e: any) => e.type)).toEqual(['invoice.approved']);

    const on = await receiver();
    const onHook = await subscribe(api, on);
    await approve(api, await unsentInvoice(api));
    expect((await api.patch(`/webhooks/${onHook.id}`, { enabled: false })).status).toBe(200);
    await h.outbox.runOnce();
    expect(on.received).toHaveLength(0);
    const [d] = (await api.get(`/webhooks/${onHook.id}/deliveries`)).body;
    expect(d).toMatchObject({
      status: 'cancelled',
      attempts: 0,
      lastError: 'the webhook subscription is disabled',
      nextAttempt: null,
    });
    // Replaying to a disabled subscription is refused; enabled again, the replay goes through.
    const replay = await api.post(`/webhooks/${onHook.id}/deliveries/${d.id}/replay`);
    expect(replay.status).toBe(409);
    expect((await api.patch(`/webhooks/${onHook.id}`, { enabled: true })).status).toBe(200);
    expect((await api.post(`/webhooks/${onHook.id}/deliveries/${d.id}/replay`)).status).toBe(202);
    await h.outbox.runOnce();
    expect(on.received).toHaveLength(1);
    expect(on.received[0]!.body.id).toBe(d.eventID);
  });

  it('sends each subscription only the event types it takes; "*" takes all', async () => {
    const { api, id: accountId } = await h.account();
    const paidOnly = await receiver();
    await subscribe(api, paidOnly, { eventTypes: ['invoice.paid'] });
    const all = await receiver();
    await subscribe(api, all, { eventTypes: ['*'] });
    const invoiceId = await unsentInvoice(api);
    await approve(api, invoiceId);

    // The invoice is paid in full (paid_amount reaches the total): invoice.paid goes out.
    const account = (await findAccount(h.ctx.db, accountId))!;
    await h.ctx.db.transaction().execute(async (trx) => {
      const before = (await findInvoice(trx, accountId, Number(invoiceId)))!;
      await sql`update invoices set paid_amount = total, paid_date = '2026-11-20' where account_id = ${accountId} and id = ${Number(invoiceId)}`.execute(
        trx,
      );
      const after = (await findInvoice(trx, accountId, Number(invoiceId)))!;
      expect(await emitInvoicePaidIfSettled(trx, account, before, after, h.ctx.now())).toEqual({
        events: 1,
        deliveries: 2,
      });
      // Already paid: a second change is not a second invoice.paid.
      expect(await emitInvoicePaidIfSettled(trx, account, after, after, h.ctx.now())).toBeUndefined();
    });
    await h.outbox.runOnce();
    expect(paidOnly.received.map((x) => x.body.type)).toEqual(['invoice.paid']);
    expect(paidOnly.received[0]!.body.data).toMatchObject({
      id: invoiceId,
      paidAmount: '106.44',
      outstanding: '0.00',
      status: ['approved', 'paid'],
    });
    expect(all.received.map((x) => x.body.type).sort()).toEqual(['invoice.approved', 'invoice.paid']);
    expect(all.received.every((x) => x.verified)).toBe(true);
    // Distinct events, distinct ids; the same event has the same id at both receivers.
    const ids = all.received.map((x) => x.body.id);
    expect(new Set(ids).size).toBe(2);
    expect(ids).toContain(paidOnly.received[0]!.body.id);
  });

  it('replays an event with the same id, to every subscriber or to one', async () => {
    const { api } = await h.account();
    const a = await receiver();
    const hookA = await subscribe(api, a);
    const b = await receiver();
    const hookB = await subscribe(api, b);
    await approve(api, await unsentInvoice(api));
    await h.outbox.runOnce();
    expect(a.received).toHaveLength(1);
    expect(b.received).toHaveLength(1);
    const eventId = a.received[0]!.body.id;

    const replayed = await api.post(`/webhooks/events/${eventId}/replay`);
    expect(replayed.status, replayed.text).toBe(202);
    expect(replayed.body.map((d: any) => [d.webhookID, d.eventID, d.status, d.replay])).toEqual([
      [hookA.id, eventId, 'pending', true],
      [hookB.id, eventId, 'pending', true],
    ]);
    const one = await api.post(`/webhooks/events/${eventId}/replay`, { webhookID: hookB.id });
    expect(one.status).toBe(202);
    // One webhook named: the one new delivery, not a list.
    expect(one.body).toMatchObject({
      webhookID: hookB.id,
      eventID: eventId,
      status: 'pending',
      replay: true,
    });
    await h.outbox.runOnce();
    expect(a.received).toHaveLength(2);
    expect(b.received).toHaveLength(3);
    for (const x of [...a.received, ...b.received]) {
      expect(x.body.id).toBe(eventId);
      expect(x.verified).toBe(true);
    }
    expect(b.received[2]!.rawBody.equals(b.received[0]!.rawBody)).toBe(true);
    const logB = (await api.get(`/webhooks/${hookB.id}/deliveries`)).body;
    expect(logB.map((d: any) => [d.status, d.replay])).toEqual([
      ['succeeded', false],
      ['succeeded', true],
      ['succeeded', true],
    ]);
    expect((await api.get(`/webhooks/${hookB.id}/deliveries?eventID=${eventId}`)).body).toHaveLength(3);

    const events = await api.get('/webhooks/events?type=invoice.approved');
    expect(events.body.map((e: any) => e.id)).toEqual([eventId]);
    expect((await api.post('/webhooks/events/evt_00000000000000000000000000000000/replay')).status).toBe(404);
    expect((await api.post(`/webhooks/events/${eventId}/replay`, { webhookID: '99999999' })).status).toBe(
      404,
    );
  });

  it('takes webhookID as a number or a numeric string; anything else is not a webhook', async () => {
    const { api } = await h.account();
    const r = await receiver();
    const hook = await subscribe(api, r);
    await approve(api, await unsentInvoice(api));
    await h.outbox.runOnce();
    const eventId = r.received[0]!.body.id;
    for (const webhookID of [Number(hook.id), hook.id]) {
      const res = await api.post(`/webhooks/events/${eventId}/replay`, { webhookID });
      expect(res.status, `${JSON.stringify(webhookID)} → ${res.text}`).toBe(202);
      expect(res.body).toMatchObject({ webhookID: hook.id, eventID: eventId, replay: true });
    }
    for (const webhookID of [0, -1, 99999999, 'abc']) {
      const res = await api.post(`/webhooks/events/${eventId}/replay`, { webhookID });
      expect(res.status, JSON.stringify(webhookID)).toBe(404);
      expect(res.body.error_code).toBe(404001);
    }
    for (const webhookID of [1.5, true, null, [1]]) {
      const res = await api.post(`/webhooks/events/${eventId}/replay`, { webhookID });
      expect(res.status, JSON.stringify(webhookID)).toBe(400);
      expect(res.body.hint).toContain('webhookID');
    }
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(3);
  });

  it('signs with the old secret too while a rotation is in its grace period', async () => {
    const { api } = await h.account();
    const r = await receiver();
    const webhook = await subscribe(api, r, { eventTypes: ['invoice.approved'] });
    const oldSecret = r.secrets[0]!;
    const rotated = await api.post(`/webhooks/${webhook.id}/rotateSecret`);
    expect(rotated.status).toBe(200);
    await approve(api, await unsentInvoice(api));
    await h.outbox.runOnce();
    const header = String(r.received[0]!.headers['ringbill-signature']);
    expect(parseSignatureHeader(header)!.signatures).toHaveLength(2);
    r.secrets = [rotated.body.secret];
    expect(r.received[0]!.verified).toBe(true);

    // At once (grace 0): the old secret no longer signs.
    const again = await api.post(`/webhooks/${webhook.id}/rotateSecret`, { gracePeriodHours: 0 });
    expect(again.body.previousSecretExpires).toBeNull();
    r.secrets = [oldSecret, rotated.body.secret];
    await approve(api, await unsentInvoice(api));
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(2);
    expect(
      parseSignatureHeader(String(r.received[1]!.headers['ringbill-signature']))!.signatures,
    ).toHaveLength(1);
    expect(r.received[1]!.verified).toBe(false);
    r.secrets = [again.body.secret];
    const { verifyWebhookSignature } = await import('../../src/webhooks/signature.ts');
    expect(
      verifyWebhookSignature(
        r.received[1]!.rawBody,
        String(r.received[1]!.headers['ringbill-signature']),
        again.body.secret,
      ),
    ).toBe(true);
  });

  it('deleting a subscription calls off what it still had to receive', async () => {
    const { api, id: accountId } = await h.account();
    const r = await receiver();
    const webhook = await subscribe(api, r);
    await approve(api, await unsentInvoice(api));
    expect((await api.delete(`/webhooks/${webhook.id}`)).status).toBe(200);
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(0);
    const pending = await h.ctx.db
      .selectFrom('outbox')
      .select('id')
      .where('account_id', '=', accountId)
      .where('kind', '=', 'webhook_delivery')
      .where('status', '=', 'pending')
      .execute();
    expect(pending).toEqual([]);
  });

  it("keeps accounts apart: another account's subscriptions, deliveries and events are 404", async () => {
    const a = await h.account();
    const b = await h.account();
    const r = await receiver();
    const webhook = await subscribe(a.api, r);
    await approve(a.api, await unsentInvoice(a.api));
    await h.outbox.runOnce();
    const eventId = r.received[0]!.body.id;
    const [delivery] = (await a.api.get(`/webhooks/${webhook.id}/deliveries`)).body;

    const notFound = async (res: Promise<{ status: number; body: any }>) => {
      const got = await res;
      expect(got.status).toBe(404);
      expect(got.body.error_code).toBe(404001);
    };
    await notFound(b.api.get(`/webhooks/${webhook.id}`));
    await notFound(b.api.patch(`/webhooks/${webhook.id}`, { enabled: false }));
    await notFound(b.api.delete(`/webhooks/${webhook.id}`));
    await notFound(b.api.post(`/webhooks/${webhook.id}/rotateSecret`));
    await notFound(b.api.get(`/webhooks/${webhook.id}/deliveries`));
    await notFound(b.api.get(`/webhooks/${webhook.id}/deliveries/${delivery.id}`));
    await notFound(b.api.post(`/webhooks/${webhook.id}/deliveries/${delivery.id}/replay`));
    await notFound(b.api.get(`/webhooks/events/${eventId}`));
    await notFound(b.api.post(`/webhooks/events/${eventId}/replay`));
    await notFound(
      a.api.post(`/webhooks/events/${eventId}/replay`, {
        webhookID: (await b.api.post('/webhooks', { url: r.url, eventTypes: ['*'] })).body.id,
      }),
    );
    expect((await b.api.get('/webhooks')).body.map((w: any) => w.url)).toEqual([r.url]);
    expect((await b.api.get('/webhooks/events')).body).toEqual([]);
    // A's event went to A's subscription only.
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(1);
  });
});

describe('webhook emission in bulk', () => {
  it('writes a batch of events in one statement, only for subscribed types', async () => {
    const { api, id: accountId } = await h.account();
    expect(await wantedEventTypes(h.ctx.db, accountId, ['call.completed', 'invoice.paid'])).toEqual(
      new Set(),
    );
    expect(await emitEvents(h.ctx.db, accountId, 'call.completed', [{ n: 1 }], h.ctx.now())).toEqual({
      events: 0,
      deliveries: 0,
    });
    const r = await receiver();
    await subscribe(api, r, { eventTypes: ['call.completed'] });
    expect(await wantedEventTypes(h.ctx.db, accountId, ['call.completed', 'invoice.paid'])).toEqual(
      new Set(['call.completed']),
    );
    const payloads = Array.from({ length: 250 }, (_, i) => ({ transaction_id: String(i + 1), z: 1, a: 2 }));
    expect(await emitEvents(h.ctx.db, accountId, 'call.completed', payloads, h.ctx.now())).toEqual({
      events: 250,
      deliveries: 250,
    });
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(250);
    expect(new Set(r.received.map((x) => x.body.id)).size).toBe(250);
    // Every payload once, as given, key order kept (deliveries go out side by side: no order is promised).
    expect(r.received.map((x) => x.body.data.transaction_id).sort((a, b) => Number(a) - Number(b))).toEqual(
      payloads.map((p) => p.transaction_id),
    );
    const events = (await api.get('/webhooks/events?limit=1000')).body;
    expect(events.map((e: any) => e.data.transaction_id)).toEqual(payloads.map((p) => p.transaction_id));
    expect(r.received.find((x) => x.body.data.transaction_id === '1')!.rawBody.toString()).toContain(
      '"data":{"transaction_id":"1","z":1,"a":2}',
    );
  });
});

describe('call events from the feed', () => {
  it('sends call.completed for new calls and call.corrected for re-rated ones, in the feed row shape', async () => {
    const { api, id: accountId } = await h.account();
    const r = await receiver();
    await subscribe(api, r, { eventTypes: ['call.completed', 'call.corrected'] });
    const customer = await makeCustomer(api);
    await makeFeature(api, customer.id, { phoneNumber: '+441134960000' });
    const card = await makeRateCard(api, 'Standard', true);
    await loadRates(api, card.id, '2026-01-01', [
      { prefix: '44', destination: 'United Kingdom', ratePerMinute: '0.0100' },
    ]);
    const calls = [1, 2, 3].map((n) =>
      cdr(`wh-${n}`, '+441134960000', `+44207946000${n}`, `2026-10-0${n}T10:00:00Z`, 60 * n),
    );
    await sendCalls(api, calls);
    await h.outbox.runOnce();
    // Deliveries go out side by side, so they arrive in any order: a receiver puts them in feed order by
    // data.transaction_id (16 digits, so text order is number order).
    const inFeedOrder = (received: typeof r.received) =>
      received.map((x) => x.body).sort((a, b) => (a.data.transaction_id < b.data.transaction_id ? -1 : 1));
    expect(r.received.map((x) => x.body.type)).toEqual([
      'call.completed',
      'call.completed',
      'call.completed',
    ]);
    expect(r.received.every((x) => x.verified)).toBe(true);
    const completed = inFeedOrder(r.received).map((x) => x.data);
    expect(completed.map((d) => d.duration)).toEqual([60, 120, 180]);
    expect(completed.map((d) => d.advertiser_payin_localized)).toEqual(['0.01', '0.02', '0.03']);
    for (const d of completed) {
      expect(d).toMatchObject({
        transaction_type: 'call',
        corrects_transaction_id: null,
        calling_phone_number: '+441134960000',
      });
      expect(d.transaction_id).toMatch(/^\d{16}$/);
      expect(d.complete_call_id).toMatch(/^[0-9A-F]{32}$/);
      expect(typeof d.start_time_utc).toBe('number');
    }
    // The feed's 32-character form, the same the feed and the backend's calls show.
    const feedRows = (
      await new Api(h.url, api.key, '/api/2024-01-01/networks/transactions').get(`/${accountId}.json`)
    ).body;
    expect(feedRows.map((x: any) => x.complete_call_id)).toEqual(completed.map((d) => d.complete_call_id));
    expect((await api.get('/calls')).body.map((c: any) => c.completeCallID)).toEqual(
      completed.map((d) => d.complete_call_id),
    );

    // New prices, calls priced again: each call gets a correction row, sent as call.corrected.
    await loadRates(api, card.id, '2026-01-01', [
      { prefix: '44', destination: 'United Kingdom', ratePerMinute: '0.0200' },
    ]);
    const rerated = await api.post('/calls/rerate', {});
    expect(rerated.status, rerated.text).toBe(200);
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(6);
    const corrections = inFeedOrder(r.received.slice(3));
    expect(corrections.map((e) => e.type)).toEqual(['call.corrected', 'call.corrected', 'call.corrected']);
    expect(corrections.map((e) => e.data.corrects_transaction_id)).toEqual(
      completed.map((d) => d.transaction_id),
    );
    expect(corrections.map((e) => e.data.complete_call_id)).toEqual(completed.map((d) => d.complete_call_id));
    expect(corrections.map((e) => e.data.advertiser_payin_localized)).toEqual(['0.02', '0.04', '0.06']);
    expect(corrections.map((e) => e.data.duration)).toEqual([60, 120, 180]);
    expect(new Set(r.received.map((x) => x.body.id)).size).toBe(6);

    // An account that subscribes to nothing: its calls make no events at all.
    const quiet = await h.account();
    const quietCard = await makeRateCard(quiet.api, 'Standard', true);
    await loadRates(quiet.api, quietCard.id, '2026-01-01', [
      { prefix: '44', destination: 'United Kingdom', ratePerMinute: '0.0100' },
    ]);
    await sendCalls(quiet.api, calls);
    const events = await h.ctx.db
      .selectFrom('webhook_events')
      .select('id')
      .where('account_id', '=', quiet.id)
      .execute();
    expect(events).toEqual([]);
    expect(accountId).not.toBe(quiet.id);

    // It subscribes now: the very next batch makes events (the hook's cache is dropped on any change).
    const q = await receiver();
    const hook = await subscribe(quiet.api, q, { eventTypes: ['call.completed'] });
    await sendCalls(quiet.api, [cdr('wh-4', '+441134960000', '+442079460004', '2026-10-04T10:00:00Z', 30)]);
    await h.outbox.runOnce();
    expect(q.received.map((x) => x.body.data.duration)).toEqual([30]);
    // Paused: the next call's event is recorded, but not sent.
    expect((await quiet.api.patch(`/webhooks/${hook.id}`, { enabled: false })).status).toBe(200);
    await sendCalls(quiet.api, [cdr('wh-5', '+441134960000', '+442079460005', '2026-10-05T10:00:00Z', 30)]);
    await h.outbox.runOnce();
    expect(q.received).toHaveLength(1);
    const paused = await h.ctx.db
      .selectFrom('webhook_events')
      .select('id')
      .where('account_id', '=', quiet.id)
      .execute();
    expect(paused).toHaveLength(2);
    // Deleted: no subscription at all, and calls make no events again.
    expect((await quiet.api.delete(`/webhooks/${hook.id}`)).status).toBe(200);
    await sendCalls(quiet.api, [cdr('wh-6', '+441134960000', '+442079460006', '2026-10-06T10:00:00Z', 30)]);
    const gone = await h.ctx.db
      .selectFrom('webhook_events')
      .select('id')
      .where('account_id', '=', quiet.id)
      .execute();
    expect(gone).toHaveLength(2);
  });

  it('records a call correction made while the subscription is paused, and replays it once it is enabled again', async () => {
    const { api, id: accountId } = await h.account();
    const r = await receiver();
    const hook = await subscribe(api, r, { eventTypes: ['call.corrected'] });
    const customer = await makeCustomer(api);
    await makeFeature(api, customer.id, { phoneNumber: '+441134960000' });
    const card = await makeRateCard(api, 'Standard', true);
    await loadRates(api, card.id, '2026-01-01', [
      { prefix: '44', destination: 'United Kingdom', ratePerMinute: '0.0100' },
    ]);
    await sendCalls(api, [cdr('paused-1', '+441134960000', '+442079460001', '2026-10-01T10:00:00Z', 60)]);
    const call = await h.ctx.db
      .selectFrom('calls')
      .select('id')
      .where('account_id', '=', accountId)
      .where('source_call_id', '=', 'paused-1')
      .executeTakeFirstOrThrow();

    expect((await api.patch(`/webhooks/${hook.id}`, { enabled: false })).status).toBe(200);
    expect((await api.patch(`/calls/${call.id}`, { addNote: 'Called back' })).status).toBe(200);
    await h.outbox.runOnce();
    expect(r.received).toHaveLength(0);
    expect((await api.get(`/webhooks/${hook.id}/deliveries`)).body).toEqual([]);
    const events = (await api.get('/webhooks/events?type=call.corrected')).body;
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ transaction_type: 'call', notes: 'Called back' });

    // Still paused: the replay is refused; enabled again, it goes through, with the recorded event's id.
    expect((await api.post(`/webhooks/events/${events[0].id}/replay`, { webhookID: hook.id })).status).toBe(
      409,
    );
    expect((await api.patch(`/webhooks/${hook.id}`, { enabled: true })).status).toBe(200);
    const replayed = await api.post(`/webhooks/events/${events[0].id}/replay`, {
      webhookID: Number(hook.id),
    });
    expect(replayed.status, replayed.text).toBe(202);
    expect(replayed.body).toMatchObject({
      webhookID: hook.id,
      eventID: events[0].id,
      eventType: 'call.corrected',
      replay: true,
      status: 'pending',
    });
    await h.outbox.runOnce();
    expect(r.received.map((x) => [x.body.id, x.body.type, x.verified])).toEqual([
      [events[0].id, 'call.corrected', true],
    ]);
  });
});
