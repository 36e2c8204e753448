// Billing by range (issue 15, migration 0031): completing an invoice takes its customer's unbilled charges
// by extending the invoice's range of charge ids, with no invoice_id written on them. These tests follow
// such charges through everything that reads "the charges on an invoice" or "the invoice of a charge": the
// API's views and filters, the totals, the guards on raised invoices, re-completion with another cut-off,
// deleting the invoice, the next invoice, and charges posted while a run bills the same customer.
import { describe, expect, it } from 'vitest';
import { type Api, makeCustomer, useHarness } from '../helpers/harness.ts';
import {
  approve,
  dbTransactions,
  expectInvoiceAddsUp,
  expectInvoiceMatchesDatabase,
  getAll,
  post,
} from '../helpers/billing.ts';

describe('billing by range', () => {
  const h = useHarness();

  /** The raw rows, as stored: what was written on each charge. */
  async function stored(accountId: number) {
    return h.ctx.db
      .selectFrom('billing_transactions')
      .select(['id', 'invoice_id', 'left_out'])
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute();
  }

  async function invoiceRange(accountId: number, invoiceId: string) {
    return h.ctx.db
      .selectFrom('invoices')
      .select(['charges_after_id', 'charges_through_id'])
      .where('account_id', '=', accountId)
      .where('id', '=', Number(invoiceId))
      .executeTakeFirstOrThrow();
  }

  async function charge(api: Api, customerId: string, value: string, date: string) {
    return post(api, `/customers/${customerId}/transactions`, {
      transactionType: 'oneOff',
      transactionValue: value,
      transactionDate: date,
    });
  }

  async function get(api: Api, path: string) {
    const res = await api.get(path);
    expect(res.status, `${path}: ${res.text}`).toBe(200);
    return res.body;
  }

  async function linesOf(api: Api, invoiceId: string) {
    const rows = await getAll(api, `/invoices/${invoiceId}/transactions?includeUnsent`);
    return rows.map((t: any) => t.transactionValue).sort();
  }

  /**
   * One customer: a1 on its unsent invoice X, which is completed for 10 Oct; then a2 (15 Oct), a3 (25 Oct)
   * and a4 (15 Nov) posted after that cut-off, so they wait with no invoice written.
   */
  async function waitingCharges() {
    h.setNow(new Date('2026-10-26T10:00:00.000Z'));
    const account = await h.account();
    const { api } = account;
    const customer = await makeCustomer(api);
    const a1 = await charge(api, customer.id, '10.00', '2026-10-05');
    const x = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-10-10' });
    expect(x.id).toBe(a1.invoiceID);
    const a2 = await charge(api, customer.id, '20.00', '2026-10-15');
    const a3 = await charge(api, customer.id, '30.00', '2026-10-25');
    const a4 = await charge(api, customer.id, '40.00', '2026-11-15');
    for (const c of [a2, a3, a4]) expect(c.invoiceID).toBeNull();
    return { account, api, customer, x, a1, a2, a3, a4 };
  }

  it('a run takes unbilled charges by range, writing nothing on them, and every reader sees them on the invoice', async () => {
    const { account, api, customer, x, a1, a2, a3, a4 } = await waitingCharges();
    h.setNow(new Date('2026-11-02T09:00:00.000Z'));
    const run = await post(api, '/billingRuns', { cutoffDate: '2026-11-01' });
    expect(run.customersBilled).toBe(1);

    // Stored: a2 and a3 untouched (no invoice written), a4 left out to wait; X's range ends at a4.
    const byId = new Map((await stored(account.id)).map((r) => [String(r.id), r]));
    expect(byId.get(a1.id)).toMatchObject({ invoice_id: Number(x.id), left_out: false });
    expect(byId.get(a2.id)).toMatchObject({ invoice_id: null, left_out: false });
    expect(byId.get(a3.id)).toMatchObject({ invoice_id: null, left_out: false });
    expect(byId.get(a4.id)).toMatchObject({ invoice_id: null, left_out: true });
    expect(await invoiceRange(account.id, x.id)).toStrictEqual({
      charges_after_id: 0,
      charges_through_id: Number(a4.id),
    });

    // Read back: each charge's invoice, the invoice's lines and totals.
    expect((await get(api, `/transactions/${a2.id}`)).invoiceID).toBe(x.id);
    expect((await get(api, `/transactions/${a3.id}`)).invoiceID).toBe(x.id);
    expect((await get(api, `/transactions/${a4.id}`)).invoiceID).toBeNull();
    expect(await linesOf(api, x.id)).toStrictEqual(['10.00', '20.00', '30.00']);
    const invoice = await get(api, `/invoices/${x.id}`);
    expect(invoice.invoiceAmount).toBe('60.00');
    expectInvoiceAddsUp(invoice);
    await expectInvoiceMatchesDatabase(h, account.id, invoice);
    expect(
      (await dbTransactions(h, account.id)).map((t) => [String(t.id), t.invoice_id && String(t.invoice_id)]),
    ).toStrictEqual([
      [a1.id, x.id],
      [a2.id, x.id],
      [a3.id, x.id],
      [a4.id, null],
    ]);
    // Unsent: not among the raised invoices' charges; among the unsent ones'.
    const ids = (rows: any[]) => rows.map((t) => t.id);
    expect(ids(await getAll(api, `/customers/${customer.id}/transactions`))).toStrictEqual([]);
    expect(ids(await getAll(api, `/customers/${customer.id}/transactions?unsent`))).toStrictEqual([
      a1.id,
      a2.id,
      a3.id,
    ]);

    // Raised: the range's charges are frozen like the written ones.
    await approve(api, x.id);
    expect(ids(await getAll(api, `/customers/${customer.id}/transactions`))).toStrictEqual([
      a1.id,
      a2.id,
      a3.id,
    ]);
    const patched = await api.patch(`/transactions/${a2.id}`, { transactionValue: '21.00' });
    expect(patched.status).toBe(409);
    const deleted = await api.delete(`/transactions/${a3.id}`);
    expect(deleted.status).toBe(409);

    // A charge posted now goes on a new invoice, never into the raised one's range; the next run takes a4
    // (written: it waited) and a5, and the new invoice's range starts where X's ended.
    const a5 = await charge(api, customer.id, '5.00', '2026-11-10');
    expect(a5.invoiceID).not.toBe(x.id);
    h.setNow(new Date('2026-12-02T09:00:00.000Z'));
    await post(api, '/billingRuns', { cutoffDate: '2026-12-01' });
    const y = a5.invoiceID;
    expect((await get(api, `/transactions/${a4.id}`)).invoiceID).toBe(y);
    expect(await linesOf(api, y)).toStrictEqual(['40.00', '5.00']);
    expect(await linesOf(api, x.id)).toStrictEqual(['10.00', '20.00', '30.00']);
    expect((await get(api, `/invoices/${x.id}`)).invoiceAmount).toBe('60.00');
    await expectInvoiceMatchesDatabase(h, account.id, await get(api, `/invoices/${y}`));
    const after = await getAll(api, `/transactions?includeUnsent&invoiceIdAfter=${x.id}`);
    expect(ids(after)).toStrictEqual([a4.id, a5.id]);
  });

  it('re-completing for an earlier cut-off leaves range charges out; a later one takes them back', async () => {
    const { account, api, customer, x, a2, a3, a4 } = await waitingCharges();
    const complete = (cutoffDate: string) => post(api, `/customers/${customer.id}/invoices`, { cutoffDate });

    expect((await complete('2026-11-01')).invoiceAmount).toBe('60.00');
    // 20 Oct: a3 (25 Oct) no longer qualifies and waits; a2 stays.
    const early = await complete('2026-10-20');
    expect(early.invoiceAmount).toBe('30.00');
    await expectInvoiceMatchesDatabase(h, account.id, early);
    expect((await get(api, `/transactions/${a2.id}`)).invoiceID).toBe(x.id);
    expect((await get(api, `/transactions/${a3.id}`)).invoiceID).toBeNull();
    // 1 Dec: a3 and a4 both come back.
    const late = await complete('2026-12-01');
    expect(late.invoiceAmount).toBe('100.00');
    await expectInvoiceMatchesDatabase(h, account.id, late);
    expect(await linesOf(api, x.id)).toStrictEqual(['10.00', '20.00', '30.00', '40.00']);
    for (const c of [a3, a4]) expect((await get(api, `/transactions/${c.id}`)).invoiceID).toBe(x.id);
    // By transaction date instead, with the same result for these charges.
    const byTransactionDate = await post(api, `/customers/${customer.id}/invoices`, {
      cutoffDate: '2026-12-01',
      transactionCutoffDate: '2026-10-20',
    });
    expect(byTransactionDate.invoiceAmount).toBe('30.00');
    await expectInvoiceMatchesDatabase(h, account.id, byTransactionDate);
  });

  it('deleting an unsent invoice frees the charges of its range for the next invoice', async () => {
    const { account, api, customer, x, a1, a2, a3 } = await waitingCharges();
    await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
    expect((await api.delete(`/invoices/${x.id}`)).status).toBe(200);
    for (const c of [a1, a2, a3]) expect((await get(api, `/transactions/${c.id}`)).invoiceID).toBeNull();

    h.setNow(new Date('2026-11-02T09:00:00.000Z'));
    await post(api, '/billingRuns', { cutoffDate: '2026-11-01' });
    const z = (await get(api, `/transactions/${a2.id}`)).invoiceID;
    expect(z).not.toBe(x.id);
    for (const c of [a1, a3]) expect((await get(api, `/transactions/${c.id}`)).invoiceID).toBe(z);
    const invoice = await get(api, `/invoices/${z}`);
    expect(invoice.invoiceAmount).toBe('60.00');
    await expectInvoiceMatchesDatabase(h, account.id, invoice);
  });

  it('a run that makes an invoice writes its range with it: after the last raised range, late charges left out', async () => {
    // X takes a2 and a3 by range for 1 Nov (a4, dated 15 Nov, is left out) and is raised; a5 (20 Nov) is
    // posted before that, so it waits with no invoice written. The customer then has no unsent invoice.
    const { account, api, customer, x, a4 } = await waitingCharges();
    await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
    const a5 = await charge(api, customer.id, '5.00', '2026-11-20');
    const a6 = await charge(api, customer.id, '6.00', '2026-12-15');
    for (const c of [a5, a6]) expect(c.invoiceID).toBeNull();
    await approve(api, x.id);
    expect(await invoiceRange(account.id, x.id)).toStrictEqual({
      charges_after_id: 0,
      charges_through_id: Number(a4.id),
    });

    // The run for 1 Dec makes Z with the range after X's, through a6: a5 is Z's by range, a6 (15 Dec) is
    // left out to wait, and a4 (which waited) is written to Z.
    h.setNow(new Date('2026-12-02T09:00:00.000Z'));
    const run = await post(api, '/billingRuns', { cutoffDate: '2026-12-01' });
    expect([run.customersBilled, run.invoicesCreated]).toStrictEqual([1, 1]);
    const z = (await get(api, `/transactions/${a5.id}`)).invoiceID;
    expect(z).not.toBeNull();
    expect(z).not.toBe(x.id);
    expect(await invoiceRange(account.id, z)).toStrictEqual({
      charges_after_id: Number(a4.id),
      charges_through_id: Number(a6.id),
    });
    const rows = new Map((await stored(account.id)).map((r) => [String(r.id), r]));
    expect(rows.get(a4.id)).toMatchObject({ invoice_id: Number(z), left_out: false });
    expect(rows.get(a5.id)).toMatchObject({ invoice_id: null, left_out: false });
    expect(rows.get(a6.id)).toMatchObject({ invoice_id: null, left_out: true });
    expect((await get(api, `/transactions/${a6.id}`)).invoiceID).toBeNull();
    expect(await linesOf(api, z)).toStrictEqual(['40.00', '5.00']);
    const invoice = await get(api, `/invoices/${z}`);
    expect(invoice.invoiceAmount).toBe('45.00');
    expectInvoiceAddsUp(invoice);
    await expectInvoiceMatchesDatabase(h, account.id, invoice);
    expect((await get(api, `/invoices/${x.id}`)).invoiceAmount).toBe('60.00');

    // A customer with nothing after the last range gets no range: a run made for nothing keeps none.
    const empty = await post(api, `/customers/${(await makeCustomer(api)).id}/invoices`, {
      cutoffDate: '2026-12-01',
    });
    expect(await invoiceRange(account.id, empty.id)).toStrictEqual({
      charges_after_id: null,
      charges_through_id: null,
    });
  });

  it('a late charge alone at its VAT rate waits: no VAT line, no amount, and the next invoice takes it', async () => {
    // b (15 Oct, 20%) qualifies for 1 Nov; c (15 Nov, 0%) is the only charge at 0% and does not: the run
    // sums charges per type and VAT rate, and c's group has nothing that qualifies.
    const { account, api, customer, x } = await waitingCharges();
    const c = await post(api, `/customers/${customer.id}/transactions`, {
      transactionType: 'oneOff',
      transactionValue: '7.00',
      transactionVATRate: '0',
      transactionDate: '2026-11-15',
    });
    expect(c.invoiceID).toBeNull();
    const completed = await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-11-01' });
    expect(completed.id).toBe(x.id);
    // a1 10.00 + a2 20.00 + a3 30.00, all at 20%; a4 (15 Nov, 20%) and c wait.
    expect(completed.invoiceAmount).toBe('60.00');
    expect(completed.invoiceVAT).toBe('12.00');
    expect(completed.vatBreakdown).toStrictEqual([{ rate: '20', net: '60.00', vat: '12.00' }]);
    expectInvoiceAddsUp(completed);
    await expectInvoiceMatchesDatabase(h, account.id, completed);
    expect(await linesOf(api, x.id)).toStrictEqual(['10.00', '20.00', '30.00']);
    const rows = new Map((await stored(account.id)).map((r) => [String(r.id), r]));
    expect(rows.get(c.id)).toMatchObject({ invoice_id: null, left_out: true });

    await approve(api, x.id);
    h.setNow(new Date('2026-12-02T09:00:00.000Z'));
    const run = await post(api, '/billingRuns', { cutoffDate: '2026-12-01' });
    expect([run.customersBilled, run.invoicesCreated]).toStrictEqual([1, 1]);
    const next = (await get(api, `/transactions/${c.id}`)).invoiceID;
    expect(next).not.toBeNull();
    expect(next).not.toBe(x.id);
    const invoice = await get(api, `/invoices/${next}`);
    expect(invoice.invoiceAmount).toBe('47.00');
    expect(invoice.invoiceVAT).toBe('8.00');
    expect(invoice.vatBreakdown).toStrictEqual([
      { rate: '0', net: '7.00', vat: '0.00' },
      { rate: '20', net: '40.00', vat: '8.00' },
    ]);
    expectInvoiceAddsUp(invoice);
    await expectInvoiceMatchesDatabase(h, account.id, invoice);
    expect(await linesOf(api, next)).toStrictEqual(['40.00', '7.00']);
  });

  it('names a range charge in _includeTransactionIDs without counting it twice', async () => {
    const { account, api, customer, x, a2, a4 } = await waitingCharges();
    const invoice = await post(api, `/customers/${customer.id}/invoices`, {
      cutoffDate: '2026-11-01',
      _includeTransactionIDs: [Number(a2.id), Number(a4.id)],
    });
    expect(invoice.id).toBe(x.id);
    expect(invoice.invoiceAmount).toBe('100.00');
    await expectInvoiceMatchesDatabase(h, account.id, invoice);
    const rows = new Map((await stored(account.id)).map((r) => [String(r.id), r]));
    expect(rows.get(a2.id)).toMatchObject({ invoice_id: Number(x.id), left_out: false });
    expect(rows.get(a4.id)).toMatchObject({ invoice_id: Number(x.id), left_out: false });
  });

  it('charges posted while a run bills their customer land on exactly one invoice or wait, and totals add up', async () => {
    h.setNow(new Date('2026-10-26T10:00:00.000Z'));
    const account = await h.account();
    const { api } = account;
    const customers = [];
    for (let i = 0; i < 3; i++) {
      const customer = await makeCustomer(api, { name: `Customer ${i}` });
      await charge(api, customer.id, '1.00', '2026-10-01');
      await post(api, `/customers/${customer.id}/invoices`, { cutoffDate: '2026-10-02' });
      for (let j = 0; j < 5; j++) await charge(api, customer.id, `${j + 2}.00`, '2026-10-10');
      customers.push(customer);
    }
    h.setNow(new Date('2026-11-02T09:00:00.000Z'));
    const posts = customers.flatMap((c, i) =>
      Array.from({ length: 4 }, (_, j) => charge(api, c.id, `0.${i}${j + 1}`, '2026-10-20')),
    );
    const [run] = await Promise.all([post(api, '/billingRuns', { cutoffDate: '2026-11-01' }), ...posts]);
    expect(run.status).toBe('completed');

    const all = await dbTransactions(h, account.id);
    const invoices = new Set(all.map((t) => t.invoice_id).filter((id) => id !== null));
    let onInvoices = 0;
    for (const id of invoices) {
      const invoice = await get(api, `/invoices/${id}`);
      expectInvoiceAddsUp(invoice);
      await expectInvoiceMatchesDatabase(h, account.id, invoice);
      onInvoices += (await linesOf(api, String(id))).length;
    }
    // Every charge is counted once: on the one invoice it is on, or waiting.
    expect(onInvoices + all.filter((t) => t.invoice_id === null).length).toBe(all.length);
    expect(all).toHaveLength(3 * (1 + 5 + 4));
  });
});
