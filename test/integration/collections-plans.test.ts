// Instalment plans after the first payment (issue 6): the scheduler (chargeDueInstalments, what serve runs
// every minute) charges a due instalment to the card saved for the plan; a declined one becomes missed, is
// visible on the plan, the report and the page, and is asked for by link (real SMTP, recorded SMS); a plan
// without a saved card has each instalment requested by link, and one left unpaid becomes missed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../src/email/mailer.ts';
import { chargeDueInstalments, GRACE_DAYS } from '../../src/payments/charge-due-instalments.ts';
import { createTestGateway } from '../../src/payments/gateway.ts';
import { setPlanCard } from '../../src/payments/plans-repo.ts';
import { addDays } from '../../src/shared/dates.ts';
import { useHarness, type TestAccount } from '../helpers/harness.ts';
import { approvedInvoice, collectApi, paymentRequest } from '../helpers/pay-page.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp?.close();
});

const h = useHarness({ mailer: () => createMailer({ smtpUrl: smtp.url, dataDir: '/tmp' }) });
afterEach(() => h.setNow(undefined));

const CARD = { cardNumber: '4242 4242 4242 4242', expiry: '12/34', cvc: '123' };
const NOTHING = { charged: 0, declined: 0, requested: 0, missed: 0, settled: 0, failed: 0 };

/** The test gateway's saved-card token for a test card number (its tokens name the card they stand for). */
function testCardToken(number: string): string {
  return `tok_test_${Buffer.from(number).toString('base64url')}.test`;
}

/** A UTC time on a date. */
function at(date: string, time = '09:00:00'): Date {
  return new Date(`${date}T${time}Z`);
}

