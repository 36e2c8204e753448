// The alerts standing crossed now, across an account's customers (GET /balanceAlerts/active): the domain
// query an operator's overview (the console) reads. A low-balance alert is listed from its crossing until a
// top-up re-arms it; a spend alert for the day it fired in; another account sees none of it.
import { describe, expect, it } from 'vitest';
import { activeAlerts } from '../../src/alerts/manage-alerts.ts';
import { runCli } from '../helpers/cli.ts';
import { useHarness } from '../helpers/harness.ts';
import { prepaidLine, rateCard, topUp } from '../helpers/prepaid.ts';

const h = useHarness();

describe('GET /balanceAlerts/active', () => {
  it('lists the crossings that stand, until they re-arm; tenants are apart', async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const a = await prepaidLine(account, { customer: { name: 'Low Co' } });
    const b = await prepaidLine(account, { customer: { name: 'Fine Co' } });
    expect(
      (await api.post('/balanceAlerts', { type: 'low_balance', threshold: '2.00', channels: [] })).status,
    ).toBe(201);
    const spend = await api.post(`/customers/${a.customer.id}/balance/alerts`, {
      type: 'spend_daily',
      threshold: '0.50',
      channels: [],
    });
    expect(spend.status).toBe(201);
    await topUp(api, a.customer.id, '3.00');
    await topUp(api, b.customer.id, '3.00');
    expect((await api.get('/balanceAlerts/active')).body).toEqual([]);

    // 30 minutes at 0.06 a minute: 3.00 - 1.80 = 1.20, below 2.00; 1.80 spent today reaches 0.50.
    await api.post('/calls', [
      {
        call_id: 'aa-1',
        from: a.number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 1800,
        status: 'completed',
      },
    ]);
    const active = await api.get('/balanceAlerts/active');
    expect(active.status).toBe(200);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
    expect(
      active.body
        .map((x: any) => ({ ...x, fired: typeof x.fired }))
        .sort((x: any, y: any) => x.type.localeCompare(y.type)),
    ).toEqual([
      {
        customerID: a.customer.id,
        customerName: 'Low Co',
        alertID: expect.any(String),
        type: 'low_balance',
        threshold: '2',
        accountWide: true,
        value: '1.2',
        period: null,
        fired: 'string',
      },
      {
        customerID: a.customer.id,
        customerName: 'Low Co',
        alertID: spend.body.id,
        type: 'spend_daily',
        threshold: '0.5',
        accountWide: false,
        value: '1.8',
        period: today,
        fired: 'string',
      },
    ]);
    // The same through the use case (what a console calls), with a bound.
    expect(await activeAlerts(h.ctx, account.id, 1)).toHaveLength(1);
    await expect(activeAlerts(h.ctx, account.id, 0)).rejects.toThrow('limit');
    expect((await api.get('/balanceAlerts/active?limit=5000')).status).toBe(400);

    // A top-up clears the low balance: that alert re-arms and leaves the list; today's spend stays.
    await topUp(api, a.customer.id, '5.00');
    expect((await api.get('/balanceAlerts/active')).body.map((x: any) => x.type)).toEqual(['spend_daily']);
    // Tomorrow the spend alert no longer stands.
    h.setNow(new Date(Date.now() + 2 * 86_400_000));
    try {
      expect((await api.get('/balanceAlerts/active')).body).toEqual([]);
    } finally {
      h.setNow(undefined);
    }
    const other = await h.account();
    expect((await other.api.get('/balanceAlerts/active')).body).toEqual([]);
  });

  it("show on the console's overview, each linking to its customer", async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const a = await prepaidLine(account, { customer: { name: 'Corner <Cafe>' } });
    await prepaidLine(account, { customer: { name: 'Quiet Co' } });
    expect(
      (
        await api.post(`/customers/${a.customer.id}/balance/alerts`, {
          type: 'low_balance',
          threshold: '2.00',
          channels: [],
        })
      ).status,
    ).toBe(201);
    await topUp(api, a.customer.id, '3.00');
    // A viewer of the console, signed in.
    const made = await runCli(
      h,
      [
        'users',
        'create',
        '--account',
        String(account.id),
        '--email',
        'ops@acme.example',
        '--role',
        'viewer',
        '--json',
      ],
      h.url,
    );
    expect(made.code).toBe(0);
    const setUp = new URL(JSON.parse(made.out).setUpLink).pathname;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect(
      (
        await fetch(`${h.url}${setUp}`, {
          method: 'POST',
          headers: form,
          body: 'password=a-long-password',
          redirect: 'manual',
        })
      ).status,
    ).toBe(303);
    const signIn = await fetch(`${h.url}/console/sign-in`, {
      method: 'POST',
      headers: form,
      body: 'email=ops%40acme.example&password=a-long-password',
      redirect: 'manual',
    });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const overview = async () => {
      const page = await fetch(`${h.url}/console`, { headers: { cookie } });
      expect(page.status).toBe(200);
      return page.text();
    };
    let html = await overview();
    expect(html).toContain('<strong>0</strong>balance alerts crossed');
    expect(html).not.toContain('id="alerts"');

    // 30 minutes at 0.06 a minute: 3.00 - 1.80 = 1.20, below 2.00.
    await api.post('/calls', [
      {
        call_id: 'ov-1',
        from: a.number,
        to: '441134960999',
        start_time: new Date().toISOString(),
        duration_s: 1800,
        status: 'completed',
      },
    ]);
    html = await overview();
    expect(html).toContain('<strong>1</strong>balance alerts crossed');
    expect(html).toContain(`<a href="/console/customers/${a.customer.id}">Corner &lt;Cafe&gt;</a>`);
    expect(html).toMatch(/Balance below £2\.00/);
    expect(html).toContain('£1.20');
    expect(html).not.toContain('Quiet Co');
  });
});
