// Alerts and the automatic top-up: a low-balance alert fires once per crossing (webhook signed and
// delivered, email written), spend and credit alerts, account-wide thresholds; the automatic top-up charges
// the saved card once through the outbox, and a declined card fails it and emails the customer.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness.ts';
import { expectLedgerConsistent, prepaidLine, rateCard, topUp } from '../helpers/prepaid.ts';
import { startWebhookReceiver, type TestWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { createTestGateway } from '../../src/payments/gateway.ts';

const h = useHarness();
const receivers: TestWebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function mails(): Promise<string[]> {
  const files = await readdir(h.mailDir).catch(() => []);
  return Promise.all(files.sort().map((f) => readFile(join(h.mailDir, f), 'utf8')));
}

describe('balance alerts', () => {
  it('low balance fires once per crossing: a signed balance.low webhook and an email; it re-arms after a top-up', async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account, {
      customer: { email: 'low-balance@example.com' },
    });
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    const hook = await api.post('/webhooks', {
      url: receiver.url,
      eventTypes: ['balance.low', 'spend.threshold'],
    });
    expect(hook.status, hook.text).toBe(201);
    receiver.secrets.push(hook.body.secret);
    const alert = await api.post(`/customers/${customer.id}/balance/alerts`, {
      type: 'low_balance',
      threshold: '1.00',
    });
    expect(alert.status).toBe(201);
    expect(alert.body).toMatchObject({
      customerID: customer.id,
      type: 'low_balance',
      threshold: '1',
      channels: ['email'],
      enabled: true,
    });
    await api.post(`/customers/${customer.id}/balance/alerts`, { type: 'spend_daily', threshold: '0.10' });
    await topUp(api, customer.id, '1.20');
    // A 5-minute call costs 0.30: 0.90 left, below 1.00 -> fires. Another call: still below, nothing more.
    await api.post('/calls', [
      {
        call_id: 'al-1',
        from: number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 300,
        status: 'completed',
      },
    ]);
    await api.post('/calls', [
      {
        call_id: 'al-2',
        from: number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 60,
        status: 'completed',
      },
    ]);
    await h.outbox.runOnce();
    const fired = await api.get(`/customers/${customer.id}/balance/alerts/fired`);
    expect(fired.body.map((f: any) => [f.type, f.value])).toEqual(
      [
        ['spend_daily', '0.3'],
        ['low_balance', '0.9'],
      ]
        .reverse()
        .reverse(),
    );
    const events = receiver.received.map((r) => r.body);
    expect(events.map((e) => e.type).sort()).toEqual(['balance.low', 'spend.threshold']);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    const low = events.find((e) => e.type === 'balance.low');
    expect(low.data).toMatchObject({
      customerID: customer.id,
      alert: 'low_balance',
      threshold: '1',
      value: '0.9',
      currency: 'GBP',
      balance: '0.9',
      available: '0.9',
    });
    const sent = await mails();
    expect(
      sent.some(
        (m) =>
          m.includes('low-balance@example.com') &&
          m.includes('balance alert') &&
          m.includes('below GBP 1.00'),
      ),
    ).toBe(true);
    // Back above the threshold re-arms it; falling below again fires again.
    await topUp(api, customer.id, '2.00');
    await api.post('/calls', [
      {
        call_id: 'al-3',
        from: number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 2400,
        status: 'completed',
      },
    ]);
    const again = await api.get(`/customers/${customer.id}/balance/alerts/fired`);
    expect(again.body.filter((f: any) => f.type === 'low_balance')).toHaveLength(2);
    await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
  });

  it("an account-wide credit_used alert fires at 80% and 100% of a customer's credit limit", async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account, {
      customer: { billingMode: 'postpaid', creditLimit: '1.00' },
    });
    for (const t of ['80', '100'])
      expect(
        (await api.post('/balanceAlerts', { type: 'credit_used', threshold: t, channels: [] })).status,
      ).toBe(201);
    expect((await api.get('/balanceAlerts')).body.map((a: any) => [a.customerID, a.threshold])).toEqual([
      [null, '80'],
      [null, '100'],
    ]);
    // 14 minutes: 0.84 used (84%); then 3 more: 1.02 (102%).
    await api.post('/calls', [
      {
        call_id: 'cr-1',
        from: number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 840,
        status: 'completed',
      },
    ]);
    let fired = await api.get(`/customers/${customer.id}/balance/alerts/fired`);
    expect(fired.body.map((f: any) => [f.type, f.threshold, f.value])).toEqual([['credit_used', '80', '84']]);
    await api.post('/calls', [
      {
        call_id: 'cr-2',
        from: number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 180,
        status: 'completed',
      },
    ]);
    fired = await api.get(`/customers/${customer.id}/balance/alerts/fired`);
    expect(fired.body.map((f: any) => [f.threshold, f.value])).toEqual([
      ['100', '102'],
      ['80', '84'],
    ]);
    const bad = await api.post('/balanceAlerts', { type: 'balance_high', threshold: '1' });
    expect(bad.status).toBe(400);
    const other = await h.account();
    expect((await other.api.get(`/customers/${customer.id}/balance/alerts`)).status).toBe(404);
    expect((await other.api.get('/balanceAlerts')).body).toEqual([]);
  });
});

