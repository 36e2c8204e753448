// Real-time authorisation through HTTP, then the ledger: a call authorised and its CDR settling it, the
// refusals, extend and release, expiry in either order with the CDR, a CDR sent twice, a retried callId,
// re-rating corrections; then 50 simultaneous authorisations against a balance that pays for 10, and a
// seeded random simulation of calls, top-ups, expiries and CDRs with the ledger checked after every step.
import { describe, expect, it } from 'vitest';
import { expireReservations } from '../../src/authorization/release.ts';
import { allEntries } from '../../src/balances/repo.ts';
import { money } from '../../src/money/money.ts';
import { makeCustomer, makeFeature, useHarness, type Api } from '../helpers/harness.ts';
import { expectLedgerConsistent, prepaidLine, rateCard, topUp } from '../helpers/prepaid.ts';

const h = useHarness();
// A Tuesday, 10:00 in London: peak (the card has one rate for all times).
const START = '2026-10-20T09:00:00Z';

async function cdr(api: Api, call: Record<string, unknown>) {
  const res = await api.post('/calls', [{ start_time: START, status: 'completed', ...call }]);
  expect(res.status).toBe(200);
  return res.body;
}

describe('POST /calls/authorize', () => {
  it('authorises, holds the cost of maxDurationS, and the CDR settles it once', async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account, { vatRate: '20' });
    await topUp(api, customer.id, '1.00');
    h.setNow(new Date(START));
    const res = await api.post('/calls/authorize', { from: number, to: '+447700900123', callId: 'sw-1' });
    expect(res.status).toBe(200);
    // UK mobile: 0.05 to connect, 0.12 a minute after a 30 s first increment, VAT 20%. 1.00 pays for
    // 391 s: (0.05 + 0.12 x 391 / 60) x 1.2 = (0.05 + 0.782) x 1.2 = 0.9984; 392 s would cost 1.0008.
    expect(res.body).toEqual({
      authorized: true,
      maxDurationS: 391,
      reservationId: expect.any(String),
      rate: {
        destination: 'UK mobile',
        prefix: '447',
        band: 'all',
        ratePerMinute: '0.12',
        connectionFee: '0.05',
        minimumCharge: '0.00',
        initialIncrementS: 30,
        subsequentIncrementS: 1,
        vatRate: '20',
      },
      reason: null,
      reserved: '0.9984',
      available: '0.0016',
      currency: 'GBP',
      expiresAt: '2026-10-20T13:00:00.000Z',
      replayed: false,
    });
    const balance = await api.get(`/customers/${customer.id}/balance`);
    expect(balance.body).toMatchObject({ balance: '1.00', reserved: '0.9984', available: '0.0016' });
    // The switch retries: the same answer, nothing held twice.
    const again = await api.post('/calls/authorize', { from: number, to: '+447700900123', callId: 'sw-1' });
    expect(again.body).toMatchObject({
      authorized: true,
      reservationId: res.body.reservationId,
      maxDurationS: 391,
      replayed: true,
    });
    // The call lasted 100 s: (0.05 + 0.20) x 1.2 = 0.30.
    await cdr(api, { call_id: 'sw-1', from: number, to: '+447700900123', duration_s: 100 });
    await cdr(api, { call_id: 'sw-1', from: number, to: '+447700900123', duration_s: 100 });
    const after = await api.get(`/customers/${customer.id}/balance`);
    expect(after.body).toMatchObject({
      balance: '0.70',
      reserved: '0.00',
      available: '0.70',
      spentToday: '0.30',
    });
    const entries = await api.get(`/customers/${customer.id}/balance/entries`);
    expect(entries.body.map((e: any) => [e.type, e.amount, e.vatAmount, e.balance, e.reserved])).toEqual([
      ['top_up', '1.00', null, '1.00', '0.00'],
      ['reservation', '-0.9984', null, '1.00', '0.9984'],
      ['call', '-0.30', '0.05', '0.70', '0.9984'],
      ['release', '0.9984', null, '0.70', '0.00'],
    ]);
    const reservation = await api.get(`/calls/authorize/${res.body.reservationId}`);
    expect(reservation.body).toMatchObject({
      status: 'settled',
      callId: 'sw-1',
      settledCallID: entries.body[2].callID,
      maxDurationS: 391,
    });
    // Expiry later changes nothing.
    h.setNow(new Date('2026-10-20T14:00:00Z'));
    await expireReservations(h.ctx);
    h.setNow(undefined);
    await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
    expect((await allEntries(h.ctx.db, account.id, Number(customer.id))).length).toBe(4);
  });

  it('refuses with a reason: no balance, unknown number, no rate; and checks its input', async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account);
    const empty = await api.post('/calls/authorize', { from: number, to: '441134960999' });
    expect(empty.body).toMatchObject({
      authorized: false,
      maxDurationS: 0,
      reservationId: null,
      reason: 'insufficient_balance',
      reserved: '0.00',
    });
    expect(empty.body.rate).toMatchObject({ destination: 'United Kingdom', ratePerMinute: '0.06' });
    const unknown = await api.post('/calls/authorize', { from: '+15550000000', to: '441134960999' });
    expect(unknown.body).toMatchObject({ authorized: false, reason: 'unknown_number', rate: null });
    await topUp(api, customer.id, '5.00');
    const noRate = await api.post('/calls/authorize', { from: number, to: '8613800000000' });
    expect(noRate.body).toMatchObject({ authorized: false, reason: 'no_rate' });
    for (const body of [
      { from: number },
      { from: 'abc', to: '44113' },
      { from: number, to: '4411349', maxDurationS: 0 },
      { from: number, to: '4411349', startTime: 'today' },
      { from: number, to: '4411349', extra: 1 },
    ]) {
      const res = await api.post('/calls/authorize', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error_code).toBe(400001);
    }
    expect((await api.get(`/customers/${customer.id}/balance`)).body).toMatchObject({
      balance: '5.00',
      reserved: '0.00',
    });
  });

  it('a postpaid customer: unlimited without a credit limit, refused past it', async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const c = await makeCustomer(api);
    await makeFeature(api, c.id, { phoneNumber: '+441134961111', startDate: '2026-01-01', vatRate: '0' });
    const open = await api.post('/calls/authorize', { from: '+441134961111', to: '441134960999' });
    expect(open.body).toMatchObject({
      authorized: true,
      maxDurationS: 3600,
      reserved: '0.00',
      available: null,
    });
    await api.patch(`/customers/${c.id}`, { creditLimit: '0.30' });
    // 0.06 a minute, per started minute: 0.30 of credit pays for 5 minutes.
    const limited = await api.post('/calls/authorize', { from: '+441134961111', to: '441134960999' });
    expect(limited.body).toMatchObject({
      authorized: true,
      maxDurationS: 300,
      reserved: '0.30',
      available: '0.00',
    });
    const refused = await api.post('/calls/authorize', { from: '+441134961111', to: '441134960999' });
    expect(refused.body).toMatchObject({ authorized: false, reason: 'credit_limit_reached' });
  });

  it('extends a call in progress and releases what it holds', async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account);
    await topUp(api, customer.id, '1.00');
    const first = await api.post('/calls/authorize', { from: number, to: '441134960999', maxDurationS: 120 });
    expect(first.body).toMatchObject({ authorized: true, maxDurationS: 120, reserved: '0.12' });
    const id = first.body.reservationId;
    const ext = await api.post(`/calls/authorize/${id}/extend`, { seconds: 600 });
    // 1.00 pays for 16 whole minutes; asked up to 720 s: 720 s (0.72).
    expect(ext.status, ext.text).toBe(200);
    expect(ext.body).toMatchObject({
      authorized: true,
      maxDurationS: 720,
      extendedByS: 600,
      reserved: '0.72',
      available: '0.28',
    });
    const more = await api.post(`/calls/authorize/${id}/extend`, {});
    expect(more.body).toMatchObject({
      authorized: true,
      maxDurationS: 960,
      extendedByS: 240,
      reserved: '0.96',
      available: '0.04',
    });
    const none = await api.post(`/calls/authorize/${id}/extend`, { seconds: 60 });
    expect(none.body).toMatchObject({
      authorized: false,
      maxDurationS: 960,
      extendedByS: 0,
      reason: 'insufficient_balance',
    });
    const released = await api.post(`/calls/authorize/${id}/release`);
    expect(released.body).toMatchObject({ status: 'released', reserved: '0.96' });
    const twice = await api.post(`/calls/authorize/${id}/release`);
    expect(twice.body.status).toBe('released');
    const closed = await api.post(`/calls/authorize/${id}/extend`, { seconds: 60 });
    expect(closed.status).toBe(409);
    expect((await api.get(`/customers/${customer.id}/balance`)).body).toMatchObject({
      balance: '1.00',
      reserved: '0.00',
    });
    await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
  });

  it('expiry before the CDR: the hold is released, then the CDR is debited once (matched by numbers and start)', async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account);
    await topUp(api, customer.id, '2.00');
    h.setNow(new Date(START));
    const auth = await api.post('/calls/authorize', {
      from: number,
      to: '441134960999',
      startTime: START,
      maxDurationS: 600,
    });
    expect(auth.body.reserved).toBe('0.60');
    h.setNow(new Date('2026-10-20T13:00:01Z'));
    expect(await expireReservations(h.ctx)).toBeGreaterThanOrEqual(1);
    expect((await api.get(`/calls/authorize/${auth.body.reservationId}`)).body.status).toBe('expired');
    await cdr(api, { call_id: 'late-1', from: number, to: '441134960999', duration_s: 61 });
    h.setNow(undefined);
    const entries = await api.get(`/customers/${customer.id}/balance/entries`);
    expect(entries.body.map((e: any) => [e.type, e.amount])).toEqual([
      ['top_up', '2.00'],
      ['reservation', '-0.60'],
      ['release', '0.60'],
      ['call', '-0.12'],
    ]);
    await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
  });

  it('re-rating a debited call adds a correction entry, never a change', async () => {
    const account = await h.account();
    const { api } = account;
    const card = await rateCard(api);
    const { customer, number } = await prepaidLine(account);
    await topUp(api, customer.id, '5.00');
    await cdr(api, { call_id: 'rr-1', from: number, to: '441134960999', duration_s: 120 });
    expect((await api.get(`/customers/${customer.id}/balance`)).body.balance).toBe('4.88');
    await api.request('PUT', `/rateCards/${card.id}/rates`, {
      effectiveFrom: '2026-01-01',
      rates: [{ prefix: '44', destination: 'United Kingdom', ratePerMinute: '0.10' }],
    });
    const rerate = await api.post('/calls/rerate', {});
    expect(rerate.status).toBe(200);
    const entries = await api.get(`/customers/${customer.id}/balance/entries`);
    expect(entries.body.map((e: any) => [e.type, e.amount, e.balance])).toEqual([
      ['top_up', '5.00', '5.00'],
      ['call', '-0.12', '4.88'],
      ['call_correction', '-0.08', '4.80'],
    ]);
    await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
  });

  it("another account's reservation is 404", async () => {
    const a = await h.account();
    const b = await h.account();
    await rateCard(a.api);
    const { customer, number } = await prepaidLine(a);
    await topUp(a.api, customer.id, '1.00');
    const auth = await a.api.post('/calls/authorize', { from: number, to: '441134960999' });
    for (const [method, path] of [
      ['GET', ''],
      ['POST', '/extend'],
      ['POST', '/release'],
    ] as const) {
      const res = await b.api.request(method, `/calls/authorize/${auth.body.reservationId}${path}`);
      expect(res.status, `${method} ${path} ${res.text}`).toBe(404);
      expect(res.body.error_code).toBe(404001);
    }
    // B's switch cannot use A's number either.
    const theirs = await b.api.post('/calls/authorize', { from: number, to: '441134960999' });
    expect(theirs.body).toMatchObject({ authorized: false, reason: 'unknown_number' });
  });
});

