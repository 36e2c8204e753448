// Features through HTTP: create under a customer (defaults, exact recurring values, dates, phone numbers),
// list, get, update, delete (refused once billed on an approved invoice), and another account's key.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeCustomer, makeFeature, useHarness, type Res } from '../helpers/harness.ts';

const h = useHarness();

const NOW = new Date('2026-03-10T09:30:00.000Z');
const LATER = new Date('2026-03-12T16:45:00.000Z');
beforeEach(() => h.setNow(NOW));
afterEach(() => h.setNow(undefined));

const PREFIX = '/backend/api/v1';

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

/** A feature as the API shows one created with only a name. */
function bareFeature(id: string, customerID: string, name: string, at = NOW) {
  return {
    id,
    customerID,
    name,
    phoneNumber: null,
    recurringValue: null,
    recurringFrequency: null,
    billing: 'advance',
    startDate: null,
    endDate: null,
    vatRate: null,
    billedUntil: null,
    rateCardID: null,
    created: at.toISOString(),
    updated: at.toISOString(),
  };
}

async function featureRow(id: string | number) {
  return h.ctx.db.selectFrom('features').selectAll().where('id', '=', Number(id)).executeTakeFirst();
}

async function featureIdsOf(accountId: number): Promise<number[]> {
  const rows = await h.ctx.db
    .selectFrom('features')
    .select('id')
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

describe('POST /customers/:id/features', () => {
  it('creates a feature from a name alone: no recurring charge, no dates, billed in advance', async () => {
    const { api, id: accountId } = await h.account();
    const customer = await makeCustomer(api);
    const res = await api.post(`/customers/${customer.id}/features`, { name: 'Main line' });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^[1-9]\d*$/);
    expect(res.body).toStrictEqual(bareFeature(res.body.id, customer.id, 'Main line'));
    expect(await featureRow(res.body.id)).toMatchObject({
      account_id: accountId,
      customer_id: Number(customer.id),
      name: 'Main line',
      recurring_value: null,
      recurring_frequency: null,
      billing: 'advance',
      start_date: null,
      billed_until: null,
    });
  });

  it('defaults a recurring charge to monthly, in advance, from today', async () => {
    const { api } = await h.account({ timezone: 'Europe/London' });
    const customer = await makeCustomer(api);
    const res = await api.post(`/customers/${customer.id}/features`, {
      name: 'Hosted PBX',
      recurringValue: '15',
    });
    expect(res.status).toBe(201);
    expect(res.body).toStrictEqual({
      ...bareFeature(res.body.id, customer.id, 'Hosted PBX'),
      recurringValue: '15.00',
      recurringFrequency: 'monthly',
      billing: 'advance',
      startDate: '2026-03-10',
    });
    expect(await featureRow(res.body.id)).toMatchObject({
      recurring_value: '15.000000',
      recurring_frequency: 'monthly',
      billing: 'advance',
      start_date: '2026-03-10',
    });
  });

  it("takes today's date in the account's timezone, not in UTC", async () => {
    // 20:00 UTC on 10 March is 09:00 on 11 March in Auckland (UTC+13).
    h.setNow(new Date('2026-03-10T20:00:00.000Z'));
    const auckland = await h.account({ timezone: 'Pacific/Auckland', currency: 'NZD' });
    const nz = await makeFeature(auckland.api, (await makeCustomer(auckland.api)).id, {
      recurringValue: '9.99',
    });
    expect(nz.startDate).toBe('2026-03-11');

    // 05:00 UTC on 11 March is 22:00 on 10 March in Los Angeles (UTC-7).
    h.setNow(new Date('2026-03-11T05:00:00.000Z'));
    const la = await h.account({ timezone: 'America/Los_Angeles', currency: 'USD' });
    const us = await makeFeature(la.api, (await makeCustomer(la.api)).id, { recurringValue: '9.99' });
    expect(us.startDate).toBe('2026-03-10');
    expect((await featureRow(us.id))!.start_date).toBe('2026-03-10');
  });

  it('stores every field as given', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const res = await api.post(`/customers/${customer.id}/features`, {
      name: '  Sales line  ',
      phoneNumber: '+44 20 7946 0000',
      recurringValue: '12.5',
      recurringFrequency: 'quarterly',
      billing: 'arrears',
      startDate: '2026-01-01',
      endDate: '2026-12-31',
      vatRate: '17.5',
    });
    expect(res.status).toBe(201);
    expect(res.body).toStrictEqual({
      ...bareFeature(res.body.id, customer.id, 'Sales line'),
      phoneNumber: '+442079460000',
      recurringValue: '12.50',
      recurringFrequency: 'quarterly',
      billing: 'arrears',
      startDate: '2026-01-01',
      endDate: '2026-12-31',
      vatRate: '17.5',
    });
    expect(await featureRow(res.body.id)).toMatchObject({
      name: 'Sales line',
      phone_number: '+442079460000',
      recurring_value: '12.500000',
      recurring_frequency: 'quarterly',
      billing: 'arrears',
      start_date: '2026-01-01',
      end_date: '2026-12-31',
      vat_rate: '17.5000',
    });
  });

  it('keeps a start date given without a recurring charge, and takes numbers for amounts and rates', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const res = await api.post(`/customers/${customer.id}/features`, {
      name: 'Licence',
      startDate: '2026-02-01',
      recurringValue: 7,
      vatRate: 5,
    });
    expect(res.body).toStrictEqual({
      ...bareFeature(res.body.id, customer.id, 'Licence'),
      recurringValue: '7.00',
      recurringFrequency: 'monthly',
      startDate: '2026-02-01',
      vatRate: '5',
    });
    const plain = await makeFeature(api, customer.id, { name: 'Spare number', startDate: '2026-02-01' });
    expect(plain).toStrictEqual({
      ...bareFeature(plain.id, customer.id, 'Spare number'),
      startDate: '2026-02-01',
    });
  });

  describe('recurringValue is exact to the currency', () => {
    it.each([
      ['GBP', '10.1', '10.10', '10.100000'],
      ['GBP', ' 12.50 ', '12.50', '12.500000'],
      ['GBP', 10, '10.00', '10.000000'],
      ['GBP', 0.5, '0.50', '0.500000'],
      ['JPY', '1000', '1000', '1000.000000'],
      ['BHD', '1.234', '1.234', '1.234000'],
    ])('%s accepts %j as %s', async (currency, recurringValue, shown, stored) => {
      const { api } = await h.account({ currency });
      const customer = await makeCustomer(api);
      const res = await api.post(`/customers/${customer.id}/features`, { name: 'Line', recurringValue });
      expect(res.status).toBe(201);
      expect(res.body.recurringValue).toBe(shown);
      expect((await featureRow(res.body.id))!.recurring_value).toBe(stored);
    });

    it.each([
      ['GBP', '10.001', 2],
      ['GBP', 10.001, 2],
      ['GBP', 0.1 + 0.2, 2],
      ['GBP', '1e3', 2],
      ['GBP', 'ten', 2],
      ['GBP', '', 2],
      ['GBP', '12,50', 2],
      ['JPY', '1000.5', 0],
      ['BHD', '1.2345', 3],
    ])('%s refuses %j', async (currency, recurringValue, digits) => {
      const { api, id: accountId } = await h.account({ currency });
      const customer = await makeCustomer(api);
      expectError(
        await api.post(`/customers/${customer.id}/features`, { name: 'Line', recurringValue }),
        400,
        400001,
        'Invalid Parameter',
        `recurringValue: must be an amount with at most ${digits} decimal places, e.g. "15.00"`,
      );
      expect(await featureIdsOf(accountId)).toStrictEqual([]);
    });
  });

  it('refuses an end date before the start date, and accepts one on the same day', async () => {
    const { api, id: accountId } = await h.account();
    const customer = await makeCustomer(api);
    const path = `/customers/${customer.id}/features`;
    const hint = 'endDate: must not be before startDate';
    expectError(
      await api.post(path, { name: 'L', startDate: '2026-03-01', endDate: '2026-02-28' }),
      400,
      400001,
      'Invalid Parameter',
      hint,
    );
    // The default start date (today, 2026-03-10) counts too.
    expectError(
      await api.post(path, { name: 'L', recurringValue: '5', endDate: '2026-03-09' }),
      400,
      400001,
      'Invalid Parameter',
      hint,
    );
    expect(await featureIdsOf(accountId)).toStrictEqual([]);

    const oneDay = await api.post(path, {
      name: 'L',
      recurringValue: '5',
      startDate: '2026-03-01',
      endDate: '2026-03-01',
    });
    expect(oneDay.status).toBe(201);
    expect(oneDay.body).toMatchObject({ startDate: '2026-03-01', endDate: '2026-03-01' });
  });

  it.each([
    [{ name: 'L', startDate: '2026-02-30' }, /^startDate: /],
    [{ name: 'L', startDate: '10/03/2026' }, /^startDate: /],
    [{ name: 'L', endDate: '2026-13-01' }, /^endDate: /],
    [{ name: 'L', recurringValue: '5', recurringFrequency: 'weekly' }, /^recurringFrequency: /],
    [{ name: 'L', billing: 'later' }, /^billing: /],
    [{ name: 'L', vatRate: '120' }, 'vatRate: must be from 0 to 100 percent'],
    [{ name: 'L', vatRate: '17.55555' }, 'vatRate: must be a percentage such as "20" or "17.5"'],
    [{ name: 'L', phoneNumber: 'ext. 12' }, 'phoneNumber: "ext. 12" is not a phone number'],
    [{ name: 'L', phoneNumber: 441234 }, /^phoneNumber: /],
    [{ name: 'L', recurringValue: true }, /^recurringValue: /],
    [{ name: 'L', price: '5' }, 'price: unknown field price'],
    [{ phoneNumber: '+441234567890' }, /^name: /],
    [{ name: ' ' }, 'name: must be 1 to 200 characters'],
  ])('refuses %j, naming the field', async (body, hint) => {
    const { api, id: accountId } = await h.account();
    const customer = await makeCustomer(api);
    expectError(
      await api.post(`/customers/${customer.id}/features`, body),
      400,
      400001,
      'Invalid Parameter',
      hint,
    );
    expect(await featureIdsOf(accountId)).toStrictEqual([]);
  });

  it('answers 404 for a customer that does not exist', async () => {
    const { api, id: accountId } = await h.account();
    expectError(
      await api.post('/customers/777777/features', { name: 'L' }),
      404,
      404001,
      'Not Found',
      'Customer 777777 not found',
    );
    expect(await featureIdsOf(accountId)).toStrictEqual([]);
  });
});

