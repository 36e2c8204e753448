// Issue 11 item 2: a refund that fails never vanishes. A charge that could not be applied (a failed write
// after the gateway approved) is refunded through the outbox; so is a refund asked for through the API. The
// gateway here fails its first refunds, then takes them: the refund shows `failed_retrying` (with the
// gateway's error, logged) until the outbox's retry succeeds, then `succeeded`; the gateway's own log shows
// the failed tries and exactly one refund.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../../src/payments/gateway.ts';
import { useHarness, type TestAccount } from '../helpers/harness.ts';
import { approvedInvoice, collectApi, paymentRequest } from '../helpers/pay-page.ts';

const h = useHarness();
const logged: { level: string; message: string; details: Record<string, unknown> }[] = [];
afterEach(() => {
  h.ctx.services.gateway = undefined;
  h.ctx.services.log = undefined;
  h.setNow(undefined);
  logged.length = 0;
});

const CARD = { cardNumber: '4242 4242 4242 4242', expiry: '12/34', cvc: '123' };

function failingRefunds(times: number): TestGateway {
  const gateway = createTestGateway({ failRefunds: times });
  h.ctx.services.gateway = gateway;
  h.ctx.services.log = {
    warn: (details, message) => logged.push({ level: 'warn', message, details }),
    error: (details, message) => logged.push({ level: 'error', message, details }),
  };
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

/** Runs the outbox at a time far enough ahead for every retry to be due. */
async function runOutboxLater(minutes: number): Promise<void> {
  h.setNow(new Date(Date.now() + minutes * 60_000));
  await h.outbox.runOnce();
}

/** Makes every payment of this account fail to be written (a fault after the gateway approved the charge). */
async function failPaymentWrites(account: TestAccount): Promise<() => Promise<void>> {
  const fn = `test_fail_payments_${account.id}`;
  await sql
    .raw(
      `create function ${fn}() returns trigger language plpgsql as $$ begin raise exception 'injected fault: the payment could not be written'; end $$`,
    )
    .execute(h.ctx.db);
  await sql
    .raw(
      `create trigger ${fn} before insert on payments for each row when (new.account_id = ${account.id}) execute function ${fn}()`,
    )
    .execute(h.ctx.db);
  return async () => {
    await sql.raw(`drop trigger ${fn} on payments`).execute(h.ctx.db);
    await sql.raw(`drop function ${fn}()`).execute(h.ctx.db);
  };
}

describe('a charge that could not be applied', () => {
  it('is refunded through the outbox until the gateway takes it, visible on the attempt and logged', async () => {
    const account = await h.account();
    const gateway = failingRefunds(2);
    const invoice = await approvedInvoice(account, '64.00');
    const { request, path } = await paymentRequest(account, { invoiceId: Number(invoice.id) });
    const restore = await failPaymentWrites(account);
    try {
      const paid = await postJson(`${path}/payments`, { ...CARD });
      // The payer is told something went wrong (a logged 500); the card was charged once.
      expect(paid.status).toBe(500);
    } finally {
      await restore();
    }
    expect(gateway.approvedCharges().map((c) => c.amount)).toEqual(['64.00']);
    // The refund was tried at once and failed: recorded, not swallowed.
    expect(gateway.log().filter((e) => e.kind === 'refund_failed')).toHaveLength(1);
    const attempts = async () =>
      (await collectApi(account).get(`/requests/${request.requestId}/attempts`)).body;
    let [attempt] = await attempts();
    expect(attempt).toMatchObject({
      outcome: 'approved',
      amount: '64.00',
      paymentId: null,
      refundStatus: 'failed_retrying',
    });
    expect(attempt.note).toContain('injected fault');
    expect(logged.some((l) => l.level === 'warn' && /could not be applied/.test(l.message))).toBe(true);
    expect(
      logged.some(
        (l) =>
          l.level === 'warn' &&
          /failed at the gateway; it is retried/.test(l.message) &&
          l.details.error === 'test gateway: refunds are failing (503)',
      ),
    ).toBe(true);
    // The invoice never received it.
    expect((await account.api.get(`/invoices/${invoice.id}`)).body.paidAmount).toBe('0.00');

    // The outbox retries with backoff: the second try fails too, the third succeeds.
    await runOutboxLater(5);
    [attempt] = await attempts();
    expect(attempt.refundStatus).toBe('failed_retrying');
    await runOutboxLater(60);
    [attempt] = await attempts();
    expect(attempt.refundStatus).toBe('succeeded');
    expect(gateway.log().filter((e) => e.kind === 'refund_failed')).toHaveLength(2);
    expect(gateway.refunds().map((r) => [r.amount, r.chargeReference])).toEqual([
      ['64.00', gateway.approvedCharges()[0]!.result.reference],
    ]);
    // Once succeeded, running the outbox again refunds nothing more.
    await runOutboxLater(600);
    expect(gateway.refunds()).toHaveLength(1);
    // The request's figures count no refund of invoice money (the invoice was never paid).
    const state = (await collectApi(account).get(`/requests/${request.requestId}`)).body;
    expect([state.invoiceStatus, state.totalTransactionsAmount]).toEqual(['not_paid', '64.00']);
  });
});

describe('a refund asked for through the API', () => {
  it('is recorded at once and shows failed_retrying until the outbox gets it through', async () => {
    const account = await h.account();
    const gateway = failingRefunds(1);
    const invoice = await approvedInvoice(account, '50.00');
    const { path } = await paymentRequest(account, { invoiceId: Number(invoice.id) });
    const paid = await postJson(`${path}/payments`, { ...CARD });
    expect(paid.status).toBe(201);

    const refunded = await account.api.post(`/payments/${paid.body.paymentId}/refunds`, {
      amount: '20.00',
      reason: 'goodwill',
    });
    expect(refunded.status, refunded.text).toBe(201);
    expect(refunded.body.refund).toMatchObject({
      amount: '20.00',
      status: 'failed_retrying',
      lastError: 'test gateway: refunds are failing (503)',
      gatewayReference: null,
    });
    expect(refunded.body.payment).toMatchObject({
      refundedAmount: '20.00',
      status: 'partially_refunded',
      refundStatus: 'failed_retrying',
    });
    // The invoice moved back when the refund was decided.
    expect((await account.api.get(`/invoices/${invoice.id}`)).body.paidAmount).toBe('30.00');
    expect(logged.some((l) => /refund \d+ failed at the gateway; it is retried/.test(l.message))).toBe(true);

    await runOutboxLater(5);
    const [payment] = (await account.api.get(`/invoices/${invoice.id}/payments`)).body;
    expect(payment.refundStatus).toBe('succeeded');
    expect(payment.refunds).toHaveLength(1);
    expect(payment.refunds[0]).toMatchObject({ amount: '20.00', status: 'succeeded', lastError: null });
    expect(payment.refunds[0].gatewayReference).toMatch(/^test_refund_/);
    expect(gateway.refunds().map((r) => r.amount)).toEqual(['20.00']);
  });

  it('a refund the gateway takes at once is succeeded in the answer', async () => {
    const account = await h.account();
    const gateway = failingRefunds(0);
    const invoice = await approvedInvoice(account, '50.00');
    const { path, request } = await paymentRequest(account, { invoiceId: Number(invoice.id) });
    const paid = await postJson(`${path}/payments`, { ...CARD });
    const refunded = await collectApi(account).post(`/payments/${paid.body.paymentId}/refunds`, {});
    expect(refunded.status, refunded.text).toBe(201);
    expect(refunded.body.refund).toMatchObject({
      amount: '50.00',
      status: 'succeeded',
      lastError: null,
      attemptId: null,
    });
    expect(refunded.body.payment).toMatchObject({ status: 'refunded', refundStatus: 'succeeded' });
    const payments = (await collectApi(account).get(`/requests/${request.requestId}/payments`)).body;
    expect(payments.map((p: any) => [p.refundedAmount, p.refundStatus])).toEqual([['50.00', 'succeeded']]);
    expect(gateway.refunds()).toHaveLength(1);
  });
});
