// Billing transactions (document 001) through HTTP: every endpoint, its parameters and field rules, with the
// full response body and then the database checked.
import { describe, expect, it } from 'vitest';
import { type Api, makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';
import {
  approve,
  dbInvoices,
  dbTransaction,
  dbTransactions,
  DOC_001_TRANSACTION_FIELDS,
  expectError,
  getAll,
  m2,
  post,
} from '../helpers/billing.ts';

const NOW = new Date('2026-11-10T12:00:00.000Z');
const NOW_ISO = NOW.toISOString();

/** A transaction view with every optional field empty; `o` fills in the rest. */
function view(o: Record<string, unknown>): Record<string, unknown> {
  return {
    id: expect.stringMatching(/^\d+$/),
    customerID: expect.any(String),
    featureID: null,
    invoiceID: null,
    transactionType: 'oneOff',
    transactionValue: '10.00',
    transactionVATRate: '20',
    transactionRefundedID: null,
    transactionDescription: null,
    transactionNotes: null,
    site: null,
    campaign: null,
    transactionCode: null,
    transactionCarrier: null,
    transactionSource: null,
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
    transactionDate: '2026-11-10',
    transactionBillDate: '2026-11-10',
    transactionStartDate: null,
    transactionEndDate: null,
    featureCount: null,
    transactionCallCount: null,
    transactionCallMinutes: null,
    created: NOW_ISO,
    updated: NOW_ISO,
    ...o,
  };
}

/** Every writable field of document 001 with a distinct value (id is assigned, not written). */
const EVERY_FIELD = {
  transactionType: 'manual',
  transactionDescription: 'Porting fee for 020 7946 0000',
  transactionNotes: 'Agreed by phone with the office manager',
  site: 'London HQ',
  campaign: 'Autumn 2026',
  transactionCode: 'PORT-01',
  featureCount: 3,
  transactionCarrier: 'BT Wholesale',
  transactionSource: 'api import',
  transactionRefundedID: null,
  transactionDate: '2026-10-20',
  transactionBillDate: '2026-10-25',
  transactionStartDate: '2026-10-01',
  transactionEndDate: '2026-10-31',
  transactionValue: '123.45',
  transactionVATRate: '17.5',
  transactionValueCarrier: '80.123456',
  transactionValueCDR: '79.5',
  transactionCallCount: 42,
  transactionCallMinutes: 317,
  transactionCommissionProfile: 'Standard',
  commissionHolder: 'Agent A',
  transactionValueCommission: '12.35',
  transactionValueCommissionTargetContribution: '1.1',
  transactionValueCommissionTargetContributionOneOff: '1.2',
  transactionValueCommissionTargetContributionRecurring: '1.3',
  transactionValueCommissionTargetContributionCalls: '1.4',
  commissionHolderID2: 'Agent B',
  transactionValueCommission2: '2.5',
  transactionValueCommissionTargetContribution2: '2.1',
  transactionValueCommissionTargetContributionOneOff2: '2.2',
  transactionValueCommissionTargetContributionRecurring2: '2.3',
  transactionValueCommissionTargetContributionCalls2: '2.4',
  transactionCommissionProfileCommissionType: 'percentage',
  transactionCommissionProfileCommissionValue: '10',
};

/** The same fields, all changed. */
/**
 * A transaction's fields as the API shows them: Currency fields with at least the currency's two decimals
 * ("79.5" is shown "79.50", finer values as they are), the commission profile value as a Number.
 */
function shown(fields: Record<string, unknown>): Record<string, any> {
  const out: Record<string, any> = { ...fields };
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value !== 'string' || key === 'transactionValue') continue;
    if (key === 'transactionCommissionProfileCommissionValue') out[key] = Number(value);
    else if (/^transactionValue/.test(key)) {
      const [whole, decimals = ''] = value.split('.');
      out[key] = `${whole}.${decimals.padEnd(2, '0')}`;
    }
  }
  return out;
}

const EVERY_FIELD_CHANGED = {
  transactionType: 'carrierProvided',
  transactionDescription: 'Carrier line rental',
  transactionNotes: 'Re-billed from the carrier invoice',
  site: 'Leeds',
  campaign: 'Winter 2026',
  transactionCode: 'CARR-02',
  featureCount: 7,
  transactionCarrier: 'Gamma',
  transactionSource: 'carrier file',
  transactionRefundedID: null,
  transactionDate: '2026-10-21',
  transactionBillDate: '2026-10-26',
  transactionStartDate: '2026-10-02',
  transactionEndDate: '2026-10-30',
  transactionValue: '99.99',
  transactionVATRate: '5',
  transactionValueCarrier: '70.000001',
  transactionValueCDR: '69',
  transactionCallCount: 0,
  transactionCallMinutes: 0,
  transactionCommissionProfile: 'Premium',
  commissionHolder: 'Agent C',
  transactionValueCommission: '9.99',
  transactionValueCommissionTargetContribution: '3.1',
  transactionValueCommissionTargetContributionOneOff: '3.2',
  transactionValueCommissionTargetContributionRecurring: '3.3',
  transactionValueCommissionTargetContributionCalls: '3.4',
  commissionHolderID2: 'Agent D',
  transactionValueCommission2: '4.5',
  transactionValueCommissionTargetContribution2: '4.1',
  transactionValueCommissionTargetContributionOneOff2: '4.2',
  transactionValueCommissionTargetContributionRecurring2: '4.3',
  transactionValueCommissionTargetContributionCalls2: '4.4',
  transactionCommissionProfileCommissionType: 'fixed',
  transactionCommissionProfileCommissionValue: '2.75',
};

