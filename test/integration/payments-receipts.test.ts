// Issue 11 item 15: one receipt number per payment, whatever the channels (the email and the SMS used to say
// "Receipt number 1" and "Receipt 2" for one payment); the paid link's page shows what was paid, for which
// invoice, when, and the receipt number; and a card payment sets the invoice's paymentMethod.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../src/email/mailer.ts';
import { useHarness } from '../helpers/harness.ts';
import { approvedInvoice, collectApi, page, paymentRequest } from '../helpers/pay-page.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp?.close();
});

const h = useHarness({ mailer: () => createMailer({ smtpUrl: smtp.url, dataDir: '/tmp' }) });

const CARD = { cardNumber: '4242 4242 4242 4242', expiry: '12/34', cvc: '123' };

async function postJson(path: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('a card payment on a link sent by email and SMS', () => {
  it("has one receipt number: in the email, the SMS, the API, the confirmation and the paid link's page", async () => {
    const account = await h.account({ name: 'Bright Telecom', timezone: 'Europe/London' });
    const invoice = await approvedInvoice(account, '80.00');
    expect(invoice.paymentMethod).toBeNull();
    const email = `payer-${account.id}@example.com`;
    const { request, path } = await paymentRequest(account, {
      invoiceId: Number(invoice.id),
      email,
      mobileNumber: '+447700900555',
    });

    // Two payments, so a receipt number cannot be right by accident (the second payment's receipts are the
    // third and fourth receipt rows).
    const first = await postJson(`${path}/payments`, { option: 'part', amount: '30.00', ...CARD });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const second = await postJson(`${path}/payments`, { ...CARD });
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    await h.outbox.runOnce();

    const payments = (await account.api.get(`/invoices/${invoice.id}/payments`)).body;
    expect(payments.map((p: any) => [p.amount, p.receiptNumber])).toEqual([
      ['30.00', String(first.body.paymentId)],
      ['50.00', String(second.body.paymentId)],
    ]);
    const collectPayments = (await collectApi(account).get(`/requests/${request.requestId}/payments`)).body;
    expect(collectPayments.map((p: any) => p.receiptNumber)).toEqual([
      String(first.body.paymentId),
      String(second.body.paymentId),
    ]);

    for (const [payment, amount] of [
      [first.body.paymentId, '30.00'],
      [second.body.paymentId, '50.00'],
    ] as const) {
      const mails = smtp.messages.filter(
        (m) => m.to.includes(email) && m.subject.includes(`receipt for GBP ${amount}`),
      );
      expect(mails).toHaveLength(1);
      expect(mails[0]!.text).toContain(`Receipt number: ${payment}\n`);
      const sms = (await collectApi(account).get(`/sms?requestId=${request.requestId}`)).body.filter(
        (s: any) => s.kind === 'receipt' && s.body.includes(`GBP ${amount}`),
      );
      expect(sms).toHaveLength(1);
      expect(sms[0].body).toBe(
        `Bright Telecom: thank you, we received GBP ${amount} for invoice ${invoice.invoiceNumber}. Receipt number ${payment}.`,
      );
    }

    // The confirmation of a payment says what was paid, for what, when, and its receipt number.
    const confirmation = await fetch(`${h.url}${path}/payments/${second.body.paymentId}`, {
      headers: { accept: 'application/json' },
    });
    const shown = await confirmation.json();
    expect(shown).toMatchObject({
      paymentId: second.body.paymentId,
      amount: '50.00',
      paidFor: `invoice ${invoice.invoiceNumber}`,
      receiptNumber: String(second.body.paymentId),
    });
    expect(shown.paidAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} Europe\/London$/);

    // The paid link's page lists both payments.
    const paidPage = await page(h.url, path);
    expect(paidPage.status).toBe(200);
    expect(paidPage.text).toContain('Paid in full: thank you');
    const cards = paidPage.text.split('class="card payment"').slice(1);
    expect(cards).toHaveLength(2);
    expect(cards[0]).toContain('data-field="amountPaid">£30.00 by the card ending 4242');
    expect(cards[1]).toContain('data-field="amountPaid">£50.00 by the card ending 4242');
    expect(cards[1]).toContain(`data-field="paidFor">invoice ${invoice.invoiceNumber}</dd>`);
    expect(cards[1]).toMatch(/data-field="paidAt">\d{4}-\d{2}-\d{2} \d{2}:\d{2} Europe\/London<\/dd>/);
    expect(cards[1]).toContain(`data-field="receiptNumber">${second.body.paymentId}</dd>`);
    const paidJson = await (
      await fetch(`${h.url}${path}`, { headers: { accept: 'application/json' } })
    ).json();
    expect(paidJson.payments.map((p: any) => [p.amount, p.paidFor, p.receiptNumber])).toEqual([
      ['30.00', `invoice ${invoice.invoiceNumber}`, String(first.body.paymentId)],
      ['50.00', `invoice ${invoice.invoiceNumber}`, String(second.body.paymentId)],
    ]);

    // The invoice records how it was paid.
    const after = (await account.api.get(`/invoices/${invoice.id}`)).body;
    expect([after.paidAmount, after.paymentMethod]).toEqual(['80.00', 'card']);
  });

  it("a payment recorded by hand keeps the invoice's paymentMethod as the user set it", async () => {
    const account = await h.account();
    const invoice = await approvedInvoice(account, '20.00');
    expect((await account.api.patch(`/invoices/${invoice.id}`, { paymentMethod: 'BACS' })).status).toBe(200);
    expect(
      (
        await account.api.post(`/invoices/${invoice.id}/payments`, {
          amount: '20.00',
          paymentMethod: 'bank_transfer',
        })
      ).status,
    ).toBe(201);
    expect((await account.api.get(`/invoices/${invoice.id}`)).body.paymentMethod).toBe('BACS');
  });
});
