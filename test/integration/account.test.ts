// The account and its API keys through HTTP: GET/PATCH /account (validated settings, a currency fixed once
// amounts exist, invoice numbers that only move forward and carry the prefix), and POST/GET/DELETE /apiKeys.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Api, makeCharge, makeCustomer, makeFeature, useHarness, type Res } from '../helpers/harness.ts';

const h = useHarness();

const NOW = new Date('2026-03-10T09:30:00.000Z');
const LATER = new Date('2026-03-12T16:45:00.000Z');
beforeEach(() => h.setNow(NOW));
afterEach(() => h.setNow(undefined));

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function expectError(
  res: Res,
  status: number,
  errorCode: number,
  error: string,
  hint: string | RegExp,
): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: {
      error,
      error_code: errorCode,
      hint: typeof hint === 'string' ? hint : expect.stringMatching(hint),
    },
  });
}

function newAccountView(id: number, overrides: Record<string, unknown> = {}) {
  return {
    id: String(id),
    name: 'Test Telecom',
    timezone: 'Europe/London',
    currency: 'GBP',
    defaultVatRate: '20',
    paymentTermsDays: 30,
    invoicePrefix: '',
    invoiceNextNumber: 1,
    modules: [],
    email: null,
    phone: null,
    vatNumber: null,
    companyNumber: null,
    address: null,
    peakStart: '08:00',
    peakEnd: '18:00',
    paymentDetails: null,
    emailFrom: null,
    defaultBillStyle: 'Full',
    lateFee: null,
    interestRate: null,
    lowUsageMinimum: null,
    manualBillingFee: null,
    logo: null,
    cdrTimezone: null,
    cdrCountry: null,
    cdrInternationalPrefixes: ['00'],
    cdrTechPrefixes: [],
    cdrExtensionMaxDigits: 4,
    cdrInternalCalls: 'refuse',
    created: NOW.toISOString(),
    updated: NOW.toISOString(),
    ...overrides,
  };
}

