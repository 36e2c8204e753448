// Calls on invoices through HTTP: rated calls before the cut-off summed per feature and destination
// (count, billed minutes rounded to whole minutes, value rounded half-up once per line, carrier cost), by
// POST /customers/ID/invoices and by billing runs; every line traced to its calls; late calls on the next
// invoice; updateCallTransactions on unsent invoices only; deleting an unsent invoice releases its calls;
// re-rating in its three cases (unbilled in place, unsent invoice summarised again, raised invoice left
// alone with an adjustment on the next one); another account's ids are a 404. Figures worked by hand.
import { describe, expect, it } from 'vitest';
import {
  approve,
  dbInvoice,
  expectError,
  expectInvoiceAddsUp,
  expectInvoiceMatchesDatabase,
  getAll,
  post,
} from '../helpers/billing.ts';
import { cdr, dbCalls, getOk, loadRates, makeRateCard, sendCalls } from '../helpers/call-billing.ts';
import { Api, makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';
import { pdfText } from '../helpers/pdf.ts';

const NOW = '2026-04-10T12:00:00.000Z';
const L1 = '441632960001';
const L2 = '441632960002';
const UK = '442079460000';
const MOBILE = '447700900123';

// In force from 1 January 2026:
//   44  UK         0.0125 a minute, 60/60, carrier cost 0.004
//   447 UK mobile  0.10 a minute, 30/6, connection 0.02, minimum 0.05, carrier cost 0.05
const STANDARD = [
  { prefix: '44', destination: 'UK', ratePerMinute: '0.0125', costPerMinute: '0.004' },
  {
    prefix: '447',
    destination: 'UK mobile',
    ratePerMinute: '0.10',
    connectionFee: '0.02',
    minimumCharge: '0.05',
    initialIncrementS: 30,
    subsequentIncrementS: 6,
    costPerMinute: '0.05',
  },
];

// February's calls (GMT), and what each costs:
//   a1 L1 -> UK      2 Feb   60 s: 60 s billed, 0.0125; cost 0.004
//   a2 L1 -> UK      3 Feb   30 s: 60 s billed, 0.0125; cost 0.002
//   a3 L1 -> mobile  4 Feb   95 s: 96 s billed, 0.02 + 0.10 x 96/60 = 0.18; cost 0.05 x 95/60 = 0.079167
//   a4 L1 -> UK      5 Feb   missed: free, never on an invoice
//   a5 L1 -> mobile 28 Feb 23:59:59, 6 s: 30 s billed, 0.02 + 0.05 = 0.07; cost 0.005 (last second before the cut-off)
//   a6 L1 -> UK      1 Mar 00:00:00, 60 s: 0.0125 (first second after the cut-off 1 March)
//   b1 L2 -> UK     10 Feb  120 s: 0.025; cost 0.008
//   b2 L2 -> France 11 Feb   60 s: unrated (no rate), never on an invoice
const FEBRUARY = [
  cdr('a1', L1, UK, '2026-02-02T10:00:00Z', 60),
  cdr('a2', L1, '442079460001', '2026-02-03T10:00:00Z', 30),
  cdr('a3', L1, MOBILE, '2026-02-04T10:00:00Z', 95),
  cdr('a4', L1, UK, '2026-02-05T10:00:00Z', 0, { status: 'missed' }),
  cdr('a5', L1, '447700900124', '2026-02-28T23:59:59Z', 6),
  cdr('a6', L1, UK, '2026-03-01T00:00:00Z', 60),
  cdr('b1', L2, UK, '2026-02-10T10:00:00Z', 120),
  cdr('b2', L2, '33140000000', '2026-02-11T10:00:00Z', 60),
];

// At cut-off 1 March the invoice has three call lines:
//   Main line / UK:         a1, a2      2 calls, 120 s billed -> 2 minutes, 0.0125 + 0.0125 = 0.025 -> 0.03 (half up,
//                                       once: rounding each call first would give 0.02), carrier 0.006
//   Main line / UK mobile:  a3, a5      2 calls, 96 + 30 = 126 s billed -> 2.1 -> 2 minutes, 0.18 + 0.07 = 0.25, carrier 0.084167
//   Sales line / UK:        b1          1 call, 120 s billed -> 2 minutes, 0.025 -> 0.03, carrier 0.008
// Net 0.31; VAT 20% 0.062 -> 0.06; total 0.37; 5 calls, 6 billed minutes.
const MARCH_LINES = [
  ['Main line: calls to UK', '0.03', 2, 2, '0.006', '2026-02-02', '2026-02-03'],
  ['Main line: calls to UK mobile', '0.25', 2, 2, '0.084167', '2026-02-04', '2026-02-28'],
  ['Sales line: calls to UK', '0.03', 1, 2, '0.008', '2026-02-10', '2026-02-10'],
];

/** The parts of a call line an invoice shows, in id order. */
async function callLines(api: Api, invoiceId: string) {
  const rows = await getAll(api, `/invoices/${invoiceId}/transactions?includeUnsent`);
  return rows
    .filter((t) => t.transactionType === 'calls')
    .map((t) => [
      t.transactionDescription,
      t.transactionValue,
      t.transactionCallCount,
      t.transactionCallMinutes,
      t.transactionValueCarrier,
      t.transactionStartDate,
      t.transactionEndDate,
    ]);
}

describe('calls on invoices', () => {
  const h = useHarness();

  async function setup() {
    h.setNow(new Date(NOW));
    const account = await h.account();
    const { api } = account;
    const card = await makeRateCard(api, 'Standard', true);
    await loadRates(api, card.id, '2026-01-01', STANDARD);
    const customer = await makeCustomer(api);
    const main = await makeFeature(api, customer.id, { name: 'Main line', phoneNumber: L1 });
    const sales = await makeFeature(api, customer.id, { name: 'Sales line', phoneNumber: L2 });
    await sendCalls(api, FEBRUARY);
    const byId = async () => new Map((await getAll(api, '/calls')).map((c) => [c.callID, c]));
    return { ...account, card, customer, main, sales, byId };
  }

  async function invoiceFor(api: Api, customerId: string, cutoffDate: string): Promise<any> {
    return post(api, `/customers/${customerId}/invoices`, { cutoffDate });
  }

  it('summarise rated calls before the cut-off per feature and destination', async () => {
    const { api, id: accountId, customer, main, sales, byId } = await setup();
    const invoice = await invoiceFor(api, customer.id, '2026-03-01');
    expect(invoice).toMatchObject({
      cutoffDate: '2026-03-01',
      invoiceAmount: '0.31',
      invoiceVAT: '0.06',
      total: '0.37',
      invoiceCallCount: 5,
      invoiceCallMinutes: 6,
      invoiceChargesCalls: '0.31',
      invoiceChargesNonCall: '0.00',
      vatBreakdown: [{ rate: '20', net: '0.31', vat: '0.06' }],
    });
    expectInvoiceAddsUp(invoice);
    await expectInvoiceMatchesDatabase(h, accountId, invoice);
    expect(await callLines(api, invoice.id)).toEqual(MARCH_LINES);

    const lines = (await getAll(api, `/invoices/${invoice.id}/transactions?includeUnsent`)).filter(
      (t) => t.transactionType === 'calls',
    );
    expect(lines[0]).toMatchObject({
      customerID: customer.id,
      featureID: main.id,
      invoiceID: invoice.id,
      transactionDate: '2026-02-28',
      transactionBillDate: '2026-02-28',
      transactionVATRate: '20',
    });
    expect(lines[2].featureID).toBe(sales.id);

    // Each call on it knows its invoice and what was billed for it; the others wait.
    const calls = await byId();
    for (const id of ['a1', 'a2', 'a3', 'a5', 'b1']) {
      expect([id, calls.get(id).invoiceID, calls.get(id).billedCharge]).toEqual([
        id,
        invoice.id,
        calls.get(id).charge,
      ]);
    }
    for (const id of ['a4', 'a6', 'b2'])
      expect([id, calls.get(id).invoiceID, calls.get(id).billedCharge]).toEqual([id, null, null]);
    expect(await getAll(api, `/calls?invoiceID=${invoice.id}`)).toHaveLength(5);

    // Made again for the same cut-off: the same lines, never twice.
    const again = await invoiceFor(api, customer.id, '2026-03-01');
    expect(again.id).toBe(invoice.id);
    expect([again.invoiceAmount, again.invoiceCallCount, again.invoiceCallMinutes]).toEqual(['0.31', 5, 6]);
    expect(await callLines(api, invoice.id)).toEqual(MARCH_LINES);
    await expectInvoiceMatchesDatabase(h, accountId, again);
  });

  it('trace every call line to its calls', async () => {
    const { api, customer, main } = await setup();
    const invoice = await invoiceFor(api, customer.id, '2026-03-01');
    const oneOff = await post(api, `/features/${main.id}/transactions`, {
      transactionValue: '5.00',
      transactionDate: '2026-02-15',
    });
    const lines = (await getAll(api, `/invoices/${invoice.id}/transactions?includeUnsent`)).filter(
      (t) => t.transactionType === 'calls',
    );
    const traced = async (id: string) =>
      (await getAll(api, `/transactions/${id}/calls`)).map((c) => c.callID);
    expect(await traced(lines[0].id)).toEqual(['a1', 'a2']);
    expect(await traced(lines[1].id)).toEqual(['a3', 'a5']);
    expect(await traced(lines[2].id)).toEqual(['b1']);
    // The calls a line lists add up to it.
    const mobile = await getAll(api, `/transactions/${lines[1].id}/calls`);
    expect(mobile.map((c) => c.charge)).toEqual(['0.180000', '0.070000']);
    expect(mobile.every((c) => c.invoiceID === invoice.id)).toBe(true);
    // Page by page.
    const first = await api.get(`/transactions/${lines[0].id}/calls?limit=1`);
    expect(first.body.map((c: any) => c.callID)).toEqual(['a1']);
    expect(first.headers.get('link')).toBe(
      `</backend/api/v1/transactions/${lines[0].id}/calls?limit=1&after=${first.body[0].id}>; rel="next"`,
    );
    // A charge that is not a call summary has no calls.
    expect(await getAll(api, `/transactions/${oneOff.id}/calls`)).toEqual([]);
    expectError(await api.get('/transactions/999999/calls'), 404, 404001, 'Transaction 999999 not found');
  });

  it('are billed by billing runs, for customers with only calls to bill', async () => {
    const { api, customer } = await setup();
    const idle = await makeCustomer(api, { name: 'Idle Ltd' });
    await makeFeature(api, idle.id, { phoneNumber: '441632960099' });
    const run = await post(api, '/billingRuns', { cutoffDate: '2026-03-01' });
    expect([run.status, run.customersBilled, run.invoicesCreated]).toEqual(['completed', 1, 1]);
    const invoices = await getAll(api, `/invoices?unsent&billingRun=${run.id}`);
    expect(
      invoices.map((i) => [i.customerID, i.invoiceAmount, i.total, i.invoiceCallCount, i.invoiceCallMinutes]),
    ).toEqual([[customer.id, '0.31', '0.37', 5, 6]]);
    expect(await callLines(api, invoices[0].id)).toEqual(MARCH_LINES);
    // Run again: nothing billed twice.
    const again = await post(api, '/billingRuns', { cutoffDate: '2026-03-01' });
    expect([again.customersBilled, again.invoicesCreated]).toEqual([1, 0]);
    expect(await callLines(api, invoices[0].id)).toEqual(MARCH_LINES);
    expect(await getAll(api, `/customers/${idle.id}/invoices?includeUnsent`)).toEqual([]);
  });

  it('put a call that arrives after its invoice was raised on the next invoice', async () => {
    const { api, id: accountId, customer, byId } = await setup();
    const march = await invoiceFor(api, customer.id, '2026-03-01');
    const raised = await approve(api, march.id);
    expect(raised.invoiceNumber).not.toBeNull();
    // A February call the switch sent late.
    await sendCalls(api, [cdr('late', L1, UK, '2026-02-15T10:00:00Z', 60)]);
    expect((await byId()).get('late')).toMatchObject({ invoiceID: null, charge: '0.012500' });
    // The raised invoice is as it was.
    const stillRaised = await getOk(api, `/invoices/${march.id}`);
    expect([stillRaised.invoiceAmount, stillRaised.invoiceCallCount]).toEqual(['0.31', 5]);
    expect(await callLines(api, march.id)).toEqual(MARCH_LINES);

    // April's invoice: the late call and a6 (1 March), 0.0125 each: 0.025 -> 0.03, 120 s -> 2 minutes.
    const april = await invoiceFor(api, customer.id, '2026-04-01');
    expect(april.id).not.toBe(march.id);
    expect(await callLines(api, april.id)).toEqual([
      ['Main line: calls to UK', '0.03', 2, 2, '0.008', '2026-02-15', '2026-03-01'],
    ]);
    expect([april.invoiceAmount, april.invoiceVAT, april.total]).toEqual(['0.03', '0.01', '0.04']);
    await expectInvoiceMatchesDatabase(h, accountId, april);
    const calls = await byId();
    expect([calls.get('late').invoiceID, calls.get('a6').invoiceID, calls.get('a1').invoiceID]).toEqual([
      april.id,
      april.id,
      march.id,
    ]);
  });

  it('summarise an unsent invoice again with updateCallTransactions, and refuse once it is raised (409)', async () => {
    const account = await setup();
    const { api, id: accountId, customer, byId } = account;
    const invoice = await invoiceFor(api, customer.id, '2026-03-01');
    await sendCalls(api, [cdr('late', L1, UK, '2026-02-15T10:00:00Z', 60)]);
    // Not on the unsent invoice until it is summarised again.
    expect((await getOk(api, `/invoices/${invoice.id}`)).invoiceAmount).toBe('0.31');

    const res = await api.post(`/invoices/${invoice.id}?action=updateCallTransactions`);
    expect(res.status).toBe(200);
    // Main line / UK: a1, a2, late: 0.0375 -> 0.04, 150 s -> 2.5 -> 3 minutes. Net 0.04 + 0.25 + 0.03 = 0.32;
    // VAT 0.064 -> 0.06; total 0.38; 6 calls, 7 minutes.
    expect(res.body).toMatchObject({
      id: invoice.id,
      cutoffDate: '2026-03-01',
      invoiceAmount: '0.32',
      invoiceVAT: '0.06',
      total: '0.38',
      invoiceCallCount: 6,
      invoiceCallMinutes: 7,
    });
    expectInvoiceAddsUp(res.body);
    await expectInvoiceMatchesDatabase(h, accountId, res.body);
    expect((await callLines(api, invoice.id))[0]).toEqual([
      'Main line: calls to UK',
      '0.04',
      3,
      3,
      '0.01',
      '2026-02-02',
      '2026-02-15',
    ]);
    expect((await byId()).get('late').invoiceID).toBe(invoice.id);
    // Twice is the same as once.
    expect((await api.post(`/invoices/${invoice.id}?action=updateCallTransactions`)).body.invoiceAmount).toBe(
      '0.32',
    );
    expect(await callLines(api, invoice.id)).toHaveLength(3);

    expectError(
      await api.post(`/invoices/${invoice.id}?action=updateCallTransactions`, { cutoffDate: '2026-04-01' }),
      400,
      400001,
      /unknown parameter: cutoffDate/,
    );
    const level3 = await account.withLevel(3);
    expectError(await level3.post(`/invoices/${invoice.id}?action=updateCallTransactions`), 403, 403001);
    expectError(await api.post('/invoices/999999?action=updateCallTransactions'), 404, 404001);

    await approve(api, invoice.id);
    await sendCalls(api, [cdr('later', L1, UK, '2026-02-16T10:00:00Z', 60)]);
    const refused = await api.post(`/invoices/${invoice.id}?action=updateCallTransactions`);
    expectError(refused, 409, 409001, /is approved: its call charges cannot change/);
    expect((await getOk(api, `/invoices/${invoice.id}`)).invoiceAmount).toBe('0.32');
    expect((await byId()).get('later').invoiceID).toBeNull();
  });

  it('release the calls of an unsent invoice that is deleted, for the next one', async () => {
    const { api, id: accountId, customer, byId } = await setup();
    const invoice = await invoiceFor(api, customer.id, '2026-03-01');
    const deleted = await api.delete(`/invoices/${invoice.id}`);
    expect(deleted.status).toBe(200);
    const calls = await byId();
    for (const id of ['a1', 'a2', 'a3', 'a5', 'b1'])
      expect([id, calls.get(id).invoiceID, calls.get(id).billedCharge]).toEqual([id, null, null]);
    const rows = await h.ctx.db
      .selectFrom('billing_transactions')
      .select('id')
      .where('account_id', '=', accountId)
      .where('origin', '=', 'calls')
      .execute();
    expect(rows).toEqual([]);
    const next = await invoiceFor(api, customer.id, '2026-03-01');
    expect(next.id).not.toBe(invoice.id);
    expect(await callLines(api, next.id)).toEqual(MARCH_LINES);
    expect((await byId()).get('a1').invoiceID).toBe(next.id);
  });

  it('release the calls of a call line deleted from an unsent invoice: they are billed later, never lost', async () => {
    const { api, id: accountId, customer, byId } = await setup();
    const invoice = await invoiceFor(api, customer.id, '2026-03-01');
    const lines = (await getAll(api, `/invoices/${invoice.id}/transactions?includeUnsent`)).filter(
      (t) => t.transactionType === 'calls',
    );
    expect((await api.delete(`/transactions/${lines[0].id}`)).status).toBe(200);
    // Main line / UK (a1, a2: 0.03) is off: net 0.28; its calls wait.
    expect((await getOk(api, `/invoices/${invoice.id}`)).invoiceAmount).toBe('0.28');
    let calls = await byId();
    expect([calls.get('a1').invoiceID, calls.get('a2').invoiceID, calls.get('a1').billedCharge]).toEqual([
      null,
      null,
      null,
    ]);
    expect(calls.get('a3').invoiceID).toBe(invoice.id);

    // Summarised again, the line is back; every line deleted, they all come back.
    expect((await api.post(`/invoices/${invoice.id}?action=updateCallTransactions`)).body.invoiceAmount).toBe(
      '0.31',
    );
    for (const line of (await getAll(api, `/invoices/${invoice.id}/transactions?includeUnsent`)).filter(
      (t) => t.transactionType === 'calls',
    )) {
      expect((await api.delete(`/transactions/${line.id}`)).status).toBe(200);
    }
    expect((await getOk(api, `/invoices/${invoice.id}`)).invoiceAmount).toBe('0.00');
    expect((await getAll(api, `/calls?invoiceID=${invoice.id}`)).map((c) => c.callID)).toEqual([]);
    expect((await api.post(`/invoices/${invoice.id}?action=updateCallTransactions`)).body.invoiceAmount).toBe(
      '0.31',
    );
    expect(await callLines(api, invoice.id)).toEqual(MARCH_LINES);

    // Raised without the line, its calls go on the next invoice with a6: a1, a2, a6 = 0.0375 -> 0.04.
    await api.delete(
      `/transactions/${(await getAll(api, `/invoices/${invoice.id}/transactions?includeUnsent`)).find((t) => t.transactionDescription === 'Main line: calls to UK').id}`,
    );
    await approve(api, invoice.id);
    const next = await invoiceFor(api, customer.id, '2026-04-01');
    expect((await callLines(api, next.id))[0]).toEqual([
      'Main line: calls to UK',
      '0.04',
      3,
      3,
      '0.01',
      '2026-02-02',
      '2026-03-01',
    ]);
    calls = await byId();
    expect([calls.get('a1').invoiceID, calls.get('a6').invoiceID, calls.get('a3').invoiceID]).toEqual([
      next.id,
      next.id,
      invoice.id,
    ]);
    await expectInvoiceMatchesDatabase(h, accountId, await getOk(api, `/invoices/${next.id}`));
  });

  it('put calls before the cut-off in the account timezone (summer time)', async () => {
    const { api, customer } = await setup();
    await sendCalls(api, [
      cdr('june-last', L1, UK, '2026-06-30T22:59:59Z', 60), // 30 June 23:59:59 BST
      cdr('july-first', L1, UK, '2026-06-30T23:00:00Z', 60), // 1 July 00:00 BST
    ]);
    h.setNow(new Date('2026-07-02T12:00:00Z'));
    const invoice = await invoiceFor(api, customer.id, '2026-07-01');
    const onIt = (await getAll(api, `/calls?invoiceID=${invoice.id}`)).map((c) => c.callID);
    expect(onIt).toContain('june-last');
    expect(onIt).not.toContain('july-first');
  });
});

describe('re-rating', () => {
  const h = useHarness();

  it('changes unbilled calls in place, summarises an unsent invoice again, and adjusts a raised one on the next invoice', async () => {
    h.setNow(new Date(NOW));
    const { api, id: accountId } = await h.account();
    const card = await makeRateCard(api, 'Standard', true);
    await loadRates(api, card.id, '2026-01-01', STANDARD);
    const customer = await makeCustomer(api);
    await makeFeature(api, customer.id, { name: 'Main line', phoneNumber: L1 });
    await makeFeature(api, customer.id, { name: 'Sales line', phoneNumber: L2 });
    await sendCalls(api, [...FEBRUARY, cdr('a8', L1, UK, '2026-04-05T09:00:00Z', 60)]);
    const byId = async () => new Map((await getAll(api, '/calls')).map((c) => [c.callID, c]));

    // March's invoice is raised; April's (a6 only: Main line / UK 0.0125 -> 0.01) is unsent; a8 (5 April) is unbilled.
    const march = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-03-01' });
    await approve(api, march.id);
    const april = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-04-01' });
    expect(await callLines(api, april.id)).toEqual([
      ['Main line: calls to UK', '0.01', 1, 1, '0.004', '2026-03-01', '2026-03-01'],
    ]);
    const marchBefore = await dbInvoice(h, accountId, Number(march.id));

    // UK calls cost 0.02 a minute from 1 January (mobile unchanged).
    await loadRates(api, card.id, '2026-01-01', [{ ...STANDARD[0]!, ratePerMinute: '0.02' }, STANDARD[1]!]);
    const res = await api.post('/calls/rerate', {});
    expect(res.status).toBe(200);
    // Raised: a1, a2 billed 0.0125 each, now 0.02: +0.015 -> 0.02 (Main line / UK); b1 billed 0.025, now 0.04:
    // +0.015 -> 0.02 (Sales line / UK). The mobile calls are priced by a new rate at the same price: no
    // adjustment. All 9 calls are looked at; a4 (free) and b2 (unrated) do not change.
    expect(res.body).toStrictEqual({
      calls: 9,
      changed: 7,
      rated: 7,
      free: 1,
      unrated: 1,
      unallocated: 0,
      adjustments: 2,
      adjustmentTotal: '0.04',
      invoicesUpdated: 1,
    });

    // Unbilled: in place.
    let calls = await byId();
    expect(calls.get('a8')).toMatchObject({ charge: '0.020000', invoiceID: null, billedCharge: null });
    // On the unsent invoice: a6 repriced and the line made again, with the two adjustments beside it.
    expect(calls.get('a6')).toMatchObject({
      charge: '0.020000',
      invoiceID: april.id,
      billedCharge: '0.020000',
    });
    const aprilLines = await getAll(api, `/invoices/${april.id}/transactions?includeUnsent`);
    // (The adjustments are written first, then the line is made again: id order.)
    expect(
      aprilLines.map((t) => [
        t.transactionDescription,
        t.transactionValue,
        t.transactionCallCount,
        t.featureID,
      ]),
    ).toEqual([
      ['Re-rating adjustment: calls to UK (2 calls)', '0.02', null, calls.get('a1').featureID],
      ['Re-rating adjustment: calls to UK (1 call)', '0.02', null, calls.get('b1').featureID],
      ['Main line: calls to UK', '0.02', 1, calls.get('a6').featureID],
    ]);
    const aprilNow = await getOk(api, `/invoices/${april.id}`);
    // Net 0.06, VAT 0.012 -> 0.01, total 0.07; the adjustments are call charges but count no calls.
    expect([
      aprilNow.invoiceAmount,
      aprilNow.invoiceVAT,
      aprilNow.total,
      aprilNow.invoiceChargesCalls,
      aprilNow.invoiceCallCount,
    ]).toEqual(['0.06', '0.01', '0.07', '0.06', 1]);
    expectInvoiceAddsUp(aprilNow);
    await expectInvoiceMatchesDatabase(h, accountId, aprilNow);
    // Raised: untouched; its calls keep it, and record what has now been billed for them.
    expect(await dbInvoice(h, accountId, Number(march.id))).toEqual(marchBefore);
    expect(await callLines(api, march.id)).toEqual(MARCH_LINES);
    expect(calls.get('a1')).toMatchObject({
      charge: '0.020000',
      invoiceID: march.id,
      billedCharge: '0.020000',
    });
    expect(calls.get('b1')).toMatchObject({
      charge: '0.040000',
      invoiceID: march.id,
      billedCharge: '0.040000',
    });
    expect(calls.get('a3')).toMatchObject({
      charge: '0.180000',
      invoiceID: march.id,
      billedCharge: '0.180000',
    });

    // Again: nothing changes, nothing is billed twice.
    const again = await api.post('/calls/rerate', {});
    expect(again.body).toMatchObject({
      calls: 9,
      changed: 0,
      adjustments: 0,
      adjustmentTotal: '0',
      invoicesUpdated: 0,
    });
    expect(await getAll(api, `/invoices/${april.id}/transactions?includeUnsent`)).toHaveLength(3);

    // April is raised; UK drops to 0.01 a minute. Main line / UK: a1, a2 (0.02 -> 0.01) and a6 (0.02 -> 0.01):
    // -0.03; Sales line / UK: b1 0.04 -> 0.02: -0.02. No unsent invoice: a new one is made for the credits.
    await approve(api, april.id);
    await loadRates(api, card.id, '2026-01-01', [{ ...STANDARD[0]!, ratePerMinute: '0.01' }, STANDARD[1]!]);
    const lower = await api.post('/calls/rerate', {});
    expect(lower.body).toMatchObject({
      calls: 9,
      adjustments: 2,
      adjustmentTotal: '-0.05',
      invoicesUpdated: 0,
    });
    const unsent = await getAll(api, `/customers/${customer.id}/invoices?unsent`);
    expect(unsent).toHaveLength(1);
    const credits = unsent[0];
    expect(
      await getAll(api, `/invoices/${credits.id}/transactions?includeUnsent`).then((r) =>
        r.map((t) => [t.transactionDescription, t.transactionValue]),
      ),
    ).toEqual([
      ['Re-rating adjustment: calls to UK (3 calls)', '-0.03'],
      ['Re-rating adjustment: calls to UK (1 call)', '-0.02'],
    ]);
    // Net -0.05; VAT -0.01; total -0.06.
    expect([credits.invoiceAmount, credits.invoiceVAT, credits.total]).toEqual(['-0.05', '-0.01', '-0.06']);
    calls = await byId();
    expect(calls.get('a6')).toMatchObject({
      charge: '0.010000',
      invoiceID: april.id,
      billedCharge: '0.010000',
    });
    expect(calls.get('a8')).toMatchObject({ charge: '0.010000', invoiceID: null });
    expect((await getOk(api, `/invoices/${april.id}`)).invoiceAmount).toBe('0.06');
  });

  it('never credits a billed call it can no longer price: it stays unrated with its bill until a rate is back', async () => {
    h.setNow(new Date(NOW));
    const { api, id: accountId } = await h.account();
    const card = await makeRateCard(api, 'Standard', true);
    await loadRates(api, card.id, '2026-01-01', STANDARD);
    const customer = await makeCustomer(api);
    await makeFeature(api, customer.id, { name: 'Main line', phoneNumber: L1 });
    await sendCalls(api, [
      cdr('a1', L1, UK, '2026-02-02T10:00:00Z', 60),
      cdr('a2', L1, UK, '2026-02-03T10:00:00Z', 60),
      cdr('a3', L1, MOBILE, '2026-02-04T10:00:00Z', 95),
    ]);
    const march = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-03-01' });
    await approve(api, march.id);
    // An unsent invoice with an unbilled late call on it (so a credit would have somewhere to go).
    await sendCalls(api, [cdr('late', L1, UK, '2026-03-05T10:00:00Z', 60)]);
    const april = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-04-01' });
    expect(april.invoiceAmount).toBe('0.01');

    // A card without UK from 1 January: the UK calls cannot be priced.
    await loadRates(api, card.id, '2026-01-01', [STANDARD[1]!]);
    const res = await api.post('/calls/rerate', {});
    expect(res.body).toMatchObject({
      calls: 4,
      rated: 1,
      unrated: 3,
      adjustments: 0,
      adjustmentTotal: '0',
      invoicesUpdated: 1,
    });
    let calls = await dbCalls(h, accountId);
    // The billed ones keep their invoice and what was billed; the unsent invoice lets its call go.
    expect(calls.get('a1')).toMatchObject({
      rating_status: 'unrated',
      charge: null,
      invoice_id: Number(march.id),
      billed_charge: '0.012500',
    });
    expect(calls.get('late')).toMatchObject({
      rating_status: 'unrated',
      charge: null,
      invoice_id: null,
      billed_charge: null,
    });
    expect((await getOk(api, `/invoices/${april.id}`)).invoiceAmount).toBe('0.00');
    expect((await getOk(api, `/invoices/${march.id}`)).invoiceAmount).toBe('0.21');

    // UK is back at 0.02. The three calls were waiting for a price, so loading the rates prices them: the
    // billed ones are adjusted from what was billed (+0.0075 each: 0.015 -> 0.02), the late one waits for
    // April's calls to be summarised again.
    const back = await loadRates(api, card.id, '2026-01-01', [
      { ...STANDARD[0]!, ratePerMinute: '0.02' },
      STANDARD[1]!,
    ]);
    expect(back.waitingCallsRated).toBe(3);
    calls = await dbCalls(h, accountId);
    expect(calls.get('a1')).toMatchObject({
      rating_status: 'rated',
      charge: '0.020000',
      billed_charge: '0.020000',
    });
    expect(calls.get('late')).toMatchObject({ rating_status: 'rated', charge: '0.020000', invoice_id: null });
    const aprilLines = async () =>
      (await getAll(api, `/invoices/${april.id}/transactions?includeUnsent`)).map((t) => [
        t.transactionDescription,
        t.transactionValue,
      ]);
    expect(await aprilLines()).toEqual([['Re-rating adjustment: calls to UK (2 calls)', '0.02']]);
    // A full re-rate moves a3 to the reloaded mobile rate (same price: no adjustment); then nothing changes.
    expect((await api.post('/calls/rerate', {})).body).toMatchObject({
      rated: 4,
      unrated: 0,
      changed: 1,
      adjustments: 0,
    });
    expect((await api.post('/calls/rerate', {})).body).toMatchObject({
      rated: 4,
      unrated: 0,
      changed: 0,
      adjustments: 0,
    });
    await api.post(`/invoices/${april.id}?action=updateCallTransactions`);
    expect(await aprilLines()).toEqual([
      ['Re-rating adjustment: calls to UK (2 calls)', '0.02'],
      ['Main line: calls to UK', '0.02'],
    ]);
    expect((await getOk(api, `/invoices/${april.id}`)).invoiceAmount).toBe('0.04');
  });

  it('keeps a raised line traceable to its calls when re-rating renames their destination or cannot price them', async () => {
    h.setNow(new Date(NOW));
    const { api } = await h.account();
    const card = await makeRateCard(api, 'Standard', true);
    await loadRates(api, card.id, '2026-01-01', STANDARD);
    const customer = await makeCustomer(api);
    await makeFeature(api, customer.id, { name: 'Main line', phoneNumber: L1 });
    await sendCalls(api, [
      cdr('a1', L1, UK, '2026-02-02T10:00:00Z', 60),
      cdr('a2', L1, UK, '2026-02-03T10:00:00Z', 30),
      cdr('a3', L1, MOBILE, '2026-02-04T10:00:00Z', 95),
    ]);
    const march = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-03-01' });
    await approve(api, march.id);
    const lines = (await getAll(api, `/invoices/${march.id}/transactions`)).filter(
      (t) => t.transactionType === 'calls',
    );
    const traced = async () =>
      Promise.all(
        lines.map(async (l) => [
          l.transactionDescription,
          (await getAll(api, `/transactions/${l.id}/calls`)).map((c) => c.callID),
        ]),
      );
    const before = [
      ['Main line: calls to UK', ['a1', 'a2']],
      ['Main line: calls to UK mobile', ['a3']],
    ];
    expect(await traced()).toEqual(before);

    // The card now calls 44 "United Kingdom" at 0.02, and prices mobiles at weekends only (a3, on a
    // Wednesday, cannot be priced: no rate for its band).
    await loadRates(api, card.id, '2026-01-01', [
      { prefix: '44', destination: 'United Kingdom', ratePerMinute: '0.02' },
      { prefix: '447', destination: 'UK mobile', ratePerMinute: '0.01', band: 'weekend' },
    ]);
    const res = await api.post('/calls/rerate', {});
    // a1, a2: billed 0.0125 each, now 0.02: +0.015 -> 0.02, adjusting the line they were billed on ("UK").
    expect(res.body).toMatchObject({ rated: 2, unrated: 1, adjustments: 1, adjustmentTotal: '0.02' });
    expect(await traced()).toEqual(before);
    const [unsent] = await getAll(api, `/customers/${customer.id}/invoices?unsent`);
    expect(
      (await getAll(api, `/invoices/${unsent.id}/transactions?includeUnsent`)).map((t) => [
        t.transactionDescription,
        t.transactionValue,
      ]),
    ).toEqual([['Re-rating adjustment: calls to UK (2 calls)', '0.02']]);
    const a3 = (await getAll(api, '/calls')).find((c) => c.callID === 'a3');
    expect(a3).toMatchObject({
      ratingStatus: 'unrated',
      invoiceID: march.id,
      billedCharge: '0.180000',
      destination: 'UK mobile',
    });
  });

  it('re-rates only the calls between from and to (account dates, inclusive)', async () => {
    h.setNow(new Date(NOW));
    const { api } = await h.account();
    const card = await makeRateCard(api, 'Standard', true);
    await loadRates(api, card.id, '2026-01-01', STANDARD);
    const customer = await makeCustomer(api);
    await makeFeature(api, customer.id, { phoneNumber: L1 });
    await sendCalls(api, [
      cdr('feb28', L1, UK, '2026-02-28T23:59:59Z', 60),
      cdr('mar1', L1, UK, '2026-03-01T00:00:00Z', 60),
      cdr('mar31', L1, UK, '2026-03-31T22:59:59Z', 60), // 23:59:59 BST
      cdr('apr1', L1, UK, '2026-03-31T23:00:00Z', 60), // 00:00 BST on 1 April
    ]);
    await loadRates(api, card.id, '2026-01-01', [{ ...STANDARD[0]!, ratePerMinute: '0.02' }, STANDARD[1]!]);
    const res = await api.post('/calls/rerate', { from: '2026-03-01', to: '2026-03-31' });
    expect(res.body).toMatchObject({ calls: 2, changed: 2, rated: 2 });
    const charges = (await getAll(api, '/calls')).map((c) => [c.callID, c.charge]);
    expect(charges).toEqual([
      ['feb28', '0.012500'],
      ['mar1', '0.020000'],
      ['mar31', '0.020000'],
      ['apr1', '0.012500'],
    ]);
    expectError(await api.post('/calls/rerate', { from: '2026-02-30' }), 400, 400001, /from/);
    expectError(
      await api.post('/calls/rerate', { from: '2026-03-02', to: '2026-03-01' }),
      400,
      400001,
      /to: 2026-03-01 is before from/,
    );
    expectError(await api.post('/calls/rerate', { since: '2026-02-01' }), 400, 400001, /unknown field since/);
    const level3 = await (await h.account()).withLevel(3);
    expectError(await level3.post('/calls/rerate', {}), 403, 403001);
  });
});

describe("another account's invoices, charges and calls", () => {
  const h = useHarness();

  it('are a 404, and re-rating or summarising never touches them', async () => {
    h.setNow(new Date(NOW));
    const theirs = await h.account();
    const card = await makeRateCard(theirs.api, 'Standard', true);
    await loadRates(theirs.api, card.id, '2026-01-01', STANDARD);
    const customer = await makeCustomer(theirs.api);
    await makeFeature(theirs.api, customer.id, { name: 'Main line', phoneNumber: L1 });
    await sendCalls(theirs.api, FEBRUARY);
    const invoice = await post(theirs.api, `/customers/${customer.id}/invoices`, {
      cutoffDate: '2026-03-01',
    });
    const [line] = (await getAll(theirs.api, `/invoices/${invoice.id}/transactions?includeUnsent`)).filter(
      (t) => t.transactionType === 'calls',
    );
    const theirCalls = await dbCalls(h, theirs.id);

    const mine = await h.account();
    const myCard = await makeRateCard(mine.api, 'Mine', true);
    await loadRates(mine.api, myCard.id, '2026-01-01', [
      { prefix: '44', destination: 'UK', ratePerMinute: '9' },
    ]);
    const myCustomer = await makeCustomer(mine.api);
    await makeFeature(mine.api, myCustomer.id, { phoneNumber: L1 });
    const api = mine.api;
    expectError(
      await api.get(`/transactions/${line.id}/calls`),
      404,
      404001,
      `Transaction ${line.id} not found`,
    );
    expectError(
      await api.post(`/invoices/${invoice.id}?action=updateCallTransactions`),
      404,
      404001,
      `Invoice ${invoice.id} not found`,
    );
    expectError(await api.delete(`/invoices/${invoice.id}`), 404, 404001);
    expect(await getAll(api, `/calls?invoiceID=${invoice.id}`)).toEqual([]);
    expect((await api.post('/calls/rerate', {})).body).toMatchObject({ calls: 0, changed: 0 });
    // My invoice for my customer takes none of their calls.
    const myInvoice = await post(api, `/customers/${myCustomer.id}/invoices`, { cutoffDate: '2026-03-01' });
    expect([myInvoice.invoiceAmount, myInvoice.invoiceCallCount]).toEqual(['0.00', 0]);
    expect(await dbCalls(h, theirs.id)).toEqual(theirCalls);
    // (Their account has only the main line: 0.03 + 0.25.)
    expect((await getOk(theirs.api, `/invoices/${invoice.id}`)).invoiceAmount).toBe('0.28');
  });
});

describe('billed minutes and durations (issue 11, item 16)', () => {
  const h = useHarness();

  it("bills, invoices and /v1/calls show the minutes billed where they say billed, and the calls' durations where they say duration", async () => {
    h.setNow(new Date(NOW));
    const { api, key } = await h.account();
    const card = await makeRateCard(api, 'Standard', true);
    // Per-minute increments (60/60) at 0.10 a minute.
    await loadRates(api, card.id, '2026-01-01', [{ prefix: '44', destination: 'UK', ratePerMinute: '0.10' }]);
    const customer = await makeCustomer(api);
    await makeFeature(api, customer.id, { name: 'Main line', phoneNumber: L1 });
    // 1 min 40 s bills 2 minutes (0.20); 61 s bills 2 minutes (0.20). Durations 161 s (2.7 minutes, which
    // would round to 3); billed 240 s: 4 minutes.
    await sendCalls(api, [
      cdr('d1', L1, UK, '2026-02-02T10:00:00Z', 100),
      cdr('d2', L1, UK, '2026-02-03T10:00:00Z', 61),
    ]);
    const invoice = await approve(
      api,
      (await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-03-01' })).id,
    );
    expect(invoice).toMatchObject({
      invoiceCallCount: 2,
      invoiceCallMinutes: 4,
      invoiceChargesCalls: '0.40',
    });
    expect(await callLines(api, invoice.id)).toEqual([
      ['Main line: calls to UK', '0.40', 2, 4, null, '2026-02-02', '2026-02-03'],
    ]);

    // The bill, read back from the PDF: the summary and the destination table in billed minutes, each call
    // with its duration and the time billed.
    const res = await fetch(`${h.url}/backend/api/v1/invoices/${invoice.id}?billStyle=Itemised`, {
      headers: { authorization: `Bearer ${key}`, accept: 'application/pdf' },
    });
    expect(res.status).toBe(200);
    const text = (await pdfText(Buffer.from(await res.arrayBuffer()))).text.replace(/\s+/g, ' ');
    expect(text).toContain('2 calls, 4 billed minutes');
    expect(text).toMatch(/Destination Calls Billed minutes Amount UK 2 4 0\.40/);
    expect(text).toMatch(/Duration Billed Charge/);
    expect(text).toMatch(/UK 1:40 2:00 0\.20/);
    expect(text).toMatch(/UK 1:01 2:00 0\.20/);
    expect(text).not.toMatch(/\b3 (billed )?minutes/);

    // /v1/calls: duration is how long each call lasted, billed_duration what it was billed for.
    const v1 = await new Api(h.url, key, '/v1').get(`/calls?invoice_id=inv_${invoice.id}`);
    expect(v1.body.data.map((c: any) => [c.duration, c.billed_duration])).toEqual([
      [100, 120],
      [61, 120],
    ]);
    // The backend's calls too.
    expect((await getAll(api, '/calls')).map((c) => [c.durationS, c.billableS])).toEqual([
      [100, 120],
      [61, 120],
    ]);
  });
});
