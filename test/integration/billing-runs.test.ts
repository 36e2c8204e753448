// Billing runs through HTTP: an unsent invoice for every customer with anything to bill, recurring charges in
// advance and in arrears, pro rata, quarterly and annual; running twice, or at once, bills nothing twice.
import { describe, expect, it } from 'vitest';
import { type Api, makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';
import {
  approve,
  dbInvoices,
  dbTransactions,
  expectError,
  expectInvoiceAddsUp,
  expectInvoiceMatchesDatabase,
  getAll,
  post,
} from '../helpers/billing.ts';

const RUN_TIME = '2026-11-02T09:00:00.000Z';

describe('billing runs', () => {
  const h = useHarness();

  async function get(api: Api, path: string): Promise<any> {
    const res = await api.get(path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
    return res.body;
  }

  /** The recurring charges on an invoice as [description, start, end, bill date, value]. */
  async function recurringLines(api: Api, invoiceId: string) {
    const rows = await get(api, `/invoices/${invoiceId}/transactions?includeUnsent`);
    return rows
      .filter((t: any) => t.transactionType === 'recurring')
      .map((t: any) => [
        t.transactionDescription,
        t.transactionStartDate,
        t.transactionEndDate,
        t.transactionBillDate,
        t.transactionValue,
      ]);
  }

  /**
   * One customer per case, billed at cut-off 1 Nov 2026 (VAT 20%):
   *   oneOff      15.00 one-off on 20 Oct                                          net 15.00
   *               (and 7.00 dated 20 Nov, after the cut-off: it waits for December's run)
   *   advance     25.00 monthly in advance from 15 Oct: 15-31 Oct 25 x 17/31 = 13.709.. -> 13.71, Nov 25.00
   *                                                                                net 38.71
   *   arrears     30.00 monthly in arrears from 10 Oct: 10-31 Oct 30 x 22/31 = 21.290.. -> 21.29
   *   quarterly   90.00 quarterly in advance from 15 Aug: 15 Aug-30 Sep of Q3 (92 days) 90 x 47/92 = 45.978.. -> 45.98,
   *               Q4 (the quarter holding the cut-off) 90.00                        net 135.98
   *   quarterlyArrears 60.00 quarterly in arrears from 1 Jul: Q3 60.00 (Q4 has not ended)
   *   annual      120.00 annually in advance from 1 Nov: 1 Nov-31 Dec of 2026 (365 days) 120 x 61/365 = 20.054.. -> 20.05
   *   nothing     no features, no charges: no invoice
   *   notYet      50.00 monthly in arrears from 1 Nov: no period has ended: no invoice
   */
  async function customers() {
    h.setNow(new Date('2026-10-20T10:00:00.000Z'));
    const account = await h.account();
    const { api } = account;
    const c = async (name: string, feature?: Record<string, unknown>) => {
      const customer = await makeCustomer(api, { name });
      const f = feature
        ? await makeFeature(api, customer.id, { name: 'Line rental', ...feature })
        : undefined;
      return { customer, feature: f };
    };
    const oneOff = await c('One-off Ltd', {});
    const charge = await post(api, `/features/${oneOff.feature!.id}/transactions`, {
      transactionValue: '15.00',
    });
    const later = await post(api, `/features/${oneOff.feature!.id}/transactions`, {
      transactionValue: '7.00',
      transactionDate: '2026-11-20',
    });
    const advance = await c('Advance Ltd', {
      recurringValue: '25.00',
      billing: 'advance',
      startDate: '2026-10-15',
    });
    const arrears = await c('Arrears Ltd', {
      recurringValue: '30.00',
      billing: 'arrears',
      startDate: '2026-10-10',
    });
    const quarterly = await c('Quarterly Ltd', {
      recurringValue: '90.00',
      recurringFrequency: 'quarterly',
      billing: 'advance',
      startDate: '2026-08-15',
    });
    const quarterlyArrears = await c('Quarterly Arrears Ltd', {
      recurringValue: '60.00',
      recurringFrequency: 'quarterly',
      billing: 'arrears',
      startDate: '2026-07-01',
    });
    const annual = await c('Annual Ltd', {
      recurringValue: '120.00',
      recurringFrequency: 'annually',
      startDate: '2026-11-01',
    });
    const nothing = await c('Nothing Ltd');
    const notYet = await c('Not Yet Ltd', {
      recurringValue: '50.00',
      billing: 'arrears',
      startDate: '2026-11-01',
    });
    h.setNow(new Date(RUN_TIME));
    return {
      ...account,
      charge,
      later,
      oneOff,
      advance,
      arrears,
      quarterly,
      quarterlyArrears,
      annual,
      nothing,
      notYet,
    };
  }

  const expected = (s: Awaited<ReturnType<typeof customers>>) => [
    { customer: s.oneOff.customer.id, net: '15.00', vat: '3.00', total: '18.00', recurring: [] as unknown[] },
    {
      customer: s.advance.customer.id,
      net: '38.71',
      vat: '7.74', // 7.742
      total: '46.45',
      recurring: [
        [
          'Line rental monthly 2026-10-15 to 2026-10-31 (pro rata)',
          '2026-10-15',
          '2026-10-31',
          '2026-10-15',
          '13.71',
        ],
        ['Line rental monthly 2026-11-01 to 2026-11-30', '2026-11-01', '2026-11-30', '2026-11-01', '25.00'],
      ],
    },
    {
      customer: s.arrears.customer.id,
      net: '21.29',
      vat: '4.26', // 4.258
      total: '25.55',
      recurring: [
        [
          'Line rental monthly 2026-10-10 to 2026-10-31 (pro rata)',
          '2026-10-10',
          '2026-10-31',
          '2026-10-31',
          '21.29',
        ],
      ], // billed on the last day (arrears)
    },
    {
      customer: s.quarterly.customer.id,
      net: '135.98',
      vat: '27.20', // 27.196
      total: '163.18',
      recurring: [
        [
          'Line rental quarterly 2026-08-15 to 2026-09-30 (pro rata)',
          '2026-08-15',
          '2026-09-30',
          '2026-08-15',
          '45.98',
        ],
        ['Line rental quarterly 2026-10-01 to 2026-12-31', '2026-10-01', '2026-12-31', '2026-10-01', '90.00'],
      ],
    },
    {
      customer: s.quarterlyArrears.customer.id,
      net: '60.00',
      vat: '12.00',
      total: '72.00',
      recurring: [
        ['Line rental quarterly 2026-07-01 to 2026-09-30', '2026-07-01', '2026-09-30', '2026-09-30', '60.00'],
      ],
    },
    {
      customer: s.annual.customer.id,
      net: '20.05',
      vat: '4.01',
      total: '24.06',
      recurring: [
        [
          'Line rental annually 2026-11-01 to 2026-12-31 (pro rata)',
          '2026-11-01',
          '2026-12-31',
          '2026-11-01',
          '20.05',
        ],
      ],
    },
  ];

  async function billed(api: Api, runId: string) {
    const invoices = await getAll(api, `/invoices?unsent&billingRun=${runId}&limit=2`);
    return Promise.all(
      invoices.map(async (i: any) => ({
        customer: i.customerID,
        net: i.invoiceAmount,
        vat: i.invoiceVAT,
        total: i.total,
        recurring: await recurringLines(api, i.id),
      })),
    );
  }

  it('makes an unsent invoice for every customer with anything to bill, with recurring charges in advance, in arrears and pro rata', async () => {
    const s = await customers();
    const { api, id: accountId } = s;
    const res = await api.post('/billingRuns', { cutoffDate: '2026-11-01' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      cutoffDate: '2026-11-01',
      status: 'completed',
      customersBilled: 6,
      invoicesCompleted: 6,
      invoicesCreated: 5, // the one-off customer's invoice already existed (made by its charge)
      error: null,
      started: RUN_TIME,
      finished: RUN_TIME,
    });
    expect(await billed(api, res.body.id)).toEqual(expected(s));

    // Every invoice adds up, matches its rows, and carries the run and the cut-off.
    for (const invoice of await get(api, '/invoices?unsent')) {
      expectInvoiceAddsUp(invoice);
      await expectInvoiceMatchesDatabase(h, accountId, invoice);
      expect([invoice.billingRun, invoice.cutoffDate, invoice.status]).toEqual([
        res.body.id,
        '2026-11-01',
        ['unsent'],
      ]);
    }
    // Nobody else got an invoice.
    const invoiced = new Set((await dbInvoices(h, accountId)).map((i) => String(i.customer_id)));
    expect(invoiced.has(s.nothing.customer.id) || invoiced.has(s.notYet.customer.id)).toBe(false);
    expect(invoiced.size).toBe(6);

    // A generated charge in full, and the features' billedUntil.
    const [first] = await get(api, `/features/${s.advance.feature!.id}/transactions?unsent`);
    expect(first).toEqual({
      id: expect.any(String),
      customerID: s.advance.customer.id,
      featureID: s.advance.feature!.id,
      invoiceID: expect.any(String),
      transactionType: 'recurring',
      transactionValue: '13.71',
      transactionVATRate: '20',
      transactionRefundedID: null,
      transactionDescription: 'Line rental monthly 2026-10-15 to 2026-10-31 (pro rata)',
      transactionNotes: null,
      site: null,
      campaign: null,
      transactionCode: null,
      transactionCarrier: null,
      transactionSource: 'recurring',
      transactionCommissionProfile: null,
      commissionHolder: null,
      commissionHolderID2: null,
      transactionCommissionProfileCommissionType: null,
      transactionValueCarrier: null,
      transactionValueCDR: null,
      transactionValueCommission: null,
      transactionValueCommissionTargetContribution: null,
      transactionValueCommissionTargetContributionOneOff: null,
      transactionValueCommissionTargetContributionRecurring: null,
      transactionValueCommissionTargetContributionCalls: null,
      transactionValueCommission2: null,
      transactionValueCommissionTargetContribution2: null,
      transactionValueCommissionTargetContributionOneOff2: null,
      transactionValueCommissionTargetContributionRecurring2: null,
      transactionValueCommissionTargetContributionCalls2: null,
      transactionCommissionProfileCommissionValue: null,
      transactionDate: '2026-10-15',
      transactionBillDate: '2026-10-15',
      transactionStartDate: '2026-10-15',
      transactionEndDate: '2026-10-31',
      featureCount: 1,
      transactionCallCount: null,
      transactionCallMinutes: null,
      created: RUN_TIME,
      updated: RUN_TIME,
    });
    const billedUntil = async (f: any) => (await get(api, `/features/${f.id}`)).billedUntil;
    expect(
      await Promise.all(
        [s.advance, s.arrears, s.quarterly, s.quarterlyArrears, s.annual, s.notYet].map((c) =>
          billedUntil(c.feature),
        ),
      ),
    ).toEqual(['2026-12-01', '2026-11-01', '2027-01-01', '2026-10-01', '2027-01-01', null]);
    // The 20 Nov charge came off the one-off customer's invoice and waits.
    expect((await get(api, `/transactions/${s.later.id}`)).invoiceID).toBeNull();
    const generated = (await dbTransactions(h, accountId)).filter((t) => t.origin === 'recurring');
    expect(generated.length).toBe(7);
  });

  it('reports the invoices it completed apart from those it made, in the answer and the OpenAPI document', async () => {
    h.setNow(new Date('2026-10-20T10:00:00.000Z'));
    const { api } = await h.account();
    // One customer's charge made its unsent invoice already; the other has only a line to bill.
    const charged = await makeCustomer(api, { name: 'Charged Ltd' });
    const chargedLine = await makeFeature(api, charged.id);
    await post(api, `/features/${chargedLine.id}/transactions`, { transactionValue: '15.00' });
    const rental = await makeCustomer(api, { name: 'Rental Ltd' });
    await makeFeature(api, rental.id, { recurringValue: '25.00', startDate: '2026-11-01' });
    h.setNow(new Date(RUN_TIME));
    const run = await post(api, '/billingRuns', { cutoffDate: '2026-11-01' });
    expect([run.customersBilled, run.invoicesCompleted, run.invoicesCreated]).toEqual([2, 2, 1]);
    // Run again: both invoices completed again, none made.
    const again = await post(api, '/billingRuns', { cutoffDate: '2026-11-01' });
    expect([again.customersBilled, again.invoicesCompleted, again.invoicesCreated]).toEqual([2, 2, 0]);

    const doc = await (await fetch(`${h.url}/openapi.json`)).json();
    const schema = doc.components.schemas.BillingRun;
    expect(schema.required).toEqual(
      expect.arrayContaining(['customersBilled', 'invoicesCompleted', 'invoicesCreated', 'status']),
    );
    expect(schema.properties.invoicesCompleted.description).toMatch(
      /made \(invoicesCreated\) and the customers' existing unsent invoices/,
    );
    expect(schema.properties.status.enum).toEqual(['running', 'completed', 'failed', 'interrupted']);
    expect(doc.paths['/backend/api/v1/billingRuns/{id}/resume'].post.responses).toHaveProperty('200');
  });

  it('does not count or mark as its own an unsent invoice with nothing due at the cut-off', async () => {
    h.setNow(new Date('2026-11-10T10:00:00.000Z'));
    const { api, id: accountId } = await h.account();
    const customer = await makeCustomer(api);
    const feature = await makeFeature(api, customer.id);
    // Posting the 5 Nov charge made the customer's unsent invoice; at cut-off 1 Nov it has nothing to bill.
    const later = await post(api, `/features/${feature.id}/transactions`, {
      transactionValue: '5.00',
      transactionDate: '2026-11-05',
    });
    const run = await post(api, '/billingRuns', { cutoffDate: '2026-11-01' });
    expect([run.customersBilled, run.invoicesCreated]).toEqual([0, 0]);
    expect(await get(api, `/invoices?unsent&billingRun=${run.id}`)).toEqual([]);
    // The invoice is still completed for the cut-off: the charge waits.
    const invoice = await get(api, `/invoices/${later.invoiceID}`);
    expect([invoice.cutoffDate, invoice.billingRun, invoice.invoiceAmount]).toEqual([
      '2026-11-01',
      null,
      '0.00',
    ]);
    expect((await get(api, `/transactions/${later.id}`)).invoiceID).toBeNull();
    // The next month's run bills it, on the same invoice.
    const december = await post(api, '/billingRuns', { cutoffDate: '2026-12-01' });
    expect([december.customersBilled, december.invoicesCreated]).toEqual([1, 0]);
    expect(
      (await get(api, `/invoices?unsent&billingRun=${december.id}`)).map((i: any) => [i.id, i.invoiceAmount]),
    ).toEqual([[later.invoiceID, '5.00']]);
    expect((await dbInvoices(h, accountId)).length).toBe(1);
  });

  it('gives features on the same terms the same charges, each under its own name, VAT rate and invoice', async () => {
    h.setNow(new Date('2026-10-20T10:00:00.000Z'));
    const { api } = await h.account();
    const plan = { recurringValue: '25.00', billing: 'advance', startDate: '2026-10-15' };
    const two = await makeCustomer(api, { name: 'Two Lines Ltd' });
    const first = await makeFeature(api, two.id, { ...plan, name: 'Line 1' });
    const second = await makeFeature(api, two.id, { ...plan, name: 'Line 2', vatRate: '0' });
    const one = await makeCustomer(api, { name: 'One Line Ltd' });
    const same = await makeFeature(api, one.id, { ...plan, name: 'Main line' });
    // The same price in arrears, and in advance from another day: other terms.
    const arrears = await makeFeature(api, one.id, { ...plan, name: 'Backup', billing: 'arrears' });
    const later = await makeCustomer(api, { name: 'Later Ltd' });
    const other = await makeFeature(api, later.id, { ...plan, name: 'Main line', startDate: '2026-10-20' });
    h.setNow(new Date(RUN_TIME));
    const run = await post(api, '/billingRuns', { cutoffDate: '2026-11-01' });
    expect([run.customersBilled, run.invoicesCreated]).toEqual([3, 3]);

    const charges = (await getAll(api, '/transactions?includeUnsent')).filter(
      (t: any) => t.transactionType === 'recurring',
    );
    const lines = (feature: any) =>
      charges
        .filter((t: any) => t.featureID === feature.id)
        .map((t: any) => [
          t.transactionDescription,
          t.transactionBillDate,
          t.transactionValue,
          t.transactionVATRate,
        ]);
    const october = (name: string, rate: string, from = '15', value = '13.71') => [
      `${name} monthly 2026-10-${from} to 2026-10-31 (pro rata)`,
      `2026-10-${from}`,
      value,
      rate,
    ];
    const november = (name: string, rate: string) => [
      `${name} monthly 2026-11-01 to 2026-11-30`,
      '2026-11-01',
      '25.00',
      rate,
    ];
    expect(lines(first)).toEqual([october('Line 1', '20'), november('Line 1', '20')]);
    expect(lines(second)).toEqual([october('Line 2', '0'), november('Line 2', '0')]);
    expect(lines(same)).toEqual([october('Main line', '20'), november('Main line', '20')]);
    // 25 x 17/31 in arrears, billed on its last day; 25 x 12/31 from the 20th.
    expect(lines(arrears)).toEqual([
      ['Backup monthly 2026-10-15 to 2026-10-31 (pro rata)', '2026-10-31', '13.71', '20'],
    ]);
    expect(lines(other)).toEqual([october('Main line', '20', '20', '9.68'), november('Main line', '20')]);

    // Each customer's charges on its own invoice, which adds up: 2 x 38.71 of which half at 0%.
    const invoices = await get(api, `/invoices?unsent&billingRun=${run.id}`);
    const byCustomer = new Map(invoices.map((i: any) => [i.customerID, i]));
    for (const t of charges) expect((byCustomer.get(t.customerID) as any).id).toBe(t.invoiceID);
    for (const invoice of invoices) expectInvoiceAddsUp(invoice);
    expect(
      [two, one, later].map((c) => {
        const i = byCustomer.get(c.id) as any;
        return [i.invoiceAmount, i.invoiceVAT, i.vatBreakdown.map((l: any) => [l.rate, l.net])];
      }),
    ).toEqual([
      [
        '77.42',
        '7.74',
        [
          ['0', '38.71'],
          ['20', '38.71'],
        ],
      ],
      ['52.42', '10.48', [['20', '52.42']]],
      ['34.68', '6.94', [['20', '34.68']]],
    ]);
  });

  it('bills nothing twice when run again for the same cut-off', async () => {
    const s = await customers();
    const { api, id: accountId } = s;
    const first = await post(api, '/billingRuns', { cutoffDate: '2026-11-01' });
    const rowsAfterFirst = await dbTransactions(h, accountId);
    const invoicesAfterFirst = await get(api, '/invoices?unsent');
    const second = await post(api, '/billingRuns', { cutoffDate: '2026-11-01' });
    // It completed the six invoices the first run made, and made none.
    expect([second.status, second.customersBilled, second.invoicesCompleted, second.invoicesCreated]).toEqual(
      ['completed', 6, 6, 0],
    );
    expect(second.id).not.toBe(first.id);
    expect(await billed(api, second.id)).toEqual(expected(s));
    // Same rows (ids, values, invoices), same totals; the invoices now name the latest run.
    const rowsAfterSecond = await dbTransactions(h, accountId);
    expect(rowsAfterSecond.map((t) => [t.id, t.invoice_id, t.value])).toEqual(
      rowsAfterFirst.map((t) => [t.id, t.invoice_id, t.value]),
    );
    const invoicesAfterSecond = await get(api, '/invoices?unsent');
    expect(invoicesAfterSecond.map((i: any) => [i.id, i.total, i.billingRun])).toEqual(
      invoicesAfterFirst.map((i: any) => [i.id, i.total, second.id]),
    );
  });

  it('bills nothing twice when runs go at once', async () => {
    // Thirty customers with 10.00 monthly in advance from 1 Oct (October and November due at cut-off 1 Nov:
    // 20.00 each) and, for every third one, a one-off 5.00 already on an unsent invoice.
    h.setNow(new Date('2026-10-20T10:00:00.000Z'));
    const { api, id: accountId } = await h.account();
    const CUSTOMERS = 30;
    for (let i = 0; i < CUSTOMERS; i++) {
      const customer = await makeCustomer(api, { name: `Customer ${i}` });
      const feature = await makeFeature(api, customer.id, {
        recurringValue: '10.00',
        startDate: '2026-10-01',
      });
      if (i % 3 === 0) await post(api, `/features/${feature.id}/transactions`, { transactionValue: '5.00' });
    }
    h.setNow(new Date(RUN_TIME));
    const runs = await Promise.all(
      [0, 1, 2].map(() => api.post('/billingRuns', { cutoffDate: '2026-11-01' })),
    );
    expect(runs.map((r) => [r.status, r.body.status])).toEqual([
      [201, 'completed'],
      [201, 'completed'],
      [201, 'completed'],
    ]);
    // Each invoice was made once, whichever run made it.
    expect(runs.reduce((n, r) => n + r.body.invoicesCreated, 0)).toBe(CUSTOMERS - CUSTOMERS / 3);

    const invoices = await dbInvoices(h, accountId);
    expect(invoices.length).toBe(CUSTOMERS);
    expect(new Set(invoices.map((i) => i.customer_id)).size).toBe(CUSTOMERS);
    const rows = await dbTransactions(h, accountId);
    const recurring = rows.filter((t) => t.origin === 'recurring');
    expect(recurring.length).toBe(CUSTOMERS * 2);
    // One charge per feature per period.
    expect(new Set(recurring.map((t) => `${t.feature_id} ${t.start_date}`)).size).toBe(CUSTOMERS * 2);
    for (const invoice of await getAll(api, '/invoices?unsent')) {
      const hasOneOff = rows.some((t) => t.invoice_id === Number(invoice.id) && t.origin === 'api');
      expect([invoice.invoiceChargesRecurring, invoice.invoiceAmount]).toEqual([
        '20.00',
        hasOneOff ? '25.00' : '20.00',
      ]);
      expectInvoiceAddsUp(invoice);
      await expectInvoiceMatchesDatabase(h, accountId, invoice);
    }
  });

  it('credits a feature ended inside days billed in advance at what was charged, after a price change', async () => {
    h.setNow(new Date('2026-12-02T09:00:00.000Z'));
    const { api } = await h.account();
    const customer = await makeCustomer(api, { name: 'Price change Ltd' });
    const line = await makeFeature(api, customer.id, {
      name: 'Line',
      recurringValue: '25.00',
      startDate: '2026-12-01',
    });
    // In advance to the end of January: December and January at 25.00.
    const first = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2027-01-01' });
    expect((await recurringLines(api, first.id)).map((l: any[]) => l[4])).toEqual(['25.00', '25.00']);
    await approve(api, first.id);
    // The price goes up, then the line ends on 20 December.
    expect((await api.patch(`/features/${line.id}`, { recurringValue: '30.00' })).status).toBe(200);
    expect((await api.patch(`/features/${line.id}`, { endDate: '2026-12-20' })).status).toBe(200);
    const next = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2027-02-01' });
    // Back: 21-31 December, 11/31 of the 25.00 charged (8.87), and January's 25.00; not 30.00's shares.
    expect((await recurringLines(api, next.id)).map((l: any[]) => [l[1], l[2], l[4]])).toEqual([
      ['2026-12-21', '2026-12-31', '-8.87'],
      ['2027-01-01', '2027-01-31', '-25.00'],
    ]);
    expectInvoiceAddsUp(await get(api, `/invoices/${next.id}`));
  });

  it('approving every invoice of a run numbers them gaplessly, and next month bills only the new periods', async () => {
    const s = await customers();
    const { api, id: accountId } = s;
    expect((await api.patch('/account', { invoicePrefix: 'NOV-', invoiceNextNumber: 7 })).status).toBe(200);
    const run = await post(api, '/billingRuns', { cutoffDate: '2026-11-01' });
    const unsent = await get(api, `/invoices?unsent&billingRun=${run.id}`);
    // All at once: numbers are still unique and gapless.
    const approved = await Promise.all(unsent.map((i: any) => approve(api, i.id)));
    expect(approved.map((i) => i.invoiceNumber).sort()).toEqual([
      'NOV-10',
      'NOV-11',
      'NOV-12',
      'NOV-7',
      'NOV-8',
      'NOV-9',
    ]);
    expect((await get(api, '/account')).invoiceNextNumber).toBe(13);
    expect(await get(api, '/invoices?unsent')).toEqual([]);
    expect((await get(api, `/invoices?billingRun=${run.id}`)).length).toBe(6);

    // December's run (cut-off 1 Dec): the one-off customer's waiting 7.00 (it has no unsent invoice now: the
    // run makes one), advance December 25.00, arrears November 30.00, the November starter's November in
    // arrears 50.00. The quarterly and annual features are billed ahead.
    h.setNow(new Date('2026-12-01T09:00:00.000Z'));
    const december = await post(api, '/billingRuns', undefined); // no body: cut-off = first of the current month
    expect([december.cutoffDate, december.customersBilled, december.invoicesCreated]).toEqual([
      '2026-12-01',
      4,
      4,
    ]);
    const lines = await billed(api, december.id);
    expect(lines).toEqual([
      { customer: s.oneOff.customer.id, net: '7.00', vat: '1.40', total: '8.40', recurring: [] },
      {
        customer: s.advance.customer.id,
        net: '25.00',
        vat: '5.00',
        total: '30.00',
        recurring: [
          ['Line rental monthly 2026-12-01 to 2026-12-31', '2026-12-01', '2026-12-31', '2026-12-01', '25.00'],
        ],
      },
      {
        customer: s.arrears.customer.id,
        net: '30.00',
        vat: '6.00',
        total: '36.00',
        recurring: [
          ['Line rental monthly 2026-11-01 to 2026-11-30', '2026-11-01', '2026-11-30', '2026-11-30', '30.00'],
        ],
      },
      {
        customer: s.notYet.customer.id,
        net: '50.00',
        vat: '10.00',
        total: '60.00',
        recurring: [
          ['Line rental monthly 2026-11-01 to 2026-11-30', '2026-11-01', '2026-11-30', '2026-11-30', '50.00'],
        ],
      },
    ]);
    const numbers = (
      await Promise.all((await get(api, '/invoices?unsent')).map((i: any) => approve(api, i.id)))
    ).map((i) => i.invoiceNumber);
    expect(numbers.sort()).toEqual(['NOV-13', 'NOV-14', 'NOV-15', 'NOV-16']);
    const all = (await dbInvoices(h, accountId)).map((i) => i.invoice_number);
    expect(new Set(all).size).toBe(10);
    const oneOffInvoices = await get(api, `/customers/${s.oneOff.customer.id}/invoices`);
    expect(oneOffInvoices.map((i: any) => i.total)).toEqual(['18.00', '8.40']);
    expect((await get(api, `/transactions/${s.later.id}`)).invoiceID).toBe(oneOffInvoices[1].id);
  });

  it('keeps totals right and bills each charge once when charges are posted while runs go', async () => {
    // Ten customers, each with 10.00 monthly in advance from 1 Nov (November due at cut-off 1 Nov), and charges of 1.00 posted while two runs go: dated 20 Oct (due: on the invoice)
    // or 5 Nov (after the cut-off: waiting).
    h.setNow(new Date('2026-10-20T10:00:00.000Z'));
    const { api, id: accountId } = await h.account();
    const features: any[] = [];
    for (let i = 0; i < 10; i++) {
      const customer = await makeCustomer(api, { name: `Customer ${i}` });
      features.push(
        await makeFeature(api, customer.id, { recurringValue: '10.00', startDate: '2026-11-01' }),
      );
    }
    h.setNow(new Date(RUN_TIME));
    const charges = features.flatMap((f, i) => [
      api.post(`/features/${f.id}/transactions`, { transactionValue: '1.00', transactionDate: '2026-10-20' }),
      api.post(`/features/${f.id}/transactions`, {
        transactionValue: '1.00',
        transactionDate: i % 2 ? '2026-11-05' : '2026-10-21',
      }),
    ]);
    const results = await Promise.all([
      api.post('/billingRuns', { cutoffDate: '2026-11-01' }),
      ...charges,
      api.post('/billingRuns', { cutoffDate: '2026-11-01' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(results.map(() => 201));
    // Charges posted after a customer's invoice was completed may wait; a last run settles them all.
    await post(api, '/billingRuns', { cutoffDate: '2026-11-01' });

    const invoices = await dbInvoices(h, accountId);
    expect(invoices.length).toBe(10);
    const rows = await dbTransactions(h, accountId);
    expect(rows.filter((t) => t.origin === 'recurring').length).toBe(10);
    for (const invoice of await getAll(api, '/invoices?unsent')) {
      // November 10.00, the 20 Oct charge and, for even customers, the 21 Oct one.
      const feature = features.findIndex((f) => f.customerID === invoice.customerID);
      expect([feature >= 0, invoice.invoiceAmount]).toEqual([true, feature % 2 ? '11.00' : '12.00']);
      expectInvoiceAddsUp(invoice);
      await expectInvoiceMatchesDatabase(h, accountId, invoice);
    }
    // Exactly the charges dated after the cut-off wait.
    expect(rows.filter((t) => t.invoice_id === null).map((t) => t.id)).toEqual(
      rows.filter((t) => t.transaction_date === '2026-11-05').map((t) => t.id),
    );
  });

  it("makes one unsent invoice when a customer's first charges arrive at once", async () => {
    h.setNow(new Date('2026-11-10T10:00:00.000Z'));
    const { api, id: accountId } = await h.account();
    const customer = await makeCustomer(api);
    const feature = await makeFeature(api, customer.id);
    const posted = await Promise.all(
      Array.from({ length: 12 }, () =>
        api.post(`/features/${feature.id}/transactions`, { transactionValue: '2.50' }),
      ),
    );
    expect(posted.map((r) => r.status)).toEqual(posted.map(() => 201));
    const invoices = await dbInvoices(h, accountId);
    expect(invoices.length).toBe(1);
    expect(new Set(posted.map((r) => r.body.invoiceID))).toEqual(new Set([String(invoices[0]!.id)]));
    const invoice = await get(api, `/invoices/${invoices[0]!.id}`);
    expect([invoice.invoiceAmount, invoice.invoiceVAT, invoice.total]).toEqual(['30.00', '6.00', '36.00']);
  });

  it('are listed and fetched; bad input is a 400, a low key a 403, another account a 404', async () => {
    h.setNow(new Date('2026-11-15T10:00:00.000Z'));
    const account = await h.account({ timezone: 'Asia/Tokyo' });
    const { api } = account;
    const first = await post(api, '/billingRuns', { cutoffDate: '2026-10-01' });
    h.setNow(new Date('2026-11-30T16:00:00.000Z')); // 1 Dec, 01:00 in Tokyo
    const second = await post(api, '/billingRuns', {});
    expect(second).toEqual({
      id: expect.any(String),
      cutoffDate: '2026-12-01',
      status: 'completed',
      customersBilled: 0,
      invoicesCompleted: 0,
      invoicesCreated: 0,
      error: null,
      started: '2026-11-30T16:00:00.000Z',
      finished: '2026-11-30T16:00:00.000Z',
    });
    expect(await get(api, `/billingRuns/${first.id}`)).toEqual(first);
    expect(await get(api, '/billingRuns')).toEqual([first, second]);
    const page = await api.get('/billingRuns?limit=1');
    expect(page.body).toEqual([first]);
    expect(page.headers.get('link')).toBe(
      `</backend/api/v1/billingRuns?limit=1&after=${first.id}>; rel="next"`,
    );
    expect(await getAll(api, '/billingRuns?limit=1')).toEqual([first, second]);

    expectError(await api.post('/billingRuns', { cutoffDate: '2026-11-31' }), 400, 400001, /cutoffDate/);
    expectError(await api.post('/billingRuns', { cutoff: '2026-11-01' }), 400, 400001, /cutoff/);
    expectError(await api.get('/billingRuns/999999'), 404, 404001);
    expectError(
      await (await account.withLevel(3)).post('/billingRuns', { cutoffDate: '2026-11-01' }),
      403,
      403001,
    );
    expect((await get(api, '/billingRuns')).length).toBe(2);

    const other = (await h.account()).api;
    expectError(await other.get(`/billingRuns/${first.id}`), 404, 404001);
    expect(await get(other, '/billingRuns')).toEqual([]);
    // Another account's run bills only its own customers.
    const customer = await makeCustomer(api);
    await post(api, `/features/${(await makeFeature(api, customer.id)).id}/transactions`, {
      transactionValue: '1.00',
      transactionDate: '2026-11-01',
    });
    const otherRun = await post(other, '/billingRuns', { cutoffDate: '2026-12-01' });
    expect([otherRun.customersBilled, otherRun.invoicesCreated]).toEqual([0, 0]);
    expect((await get(api, '/invoices?unsent'))[0].billingRun).toBeNull();
  });
});
