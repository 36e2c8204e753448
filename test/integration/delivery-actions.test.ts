// Every delivery action of document 004 through HTTP: email, emailCdrs, recreate, reapplyDiscountPlans,
// linkToXero, unlinkFromXero (generateDownloadLink: delivery-downloads.test.ts) — success, each documented
// error code, an unsent invoice, another account's invoice, bad parameters. Mail goes through a real SMTP
// server; the PDF attached is read back and its figures checked against the invoice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../src/email/mailer.ts';
import { expectError, post } from '../helpers/billing.ts';
import { billedCustomer, PAYMENT_DETAILS, setUpAccount } from '../helpers/delivery.ts';
import { useHarness } from '../helpers/harness.ts';
import { pdfText } from '../helpers/pdf.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp?.close();
});

const h = useHarness({ mailer: () => createMailer({ smtpUrl: smtp.url, dataDir: '/tmp' }) });

function mailsTo(address: string) {
  return smtp.messages.filter((m) => m.to.includes(address));
}

async function pdfOf(api: { key?: string }, invoiceId: string, query = ''): Promise<string> {
  const res = await fetch(`${h.url}/backend/api/v1/invoices/${invoiceId}${query}`, {
    headers: { authorization: `Bearer ${api.key}`, accept: 'application/pdf' },
  });
  expect(res.status).toBe(200);
  return (await pdfText(Buffer.from(await res.arrayBuffer()))).text;
}

/** Every figure and fact a customer needs, on the bill. */
function expectBillShows(text: string, invoice: any): void {
  for (const figure of [
    invoice.invoiceAmount,
    invoice.invoiceVAT,
    invoice.total,
    invoice.outstanding,
    invoice.invoiceChargesRecurring,
    invoice.invoiceChargesOneOff,
    invoice.invoiceChargesCalls,
  ]) {
    expect(text).toContain(figure);
  }
  for (const line of invoice.vatBreakdown) {
    expect(text).toContain(`${line.rate}%`);
    expect(text).toContain(line.net);
    expect(text).toContain(line.vat);
  }
  for (const fact of [
    invoice.invoiceNumber,
    invoice.invoiceDate,
    invoice.dueDate,
    'BD-0042',
    'PO-7781',
    'Acme Telecom Ltd',
    '1 Exchange Street',
    'Bright Dental Ltd',
    '22 Park Row',
    'sort code 12-34-56',
  ]) {
    expect(text).toContain(fact);
  }
}

