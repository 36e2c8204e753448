// Issue 11 item 1: concurrent payments never charge a card more than once. Twenty simultaneous "Pay in full"
// posts on one link (a double click is enough) reach the gateway once; so do twenty posts of one instalment,
// twenty plan starts, and twenty payments recorded through POST /invoices/ID/payments mixed with page posts.
// The test gateway keeps its own log of charges and refunds: the counts below are read from it, not from
// Ringbill's tables. A process that dies between the charge and applying it leaves a pending attempt that
// recovery settles from the gateway's record (its idempotency key): applied once, never charged again.
import { afterEach, describe, expect, it } from 'vitest';
import { beginAttempt, chargeAttempt } from '../../src/payments/card-attempt.ts';
import { createTestGateway, type TestGateway } from '../../src/payments/gateway.ts';
import { resolvePendingAttempts } from '../../src/payments/resolve-pending.ts';
import type { Ctx } from '../../src/context.ts';
import { useHarness, type TestAccount } from '../helpers/harness.ts';
import { APPROVING_CARD, approvedInvoice, collectApi, page, paymentRequest } from '../helpers/pay-page.ts';

// Hundreds of card posts from one address in a minute: the page's per-address limit is raised for the test.
const h = useHarness({ server: { payPage: { postsPerMinutePerIp: 100_000 } } });
afterEach(() => {
  h.ctx.services.gateway = undefined;
});

const CARD = { cardNumber: '4242 4242 4242 4242', expiry: '12/34', cvc: '123' };
const TIMES = 20;