describe('never overspend', () => {
  it('50 simultaneous authorisations against a balance that pays for 10: exactly 10 are granted', async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account);
    // One minute to a UK landline costs 0.06: 0.60 pays for ten.
    await topUp(api, customer.id, '0.60');
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api.post('/calls/authorize', {
          from: number,
          to: '441134960999',
          callId: `c-${i}`,
          maxDurationS: 60,
        }),
      ),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const granted = answers.filter((a) => a.body.authorized);
    expect(granted).toHaveLength(10);
    expect(granted.every((a) => a.body.maxDurationS === 60 && a.body.reserved === '0.06')).toBe(true);
    expect(
      answers.filter((a) => !a.body.authorized).every((a) => a.body.reason === 'insufficient_balance'),
    ).toBe(true);
    expect((await api.get(`/customers/${customer.id}/balance`)).body).toMatchObject({
      balance: '0.60',
      reserved: '0.60',
      available: '0.00',
    });
    await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
  });

  it('a seeded random mix of authorisations, CDRs, releases, top-ups and expiries keeps the ledger exact after every step', async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account);
    const customerId = Number(customer.id);
    let seed = 20261020;
    const random = () => {
      // mulberry32: the same run every time.
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
    let clock = new Date(START).getTime();
    const open: { id: string; callId: string; maxDurationS: number }[] = [];
    let calls = 0;
    let expectedSpent = money(0);
    let expectedToppedUp = money(0);
    const cdrs = new Set<string>();
    for (let step = 0; step < 60; step++) {
      clock += Math.floor(random() * 1800) * 1000;
      h.setNow(new Date(clock));
      const action = random();
      if (action < 0.15 || (open.length === 0 && action < 0.3)) {
        const amount = pick(['0.30', '1.00', '0.07']);
        await topUp(api, customer.id, amount);
        expectedToppedUp = expectedToppedUp.plus(amount);
      } else if (action < 0.55) {
        const callId = `sim-${calls++}`;
        const res = await api.post('/calls/authorize', {
          from: number,
          to: pick(['441134960999', '447700900111']),
          callId,
          startTime: new Date(clock).toISOString(),
          maxDurationS: pick([60, 300, 900]),
        });
        expect(res.status).toBe(200);
        if (res.body.authorized)
          open.push({ id: res.body.reservationId, callId, maxDurationS: res.body.maxDurationS });
      } else if (action < 0.8 && open.length > 0) {
        const r = open.splice(Math.floor(random() * open.length), 1)[0]!;
        const reservation = (await api.get(`/calls/authorize/${r.id}`)).body;
        const duration = Math.floor(random() * r.maxDurationS) + 1;
        const before = money((await api.get(`/customers/${customer.id}/balance`)).body.balance);
        await cdr(api, {
          call_id: r.callId,
          from: number,
          to: `+${reservation.to}`,
          start_time: reservation.startTime,
          duration_s: duration,
        });
        if (random() < 0.3)
          await cdr(api, {
            call_id: r.callId,
            from: number,
            to: `+${reservation.to}`,
            start_time: reservation.startTime,
            duration_s: duration,
          });
        cdrs.add(r.callId);
        const after = money((await api.get(`/customers/${customer.id}/balance`)).body.balance);
        expectedSpent = expectedSpent.plus(before.minus(after));
      } else if (action < 0.9 && open.length > 0) {
        const r = open.splice(Math.floor(random() * open.length), 1)[0]!;
        await api.post(`/calls/authorize/${r.id}/release`);
      } else {
        clock += 4 * 3600_000;
        h.setNow(new Date(clock));
        await expireReservations(h.ctx);
        open.length = 0;
      }
      // After every step: the ledger adds up, nothing is held beyond what is available plus the overdraft
      // (none), and every call was debited exactly once.
      await expectLedgerConsistent(h.ctx, account.id, customerId);
      const state = (await api.get(`/customers/${customer.id}/balance`)).body;
      expect(money(state.available).isNegative()).toBe(false);
      const entries = await allEntries(h.ctx.db, account.id, customerId);
      const debited = entries.filter((e) => e.kind === 'call').map((e) => e.call_id);
      expect(new Set(debited).size).toBe(debited.length);
      const active = await h.ctx.db
        .selectFrom('reservations')
        .select((eb) => eb.fn.sum<string>('amount').as('held'))
        .where('account_id', '=', account.id)
        .where('status', '=', 'active')
        .executeTakeFirst();
      expect(money(active?.held ?? '0').equals(state.reserved)).toBe(true);
      expect(money(state.balance).equals(expectedToppedUp.minus(expectedSpent))).toBe(true);
    }
    h.setNow(undefined);
    expect(cdrs.size).toBeGreaterThan(5);
  });
});