describe('automatic top-up', () => {
  it('charges the saved card once when the balance falls below the threshold, and emails on a decline', async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account, { customer: { email: 'auto@example.com' } });
    const card = await createTestGateway().charge({
      amount: '1.00',
      currency: 'GBP',
      card: { number: '4242424242424242', expiryMonth: 12, expiryYear: 2034, cvc: '123' },
      saveCard: true,
      now: new Date(),
    });
    expect(card.outcome).toBe('approved');
    const token = card.outcome === 'approved' ? card.cardToken! : '';
    const set = await api.request('PUT', `/customers/${customer.id}/balance/autoTopUp`, {
      enabled: true,
      threshold: '1.00',
      amount: '10.00',
      cardToken: token,
    });
    expect(set.status, set.text).toBe(200);
    expect(set.body.autoTopUp).toEqual({
      enabled: true,
      threshold: '1.00',
      amount: '10.00',
      cardLast4: '4242',
      hasCard: true,
    });
    await topUp(api, customer.id, '1.50');
    await api.post('/calls', [
      {
        call_id: 'at-1',
        from: number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 600,
        status: 'completed',
      },
    ]);
    await api.post('/calls', [
      {
        call_id: 'at-2',
        from: number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 60,
        status: 'completed',
      },
    ]);
    await h.outbox.runOnce();
    await h.outbox.runOnce();
    const topUps = (await api.get(`/customers/${customer.id}/balance/topUps`)).body;
    const auto = topUps.filter((t: any) => t.method === 'auto');
    expect(auto).toHaveLength(1);
    expect(auto[0]).toMatchObject({ status: 'completed', amount: '10.00', paymentID: expect.any(String) });
    // 1.50 - 0.60 - 0.06 + 10.00 = 10.84
    expect((await api.get(`/customers/${customer.id}/balance`)).body.balance).toBe('10.84');
    // A declining card: the top-up fails and the customer is told.
    const declining = 'tok_test_' + Buffer.from('4000000000000002').toString('base64url') + '.x';
    await api.request('PUT', `/customers/${customer.id}/balance/autoTopUp`, {
      enabled: true,
      threshold: '10.80',
      cardToken: declining,
    });
    await api.post('/calls', [
      {
        call_id: 'at-3',
        from: number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 60,
        status: 'completed',
      },
    ]);
    await h.outbox.runOnce();
    await h.outbox.runOnce();
    const failed = (await api.get(`/customers/${customer.id}/balance/topUps`)).body.filter(
      (t: any) => t.method === 'auto' && t.status === 'failed',
    );
    expect(failed).toHaveLength(1);
    expect(failed[0].failureReason).toBe('card_declined');
    expect(
      (await mails()).some(
        (m) => m.includes('auto@example.com') && m.includes('automatic top-up was declined'),
      ),
    ).toBe(true);
    await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
  });
});
