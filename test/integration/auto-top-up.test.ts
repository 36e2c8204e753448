// The automatic top-up end to end: the customer saves the card while paying a top-up on the payment page
// (reached from the portal), sets the threshold and amount in the portal, and a call that takes the balance
// below it charges that card once; the payment link of an automatic top-up (and the decline email) use the
// public base URL (PUBLIC_URL), not localhost.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.ts';
import { APPROVING_CARD, page } from '../helpers/pay-page.ts';
import { expectLedgerConsistent, prepaidLine, rateCard, topUp } from '../helpers/prepaid.ts';

const h = useHarness();
afterEach(() => {
  delete h.ctx.services.gateway;
  delete h.ctx.services.publicUrl;
});

async function mails(): Promise<string[]> {
  const files = await readdir(h.mailDir).catch(() => []);
  return Promise.all(files.sort().map((f) => readFile(join(h.mailDir, f), 'utf8')));
}

/** A portal session (the emailed link, used): the cookie and the CSRF token of its pages. */
async function portalSession(
  email: string,
): Promise<{ cookie: string; csrf: (path: string) => Promise<string> }> {
  const res = await fetch(`${h.url}/portal/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email }).toString(),
  });
  expect(res.status).toBe(200);
  await h.outbox.runOnce();
  let link: string | undefined;
  for (const text of (await mails()).reverse()) {
    const m = /(http:\/\/[^\s]+\/portal\/sign-in\/[\w-]+)/.exec(text.replace(/=\r?\n/g, ''));
    if (text.includes(email) && m) {
      link = m[1];
      break;
    }
  }
  expect(link).toBeDefined();
  const signed = await fetch(link!, { method: 'POST', redirect: 'manual' });
  expect(signed.status).toBe(303);
  const cookie = signed.headers.get('set-cookie')!.split(';')[0]!;
  return {
    cookie,
    csrf: async (path) => {
      const html = await (await fetch(`${h.url}${path}`, { headers: { cookie } })).text();
      return /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    },
  };
}

async function portalPost(cookie: string, path: string, form: Record<string, string>) {
  return fetch(`${h.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

describe('automatic top-up', () => {
  it('the card is saved while paying a top-up from the portal, and the automatic top-up charges it', async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account, { customer: { email: 'save-card@example.com' } });
    const portal = await portalSession('save-card@example.com');

    // No card yet: the settings page says how to save one.
    const before = await (
      await fetch(`${h.url}/portal/settings`, { headers: { cookie: portal.cookie } })
    ).text();
    expect(before).toContain('No card saved yet');
    // Top up 10.00 from the portal: to the payment page, which offers to keep the card.
    const started = await portalPost(portal.cookie, '/portal/top-up', {
      csrf: await portal.csrf('/portal'),
      amount: '10.00',
    });
    expect(started.status).toBe(303);
    const payPath = started.headers.get('location')!;
    expect(payPath).toMatch(/^\/pay\//);
    const payPage = await page(h.url, payPath);
    expect(payPage.text).toContain('name="saveCard"');
    const paid = await page(h.url, `${payPath}/payments`, { ...APPROVING_CARD, saveCard: 'true' });
    expect(paid.status).toBe(303);
    expect((await api.get(`/customers/${customer.id}/balance`)).body).toMatchObject({
      balance: '10.00',
      autoTopUp: { enabled: false, cardLast4: '4242', hasCard: true },
    });

    // The threshold and amount, in the portal.
    const settings = await (
      await fetch(`${h.url}/portal/settings`, { headers: { cookie: portal.cookie } })
    ).text();
    expect(settings).toContain('Your saved card ending 4242');
    const set = await portalPost(portal.cookie, '/portal/auto-top-up', {
      csrf: await portal.csrf('/portal/settings'),
      threshold: '5.00',
      amount: '20.00',
      enabled: 'true',
    });
    expect(set.status).toBe(303);
    expect(set.headers.get('location')).toBe('/portal/settings');
    expect((await api.get(`/customers/${customer.id}/balance`)).body.autoTopUp).toEqual({
      enabled: true,
      threshold: '5.00',
      amount: '20.00',
      cardLast4: '4242',
      hasCard: true,
    });
    // A bad threshold is the form's error, nothing changes.
    const bad = await portalPost(portal.cookie, '/portal/auto-top-up', {
      csrf: await portal.csrf('/portal/settings'),
      threshold: 'lots',
      amount: '20.00',
      enabled: 'true',
    });
    expect(bad.headers.get('location')).toMatch(/^\/portal\/settings\?error=threshold/);

    // A 100-minute call at 0.06 a minute: 10.00 - 6.00 = 4.00, below 5.00: the saved card is charged 20.00.
    await api.post('/calls', [
      {
        call_id: 'sc-1',
        from: number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 6000,
        status: 'completed',
      },
    ]);
    await h.outbox.runOnce();
    await h.outbox.runOnce();
    const auto = (await api.get(`/customers/${customer.id}/balance/topUps`)).body.filter(
      (t: any) => t.method === 'auto',
    );
    expect(auto).toHaveLength(1);
    expect(auto[0]).toMatchObject({ status: 'completed', amount: '20.00' });
    expect((await api.get(`/customers/${customer.id}/balance`)).body.balance).toBe('24.00');
    await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
  });

  it('only a top-up’s payment link keeps a card', async () => {
    const account = await h.account();
    const collect = await fetch(`${h.url}/collect/v1/requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: '12.00', description: 'Consulting', channels: [] }),
    });
    expect(collect.status).toBe(201);
    const path = new URL((await collect.json()).url).pathname;
    expect((await page(h.url, path)).text).not.toContain('name="saveCard"');
    const res = await fetch(`${h.url}${path}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ cardNumber: '4242424242424242', expiry: '12/34', cvc: '123', saveCard: true }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('saveCard');
  });

  it('the payment link of an automatic top-up and its decline email use the public base URL', async () => {
    h.ctx.services.publicUrl = 'https://billing.example.com/';
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account, {
      customer: { email: 'public-url@example.com' },
    });
    const declining = 'tok_test_' + Buffer.from('4000000000000002').toString('base64url') + '.x';
    expect(
      (
        await api.request('PUT', `/customers/${customer.id}/balance/autoTopUp`, {
          enabled: true,
          threshold: '1.00',
          amount: '10.00',
          cardToken: declining,
        })
      ).status,
    ).toBe(200);
    await topUp(api, customer.id, '1.50');
    await api.post('/calls', [
      {
        call_id: 'pu-1',
        from: number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 600,
        status: 'completed',
      },
    ]);
    await h.outbox.runOnce();
    await h.outbox.runOnce();
    const [auto] = (await api.get(`/customers/${customer.id}/balance/topUps`)).body.filter(
      (t: any) => t.method === 'auto',
    );
    expect(auto).toMatchObject({
      status: 'failed',
      failureReason: 'card_declined',
      url: expect.stringMatching(/^https:\/\/billing\.example\.com\/pay\/[\w-]+$/),
    });
    const mail = (await mails()).find(
      (m) => m.includes('public-url@example.com') && m.includes('automatic top-up was declined'),
    );
    expect(mail).toBeDefined();
    expect(mail!.replace(/=\r?\n/g, '')).toContain(auto.url);
    expect(mail).not.toContain('localhost');
  });
});

describe('automatic top-up, the charge interrupted', () => {
  it('a process that died after the gateway charged is settled from the gateway by the retry: one charge, one credit', async () => {
    const { createCtx } = await import('../../src/context.ts');
    const { createTestGateway } = await import('../../src/payments/gateway.ts');
    const { runAutoTopUp } = await import('../../src/top-ups/auto-top-up.ts');
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account, {
      customer: { email: 'interrupted@example.com' },
    });
    const approving = 'tok_test_' + Buffer.from('4242424242424242').toString('base64url') + '.x';
    await api.request('PUT', `/customers/${customer.id}/balance/autoTopUp`, {
      enabled: true,
      threshold: '1.00',
      amount: '10.00',
      cardToken: approving,
    });
    await topUp(api, customer.id, '1.50');
    await api.post('/calls', [
      {
        call_id: 'int-1',
        from: number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 600,
        status: 'completed',
      },
    ]);
    const [pending] = (await api.get(`/customers/${customer.id}/balance/topUps`)).body.filter(
      (t: any) => t.method === 'auto',
    );
    const job = { account_id: account.id, payload: { topUpId: Number(pending.id) } } as Parameters<
      typeof runAutoTopUp
    >[0];

    // The gateway charges, then the process "dies" before the charge is recorded (no lease: not a live process).
    let crash = true;
    const gateway = createTestGateway({
      duringCharge: async () => {
        if (crash) throw new Error('process killed after the charge');
      },
    });
    const dying = createCtx(h.testDb.database, () => new Date(), { mailer: h.ctx.services.mailer, gateway });
    // (The payments module keeps the attempt pending when the gateway's answer is lost.)
    await runAutoTopUp(job, dying).catch(() => undefined);
    crash = false;
    expect(gateway.approvedCharges()).toHaveLength(1);

    // The outbox's retries, in a later process, once the pending attempt is stale: settled from the gateway.
    const later = createCtx(h.testDb.database, () => new Date(Date.now() + 10 * 60_000), {
      mailer: h.ctx.services.mailer,
      gateway,
    });
    for (let i = 0; i < 3; i++) await runAutoTopUp(job, later).catch(() => undefined);
    expect(gateway.approvedCharges()).toHaveLength(1);
    const [auto] = (await api.get(`/customers/${customer.id}/balance/topUps`)).body.filter(
      (t: any) => t.method === 'auto',
    );
    expect(auto).toMatchObject({ status: 'completed', amount: '10.00' });
    // 1.50 - 0.60 + 10.00
    expect((await api.get(`/customers/${customer.id}/balance`)).body.balance).toBe('10.90');
    await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
  });
});