async function pay(path: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function pageJson(path: string): Promise<any> {
  const res = await fetch(`${h.url}${path}`, { headers: { accept: 'application/json' } });
  expect(res.status).toBe(200);
  return res.json();
}

/** An invoice of 100.00 with a request that allows plans, and a plan started on the page (first instalment paid). */
async function planOnInvoice(
  account: TestAccount,
  plan: { frequency: string; instalments: number; saveCard: boolean },
  contacts: Record<string, string>,
) {
  const invoice = await approvedInvoice(account, '100.00');
  const { request, path } = await paymentRequest(account, {
    invoiceId: Number(invoice.id),
    ...contacts,
    instalmentEnabled: true,
    planRate: '0',
    planMaxTerm: 1,
    planMaxTermPeriod: 'year',
  });
  const started = await pay(`${path}/plans`, { ...plan, ...CARD });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  expect(started.body.cardSaved).toBe(plan.saveCard);
  const planView = async () => (await collectApi(account).get(`/requests/${request.requestId}/plan`)).body;
  const due = (seq: number): string => started.body.instalments[seq - 1].dueDate;
  return { invoice, request, path, planId: started.body.planId as number, planView, due };
}

async function smsOf(account: TestAccount, requestId: number, kind: string): Promise<any[]> {
  return (await collectApi(account).get(`/sms?requestId=${requestId}`)).body.filter(
    (s: any) => s.kind === kind,
  );
}

describe('due instalments of a plan with a saved card', () => {
  it('are charged on their due date; a declined one is missed, asked for by link and paid on the page', async () => {
    const account = await h.account({ name: 'Bright Telecom', timezone: 'UTC' });
    const email = 'saved-card@example.com';
    const { invoice, request, path, planId, planView, due } = await planOnInvoice(
      account,
      { frequency: 'monthly', instalments: 4, saveCard: true },
      { email, mobileNumber: '+447700900201' },
    );
    expect((await planView()).instalments.map((i: any) => [i.amount, i.status])).toEqual([
      ['25.00', 'paid'],
      ['25.00', 'due'],
      ['25.00', 'due'],
      ['25.00', 'due'],
    ]);

    // The day before instalment 2 is due: nothing to do.
    h.setNow(at(addDays(due(2), -1), '23:00:00'));
    expect(await chargeDueInstalments(h.ctx)).toEqual(NOTHING);

    // Its due date: charged to the saved card, once, and a receipt goes out.
    h.setNow(at(due(2)));
    expect(await chargeDueInstalments(h.ctx)).toEqual({ ...NOTHING, charged: 1 });
    expect(await chargeDueInstalments(h.ctx)).toEqual(NOTHING);
    let plan = await planView();
    expect(plan.instalments[1]).toMatchObject({
      status: 'paid',
      attempts: 1,
      lastError: null,
      paymentId: expect.any(Number),
    });
    expect([plan.paidAmount, plan.remainingAmount, plan.missedInstalments]).toEqual(['50.00', '50.00', 0]);
    let backend = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([backend.paidAmount, backend.outstanding]).toEqual(['50.00', '50.00']);
    await expect
      .poll(() => smtp.messages.filter((m) => m.to.includes(email) && /receipt/i.test(m.subject)).length)
      .toBe(2);
    expect(
      smtp.messages.filter((m) => m.to.includes(email) && /receipt/i.test(m.subject)).at(-1)!.text,
    ).toContain('GBP 25.00 by card ending 4242');

    // The saved card now has insufficient funds: instalment 3 is declined on its due date and becomes missed.
    await setPlanCard(
      h.ctx.db,
      account.id,
      planId,
      { token: testCardToken('4000000000009995'), last4: '9995', gateway: 'test' },
      h.ctx.now(),
    );
    h.setNow(at(due(3)));
    expect(await chargeDueInstalments(h.ctx)).toEqual({ ...NOTHING, declined: 1 });
    expect(await chargeDueInstalments(h.ctx)).toEqual(NOTHING); // a missed instalment is not charged again
    plan = await planView();
    expect(plan.instalments[2]).toMatchObject({
      status: 'missed',
      attempts: 1,
      lastError: 'insufficient_funds',
      paymentId: null,
    });
    expect([plan.status, plan.paidAmount, plan.missedInstalments]).toEqual(['active', '50.00', 1]);
    const state = (await collectApi(account).get(`/requests/${request.requestId}`)).body;
    expect([
      state.overallStatus,
      state.invoiceStatus,
      state.approvedTransactions,
      state.declinedTransactions,
    ]).toEqual(['plan', 'partially_paid', 2, 1]);

    // The payer is asked to pay it on the page, by SMS and email (the outbox sends them).
    await h.outbox.runOnce();
    const asked = await smsOf(account, request.requestId, 'instalment');
    expect(asked).toHaveLength(1);
    expect(asked[0].body).toContain('instalment 3 of 4 (GBP 25.00, due');
    expect(asked[0].body).toContain('could not be charged to your saved card (insufficient_funds)');
    expect(asked[0].body).toContain(request.url);
    const mail = smtp.messages.find((m) => m.to.includes(email) && m.subject.includes('instalment 3 of 4'));
    expect(mail?.text).toContain(request.url);
    await h.outbox.runOnce();
    expect(await smsOf(account, request.requestId, 'instalment')).toHaveLength(1); // sent once

    // The page offers the missed instalment; the payer pays it with another card.
    const page = await pageJson(path);
    expect(page.overallStatus).toBe('plan');
    expect(page.plan.payable).toEqual({ seq: 3, dueDate: due(3), amount: '25.00', status: 'missed' });
    const paid = await pay(`${path}/payments`, {
      instalment: 3,
      cardNumber: '5555 5555 5555 4444',
      expiry: '12/34',
      cvc: '123',
    });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.body).toMatchObject({ outcome: 'approved', amount: '25.00', outstanding: '25.00' });
    plan = await planView();
    expect(plan.instalments[2]).toMatchObject({ status: 'paid', attempts: 2 });
    expect(plan.missedInstalments).toBe(0);

    // A good card saved again: the last instalment is charged on its date and the invoice is paid.
    await setPlanCard(
      h.ctx.db,
      account.id,
      planId,
      { token: testCardToken('4242424242424242'), last4: '4242', gateway: 'test' },
      h.ctx.now(),
    );
    h.setNow(at(due(4)));
    expect(await chargeDueInstalments(h.ctx)).toEqual({ ...NOTHING, charged: 1 });
    plan = await planView();
    expect([plan.status, plan.paidAmount, plan.remainingAmount]).toEqual(['completed', '100.00', '0.00']);
    backend = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([backend.paidAmount, backend.outstanding]).toEqual(['100.00', '0.00']);
    expect(backend.status).toContain('paid');
    const row = (
      await collectApi(account).get(`/invoices?startDate=${addDays(due(1), -1)}&endDate=${due(4)}`)
    ).body.find((x: any) => x.url === request.url);
    expect(row).toMatchObject({
      invoiceStatus: 'paid',
      overallStatus: 'paid',
      transactions: 5,
      approvedTransactions: 4,
      declinedTransactions: 1,
      totalTransactionsAmount: '100.00',
      planAmount: '100.00',
      planFrequency: 'monthly',
    });
  });

  it('is charged once when two schedulers run at the same time', async () => {
    const account = await h.account({ timezone: 'UTC' });
    const { invoice, planView, due } = await planOnInvoice(
      account,
      { frequency: 'weekly', instalments: 2, saveCard: true },
      {},
    );
    h.setNow(at(due(2)));
    const runs = await Promise.all([chargeDueInstalments(h.ctx), chargeDueInstalments(h.ctx)]);
    expect(runs.reduce((n, r) => n + r.charged, 0)).toBe(1);
    expect((await planView()).status).toBe('completed');
    expect((await account.api.get(`/invoices/${invoice.id}`)).body.paidAmount).toBe('100.00');
  });

  it('charges an instalment in the next run when a payment of the same invoice was in flight, not after the claim', async () => {
    const account = await h.account({ timezone: 'UTC' });
    const { invoice, path, planView, due } = await planOnInvoice(
      account,
      { frequency: 'weekly', instalments: 3, saveCard: true },
      {},
    );
    // Both remaining instalments due. The payer pays instalment 2 on the page, and the card network holds that
    // charge until the test lets it go: meanwhile the scheduler (another server process, say) finds both due.
    h.setNow(at(due(3)));
    let charging!: () => void;
    const inFlight = new Promise<void>((resolve) => (charging = resolve));
    let letGo!: () => void;
    const gate = new Promise<void>((resolve) => (letGo = resolve));
    h.ctx.services.gateway = createTestGateway({
      duringCharge: async () => {
        charging();
        await gate;
      },
    });
    try {
      const paying = pay(`${path}/payments`, { instalment: 2, ...CARD });
      await inFlight;
      // Neither can start while the page's charge is in flight: nothing charged, nothing failed.
      expect(await chargeDueInstalments(h.ctx)).toEqual(NOTHING);
      letGo();
      expect((await paying).status).toBe(201);
      // Instalment 3 is not held for the claim's ten minutes: the next run charges it.
      expect(await chargeDueInstalments(h.ctx)).toEqual({ ...NOTHING, charged: 1 });
      expect(await chargeDueInstalments(h.ctx)).toEqual(NOTHING);
    } finally {
      h.ctx.services.gateway = undefined;
    }
    expect((await planView()).status).toBe('completed');
    expect((await account.api.get(`/invoices/${invoice.id}`)).body.paidAmount).toBe('100.00');
  });
});

