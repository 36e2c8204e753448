// Collections (issue 6): payment requests, their states, payments and refunds, the document 003 report,
// SMS (local and a real HTTP provider) and email through a real SMTP server.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordVisit } from '../../src/collections/record-visit.ts';
import { createMailer } from '../../src/email/mailer.ts';
import { chargeRequest } from '../../src/payments/charge-request.ts';
import { createHttpSmsProvider, createLocalSmsProvider } from '../../src/sms/provider.ts';
import { approve, post } from '../helpers/billing.ts';
import { Api, makeCustomer, useHarness, type TestAccount } from '../helpers/harness.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp?.close();
});

const h = useHarness({ mailer: () => createMailer({ smtpUrl: smtp.url, dataDir: '/tmp' }) });

/** Every field of document 003, by name. */
const DOC_003_FIELDS = [
  'invoiceId',
  'batchId',
  'accountNumber',
  'invoiceAmount',
  'invoiceStatus',
  'overallStatus',
  'url',
  'smsStatus',
  'smsUpdateDate',
  'visits',
  'lastVisit',
  'transactions',
  'approvedTransactions',
  'declinedTransactions',
  'lastTransaction',
  'totalTransactionsAmount',
  'email',
  'receiptDate',
  'handler',
  'mobileNumber',
  'planAmount',
  'planFrequency',
  'planStartDate',
  'planRate',
  'instalmentEnabled',
  'planMaxTerm',
  'planMaxTermPeriod',
  'customLabel1',
  'customValue1',
  'customLabel2',
  'customValue2',
  'customLabel3',
  'customValue3',
  'created',
  'updated',
];
const UTC_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const CARD = { expiryMonth: 12, expiryYear: 2099, cvc: '123' };

function collect(account: TestAccount): Api {
  return new Api(account.api.baseUrl, account.key, '/collect/v1');
}

/** An approved invoice of 100.00 (no VAT) for a customer with an account number. */
async function approvedInvoice(account: TestAccount, value = '100.00', customer?: any): Promise<any> {
  const c =
    customer ??
    (await makeCustomer(account.api, {
      accountNumber: `ACC${Math.floor(Math.random() * 1e9)}`,
      mobileNumber: '+447700900123',
    }));
  await post(account.api, `/customers/${c.id}/transactions`, {
    transactionType: 'oneOff',
    transactionValue: value,
    transactionVATRate: '0',
    transactionDate: '2026-10-20',
  });
  const invoice = await post(account.api, `/customers/${c.id}/invoices`, { cutoffDate: '2026-11-01' });
  return approve(account.api, invoice.id);
}

