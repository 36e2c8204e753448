// Invoices (document 004) through HTTP: creating for a customer, the one-unsent-invoice rule, list filters,
// PATCH, DELETE, the action dispatch with approve, totals, and another account's key - full bodies first,
// then the database.
import { describe, expect, it } from 'vitest';
import { type Api, makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';
import {
  approve,
  dbInvoice,
  dbInvoices,
  dbTransactions,
  DOC_004_INVOICE_FIELDS,
  expectError,
  expectInvoiceAddsUp,
  expectInvoiceMatchesDatabase,
  getAll,
  m2,
  post,
  ZERO_CATEGORIES,
} from '../helpers/billing.ts';

/** An invoice view of an empty unsent invoice; `o` fills in the rest. */
function invoiceBody(o: Record<string, unknown>): Record<string, unknown> {
  return {
    id: expect.stringMatching(/^\d+$/),
    customerID: expect.any(String),
    invoiceNumber: null,
    billingRun: null,
    invoiceDate: null,
    cutoffDate: null,
    transactionCutoffDate: null,
    dueDate: null,
    paidDate: null,
    paymentMethod: null,
    invoiceAmount: '0.00',
    invoiceVAT: '0.00',
    invoiceReverseVAT: '0.00',
    total: '0.00',
    paidAmount: '0.00',
    outstanding: '0.00',
    invoiceCallCount: 0,
    invoiceCallMinutes: 0,
    ...ZERO_CATEGORIES,
    invoiceChargesNonCall: '0.00',
    vatBreakdown: [],
    status: ['unsent'],
    billStyle: null,
    invoiceMessage: null,
    invoiceUsageReportCustomerProfile: null,
    customerReference: null,
    purchaseOrderNumber: null,
    onlineBillType: null,
    emailBillType: null,
    postBillType: null,
    faxBillType: null,
    billTypes: [],
    xeroID: null,
    currency: 'GBP',
    created: expect.any(String),
    updated: expect.any(String),
    ...o,
  };
}

describe('invoices (document 004)', () => {
  const h = useHarness();

  async function setup(options: { timezone?: string; now?: string } = {}) {
    h.setNow(new Date(options.now ?? '2026-11-10T12:00:00.000Z'));
    const account = await h.account(options.timezone ? { timezone: options.timezone } : {});
    const customer = await makeCustomer(account.api);
    const feature = await makeFeature(account.api, customer.id);
    return { ...account, customer, feature };
  }

  async function get(api: Api, path: string): Promise<any> {
    const res = await api.get(path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
    return res.body;
  }

  const charge = (api: Api, featureId: string, body: Record<string, unknown>) =>
    post(api, `/features/${featureId}/transactions`, body);

  describe('POST /customers/ID/invoices', () => {
    it('defaults the cut-off to the first day of the current month in the account timezone', async () => {
      // 23:30 UTC on 30 Nov is 00:30 on 1 Dec in Berlin: the current month there is December.
      const now = '2026-11-30T23:30:00.000Z';
      const { api, id: accountId, customer, feature } = await setup({ timezone: 'Europe/Berlin', now });
      const november = await charge(api, feature.id, {
        transactionValue: '10.00',
        transactionDate: '2026-11-20',
      });
      const december = await charge(api, feature.id, { transactionValue: '99.00' }); // today in Berlin: 1 Dec

      const res = await api.post(`/customers/${customer.id}/invoices`);
      expect(res.status).toBe(201);
      expect(res.body).toEqual(
        invoiceBody({
          id: november.invoiceID,
          customerID: customer.id,
          cutoffDate: '2026-12-01', // a UTC default would be 2026-11-01 and leave the 20 Nov charge out
          invoiceAmount: '10.00',
          invoiceVAT: '2.00',
          total: '12.00',
          outstanding: '12.00',
          invoiceChargesOneOff: '10.00',
          invoiceChargesNonCall: '10.00',
          vatBreakdown: [{ rate: '20', net: '10.00', vat: '2.00' }],
          created: now,
          updated: now,
        }),
      );
      for (const field of DOC_004_INVOICE_FIELDS) expect(res.body).toHaveProperty(field);
      expect(await get(api, `/invoices/${res.body.id}`)).toEqual(res.body);

      // The database: the invoice's cut-off, and the December charge (bill date on the cut-off) unbilled.
      const stored = (await dbInvoice(h, accountId, Number(res.body.id)))!;
      expect(stored).toMatchObject({
        cutoff_date: '2026-12-01',
        transaction_cutoff_date: null,
        approved_at: null,
        invoice_number: null,
      });
      const rows = await dbTransactions(h, accountId);
      expect(rows.map((r) => [r.id, r.invoice_id])).toEqual([
        [Number(november.id), Number(res.body.id)],
        [Number(december.id), null],
      ]);
      await expectInvoiceMatchesDatabase(h, accountId, res.body);
    });

    it('makes an empty invoice when asked for a customer with nothing to bill', async () => {
      const { api, id: accountId, customer } = await setup();
      const res = await api.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(
        invoiceBody({
          customerID: customer.id,
          cutoffDate: '2026-11-01',
          created: '2026-11-10T12:00:00.000Z',
          updated: '2026-11-10T12:00:00.000Z',
        }),
      );
      expect((await dbInvoices(h, accountId)).length).toBe(1);
    });

    it('with transactionCutoffDate, takes non-call charges by transaction date instead of bill date', async () => {
      const { api, id: accountId, customer, feature } = await setup();
      const a = await charge(api, feature.id, {
        transactionValue: '1.00',
        transactionDate: '2026-10-20',
        transactionBillDate: '2026-11-15',
      });
      const b = await charge(api, feature.id, {
        transactionValue: '2.00',
        transactionDate: '2026-11-05',
        transactionBillDate: '2026-10-25',
      });
      const c = await charge(api, feature.id, { transactionValue: '4.00', transactionDate: '2026-10-10' });

      // By bill date before 1 Nov: b and c.
      const byBillDate = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      expect([byBillDate.invoiceAmount, byBillDate.transactionCutoffDate]).toEqual(['6.00', null]);
      // By transaction date before 1 Nov: a and c. Same invoice, completed again.
      const byTransactionDate = await post(api, `/customers/${customer.id}/invoices`, {
        cutoffDate: '2026-11-01',
        transactionCutoffDate: '2026-11-01',
      });
      expect(byTransactionDate.id).toBe(byBillDate.id);
      expect([
        byTransactionDate.invoiceAmount,
        byTransactionDate.cutoffDate,
        byTransactionDate.transactionCutoffDate,
      ]).toEqual(['5.00', '2026-11-01', '2026-11-01']);
      const onInvoice = (await dbTransactions(h, accountId))
        .filter((t) => t.invoice_id === Number(byBillDate.id))
        .map((t) => t.id);
      expect(onInvoice).toEqual([Number(a.id), Number(c.id)]);
      expect((await get(api, `/transactions/${b.id}`)).invoiceID).toBeNull();
    });

    it('with transactionCutoffDate, charges recurring periods that start before it, whatever the billing mode', async () => {
      const { api, customer } = await setup();
      // 25.00 monthly in advance from 1 Oct. Cut-off 1 Nov alone would charge October and November (advance);
      // with a transaction cut-off of 1 Nov only the period starting before it, October: 25.00.
      const feature = await makeFeature(api, customer.id, {
        name: 'Line rental',
        recurringValue: '25.00',
        billing: 'advance',
        startDate: '2026-10-01',
      });
      const invoice = await post(api, `/customers/${customer.id}/invoices`, {
        cutoffDate: '2026-11-01',
        transactionCutoffDate: '2026-11-01',
      });
      expect([invoice.invoiceChargesRecurring, invoice.invoiceAmount]).toEqual(['25.00', '25.00']);
      expect((await get(api, `/features/${feature.id}`)).billedUntil).toBe('2026-11-01');
    });

    it("puts _includeTransactionIDs on the invoice whatever their dates, and refuses ids that are not the customer's unbilled charges", async () => {
      const { api, id: accountId, customer, feature } = await setup();
      const inside = await charge(api, feature.id, {
        transactionValue: '1.00',
        transactionDate: '2026-10-20',
      });
      const later = await charge(api, feature.id, {
        transactionValue: '2.00',
        transactionDate: '2026-11-20',
      });
      const other = await makeCustomer(api, { name: 'Other Ltd' });
      const othersCharge = await charge(api, (await makeFeature(api, other.id)).id, {
        transactionValue: '3.00',
        transactionDate: '2026-10-20',
      });
      const raisedCharge = await charge(api, feature.id, {
        transactionValue: '0.50',
        transactionDate: '2026-10-01',
      });
      // Raise the invoice holding raisedCharge (and inside, later); they then leave this customer's unsent pool.
      const firstInvoice = await approve(api, raisedCharge.invoiceID);
      expect(firstInvoice.invoiceAmount).toBe('3.50');
      const fresh = await charge(api, feature.id, {
        transactionValue: '4.00',
        transactionDate: '2026-10-21',
      });
      const future = await charge(api, feature.id, {
        transactionValue: '8.00',
        transactionDate: '2026-12-24',
      });
      const foreign = await h.account();
      const foreignCharge = await charge(
        foreign.api,
        (await makeFeature(foreign.api, (await makeCustomer(foreign.api)).id)).id,
        { transactionValue: '1.00' },
      );

      const invoicesBefore = await dbInvoices(h, accountId);
      const rowsBefore = await dbTransactions(h, accountId);
      for (const ids of [
        [999999],
        [othersCharge.id],
        [foreignCharge.id],
        [raisedCharge.id],
        [later.id],
        ['abc'],
        [future.id, 0],
      ]) {
        const res = await api.post(`/customers/${customer.id}/invoices`, {
          cutoffDate: '2026-11-01',
          _includeTransactionIDs: ids,
        });
        expectError(res, 400, 400001, /_includeTransactionIDs/);
      }
      expect(await dbInvoices(h, accountId)).toEqual(invoicesBefore);
      expect(await dbTransactions(h, accountId)).toEqual(rowsBefore);
      expect(inside.invoiceID).toBe(firstInvoice.id);

      // The 24 Dec charge is dated after the cut-off; named, it goes on (ids as strings or numbers).
      const res = await api.post(`/customers/${customer.id}/invoices`, {
        cutoffDate: '2026-11-01',
        _includeTransactionIDs: [future.id, Number(future.id)],
      });
      expect(res.status).toBe(201);
      expect(res.body.id).toBe(fresh.invoiceID);
      expect(res.body.invoiceAmount).toBe('12.00'); // fresh 4.00 + future 8.00
      const row = (await dbTransactions(h, accountId)).find((t) => t.id === Number(future.id))!;
      expect([row.invoice_id, row.pinned]).toEqual([Number(res.body.id), true]);
      // Completing again keeps it there.
      expect(
        (await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' })).invoiceAmount,
      ).toBe('12.00');
    });

    it('keeps one unsent invoice per customer: creating again completes the same invoice, and later charges wait', async () => {
      const { api, id: accountId, customer, feature } = await setup();
      const october = await charge(api, feature.id, {
        transactionValue: '10.00',
        transactionDate: '2026-10-20',
      });
      const november = await charge(api, feature.id, {
        transactionValue: '20.00',
        transactionDate: '2026-11-05',
      });
      expect(november.invoiceID).toBe(october.invoiceID); // no cut-off yet: both on the unsent invoice

      const first = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      expect([first.id, first.invoiceAmount, first.cutoffDate]).toEqual([
        october.invoiceID,
        '10.00',
        '2026-11-01',
      ]);
      expect((await get(api, `/transactions/${november.id}`)).invoiceID).toBeNull(); // came off, waits

      const second = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-12-01' });
      expect([second.id, second.invoiceAmount, second.cutoffDate]).toEqual([first.id, '30.00', '2026-12-01']);
      expect((await get(api, `/transactions/${november.id}`)).invoiceID).toBe(first.id);

      const unsent = (await dbInvoices(h, accountId)).filter((i) => i.approved_at === null);
      expect(unsent.map((i) => i.id)).toEqual([Number(first.id)]);

      // After approval, the next invoice is a new one, and the waiting charges land on it.
      await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      await approve(api, first.id);
      const next = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-12-01' });
      expect(next.id).not.toBe(first.id);
      expect(next.invoiceAmount).toBe('20.00');
      expect((await get(api, `/invoices/${first.id}`)).invoiceAmount).toBe('10.00');
    });

    it('answers 404 for an unknown customer and 400 for a bad body', async () => {
      const { api, customer } = await setup();
      expectError(await api.post('/customers/999999/invoices', {}), 404, 404001, /Customer 999999/);
      expectError(
        await api.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-13-01' }),
        400,
        400001,
        /cutoffDate/,
      );
      expectError(
        await api.post(`/customers/${customer.id}/invoices`, { transactionCutoffDate: 'soon' }),
        400,
        400001,
        /transactionCutoffDate/,
      );
      expectError(
        await api.post(`/customers/${customer.id}/invoices`, { cutoff: '2026-11-01' }),
        400,
        400001,
        /cutoff/,
      );
    });
  });

  describe('lists', () => {
    /**
     * America/New_York, prefix RB-, numbers from 100. A (14 days' terms): IA1 dated 5 Oct, IA2 dated 21 Nov.
     * B (the account's 30 days): IB1 made and approved at 03:00 UTC on 3 Nov, which is 22:00 on 2 Nov in New
     * York; IB2 unsent, completed by a billing run.
     */
    async function invoices() {
      h.setNow(new Date('2026-10-05T15:00:00.000Z'));
      const account = await h.account({ timezone: 'America/New_York' });
      const { api } = account;
      expect((await api.patch('/account', { invoicePrefix: 'RB-', invoiceNextNumber: 100 })).status).toBe(
        200,
      );
      const a = await makeCustomer(api, { name: 'Alpha Ltd', paymentTermsDays: 14 });
      const b = await makeCustomer(api, { name: 'Beta Ltd' });
      const fa = await makeFeature(api, a.id);
      const fb = await makeFeature(api, b.id);

      const ia1 = await approve(api, (await charge(api, fa.id, { transactionValue: '10.00' })).invoiceID);
      h.setNow(new Date('2026-11-03T03:00:00.000Z'));
      const ib1 = await approve(api, (await charge(api, fb.id, { transactionValue: '20.00' })).invoiceID);
      h.setNow(new Date('2026-11-20T15:00:00.000Z'));
      const ia2 = await approve(api, (await charge(api, fa.id, { transactionValue: '30.00' })).invoiceID, {
        invoiceDate: '2026-11-21',
      });
      h.setNow(new Date('2026-12-02T15:00:00.000Z'));
      await charge(api, fb.id, { transactionValue: '40.00', transactionDate: '2026-11-30' });
      const run = await post(api, '/billingRuns', { cutoffDate: '2026-12-01' });
      // Status flags: IA1 printed, IB1 delivered.
      expect((await api.patch(`/invoices/${ia1.id}`, { status: ['printed'] })).status).toBe(200);
      expect((await api.patch(`/invoices/${ib1.id}`, { status: ['delivered'] })).status).toBe(200);
      const [IA1, IB1, IA2] = await Promise.all([ia1, ib1, ia2].map((i) => get(api, `/invoices/${i.id}`)));
      const IB2 = (await get(api, `/invoices?unsent&billingRun=${run.id}`))[0];
      return { ...account, a, b, run, IA1, IB1, IA2, IB2 };
    }

    it('filter by the documented parameters; by default only raised invoices', async () => {
      const { api, run, IA1, IB1, IA2, IB2 } = await invoices();
      // What the set-up made: numbers, dates in New York, due dates from the customer's or the account's terms.
      expect([IA1, IB1, IA2].map((i) => [i.invoiceNumber, i.invoiceDate, i.dueDate])).toEqual([
        ['RB-100', '2026-10-05', '2026-10-19'],
        ['RB-101', '2026-11-02', '2026-12-02'],
        ['RB-102', '2026-11-21', '2026-12-05'],
      ]);
      expect([IB2.invoiceAmount, IB2.billingRun, IB2.cutoffDate, IB2.status]).toEqual([
        '40.00',
        run.id,
        '2026-12-01',
        ['unsent'],
      ]);

      const cases: [string, any[]][] = [
        ['/invoices', [IA1, IB1, IA2]],
        ['/invoices?invoiceNumber=RB-101', [IB1]],
        ['/invoices?invoiceNumber=RB-10', []], // exact, not a prefix
        ['/invoices?invoiceNumber=rb-101', []],
        ['/invoices?invoiceNumber=RB-1010', []],
        ['/invoices?unsent', [IB2]],
        ['/invoices?includeUnsent', [IA1, IB1, IA2, IB2]],
        ['/invoices?undelivered', [IA2]], // IA1 printed, IB1 delivered
        ['/invoices?undelivered&includeUnsent', [IA2, IB2]],
        ['/invoices?minDate=2026-11-02', [IB1, IA2]],
        ['/invoices?maxDate=2026-11-02', [IA1, IB1]],
        ['/invoices?minDate=2026-11-03&maxDate=2026-11-21', [IA2]],
        ['/invoices?minDueDate=2026-12-02', [IB1, IA2]],
        ['/invoices?maxDueDate=2026-12-02', [IA1, IB1]],
        ['/invoices?minDueDate=2026-12-03&maxDueDate=2026-12-05', [IA2]],
        // createdSince as a date: midnight in New York (05:00 UTC). IB1 was made at 22:00 on 2 Nov there.
        ['/invoices?createdSince=2026-11-03', [IA2]],
        ['/invoices?createdSince=2026-11-02', [IB1, IA2]],
        ['/invoices?createdSince=2026-11-02&includeUnsent', [IB1, IA2, IB2]],
        // ... or as a date-time, inclusive.
        ['/invoices?createdSince=2026-11-03T03:00:00Z', [IB1, IA2]],
        ['/invoices?createdSince=2026-11-03T03:00:00.001Z', [IA2]],
        [`/invoices?createdSince=${encodeURIComponent('2026-11-02T22:00:00-05:00')}`, [IB1, IA2]],
        [`/invoices?billingRun=${run.id}`, []],
        [`/invoices?billingRun=${run.id}&includeUnsent`, [IB2]],
      ];
      for (const [path, expected] of cases) {
        expect({ path, ids: (await get(api, path)).map((i: any) => i.invoiceNumber ?? i.id) }).toEqual({
          path,
          ids: expected.map((i) => i.invoiceNumber ?? i.id),
        });
      }
      // Full bodies in lists equal the single GETs.
      expect(await get(api, '/invoices?includeUnsent')).toEqual([IA1, IB1, IA2, IB2]);

      for (const [query, field] of [
        ['minDate=2026-11-31', 'minDate'],
        ['maxDueDate=tomorrow', 'maxDueDate'],
        ['createdSince=yesterday', 'createdSince'],
        ['billingRun=x', 'billingRun'],
      ]) {
        expectError(await api.get(`/invoices?${query}`), 400, 400001, new RegExp(field!));
      }
    });

    it("list a customer's invoices, and page through long lists", async () => {
      const { api, a, b, IA1, IB1, IA2, IB2 } = await invoices();
      expect(await get(api, `/customers/${a.id}/invoices`)).toEqual([IA1, IA2]);
      expect(await get(api, `/customers/${b.id}/invoices`)).toEqual([IB1]);
      expect(await get(api, `/customers/${b.id}/invoices?includeUnsent`)).toEqual([IB1, IB2]);
      expect(await get(api, `/customers/${b.id}/invoices?unsent`)).toEqual([IB2]);
      expect(await get(api, `/customers/${a.id}/invoices?minDate=2026-11-01`)).toEqual([IA2]);
      expectError(await api.get('/customers/999999/invoices'), 404, 404001);

      const first = await api.get('/invoices?includeUnsent&limit=3');
      expect(first.body).toEqual([IA1, IB1, IA2]);
      expect(first.headers.get('link')).toBe(
        `</backend/api/v1/invoices?includeUnsent=&limit=3&after=${IA2.id}>; rel="next"`,
      );
      const second = await api.get(`/invoices?includeUnsent&limit=3&after=${IA2.id}`);
      expect(second.body).toEqual([IB2]);
      expect(second.headers.get('link')).toBeNull();
      expect(await getAll(api, '/invoices?includeUnsent&limit=1')).toEqual([IA1, IB1, IA2, IB2]);
    });
  });

  describe('PATCH /invoices/ID', () => {
    const presentation = {
      billStyle: 'Full',
      invoiceMessage: 'Thank you for your business',
      invoiceUsageReportCustomerProfile: 'Top destinations',
      customerReference: 'CUST-REF-7',
      purchaseOrderNumber: 'PO-2026-118',
      onlineBillType: 'Summary',
      emailBillType: 'Full',
      postBillType: 'Itemised',
      faxBillType: 'Summary',
      billTypes: ['Full', 'Itemised'],
    };

    /** The message template and usage report profile the presentation names. */
    async function presets(api: Api) {
      expect(
        (
          await api.post('/messageTemplates', {
            name: 'Thank you for your business',
            subject: 'Bill {{invoiceNumber}}',
            body: 'Thanks.',
          })
        ).status,
      ).toBe(201);
      expect(
        (await api.post('/usageReportProfiles', { name: 'Top destinations', kind: 'callsByFeature' })).status,
      ).toBe(201);
    }

    it('changes the bill while unsent; approved, only the payment method, due date and printed/delivered flags', async () => {
      const { api, id: accountId, feature } = await setup();
      await presets(api);
      const t = await charge(api, feature.id, { transactionValue: '10.00' });
      const before = await get(api, `/invoices/${t.invoiceID}`);
      h.setNow(new Date('2026-11-11T09:00:00.000Z'));
      const res = await api.patch(`/invoices/${t.invoiceID}`, { ...presentation, paymentMethod: 'BACS' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ...before,
        ...presentation,
        paymentMethod: 'BACS',
        updated: '2026-11-11T09:00:00.000Z',
      });
      expect(await dbInvoice(h, accountId, Number(t.invoiceID))).toMatchObject({
        bill_style: 'Full',
        usage_report_profile: 'Top destinations',
        purchase_order_number: 'PO-2026-118',
        bill_types: ['Full', 'Itemised'],
        payment_method: 'BACS',
      });
      // Cleared with null.
      expect(
        (await api.patch(`/invoices/${t.invoiceID}`, { customerReference: null })).body.customerReference,
      ).toBeNull();
      // The due date is set on approval; an unsent invoice cannot be printed or delivered.
      expectError(
        await api.patch(`/invoices/${t.invoiceID}`, { dueDate: '2026-12-31' }),
        400,
        400001,
        /dueDate/,
      );
      expectError(await api.patch(`/invoices/${t.invoiceID}`, { status: ['printed'] }), 409, 409002);

      const approved = await approve(api, t.invoiceID);
      expect([approved.invoiceDate, approved.dueDate, approved.paymentMethod]).toEqual([
        '2026-11-11',
        '2026-12-11',
        'BACS',
      ]);
      const frozen = await dbInvoice(h, accountId, Number(t.invoiceID));
      for (const [field, value] of Object.entries(presentation)) {
        expectError(
          await api.patch(`/invoices/${t.invoiceID}`, { [field]: value }),
          409,
          409001,
          new RegExp(field),
        );
      }
      expectError(
        await api.patch(`/invoices/${t.invoiceID}`, { paymentMethod: 'Card', billStyle: 'Short' }),
        409,
        409001,
      );
      expect(await dbInvoice(h, accountId, Number(t.invoiceID))).toEqual(frozen);

      h.setNow(new Date('2026-11-12T09:00:00.000Z'));
      const changed = await api.patch(`/invoices/${t.invoiceID}`, {
        paymentMethod: 'Card',
        dueDate: '2026-12-31',
        status: ['approved', 'printed', 'delivered'],
      });
      expect(changed.status).toBe(200);
      expect(changed.body).toEqual({
        ...approved,
        paymentMethod: 'Card',
        dueDate: '2026-12-31',
        status: ['approved', 'printed', 'delivered'],
        updated: '2026-11-12T09:00:00.000Z',
      });
      const stored = (await dbInvoice(h, accountId, Number(t.invoiceID)))!;
      expect([stored.due_date, stored.printed_at?.toISOString(), stored.delivered_at?.toISOString()]).toEqual(
        ['2026-12-31', '2026-11-12T09:00:00.000Z', '2026-11-12T09:00:00.000Z'],
      );
      // Flags are replaced as a set: printed stays (with its first time), delivered is cleared.
      h.setNow(new Date('2026-11-13T09:00:00.000Z'));
      expect((await api.patch(`/invoices/${t.invoiceID}`, { status: ['printed'] })).body.status).toEqual([
        'approved',
        'printed',
      ]);
      expect((await dbInvoice(h, accountId, Number(t.invoiceID)))!.printed_at?.toISOString()).toBe(
        '2026-11-12T09:00:00.000Z',
      );
      expectError(await api.patch(`/invoices/${t.invoiceID}`, { status: ['paid'] }), 400, 400001, /status/);
      expectError(
        await api.patch(`/invoices/${t.invoiceID}`, { status: ['emailed'] }),
        400,
        400001,
        /status/,
      );
      expectError(
        await api.patch(`/invoices/${t.invoiceID}`, { dueDate: '2026-11-10' }),
        400,
        400001,
        /dueDate/,
      ); // before the invoice date
      expectError(
        await api.patch(`/invoices/${t.invoiceID}`, { invoiceAmount: '1.00' }),
        400,
        400001,
        /invoiceAmount/,
      );
      expectError(await api.patch('/invoices/999999', { paymentMethod: 'Card' }), 404, 404001);
    });

    it("refuses presets that do not exist (the email action's codes), so an approved invoice can always be rendered and sent", async () => {
      const { api, id: accountId, feature } = await setup();
      await presets(api);
      const t = await charge(api, feature.id, { transactionValue: '10.00' });
      const before = await dbInvoice(h, accountId, Number(t.invoiceID));
      for (const field of ['billStyle', 'onlineBillType', 'emailBillType', 'postBillType', 'faxBillType']) {
        expectError(
          await api.patch(`/invoices/${t.invoiceID}`, { [field]: 'Nope' }),
          400,
          400703,
          new RegExp(`${field}: no bill style named "Nope"`),
        );
      }
      expectError(
        await api.patch(`/invoices/${t.invoiceID}`, { billTypes: ['Full', 'whatever'] }),
        400,
        400703,
        /billTypes\.1: no bill style named "whatever"/,
      );
      expectError(
        await api.patch(`/invoices/${t.invoiceID}`, { invoiceMessage: 'Nope' }),
        400,
        400704,
        /invoiceMessage: no message template named "Nope"/,
      );
      expectError(
        await api.patch(`/invoices/${t.invoiceID}`, { invoiceUsageReportCustomerProfile: 'Nope' }),
        400,
        400706,
        /invoiceUsageReportCustomerProfile: no usage report profile named "Nope"/,
      );
      // Nothing changed, not even the fields of the same request that were fine.
      expectError(
        await api.patch(`/invoices/${t.invoiceID}`, { customerReference: 'R1', billStyle: 'Nope' }),
        400,
        400703,
      );
      expect(await dbInvoice(h, accountId, Number(t.invoiceID))).toEqual(before);
      // Names match without regard to case; null clears.
      const ok = await api.patch(`/invoices/${t.invoiceID}`, {
        billStyle: 'summary',
        invoiceMessage: 'THANK YOU FOR YOUR BUSINESS',
        billTypes: [],
      });
      expect(ok.status, ok.text).toBe(200);
      expect(
        (await api.patch(`/invoices/${t.invoiceID}`, { billStyle: null, invoiceMessage: null })).status,
      ).toBe(200);
    });
  });

  describe('DELETE /invoices/ID', () => {
    it('deletes an unsent invoice: charges return to unbilled, generated recurring charges go and are charged again', async () => {
      const { api, id: accountId, customer } = await setup();
      // 25.00 monthly in advance from 15 Oct. At cut-off 1 Nov: 15-31 Oct = 25.00 x 17/31 = 13.709.. -> 13.71,
      // and November 25.00.
      const line = await makeFeature(api, customer.id, {
        name: 'Line rental',
        recurringValue: '25.00',
        billing: 'advance',
        startDate: '2026-10-15',
      });
      const setupFee = await charge(api, line.id, {
        transactionValue: '10.00',
        transactionDate: '2026-10-20',
      });
      const pinned = await post(api, `/invoices/${setupFee.invoiceID}/transactions`, {
        transactionValue: '5.00',
        transactionDate: '2026-11-20',
      });
      const first = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      expect([
        first.id,
        first.invoiceChargesRecurring,
        first.invoiceChargesOneOff,
        first.invoiceAmount,
      ]).toEqual([setupFee.invoiceID, '38.71', '15.00', '53.71']);
      // Completed again for 1 Dec: December too (the feature is then billed until 1 Jan).
      const again = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-12-01' });
      expect([again.invoiceChargesRecurring, again.invoiceAmount]).toEqual(['63.71', '78.71']);
      expect((await get(api, `/features/${line.id}`)).billedUntil).toBe('2027-01-01');
      const recurring = await get(api, `/invoices/${first.id}/transactions?unsent`);
      expect(
        recurring
          .filter((t: any) => t.transactionType === 'recurring')
          .map((t: any) => [t.transactionStartDate, t.transactionEndDate, t.transactionValue]),
      ).toEqual([
        ['2026-10-15', '2026-10-31', '13.71'],
        ['2026-11-01', '2026-11-30', '25.00'],
        ['2026-12-01', '2026-12-31', '25.00'],
      ]);

      const res = await api.delete(`/invoices/${first.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, message: `Invoice ${first.id} deleted` });
      expectError(await api.get(`/invoices/${first.id}`), 404, 404001);
      expect(await dbInvoices(h, accountId)).toEqual([]);
      const rows = await dbTransactions(h, accountId);
      expect(rows.map((r) => [r.id, r.origin, r.invoice_id, r.pinned])).toEqual([
        [Number(setupFee.id), 'api', null, false],
        [Number(pinned.id), 'api', null, false],
      ]);
      expect((await get(api, `/features/${line.id}`)).billedUntil).toBeNull();

      // The next invoice charges the same periods again; the 20 Nov charge, no longer pinned, waits.
      const next = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      expect([next.invoiceChargesRecurring, next.invoiceChargesOneOff, next.invoiceAmount]).toEqual([
        '38.71',
        '10.00',
        '48.71',
      ]);
      expect((await get(api, `/transactions/${pinned.id}`)).invoiceID).toBeNull();

      // A feature billed on a raised invoice goes back to where that invoice left it.
      await approve(api, next.id);
      expect((await get(api, `/features/${line.id}`)).billedUntil).toBe('2026-12-01');
      const december = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-12-01' });
      expect([december.invoiceChargesRecurring, december.invoiceAmount]).toEqual(['25.00', '30.00']); // December + the waiting 5.00
      expect((await api.delete(`/invoices/${december.id}`)).status).toBe(200);
      expect((await get(api, `/features/${line.id}`)).billedUntil).toBe('2026-12-01');
      expect(
        (await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-12-01' }))
          .invoiceChargesRecurring,
      ).toBe('25.00');
      // The raised invoice is untouched throughout.
      expect((await get(api, `/invoices/${next.id}`)).invoiceAmount).toBe('48.71');
    });

    it('refuses an approved invoice with 409 and an unknown one with 404', async () => {
      const { api, id: accountId, feature } = await setup();
      const t = await charge(api, feature.id, { transactionValue: '10.00' });
      await approve(api, t.invoiceID);
      const before = await dbInvoices(h, accountId);
      expectError(await api.delete(`/invoices/${t.invoiceID}`), 409, 409001, /approved/);
      expect(await dbInvoices(h, accountId)).toEqual(before);
      expect((await get(api, `/transactions/${t.id}`)).invoiceID).toBe(t.invoiceID);
      expectError(await api.delete('/invoices/999999'), 404, 404001);
    });
  });

  describe('actions', () => {
    it('dispatch: a missing action is 400503, an unknown one 400501', async () => {
      const { api, id: accountId, feature } = await setup();
      const t = await charge(api, feature.id, { transactionValue: '10.00' });
      const missing = await api.post(`/invoices/${t.invoiceID}`);
      expectError(missing, 400, 400503, /action/);
      expect(missing.body.error).toBe('Missing Parameters');
      expectError(await api.post(`/invoices/${t.invoiceID}?action=`), 400, 400503);
      const unknown = await api.post(`/invoices/${t.invoiceID}?action=fly`);
      expectError(unknown, 400, 400501, /fly/);
      expect(unknown.body.error).toBe('Invalid Action');
      expectError(await api.post(`/invoices/${t.invoiceID}?action=constructor`), 400, 400501);
      expect((await dbInvoice(h, accountId, Number(t.invoiceID)))!.approved_at).toBeNull();
      expectError(await api.post('/invoices/999999?action=approve'), 404, 404001);
    });

    it('approve numbers invoices gaplessly, dates them in the account timezone and sets the due date from the payment terms', async () => {
      // 23:30 UTC on 30 Nov is 1 Dec in Berlin.
      const now = '2026-11-30T23:30:00.000Z';
      const { api, id: accountId, withLevel } = await setup({ timezone: 'Europe/Berlin', now });
      expect(
        (await api.patch('/account', { invoicePrefix: 'RB-', invoiceNextNumber: 100, paymentTermsDays: 21 }))
          .status,
      ).toBe(200);
      const a = await makeCustomer(api, {
        name: 'Alpha Ltd',
        paymentTermsDays: 14,
        paymentMethod: 'Direct Debit',
      });
      const b = await makeCustomer(api, { name: 'Beta Ltd' });
      const ta = await charge(api, (await makeFeature(api, a.id)).id, {
        transactionValue: '10.00',
        transactionDate: '2026-11-20',
      });
      const tb = await charge(api, (await makeFeature(api, b.id)).id, {
        transactionValue: '20.00',
        transactionDate: '2026-11-20',
      });
      const unsentA = await get(api, `/invoices/${ta.invoiceID}`);

      const reader = await withLevel(3);
      expectError(await reader.post(`/invoices/${ta.invoiceID}?action=approve`), 403, 403001);

      const res = await api.post(`/invoices/${ta.invoiceID}?action=approve`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ...unsentA,
        invoiceNumber: 'RB-100',
        invoiceDate: '2026-12-01', // today in Berlin
        dueDate: '2026-12-15', // + the customer's 14 days
        paymentMethod: 'Direct Debit', // the customer's
        status: ['approved'],
        updated: now,
      });
      expect(await get(api, `/invoices/${ta.invoiceID}`)).toEqual(res.body);
      const stored = (await dbInvoice(h, accountId, Number(ta.invoiceID)))!;
      expect([stored.invoice_number, stored.approved_at?.toISOString()]).toEqual(['RB-100', now]);

      // Approving twice is a conflict and uses no number.
      expectError(
        await api.post(`/invoices/${ta.invoiceID}?action=approve`),
        409,
        409001,
        /already approved/,
      );
      expectError(
        await api.post(`/invoices/${tb.invoiceID}?action=approve`, { invoiceDate: '2026-11-31' }),
        400,
        400001,
        /invoiceDate/,
      );
      expectError(
        await api.post(`/invoices/${tb.invoiceID}?action=approve`, {
          invoiceDate: '2026-11-15',
          colour: 'red',
        }),
        400,
        400001,
        /colour/,
      );
      const approvedB = await approve(api, tb.invoiceID, { invoiceDate: '2026-11-15' });
      expect([
        approvedB.invoiceNumber,
        approvedB.invoiceDate,
        approvedB.dueDate,
        approvedB.paymentMethod,
      ]).toEqual(['RB-101', '2026-11-15', '2026-12-06', null]); // + the account's 21 days

      const tc = await charge(api, (await makeFeature(api, b.id, { name: 'Second line' })).id, {
        transactionValue: '5.00',
      });
      expect((await approve(api, tc.invoiceID)).invoiceNumber).toBe('RB-102');
      expect((await get(api, '/account')).invoiceNextNumber).toBe(103);
      expect((await get(api, '/invoices')).map((i: any) => i.invoiceNumber)).toEqual([
        'RB-100',
        'RB-101',
        'RB-102',
      ]);
    });

    it('approves an invoice once when approvals race, and no charge slips onto it while it is approved', async () => {
      const { api, id: accountId, feature } = await setup();
      const t = await charge(api, feature.id, { transactionValue: '10.00' });
      // Charges posted to the invoice and to the feature while three approvals go at once.
      const results = await Promise.all([
        ...Array.from({ length: 5 }, () =>
          api.post(`/invoices/${t.invoiceID}/transactions`, { transactionValue: '1.00' }),
        ),
        api.post(`/invoices/${t.invoiceID}?action=approve`),
        ...Array.from({ length: 5 }, () =>
          api.post(`/features/${feature.id}/transactions`, { transactionValue: '2.00' }),
        ),
        api.post(`/invoices/${t.invoiceID}?action=approve`),
        api.post(`/invoices/${t.invoiceID}?action=approve`),
      ]);
      const approvals = [results[5]!, results[11]!, results[12]!];
      expect(approvals.map((r) => r.status).sort()).toEqual([200, 409, 409]);
      const approved = approvals.find((r) => r.status === 200)!.body;
      expect(approved.invoiceNumber).toBe('1');
      expect((await get(api, '/account')).invoiceNextNumber).toBe(2);
      // Posted to the invoice: on it (201) before the approval, refused (409) after.
      for (const r of results.slice(0, 5)) expect([201, 409]).toContain(r.status);
      // Posted to the feature: on the approved invoice if before, else on a new unsent one.
      const feature201 = results.slice(6, 11);
      expect(feature201.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      // The raised invoice's totals are exactly its rows, as they were when it was approved.
      const stored = await get(api, `/invoices/${t.invoiceID}`);
      expect(stored).toEqual(approved);
      await expectInvoiceMatchesDatabase(h, accountId, stored);
      const onIt = (await dbTransactions(h, accountId)).filter(
        (r) => r.invoice_id === Number(t.invoiceID),
      ).length;
      const before =
        results.slice(0, 5).filter((r) => r.status === 201).length +
        feature201.filter((r) => r.body.invoiceID === t.invoiceID).length;
      expect(onIt).toBe(1 + before);
      const unsent = await get(api, '/invoices?unsent');
      expect(unsent.length).toBe(feature201.some((r) => r.body.invoiceID !== t.invoiceID) ? 1 : 0);
      for (const invoice of unsent) await expectInvoiceMatchesDatabase(h, accountId, invoice);
    });
  });

  describe('totals', () => {
    /**
     * One charge of every type, at four VAT rates:
     *   20%:   oneOff 10.05, recurring 0.02, calls 12.34 + 1.00, refund -1.00, manualBilling 3.00, lowUsage 4.00,
     *          discount -0.50                                      net 28.91, VAT 5.782  -> 5.78
     *   0%:    lateFee 2.50                                        net  2.50, VAT 0      -> 0.00
     *   5%:    interest 0.10 + 0.10, carrierProvided 0.30          net  0.50, VAT 0.025  -> 0.03 (half-up; per
     *          line it would be 0.01 + 0.01 + 0.02 = 0.04, and half-even 0.02)
     *   17.5%: manual 1.11                                         net  1.11, VAT 0.19425 -> 0.19
     * Net 33.02, VAT 6.00, total 39.02. Calls 13.34 (12 calls, 58 minutes), non-call 19.68.
     */
    async function everyType(api: Api, featureId: string) {
      const lines: Record<string, unknown>[] = [
        { transactionType: 'oneOff', transactionValue: '10.05' },
        { transactionType: 'recurring', transactionValue: '0.02' },
        {
          transactionType: 'calls',
          transactionValue: '12.34',
          transactionCallCount: 10,
          transactionCallMinutes: 55,
        },
        {
          transactionType: 'calls',
          transactionValue: '1.00',
          transactionCallCount: 2,
          transactionCallMinutes: 3,
        },
        { transactionType: 'refund', transactionValue: '1.00' },
        { transactionType: 'manualBilling', transactionValue: '3.00' },
        { transactionType: 'lowUsage', transactionValue: '4.00' },
        { transactionType: 'discount', transactionValue: '0.50' },
        { transactionType: 'lateFee', transactionValue: '2.50', transactionVATRate: '0' },
        { transactionType: 'interest', transactionValue: '0.10', transactionVATRate: '5' },
        { transactionType: 'interest', transactionValue: '0.10', transactionVATRate: '5' },
        { transactionType: 'carrierProvided', transactionValue: '0.30', transactionVATRate: '5' },
        { transactionType: 'manual', transactionValue: '1.11', transactionVATRate: '17.5' },
      ];
      let invoiceId = '';
      for (const line of lines)
        invoiceId = (await charge(api, featureId, { transactionDate: '2026-10-20', ...line })).invoiceID;
      return invoiceId;
    }

    const categories = {
      invoiceChargesOneOff: '10.05',
      invoiceChargesRecurring: '0.02',
      invoiceChargesCalls: '13.34',
      invoiceChargesRefunds: '-1.00',
      invoiceChargesLate: '2.50',
      invoiceChargesInterest: '0.20',
      invoiceChargesCarrierProvided: '0.30',
      invoiceChargesManualBilling: '3.00',
      invoiceChargesLowUsage: '4.00',
      invoiceChargesManual: '1.11',
      invoiceChargesDiscount: '-0.50',
      invoiceChargesNonCall: '19.68',
    };
    const vatBreakdown = [
      { rate: '0', net: '2.50', vat: '0.00' },
      { rate: '5', net: '0.50', vat: '0.03' },
      { rate: '17.5', net: '1.11', vat: '0.19' },
      { rate: '20', net: '28.91', vat: '5.78' },
    ];

    it('puts each type in its category and computes VAT per rate group, rounded half-up', async () => {
      const { api, id: accountId, customer, feature } = await setup();
      const invoiceId = await everyType(api, feature.id);
      const invoice = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      expect(invoice.id).toBe(invoiceId);
      expect(invoice).toEqual(
        invoiceBody({
          id: invoiceId,
          customerID: customer.id,
          cutoffDate: '2026-11-01',
          ...categories,
          invoiceAmount: '33.02',
          invoiceVAT: '6.00',
          invoiceReverseVAT: '0.00',
          total: '39.02',
          outstanding: '39.02',
          invoiceCallCount: 12,
          invoiceCallMinutes: 58,
          vatBreakdown,
          created: '2026-11-10T12:00:00.000Z',
          updated: '2026-11-10T12:00:00.000Z',
        }),
      );
      expectInvoiceAddsUp(invoice);
      await expectInvoiceMatchesDatabase(h, accountId, invoice);

      // Completion moves charges on and off and adjusts the stored totals by what moved. A 1.00 manual charge
      // at 17.5% dated 5 Nov waits; completed for 1 Dec it comes on: the 17.5% group is 2.11, VAT 0.36925 ->
      // 0.37; VAT 5.78 + 0.00 + 0.03 + 0.37 = 6.18, net 34.02, total 40.20. Completed for 1 Nov again, it comes
      // off and every total is as before.
      const late = await charge(api, feature.id, {
        transactionType: 'manual',
        transactionValue: '1.00',
        transactionVATRate: '17.5',
        transactionDate: '2026-11-05',
      });
      expect(late.invoiceID).toBeNull();
      const withLate = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-12-01' });
      expect([
        withLate.invoiceAmount,
        withLate.invoiceVAT,
        withLate.total,
        withLate.invoiceChargesManual,
      ]).toEqual(['34.02', '6.18', '40.20', '2.11']);
      expect(withLate.vatBreakdown).toEqual([
        ...vatBreakdown.slice(0, 2),
        { rate: '17.5', net: '2.11', vat: '0.37' },
        vatBreakdown[3],
      ]);
      expectInvoiceAddsUp(withLate);
      await expectInvoiceMatchesDatabase(h, accountId, withLate);
      const back = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      expect(back).toEqual(invoice);
      // Both the 17.5% charge and the 0% late fee (now billed 2 Nov) come off in one completion; the 0% VAT line
      // goes with its net: net 33.02 - 2.50 = 30.52.
      await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-12-01' });
      const lateFee = (await dbTransactions(h, accountId)).find((t) => t.transaction_type === 'lateFee')!;
      expect(
        (await api.patch(`/transactions/${lateFee.id}`, { transactionBillDate: '2026-11-02' })).body
          .invoiceID,
      ).toBe(invoiceId); // before 1 Dec: stays
      const withoutFee = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      expect([
        withoutFee.invoiceAmount,
        withoutFee.invoiceChargesLate,
        withoutFee.invoiceVAT,
        withoutFee.vatBreakdown.map((l: any) => l.rate),
      ]).toEqual(['30.52', '0.00', '6.00', ['5', '17.5', '20']]);
      expectInvoiceAddsUp(withoutFee);
      await expectInvoiceMatchesDatabase(h, accountId, withoutFee);
      expect(
        (await api.patch(`/transactions/${lateFee.id}`, { transactionBillDate: '2026-10-20' })).body
          .invoiceID,
      ).toBe(invoiceId);
      expect(await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' })).toEqual(
        invoice,
      );

      // Approved, and then paid in part and in full (payments belong to a later issue: set in the database).
      const approved = await approve(api, invoiceId);
      await h.ctx.db
        .updateTable('invoices')
        .set({ paid_amount: '10.00' })
        .where('account_id', '=', accountId)
        .where('id', '=', Number(invoiceId))
        .execute();
      const part = await get(api, `/invoices/${invoiceId}`);
      expect([part.paidAmount, part.outstanding, part.status]).toEqual(['10.00', '29.02', ['approved']]);
      expectInvoiceAddsUp(part);
      await h.ctx.db
        .updateTable('invoices')
        .set({ paid_amount: '39.02' })
        .where('account_id', '=', accountId)
        .where('id', '=', Number(invoiceId))
        .execute();
      const paid = await get(api, `/invoices/${invoiceId}`);
      expect(paid).toEqual({
        ...approved,
        paidAmount: '39.02',
        outstanding: '0.00',
        status: ['approved', 'paid'],
      });
    });

    it('a reverse-charge customer pays no VAT; the VAT due is reported as invoiceReverseVAT', async () => {
      const { api, id: accountId } = await setup();
      const customer = await makeCustomer(api, { name: 'Reverse Charge GmbH', reverseCharge: true });
      const feature = await makeFeature(api, customer.id);
      const invoiceId = await everyType(api, feature.id);
      const invoice = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      expect(invoice).toEqual(
        invoiceBody({
          id: invoiceId,
          customerID: customer.id,
          cutoffDate: '2026-11-01',
          ...categories,
          invoiceAmount: '33.02',
          invoiceVAT: '0.00',
          invoiceReverseVAT: '6.00',
          total: '33.02',
          outstanding: '33.02',
          invoiceCallCount: 12,
          invoiceCallMinutes: 58,
          vatBreakdown,
          created: '2026-11-10T12:00:00.000Z',
          updated: '2026-11-10T12:00:00.000Z',
        }),
      );
      expectInvoiceAddsUp(invoice);
      await expectInvoiceMatchesDatabase(h, accountId, invoice);
      expect(m2((await dbInvoice(h, accountId, Number(invoiceId)))!.invoice_reverse_vat)).toBe('6.00');
    });

    it("keeps an approved invoice's totals frozen", async () => {
      const { api, id: accountId, customer, feature } = await setup();
      const t = await charge(api, feature.id, { transactionValue: '10.00' });
      const approved = await approve(api, t.invoiceID);
      // Changing the customer to reverse charge afterwards does not change the raised bill.
      expect((await api.patch(`/customers/${customer.id}`, { reverseCharge: true })).status).toBe(200);
      await charge(api, feature.id, { transactionValue: '1.00' }); // a new unsent invoice, recalculated
      expect(await get(api, `/invoices/${t.invoiceID}`)).toEqual(approved);
      expect(m2((await dbInvoice(h, accountId, Number(t.invoiceID)))!.invoice_vat)).toBe('2.00');
    });
  });

  describe('another account', () => {
    it("gets 404 for this account's invoices and customers on every path and action, and changes nothing", async () => {
      const { api, id: accountId, customer, feature } = await setup();
      const raised = await approve(
        api,
        (await charge(api, feature.id, { transactionValue: '10.00' })).invoiceID,
      );
      const unsent = (await charge(api, feature.id, { transactionValue: '2.00' })).invoiceID;
      const run = await post(api, '/billingRuns', { cutoffDate: '2026-12-01' });
      const invoicesBefore = await dbInvoices(h, accountId);
      const rowsBefore = await dbTransactions(h, accountId);

      const o = (await h.account()).api;
      const checks: [string, Promise<{ status: number; body: any }>][] = [
        ['GET invoice', o.get(`/invoices/${raised.id}`)],
        ['GET unsent invoice', o.get(`/invoices/${unsent}`)],
        ['PATCH', o.patch(`/invoices/${unsent}`, { billStyle: 'Full' })],
        ['PATCH raised', o.patch(`/invoices/${raised.id}`, { paymentMethod: 'Card' })],
        ['DELETE', o.delete(`/invoices/${unsent}`)],
        ['approve', o.post(`/invoices/${unsent}?action=approve`)],
        ['unknown action', o.post(`/invoices/${unsent}?action=fly`)],
        ['no action', o.post(`/invoices/${unsent}`)],
        ['transactions', o.get(`/invoices/${raised.id}/transactions`)],
        ['add transaction', o.post(`/invoices/${unsent}/transactions`, { transactionValue: '1.00' })],
        ["customer's invoices", o.get(`/customers/${customer.id}/invoices`)],
        ['create invoice', o.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' })],
        ['billing run', o.get(`/billingRuns/${run.id}`)],
      ];
      for (const [what, pending] of checks) {
        const res = await pending;
        expect({ what, status: res.status, code: res.body?.error_code }).toEqual({
          what,
          status: 404,
          code: 404001,
        });
      }
      for (const path of [
        '/invoices?includeUnsent',
        `/invoices?invoiceNumber=${raised.invoiceNumber}`,
        `/invoices?includeUnsent&billingRun=${run.id}`,
        '/billingRuns',
      ]) {
        expect({ path, body: (await o.get(path)).body }).toEqual({ path, body: [] });
      }
      expect(await dbInvoices(h, accountId)).toEqual(invoicesBefore);
      expect(await dbTransactions(h, accountId)).toEqual(rowsBefore);
    });
  });
});
