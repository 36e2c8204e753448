// A whole billing cycle over three months through HTTP, with the clock set for each step: customers with
// features billed in advance and in arrears, one-off charges, call charges, a refund, a feature ended mid-month,
// a billing run and approvals each month. Every invoice must add up, and every period of every feature must be
// charged exactly once across the invoices.
import { describe, expect, it } from 'vitest';
import { type Api, makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';
import {
  approve,
  dbTransactions,
  dec,
  expectInvoiceAddsUp,
  expectInvoiceMatchesDatabase,
  getAll,
  m2,
  post,
  sum,
} from '../helpers/billing.ts';

const DAY_MS = 86_400_000;

function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/**
 * How many times each day is charged by a feature's recurring transactions: +1 for each charge covering it,
 * -1 for each credit. A period charged exactly once reads 1 on each of its days.
 */
function coverage(transactions: any[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of transactions) {
    const sign = dec(t.transactionValue).isNegative() ? -1 : 1;
    for (const day of days(t.transactionStartDate, t.transactionEndDate))
      out.set(day, (out.get(day) ?? 0) + sign);
  }
  for (const [day, n] of out) if (n === 0) out.delete(day);
  return out;
}

function once(from: string, to: string): Map<string, number> {
  return new Map(days(from, to).map((d) => [d, 1]));
}

describe('a three-month billing cycle', () => {
  const h = useHarness();

  async function get(api: Api, path: string): Promise<any> {
    const res = await api.get(path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
    return res.body;
  }

  /** A billing run, checks of every invoice it completed, then approval of them all; returns the approved ones by customer. */
  async function billAndApprove(
    api: Api,
    accountId: number,
    runBody: unknown,
    expectedRun: { cutoffDate: string; customersBilled: number; invoicesCreated: number },
  ) {
    const run = await post(api, '/billingRuns', runBody);
    expect({
      cutoffDate: run.cutoffDate,
      customersBilled: run.customersBilled,
      invoicesCreated: run.invoicesCreated,
    }).toEqual(expectedRun);
    const unsent = await getAll(api, `/invoices?unsent&billingRun=${run.id}`);
    expect(unsent.length).toBe(expectedRun.customersBilled);
    for (const invoice of unsent) {
      expectInvoiceAddsUp(invoice);
      await expectInvoiceMatchesDatabase(h, accountId, invoice);
    }
    const approved = [];
    for (const invoice of unsent) approved.push(await approve(api, invoice.id));
    return { run, byCustomer: new Map(approved.map((i) => [i.customerID, i])) };
  }

  const amounts = (i: any) => ({
    invoiceAmount: i.invoiceAmount,
    invoiceVAT: i.invoiceVAT,
    invoiceReverseVAT: i.invoiceReverseVAT,
    total: i.total,
    invoiceChargesRecurring: i.invoiceChargesRecurring,
    invoiceChargesOneOff: i.invoiceChargesOneOff,
    invoiceChargesRefunds: i.invoiceChargesRefunds,
    invoiceChargesCalls: i.invoiceChargesCalls,
    invoiceCallCount: i.invoiceCallCount,
    invoiceCallMinutes: i.invoiceCallMinutes,
    invoiceDate: i.invoiceDate,
    dueDate: i.dueDate,
  });
  const zero = {
    invoiceChargesRefunds: '0.00',
    invoiceChargesCalls: '0.00',
    invoiceCallCount: 0,
    invoiceCallMinutes: 0,
    invoiceReverseVAT: '0.00',
  };

  it('charges every period exactly once and every invoice adds up', async () => {
    // ---- 20 Oct 2026: the set-up.
    h.setNow(new Date('2026-10-20T10:00:00.000Z'));
    const { api, id: accountId } = await h.account({ timezone: 'Europe/London' });
    expect((await api.patch('/account', { invoicePrefix: 'INV-' })).status).toBe(200);
    const alpha = await makeCustomer(api, { name: 'Alpha Dental' });
    const mainLine = await makeFeature(api, alpha.id, {
      name: 'Main line',
      recurringValue: '25.00',
      billing: 'advance',
      startDate: '2026-10-15',
    });
    const support = await makeFeature(api, alpha.id, {
      name: 'Support',
      recurringValue: '12.00',
      billing: 'advance',
      startDate: '2026-10-01',
    });
    const beta = await makeCustomer(api, { name: 'Beta Logistics' });
    const trunk = await makeFeature(api, beta.id, {
      name: 'SIP trunk',
      recurringValue: '40.00',
      billing: 'arrears',
      startDate: '2026-10-01',
    });
    const installation = await post(api, `/features/${trunk.id}/transactions`, {
      transactionValue: '50.00',
      transactionDescription: 'Installation',
    });
    const gamma = await makeCustomer(api, { name: 'Gamma GmbH', reverseCharge: true });
    const licence = await makeFeature(api, gamma.id, {
      name: 'Licence',
      recurringValue: '90.00',
      recurringFrequency: 'quarterly',
      billing: 'advance',
      startDate: '2026-10-01',
    });

    // ---- 1 Nov: November's run (no body: the cut-off is the first of the current month, 1 Nov).
    //   Alpha: Main line 15-31 Oct 25 x 17/31 = 13.709.. -> 13.71, November 25.00; Support October and
    //          November 12.00 + 12.00. Net 62.71, VAT 12.542 -> 12.54, total 75.25.
    //   Beta:  SIP trunk October in arrears 40.00, installation 50.00. Net 90.00, VAT 18.00, total 108.00.
    //   Gamma: Licence Q4 (Oct-Dec) in advance 90.00; reverse charge: VAT 0, reverse VAT 18.00, total 90.00.
    //   Beta's invoice existed already (made by its installation charge): two made by the run.
    h.setNow(new Date('2026-11-01T09:00:00.000Z'));
    const november = await billAndApprove(api, accountId, undefined, {
      cutoffDate: '2026-11-01',
      customersBilled: 3,
      invoicesCreated: 2,
    });
    const dates = { invoiceDate: '2026-11-01', dueDate: '2026-12-01' };
    expect(amounts(november.byCustomer.get(alpha.id))).toEqual({
      ...zero,
      ...dates,
      invoiceAmount: '62.71',
      invoiceVAT: '12.54',
      total: '75.25',
      invoiceChargesRecurring: '62.71',
      invoiceChargesOneOff: '0.00',
    });
    expect(amounts(november.byCustomer.get(beta.id))).toEqual({
      ...zero,
      ...dates,
      invoiceAmount: '90.00',
      invoiceVAT: '18.00',
      total: '108.00',
      invoiceChargesRecurring: '40.00',
      invoiceChargesOneOff: '50.00',
    });
    expect(amounts(november.byCustomer.get(gamma.id))).toEqual({
      ...zero,
      ...dates,
      invoiceAmount: '90.00',
      invoiceVAT: '0.00',
      invoiceReverseVAT: '18.00',
      total: '90.00',
      invoiceChargesRecurring: '90.00',
      invoiceChargesOneOff: '0.00',
    });

    // ---- 15 Nov: a refund of part of the installation, a porting charge dated 5 Dec, a handset for Alpha.
    h.setNow(new Date('2026-11-15T10:00:00.000Z'));
    const refund = await post(api, `/features/${trunk.id}/transactions`, {
      transactionType: 'refund',
      transactionValue: '20.00',
      transactionRefundedID: installation.id,
      transactionDescription: 'Installation: partial refund',
    });
    expect([refund.transactionValue, refund.transactionRefundedID]).toEqual(['-20.00', installation.id]);
    const porting = await post(api, `/features/${trunk.id}/transactions`, {
      transactionValue: '15.00',
      transactionDate: '2026-12-05',
      transactionDescription: 'Porting',
    });
    const handset = await post(api, `/features/${mainLine.id}/transactions`, {
      transactionValue: '35.00',
      transactionDescription: 'Extra handset',
    });
    // Refunding more than is left of the installation (30.00) is refused.
    expect(
      (
        await api.post(`/features/${trunk.id}/transactions`, {
          transactionType: 'refund',
          transactionValue: '30.01',
          transactionRefundedID: installation.id,
        })
      ).status,
    ).toBe(400);

    // ---- 25 Nov: Alpha's support ends on 20 Nov; it was billed in advance to 30 Nov.
    h.setNow(new Date('2026-11-25T10:00:00.000Z'));
    expect((await api.patch(`/features/${support.id}`, { endDate: '2026-11-20' })).status).toBe(200);
    // ---- 30 Nov: November's calls for Beta, summarised.
    h.setNow(new Date('2026-11-30T18:00:00.000Z'));
    await post(api, `/features/${trunk.id}/transactions`, {
      transactionType: 'calls',
      transactionValue: '7.25',
      transactionCallCount: 120,
      transactionCallMinutes: 340,
      transactionStartDate: '2026-11-01',
      transactionEndDate: '2026-11-30',
    });

    // ---- 1 Dec: December's run.
    //   Alpha: Main line December 25.00; Support credit for 21-30 Nov 12 x 10/30 = -4.00; handset 35.00.
    //          Recurring 21.00, one-off 35.00; net 56.00, VAT 11.20, total 67.20.
    //   Beta:  SIP trunk November in arrears 40.00, refund -20.00, calls 7.25 (120 calls, 340 minutes).
    //          Net 27.25, VAT 5.45, total 32.70. The porting charge (5 Dec) waits for January.
    //   Gamma: billed to the end of the year already: no invoice.
    //   Alpha's and Beta's invoices existed (made by the November charges): none made by the run.
    h.setNow(new Date('2026-12-01T09:00:00.000Z'));
    const december = await billAndApprove(
      api,
      accountId,
      { cutoffDate: '2026-12-01' },
      { cutoffDate: '2026-12-01', customersBilled: 2, invoicesCreated: 0 },
    );
    const decDates = { invoiceDate: '2026-12-01', dueDate: '2026-12-31' };
    expect(amounts(december.byCustomer.get(alpha.id))).toEqual({
      ...zero,
      ...decDates,
      invoiceAmount: '56.00',
      invoiceVAT: '11.20',
      total: '67.20',
      invoiceChargesRecurring: '21.00',
      invoiceChargesOneOff: '35.00',
    });
    expect(amounts(december.byCustomer.get(beta.id))).toEqual({
      ...decDates,
      invoiceAmount: '27.25',
      invoiceVAT: '5.45',
      invoiceReverseVAT: '0.00',
      total: '32.70',
      invoiceChargesRecurring: '40.00',
      invoiceChargesOneOff: '0.00',
      invoiceChargesRefunds: '-20.00',
      invoiceChargesCalls: '7.25',
      invoiceCallCount: 120,
      invoiceCallMinutes: 340,
    });
    expect(december.byCustomer.get(beta.id).invoiceChargesNonCall).toBe('20.00');
    expect(december.byCustomer.has(gamma.id)).toBe(false);
    expect((await get(api, `/transactions/${porting.id}`)).invoiceID).toBeNull();
    expect((await get(api, `/transactions/${handset.id}`)).invoiceID).toBe(
      december.byCustomer.get(alpha.id).id,
    );
    expect((await get(api, `/transactions/${refund.id}`)).invoiceID).toBe(
      december.byCustomer.get(beta.id).id,
    );

    // ---- 1 Jan 2027: January's run, run twice (the second bills nothing more).
    //   Alpha: Main line January 25.00 (Support has ended and been credited). Net 25.00, VAT 5.00, total 30.00.
    //   Beta:  SIP trunk December 40.00, porting 15.00. Net 55.00, VAT 11.00, total 66.00.
    //   Gamma: Licence Q1 2027 90.00, reverse VAT 18.00, total 90.00.
    h.setNow(new Date('2027-01-01T09:00:00.000Z'));
    const firstJanuaryRun = await post(api, '/billingRuns', { cutoffDate: '2027-01-01' });
    const rowsAfterFirstRun = await dbTransactions(h, accountId);
    expect([firstJanuaryRun.customersBilled, firstJanuaryRun.invoicesCreated]).toEqual([3, 3]);
    const january = await billAndApprove(
      api,
      accountId,
      { cutoffDate: '2027-01-01' },
      { cutoffDate: '2027-01-01', customersBilled: 3, invoicesCreated: 0 },
    );
    expect((await dbTransactions(h, accountId)).map((t) => [t.id, t.invoice_id, t.value])).toEqual(
      rowsAfterFirstRun.map((t) => [t.id, t.invoice_id, t.value]),
    );
    const janDates = { invoiceDate: '2027-01-01', dueDate: '2027-01-31' };
    expect(amounts(january.byCustomer.get(alpha.id))).toEqual({
      ...zero,
      ...janDates,
      invoiceAmount: '25.00',
      invoiceVAT: '5.00',
      total: '30.00',
      invoiceChargesRecurring: '25.00',
      invoiceChargesOneOff: '0.00',
    });
    expect(amounts(january.byCustomer.get(beta.id))).toEqual({
      ...zero,
      ...janDates,
      invoiceAmount: '55.00',
      invoiceVAT: '11.00',
      total: '66.00',
      invoiceChargesRecurring: '40.00',
      invoiceChargesOneOff: '15.00',
    });
    expect(amounts(january.byCustomer.get(gamma.id))).toEqual({
      ...zero,
      ...janDates,
      invoiceAmount: '90.00',
      invoiceVAT: '0.00',
      invoiceReverseVAT: '18.00',
      total: '90.00',
      invoiceChargesRecurring: '90.00',
      invoiceChargesOneOff: '0.00',
    });

    // ---- Across the cycle.
    const invoices = await getAll(api, '/invoices?includeUnsent');
    expect(invoices.length).toBe(8);
    expect(invoices.every((i: any) => i.status[0] === 'approved')).toBe(true);
    expect(
      invoices
        .map((i: any) => i.invoiceNumber)
        .sort((a: string, b: string) => Number(a.slice(4)) - Number(b.slice(4))),
    ).toEqual(['INV-1', 'INV-2', 'INV-3', 'INV-4', 'INV-5', 'INV-6', 'INV-7', 'INV-8']);
    for (const invoice of invoices) {
      expectInvoiceAddsUp(invoice);
      await expectInvoiceMatchesDatabase(h, accountId, invoice);
    }
    const totals = async (customerId: string) =>
      (await get(api, `/customers/${customerId}/invoices`)).map((i: any) => i.total);
    expect(await totals(alpha.id)).toEqual(['75.25', '67.20', '30.00']);
    expect(await totals(beta.id)).toEqual(['108.00', '32.70', '66.00']);
    expect(await totals(gamma.id)).toEqual(['90.00', '90.00']);
    expect(m2(sum(invoices.map((i: any) => i.total)))).toBe('559.15');

    // Every charge is on a raised invoice: nothing unsent, nothing waiting.
    expect(await get(api, '/transactions?unsent')).toEqual([]);
    const everything = await getAll(api, '/transactions?includeUnsent');
    expect(everything).toEqual(await getAll(api, '/transactions'));
    expect(everything.every((t: any) => t.invoiceID !== null)).toBe(true);

    // Each period of each feature charged exactly once (credits cancel the days given back).
    const recurring = async (featureId: string) =>
      (await getAll(api, `/features/${featureId}/transactions`)).filter(
        (t: any) => t.transactionType === 'recurring',
      );
    const mainLineCharges = await recurring(mainLine.id);
    expect(coverage(mainLineCharges)).toEqual(once('2026-10-15', '2027-01-31'));
    expect(m2(sum(mainLineCharges.map((t: any) => t.transactionValue)))).toBe('88.71'); // 13.71 + 3 x 25.00
    const supportCharges = await recurring(support.id);
    expect(coverage(supportCharges)).toEqual(once('2026-10-01', '2026-11-20'));
    expect(
      supportCharges.map((t: any) => [
        t.transactionDescription,
        t.transactionStartDate,
        t.transactionEndDate,
        t.transactionValue,
        t.invoiceID,
      ]),
    ).toEqual([
      [
        'Support monthly 2026-10-01 to 2026-10-31',
        '2026-10-01',
        '2026-10-31',
        '12.00',
        november.byCustomer.get(alpha.id).id,
      ],
      [
        'Support monthly 2026-11-01 to 2026-11-30',
        '2026-11-01',
        '2026-11-30',
        '12.00',
        november.byCustomer.get(alpha.id).id,
      ],
      [
        'Support credit 2026-11-21 to 2026-11-30',
        '2026-11-21',
        '2026-11-30',
        '-4.00',
        december.byCustomer.get(alpha.id).id,
      ],
    ]);
    const trunkCharges = await recurring(trunk.id);
    expect(coverage(trunkCharges)).toEqual(once('2026-10-01', '2026-12-31')); // arrears: January not yet
    expect(m2(sum(trunkCharges.map((t: any) => t.transactionValue)))).toBe('120.00');
    const licenceCharges = await recurring(licence.id);
    expect(coverage(licenceCharges)).toEqual(once('2026-10-01', '2027-03-31'));
    expect(m2(sum(licenceCharges.map((t: any) => t.transactionValue)))).toBe('180.00');
    expect(
      await Promise.all(
        [mainLine, support, trunk, licence].map(
          async (f) => (await get(api, `/features/${f.id}`)).billedUntil,
        ),
      ),
    ).toEqual(['2027-02-01', '2026-11-21', '2027-01-01', '2027-04-01']);

    // The refund sits on Beta's December invoice and names the installation it refunds.
    expect(await get(api, `/transactions/${refund.id}`)).toMatchObject({
      transactionType: 'refund',
      transactionValue: '-20.00',
      transactionRefundedID: installation.id,
      invoiceID: december.byCustomer.get(beta.id).id,
    });
    // Raised invoices are frozen: their charges can no longer change.
    expect((await api.patch(`/transactions/${refund.id}`, { transactionValue: '1.00' })).status).toBe(409);
  });
});