function tokenOf(url: string): string {
  return url.split('/pay/')[1]!;
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

describe('payment requests for an invoice', () => {
  it('sends the link by SMS and email, and moves sent -> clicked -> partially_paid -> paid with receipts', async () => {
    const account = await h.account({ name: 'Bright Telecom' });
    const invoice = await approvedInvoice(account);
    expect(invoice.total).toBe('100.00');
    const api = collect(account);
    const before = smtp.messages.length;

    const created = await api.post('/requests', {
      invoiceId: Number(invoice.id),
      mobileNumber: '+61 432 555 666',
      email: 'payer@example.com',
      handler: 'Agent1',
      customLabel1: 'Branch',
      customValue1: 'Sydney',
      instalmentEnabled: true,
      planRate: '1.5',
      planMaxTerm: 1,
      planMaxTermPeriod: 'year',
    });
    expect(created.status, created.text).toBe(201);
    const r = created.body;
    expect(r.invoiceId).toBe(Number(invoice.id));
    expect(r.batchId).toBeNull();
    expect(r.accountNumber).toBe(
      (await account.api.get(`/customers/${invoice.customerID}`)).body.accountNumber,
    );
    expect(r.invoiceAmount).toBe('100.00');
    expect(r.invoiceStatus).toBe('not_paid');
    expect(r.overallStatus).toBe('sent');
    expect(r.url).toMatch(new RegExp(`^${h.url}/pay/[A-Za-z0-9_-]{43}$`));
    expect(r.mobileNumber).toBe('+61432555666');
    expect(r.email).toBe('payer@example.com');
    expect(r.handler).toBe('Agent1');
    expect([r.customLabel1, r.customValue1, r.customLabel2]).toEqual(['Branch', 'Sydney', null]);
    expect([r.instalmentEnabled, r.planRate, r.planMaxTerm, r.planMaxTermPeriod]).toEqual([
      true,
      1.5,
      1,
      'year',
    ]);
    expect([r.planAmount, r.planFrequency, r.planStartDate]).toEqual([null, null, null]);
    expect(r.channels).toEqual(['sms', 'email']);

    // SMS (local provider: recorded, readable) and email (real SMTP) went out through the outbox.
    const sms = await api.get(`/sms?requestId=${r.requestId}`);
    expect(sms.status).toBe(200);
    expect(sms.body).toHaveLength(1);
    expect(sms.body[0]).toMatchObject({
      to: '+61432555666',
      provider: 'local',
      kind: 'payment_request',
      status: 'sent',
    });
    expect(sms.body[0].body).toContain(r.url);
    expect(sms.body[0].body).toContain('GBP 100.00');
    const mails = smtp.messages.slice(before);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['payer@example.com']);
    expect(mails[0]!.text).toContain(r.url);

    // Opening the page counts a visit.
    await recordVisit(h.ctx, tokenOf(r.url));
    await recordVisit(h.ctx, tokenOf(r.url));
    let state = (await api.get(`/requests/${r.requestId}`)).body;
    expect(state.overallStatus).toBe('clicked');
    expect(state.visits).toBe(2);
    expect(state.lastVisit).toMatch(UTC_TIME);

    // A declined card is recorded with its reason; the payer tries again.
    const declined = await chargeRequest(h.ctx, {
      token: tokenOf(r.url),
      amount: '40.00',
      card: { number: '4000000000000002', ...CARD },
    });
    expect(declined.attempt).toMatchObject({
      outcome: 'declined',
      declineReason: 'card_declined',
      cardLast4: '0002',
    });
    expect(declined.paymentId).toBeNull();
    const insufficient = await chargeRequest(h.ctx, {
      token: tokenOf(r.url),
      amount: '40.00',
      card: { number: '4000000000009995', ...CARD },
    });
    expect(insufficient.attempt.declineReason).toBe('insufficient_funds');

    const part = await chargeRequest(h.ctx, {
      token: tokenOf(r.url),
      amount: '40.00',
      card: { number: '4242424242424242', ...CARD },
    });
    expect(part.attempt.outcome).toBe('approved');
    expect(part.outstanding).toBe('60.00');
    state = (await api.get(`/requests/${r.requestId}`)).body;
    expect([state.invoiceStatus, state.overallStatus]).toEqual(['partially_paid', 'partially_paid']);
    let backend = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([backend.paidAmount, backend.outstanding, backend.paidDate]).toEqual(['40.00', '60.00', null]);
    expect(backend.status).not.toContain('paid');

    // Paying more than is outstanding is refused before the card is charged.
    await expect(
      chargeRequest(h.ctx, {
        token: tokenOf(r.url),
        amount: '60.01',
        card: { number: '4242424242424242', ...CARD },
      }),
    ).rejects.toThrow(/more than the 60.00 outstanding/);

    const rest = await chargeRequest(h.ctx, {
      token: tokenOf(r.url),
      amount: '60.00',
      card: { number: '4242424242424242', ...CARD },
    });
    expect(rest.outstanding).toBe('0.00');
    expect(rest.invoiceBecamePaid).toBe(true);
    backend = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([backend.paidAmount, backend.outstanding]).toEqual(['100.00', '0.00']);
    expect(backend.paidDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(backend.status).toContain('paid');

    state = (await api.get(`/requests/${r.requestId}`)).body;
    expect([state.invoiceStatus, state.overallStatus]).toEqual(['paid', 'paid']);
    expect([state.transactions, state.approvedTransactions, state.declinedTransactions]).toEqual([4, 2, 2]);
    expect(state.totalTransactionsAmount).toBe('100.00');
    expect(state.lastTransaction).toMatch(UTC_TIME);
    expect(state.receiptDate).toMatch(UTC_TIME);
    const receipts = smtp.messages.filter((m) => m.subject.includes('receipt'));
    expect(receipts.length).toBeGreaterThanOrEqual(2);
    expect(receipts.at(-1)!.text).toContain('GBP 60.00 by card ending 4242');
    const receiptSms = (await api.get(`/sms?requestId=${r.requestId}`)).body.filter(
      (s: any) => s.kind === 'receipt',
    );
    expect(receiptSms).toHaveLength(2);

    // Nothing left: another payment is refused.
    await expect(
      chargeRequest(h.ctx, {
        token: tokenOf(r.url),
        amount: '1.00',
        card: { number: '4242424242424242', ...CARD },
      }),
    ).rejects.toThrow(/nothing is left/);

    // The attempts list shows each try.
    const attempts = (await api.get(`/requests/${r.requestId}/attempts`)).body;
    expect(attempts.map((a: any) => [a.outcome, a.declineReason, a.amount])).toEqual([
      ['declined', 'card_declined', '40.00'],
      ['declined', 'insufficient_funds', '40.00'],
      ['approved', null, '40.00'],
      ['approved', null, '60.00'],
    ]);

    // Refunds: part, then the rest of the same payment, then the other payment.
    const payments = (await api.get(`/requests/${r.requestId}/payments`)).body;
    expect(payments.map((p: any) => p.amount)).toEqual(['40.00', '60.00']);
    const refund1 = await api.post(`/payments/${payments[1].id}/refunds`, {
      amount: '10.00',
      reason: 'goodwill',
    });
    expect(refund1.status, refund1.text).toBe(201);
    expect(refund1.body.payment).toMatchObject({ refundedAmount: '10.00', status: 'partially_refunded' });
    state = (await api.get(`/requests/${r.requestId}`)).body;
    expect([state.invoiceStatus, state.overallStatus, state.paidAmount, state.refundedAmount]).toEqual([
      'partially_refunded',
      'partially_refunded',
      '90.00',
      '10.00',
    ]);
    backend = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([backend.paidAmount, backend.outstanding, backend.paidDate]).toEqual(['90.00', '10.00', null]);
    expect(backend.status).not.toContain('paid');

    const tooMuch = await api.post(`/payments/${payments[1].id}/refunds`, { amount: '50.01' });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error).toMatchObject({ code: 'invalid_request', field: 'amount' });
    expect(tooMuch.body.error.message).toContain('50.00 left to refund');

    expect((await api.post(`/payments/${payments[1].id}/refunds`, {})).body.refund.amount).toBe('50.00');
    expect((await api.post(`/payments/${payments[0].id}/refunds`)).status).toBe(201);
    state = (await api.get(`/requests/${r.requestId}`)).body;
    expect([state.invoiceStatus, state.overallStatus, state.paidAmount, state.refundedAmount]).toEqual([
      'refunded',
      'refunded',
      '0.00',
      '100.00',
    ]);
    const again = await api.post(`/payments/${payments[0].id}/refunds`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    backend = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([backend.paidAmount, backend.outstanding]).toEqual(['0.00', '100.00']);

    // The backend lists the invoice's payments with their refunds.
    const listed = await account.api.get(`/invoices/${invoice.id}/payments`);
    expect(listed.status).toBe(200);
    expect(
      listed.body.map((p: any) => [p.amount, p.refundedAmount, p.status, p.paymentMethod, p.refunds.length]),
    ).toEqual([
      ['40.00', '40.00', 'refunded', 'card', 1],
      ['60.00', '60.00', 'refunded', 'card', 2],
    ]);
  });

  it('expires: the link stops taking payments and shows expired', async () => {
    const account = await h.account();
    const invoice = await approvedInvoice(account);
    const api = collect(account);
    const r = (await api.post('/requests', { invoiceId: invoice.id, expiresInDays: 1, channels: [] })).body;
    expect(r.overallStatus).toBe('sent');
    expect(r.channels).toEqual([]);
    const later = new Date(Date.now() + 2 * 86_400_000);
    h.setNow(later);
    try {
      expect((await api.get(`/requests/${r.requestId}`)).body.overallStatus).toBe('expired');
      await expect(
        chargeRequest(h.ctx, {
          token: tokenOf(r.url),
          amount: '1.00',
          card: { number: '4242424242424242', ...CARD },
        }),
      ).rejects.toThrow(/expired/);
    } finally {
      h.setNow(undefined);
    }
    // A cancelled link is expired at once.
    const r2 = (await api.post('/requests', { invoiceId: invoice.id, channels: [] })).body;
    const cancelled = await api.post(`/requests/${r2.requestId}/cancel`);
    expect(cancelled.body.overallStatus).toBe('expired');
    // An explicit expiry date works to the end of that day; one in the past is refused.
    const utc = await h.account({ timezone: 'UTC' });
    const day = new Date(Date.now() + 100 * 86_400_000).toISOString().slice(0, 10);
    const nextDay = new Date(Date.now() + 101 * 86_400_000).toISOString().slice(0, 10);
    const dated = await collect(utc).post('/requests', { amount: '5.00', channels: [], expiresAt: day });
    expect(dated.body.expiresAt, dated.text).toBe(`${nextDay} 00:00:00`); // to the end of that day
    const exact = await collect(utc).post('/requests', {
      amount: '5.00',
      channels: [],
      expiresAt: `${day}T17:30:00+02:00`,
    });
    expect(exact.body.expiresAt).toBe(`${day} 15:30:00`);
    const past = await api.post('/requests', {
      invoiceId: invoice.id,
      channels: [],
      expiresAt: '2020-01-01',
    });
    expect(past.status).toBe(400);
    expect(past.body.error.field).toBe('expiresAt');
  });

  it("refuses unapproved invoices, bad input and other accounts' ids", async () => {
    const account = await h.account();
    const other = await h.account();
    const api = collect(account);
    const customer = await makeCustomer(account.api);
    await post(account.api, `/customers/${customer.id}/transactions`, {
      transactionType: 'oneOff',
      transactionValue: '10.00',
      transactionDate: '2026-10-20',
    });
    const unsent = await post(account.api, `/customers/${customer.id}/invoices`, {
      cutoffDate: '2026-11-01',
    });
    const notApproved = await api.post('/requests', { invoiceId: unsent.id });
    expect(notApproved.status).toBe(409);
    expect(notApproved.body.error.code).toBe('conflict');

    const cases: [unknown, string][] = [
      [{ amount: '-5' }, 'amount'],
      [{ amount: '1.234' }, 'amount'],
      [{ amount: 'abc' }, 'amount'],
      [{}, 'amount'],
      [{ amount: '5.00', channels: ['sms'] }, 'mobileNumber'],
      [{ amount: '5.00', email: 'not-an-email' }, 'email'],
      [{ amount: '5.00', mobileNumber: 'call me' }, 'mobileNumber'],
      [{ amount: '5.00', bogus: 1 }, 'bogus'],
      [{ amount: '5.00', customValue2: 'x' }, 'customLabel2'],
      [{ amount: '5.00', planMaxTerm: 2 }, 'planMaxTermPeriod'],
      [{ amount: '5.00', planRate: '101' }, 'planRate'],
      [{ amount: '5.00', expiresInDays: 0 }, 'expiresInDays'],
      [{ invoiceId: 'abc' }, 'invoiceId'],
    ];
    for (const [body, field] of cases) {
      const res = await api.post('/requests', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.field ?? res.body.error.message, JSON.stringify(body)).toContain(field);
    }
    const malformed = await api.post('/requests', '{"amount":', { 'content-type': 'application/json' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_request');

    // Another account's invoice, request and payment are not found.
    const theirs = await approvedInvoice(other);
    expect((await api.post('/requests', { invoiceId: theirs.id })).status).toBe(404);
    const theirRequest = (await collect(other).post('/requests', { invoiceId: theirs.id, channels: [] }))
      .body;
    const res = await api.get(`/requests/${theirRequest.requestId}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: { code: 'not_found', message: `Payment request ${theirRequest.requestId} not found` },
    });
    expect((await api.get(`/requests/${theirRequest.requestId}/attempts`)).status).toBe(404);
    await chargeRequest(h.ctx, {
      token: tokenOf(theirRequest.url),
      amount: '5.00',
      card: { number: '4242424242424242', ...CARD },
    });
    const theirPayment = (await collect(other).get(`/requests/${theirRequest.requestId}/payments`)).body[0];
    const refundTheirs = await api.post(`/payments/${theirPayment.id}/refunds`);
    expect(refundTheirs.status, refundTheirs.text).toBe(404);
    expect((await account.api.post(`/payments/${theirPayment.id}/refunds`)).status).toBe(404);
    expect((await account.api.get(`/invoices/${theirs.id}/payments`)).status).toBe(404);
    expect((await account.api.post(`/invoices/${theirs.id}/payments`, { amount: '1.00' })).status).toBe(404);
    const report = (await api.get(`/invoices?startDate=${today()}&endDate=${today()}`)).body;
    expect(report.map((x: any) => x.requestId)).not.toContain(theirRequest.requestId);
    expect((await api.get('/requests/abc')).status).toBe(404);
    expect((await api.get('/requests/99999999')).status).toBe(404);

    // Authentication and levels.
    const anonymous = await fetch(`${h.url}/collect/v1/invoices?startDate=2026-01-01&endDate=2026-01-02`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({
      error: { code: 'unauthorized', message: 'send your API key as Authorization: Bearer KEY' },
    });
    const reader = new Api(h.url, (await account.withLevel(1)).key, '/collect/v1');
    expect((await reader.post('/requests', { amount: '5.00' })).status).toBe(403);
    expect((await reader.get(`/invoices?startDate=${today()}&endDate=${today()}`)).status).toBe(200);
    expect((await api.get('/nothing')).body.error.code).toBe('not_found');
  });
});

describe('standalone amounts and batches', () => {
  it('gives a batch one batchId, checks every item first, and takes part payments', async () => {
    const account = await h.account();
    const api = collect(account);
    const bad = await api.post('/requests/batch', {
      requests: [{ amount: '10.00', accountNumber: 'A1' }, { amount: '0' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('requests.1.amount');
    const batch = await api.post('/requests/batch', {
      requests: [
        {
          invoiceAmount: 123.88,
          accountNumber: 'ABCD1234567',
          handler: 'Agent1',
          mobileNumber: '+61432555666',
          customLabel1: 'Policy',
          customValue1: 'P-1',
        },
        { amount: '50.00', accountNumber: 'ABCD7654321', email: 'other@example.com', allowPartial: false },
      ],
    });
    expect(batch.status, batch.text).toBe(201);
    const [a, b] = batch.body.requests;
    expect(batch.body.batchId).toEqual(expect.any(Number));
    expect([a.batchId, b.batchId]).toEqual([batch.body.batchId, batch.body.batchId]);
    expect([a.invoiceId, a.invoiceAmount, a.accountNumber, a.channels]).toEqual([
      null,
      '123.88',
      'ABCD1234567',
      ['sms'],
    ]);
    expect(b.channels).toEqual(['email']);

    await chargeRequest(h.ctx, {
      token: tokenOf(a.url),
      amount: '23.88',
      card: { number: '5555555555554444', ...CARD },
    });
    let state = (await api.get(`/requests/${a.requestId}`)).body;
    expect([state.invoiceStatus, state.overallStatus, state.outstanding]).toEqual([
      'partially_paid',
      'partially_paid',
      '100.00',
    ]);
    await expect(
      chargeRequest(h.ctx, {
        token: tokenOf(a.url),
        amount: '100.01',
        card: { number: '4242424242424242', ...CARD },
      }),
    ).rejects.toThrow(/more than/);
    // Part payments refused where the request does not allow them.
    await expect(
      chargeRequest(h.ctx, {
        token: tokenOf(b.url),
        amount: '10.00',
        card: { number: '4242424242424242', ...CARD },
      }),
    ).rejects.toThrow(/whole 50.00/);
    await chargeRequest(h.ctx, {
      token: tokenOf(b.url),
      amount: '50.00',
      card: { number: '4242424242424242', ...CARD },
    });
    state = (await api.get(`/requests/${b.requestId}`)).body;
    expect([state.invoiceStatus, state.overallStatus, state.receiptDate === null]).toEqual([
      'paid',
      'paid',
      false,
    ]);
  });
});

describe('payments recorded through the backend', () => {
  it('records a bank transfer, refuses more than outstanding, and the invoice request follows', async () => {
    const account = await h.account();
    const invoice = await approvedInvoice(account, '80.00');
    const r = (await collect(account).post('/requests', { invoiceId: invoice.id, channels: [] })).body;
    const over = await account.api.post(`/invoices/${invoice.id}/payments`, { amount: '80.01' });
    expect(over.status).toBe(400);
    expect(over.body).toEqual({
      error: 'Invalid Parameter',
      error_code: 400001,
      hint: `amount: 80.01 is more than the 80.00 outstanding on invoice ${invoice.id}`,
    });
    for (const amount of ['0', '-1', '1.001', 'x']) {
      expect((await account.api.post(`/invoices/${invoice.id}/payments`, { amount })).status).toBe(400);
    }
    expect(
      (await account.api.post(`/invoices/${invoice.id}/payments`, { amount: '1', paymentMethod: 'barter' }))
        .status,
    ).toBe(400);
    const paid = await account.api.post(`/invoices/${invoice.id}/payments`, {
      amount: '30.00',
      reference: 'BACS 991',
      paidAt: '2026-11-03',
    });
    expect(paid.status, paid.text).toBe(201);
    expect(paid.body.payment).toMatchObject({
      amount: '30.00',
      paymentMethod: 'bank_transfer',
      reference: 'BACS 991',
      status: 'paid',
      paidAt: '2026-11-03 12:00:00',
    });
    expect([paid.body.invoice.paidAmount, paid.body.invoice.outstanding]).toEqual(['30.00', '50.00']);
    expect((await collect(account).get(`/requests/${r.requestId}`)).body.invoiceStatus).toBe(
      'partially_paid',
    );
    const rest = await account.api.post(`/invoices/${invoice.id}/payments`, {
      amount: '50',
      sendReceipt: true,
    });
    expect(rest.status, rest.text).toBe(201);
    expect(rest.body.invoice).toMatchObject({
      paidAmount: '80.00',
      outstanding: '0.00',
      paidDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    });
    expect(rest.body.invoice.status).toContain('paid');
    const state = (await collect(account).get(`/requests/${r.requestId}`)).body;
    expect([state.invoiceStatus, state.overallStatus, state.transactions]).toEqual(['paid', 'paid', 0]);
    expect(smtp.messages.some((m) => m.subject.includes('receipt for GBP 50.00'))).toBe(true);
    // A bank transfer refunded through the backend (no gateway).
    const refund = await account.api.post(`/payments/${paid.body.payment.id}/refunds`, { amount: '30.00' });
    expect(refund.status, refund.text).toBe(201);
    expect(refund.body.payment.status).toBe('refunded');
    expect((await collect(account).get(`/requests/${r.requestId}`)).body.invoiceStatus).toBe(
      'partially_refunded',
    );
  });
});

describe('payments and refunds sent at the same time', () => {
  it('takes no more than is outstanding, and refunds no more than was paid', async () => {
    const account = await h.account();
    const invoice = await approvedInvoice(account, '90.00');
    // Ten payments of 30.00 at once on 90.00: exactly three go in, the rest are refused as too much.
    const payments = await Promise.all(
      Array.from({ length: 10 }, () =>
        account.api.post(`/invoices/${invoice.id}/payments`, { amount: '30.00' }),
      ),
    );
    expect(payments.map((p) => p.status).sort()).toEqual([201, 201, 201, 400, 400, 400, 400, 400, 400, 400]);
    for (const refused of payments.filter((p) => p.status === 400))
      expect(refused.body.hint).toMatch(/is more than the 0\.00 outstanding/);
    const after = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([after.paidAmount, after.outstanding]).toEqual(['90.00', '0.00']);

    // Five refunds of 20.00 at once on one 30.00 payment: one goes in, the rest find 10.00 left.
    const payment = payments.find((p) => p.status === 201)!.body.payment;
    const refunds = await Promise.all(
      Array.from({ length: 5 }, () =>
        account.api.post(`/payments/${payment.id}/refunds`, { amount: '20.00' }),
      ),
    );
    expect(refunds.map((r) => r.status).sort()).toEqual([201, 400, 400, 400, 400]);
    const listed = (await account.api.get(`/invoices/${invoice.id}/payments`)).body;
    expect(listed.find((p: any) => p.id === payment.id)).toMatchObject({
      refundedAmount: '20.00',
      status: 'partially_refunded',
    });
    expect((await account.api.get(`/invoices/${invoice.id}`)).body).toMatchObject({
      paidAmount: '70.00',
      outstanding: '20.00',
    });
  });
});

describe('the document 003 report', () => {
  it('returns every field by name, with the types the document shows, for the date range', async () => {
    const account = await h.account();
    const api = collect(account);
    const invoice = await approvedInvoice(account);
    const r = (
      await api.post('/requests', { invoiceId: invoice.id, mobileNumber: '+447700900999', handler: 'Agent7' })
    ).body;
    await recordVisit(h.ctx, tokenOf(r.url));
    await chargeRequest(h.ctx, {
      token: tokenOf(r.url),
      amount: '25.50',
      card: { number: '4242424242424242', ...CARD },
    });

    const res = await api.get(`/invoices?startDate=${today()}&endDate=${today()}`);
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    const row = res.body.find((x: any) => x.requestId === r.requestId);
    for (const field of DOC_003_FIELDS) expect(row, field).toHaveProperty(field);
    expect(row).toMatchObject({
      invoiceId: Number(invoice.id),
      batchId: null,
      invoiceAmount: '100.00',
      invoiceStatus: 'partially_paid',
      overallStatus: 'partially_paid',
      url: r.url,
      smsStatus: null,
      smsUpdateDate: null,
      visits: 1,
      transactions: 1,
      approvedTransactions: 1,
      declinedTransactions: 0,
      totalTransactionsAmount: '25.50',
      handler: 'Agent7',
      mobileNumber: '+447700900999',
      email: null,
      instalmentEnabled: false,
      planAmount: null,
      planRate: null,
    });
    for (const field of ['lastVisit', 'lastTransaction', 'receiptDate', 'created', 'updated'])
      expect(row[field], field).toMatch(UTC_TIME);

    // Outside the range: nothing. Bad and reversed ranges: a clear 400.
    expect((await api.get('/invoices?startDate=2001-01-01&endDate=2001-12-31')).body).toEqual([]);
    const reversed = await api.get('/invoices?startDate=2026-11-11&endDate=2026-10-10');
    expect(reversed.status).toBe(400);
    expect(reversed.body.error).toMatchObject({ code: 'invalid_request', field: 'endDate' });
    expect(reversed.body.error.message).toContain('reversed');
    for (const query of [
      'startDate=2026-13-01&endDate=2026-12-01',
      'startDate=2026-02-30&endDate=2026-03-01',
      'startDate=10/10/2017&endDate=2017-11-11',
      'endDate=2017-11-11',
      'startDate=2017-10-10',
      '',
    ]) {
      const bad = await api.get(`/invoices?${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.body.error.code, query).toBe('invalid_request');
    }
    // Paging extension.
    const second = (await api.post('/requests', { amount: '5.00', channels: [] })).body;
    const first = await api.get(`/invoices?startDate=${today()}&endDate=${today()}&limit=1`);
    expect(first.body).toHaveLength(1);
    const next = first.headers.get('x-next-after');
    expect(next).toBe(String(r.requestId));
    const page2 = await api.get(`/invoices?startDate=${today()}&endDate=${today()}&limit=1&after=${next}`);
    expect(page2.body.map((x: any) => x.requestId)).toEqual([second.requestId]);
  });
});

describe('SMS through an HTTP provider', () => {
  let server: Server;
  let received: { body: any; auth: string | undefined }[] = [];
  let answer = 200;
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        received.push({ body: JSON.parse(data), auth: req.headers.authorization });
        res.writeHead(answer, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer < 300 ? { id: `msg-${received.length}` } : { error: 'nope' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    h.ctx.services.sms = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('posts each message with its credentials, retries a 5xx and gives up on a 4xx', async () => {
    const port = (server.address() as AddressInfo).port;
    h.ctx.services.sms = createHttpSmsProvider({
      url: `http://127.0.0.1:${port}/sms`,
      username: 'ringbill',
      password: 's3cret',
      from: 'Ringbill',
    });
    const account = await h.account();
    const api = collect(account);
    received = [];
    const r = (await api.post('/requests', { amount: '12.00', mobileNumber: '+447700900555' })).body;
    expect(received).toHaveLength(1);
    expect(received[0]!.auth).toBe(`Basic ${Buffer.from('ringbill:s3cret').toString('base64')}`);
    expect(received[0]!.body).toMatchObject({ to: '+447700900555', from: 'Ringbill' });
    expect(received[0]!.body.body).toContain(r.url);
    const sms = (await api.get(`/sms?requestId=${r.requestId}`)).body;
    expect(sms).toMatchObject([{ provider: 'http', providerMessageId: 'msg-1' }]);

    answer = 503;
    const r2 = (await api.post('/requests', { amount: '12.00', mobileNumber: '+447700900556' })).body;
    expect((await api.get(`/sms?requestId=${r2.requestId}`)).body).toEqual([]);
    const job = await h.ctx.db
      .selectFrom('outbox')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('kind', '=', 'collect.request_sms')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect([job.status, job.attempts]).toEqual(['pending', 1]);
    expect(job.last_error).toContain('503');

    answer = 400;
    const r3 = (await api.post('/requests', { amount: '12.00', mobileNumber: '+447700900557' })).body;
    const failed = await h.ctx.db
      .selectFrom('outbox')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('kind', '=', 'collect.request_sms')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(failed.status).toBe('failed');
    expect((await api.get(`/requests/${r3.requestId}`)).body.overallStatus).toBe('sent');
    answer = 200;
    h.ctx.services.sms = createLocalSmsProvider();
  });
});

describe('concurrency, idempotency and the invoice.paid event', () => {
  it('two payments racing for one outstanding amount: one is refused, the invoice is never overpaid', async () => {
    const account = await h.account();
    const invoice = await approvedInvoice(account, '100.00');
    const results = await Promise.all([
      account.api.post(`/invoices/${invoice.id}/payments`, { amount: '60.00' }),
      account.api.post(`/invoices/${invoice.id}/payments`, { amount: '60.00' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 400]);
    const after = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([after.paidAmount, after.outstanding]).toEqual(['60.00', '40.00']);
  });

  it('replays a request sent twice with one Idempotency-Key: one request, one SMS', async () => {
    const account = await h.account();
    const api = collect(account);
    const body = { amount: '9.99', mobileNumber: '+447700900777' };
    const first = await api.post('/requests', body, { 'idempotency-key': 'req-1' });
    const second = await api.post('/requests', body, { 'idempotency-key': 'req-1' });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.requestId).toBe(first.body.requestId);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await api.get('/sms?to=%2B447700900777')).body).toHaveLength(1);
    const reused = await api.post('/requests', { ...body, amount: '1.00' }, { 'idempotency-key': 'req-1' });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('conflict');
  });

  it('emits invoice.paid once, when a payment on the page settles the invoice', async () => {
    const account = await h.account();
    const hook = await account.api.post('/webhooks', {
      url: 'http://127.0.0.1:9/hooks',
      eventTypes: ['invoice.paid'],
    });
    expect(hook.status, hook.text).toBe(201);
    const invoice = await approvedInvoice(account, '20.00');
    const r = (await collect(account).post('/requests', { invoiceId: invoice.id, channels: [] })).body;
    await chargeRequest(h.ctx, {
      token: tokenOf(r.url),
      amount: '5.00',
      card: { number: '4242424242424242', ...CARD },
    });
    expect((await account.api.get('/webhooks/events?type=invoice.paid')).body).toEqual([]);
    await chargeRequest(h.ctx, {
      token: tokenOf(r.url),
      amount: '15.00',
      card: { number: '4242424242424242', ...CARD },
    });
    const events = (await account.api.get('/webhooks/events?type=invoice.paid')).body;
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0])).toContain(`"paidAmount":"20.00"`);
  });
});

describe('the audit of the collections surface', () => {
  const PAGE_CARD = { cardNumber: '4242 4242 4242 4242', expiry: '12/34', cvc: '123' };
  const pagePost = async (url: string, body: Record<string, unknown>) => {
    const res = await fetch(`${url}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  it('sets receiptDate when a receipt goes out for a payment recorded through the backend', async () => {
    const account = await h.account();
    const invoice = await approvedInvoice(account, '40.00');
    const r = (await collect(account).post('/requests', { invoiceId: invoice.id, channels: [] })).body;
    expect(r.receiptDate).toBeNull();
    const paid = await account.api.post(`/invoices/${invoice.id}/payments`, {
      amount: '40.00',
      sendReceipt: true,
    });
    expect(paid.status, paid.text).toBe(201);
    await expect
      .poll(async () => (await collect(account).get(`/requests/${r.requestId}`)).body.receiptDate)
      .toMatch(UTC_TIME);
  });

  it('gives every amount of a payment the currency\'s minor digits (refundedAmount "0.00")', async () => {
    const account = await h.account();
    const invoice = await approvedInvoice(account, '30.00');
    const r = (await collect(account).post('/requests', { invoiceId: invoice.id, channels: [] })).body;
    await chargeRequest(h.ctx, {
      token: tokenOf(r.url),
      amount: '10.00',
      card: { number: '4242424242424242', ...CARD },
    });
    const [card] = (await collect(account).get(`/requests/${r.requestId}/payments`)).body;
    expect(card).toMatchObject({
      amount: '10.00',
      interestAmount: '0.00',
      refundedAmount: '0.00',
      status: 'paid',
    });
    const recorded = await account.api.post(`/invoices/${invoice.id}/payments`, { amount: '5' });
    expect(recorded.body.payment).toMatchObject({
      amount: '5.00',
      interestAmount: '0.00',
      refundedAmount: '0.00',
    });
    const listed = (await account.api.get(`/invoices/${invoice.id}/payments`)).body;
    expect(listed.map((p: any) => [p.amount, p.refundedAmount])).toEqual([
      ['10.00', '0.00'],
      ['5.00', '0.00'],
    ]);
  });

  it('counts only GETs of a live page as visits (not HEAD, not an expired or withdrawn link)', async () => {
    const account = await h.account();
    const invoice = await approvedInvoice(account, '30.00');
    const r = (await collect(account).post('/requests', { invoiceId: invoice.id, channels: [] })).body;
    expect((await fetch(r.url, { method: 'HEAD' })).status).toBe(200);
    let state = (await collect(account).get(`/requests/${r.requestId}`)).body;
    expect([state.visits, state.lastVisit, state.overallStatus]).toEqual([0, null, 'sent']);
    expect((await fetch(r.url)).status).toBe(200);
    expect((await collect(account).get(`/requests/${r.requestId}`)).body).toMatchObject({
      visits: 1,
      overallStatus: 'clicked',
    });
    const withdrawn = (await collect(account).post('/requests', { invoiceId: invoice.id, channels: [] }))
      .body;
    await collect(account).post(`/requests/${withdrawn.requestId}/cancel`);
    expect((await fetch(withdrawn.url)).status).toBe(410);
    state = (await collect(account).get(`/requests/${withdrawn.requestId}`)).body;
    expect([state.visits, state.lastVisit]).toEqual([0, null]);
  });

  it('refuses a payment on a link that is paid in full (409), charging nothing', async () => {
    const account = await h.account();
    const invoice = await approvedInvoice(account, '20.00');
    const r = (await collect(account).post('/requests', { invoiceId: invoice.id, channels: [] })).body;
    expect((await pagePost(r.url, { ...PAGE_CARD })).status).toBe(201);
    const again = await pagePost(r.url, { ...PAGE_CARD });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      error: { code: 'conflict', message: expect.stringMatching(/nothing is left to pay/) },
    });
    const part = await pagePost(r.url, { ...PAGE_CARD, option: 'part', amount: '1.00' });
    expect(part.status).toBe(409);
    expect((await collect(account).get(`/requests/${r.requestId}`)).body).toMatchObject({
      transactions: 1,
      approvedTransactions: 1,
      totalTransactionsAmount: '20.00',
    });
  });

  it('reports the plan term the page enforces, and refuses a term above its bound', async () => {
    const account = await h.account();
    const invoice = await approvedInvoice(account, '20.00');
    const noTerm = (
      await collect(account).post('/requests', {
        invoiceId: invoice.id,
        channels: [],
        instalmentEnabled: true,
      })
    ).body;
    expect([noTerm.planMaxTerm, noTerm.planMaxTermPeriod]).toEqual([1, 'year']);
    const day = today();
    const row = (await collect(account).get(`/invoices?startDate=${day}&endDate=${day}`)).body.find(
      (x: any) => x.requestId === noTerm.requestId,
    );
    expect([row.planMaxTerm, row.planMaxTermPeriod]).toEqual([1, 'year']);
    const off = (await collect(account).post('/requests', { invoiceId: invoice.id, channels: [] })).body;
    expect([off.planMaxTerm, off.planMaxTermPeriod]).toEqual([null, null]);
    for (const [term, period] of [
      [100, 'year'],
      [11, 'year'],
      [121, 'month'],
      [3661, 'day'],
    ] as const) {
      const refused = await collect(account).post('/requests', {
        invoiceId: invoice.id,
        channels: [],
        instalmentEnabled: true,
        planMaxTerm: term,
        planMaxTermPeriod: period,
      });
      expect(refused.status, `${term} ${period}`).toBe(400);
      expect(refused.body.error.field).toBe('planMaxTerm');
    }
    const longest = await collect(account).post('/requests', {
      invoiceId: invoice.id,
      channels: [],
      instalmentEnabled: true,
      planMaxTerm: 10,
      planMaxTermPeriod: 'year',
    });
    expect([longest.status, longest.body.planMaxTerm]).toEqual([201, 10]);
  });
});