describe('phone numbers', () => {
  it('refuses a number in use over overlapping dates (409), in any form and on any customer of the account', async () => {
    const { api, id: accountId } = await h.account();
    const alice = await makeCustomer(api, { name: 'Alice' });
    const bob = await makeCustomer(api, { name: 'Bob' });
    const first = await makeFeature(api, alice.id, { phoneNumber: '+44 20 7946 0000' });
    const clash = {
      error: 'Phone Number In Use',
      error_code: 409005,
      hint: `phone number +442079460000 is in use by feature ${first.id} over the same dates`,
    };
    for (const phoneNumber of ['+442079460000', '+44 (20) 7946-0000']) {
      for (const customer of [alice, bob]) {
        const res = await api.post(`/customers/${customer.id}/features`, { name: 'Copy', phoneNumber });
        expect({ status: res.status, body: res.body }).toStrictEqual({ status: 409, body: clash });
      }
    }
    expect(await featureIdsOf(accountId)).toStrictEqual([Number(first.id)]);

    // Another account's numbers are its own business.
    const other = await h.account();
    const theirs = await makeFeature(other.api, (await makeCustomer(other.api)).id, {
      phoneNumber: '+44 20 7946 0000',
    });
    expect(theirs.phoneNumber).toBe('+442079460000');
  });

  it('lets a number move to a new feature once the old one has ended', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const path = `/customers/${customer.id}/features`;
    const number = '+44 161 496 0000';
    const old = await makeFeature(api, customer.id, { name: 'Old line', phoneNumber: number });

    // End the old feature on 31 March (inclusive).
    const ended = await api.patch(`/features/${old.id}`, { endDate: '2026-03-31' });
    expect(ended.status).toBe(200);
    expect(ended.body.endDate).toBe('2026-03-31');

    // Starting on its last day still overlaps; starting the day after does not.
    expectError(
      await api.post(path, { name: 'New line', phoneNumber: number, startDate: '2026-03-31' }),
      409,
      409005,
      'Phone Number In Use',
      `phone number +441614960000 is in use by feature ${old.id} over the same dates`,
    );
    const moved = await api.post(path, { name: 'New line', phoneNumber: number, startDate: '2026-04-01' });
    expect(moved.status).toBe(201);
    expect(moved.body).toMatchObject({
      phoneNumber: '+441614960000',
      startDate: '2026-04-01',
      endDate: null,
    });

    // A feature with no dates covers all time, so it clashes with both.
    expect((await api.post(path, { name: 'Undated', phoneNumber: number })).status).toBe(409);
    // The old feature has no start date, so it covers all time up to its end: even an early feature clashes.
    expect(
      (await api.post(path, { name: 'Ancient', phoneNumber: number, endDate: '2025-12-31' })).status,
    ).toBe(409);

    // Re-opening the old feature would overlap the new one.
    expectError(
      await api.patch(`/features/${old.id}`, { endDate: null }),
      409,
      409005,
      'Phone Number In Use',
      `phone number +441614960000 is in use by feature ${moved.body.id} over the same dates`,
    );
    expect((await featureRow(old.id))!.end_date).toBe('2026-03-31');

    // Once the new feature has another number, the old one may be re-opened.
    expect((await api.patch(`/features/${moved.body.id}`, { phoneNumber: '+44 161 496 0999' })).status).toBe(
      200,
    );
    const reopened = await api.patch(`/features/${old.id}`, { endDate: null });
    expect(reopened.status).toBe(200);
    expect(reopened.body.endDate).toBeNull();
  });

  it('allows the same number on features whose dates do not overlap', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const number = '+1 415 555 0100';
    await makeFeature(api, customer.id, {
      name: 'January',
      phoneNumber: number,
      startDate: '2026-01-01',
      endDate: '2026-01-31',
    });
    const feb = await api.post(`/customers/${customer.id}/features`, {
      name: 'February',
      phoneNumber: number,
      startDate: '2026-02-01',
      endDate: '2026-02-28',
    });
    expect(feb.status).toBe(201);
    const before = await api.post(`/customers/${customer.id}/features`, {
      name: 'Before',
      phoneNumber: number,
      endDate: '2025-12-31',
    });
    expect(before.status).toBe(201);
    // Spanning the end of January and the start of February overlaps both.
    const span = await api.post(`/customers/${customer.id}/features`, {
      name: 'Span',
      phoneNumber: number,
      startDate: '2026-01-15',
      endDate: '2026-02-15',
    });
    expect(span.status).toBe(409);
  });
});