/** A test gateway that answers slowly (the window in which a second payment used to slip through). */
function slowGateway(ms = 150): TestGateway {
  const gateway = createTestGateway({
    duringCharge: () => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  h.ctx.services.gateway = gateway;
  return gateway;
}

async function postJson(path: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

function formToken(i: number): string {
  return `form-token-${String(i).padStart(8, '0')}`;
}

async function linkOn(account: TestAccount, value = '100.00', extra: Record<string, unknown> = {}) {
  const invoice = await approvedInvoice(account, value);
  const { request, path, token } = await paymentRequest(account, { invoiceId: Number(invoice.id), ...extra });
  return { invoice, request, path, token };
}

async function invoiceOf(account: TestAccount, id: string | number): Promise<any> {
  return (await account.api.get(`/invoices/${id}`)).body;
}

async function paymentsOf(account: TestAccount, invoiceId: string | number): Promise<any[]> {
  return (await account.api.get(`/invoices/${invoiceId}/payments`)).body;
}

describe('the pay page under twenty simultaneous "Pay in full" posts', () => {
  it('charges the card once (twenty different forms): one payment, the others refused with 409', async () => {
    const account = await h.account();
    const gateway = slowGateway();
    const { invoice, path } = await linkOn(account);

    const answers = await Promise.all(
      Array.from({ length: TIMES }, (_, i) =>
        page(h.url, `${path}/payments`, { ...APPROVING_CARD, option: 'full', formToken: formToken(i) }),
      ),
    );

    expect(gateway.approvedCharges()).toHaveLength(1);
    expect(gateway.approvedCharges()[0]!.amount).toBe('100.00');
    expect(gateway.refunds()).toHaveLength(0);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    // The rest: "a card payment on this invoice is being processed" or "nothing is left to pay" — never charged.
    expect(statuses.filter((s) => s === 409)).toHaveLength(TIMES - 1);
    const after = await invoiceOf(account, invoice.id);
    expect([after.paidAmount, after.outstanding]).toEqual(['100.00', '0.00']);
    expect(await paymentsOf(account, invoice.id)).toHaveLength(1);
  });

  it('answers a form sent twenty times at once (a double click, a resubmitted page) with its first result', async () => {
    const account = await h.account();
    const gateway = slowGateway();
    const { invoice, path } = await linkOn(account);
    const form = { ...APPROVING_CARD, option: 'full', formToken: formToken(42) };

    const answers = await Promise.all(
      Array.from({ length: TIMES }, () => page(h.url, `${path}/payments`, form)),
    );

    expect(gateway.approvedCharges()).toHaveLength(1);
    const [payment] = await paymentsOf(account, invoice.id);
    // Every post answers the first result: the confirmation of the one payment.
    for (const a of answers) {
      expect(a.status).toBe(303);
      expect(a.location).toBe(`${path}/payments/${payment.id}`);
    }
    // Sent again later, when the link is paid in full: still the first result, not "nothing left to pay".
    const later = await page(h.url, `${path}/payments`, form);
    expect([later.status, later.location]).toEqual([303, `${path}/payments/${payment.id}`]);
    const json = await postJson(`${path}/payments`, { ...CARD, formToken: formToken(42) });
    expect(json).toMatchObject({
      status: 201,
      body: {
        outcome: 'approved',
        paymentId: Number(payment.id),
        amount: '100.00',
        outstanding: '0.00',
        replayed: true,
      },
    });
    expect(gateway.approvedCharges()).toHaveLength(1);
  });

  it('charges once on PostgreSQL and PGlite alike for JSON posts without a form token', async () => {
    const account = await h.account();
    const gateway = slowGateway(50);
    const { invoice, path } = await linkOn(account, '40.00');

    const answers = await Promise.all(
      Array.from({ length: TIMES }, () => postJson(`${path}/payments`, { ...CARD })),
    );

    expect(gateway.approvedCharges()).toHaveLength(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    for (const refused of answers.filter((a) => a.status !== 201)) {
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('conflict');
    }
    expect((await invoiceOf(account, invoice.id)).paidAmount).toBe('40.00');
  });
});

describe('instalments under simultaneous posts', () => {
  it('charge instalment 2 once when twenty posts pay it at the same time', async () => {
    const account = await h.account();
    const gateway = slowGateway();
    const { invoice, path, request } = await linkOn(account, '90.00', {
      instalmentEnabled: true,
      planRate: '0',
      planMaxTerm: 1,
      planMaxTermPeriod: 'year',
    });
    const started = await postJson(`${path}/plans`, {
      frequency: 'monthly',
      instalments: 3,
      saveCard: false,
      ...CARD,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(gateway.approvedCharges()).toHaveLength(1);

    const answers = await Promise.all(
      Array.from({ length: TIMES }, () => postJson(`${path}/payments`, { instalment: 2, ...CARD })),
    );

    // 30.00 for instalment 1, then 30.00 once for instalment 2.
    expect(gateway.approvedCharges().map((c) => c.amount)).toEqual(['30.00', '30.00']);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(TIMES - 1);
    const plan = (await collectApi(account).get(`/requests/${request.requestId}/plan`)).body;
    expect(plan.instalments.map((i: any) => i.status)).toEqual(['paid', 'paid', 'due']);
    expect((await invoiceOf(account, invoice.id)).paidAmount).toBe('60.00');
  });

  it('start one plan when twenty plan forms are posted at the same time', async () => {
    const account = await h.account();
    const gateway = slowGateway();
    const { invoice, path } = await linkOn(account, '90.00', {
      instalmentEnabled: true,
      planRate: '0',
      planMaxTerm: 1,
      planMaxTermPeriod: 'year',
    });

    const answers = await Promise.all(
      Array.from({ length: TIMES }, () =>
        postJson(`${path}/plans`, { frequency: 'monthly', instalments: 3, ...CARD }),
      ),
    );

    expect(gateway.approvedCharges()).toHaveLength(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(TIMES - 1);
    expect((await invoiceOf(account, invoice.id)).paidAmount).toBe('30.00');
  });
});

describe('POST /invoices/ID/payments under simultaneous posts', () => {
  it('records one of twenty payments of the whole amount; the others are refused, nothing reaches the gateway', async () => {
    const account = await h.account();
    const gateway = slowGateway();
    const invoice = await approvedInvoice(account, '75.00');

    const answers = await Promise.all(
      Array.from({ length: TIMES }, () =>
        account.api.post(`/invoices/${invoice.id}/payments`, { amount: '75.00' }),
      ),
    );

    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    for (const refused of answers.filter((a) => a.status !== 201)) {
      expect(refused.status).toBe(400);
      expect(refused.body.hint).toContain('more than the 0.00 outstanding');
    }
    expect(gateway.log()).toHaveLength(0);
    expect(await paymentsOf(account, invoice.id)).toHaveLength(1);
    expect((await invoiceOf(account, invoice.id)).paidAmount).toBe('75.00');
  });

  it('mixed with page posts: the invoice is paid once, and no card is charged and then refunded', async () => {
    const account = await h.account();
    const gateway = slowGateway();
    const { invoice, path } = await linkOn(account, '75.00');

    const answers = await Promise.all(
      Array.from({ length: TIMES }, (_, i) =>
        i % 2 === 0
          ? postJson(`${path}/payments`, { ...CARD })
          : account.api.post(`/invoices/${invoice.id}/payments`, { amount: '75.00' }),
      ),
    );

    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    // A card payment in flight sets its amount aside: a recorded payment meanwhile is refused (409), so the
    // card's charge can always be applied. Never a charge followed by a compensating refund.
    expect(gateway.approvedCharges().length).toBeLessThanOrEqual(1);
    expect(gateway.refunds()).toHaveLength(0);
    expect(await paymentsOf(account, invoice.id)).toHaveLength(1);
    expect((await invoiceOf(account, invoice.id)).paidAmount).toBe('75.00');
  });
});

describe('a process that dies between the charge and applying it', () => {
  /** The context of a process that is gone (its id is not among the live processes). */
  function goneProcess(): Ctx {
    return { ...h.ctx, processId: 'a-process-that-died' };
  }

  async function chargedThenCrashed(account: TestAccount, value: string, charge: boolean) {
    const { invoice, request, path } = await linkOn(account, value);
    const gone = goneProcess();
    const begun = await beginAttempt(
      gone,
      {
        accountId: account.id,
        requestId: Number(request.requestId),
        invoiceId: Number(invoice.id),
        purpose: 'payment',
        amount: value,
        principal: value,
        currency: 'GBP',
      },
      async () => undefined,
    );
    expect(begun.kind).toBe('begun');
    // The gateway charged the card; the process died before applying it.
    if (charge)
      await chargeAttempt(gone, begun.attempt, {
        card: { number: '4242424242424242', expiryMonth: 12, expiryYear: 2034, cvc: '123' },
      });
    return { invoice, request, path, attemptId: Number(begun.attempt.id) };
  }

  it("is settled at start from the gateway's record: applied once, never charged again", async () => {
    const account = await h.account();
    const gateway = slowGateway(0);
    const { invoice, request, attemptId } = await chargedThenCrashed(account, '55.00', true);
    expect(gateway.approvedCharges()).toHaveLength(1);
    // The invoice shows it as being paid: a recorded payment cannot take the money the card was charged for.
    const blocked = await account.api.post(`/invoices/${invoice.id}/payments`, { amount: '55.00' });
    expect(blocked.status).toBe(409);

    const run = await resolvePendingAttempts(h.ctx);
    expect(run).toMatchObject({ applied: 1, notCharged: 0, refunded: 0 });
    expect(gateway.approvedCharges()).toHaveLength(1);
    expect((await invoiceOf(account, invoice.id)).paidAmount).toBe('55.00');
    const attempts = (await collectApi(account).get(`/requests/${request.requestId}/attempts`)).body;
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({
      id: attemptId,
      outcome: 'approved',
      amount: '55.00',
      cardLast4: '4242',
      refundStatus: null,
    });
    expect(attempts[0].paymentId).toBe(Number((await paymentsOf(account, invoice.id))[0].id));
    // Nothing left to settle: a second run does nothing.
    expect(await resolvePendingAttempts(h.ctx)).toMatchObject({ applied: 0, notCharged: 0 });
  });

  it('is settled by the next payment on the invoice (a retry): the retry finds it paid and charges nothing', async () => {
    const account = await h.account();
    const gateway = slowGateway(0);
    const { invoice, path } = await chargedThenCrashed(account, '55.00', true);

    const retry = await postJson(`${path}/payments`, { ...CARD });
    expect(retry.status).toBe(409);
    expect(retry.body.error.message).toMatch(/nothing is left to pay|paid in full/);
    expect(gateway.approvedCharges()).toHaveLength(1);
    expect((await invoiceOf(account, invoice.id)).paidAmount).toBe('55.00');
  });

  it('when the gateway never charged it: closed as not_charged, and the payer can pay', async () => {
    const account = await h.account();
    const gateway = slowGateway(0);
    const { invoice, request, path, attemptId } = await chargedThenCrashed(account, '55.00', false);
    const paid = await postJson(`${path}/payments`, { ...CARD });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(gateway.approvedCharges()).toHaveLength(1);
    expect((await invoiceOf(account, invoice.id)).paidAmount).toBe('55.00');
    const attempts = (await collectApi(account).get(`/requests/${request.requestId}/attempts`)).body;
    expect(attempts.map((a: any) => [a.id === attemptId, a.outcome])).toEqual([
      [true, 'not_charged'],
      [false, 'approved'],
    ]);
  });
});
