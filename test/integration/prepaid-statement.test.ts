// The periodic statement of a prepaid customer: calls debited with their VAT as they arrive, a billing run
// and the approval settle the invoice from the balance (it is paid), and the statement (JSON and in the
// PDF) shows the opening balance, top-ups, calls, the settlement and the closing balance, adding up.
import { describe, expect, it } from 'vitest';
import { approve, post } from '../helpers/billing.ts';
import { useHarness } from '../helpers/harness.ts';
import { pdfText } from '../helpers/pdf.ts';
import { expectLedgerConsistent, prepaidLine, rateCard, topUp } from '../helpers/prepaid.ts';

const h = useHarness();

describe('prepaid statement', () => {
  it('settles the invoice from the balance with VAT on usage, and the statement adds up', async () => {
    const account = await h.account();
    const { api } = account;
    await rateCard(api);
    const { customer, number } = await prepaidLine(account, { vatRate: '20' });
    await topUp(api, customer.id, '10.00');
    // Two 2-minute calls to a landline at 0.06 a minute: 0.12 each, plus 20% VAT: 0.144 debited each.
    const calls = await api.post('/calls', [
      {
        call_id: 'st-1',
        from: number,
        to: '441134960999',
        start_time: '2026-10-20T09:00:00Z',
        duration_s: 120,
        status: 'completed',
      },
      {
        call_id: 'st-2',
        from: number,
        to: '441134960999',
        start_time: '2026-10-21T09:00:00Z',
        duration_s: 100,
        status: 'completed',
      },
    ]);
    expect(calls.body).toMatchObject({ inserted: 2, rated: 2 });
    expect((await api.get(`/customers/${customer.id}/balance`)).body).toMatchObject({ balance: '9.712' });
    await post(api, `/customers/${customer.id}/transactions`, {
      transactionType: 'oneOff',
      transactionDescription: 'SIM card',
      transactionValue: '5.00',
      transactionVATRate: '20',
      transactionDate: '2026-10-20',
    });
    const run = await api.post('/billingRuns', { cutoffDate: '2026-11-01' });
    expect(run.status).toBe(201);
    const [invoice] = (await api.get(`/customers/${customer.id}/invoices?unsent`)).body;
    // Net 0.24 (calls) + 5.00 = 5.24; VAT 20% = 1.048 -> 1.05; total 6.29.
    expect(invoice).toMatchObject({ invoiceAmount: '5.24', invoiceVAT: '1.05', total: '6.29' });
    const approved = await approve(api, invoice.id);
    expect(approved).toMatchObject({
      total: '6.29',
      paidAmount: '6.29',
      outstanding: '0.00',
      paymentMethod: 'prepaid balance',
    });
    expect(approved.status).toContain('paid');
    // The settlement: 6.29 owed, 0.288 already debited for the calls: 6.002 more. 10.00 - 6.29 = 3.71 left.
    const statement = await api.get(`/invoices/${invoice.id}/statement`);
    expect(statement.status).toBe(200);
    expect(statement.body).toEqual({
      invoiceID: invoice.id,
      currency: 'GBP',
      from: null,
      to: expect.any(String),
      openingBalance: '0.00',
      topUps: '10.00',
      calls: '-0.288',
      refunds: '0.00',
      adjustments: '0.00',
      payments: '0.00',
      settlement: '-6.002',
      closingBalance: '3.71',
      entries: 4,
    });
    expect((await api.get(`/customers/${customer.id}/balance`)).body).toMatchObject({ balance: '3.71' });
    // Approving is the settlement, once: the invoice's statement does not move again.
    const entries = await api.get(`/customers/${customer.id}/balance/entries?type=invoice_settlement`);
    expect(entries.body).toHaveLength(1);
    expect(entries.body[0]).toMatchObject({ invoiceID: invoice.id, amount: '-6.002' });
    const pdf = await fetch(`${h.url}/backend/api/v1/invoices/${invoice.id}`, {
      headers: { authorization: `Bearer ${account.key}`, accept: 'application/pdf' },
    });
    expect(pdf.status).toBe(200);
    const { text } = await pdfText(new Uint8Array(await pdf.arrayBuffer()));
    expect(text).toContain('Prepaid balance statement');
    expect(text).toContain('Top-ups received');
    expect(text).toContain('10.00');
    expect(text).toContain('-6.002');
    expect(text).toContain('3.71');
    // A second period: its opening balance is the first's closing balance.
    await topUp(api, customer.id, '1.00');
    await api.post('/calls', [
      {
        call_id: 'st-3',
        from: number,
        to: '441134960999',
        start_time: '2026-11-05T09:00:00Z',
        duration_s: 60,
        status: 'completed',
      },
    ]);
    await api.post('/billingRuns', { cutoffDate: '2026-12-01' });
    const [second] = (await api.get(`/customers/${customer.id}/invoices?unsent`)).body;
    await approve(api, second.id);
    const next = await api.get(`/invoices/${second.id}/statement`);
    // 0.06 + VAT 0.012 = 0.072 debited; invoice 0.06 + 0.01 VAT = 0.07: 0.002 given back at settlement.
    expect(next.body).toMatchObject({
      openingBalance: '3.71',
      topUps: '1.00',
      calls: '-0.072',
      settlement: '0.002',
      closingBalance: '4.64',
    });
    expect(next.body.from).toBe(statement.body.to);
    const notAStatement = await api.get('/invoices/999999/statement');
    expect(notAStatement.status).toBe(404);
    await expectLedgerConsistent(h.ctx, account.id, Number(customer.id));
  });
});