describe('email', () => {
  it("sends the bill to the customer's addresses by default, through the outbox, and flags the invoice emailed", async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    expect(invoice).toMatchObject({
      invoiceAmount: '89.40',
      invoiceVAT: '17.88',
      total: '107.28',
      invoiceChargesCalls: '0.70',
      customerReference: 'BD-0042',
      purchaseOrderNumber: 'PO-7781',
    });
    const res = await api.post(`/invoices/${invoice.id}?action=email`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      success: true,
      message: `Invoice ${invoice.invoiceNumber} emailed to accounts@brightdental.example, ap@brightdental.example`,
    });
    const [mail] = mailsTo('ap@brightdental.example');
    expect(mail!.to.sort()).toEqual(['accounts@brightdental.example', 'ap@brightdental.example']);
    expect(mail!.from).toBe('billing@acme.example');
    expect(mail!.subject).toBe(`Invoice ${invoice.invoiceNumber} from Acme Telecom Ltd`);
    expect(mail!.text).toContain('GBP 107.28');
    expect(mail!.attachments.map((a) => [a.filename, a.mimeType])).toEqual([
      [`Invoice-${invoice.invoiceNumber}.pdf`, 'application/pdf'],
    ]);
    const text = (await pdfText(mail!.attachments[0]!.content)).text;
    expectBillShows(text, invoice);
    expect(text).toContain(PAYMENT_DETAILS.slice(0, 30));
    const after = await api.get(`/invoices/${invoice.id}`);
    expect(after.body.status).toEqual(['approved', 'emailed']);
    // Emailed means delivered: it leaves the undelivered list.
    expect((await api.get('/invoices?undelivered')).body.map((i: any) => i.id)).not.toContain(invoice.id);
    const job = await h.ctx.db
      .selectFrom('outbox')
      .selectAll()
      .where('kind', '=', 'invoice_email')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect({ status: job.status, attempts: job.attempts }).toEqual({ status: 'delivered', attempts: 1 });
  });

  it('takes addresses, a bill style, a message template, attachments and a usage report profile', async () => {
    const { api, key } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    await post(api, '/messageTemplates', {
      name: 'Friendly',
      subject: '{{accountName}}: your bill {{invoiceNumber}} (PO {{purchaseOrderNumber}})',
      body: 'Hello {{customerName}}, {{currency}} {{outstanding}} by {{dueDate}}.',
    });
    const terms = await fetch(`${h.url}/backend/api/v1/attachments?name=Terms&filename=terms.txt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain' },
      body: 'Our terms and conditions.',
    });
    expect(terms.status).toBe(201);
    const res = await api.post(`/invoices/${invoice.id}?action=email`, {
      email: 'boss@brightdental.example; Finance@BrightDental.example',
      billStyle: 'summary',
      message: 'friendly',
      attachments: ['terms'],
      invoiceUsageReportCustomerProfileID: 'CallsByFeature',
    });
    expect(res.status, res.text).toBe(200);
    const [mail] = mailsTo('boss@brightdental.example');
    expect(mail!.to.sort()).toEqual(['boss@brightdental.example', 'finance@brightdental.example']);
    expect(mail!.subject).toBe(`Acme Telecom Ltd: your bill ${invoice.invoiceNumber} (PO PO-7781)`);
    expect(mail!.text.trim()).toBe(`Hello Bright Dental Ltd, GBP 107.28 by ${invoice.dueDate}.`);
    expect(mail!.attachments.map((a) => a.filename)).toEqual([
      `Invoice-${invoice.invoiceNumber}.pdf`,
      'terms.txt',
      `CallsByFeature-${invoice.invoiceNumber}.csv`,
    ]);
    const summary = (await pdfText(mail!.attachments[0]!.content)).text;
    expect(summary).toContain('107.28');
    expect(summary).not.toContain('Calls by destination');
    expect(mail!.attachments[1]!.content.toString()).toBe('Our terms and conditions.');
    // The CSV: one line for the feature, with both calls and their 7 billed minutes.
    const csvLines = mail!.attachments[2]!.content.toString().trim().split('\n');
    expect(csvLines[0]).toBe('feature,phone_number,calls,billed_minutes,charge');
    expect(csvLines[1]).toBe('Main line,441134960000,2,7,0.700000');
  });

  it('answers each documented error code', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    const path = `/invoices/${invoice.id}?action=email`;
    const sentBefore = smtp.messages.length;
    expectError(await api.post(path, { email: ['not-an-address'] }), 400, 400702, /not-an-address/);
    expectError(await api.post(path, { email: 'a@b.example, nope' }), 400, 400702);
    expectError(await api.post(path, { billStyle: 'Fancy' }), 400, 400703, /Fancy/);
    expectError(await api.post(path, { message: 'Nope' }), 400, 400704, /Nope/);
    expectError(await api.post(path, { attachments: ['Missing'] }), 400, 400705, /Missing/);
    expectError(await api.post(path, { invoiceUsageReportCustomerProfileID: 'Nope' }), 400, 400706, /Nope/);
    expect(smtp.messages.length).toBe(sentBefore);
    // Bad parameters are 4xx, never 500.
    for (const body of [
      { email: 42 },
      { attachments: 'Terms' },
      { billStyle: ['Full'] },
      { colour: 'red' },
      { email: Array(60).fill('a@b.example') },
    ]) {
      const res = await api.post(path, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error_code).toBe(400001);
    }
    expect((await api.post(path, '[1, 2')).status).toBe(400);
  });

  it('500601 when the mail server refuses the message', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api, { customer: { email: 'nobody@brightdental.example' } });
    smtp.refuse.add('nobody@brightdental.example');
    try {
      const res = await api.post(`/invoices/${invoice.id}?action=email`);
      expectError(res, 500, 500601, /rejected|refused/);
      expect((await api.get(`/invoices/${invoice.id}`)).body.status).toEqual(['approved']);
    } finally {
      smtp.refuse.delete('nobody@brightdental.example');
    }
  });

  it('an empty email ("" or []) means none given: the customer\'s addresses', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    for (const email of ['', [], ' ; ']) {
      const res = await api.post(`/invoices/${invoice.id}?action=email`, { email });
      expect(res.status, res.text).toBe(200);
      expect(res.body.message).toMatch(/to accounts@brightdental\.example, ap@brightdental\.example$/);
    }
  });

  it('400503 when neither the request nor the customer gives an address', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api, { customer: { email: null } });
    expectError(await api.post(`/invoices/${invoice.id}?action=email`), 400, 400503, /email/);
  });

  it("refuses an unsent invoice, another account's invoice, and a key below level 4", async () => {
    const mine = await setUpAccount(h);
    const { invoice: unsent } = await billedCustomer(mine.api, { approve: false });
    expectError(await mine.api.post(`/invoices/${unsent.id}?action=email`), 409, 409002, /approved/);
    const other = await setUpAccount(h);
    const { invoice: theirs } = await billedCustomer(other.api);
    expectError(
      await mine.api.post(`/invoices/${theirs.id}?action=email`, { email: 'me@evil.example' }),
      404,
      404001,
    );
    expect(mailsTo('me@evil.example')).toHaveLength(0);
    const reader = await other.withLevel(3);
    expectError(await reader.post(`/invoices/${theirs.id}?action=email`), 403, 403001);
  });
});

describe('emailCdrs', () => {
  it("emails a CSV of the invoice's calls with the documented columns", async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    const res = await api.post(`/invoices/${invoice.id}?action=emailCdrs`, {
      email: ['calls@brightdental.example'],
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      success: true,
      message: `Call records of invoice ${invoice.invoiceNumber} emailed to calls@brightdental.example`,
    });
    const [mail] = mailsTo('calls@brightdental.example');
    expect(mail!.subject).toBe(`Call records for invoice ${invoice.invoiceNumber} from Acme Telecom Ltd`);
    expect(mail!.attachments.map((a) => [a.filename, a.mimeType])).toEqual([
      [`CDRs-${invoice.invoiceNumber}.csv`, 'text/csv'],
    ]);
    const lines = mail!.attachments[0]!.content.toString().trim().split('\n');
    expect(lines).toEqual([
      'call_id,start_time,from,to,direction,status,duration_s,billable_s,destination,band,charge',
      expect.stringMatching(
        /^441134960000-oct-1,2026-10-20T10:00:00.000Z,441134960000,441134960123,outbound,completed,120,120,UK,peak,0.100000$/,
      ),
      expect.stringMatching(
        /^441134960000-oct-2,2026-10-21T15:30:00.000Z,441134960000,447700900123,outbound,completed,300,300,UK mobile,peak,0.600000$/,
      ),
    ]);
    // Defaults to the customer's addresses.
    const defaulted = await api.post(`/invoices/${invoice.id}?action=emailCdrs`);
    expect(defaulted.body.message).toContain('accounts@brightdental.example, ap@brightdental.example');
  });

  it('400707 without calls, 500602 when sending fails, 400702, 409 unsent, 404 another account', async () => {
    const { api } = await setUpAccount(h);
    const { invoice: noCalls } = await billedCustomer(api, { calls: false });
    expectError(await api.post(`/invoices/${noCalls.id}?action=emailCdrs`), 400, 400707);
    const other = await setUpAccount(h);
    const { invoice } = await billedCustomer(other.api);
    expectError(
      await other.api.post(`/invoices/${invoice.id}?action=emailCdrs`, { email: ['bad address'] }),
      400,
      400702,
    );
    expectError(await other.api.post(`/invoices/${invoice.id}?action=emailCdrs`, { email: 7 }), 400, 400001);
    expectError(
      await other.api.post(`/invoices/${invoice.id}?action=emailCdrs`, { billStyle: 'Full' }),
      400,
      400001,
    );
    expectError(await api.post(`/invoices/${invoice.id}?action=emailCdrs`), 404, 404001);
    smtp.refuse.add('refused@brightdental.example');
    try {
      expectError(
        await other.api.post(`/invoices/${invoice.id}?action=emailCdrs`, {
          email: 'refused@brightdental.example',
        }),
        500,
        500602,
      );
    } finally {
      smtp.refuse.delete('refused@brightdental.example');
    }
    const { invoice: unsent } = await billedCustomer(other.api, {
      approve: false,
      customer: { name: 'Second Ltd' },
      line: '441134960005',
    });
    expectError(await other.api.post(`/invoices/${unsent.id}?action=emailCdrs`), 409, 409002);
  });
});

describe('recreate', () => {
  it('keeps the bill as rendered until recreate renders it again', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    const first = await pdfOf(api, invoice.id);
    expectBillShows(first, invoice);
    await api.patch('/account', { paymentDetails: 'Pay by card at https://pay.acme.example' });
    expect(await pdfOf(api, invoice.id)).toContain('sort code 12-34-56');
    const res = await api.post(`/invoices/${invoice.id}?action=recreate`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: invoice.id, invoiceNumber: invoice.invoiceNumber, total: '107.28' });
    const again = await pdfOf(api, invoice.id);
    expect(again).toContain('https://pay.acme.example');
    expect(again).not.toContain('sort code');
  });

  it('400701 for an unsent invoice; a deleted style takes its kept bills with it; 404 for another account; 400 for parameters', async () => {
    const { api } = await setUpAccount(h);
    const { invoice: unsent } = await billedCustomer(api, { approve: false });
    expectError(await api.post(`/invoices/${unsent.id}?action=recreate`), 400, 400701, /not approved/);
    const other = await setUpAccount(h);
    const { invoice } = await billedCustomer(other.api);
    const style = await post(other.api, '/billStyles', { name: 'Short' });
    await pdfOf(other.api, invoice.id, '?billStyle=Short');
    expect((await other.api.delete(`/billStyles/${style.id}`)).status).toBe(200);
    // The bill kept in Short went with the style: recreate renders the styles that are left.
    expect((await other.api.post(`/invoices/${invoice.id}?action=recreate`)).status).toBe(200);
    const kept = await h.ctx.db
      .selectFrom('invoice_documents')
      .select('bill_style')
      .where('invoice_id', '=', Number(invoice.id))
      .execute();
    expect(kept.map((d) => d.bill_style)).not.toContain('Short');
    expectError(await api.post(`/invoices/${invoice.id}?action=recreate`), 404, 404001);
    expectError(
      await other.api.post(`/invoices/${invoice.id}?action=recreate`, { force: true }),
      400,
      400001,
    );
  });
});

describe('reapplyDiscountPlans', () => {
  it('works the plan out again on an unsent invoice after the plan changed', async () => {
    const { api } = await setUpAccount(h);
    const plan = await post(api, '/discountPlans', {
      name: 'Loyal',
      rules: [{ kind: 'percentOff', percent: '10', type: 'recurring' }],
    });
    const { invoice, customer } = await billedCustomer(api, {
      approve: false,
      customer: { discountPlanID: plan.id },
    });
    // 10% of 38.71 recurring = 3.871 -> 3.87 off.
    expect(invoice).toMatchObject({ invoiceChargesDiscount: '-3.87', invoiceAmount: '85.53' });
    await api.patch(`/discountPlans/${plan.id}`, {
      rules: [
        { kind: 'percentOff', percent: '20', type: 'recurring' },
        { kind: 'freeMinutes', minutes: 5 },
      ],
    });
    const res = await api.post(`/invoices/${invoice.id}?action=reapplyDiscountPlans`);
    expect(res.status, res.text).toBe(200);
    // 20% of 38.71 = 7.742 -> 7.74; 5 free minutes: the dearest first, all 5 mobile minutes, 0.60.
    expect(res.body).toMatchObject({
      id: invoice.id,
      invoiceChargesDiscount: '-8.34',
      invoiceAmount: '81.06',
      invoiceVAT: '16.21',
      total: '97.27',
    });
    const lines = (await api.get(`/invoices/${invoice.id}/transactions?includeUnsent`)).body.filter(
      (t: any) => t.transactionType === 'discount',
    );
    expect(lines.map((t: any) => t.transactionValue).sort()).toEqual(['-0.60', '-7.74']);
    // Taking the plan off the customer and reapplying removes the discounts.
    await api.patch(`/customers/${customer.id}`, { discountPlanID: null });
    expect((await api.post(`/invoices/${invoice.id}?action=reapplyDiscountPlans`)).body).toMatchObject({
      invoiceChargesDiscount: '0.00',
      total: '107.28',
    });
  });

  it('409 once approved, 404 for another account, 400 for parameters', async () => {
    const { api } = await setUpAccount(h);
    const { invoice } = await billedCustomer(api);
    expectError(await api.post(`/invoices/${invoice.id}?action=reapplyDiscountPlans`), 409, 409001);
    const other = await setUpAccount(h);
    const { invoice: unsent } = await billedCustomer(other.api, { approve: false });
    expectError(await api.post(`/invoices/${unsent.id}?action=reapplyDiscountPlans`), 404, 404001);
    expectError(
      await other.api.post(`/invoices/${unsent.id}?action=reapplyDiscountPlans`, { plan: 1 }),
      400,
      400001,
    );
  });
});

describe('linkToXero and unlinkFromXero', () => {
  const XERO = '550e8400-e29b-41d4-a716-446655440000';
  const XERO2 = '00000000-0000-4000-8000-000000000002';

  it('403002 until the xero module is on; then links, relinks at level 5 only, unlinks at level 5 only', async () => {
    const account = await setUpAccount(h);
    const { api } = account;
    const { invoice } = await billedCustomer(api);
    expectError(await api.post(`/invoices/${invoice.id}?action=linkToXero`, { xeroID: XERO }), 403, 403002);
    expectError(await api.post(`/invoices/${invoice.id}?action=unlinkFromXero`), 403, 403002);
    await api.patch('/account', { modules: ['xero'] });
    const level4 = await account.withLevel(4);
    const linked = await level4.post(`/invoices/${invoice.id}?action=linkToXero`, {
      xeroID: XERO.toUpperCase(),
    });
    expect(linked.status, linked.text).toBe(200);
    expect(linked.body).toMatchObject({ id: invoice.id, xeroID: XERO });
    expect((await api.get(`/invoices/${invoice.id}`)).body.xeroID).toBe(XERO);
    // The same link again is fine at level 4; a different one needs level 5.
    expect((await level4.post(`/invoices/${invoice.id}?action=linkToXero`, { xeroID: XERO })).status).toBe(
      200,
    );
    expectError(
      await level4.post(`/invoices/${invoice.id}?action=linkToXero`, { xeroID: XERO2 }),
      403,
      403001,
      /expert/,
    );
    expect((await api.post(`/invoices/${invoice.id}?action=linkToXero`, { xeroID: XERO2 })).body.xeroID).toBe(
      XERO2,
    );
    expectError(await level4.post(`/invoices/${invoice.id}?action=unlinkFromXero`), 403, 403001, /expert/);
    const unlinked = await api.post(`/invoices/${invoice.id}?action=unlinkFromXero`);
    expect(unlinked.status).toBe(200);
    expect(unlinked.body.xeroID).toBeNull();
    const reader = await account.withLevel(3);
    expectError(
      await reader.post(`/invoices/${invoice.id}?action=linkToXero`, { xeroID: XERO }),
      403,
      403001,
    );
  });

  it('checks xeroID, and keeps accounts apart', async () => {
    const { api } = await setUpAccount(h);
    await api.patch('/account', { modules: ['xero'] });
    const { invoice } = await billedCustomer(api);
    expectError(await api.post(`/invoices/${invoice.id}?action=linkToXero`), 400, 400503, /xeroID/);
    expectError(await api.post(`/invoices/${invoice.id}?action=linkToXero`, {}), 400, 400503, /xeroID/);
    for (const xeroID of ['not-a-uuid', '550e8400e29b41d4a716446655440000', 123, '']) {
      const res = await api.post(`/invoices/${invoice.id}?action=linkToXero`, { xeroID });
      expect(res.status, String(xeroID)).toBe(400);
      expect(res.body.error_code).toBe(400001);
    }
    expectError(
      await api.post(`/invoices/${invoice.id}?action=unlinkFromXero`, { xeroID: XERO }),
      400,
      400001,
    );
    const other = await setUpAccount(h);
    await other.api.patch('/account', { modules: ['xero'] });
    expectError(
      await other.api.post(`/invoices/${invoice.id}?action=linkToXero`, { xeroID: XERO }),
      404,
      404001,
    );
    expectError(await other.api.post(`/invoices/${invoice.id}?action=unlinkFromXero`), 404, 404001);
  });
});

describe('printed and delivered', () => {
  it('a user marks an approved invoice printed or delivered; undelivered filters on every flag', async () => {
    const { api } = await setUpAccount(h);
    const a = (await billedCustomer(api, { customer: { name: 'A Ltd' }, line: '441134960001' })).invoice;
    const b = (await billedCustomer(api, { customer: { name: 'B Ltd' }, line: '441134960002' })).invoice;
    const c = (await billedCustomer(api, { customer: { name: 'C Ltd' }, line: '441134960003' })).invoice;
    const ids = async () => (await api.get('/invoices?undelivered')).body.map((i: any) => i.id);
    expect(await ids()).toEqual([a.id, b.id, c.id]);
    expect((await api.patch(`/invoices/${a.id}`, { status: ['printed'] })).body.status).toEqual([
      'approved',
      'printed',
    ]);
    expect((await api.patch(`/invoices/${b.id}`, { status: ['approved', 'delivered'] })).body.status).toEqual(
      ['approved', 'delivered'],
    );
    expect(await ids()).toEqual([c.id]);
    expect((await api.patch(`/invoices/${a.id}`, { status: [] })).body.status).toEqual(['approved']);
    expect(await ids()).toEqual([a.id, c.id]);
    expectError(await api.patch(`/invoices/${c.id}`, { status: ['emailed'] }), 400, 400001);
    const { invoice: unsent } = await billedCustomer(api, {
      approve: false,
      customer: { name: 'D Ltd' },
      line: '441134960004',
    });
    expectError(await api.patch(`/invoices/${unsent.id}`, { status: ['printed'] }), 409, 409002);
  });
});