describe('GET /customers/:id/features and /features/:id', () => {
  it("lists a customer's features by id, in pages", async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const otherCustomer = await makeCustomer(api, { name: 'Other' });
    const f1 = await makeFeature(api, customer.id, { name: 'One' });
    await makeFeature(api, otherCustomer.id, { name: 'Not mine' });
    const f2 = await makeFeature(api, customer.id, { name: 'Two', recurringValue: '3.00' });
    const f3 = await makeFeature(api, customer.id, { name: 'Three' });

    const all = await api.get(`/customers/${customer.id}/features`);
    expect(all.status).toBe(200);
    expect(all.body).toStrictEqual([f1, f2, f3]);
    expect(all.headers.get('link')).toBeNull();

    const page1 = await api.get(`/customers/${customer.id}/features?limit=2`);
    expect(page1.body).toStrictEqual([f1, f2]);
    expect(page1.headers.get('link')).toBe(
      `<${PREFIX}/customers/${customer.id}/features?limit=2&after=${f2.id}>; rel="next"`,
    );
    expect(page1.headers.get('x-next-after')).toBe(f2.id);
    const page2 = await api.get(`/customers/${customer.id}/features?limit=2&after=${f2.id}`);
    expect(page2.body).toStrictEqual([f3]);
    expect(page2.headers.get('link')).toBeNull();

    expectError(
      await api.get(`/customers/${customer.id}/features?limit=0`),
      400,
      400001,
      'Invalid Parameter',
      /^limit: /,
    );
    expectError(
      await api.get('/customers/888888/features'),
      404,
      404001,
      'Not Found',
      'Customer 888888 not found',
    );
  });

  it('gets one feature', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const feature = await makeFeature(api, customer.id, {
      phoneNumber: '0113 496 0000',
      recurringValue: '20',
      vatRate: '0',
    });
    const res = await api.get(`/features/${feature.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({
      ...bareFeature(feature.id, customer.id, 'Main line'),
      phoneNumber: '01134960000',
      recurringValue: '20.00',
      recurringFrequency: 'monthly',
      startDate: '2026-03-10',
      vatRate: '0',
    });
    expectError(await api.get('/features/999999'), 404, 404001, 'Not Found', 'Feature 999999 not found');
    expectError(await api.get('/features/x1'), 404, 404001, 'Not Found', 'Feature x1 not found');
  });
});

describe('PATCH /features/:id', () => {
  it('changes the fields given and leaves the rest', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const feature = await makeFeature(api, customer.id, {
      phoneNumber: '+44 20 7946 0000',
      recurringValue: '10',
      startDate: '2026-01-01',
    });
    h.setNow(LATER);
    const res = await api.patch(`/features/${feature.id}`, {
      name: 'Main line (upgraded)',
      recurringValue: '20.5',
      recurringFrequency: 'annually',
      billing: 'arrears',
      endDate: '2026-12-31',
      vatRate: '5',
    });
    expect(res.status).toBe(200);
    const expected = {
      ...bareFeature(feature.id, customer.id, 'Main line (upgraded)'),
      phoneNumber: '+442079460000',
      recurringValue: '20.50',
      recurringFrequency: 'annually',
      billing: 'arrears',
      startDate: '2026-01-01',
      endDate: '2026-12-31',
      vatRate: '5',
      updated: LATER.toISOString(),
    };
    expect(res.body).toStrictEqual(expected);
    expect((await api.get(`/features/${feature.id}`)).body).toStrictEqual(expected);
    expect(await featureRow(feature.id)).toMatchObject({
      name: 'Main line (upgraded)',
      recurring_value: '20.500000',
      recurring_frequency: 'annually',
      billing: 'arrears',
      end_date: '2026-12-31',
      vat_rate: '5.0000',
    });
  });

  it('removes a recurring charge with null, keeping the dates', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const feature = await makeFeature(api, customer.id, {
      recurringValue: '10',
      recurringFrequency: 'quarterly',
      startDate: '2026-01-01',
    });
    const res = await api.patch(`/features/${feature.id}`, { recurringValue: null });
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({
      ...bareFeature(feature.id, customer.id, 'Main line'),
      startDate: '2026-01-01',
    });
    expect(await featureRow(feature.id)).toMatchObject({ recurring_value: null, recurring_frequency: null });
  });

  it('adds a recurring charge (monthly by default) to a feature, starting today when it has no start date', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const dated = await makeFeature(api, customer.id, { startDate: '2026-02-01' });
    const res = await api.patch(`/features/${dated.id}`, { recurringValue: '4.99' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      recurringValue: '4.99',
      recurringFrequency: 'monthly',
      startDate: '2026-02-01',
    });

    // As on create, the start date defaults to today in the account's timezone (London here).
    h.setNow(new Date('2026-06-30T23:30:00Z'));
    try {
      const undated = await makeFeature(api, customer.id);
      const added = await api.patch(`/features/${undated.id}`, { recurringValue: '4.99' });
      expect(added.status).toBe(200);
      expect(added.body).toMatchObject({
        recurringValue: '4.99',
        recurringFrequency: 'monthly',
        startDate: '2026-07-01',
      });
    } finally {
      h.setNow(undefined);
    }
  });

  it('refuses a negative recurring value', async () => {
    const { api, id: accountId } = await h.account();
    const customer = await makeCustomer(api);
    expectError(
      await api.post(`/customers/${customer.id}/features`, { name: 'Line', recurringValue: '-5.00' }),
      400,
      400001,
      'Invalid Parameter',
      'recurringValue: must be zero or more; credit a customer with a refund or discount charge',
    );
    expect(await featureIdsOf(accountId)).toStrictEqual([]);
  });

  it('validates dates and values, naming the field', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const feature = await makeFeature(api, customer.id, { recurringValue: '10', startDate: '2026-03-01' });
    const bad = async (body: unknown, hint: string | RegExp) =>
      expectError(await api.patch(`/features/${feature.id}`, body), 400, 400001, 'Invalid Parameter', hint);
    await bad({ endDate: '2026-02-28' }, 'endDate: must not be before startDate');
    await bad({ startDate: '2026-04-01', endDate: '2026-03-31' }, 'endDate: must not be before startDate');
    await bad(
      { recurringValue: '10.999' },
      'recurringValue: must be an amount with at most 2 decimal places, e.g. "15.00"',
    );
    await bad({ name: null }, /^name: /);
    await bad({ customerID: '1' }, 'customerID: unknown field customerID');
    expect((await api.get(`/features/${feature.id}`)).body).toStrictEqual(feature);
  });

  it('fixes the start date once the feature has been charged', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const feature = await makeFeature(api, customer.id, { recurringValue: '10', startDate: '2026-01-01' });
    // Billing to a 1 February cut-off charges January and, in advance, February.
    const invoice = await api.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-02-01' });
    expect(invoice.status).toBe(201);
    expect(invoice.body.invoiceChargesRecurring).toBe('20.00');
    expect((await api.get(`/features/${feature.id}`)).body.billedUntil).toBe('2026-03-01');

    expectError(
      await api.patch(`/features/${feature.id}`, { startDate: '2025-12-01' }),
      400,
      400001,
      'Invalid Parameter',
      'startDate: cannot change once the feature has been charged; set an end date and add a new feature',
    );
    expect((await featureRow(feature.id))!.start_date).toBe('2026-01-01');
    // Restating the same date is no change.
    expect(
      (await api.patch(`/features/${feature.id}`, { startDate: '2026-01-01', name: 'Renamed' })).status,
    ).toBe(200);
  });

  it('answers 404 for a feature that does not exist', async () => {
    const { api } = await h.account();
    expectError(
      await api.patch('/features/55555', { name: 'Ghost' }),
      404,
      404001,
      'Not Found',
      'Feature 55555 not found',
    );
  });
});

describe('DELETE /features/:id', () => {
  it('deletes a feature that was never billed', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const feature = await makeFeature(api, customer.id);
    const keep = await makeFeature(api, customer.id, { name: 'Keep' });
    const res = await api.delete(`/features/${feature.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ success: true, message: `Feature ${feature.id} deleted` });
    expect(await featureRow(feature.id)).toBeUndefined();
    expect((await api.get(`/customers/${customer.id}/features`)).body).toStrictEqual([keep]);
    expectError(
      await api.delete(`/features/${feature.id}`),
      404,
      404001,
      'Not Found',
      `Feature ${feature.id} not found`,
    );
  });

  it('takes its charges off an unsent invoice, which is recalculated', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const kept = await makeFeature(api, customer.id, {
      name: 'Kept',
      recurringValue: '10',
      startDate: '2026-01-01',
    });
    const dropped = await makeFeature(api, customer.id, {
      name: 'Dropped',
      recurringValue: '4.50',
      startDate: '2026-01-01',
    });
    const invoice = await api.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-02-01' });
    // Two months of each, in advance: 2 x 10.00 + 2 x 4.50.
    expect(invoice.body).toMatchObject({
      invoiceChargesRecurring: '29.00',
      invoiceAmount: '29.00',
      invoiceVAT: '5.80',
      total: '34.80',
    });

    const res = await api.delete(`/features/${dropped.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ success: true, message: `Feature ${dropped.id} deleted` });

    const after = await api.get(`/invoices/${invoice.body.id}`);
    expect(after.body).toMatchObject({
      invoiceChargesRecurring: '20.00',
      invoiceAmount: '20.00',
      invoiceVAT: '4.00',
      total: '24.00',
    });
    const db = h.ctx.db;
    expect(
      await db
        .selectFrom('billing_transactions')
        .select('id')
        .where('feature_id', '=', Number(dropped.id))
        .execute(),
    ).toStrictEqual([]);
    expect(
      await db
        .selectFrom('billing_transactions')
        .select('id')
        .where('feature_id', '=', Number(kept.id))
        .execute(),
    ).toHaveLength(2);
    expect(await featureRow(dropped.id)).toBeUndefined();
  });

  it('is refused (409) once the feature has a charge on an approved invoice', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const feature = await makeFeature(api, customer.id);
    const charge = await api.post(`/features/${feature.id}/transactions`, {
      transactionValue: '10.00',
      transactionDate: '2026-02-15',
    });
    expect(charge.status).toBe(201);
    const invoiceId = charge.body.invoiceID;
    expect(invoiceId).toMatch(/^\d+$/);
    expect((await api.post(`/invoices/${invoiceId}?action=approve`)).status).toBe(200);

    const res = await api.delete(`/features/${feature.id}`);
    expect({ status: res.status, body: res.body }).toStrictEqual({
      status: 409,
      body: {
        error: 'Feature Has Billed Charges',
        error_code: 409004,
        hint: `feature ${feature.id} has charges on approved invoices; set an end date instead`,
      },
    });
    expect(await featureRow(feature.id)).toBeDefined();
    const charges = await h.ctx.db
      .selectFrom('billing_transactions')
      .select(['id', 'invoice_id'])
      .where('feature_id', '=', Number(feature.id))
      .execute();
    expect(charges).toStrictEqual([{ id: Number(charge.body.id), invoice_id: Number(invoiceId) }]);

    // Ending it instead is allowed.
    const ended = await api.patch(`/features/${feature.id}`, { endDate: '2026-03-31' });
    expect(ended.status).toBe(200);
    expect(ended.body.endDate).toBe('2026-03-31');
  });

  it('is refused for recurring charges on an approved invoice too', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const feature = await makeFeature(api, customer.id, { recurringValue: '10', startDate: '2026-01-01' });
    const invoice = await api.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-02-01' });
    expect((await api.post(`/invoices/${invoice.body.id}?action=approve`)).status).toBe(200);
    expectError(
      await api.delete(`/features/${feature.id}`),
      409,
      409004,
      'Feature Has Billed Charges',
      `feature ${feature.id} has charges on approved invoices; set an end date instead`,
    );
    expect(await featureRow(feature.id)).toBeDefined();
  });
});

describe("another account's key", () => {
  it('gets 404 on every feature path and changes nothing', async () => {
    const owner = await h.account();
    const customer = await makeCustomer(owner.api);
    const feature = await makeFeature(owner.api, customer.id, {
      phoneNumber: '+44 20 7946 0123',
      recurringValue: '10',
    });
    const intruder = await h.account();
    const api = intruder.api;
    const notFound = { error: 'Not Found', error_code: 404001, hint: `Feature ${feature.id} not found` };
    const attempts: [string, () => Promise<Res>][] = [
      ['GET feature', () => api.get(`/features/${feature.id}`)],
      [
        'PATCH feature',
        () => api.patch(`/features/${feature.id}`, { name: 'Hijacked', recurringValue: '0' }),
      ],
      ['DELETE feature', () => api.delete(`/features/${feature.id}`)],
      ['GET transactions', () => api.get(`/features/${feature.id}/transactions`)],
      [
        'POST transaction',
        () => api.post(`/features/${feature.id}/transactions`, { transactionValue: '5.00' }),
      ],
    ];
    for (const [label, attempt] of attempts) {
      const res = await attempt();
      expect({ label, status: res.status, body: res.body }).toStrictEqual({
        label,
        status: 404,
        body: notFound,
      });
    }
    expectError(
      await api.post(`/customers/${customer.id}/features`, { name: 'Sneaky' }),
      404,
      404001,
      'Not Found',
      `Customer ${customer.id} not found`,
    );

    expect((await owner.api.get(`/features/${feature.id}`)).body).toStrictEqual(feature);
    expect(await featureIdsOf(intruder.id)).toStrictEqual([]);
    expect(
      await h.ctx.db
        .selectFrom('billing_transactions')
        .select('id')
        .where('feature_id', '=', Number(feature.id))
        .execute(),
    ).toStrictEqual([]);
  });
});
