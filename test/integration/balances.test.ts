// Prepaid balances through HTTP, then the ledger in the database: billing mode and credit terms on
// customers, the balance, manual top-ups, adjustments, entries (pages, date filters, CSV), top-ups paid by
// link on the payment page (and their refund), a postpaid credit limit's opening entry and invoice payments.
import { describe, expect, it } from 'vitest';
import { approve, post } from '../helpers/billing.ts';
import { makeCustomer, useHarness } from '../helpers/harness.ts';
import { APPROVING_CARD, collectApi, page } from '../helpers/pay-page.ts';
import { expectLedgerConsistent, prepaidCustomer, topUp } from '../helpers/prepaid.ts';

const h = useHarness();

describe('customers: billing mode and credit terms', () => {
  it('defaults to postpaid with no limit, and takes prepaid, creditLimit and overdraft', async () => {
    const { api } = await h.account();
    const plain = await makeCustomer(api);
    expect(plain).toMatchObject({ billingMode: 'postpaid', creditLimit: null, overdraft: '0.00' });
    const prepaid = await prepaidCustomer(api, { overdraft: '5' });
    expect(prepaid).toMatchObject({ billingMode: 'prepaid', creditLimit: null, overdraft: '5.00' });
    const limited = await api.patch(`/customers/${plain.id}`, { creditLimit: '250.50' });
    expect(limited.status).toBe(200);
    expect(limited.body).toMatchObject({ billingMode: 'postpaid', creditLimit: '250.50' });
    const bad = await api.patch(`/customers/${plain.id}`, { creditLimit: '-1' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error_code: 400001 });
    expect(bad.body.hint).toContain('creditLimit');
    const badMode = await api.patch(`/customers/${plain.id}`, { billingMode: 'weekly' });
    expect(badMode.status).toBe(400);
  });
});

describe('GET /customers/{id}/balance', () => {
  it('a new prepaid customer has a zero balance; a postpaid one without a limit has nothing limiting it', async () => {
    const { api } = await h.account();
    const prepaid = await prepaidCustomer(api);
    const res = await api.get(`/customers/${prepaid.id}/balance`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      customerID: prepaid.id,
      billingMode: 'prepaid',
      currency: 'GBP',
      balance: '0.00',
      reserved: '0.00',
      available: '0.00',
      creditLimit: null,
      overdraft: '0.00',
      creditUsedPercent: null,
      spentToday: '0.00',
      spentThisMonth: '0.00',
      autoTopUp: { enabled: false, threshold: null, amount: null, cardLast4: null, hasCard: false },
      entries: 0,
      updated: expect.any(String),
    });
    const postpaid = await makeCustomer(api);
    const open = await api.get(`/customers/${postpaid.id}/balance`);
    expect(open.body).toMatchObject({
      billingMode: 'postpaid',
      balance: '0.00',
      available: null,
      creditLimit: null,
      entries: 0,
      updated: null,
    });
  });

  it("is 404 for another account's customer and for an unknown id", async () => {
    const mine = await h.account();
    const other = await h.account();
    const theirs = await prepaidCustomer(other.api);
    for (const path of [
      `/customers/${theirs.id}/balance`,
      `/customers/${theirs.id}/balance/entries`,
      '/customers/999999/balance',
      '/customers/abc/balance',
    ]) {
      const res = await mine.api.get(path);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: 'Not Found', error_code: 404001 });
    }
    const topUpTheirs = await mine.api.post(`/customers/${theirs.id}/balance/topUps`, { amount: '10.00' });
    expect(topUpTheirs.status).toBe(404);
  });
});