describe('due instalments of a plan without a saved card', () => {
  it('are requested by link on their due date, and become missed when left unpaid', async () => {
    const account = await h.account({ name: 'Bright Telecom', timezone: 'UTC' });
    const email = 'by-link@example.com';
    const { request, path, planView, due } = await planOnInvoice(
      account,
      { frequency: 'fortnightly', instalments: 3, saveCard: false },
      { email, mobileNumber: '+447700900202' },
    );
    expect((await planView()).cardSaved).toBe(false);

    h.setNow(at(due(2)));
    expect(await chargeDueInstalments(h.ctx)).toEqual({ ...NOTHING, requested: 1 });
    expect(await chargeDueInstalments(h.ctx)).toEqual(NOTHING); // asked once
    await h.outbox.runOnce();
    const asked = await smsOf(account, request.requestId, 'instalment');
    expect(asked).toHaveLength(1);
    expect(asked[0].body).toMatch(
      /instalment 2 of 3 \(GBP 33\.33, due \d{4}-\d{2}-\d{2}\) is due\. Pay here: /,
    );
    expect(asked[0].body).toContain(request.url);
    expect(
      smtp.messages.some(
        (m) =>
          m.to.includes(email) && m.subject.includes('instalment 2 of 3') && m.text.includes(request.url),
      ),
    ).toBe(true);
    let plan = await planView();
    expect(plan.instalments[1]).toMatchObject({ status: 'due', paymentId: null });
    expect((await pageJson(path)).plan.payable).toEqual({
      seq: 2,
      dueDate: due(2),
      amount: '33.33',
      status: 'due',
    });

    // Still due on the last day of grace; missed the day after.
    h.setNow(at(addDays(due(2), GRACE_DAYS - 1), '23:00:00'));
    expect(await chargeDueInstalments(h.ctx)).toEqual(NOTHING);
    h.setNow(at(addDays(due(2), GRACE_DAYS)));
    expect(await chargeDueInstalments(h.ctx)).toEqual({ ...NOTHING, missed: 1 });
    plan = await planView();
    expect(plan.instalments[1]).toMatchObject({
      status: 'missed',
      lastError: `not paid within ${GRACE_DAYS} days of its due date`,
    });
    expect(plan.missedInstalments).toBe(1);
    expect((await collectApi(account).get(`/requests/${request.requestId}`)).body.overallStatus).toBe('plan');

    // Still payable on the page.
    const page = await pageJson(path);
    expect(page.plan.payable).toMatchObject({ seq: 2, status: 'missed' });
    const declined = await pay(`${path}/payments`, {
      instalment: 2,
      cardNumber: '4000 0000 0000 0002',
      expiry: '12/34',
      cvc: '123',
    });
    expect(declined.status).toBe(402);
    expect(declined.body).toMatchObject({ outcome: 'declined', reason: 'card_declined' });
    expect((await planView()).instalments[1].status).toBe('missed');
    const paid = await pay(`${path}/payments`, { instalment: 2, ...CARD });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.body).toMatchObject({ outcome: 'approved', amount: '33.33' });
    plan = await planView();
    expect(plan.instalments.map((i: any) => i.status)).toEqual(['paid', 'paid', 'due']);
    expect(plan.missedInstalments).toBe(0);
    // Paying instalment 3 before it is due is not offered.
    expect((await pageJson(path)).plan.payable).toBeNull();
  });
});