async function accountRow(id: number) {
  return h.ctx.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('GET /account', () => {
  it("returns the key's own account with its defaults", async () => {
    const { api, id } = await h.account();
    const other = await h.account({ name: 'Other Telecom', timezone: 'Asia/Tokyo', currency: 'JPY' });
    const res = await api.get('/account');
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual(newAccountView(id));
    expect((await other.api.get('/account')).body).toStrictEqual(
      newAccountView(other.id, { name: 'Other Telecom', timezone: 'Asia/Tokyo', currency: 'JPY' }),
    );
  });
});

describe('PATCH /account', () => {
  it('changes every setting given', async () => {
    const { api, id } = await h.account();
    h.setNow(LATER);
    const res = await api.patch('/account', {
      name: '  Northern Voice Ltd ',
      timezone: 'America/New_York',
      currency: 'usd',
      defaultVatRate: '17.5',
      paymentTermsDays: 14,
      invoicePrefix: 'NV-',
      invoiceNextNumber: 500,
      modules: ['xero', 'xero'],
      email: 'billing@northernvoice.example',
      phone: '+1 212 555 0100',
      vatNumber: 'US-1',
      companyNumber: '0123456',
      address: { line1: '1 Broadway', city: 'New York', postcode: '10004', country: 'US' },
      peakStart: '07:30',
      peakEnd: '19:00',
    });
    expect(res.status).toBe(200);
    const expected = newAccountView(id, {
      name: 'Northern Voice Ltd',
      timezone: 'America/New_York',
      currency: 'USD',
      defaultVatRate: '17.5',
      paymentTermsDays: 14,
      invoicePrefix: 'NV-',
      invoiceNextNumber: 500,
      modules: ['xero'],
      email: 'billing@northernvoice.example',
      phone: '+1 212 555 0100',
      vatNumber: 'US-1',
      companyNumber: '0123456',
      address: {
        line1: '1 Broadway',
        line2: null,
        city: 'New York',
        region: null,
        postcode: '10004',
        country: 'US',
      },
      peakStart: '07:30',
      peakEnd: '19:00',
      updated: LATER.toISOString(),
    });
    expect(res.body).toStrictEqual(expected);
    expect((await api.get('/account')).body).toStrictEqual(expected);
    const row = await accountRow(id);
    expect(row).toMatchObject({
      name: 'Northern Voice Ltd',
      timezone: 'America/New_York',
      currency: 'USD',
      default_vat_rate: '17.5000',
      payment_terms_days: 14,
      invoice_prefix: 'NV-',
      invoice_next_number: 500,
      modules: ['xero'],
      address_line1: '1 Broadway',
      postcode: '10004',
    });
    expect(row.updated_at.toISOString()).toBe(LATER.toISOString());
    expect(row.created_at.toISOString()).toBe(NOW.toISOString());
  });

  it('clears contact details with null and leaves what is not given', async () => {
    const { api, id } = await h.account();
    await api.patch('/account', { email: 'a@example.com', address: { city: 'Leeds' }, modules: ['xero'] });
    const res = await api.patch('/account', { email: null, address: null, modules: [] });
    expect(res.body).toStrictEqual(newAccountView(id));
  });

  it.each([
    ['europe/london', 'Europe/London'],
    ['UTC', 'UTC'],
    // Current IANA names stay as given, though the platform's ICU may know them by a retired alias.
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['Europe/Kyiv', 'Europe/Kyiv'],
    ['America/New_York', 'America/New_York'],
  ])('accepts the timezone %s as %s', async (timezone, stored) => {
    const { api, id } = await h.account();
    const res = await api.patch('/account', { timezone });
    expect(res.status).toBe(200);
    expect(res.body.timezone).toBe(stored);
    expect((await accountRow(id)).timezone).toBe(stored);
  });

  it.each([
    [
      { timezone: 'Mars/Olympus_Mons' },
      'timezone: "Mars/Olympus_Mons" is not an IANA timezone (e.g. Europe/London)',
    ],
    [{ timezone: '' }, 'timezone: "" is not an IANA timezone (e.g. Europe/London)'],
    [{ timezone: 'London' }, 'timezone: "London" is not an IANA timezone (e.g. Europe/London)'],
    [{ currency: 'XYZ' }, 'currency: "XYZ" is not an ISO 4217 currency code'],
    [{ currency: 'POUNDS' }, /^currency: /],
    [{ currency: 'GB' }, /^currency: /],
    [{ defaultVatRate: '101' }, 'defaultVatRate: must be from 0 to 100 percent'],
    [{ defaultVatRate: '-1' }, 'defaultVatRate: must be from 0 to 100 percent'],
    [{ defaultVatRate: 'twenty' }, 'defaultVatRate: must be a percentage such as "20" or "17.5"'],
    [{ paymentTermsDays: 366 }, /^paymentTermsDays: /],
    [{ invoicePrefix: 'INV 2026' }, 'invoicePrefix: must be at most 20 characters, no spaces'],
    [{ invoicePrefix: 'x'.repeat(21) }, /^invoicePrefix: /],
    [{ invoiceNextNumber: 0 }, /^invoiceNextNumber: /],
    [{ invoiceNextNumber: 2.5 }, /^invoiceNextNumber: /],
    [{ modules: ['stripe'] }, 'modules: unknown module "stripe"; known: xero'],
    [{ name: '' }, 'name: must be 1 to 200 characters'],
    [{ owner: 'me' }, 'owner: unknown field owner'],
    [{ peakStart: '25:00' }, 'peakStart: must be a local time HH:MM, e.g. "08:00"'],
    [{ peakStart: '8am' }, 'peakStart: must be a local time HH:MM, e.g. "08:00"'],
    [{ peakStart: '19:00' }, 'peakEnd: must be after peakStart (19:00)'],
    [{ peakStart: '09:00', peakEnd: '09:00' }, 'peakEnd: must be after peakStart'],
  ])('refuses %j, naming the field, and changes nothing', async (body, hint) => {
    const { api, id } = await h.account();
    const before = await accountRow(id);
    h.setNow(LATER);
    expectError(await api.patch('/account', body), 400, 400001, 'Invalid Parameter', hint);
    expect(await accountRow(id)).toStrictEqual(before);
  });

  describe('currency', () => {
    it('may change while nothing is priced in it', async () => {
      const { api, id } = await h.account();
      await makeCustomer(api);
      const res = await api.patch('/account', { currency: 'EUR' });
      expect(res.status).toBe(200);
      expect(res.body.currency).toBe('EUR');
      expect((await accountRow(id)).currency).toBe('EUR');
    });

    it('is fixed once the account has an invoice (409), with the whole change refused', async () => {
      const { api, id } = await h.account();
      const customer = await makeCustomer(api);
      expect(
        (await api.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-03-01' })).status,
      ).toBe(201);
      expectError(
        await api.patch('/account', { name: 'Renamed', currency: 'EUR' }),
        409,
        409000,
        'Conflict',
        'currency cannot change once the account has invoices',
      );
      expect(await accountRow(id)).toMatchObject({ currency: 'GBP', name: 'Test Telecom' });
      // Restating the same currency is no change.
      const same = await api.patch('/account', { name: 'Renamed', currency: 'gbp' });
      expect(same.status).toBe(200);
      expect(same.body).toMatchObject({ name: 'Renamed', currency: 'GBP' });
    });

    it('is fixed once a feature has a recurring charge: 10.50 in GBP means nothing in JPY', async () => {
      const { api, id } = await h.account();
      const customer = await makeCustomer(api);
      const feature = await makeFeature(api, customer.id, { recurringValue: '10.50' });
      expectError(
        await api.patch('/account', { currency: 'JPY' }),
        409,
        409000,
        'Conflict',
        'currency cannot change once the account has recurring charges',
      );
      expect((await accountRow(id)).currency).toBe('GBP');
      expect((await api.get(`/features/${feature.id}`)).body.recurringValue).toBe('10.50');
    });

    it('is fixed by charges left unbilled when their invoice was deleted', async () => {
      const { api } = await h.account();
      const customer = await makeCustomer(api);
      const charge = await makeCharge(api, `/customers/${customer.id}`, { transactionValue: '10.50' });
      expect((await api.delete(`/invoices/${charge.invoiceID}`)).status).toBe(200);
      expect(
        await h.ctx.db
          .selectFrom('invoices')
          .select('id')
          .where('customer_id', '=', Number(customer.id))
          .execute(),
      ).toStrictEqual([]);
      expectError(
        await api.patch('/account', { currency: 'JPY' }),
        409,
        409000,
        'Conflict',
        'currency cannot change once the account has charges',
      );
      expect((await api.get(`/transactions/${charge.id}`)).body.transactionValue).toBe('10.50');
    });
  });

  describe('invoice numbers', () => {
    it('let invoiceNextNumber move forward or stay, never back', async () => {
      const { api, id } = await h.account();
      expect((await api.patch('/account', { invoiceNextNumber: 50 })).body.invoiceNextNumber).toBe(50);
      expect((await api.patch('/account', { invoiceNextNumber: 50 })).status).toBe(200);
      expectError(
        await api.patch('/account', { invoiceNextNumber: 49 }),
        400,
        400001,
        'Invalid Parameter',
        'invoiceNextNumber: cannot go back below 50: invoice numbers are never reused',
      );
      expect((await accountRow(id)).invoice_next_number).toBe(50);
    });

    it('number approved invoices with the prefix and the next number, which then moves on', async () => {
      const { api, id } = await h.account();
      expect((await api.patch('/account', { invoicePrefix: 'RB-', invoiceNextNumber: 1000 })).status).toBe(
        200,
      );
      const first = await makeCustomer(api, { name: 'First', paymentTermsDays: 14 });
      const second = await makeCustomer(api, { name: 'Second' });
      const invoiceOf = async (customerId: string) =>
        (await api.post(`/customers/${customerId}/invoices`, { cutoffDate: '2026-03-01' })).body.id;
      const a = await invoiceOf(first.id);
      const b = await invoiceOf(second.id);

      const approvedA = await api.post(`/invoices/${a}?action=approve`);
      expect(approvedA.status).toBe(200);
      // Dated today in the account timezone; due after the customer's terms, else the account's 30 days.
      expect(approvedA.body).toMatchObject({
        invoiceNumber: 'RB-1000',
        invoiceDate: '2026-03-10',
        dueDate: '2026-03-24',
        status: ['approved'],
      });
      expect((await api.get('/account')).body.invoiceNextNumber).toBe(1001);

      // After the prefix changes, the next invoice carries the new one.
      await api.patch('/account', { invoicePrefix: 'NV/' });
      const approvedB = await api.post(`/invoices/${b}?action=approve`);
      expect(approvedB.body).toMatchObject({
        invoiceNumber: 'NV/1001',
        invoiceDate: '2026-03-10',
        dueDate: '2026-04-09',
      });
      expect((await accountRow(id)).invoice_next_number).toBe(1002);
      // The number just used cannot be handed out again.
      expectError(
        await api.patch('/account', { invoiceNextNumber: 1001 }),
        400,
        400001,
        'Invalid Parameter',
        'invoiceNextNumber: cannot go back below 1002: invoice numbers are never reused',
      );
      const numbers = await h.ctx.db
        .selectFrom('invoices')
        .select('invoice_number')
        .where('account_id', '=', id)
        .orderBy('id')
        .execute();
      expect(numbers.map((n) => n.invoice_number)).toStrictEqual(['RB-1000', 'NV/1001']);
    });
  });
});

describe('/apiKeys', () => {
  it('creates a key that works at once and is shown only in the response', async () => {
    const { api, id } = await h.account();
    const res = await api.post('/apiKeys', { level: 3, name: 'billing clerk' });
    expect(res.status).toBe(201);
    expect(res.body).toStrictEqual({
      id: expect.stringMatching(/^[1-9]\d*$/),
      name: 'billing clerk',
      level: 3,
      prefix: res.body.key.slice(0, 9),
      timezone: 'Europe/London',
      created: expect.stringMatching(ISO_INSTANT),
      revoked: null,
      key: expect.stringMatching(/^rb_[A-Za-z0-9_-]{32}$/),
    });
    const clerk = new Api(h.url, res.body.key);
    expect((await clerk.get('/account')).body.id).toBe(String(id));
    // Level 3: customers yes, invoices no.
    expect((await clerk.post('/customers', { name: 'Made by the clerk' })).status).toBe(201);
    expect((await clerk.post('/billingRuns', {})).status).toBe(403);

    const row = await h.ctx.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', Number(res.body.id))
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      account_id: id,
      name: 'billing clerk',
      level: 3,
      timezone: 'Europe/London',
      revoked_at: null,
    });
  });

  it('creates a key without a name', async () => {
    const { api } = await h.account();
    const res = await api.post('/apiKeys', { level: 1 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: null, level: 1, revoked: null });
  });

  it.each([
    [{ level: 0 }, /^level: /],
    [{ level: 6 }, /^level: /],
    [{ level: 2.5 }, /^level: /],
    [{ level: '3' }, /^level: /],
    [{ name: 'no level' }, /^level: /],
    [{ level: 1, name: 'x'.repeat(201) }, /^name: /],
    [{ level: 1, scope: 'all' }, 'scope: unknown field scope'],
  ])('refuses %j', async (body, hint) => {
    const { api, id } = await h.account();
    expectError(await api.post('/apiKeys', body), 400, 400001, 'Invalid Parameter', hint);
    expect(
      await h.ctx.db.selectFrom('api_keys').select('id').where('account_id', '=', id).execute(),
    ).toHaveLength(1);
  });

  it("lists the account's keys, oldest first, without the keys themselves", async () => {
    const { api } = await h.account();
    const other = await h.account();
    await other.api.post('/apiKeys', { level: 2, name: 'not yours' });
    const created = await api.post('/apiKeys', { level: 2, name: 'reporting' });
    const { key, ...view } = created.body;
    const res = await api.get('/apiKeys');
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual([
      {
        id: expect.stringMatching(/^\d+$/),
        name: 'initial key',
        level: 5,
        prefix: expect.stringMatching(/^rb_.{6}$/),
        timezone: 'Europe/London',
        created: expect.stringMatching(ISO_INSTANT),
        revoked: null,
      },
      view,
    ]);
    expect(res.text).not.toContain(key);
  });

  it('revokes a key; revoking it again changes nothing', async () => {
    const { api, id } = await h.account();
    const created = await api.post('/apiKeys', { level: 1, name: 'temporary' });
    const { key, ...view } = created.body;
    const revoked = await api.delete(`/apiKeys/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toStrictEqual({ ...view, revoked: NOW.toISOString() });
    expectError(
      await new Api(h.url, key).get('/account'),
      401,
      401001,
      'Unauthorized',
      'the API key is not valid or has been revoked',
    );

    h.setNow(LATER);
    const again = await api.delete(`/apiKeys/${created.body.id}`);
    expect(again.status).toBe(200);
    expect(again.body).toStrictEqual({ ...view, revoked: NOW.toISOString() });
    const row = await h.ctx.db
      .selectFrom('api_keys')
      .select('revoked_at')
      .where('id', '=', Number(created.body.id))
      .executeTakeFirstOrThrow();
    expect(row.revoked_at!.toISOString()).toBe(NOW.toISOString());
    expect((await api.get('/apiKeys')).body.find((k: any) => k.id === created.body.id).revoked).toBe(
      NOW.toISOString(),
    );
    expect(id).toBeGreaterThan(0);
  });

  it("answers 404 for a key that does not exist or is another account's, which stays valid", async () => {
    const { api } = await h.account();
    const other = await h.account();
    const theirs = await other.api.post('/apiKeys', { level: 1, name: 'theirs' });
    expectError(await api.delete('/apiKeys/987654'), 404, 404001, 'Not Found', 'API key 987654 not found');
    expectError(
      await api.delete(`/apiKeys/${theirs.body.id}`),
      404,
      404001,
      'Not Found',
      `API key ${theirs.body.id} not found`,
    );
    expectError(await api.delete('/apiKeys/first'), 404, 404001, 'Not Found', 'API key first not found');
    const row = await h.ctx.db
      .selectFrom('api_keys')
      .select('revoked_at')
      .where('id', '=', Number(theirs.body.id))
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).toBeNull();
    expect((await new Api(h.url, theirs.body.key).get('/account')).status).toBe(200);
    expect((await api.get('/apiKeys')).body.map((k: any) => k.id)).not.toContain(theirs.body.id);
  });
});