describe('billing transactions (document 001)', () => {
  const h = useHarness();

  async function setup(options: { timezone?: string; currency?: string } = {}) {
    h.setNow(NOW);
    const account = await h.account(options);
    const customer = await makeCustomer(account.api);
    const feature = await makeFeature(account.api, customer.id);
    return { ...account, customer, feature };
  }

  async function getInvoice(api: Api, id: string): Promise<any> {
    const res = await api.get(`/invoices/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  describe('POST /features/ID/transactions', () => {
    it("puts the charge on the customer's unsent invoice, made when there is none, with the documented defaults", async () => {
      // 12:00 UTC on 10 Nov is 01:00 on 11 Nov in Auckland (NZDT, UTC+13): "today" is the account's date.
      const { api, id: accountId, customer, feature } = await setup({ timezone: 'Pacific/Auckland' });
      expect((await dbInvoices(h, accountId)).length).toBe(0);

      const res = await api.post(`/features/${feature.id}/transactions`, { transactionValue: '10.00' });
      expect(res.status).toBe(201);
      const invoices = await dbInvoices(h, accountId);
      expect(invoices.length).toBe(1);
      const invoice = invoices[0]!;
      expect(res.body).toEqual(
        view({
          customerID: customer.id,
          featureID: feature.id,
          invoiceID: String(invoice.id),
          transactionType: 'oneOff', // default type
          transactionVATRate: '20', // the account's default (the feature has none)
          transactionDate: '2026-11-11', // today in Pacific/Auckland, not the UTC date
          transactionBillDate: '2026-11-11', // bill date = transaction date
        }),
      );
      for (const field of DOC_001_TRANSACTION_FIELDS) expect(res.body).toHaveProperty(field);

      // The database: the row as entered, and an unsent invoice for the customer whose totals include it.
      const row = await dbTransaction(h, accountId, Number(res.body.id));
      expect(row).toMatchObject({
        customer_id: Number(customer.id),
        feature_id: Number(feature.id),
        invoice_id: invoice.id,
        origin: 'api',
        pinned: false,
        transaction_type: 'oneOff',
        transaction_date: '2026-11-11',
        bill_date: '2026-11-11',
      });
      expect(m2(row!.value)).toBe('10.00');
      expect(m2(row!.vat_rate)).toBe('20.00');
      expect(invoice.customer_id).toBe(Number(customer.id));
      expect(invoice.approved_at).toBeNull();
      expect(invoice.cutoff_date).toBeNull();
      expect((await getInvoice(api, String(invoice.id))).invoiceAmount).toBe('10.00');

      // A second charge goes on the same unsent invoice: still one invoice, totals follow.
      const second = await post(api, `/features/${feature.id}/transactions`, { transactionValue: '2.50' });
      expect(second.invoiceID).toBe(String(invoice.id));
      expect((await dbInvoices(h, accountId)).length).toBe(1);
      const after = await getInvoice(api, String(invoice.id));
      expect([after.invoiceAmount, after.invoiceVAT, after.total]).toEqual(['12.50', '2.50', '15.00']);
    });

    it("takes the VAT rate from the feature, else from the account's default; an explicit rate wins", async () => {
      const { api, customer } = await setup({ timezone: 'America/Los_Angeles' });
      // 12:00 UTC is 04:00 in Los Angeles: still 10 Nov there.
      const withRate = await makeFeature(api, customer.id, { name: 'Reduced-rate line', vatRate: '5' });
      const plain = await makeFeature(api, customer.id, { name: 'Standard line' });
      expect(
        (await post(api, `/features/${withRate.id}/transactions`, { transactionValue: '1.00' }))
          .transactionVATRate,
      ).toBe('5');
      expect(
        (await post(api, `/features/${plain.id}/transactions`, { transactionValue: '1.00' }))
          .transactionVATRate,
      ).toBe('20');
      expect(
        (
          await post(api, `/features/${withRate.id}/transactions`, {
            transactionValue: '1.00',
            transactionVATRate: '0',
          })
        ).transactionVATRate,
      ).toBe('0');
      expect((await api.patch('/account', { defaultVatRate: '17.5' })).status).toBe(200);
      const later = await post(api, `/features/${plain.id}/transactions`, { transactionValue: '1.00' });
      expect(later).toEqual(
        view({
          customerID: customer.id,
          featureID: plain.id,
          invoiceID: later.invoiceID,
          transactionValue: '1.00',
          transactionVATRate: '17.5',
        }),
      );
    });

    it('defaults the bill date to an explicit transaction date, and keeps an explicit bill date', async () => {
      const { api, feature } = await setup();
      const dated = await post(api, `/features/${feature.id}/transactions`, {
        transactionValue: '1.00',
        transactionDate: '2026-09-30',
      });
      expect([dated.transactionDate, dated.transactionBillDate]).toEqual(['2026-09-30', '2026-09-30']);
      const billed = await post(api, `/features/${feature.id}/transactions`, {
        transactionValue: '1.00',
        transactionBillDate: '2026-12-01',
      });
      expect([billed.transactionDate, billed.transactionBillDate]).toEqual(['2026-11-10', '2026-12-01']);
    });

    it("lets a charge dated on or after the unsent invoice's completed cut-off wait, unbilled", async () => {
      const { api, id: accountId, customer, feature } = await setup();
      const early = await post(api, `/features/${feature.id}/transactions`, {
        transactionValue: '5.00',
        transactionDate: '2026-10-20',
      });
      const invoice = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      expect(invoice.id).toBe(early.invoiceID);
      expect(invoice.invoiceAmount).toBe('5.00');

      // Bill date before the cut-off: on the invoice. On the cut-off or after: waits with invoiceID null.
      const before = await post(api, `/features/${feature.id}/transactions`, {
        transactionValue: '1.00',
        transactionDate: '2026-10-31',
      });
      const onCutoff = await post(api, `/features/${feature.id}/transactions`, {
        transactionValue: '2.00',
        transactionDate: '2026-11-01',
      });
      const after = await post(api, `/features/${feature.id}/transactions`, { transactionValue: '3.00' }); // today, 10 Nov
      // The bill date decides, not the transaction date.
      const billedLater = await post(api, `/features/${feature.id}/transactions`, {
        transactionValue: '4.00',
        transactionDate: '2026-10-15',
        transactionBillDate: '2026-11-15',
      });
      expect(before.invoiceID).toBe(invoice.id);
      expect(onCutoff).toEqual(
        view({
          customerID: customer.id,
          featureID: feature.id,
          invoiceID: null,
          transactionValue: '2.00',
          transactionDate: '2026-11-01',
          transactionBillDate: '2026-11-01',
        }),
      );
      expect(after.invoiceID).toBeNull();
      expect(billedLater.invoiceID).toBeNull();

      expect((await getInvoice(api, invoice.id)).invoiceAmount).toBe('6.00'); // 5.00 + 1.00
      const waiting = (await dbTransactions(h, accountId))
        .filter((t) => t.invoice_id === null)
        .map((t) => t.id);
      expect(waiting).toEqual([Number(onCutoff.id), Number(after.id), Number(billedLater.id)]);
      // Still a single unsent invoice: the waiting charges did not make another.
      expect((await dbInvoices(h, accountId)).length).toBe(1);
    });

    it('with a transaction cut-off on the unsent invoice, the transaction date decides', async () => {
      const { api, customer, feature } = await setup();
      const invoice = await post(api, `/customers/${customer.id}/invoices`, {
        cutoffDate: '2026-11-01',
        transactionCutoffDate: '2026-11-01',
      });
      const inside = await post(api, `/features/${feature.id}/transactions`, {
        transactionValue: '1.00',
        transactionDate: '2026-10-31',
        transactionBillDate: '2026-12-01',
      });
      const outside = await post(api, `/features/${feature.id}/transactions`, {
        transactionValue: '2.00',
        transactionDate: '2026-11-01',
        transactionBillDate: '2026-10-01',
      });
      expect(inside.invoiceID).toBe(invoice.id);
      expect(outside.invoiceID).toBeNull();
    });
  });

  describe('POST /invoices/ID/transactions', () => {
    it('adds the charge to an unsent invoice whatever its date, and the invoice totals follow', async () => {
      const { api, id: accountId, customer } = await setup();
      const invoice = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      const res = await api.post(`/invoices/${invoice.id}/transactions`, {
        transactionType: 'lateFee',
        transactionValue: '7.50',
        transactionDate: '2026-11-20', // after the cut-off: posted to the invoice, it stays on it
        transactionDescription: 'Late payment fee',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(
        view({
          customerID: customer.id,
          invoiceID: invoice.id,
          transactionType: 'lateFee',
          transactionValue: '7.50',
          transactionDescription: 'Late payment fee',
          transactionDate: '2026-11-20',
          transactionBillDate: '2026-11-20',
        }),
      );
      const row = await dbTransaction(h, accountId, Number(res.body.id));
      expect(row).toMatchObject({ invoice_id: Number(invoice.id), pinned: true, feature_id: null });
      const after = await getInvoice(api, invoice.id);
      expect([after.invoiceChargesLate, after.invoiceAmount, after.invoiceVAT, after.total]).toEqual([
        '7.50',
        '7.50',
        '1.50',
        '9.00',
      ]);

      // Completing the invoice again for the same cut-off keeps it there.
      const again = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      expect(again.id).toBe(invoice.id);
      expect(again.invoiceAmount).toBe('7.50');
    });

    it('refuses an approved invoice with 409 409001 and adds nothing', async () => {
      const { api, id: accountId, feature } = await setup();
      const charge = await post(api, `/features/${feature.id}/transactions`, { transactionValue: '10.00' });
      await approve(api, charge.invoiceID);
      const before = await dbTransactions(h, accountId);
      const res = await api.post(`/invoices/${charge.invoiceID}/transactions`, { transactionValue: '1.00' });
      expectError(res, 409, 409001, /approved/);
      expect(res.body.error).toBe('Invoice Approved');
      expect(await dbTransactions(h, accountId)).toEqual(before);
      expect((await getInvoice(api, charge.invoiceID)).invoiceAmount).toBe('10.00');
    });
  });

  describe('fields', () => {
    it('round-trips every field of the table through POST, GET and PATCH, and stores each in its column', async () => {
      const { api, id: accountId, customer, feature } = await setup();
      const created = await api.post(`/features/${feature.id}/transactions`, EVERY_FIELD);
      expect(created.status).toBe(201);
      const expected = {
        ...shown(EVERY_FIELD),
        id: created.body.id,
        customerID: customer.id,
        featureID: feature.id,
        invoiceID: created.body.invoiceID,
        created: NOW_ISO,
        updated: NOW_ISO,
      };
      expect(created.body).toEqual(expected);
      expect(Object.keys(created.body).sort()).toEqual(
        [...DOC_001_TRANSACTION_FIELDS, 'customerID', 'featureID', 'invoiceID', 'created', 'updated'].sort(),
      );
      const fetched = await api.get(`/transactions/${created.body.id}`);
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(expected);

      const row = (await dbTransaction(h, accountId, Number(created.body.id)))!;
      expect(row).toMatchObject({
        transaction_type: 'manual',
        description: 'Porting fee for 020 7946 0000',
        notes: 'Agreed by phone with the office manager',
        site: 'London HQ',
        campaign: 'Autumn 2026',
        transaction_code: 'PORT-01',
        feature_count: 3,
        carrier: 'BT Wholesale',
        source: 'api import',
        refunded_id: null,
        transaction_date: '2026-10-20',
        bill_date: '2026-10-25',
        start_date: '2026-10-01',
        end_date: '2026-10-31',
        call_count: 42,
        call_minutes: 317,
        commission_profile: 'Standard',
        commission_holder: 'Agent A',
        commission_holder2: 'Agent B',
        commission_profile_type: 'percentage',
      });
      expect(
        [
          row.value,
          row.vat_rate,
          row.value_carrier,
          row.value_cdr,
          row.value_commission,
          row.value_commission_target_contribution,
          row.value_commission_target_contribution_one_off,
          row.value_commission_target_contribution_recurring,
          row.value_commission_target_contribution_calls,
          row.value_commission2,
          row.value_commission_target_contribution2,
          row.value_commission_target_contribution_one_off2,
          row.value_commission_target_contribution_recurring2,
          row.value_commission_target_contribution_calls2,
          row.commission_profile_value,
        ].map((v) => Number(v)), // comparing stored NUMERICs; the view above already checked the exact strings
      ).toEqual([123.45, 17.5, 80.123456, 79.5, 12.35, 1.1, 1.2, 1.3, 1.4, 2.5, 2.1, 2.2, 2.3, 2.4, 10]);

      // PATCH every field; the clock moves so `updated` changes and `created` does not.
      const later = new Date('2026-11-10T13:00:00.000Z');
      h.setNow(later);
      const patched = await api.patch(`/transactions/${created.body.id}`, EVERY_FIELD_CHANGED);
      expect(patched.status).toBe(200);
      const shownChanged = shown(EVERY_FIELD_CHANGED);
      expect([shownChanged.transactionValueCDR, shownChanged.transactionValueCarrier]).toEqual([
        '69.00',
        '70.000001',
      ]);
      const expectedPatched = { ...expected, ...shownChanged, updated: later.toISOString() };
      expect(patched.body).toEqual(expectedPatched);
      expect((await api.get(`/transactions/${created.body.id}`)).body).toEqual(expectedPatched);
      const patchedRow = (await dbTransaction(h, accountId, Number(created.body.id)))!;
      expect(patchedRow).toMatchObject({
        transaction_type: 'carrierProvided',
        carrier: 'Gamma',
        call_count: 0,
        end_date: '2026-10-30',
      });

      // Optional fields clear with null.
      const cleared = await api.patch(`/transactions/${created.body.id}`, {
        transactionDescription: null,
        transactionStartDate: null,
        transactionEndDate: null,
        transactionValueCarrier: null,
        featureCount: null,
        commissionHolderID2: null,
      });
      expect(cleared.status).toBe(200);
      expect(cleared.body).toEqual({
        ...expectedPatched,
        transactionDescription: null,
        transactionStartDate: null,
        transactionEndDate: null,
        transactionValueCarrier: null,
        featureCount: null,
        commissionHolderID2: null,
      });
      expect((await dbTransaction(h, accountId, Number(created.body.id)))!).toMatchObject({
        description: null,
        value_carrier: null,
        feature_count: null,
      });
    });

    it('accepts every preset transaction type and refuses others', async () => {
      const { api, feature } = await setup();
      const types = [
        'oneOff',
        'recurring',
        'calls',
        'refund',
        'lateFee',
        'interest',
        'carrierProvided',
        'manualBilling',
        'lowUsage',
        'manual',
        'discount',
      ];
      for (const transactionType of types) {
        const t = await post(api, `/features/${feature.id}/transactions`, {
          transactionType,
          transactionValue: '1.00',
        });
        expect([t.transactionType, t.transactionValue]).toEqual([
          transactionType,
          transactionType === 'refund' || transactionType === 'discount' ? '-1.00' : '1.00',
        ]);
      }
      const res = await api.post(`/features/${feature.id}/transactions`, {
        transactionType: 'bonus',
        transactionValue: '1.00',
      });
      expectError(res, 400, 400001, /transactionType/);
    });

    it("refuses a transactionValue finer than the currency's minor unit, naming the field, and stores nothing", async () => {
      const { api, id: accountId, feature } = await setup();
      for (const transactionValue of ['10.001', '0.005', 10.001]) {
        const res = await api.post(`/features/${feature.id}/transactions`, { transactionValue });
        expectError(res, 400, 400001, /^transactionValue: .*2 decimal places/);
      }
      expect(await dbTransactions(h, accountId)).toEqual([]);
      expect(await dbInvoices(h, accountId)).toEqual([]);

      const ok = await post(api, `/features/${feature.id}/transactions`, { transactionValue: 10.5 });
      expect(ok.transactionValue).toBe('10.50');
      const bad = await api.patch(`/transactions/${ok.id}`, { transactionValue: '10.555' });
      expectError(bad, 400, 400001, /^transactionValue/);
      expect(m2((await dbTransaction(h, accountId, Number(ok.id)))!.value)).toBe('10.50');

      // Other malformed amounts and fields name themselves too.
      expectError(
        await api.post(`/features/${feature.id}/transactions`, { transactionValue: 'ten' }),
        400,
        400001,
        /^transactionValue/,
      );
      expectError(
        await api.post(`/features/${feature.id}/transactions`, {}),
        400,
        400001,
        /transactionValue/,
      );
      expectError(
        await api.post(`/features/${feature.id}/transactions`, {
          transactionValue: '1.00',
          transactionValueCarrier: '1.1234567',
        }),
        400,
        400001,
        /^transactionValueCarrier/,
      );
      expectError(
        await api.post(`/features/${feature.id}/transactions`, {
          transactionValue: '1.00',
          transactionVATRate: '101',
        }),
        400,
        400001,
        /transactionVATRate/,
      );
      expectError(
        await api.post(`/features/${feature.id}/transactions`, {
          transactionValue: '1.00',
          transactionDate: '2026-02-30',
        }),
        400,
        400001,
        /transactionDate/,
      );
      expectError(
        await api.post(`/features/${feature.id}/transactions`, {
          transactionValue: '1.00',
          transactionStartDate: '2026-10-31',
          transactionEndDate: '2026-10-01',
        }),
        400,
        400001,
        /transactionEndDate/,
      );
      expectError(
        await api.post(`/features/${feature.id}/transactions`, {
          transactionValue: '1.00',
          featureCount: -1,
        }),
        400,
        400001,
        /featureCount/,
      );
      expectError(
        await api.post(`/features/${feature.id}/transactions`, { transactionValue: '1.00', colour: 'red' }),
        400,
        400001,
        /colour/,
      );
      expect((await dbTransactions(h, accountId)).length).toBe(1);
    });

    it('refuses a value of a trillion or more with a 400 (not an overflow 500), and totals the largest exactly', async () => {
      const { api, id: accountId, feature } = await setup();
      for (const transactionValue of ['99999999999999.99', '1000000000000.00', '-1000000000000']) {
        expectError(
          await api.post(`/features/${feature.id}/transactions`, { transactionValue }),
          400,
          400001,
          /^transactionValue/,
        );
      }
      expect(await dbTransactions(h, accountId)).toEqual([]);
      // The largest: 999,999,999,999.99 + VAT 199,999,999,999.998 -> 200,000,000,000.00, twice on one invoice.
      const largest = await post(api, `/features/${feature.id}/transactions`, {
        transactionValue: '999999999999.99',
      });
      await post(api, `/features/${feature.id}/transactions`, { transactionValue: '999999999999.99' });
      const invoice = await getInvoice(api, largest.invoiceID);
      expect([invoice.invoiceAmount, invoice.invoiceVAT, invoice.total]).toEqual([
        '1999999999999.98',
        '400000000000.00',
        '2399999999999.98',
      ]);
      expectError(
        await api.patch(`/transactions/${largest.id}`, { transactionValue: '1000000000000' }),
        400,
        400001,
        /^transactionValue/,
      );
    });

    it('follows the minor unit of the currency: whole yen, three-decimal dinar', async () => {
      const yen = await setup({ currency: 'JPY' });
      expectError(
        await yen.api.post(`/features/${yen.feature.id}/transactions`, { transactionValue: '100.5' }),
        400,
        400001,
        /^transactionValue: .*0 decimal places/,
      );
      expect(
        (await post(yen.api, `/features/${yen.feature.id}/transactions`, { transactionValue: '1500' }))
          .transactionValue,
      ).toBe('1500');
      const dinar = await setup({ currency: 'BHD' });
      expect(
        (await post(dinar.api, `/features/${dinar.feature.id}/transactions`, { transactionValue: '1.234' }))
          .transactionValue,
      ).toBe('1.234');
      expectError(
        await dinar.api.post(`/features/${dinar.feature.id}/transactions`, { transactionValue: '1.2345' }),
        400,
        400001,
        /^transactionValue/,
      );
    });
  });

  describe('refunds', () => {
    it('stores refunds and discounts negative and never refunds more than the charge', async () => {
      const { api, id: accountId, customer, feature } = await setup();
      const charge = await post(api, `/features/${feature.id}/transactions`, {
        transactionValue: '30.00',
        transactionDescription: 'Handset',
      });
      const refund = await post(api, `/features/${feature.id}/transactions`, {
        transactionType: 'refund',
        transactionValue: '10.00',
        transactionRefundedID: charge.id,
      });
      expect(refund).toEqual(
        view({
          customerID: customer.id,
          featureID: feature.id,
          invoiceID: charge.invoiceID,
          transactionType: 'refund',
          transactionValue: '-10.00',
          transactionRefundedID: charge.id,
        }),
      );
      const row = (await dbTransaction(h, accountId, Number(refund.id)))!;
      expect([m2(row.value), row.refunded_id]).toEqual(['-10.00', Number(charge.id)]);

      // 10.00 refunded so far of 30.00: 20.01 more is too much, 20.00 is exactly the rest, then nothing is left.
      const tooMuch = await api.post(`/features/${feature.id}/transactions`, {
        transactionType: 'refund',
        transactionValue: '20.01',
        transactionRefundedID: charge.id,
      });
      expectError(tooMuch, 400, 400001, /^transactionValue: .*30\.01|^transactionValue/);
      const rest = await post(api, `/features/${feature.id}/transactions`, {
        transactionType: 'refund',
        transactionValue: '-20.00',
        transactionRefundedID: Number(charge.id),
      });
      expect(rest.transactionValue).toBe('-20.00');
      expectError(
        await api.post(`/features/${feature.id}/transactions`, {
          transactionType: 'refund',
          transactionValue: '0.01',
          transactionRefundedID: charge.id,
        }),
        400,
        400001,
        /^transactionValue/,
      );
      // Raising a refund through PATCH is checked the same way.
      expectError(
        await api.patch(`/transactions/${refund.id}`, { transactionValue: '10.01' }),
        400,
        400001,
        /^transactionValue/,
      );
      expect(m2((await dbTransaction(h, accountId, Number(refund.id)))!.value)).toBe('-10.00');

      // A discount is a credit too; a refund need not name a charge.
      expect(
        (
          await post(api, `/features/${feature.id}/transactions`, {
            transactionType: 'discount',
            transactionValue: '3.00',
          })
        ).transactionValue,
      ).toBe('-3.00');
      expect(
        (
          await post(api, `/features/${feature.id}/transactions`, {
            transactionType: 'refund',
            transactionValue: '5.00',
          })
        ).transactionValue,
      ).toBe('-5.00');
      const invoice = await getInvoice(api, charge.invoiceID);
      // 30.00 - 10.00 - 20.00 - 3.00 - 5.00 = -8.00: refunds -35.00, discounts -3.00.
      expect([
        invoice.invoiceChargesOneOff,
        invoice.invoiceChargesRefunds,
        invoice.invoiceChargesDiscount,
        invoice.invoiceAmount,
      ]).toEqual(['30.00', '-35.00', '-3.00', '-8.00']);
    });

    it('refuses a refund of something that is not a positive charge of the same customer', async () => {
      const { api, id: accountId, feature } = await setup();
      const other = await makeCustomer(api, { name: 'Other Ltd' });
      const otherFeature = await makeFeature(api, other.id);
      const othersCharge = await post(api, `/features/${otherFeature.id}/transactions`, {
        transactionValue: '10.00',
      });
      const credit = await post(api, `/features/${feature.id}/transactions`, {
        transactionType: 'refund',
        transactionValue: '1.00',
      });
      const count = (await dbTransactions(h, accountId)).length;
      for (const transactionRefundedID of [othersCharge.id, credit.id, '999999', 'abc']) {
        const res = await api.post(`/features/${feature.id}/transactions`, {
          transactionType: 'refund',
          transactionValue: '1.00',
          transactionRefundedID,
        });
        expectError(res, 400, 400001, /^transactionRefundedID/);
      }
      expect((await dbTransactions(h, accountId)).length).toBe(count);
    });

    it('keeps a refunded charge at least as large as its refunds', async () => {
      const { api, id: accountId, feature } = await setup();
      const charge = await post(api, `/features/${feature.id}/transactions`, { transactionValue: '30.00' });
      await post(api, `/features/${feature.id}/transactions`, {
        transactionType: 'refund',
        transactionValue: '20.00',
        transactionRefundedID: charge.id,
      });
      // Cutting the charge below what has been refunded would refund more than the charge.
      expectError(
        await api.patch(`/transactions/${charge.id}`, { transactionValue: '19.99' }),
        400,
        400001,
        /^transactionValue/,
      );
      expectError(
        await api.patch(`/transactions/${charge.id}`, { transactionType: 'discount' }),
        400,
        400001,
        /^transactionValue/,
      );
      expect((await api.patch(`/transactions/${charge.id}`, { transactionValue: '20.00' })).status).toBe(200);
      // Deleting it would leave refunds of nothing.
      expectError(await api.delete(`/transactions/${charge.id}`), 409, 409000, /refund/);
      expect(m2((await dbTransaction(h, accountId, Number(charge.id)))!.value)).toBe('20.00');
    });
  });

  describe('PATCH and DELETE /transactions/ID', () => {
    it('change and delete a charge while its invoice is unsent, keeping the invoice totals right', async () => {
      const { api, id: accountId, customer, feature } = await setup();
      const a = await post(api, `/features/${feature.id}/transactions`, { transactionValue: '10.00' });
      const b = await post(api, `/features/${feature.id}/transactions`, {
        transactionValue: '5.00',
        transactionVATRate: '5',
      });
      const patched = await api.patch(`/transactions/${a.id}`, {
        transactionValue: '12.00',
        transactionNotes: 'corrected',
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual(
        view({
          id: a.id,
          customerID: customer.id,
          featureID: feature.id,
          invoiceID: a.invoiceID,
          transactionValue: '12.00',
          transactionNotes: 'corrected',
        }),
      );
      // 12.00 at 20% + 5.00 at 5%: VAT 2.40 + 0.25 = 2.65.
      let invoice = await getInvoice(api, a.invoiceID);
      expect([invoice.invoiceAmount, invoice.invoiceVAT, invoice.total]).toEqual(['17.00', '2.65', '19.65']);

      const deleted = await api.delete(`/transactions/${b.id}`);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ success: true, message: `Transaction ${b.id} deleted` });
      expect(await dbTransaction(h, accountId, Number(b.id))).toBeUndefined();
      expectError(await api.get(`/transactions/${b.id}`), 404, 404001, `Transaction ${b.id} not found`);
      invoice = await getInvoice(api, a.invoiceID);
      expect([invoice.invoiceAmount, invoice.invoiceVAT, invoice.total]).toEqual(['12.00', '2.40', '14.40']);

      // An unbilled (waiting) charge can be changed and deleted too.
      await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      const waiting = await post(api, `/features/${feature.id}/transactions`, { transactionValue: '1.00' });
      expect(waiting.invoiceID).toBeNull();
      expect(
        (await api.patch(`/transactions/${waiting.id}`, { transactionValue: '2.00' })).body.transactionValue,
      ).toBe('2.00');
      expect((await api.delete(`/transactions/${waiting.id}`)).status).toBe(200);
    });

    it("place a charge again when its dates change, by the unsent invoice's cut-off, as when it was added", async () => {
      const { api, id: accountId, customer, feature } = await setup();
      const a = await post(api, `/features/${feature.id}/transactions`, {
        transactionValue: '5.00',
        transactionDate: '2026-10-20',
      });
      const invoice = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
      expect(invoice.invoiceAmount).toBe('5.00');

      // Billed on 3 Nov, after the 1 Nov cut-off: off the invoice, waiting, as a new charge with that date would.
      const moved = await api.patch(`/transactions/${a.id}`, { transactionBillDate: '2026-11-03' });
      expect(moved.status).toBe(200);
      expect(moved.body).toEqual(
        view({
          id: a.id,
          customerID: customer.id,
          featureID: feature.id,
          invoiceID: null,
          transactionValue: '5.00',
          transactionDate: '2026-10-20',
          transactionBillDate: '2026-11-03',
        }),
      );
      expect((await getInvoice(api, invoice.id)).invoiceAmount).toBe('0.00');
      // Back before the cut-off: on the invoice again.
      expect(
        (await api.patch(`/transactions/${a.id}`, { transactionBillDate: '2026-10-31' })).body.invoiceID,
      ).toBe(invoice.id);
      expect((await getInvoice(api, invoice.id)).invoiceAmount).toBe('5.00');
      // Other changes leave a charge where it is; so do date changes of a charge posted to the invoice.
      const pinned = await post(api, `/invoices/${invoice.id}/transactions`, {
        transactionValue: '1.00',
        transactionDate: '2026-10-25',
      });
      expect(
        (await api.patch(`/transactions/${pinned.id}`, { transactionBillDate: '2026-11-20' })).body.invoiceID,
      ).toBe(invoice.id);
      const rows = await dbTransactions(h, accountId);
      expect(rows.map((r) => [r.id, r.invoice_id])).toEqual([
        [Number(a.id), Number(invoice.id)],
        [Number(pinned.id), Number(invoice.id)],
      ]);
      expect((await getInvoice(api, invoice.id)).invoiceAmount).toBe('6.00');
    });

    it('refuse with 409 409001 once the invoice is approved, changing nothing', async () => {
      const { api, id: accountId, feature } = await setup();
      const t = await post(api, `/features/${feature.id}/transactions`, { transactionValue: '10.00' });
      await approve(api, t.invoiceID);
      const before = await dbTransaction(h, accountId, Number(t.id));
      expectError(
        await api.patch(`/transactions/${t.id}`, { transactionValue: '1.00' }),
        409,
        409001,
        /approved/,
      );
      expectError(await api.patch(`/transactions/${t.id}`, { transactionNotes: 'just a note' }), 409, 409001);
      expectError(await api.delete(`/transactions/${t.id}`), 409, 409001, /approved/);
      expect(await dbTransaction(h, accountId, Number(t.id))).toEqual(before);
      expect((await api.get(`/transactions/${t.id}`)).body.transactionValue).toBe('10.00');
    });

    it('answer 404 for an unknown id and 400 for a bad body', async () => {
      const { api, feature } = await setup();
      expectError(await api.patch('/transactions/999999', { transactionNotes: 'x' }), 404, 404001);
      expectError(await api.delete('/transactions/999999'), 404, 404001);
      expectError(await api.get('/transactions/abc'), 404, 404001);
      const t = await post(api, `/features/${feature.id}/transactions`, { transactionValue: '10.00' });
      expectError(
        await api.patch(`/transactions/${t.id}`, { transactionDate: null }),
        400,
        400001,
        /transactionDate/,
      );
      expectError(await api.patch(`/transactions/${t.id}`, { id: '5' }), 400, 400001, /id/);
    });
  });

  describe('lists', () => {
    /**
     * Two customers. C1: t1 on raised invoice I1; t3 on unsent invoice I3 (completed for 1 Nov); t5 waiting,
     * unbilled. C2: t2 on raised invoice I2; t4 on unsent invoice I4.
     */
    async function ledger() {
      const s = await setup();
      const { api, customer: c1, feature: f1 } = s;
      const f2 = await makeFeature(api, c1.id, { name: 'Second line' });
      const c2 = await makeCustomer(api, { name: 'Second Customer Ltd' });
      const f3 = await makeFeature(api, c2.id, { name: 'Their line' });
      const t1 = await post(api, `/features/${f1.id}/transactions`, {
        transactionValue: '1.00',
        transactionDate: '2026-10-01',
      });
      const t2 = await post(api, `/features/${f3.id}/transactions`, {
        transactionValue: '2.00',
        transactionDate: '2026-10-02',
      });
      const i1 = await approve(api, t1.invoiceID);
      const i2 = await approve(api, t2.invoiceID);
      const t3 = await post(api, `/features/${f2.id}/transactions`, {
        transactionValue: '3.00',
        transactionDate: '2026-10-03',
      });
      const t4 = await post(api, `/features/${f3.id}/transactions`, {
        transactionValue: '4.00',
        transactionDate: '2026-10-04',
      });
      const i3 = await post(api, `/customers/${c1.id}/invoices`, { cutoffDate: '2026-11-01' });
      const t5 = await post(api, `/features/${f1.id}/transactions`, {
        transactionValue: '5.00',
        transactionDate: '2026-11-05',
      });
      expect([i3.id, t3.invoiceID, t4.invoiceID === i2.id, t5.invoiceID]).toEqual([
        t3.invoiceID,
        i3.id,
        false,
        null,
      ]);
      // Re-read: list bodies must equal single GETs.
      const t = await Promise.all(
        [t1, t2, t3, t4, t5].map(async (x) => (await api.get(`/transactions/${x.id}`)).body),
      );
      return { ...s, c1, c2, f1, f2, f3, t, i1, i2, i3, i4: t4.invoiceID as string };
    }

    it('filter by createdSince (a date is midnight in the account timezone, or an exact time), as customers do', async () => {
      // New York: 2 November 2026 starts at 05:00 UTC.
      const { api, customer, feature } = await setup({ timezone: 'America/New_York' });
      h.setNow(new Date('2026-11-02T04:30:00.000Z'));
      const early = await post(api, `/features/${feature.id}/transactions`, {
        transactionType: 'oneOff',
        transactionValue: '1.00',
      });
      const earlyCustomer = await makeCustomer(api, { name: 'Early' });
      h.setNow(new Date('2026-11-02T05:30:00.000Z'));
      const late = await post(api, `/features/${feature.id}/transactions`, {
        transactionType: 'oneOff',
        transactionValue: '2.00',
      });
      const lateCustomer = await makeCustomer(api, { name: 'Late' });
      h.setNow(NOW);
      const ids = async (path: string) => {
        const res = await api.get(path);
        expect(res.status, res.text).toBe(200);
        return res.body.map((r: any) => r.id);
      };
      expect(await ids('/transactions?includeUnsent&createdSince=2026-11-02')).toEqual([late.id]);
      expect(await ids('/transactions?includeUnsent&createdSince=2026-11-01')).toEqual([early.id, late.id]);
      expect(await ids('/transactions?includeUnsent&createdSince=2026-11-02T04:00:00Z')).toEqual([
        early.id,
        late.id,
      ]);
      expect(await ids(`/customers/${customer.id}/transactions?unsent&createdSince=2026-11-02`)).toEqual([
        late.id,
      ]);
      // The setup's customer was made later, on 10 November.
      expect(await ids('/customers?createdSince=2026-11-02')).toEqual([customer.id, lateCustomer.id]);
      expect(await ids('/customers?createdSince=2026-11-02T04:00:00%2B00:00')).toEqual([
        customer.id,
        earlyCustomer.id,
        lateCustomer.id,
      ]);
      expect(await ids('/customers?createdSince=2026-11-11')).toEqual([]);
      expectError(await api.get('/transactions?createdSince=yesterday'), 400, 400001, /createdSince/);
      expectError(await api.get('/customers?createdSince=2026-13-01'), 400, 400001, /createdSince/);
    });

    it('show only transactions on raised invoices by default, with unsent, includeUnsent and invoiceIdAfter', async () => {
      const { api, c1, c2, f1, f2, f3, t, i1, i2, i3, i4 } = await ledger();
      const [t1, t2, t3, t4, t5] = t;
      const list = async (path: string) => {
        const res = await api.get(path);
        expect(res.status).toBe(200);
        return res.body;
      };
      expect(await list('/transactions')).toEqual([t1, t2]);
      expect(await list('/transactions?unsent')).toEqual([t3, t4]);
      expect(await list('/transactions?unsent=1')).toEqual([t3, t4]);
      expect(await list('/transactions?unsent=0')).toEqual([t1, t2]);
      // includeUnsent: all of them, including the unsent invoices' and the waiting (unbilled) charge.
      expect(await list('/transactions?includeUnsent')).toEqual([t1, t2, t3, t4, t5]);
      expect(await list('/transactions?includeUnsent=true&unsent')).toEqual([t1, t2, t3, t4, t5]);
      expect(await list(`/transactions?invoiceIdAfter=${i1.id}`)).toEqual([t2]);
      expect(await list(`/transactions?invoiceIdAfter=${i2.id}`)).toEqual([]);
      expect(await list(`/transactions?includeUnsent&invoiceIdAfter=${i2.id}`)).toEqual([t3, t4]);
      expect(await list(`/transactions?unsent&invoiceIdAfter=${i3.id}`)).toEqual([t4]);

      expect(await list(`/customers/${c1.id}/transactions`)).toEqual([t1]);
      expect(await list(`/customers/${c1.id}/transactions?unsent`)).toEqual([t3]);
      expect(await list(`/customers/${c1.id}/transactions?includeUnsent`)).toEqual([t1, t3, t5]);
      expect(await list(`/customers/${c2.id}/transactions`)).toEqual([t2]);
      expect(await list(`/customers/${c2.id}/transactions?includeUnsent&invoiceIdAfter=${i2.id}`)).toEqual([
        t4,
      ]);

      expect(await list(`/features/${f1.id}/transactions`)).toEqual([t1]);
      expect(await list(`/features/${f1.id}/transactions?includeUnsent`)).toEqual([t1, t5]);
      expect(await list(`/features/${f2.id}/transactions`)).toEqual([]);
      expect(await list(`/features/${f2.id}/transactions?unsent`)).toEqual([t3]);
      expect(await list(`/features/${f3.id}/transactions?includeUnsent`)).toEqual([t2, t4]);

      expect(await list(`/invoices/${i1.id}/transactions`)).toEqual([t1]);
      expect(await list(`/invoices/${i2.id}/transactions?unsent`)).toEqual([]);
      expect(await list(`/invoices/${i3.id}/transactions`)).toEqual([]); // unsent: not raised
      expect(await list(`/invoices/${i3.id}/transactions?unsent`)).toEqual([t3]);
      expect(await list(`/invoices/${i4}/transactions?includeUnsent`)).toEqual([t4]);

      // Once I3 is approved, its transactions are raised.
      await approve(api, i3.id);
      expect(await list(`/invoices/${i3.id}/transactions`)).toEqual([t3]);
      expect(await list(`/customers/${c1.id}/transactions`)).toEqual([t1, t3]);
      expectError(await api.get('/transactions?invoiceIdAfter=x'), 400, 400001, /invoiceIdAfter/);
    });

    it('are paginated by limit and after, with a Link header to the next page', async () => {
      const { api, t } = await ledger();
      const first = await api.get('/transactions?includeUnsent&limit=2');
      expect(first.status).toBe(200);
      expect(first.body).toEqual(t.slice(0, 2));
      expect(first.headers.get('link')).toBe(
        `</backend/api/v1/transactions?includeUnsent=&limit=2&after=${t[1].id}>; rel="next"`,
      );
      expect(first.headers.get('x-next-after')).toBe(t[1].id);
      const second = await api.get(`/transactions?includeUnsent&limit=2&after=${t[1].id}`);
      expect(second.body).toEqual(t.slice(2, 4));
      const third = await api.get(`/transactions?includeUnsent&limit=2&after=${t[3].id}`);
      expect(third.body).toEqual(t.slice(4));
      expect(third.headers.get('link')).toBeNull();
      // A page that ends exactly at the last row has no next page.
      const exact = await api.get('/transactions?includeUnsent&limit=5');
      expect(exact.body).toEqual(t);
      expect(exact.headers.get('link')).toBeNull();
      expect(await getAll(api, '/transactions?includeUnsent&limit=1')).toEqual(t);
      expectError(await api.get('/transactions?limit=0'), 400, 400001, /limit/);
      expectError(await api.get('/transactions?limit=1001'), 400, 400001, /limit/);
    });
  });

  describe('another account', () => {
    it("gets 404 for this account's ids on every path, and changes nothing", async () => {
      const { api, id: accountId, customer, feature } = await setup();
      const t = await post(api, `/features/${feature.id}/transactions`, { transactionValue: '10.00' });
      const raised = await post(api, `/features/${feature.id}/transactions`, { transactionValue: '1.00' });
      await approve(api, raised.invoiceID);
      const unsent = await post(api, `/features/${feature.id}/transactions`, { transactionValue: '2.00' });
      const before = await dbTransactions(h, accountId);

      const other = await h.account();
      const o = other.api;
      const checks: [string, Promise<{ status: number; body: any }>][] = [
        ['GET transaction', o.get(`/transactions/${t.id}`)],
        ['PATCH transaction', o.patch(`/transactions/${t.id}`, { transactionValue: '1.00' })],
        ['DELETE transaction', o.delete(`/transactions/${t.id}`)],
        ['GET customer list', o.get(`/customers/${customer.id}/transactions?includeUnsent`)],
        ['GET feature list', o.get(`/features/${feature.id}/transactions`)],
        ['GET invoice list', o.get(`/invoices/${raised.invoiceID}/transactions`)],
        [
          'POST to invoice',
          o.post(`/invoices/${unsent.invoiceID}/transactions`, { transactionValue: '1.00' }),
        ],
        ['POST to feature', o.post(`/features/${feature.id}/transactions`, { transactionValue: '1.00' })],
        ['POST to customer', o.post(`/customers/${customer.id}/transactions`, { transactionValue: '1.00' })],
      ];
      for (const [what, pending] of checks) {
        const res = await pending;
        expect({ what, status: res.status, code: res.body.error_code }).toEqual({
          what,
          status: 404,
          code: 404001,
        });
      }
      // Its own lists do not show them; a refund cannot name them.
      expect((await o.get('/transactions?includeUnsent')).body).toEqual([]);
      const ownCustomer = await makeCustomer(o);
      const ownFeature = await makeFeature(o, ownCustomer.id);
      expectError(
        await o.post(`/features/${ownFeature.id}/transactions`, {
          transactionType: 'refund',
          transactionValue: '1.00',
          transactionRefundedID: t.id,
        }),
        400,
        400001,
        /^transactionRefundedID/,
      );
      expect(await dbTransactions(h, accountId)).toEqual(before);
    });

    it('needs a key, and a key of level 2 or more to change charges', async () => {
      const { api, feature, ...account } = await setup();
      expectError(await h.anonymous().get('/transactions'), 401, 401001);
      const reader = await account.withLevel(1);
      expect((await reader.get('/transactions')).status).toBe(200);
      expectError(
        await reader.post(`/features/${feature.id}/transactions`, { transactionValue: '1.00' }),
        403,
        403001,
      );
      const clerk = await account.withLevel(2);
      expect(
        (await clerk.post(`/features/${feature.id}/transactions`, { transactionValue: '1.00' })).status,
      ).toBe(201);
      expect((await api.get('/transactions?includeUnsent')).body.length).toBe(1);
    });
  });
});