/** "12.34" -> 1234 (cents), to check sums exactly. */
function cents(amount: string): number {
  expect(amount).toMatch(/^\d+\.\d{2}$/);
  return Number(amount.replace('.', ''));
}

describe('an instalment with plan interest', () => {
  it('is receipted and refundable for what the card was charged, while the invoice moves by the principal only', async () => {
    const account = await h.account({ name: 'Bright Telecom', timezone: 'UTC' });
    const email = 'interest@example.com';
    const invoice = await approvedInvoice(account, '100.00');
    const { request, path } = await paymentRequest(account, {
      invoiceId: Number(invoice.id),
      email,
      instalmentEnabled: true,
      planRate: '12',
      planMaxTerm: 1,
      planMaxTermPeriod: 'year',
    });
    const started = await pay(`${path}/plans`, { frequency: 'monthly', instalments: 3, ...CARD });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const charged: string = started.body.instalments[0].amount;

    // The payment: its amount is the principal (what the invoice received), the interest beside it.
    const [payment] = (await collectApi(account).get(`/requests/${request.requestId}/payments`)).body;
    expect(cents(payment.interestAmount)).toBeGreaterThan(0);
    expect(cents(payment.amount) + cents(payment.interestAmount)).toBe(cents(charged));
    expect(payment).toMatchObject({ refundedAmount: '0.00', status: 'paid' });
    let backend = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([backend.paidAmount, backend.outstanding]).toEqual([
      payment.amount,
      (100 - cents(payment.amount) / 100).toFixed(2),
    ]);
    const listed = (await account.api.get(`/invoices/${invoice.id}/payments`)).body;
    expect(listed[0]).toMatchObject({
      amount: payment.amount,
      interestAmount: payment.interestAmount,
      refundedAmount: '0.00',
    });

    // The receipt and the page's confirmation say what the card was charged.
    await expect
      .poll(() => smtp.messages.filter((m) => m.to.includes(email) && /receipt/i.test(m.subject)).length)
      .toBe(1);
    const receipt = smtp.messages.find((m) => m.to.includes(email) && /receipt/i.test(m.subject))!;
    expect(receipt.subject).toContain(`receipt for GBP ${charged}`);
    expect(receipt.text).toContain(`Received: GBP ${charged} by card ending 4242`);
    expect((await pageJson(`${path}/payments/${payment.id}`)).amount).toBe(charged);

    // A full refund returns all of it, interest included; the invoice goes back by the principal.
    const refund = await account.api.post(`/payments/${payment.id}/refunds`, {});
    expect(refund.status, refund.text).toBe(201);
    expect(refund.body.refund.amount).toBe(charged);
    expect(refund.body.payment).toMatchObject({
      amount: payment.amount,
      interestAmount: payment.interestAmount,
      refundedAmount: charged,
      status: 'refunded',
    });
    backend = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([backend.paidAmount, backend.outstanding]).toEqual(['0.00', '100.00']);
    expect((await account.api.post(`/payments/${payment.id}/refunds`, {})).status).toBe(409);
  });

  it('refunds principal first: a part refund moves the invoice, the interest part does not', async () => {
    const account = await h.account({ timezone: 'UTC' });
    const invoice = await approvedInvoice(account, '100.00');
    const { request, path } = await paymentRequest(account, {
      invoiceId: Number(invoice.id),
      instalmentEnabled: true,
      planRate: '12',
      planMaxTerm: 1,
      planMaxTermPeriod: 'year',
    });
    expect((await pay(`${path}/plans`, { frequency: 'monthly', instalments: 3, ...CARD })).status).toBe(201);
    const [payment] = (await collectApi(account).get(`/requests/${request.requestId}/payments`)).body;
    const first = await collectApi(account).post(`/payments/${payment.id}/refunds`, {
      amount: payment.amount,
    });
    expect(first.status, first.text).toBe(201);
    expect(first.body.payment).toMatchObject({
      refundedAmount: payment.amount,
      status: 'partially_refunded',
    });
    expect((await account.api.get(`/invoices/${invoice.id}`)).body.paidAmount).toBe('0.00');
    const rest = await collectApi(account).post(`/payments/${payment.id}/refunds`, {});
    expect(rest.status, rest.text).toBe(201);
    expect(rest.body.refund.amount).toBe(payment.interestAmount);
    expect(rest.body.payment.status).toBe('refunded');
    expect((await account.api.get(`/invoices/${invoice.id}`)).body).toMatchObject({
      paidAmount: '0.00',
      outstanding: '100.00',
    });
  });
});

describe('a plan whose invoice is paid in full another way', () => {
  it('is completed, its unpaid instalments cancelled and never charged', async () => {
    const account = await h.account({ timezone: 'UTC' });
    const { invoice, request, planView, due } = await planOnInvoice(
      account,
      { frequency: 'weekly', instalments: 4, saveCard: true },
      {},
    );
    const recorded = await account.api.post(`/invoices/${invoice.id}/payments`, {
      amount: '75.00',
      reference: 'BACS 12',
    });
    expect(recorded.status, recorded.text).toBe(201);
    const plan = await planView();
    expect(plan.status).toBe('completed');
    expect(plan.instalments.map((i: any) => i.status)).toEqual([
      'paid',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
    expect([plan.paidAmount, plan.remainingAmount]).toEqual(['25.00', '0.00']);
    h.setNow(at(due(2)));
    expect(await chargeDueInstalments(h.ctx)).toEqual(NOTHING);
    const state = (await collectApi(account).get(`/requests/${request.requestId}`)).body;
    expect([state.overallStatus, state.approvedTransactions]).toEqual(['paid', 1]);
    expect((await account.api.get(`/invoices/${invoice.id}`)).body.paidAmount).toBe('100.00');
  });
});