describe('top-ups and adjustments', () => {
  it('a manual top-up is credited at once and the ledger shows it with the running balance', async () => {
    const account = await h.account();
    const { api } = account;
    const c = await prepaidCustomer(api);
    const res = await api.post(`/customers/${c.id}/balance/topUps`, {
      amount: '20.00',
      method: 'bank_transfer',
      reference: 'BACS 7781',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      customerID: c.id,
      method: 'bank_transfer',
      amount: '20.00',
      currency: 'GBP',
      status: 'completed',
      reference: 'BACS 7781',
      paymentRequestID: null,
      url: null,
    });
    await topUp(api, c.id, '5.5');
    const adj = await api.post(`/customers/${c.id}/balance/adjustments`, {
      amount: '-1.25',
      description: 'Porting fee',
    });
    expect(adj.status).toBe(201);
    expect(adj.body).toMatchObject({
      seq: 3,
      type: 'adjustment',
      amount: '-1.25',
      balance: '24.25',
      reserved: '0.00',
      description: 'Porting fee',
    });
    const balance = await api.get(`/customers/${c.id}/balance`);
    // 20.00 + 5.50 - 1.25 = 24.25
    expect(balance.body).toMatchObject({
      balance: '24.25',
      reserved: '0.00',
      available: '24.25',
      entries: 3,
    });
    const entries = await api.get(`/customers/${c.id}/balance/entries`);
    expect(entries.status).toBe(200);
    expect(entries.body.map((e: any) => [e.seq, e.type, e.amount, e.balance])).toEqual([
      [1, 'top_up', '20.00', '20.00'],
      [2, 'top_up', '5.50', '25.50'],
      [3, 'adjustment', '-1.25', '24.25'],
    ]);
    expect(entries.body[0]).toMatchObject({
      topUpID: res.body.id,
      description: 'top-up by bank transfer (BACS 7781)',
      currency: 'GBP',
    });
    await expectLedgerConsistent(h.ctx, account.id, Number(c.id));
  });

  it('pages entries with after/limit, filters by date and type, and answers CSV', async () => {
    const account = await h.account();
    const { api } = account;
    const c = await prepaidCustomer(api);
    h.setNow(new Date('2026-10-01T10:00:00Z'));
    await topUp(api, c.id, '1.00');
    h.setNow(new Date('2026-10-02T10:00:00Z'));
    await topUp(api, c.id, '2.00');
    await api.post(`/customers/${c.id}/balance/adjustments`, { amount: '0.10', description: 'Goodwill' });
    h.setNow(new Date('2026-10-03T10:00:00Z'));
    await topUp(api, c.id, '3.00');
    h.setNow(undefined);
    const first = await api.get(`/customers/${c.id}/balance/entries?limit=2`);
    expect(first.body.map((e: any) => e.seq)).toEqual([1, 2]);
    expect(first.headers.get('x-next-after')).toBe(first.body[1].id);
    const second = await api.get(
      `/customers/${c.id}/balance/entries?limit=2&after=${first.headers.get('x-next-after')}`,
    );
    expect(second.body.map((e: any) => e.seq)).toEqual([3, 4]);
    expect(second.headers.get('link')).toBeNull();
    const day = await api.get(`/customers/${c.id}/balance/entries?from=2026-10-02&to=2026-10-02`);
    expect(day.body.map((e: any) => e.amount)).toEqual(['2.00', '0.10']);
    const types = await api.get(`/customers/${c.id}/balance/entries?type=adjustment`);
    expect(types.body.map((e: any) => e.type)).toEqual(['adjustment']);
    const csv = await api.get(`/customers/${c.id}/balance/entries?from=2026-10-02`, { accept: 'text/csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe(
      'id,seq,type,amount,vatAmount,currency,balance,reserved,callID,reservationID,invoiceID,topUpID,paymentID,description,created',
    );
    expect(lines.slice(1).map((l) => l.split(',').slice(1, 4).join(','))).toEqual([
      '2,top_up,2.00',
      '3,adjustment,0.10',
      '4,top_up,3.00',
    ]);
    const bad = await api.get(`/customers/${c.id}/balance/entries?from=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.body.hint).toContain('from');
    const badType = await api.get(`/customers/${c.id}/balance/entries?type=bonus`);
    expect(badType.status).toBe(400);
    expect(badType.body.hint).toContain('unknown entry type "bonus"');
  });

  it('refuses bad amounts, a postpaid customer and a read-only key', async () => {
    const account = await h.account();
    const { api } = account;
    const c = await prepaidCustomer(api);
    for (const amount of ['0', '-5.00', '1.001', 'ten', '2000000.00']) {
      const res = await api.post(`/customers/${c.id}/balance/topUps`, { amount });
      expect(res.status, amount).toBe(400);
      expect(res.body).toMatchObject({ error: 'Invalid Parameter', error_code: 400001 });
    }
    const unknown = await api.post(`/customers/${c.id}/balance/topUps`, { amount: '1.00', bonus: true });
    expect(unknown.status).toBe(400);
    const postpaid = await makeCustomer(api);
    const refused = await api.post(`/customers/${postpaid.id}/balance/topUps`, { amount: '10.00' });
    expect(refused.status).toBe(409);
    expect(refused.body.hint).toContain('postpaid');
    const noReason = await api.post(`/customers/${c.id}/balance/adjustments`, {
      amount: '1.00',
      description: ' ',
    });
    expect(noReason.status).toBe(400);
    const reader = await account.withLevel(1);
    const forbidden = await reader.post(`/customers/${c.id}/balance/topUps`, { amount: '10.00' });
    expect(forbidden.status).toBe(403);
    expect((await api.get(`/customers/${c.id}/balance`)).body.entries).toBe(0);
  });
});

describe('top-up by payment request', () => {
  it('is pending with a link; paying it on the payment page credits the balance once; a refund takes it back', async () => {
    const account = await h.account();
    const { api } = account;
    const c = await prepaidCustomer(api);
    const res = await api.post(`/customers/${c.id}/balance/topUps`, {
      amount: '15.00',
      method: 'payment_request',
      email: 'payer@example.com',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      method: 'payment_request',
      amount: '15.00',
      status: 'pending',
      paymentRequestID: expect.any(String),
      paymentID: null,
    });
    expect(res.body.url).toMatch(/\/pay\/[\w-]{43}$/);
    expect((await api.get(`/customers/${c.id}/balance`)).body.balance).toBe('0.00');
    const path = new URL(res.body.url).pathname;
    const paid = await page(h.url, `${path}/payments`, { option: 'full', ...APPROVING_CARD });
    expect(paid.status).toBe(303);
    const done = await api.get(`/customers/${c.id}/balance/topUps/${res.body.id}`);
    expect(done.body).toMatchObject({ status: 'completed', paymentID: expect.any(String) });
    const balance = await api.get(`/customers/${c.id}/balance`);
    expect(balance.body).toMatchObject({ balance: '15.00', entries: 1 });
    // The link is paid: a second payment is refused, nothing is credited twice.
    const again = await page(h.url, `${path}/payments`, { option: 'full', ...APPROVING_CARD });
    expect(again.status).toBe(409);
    const refund = await collectApi(account).post(`/payments/${done.body.paymentID}/refunds`, {
      amount: '4.00',
    });
    expect(refund.status).toBe(201);
    const after = await api.get(`/customers/${c.id}/balance/entries`);
    expect(after.body.map((e: any) => [e.type, e.amount, e.balance])).toEqual([
      ['top_up', '15.00', '15.00'],
      ['refund', '-4.00', '11.00'],
    ]);
    await expectLedgerConsistent(h.ctx, account.id, Number(c.id));
    const list = await api.get(`/customers/${c.id}/balance/topUps`);
    expect(list.body).toHaveLength(1);
    expect(list.body[0].url).toBe(res.body.url);
  });
});

describe('postpaid credit limit', () => {
  it('opens the ledger from what is owed, and invoice payments give the credit back', async () => {
    const account = await h.account();
    const { api } = account;
    const c = await makeCustomer(api);
    await post(api, `/customers/${c.id}/transactions`, {
      transactionType: 'oneOff',
      transactionValue: '40.00',
      transactionVATRate: '0',
      transactionDate: '2026-10-20',
    });
    const invoice = await post(api, `/customers/${c.id}/invoices`, { cutoffDate: '2026-11-01' });
    await approve(api, invoice.id);
    const limited = await api.patch(`/customers/${c.id}`, { creditLimit: '100.00' });
    expect(limited.status).toBe(200);
    const balance = await api.get(`/customers/${c.id}/balance`);
    // Owed 40.00 on the approved invoice: 100.00 - 40.00 available, 40% of the limit used.
    expect(balance.body).toMatchObject({
      billingMode: 'postpaid',
      balance: '-40.00',
      available: '60.00',
      creditLimit: '100.00',
      creditUsedPercent: '40.00',
      entries: 1,
    });
    const pay = await api.post(`/invoices/${invoice.id}/payments`, {
      amount: '25.00',
      paymentMethod: 'bank_transfer',
    });
    expect(pay.status).toBe(201);
    const after = await api.get(`/customers/${c.id}/balance/entries`);
    expect(after.body.map((e: any) => [e.type, e.amount, e.balance])).toEqual([
      ['opening', '-40.00', '-40.00'],
      ['payment', '25.00', '-15.00'],
    ]);
    await expectLedgerConsistent(h.ctx, account.id, Number(c.id));
  });
});
