// The API's billing runs for chosen customers (POST /billingRuns with customerIDs) and its preview
// (GET /billingRuns/preview): the same use cases as the console, the backend's error shape and key levels.
import { describe, expect, it } from 'vitest';
import { makeCharge, makeCustomer, useHarness } from '../helpers/harness.ts';

const h = useHarness();
const CUTOFF = '2030-01-01';

function expectError(res: { status: number; body: any }, status: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(typeof res.body.error).toBe('string');
  expect(typeof res.body.error_code).toBe('number');
  expect(typeof res.body.hint).toBe('string');
}

describe('billing runs for chosen customers, and the preview, through the API', () => {
  it('previews without writing, then bills only the chosen customers', async () => {
    const { api } = await h.account();
    const a = await makeCustomer(api, { name: 'Chosen Ltd' });
    const b = await makeCustomer(api, { name: 'Left Out Ltd' });
    await makeCharge(api, `/customers/${a.id}`, { transactionValue: '12.50' });
    await makeCharge(api, `/customers/${b.id}`, { transactionValue: '7.00' });
    const invoicesBefore = (await api.get('/invoices?unsent')).body;

    const preview = await api.get(`/billingRuns/preview?customerID=${b.id}&cutoffDate=${CUTOFF}`);
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body).toMatchObject({ customerID: String(b.id), cutoffDate: CUTOFF, wouldBill: true });
    expect(preview.body.transactions).toHaveLength(1);
    expect(preview.body.transactions[0].transactionValue).toBe('7.00');
    expect(preview.body.invoice).not.toBeNull();
    expect(preview.body.moreTransactions).toBe(false);
    // Nothing written: the same unsent invoices, no run.
    expect((await api.get('/invoices?unsent')).body).toEqual(invoicesBefore);
    expect((await api.get('/billingRuns')).body).toEqual([]);

    const run = await api.post('/billingRuns', { cutoffDate: CUTOFF, customerIDs: [String(a.id)] });
    expect(run.status, run.text).toBe(201);
    expect(run.body).toMatchObject({ status: 'completed', customersBilled: 1, cutoffDate: CUTOFF });
    const billed = (await api.get(`/invoices?unsent&billingRun=${run.body.id}`)).body as any[];
    expect(billed).toHaveLength(1);
    // B is still to bill: its preview says so.
    const still = await api.get(`/billingRuns/preview?customerID=${b.id}&cutoffDate=${CUTOFF}`);
    expect(still.body.wouldBill).toBe(true);
    const again = await api.get(`/billingRuns/preview?customerID=${a.id}&cutoffDate=${CUTOFF}`);
    expect(again.status).toBe(200);
    expect(again.body.invoiceExists).toBe(true);
  });

  it("refuses bad input with a 400, another account's customer with a 404, and a low key with a 403", async () => {
    const { api, withLevel } = await h.account();
    const other = await h.account();
    const theirs = await makeCustomer(other.api, { name: 'Not Yours' });
    const mine = await makeCustomer(api, { name: 'Mine' });

    expectError(await api.post('/billingRuns', { cutoffDate: CUTOFF, customerIDs: [] }), 400);
    expectError(
      await api.post('/billingRuns', {
        cutoffDate: CUTOFF,
        customerIDs: Array.from({ length: 1001 }, (_, i) => String(i + 1)),
      }),
      400,
    );
    expectError(await api.post('/billingRuns', { cutoffDate: CUTOFF, customerIDs: ['abc'] }), 400);
    expectError(await api.post('/billingRuns', { cutoffDate: CUTOFF, customerIDs: [Number(mine.id)] }), 400);
    expectError(
      await api.post('/billingRuns', { cutoffDate: '2030-13-01', customerIDs: [String(mine.id)] }),
      400,
    );
    expectError(
      await api.post('/billingRuns', { cutoffDate: CUTOFF, customerIDs: [String(theirs.id)] }),
      404,
    );
    expect((await api.get('/billingRuns')).body).toEqual([]);

    expectError(await api.get(`/billingRuns/preview?cutoffDate=${CUTOFF}`), 400);
    expectError(await api.get(`/billingRuns/preview?customerID=${mine.id}&cutoffDate=2030-02-30`), 400);
    expectError(await api.get(`/billingRuns/preview?customerID=x1&cutoffDate=${CUTOFF}`), 400);
    expectError(await api.get(`/billingRuns/preview?customerID=${theirs.id}&cutoffDate=${CUTOFF}`), 404);
    const low = await withLevel(1);
    expectError(await low.get(`/billingRuns/preview?customerID=${mine.id}&cutoffDate=${CUTOFF}`), 403);
    expectError(await low.post('/billingRuns', { cutoffDate: CUTOFF, customerIDs: [String(mine.id)] }), 403);
    // Without a cut-off the preview uses the account's default, as the run does.
    const byDefault = await api.get(`/billingRuns/preview?customerID=${mine.id}`);
    expect(byDefault.status).toBe(200);
    expect(byDefault.body.wouldBill).toBe(false);
    expect(byDefault.body.invoice).toBeNull();
  });
});
