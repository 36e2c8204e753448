// Customers through HTTP: list (keyset pages), get, create, update, delete, validation, and another
// account's key. Each test checks the whole response body, then the database where a write happened.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeCustomer, makeFeature, useHarness, type Api, type Res } from '../helpers/harness.ts';

const h = useHarness();

// A fixed clock, so `created` and `updated` are known exactly.
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

/** A customer as the API shows one that was created with only a name. */
function bareCustomer(id: string, name: string, at = NOW) {
  return {
    id,
    name,
    accountNumber: null,
    email: null,
    mobileNumber: null,
    reverseCharge: false,
    vatNumber: null,
    paymentTermsDays: null,
    paymentMethod: null,
    billingAddress: null,
    rateCardID: null,
    billDelivery: 'email',
    discountPlanID: null,
    customerReference: null,
    purchaseOrderNumber: null,
    billingMode: 'postpaid',
    creditLimit: null,
    overdraft: '0.00',
    created: at.toISOString(),
    updated: at.toISOString(),
  };
}

async function customerRow(id: string | number) {
  return h.ctx.db.selectFrom('customers').selectAll().where('id', '=', Number(id)).executeTakeFirst();
}

async function customerCount(accountId: number): Promise<number> {
  const row = await h.ctx.db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('POST /customers', () => {
  it('creates a customer from a name alone, with every other field empty', async () => {
    const { api, id: accountId } = await h.account();
    const res = await api.post('/customers', { name: 'Bright Dental Ltd' });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^[1-9]\d*$/);
    expect(res.body).toStrictEqual(bareCustomer(res.body.id, 'Bright Dental Ltd'));

    const row = await customerRow(res.body.id);
    expect(row).toMatchObject({
      account_id: accountId,
      name: 'Bright Dental Ltd',
      account_number: null,
      email: null,
      mobile_number: null,
      reverse_charge: false,
      payment_terms_days: null,
      address_line1: null,
      postcode: null,
    });
    expect(row!.created_at.toISOString()).toBe(NOW.toISOString());
  });

  it('stores every field: trimmed text, an email list, a normalised mobile number and an address', async () => {
    const { api, id: accountId } = await h.account();
    const res = await api.post('/customers', {
      name: '  Harbour Vets  ',
      accountNumber: ' HV-0001 ',
      email: ['accounts@harbourvets.example', 'ops@harbourvets.example'],
      mobileNumber: '+44 7700 900-123',
      reverseCharge: true,
      vatNumber: ' DE123456789 ',
      paymentTermsDays: 14,
      paymentMethod: 'Direct Debit',
      billingAddress: { line1: '1 Quay Street', city: 'Bristol', postcode: 'BS1 4DJ', country: 'GB' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toStrictEqual({
      ...bareCustomer(res.body.id, 'Harbour Vets'),
      accountNumber: 'HV-0001',
      email: 'accounts@harbourvets.example, ops@harbourvets.example',
      mobileNumber: '+447700900123',
      reverseCharge: true,
      vatNumber: 'DE123456789',
      paymentTermsDays: 14,
      paymentMethod: 'Direct Debit',
      // The address always has every line; the ones not given are null.
      billingAddress: {
        line1: '1 Quay Street',
        line2: null,
        city: 'Bristol',
        region: null,
        postcode: 'BS1 4DJ',
        country: 'GB',
      },
    });

    expect(await customerRow(res.body.id)).toMatchObject({
      account_id: accountId,
      name: 'Harbour Vets',
      account_number: 'HV-0001',
      email: 'accounts@harbourvets.example, ops@harbourvets.example',
      mobile_number: '+447700900123',
      reverse_charge: true,
      vat_number: 'DE123456789',
      payment_terms_days: 14,
      payment_method: 'Direct Debit',
      address_line1: '1 Quay Street',
      address_line2: null,
      city: 'Bristol',
      region: null,
      postcode: 'BS1 4DJ',
      country: 'GB',
    });
  });

  it.each([
    ['one address', 'billing@example.com', 'billing@example.com'],
    ['a comma list', 'a@example.com,b@example.org', 'a@example.com, b@example.org'],
    [
      'a semicolon list with spaces',
      ' a@example.com ; b@example.org;c@example.net ',
      'a@example.com, b@example.org, c@example.net',
    ],
    ['an array', ['a@example.com', 'b@example.org'], 'a@example.com, b@example.org'],
    [
      'an array holding a list',
      ['a@example.com; b@example.org', 'c@example.net'],
      'a@example.com, b@example.org, c@example.net',
    ],
    ['an empty string', '', null],
    ['an empty array', [], null],
    ['null', null, null],
  ])('accepts email as %s', async (_label, email, stored) => {
    const { api } = await h.account();
    const res = await api.post('/customers', { name: 'Mail Test', email });
    expect(res.status).toBe(201);
    expect(res.body).toStrictEqual({ ...bareCustomer(res.body.id, 'Mail Test'), email: stored });
    expect((await customerRow(res.body.id))!.email).toBe(stored);
  });

  it.each([
    [
      'a bad address in a list',
      'a@example.com, not-an-address',
      'email: "not-an-address" is not a valid email address',
    ],
    ['a bad address in an array', ['a@example.com', 'b@'], 'email: "b@" is not a valid email address'],
    [
      'more than 20 addresses',
      Array.from({ length: 21 }, (_, i) => `u${i}@example.com`).join(';'),
      'email: at most 20 addresses',
    ],
  ])('refuses email with %s', async (_label, email, hint) => {
    const { api, id: accountId } = await h.account();
    expectError(
      await api.post('/customers', { name: 'Mail Test', email }),
      400,
      400001,
      'Invalid Parameter',
      hint,
    );
    expect(await customerCount(accountId)).toBe(0);
  });

  it.each([
    ['+44 20 7946 0000', '+442079460000'],
    ['020 7946 0000', '02079460000'],
    ['(555) 010-0199', '5550100199'],
    ['   ', null],
  ])('normalises mobileNumber %j to %j', async (mobileNumber, stored) => {
    const { api } = await h.account();
    const res = await api.post('/customers', { name: 'Phone Test', mobileNumber });
    expect(res.status).toBe(201);
    expect(res.body.mobileNumber).toBe(stored);
    expect((await customerRow(res.body.id))!.mobile_number).toBe(stored);
  });

  it.each([
    ['call me', 'mobileNumber: "call me" is not a phone number'],
    ['12', 'mobileNumber: "12" is not a phone number (3 to 17 digits)'],
    ['+44 7700 900123 ext 4', 'mobileNumber: "+44 7700 900123 ext 4" is not a phone number'],
  ])('refuses mobileNumber %j', async (mobileNumber, hint) => {
    const { api, id: accountId } = await h.account();
    expectError(
      await api.post('/customers', { name: 'Phone Test', mobileNumber }),
      400,
      400001,
      'Invalid Parameter',
      hint,
    );
    expect(await customerCount(accountId)).toBe(0);
  });

  it('requires a name', async () => {
    const { api, id: accountId } = await h.account();
    expectError(
      await api.post('/customers', { email: 'a@example.com' }),
      400,
      400001,
      'Invalid Parameter',
      /^name: /,
    );
    expectError(
      await api.post('/customers', { name: '   ' }),
      400,
      400001,
      'Invalid Parameter',
      'name: must not be empty',
    );
    expectError(await api.post('/customers', { name: null }), 400, 400001, 'Invalid Parameter', /^name: /);
    expectError(
      await api.post('/customers', { name: 'x'.repeat(201) }),
      400,
      400001,
      'Invalid Parameter',
      /^name: /,
    );
    expect(await customerCount(accountId)).toBe(0);
  });

  it('refuses an accountNumber already used in the account (409), but another account may use it', async () => {
    const { api, id: accountId } = await h.account();
    const first = await makeCustomer(api, { accountNumber: 'C-1001' });
    expectError(
      await api.post('/customers', { name: 'Copycat Ltd', accountNumber: 'C-1001' }),
      409,
      409006,
      'Account Number In Use',
      `accountNumber C-1001 belongs to customer ${first.id}`,
    );
    // Surrounding spaces do not make it a different number.
    expect((await api.post('/customers', { name: 'Copycat Ltd', accountNumber: ' C-1001 ' })).status).toBe(
      409,
    );
    expect(await customerCount(accountId)).toBe(1);

    const other = await h.account();
    const theirs = await other.api.post('/customers', { name: 'Elsewhere Ltd', accountNumber: 'C-1001' });
    expect(theirs.status).toBe(201);
    expect(theirs.body.accountNumber).toBe('C-1001');
  });

  it.each([
    [{ name: 'X', paymentTermsDays: -1 }, /^paymentTermsDays: /],
    [{ name: 'X', paymentTermsDays: 366 }, /^paymentTermsDays: /],
    [{ name: 'X', paymentTermsDays: 1.5 }, /^paymentTermsDays: /],
    [{ name: 'X', paymentTermsDays: '30' }, /^paymentTermsDays: /],
    [{ name: 'X', reverseCharge: 'yes' }, /^reverseCharge: /],
    [{ name: 'X', reverseCharge: 1 }, /^reverseCharge: /],
    [{ name: 42 }, /^name: /],
    [{ name: 'X', email: 42 }, /^email: /],
    [{ name: 'X', billingAddress: 'Bristol' }, /^billingAddress: /],
    [{ name: 'X', billingAddress: { line1: 7 } }, /^billingAddress\.line1: /],
  ])('refuses a wrong type: %j', async (body, hint) => {
    const { api, id: accountId } = await h.account();
    expectError(await api.post('/customers', body), 400, 400001, 'Invalid Parameter', hint);
    expect(await customerCount(accountId)).toBe(0);
  });

  it('accepts paymentTermsDays at both ends of its range', async () => {
    const { api } = await h.account();
    expect((await makeCustomer(api, { paymentTermsDays: 0 })).paymentTermsDays).toBe(0);
    expect((await makeCustomer(api, { paymentTermsDays: 365 })).paymentTermsDays).toBe(365);
  });

  it('rejects unknown fields, at the top and inside the address', async () => {
    const { api, id: accountId } = await h.account();
    expectError(
      await api.post('/customers', { name: 'X', phone: '0123' }),
      400,
      400001,
      'Invalid Parameter',
      'phone: unknown field phone',
    );
    expectError(
      await api.post('/customers', { name: 'X', billingAddress: { street: '1 High St' } }),
      400,
      400001,
      'Invalid Parameter',
      'billingAddress.street: unknown field street',
    );
    expect(await customerCount(accountId)).toBe(0);
  });

  it('answers malformed JSON with 400002, and a body that is not JSON with 415', async () => {
    const { api, id: accountId } = await h.account();
    expectError(
      await api.post('/customers', '{"name": "Bright', {}),
      400,
      400002,
      'Malformed Request',
      /^the request body is not valid JSON/,
    );
    // A JSON body wrongly labelled text/plain is still refused: this surface takes JSON only.
    const plain = await api.post('/customers', '{"name":"Bright Dental Ltd"}', {
      'content-type': 'text/plain',
    });
    expectError(
      plain,
      415,
      415001,
      'Malformed Request',
      'send the body as JSON with Content-Type: application/json',
    );
    const xml = await api.post('/customers', '<customer><name>Bright</name></customer>', {
      'content-type': 'application/xml',
    });
    expectError(
      xml,
      415,
      415001,
      'Malformed Request',
      'send the body as JSON with Content-Type: application/json',
    );
    const form = await api.post('/customers', 'name=Bright', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    // A body that is JSON but not an object, and no body at all.
    expectError(await api.post('/customers', ['Bright']), 400, 400001, 'Invalid Parameter', /^body: /);
    expectError(await api.post('/customers'), 400, 400001, 'Invalid Parameter', /^body: /);
    expect(await customerCount(accountId)).toBe(0);
  });
});

describe('GET /customers', () => {
  it('lists nothing for a new account, with no next page', async () => {
    const { api } = await h.account();
    const res = await api.get('/customers');
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual([]);
    expect(res.headers.get('link')).toBeNull();
    expect(res.headers.get('x-next-after')).toBeNull();
  });

  it('pages by id with limit and after, and names the next page in Link and X-Next-After', async () => {
    const { api } = await h.account();
    const created: any[] = [];
    for (let i = 1; i <= 5; i++)
      created.push(await makeCustomer(api, { name: `Customer ${i}`, email: null }));
    const ids = created.map((c) => c.id);

    const page1 = await api.get('/customers?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body).toStrictEqual([
      bareCustomer(ids[0], 'Customer 1'),
      bareCustomer(ids[1], 'Customer 2'),
    ]);
    expect(page1.headers.get('link')).toBe(`<${PREFIX}/customers?limit=2&after=${ids[1]}>; rel="next"`);
    expect(page1.headers.get('x-next-after')).toBe(ids[1]);

    // Follow the Link header as a client would.
    const next = /^<([^>]+)>; rel="next"$/.exec(page1.headers.get('link')!)![1]!;
    const page2 = await api.get(next.slice(PREFIX.length));
    expect(page2.body.map((c: any) => c.id)).toStrictEqual([ids[2], ids[3]]);
    expect(page2.headers.get('x-next-after')).toBe(ids[3]);

    const page3 = await api.get(`/customers?limit=2&after=${ids[3]}`);
    expect(page3.body).toStrictEqual([bareCustomer(ids[4], 'Customer 5')]);
    expect(page3.headers.get('link')).toBeNull();
    expect(page3.headers.get('x-next-after')).toBeNull();

    // A page that ends exactly on the last row has no next page.
    const exact = await api.get('/customers?limit=5');
    expect(exact.body.map((c: any) => c.id)).toStrictEqual(ids);
    expect(exact.headers.get('link')).toBeNull();

    // `after` is an id, not an offset: after the last id there is nothing.
    expect((await api.get(`/customers?after=${ids[4]}`)).body).toStrictEqual([]);
  });

  it('replaces `after` in the next-page link and keeps the other parameters', async () => {
    const { api } = await h.account();
    const a = await makeCustomer(api, { name: 'A' });
    const b = await makeCustomer(api, { name: 'B' });
    const res = await api.get('/customers?after=0&limit=1');
    expect(res.body.map((c: any) => c.id)).toStrictEqual([a.id]);
    expect(res.headers.get('link')).toBe(`<${PREFIX}/customers?after=${a.id}&limit=1>; rel="next"`);
    const last = await api.get(`/customers?after=${a.id}&limit=1`);
    expect(last.body.map((c: any) => c.id)).toStrictEqual([b.id]);
    expect(last.headers.get('link')).toBeNull();
  });

  it('filters by exact accountNumber', async () => {
    const { api } = await h.account();
    await makeCustomer(api, { accountNumber: 'A-1' });
    const b = await makeCustomer(api, { accountNumber: 'B-1' });
    const res = await api.get('/customers?accountNumber=B-1');
    expect(res.body).toStrictEqual([b]);
    expect((await api.get('/customers?accountNumber=B')).body).toStrictEqual([]);
  });

  it('returns 100 customers by default and at most 1000', async () => {
    const { api, id: accountId } = await h.account();
    // Rows straight into the database: 101 POSTs would only slow the test down.
    await h.ctx.db
      .insertInto('customers')
      .values(
        Array.from({ length: 101 }, (_, i) => ({
          account_id: accountId,
          name: `Bulk ${i}`,
          created_at: NOW,
          updated_at: NOW,
        })),
      )
      .execute();
    const res = await api.get('/customers');
    expect(res.body).toHaveLength(100);
    expect(res.headers.get('x-next-after')).toBe(res.body[99].id);
    const rest = await api.get(`/customers?after=${res.body[99].id}`);
    expect(rest.body).toHaveLength(1);
    expect(rest.body[0].name).toBe('Bulk 100');
    expect((await api.get('/customers?limit=1000')).body).toHaveLength(101);
  });

  it.each([
    ['limit=0', /^limit: /],
    ['limit=1001', /^limit: /],
    ['limit=abc', /^limit: /],
    ['limit=2.5', /^limit: /],
    ['after=-1', /^after: /],
    ['after=x', /^after: /],
  ])('refuses %s', async (query, hint) => {
    const { api } = await h.account();
    expectError(await api.get(`/customers?${query}`), 400, 400001, 'Invalid Parameter', hint);
  });
});

describe('GET /customers/:id', () => {
  it('returns the customer as it was created', async () => {
    const { api } = await h.account();
    const created = await makeCustomer(api, {
      accountNumber: 'G-1',
      reverseCharge: true,
      billingAddress: { city: 'Leeds' },
    });
    const res = await api.get(`/customers/${created.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual(created);
    expect(res.body).toStrictEqual({
      ...bareCustomer(created.id, 'Bright Dental Ltd'),
      accountNumber: 'G-1',
      email: 'accounts@brightdental.example',
      reverseCharge: true,
      billingAddress: {
        line1: null,
        line2: null,
        city: 'Leeds',
        region: null,
        postcode: null,
        country: null,
      },
    });
  });

  it.each(['999999', '0', 'abc', '-1', '1.5', '99999999999999999999'])(
    'answers 404 for id %s',
    async (id) => {
      const { api } = await h.account();
      expectError(await api.get(`/customers/${id}`), 404, 404001, 'Not Found', `Customer ${id} not found`);
    },
  );
});

describe('PATCH /customers/:id', () => {
  it('changes the fields given and leaves the rest', async () => {
    const { api } = await h.account();
    const created = await makeCustomer(api, {
      accountNumber: 'P-1',
      mobileNumber: '07700 900123',
      paymentTermsDays: 30,
      billingAddress: { line1: '1 Old Road', city: 'York', postcode: 'YO1 1AA' },
    });
    h.setNow(LATER);
    const res = await api.patch(`/customers/${created.id}`, {
      name: 'Bright Dental Group',
      email: 'finance@brightdental.example; ceo@brightdental.example',
      reverseCharge: true,
      paymentTermsDays: 7,
      // An address is replaced as a whole: lines not given become empty.
      billingAddress: { line1: '2 New Road', city: 'York' },
    });
    expect(res.status).toBe(200);
    const expected = {
      ...created,
      name: 'Bright Dental Group',
      email: 'finance@brightdental.example, ceo@brightdental.example',
      reverseCharge: true,
      paymentTermsDays: 7,
      billingAddress: {
        line1: '2 New Road',
        line2: null,
        city: 'York',
        region: null,
        postcode: null,
        country: null,
      },
      created: NOW.toISOString(),
      updated: LATER.toISOString(),
    };
    expect(res.body).toStrictEqual(expected);
    expect(res.body.accountNumber).toBe('P-1');
    expect(res.body.mobileNumber).toBe('07700900123');
    expect((await api.get(`/customers/${created.id}`)).body).toStrictEqual(expected);
    expect(await customerRow(created.id)).toMatchObject({
      name: 'Bright Dental Group',
      reverse_charge: true,
      payment_terms_days: 7,
      address_line1: '2 New Road',
      postcode: null,
      account_number: 'P-1',
    });
  });

  it('clears optional fields with null', async () => {
    const { api } = await h.account();
    const created = await makeCustomer(api, {
      accountNumber: 'N-1',
      mobileNumber: '07700 900123',
      vatNumber: 'GB1',
      paymentTermsDays: 30,
      paymentMethod: 'Card',
      billingAddress: { line1: '1 Old Road' },
    });
    const res = await api.patch(`/customers/${created.id}`, {
      accountNumber: null,
      email: null,
      mobileNumber: null,
      vatNumber: null,
      paymentTermsDays: null,
      paymentMethod: null,
      billingAddress: null,
    });
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual(bareCustomer(created.id, 'Bright Dental Ltd'));
    expect(await customerRow(created.id)).toMatchObject({
      account_number: null,
      email: null,
      mobile_number: null,
      address_line1: null,
    });
  });

  it('accepts an empty change', async () => {
    const { api } = await h.account();
    const created = await makeCustomer(api);
    const res = await api.patch(`/customers/${created.id}`, {});
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual(created);
  });

  it("refuses another customer's accountNumber (409) but accepts the customer's own", async () => {
    const { api } = await h.account();
    const a = await makeCustomer(api, { name: 'A', accountNumber: 'A-1' });
    const b = await makeCustomer(api, { name: 'B', accountNumber: 'B-1' });
    expectError(
      await api.patch(`/customers/${b.id}`, { accountNumber: 'A-1', name: 'B renamed' }),
      409,
      409006,
      'Account Number In Use',
      `accountNumber A-1 belongs to customer ${a.id}`,
    );
    // Nothing of the refused change was applied.
    expect(await customerRow(b.id)).toMatchObject({ name: 'B', account_number: 'B-1' });
    const same = await api.patch(`/customers/${b.id}`, { accountNumber: 'B-1', name: 'B renamed' });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ accountNumber: 'B-1', name: 'B renamed' });
  });

  it('validates like create, naming the field', async () => {
    const { api } = await h.account();
    const created = await makeCustomer(api);
    const bad = async (body: unknown, hint: string | RegExp) =>
      expectError(await api.patch(`/customers/${created.id}`, body), 400, 400001, 'Invalid Parameter', hint);
    await bad({ name: null }, /^name: /);
    await bad({ name: '' }, 'name: must not be empty');
    await bad({ email: 'nobody' }, 'email: "nobody" is not a valid email address');
    await bad({ mobileNumber: 'none' }, 'mobileNumber: "none" is not a phone number');
    await bad({ paymentTermsDays: 400 }, /^paymentTermsDays: /);
    await bad({ reverseCharge: null }, /^reverseCharge: /);
    await bad({ customerName: 'x' }, 'customerName: unknown field customerName');
    expectError(
      await api.patch(`/customers/${created.id}`, '{', {}),
      400,
      400002,
      'Malformed Request',
      /^the request body is not valid JSON/,
    );
    expect((await api.get(`/customers/${created.id}`)).body).toStrictEqual(created);
  });

  it('answers 404 for a customer that does not exist', async () => {
    const { api } = await h.account();
    expectError(
      await api.patch('/customers/424242', { name: 'Ghost' }),
      404,
      404001,
      'Not Found',
      'Customer 424242 not found',
    );
  });
});

describe('DELETE /customers/:id', () => {
  it('deletes a customer that was never invoiced, with its features', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const feature = await makeFeature(api, customer.id, { phoneNumber: '+44 20 7946 0001' });
    const keep = await makeCustomer(api, { name: 'Keep Me' });

    const res = await api.delete(`/customers/${customer.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ success: true, message: `Customer ${customer.id} deleted` });

    expectError(
      await api.get(`/customers/${customer.id}`),
      404,
      404001,
      'Not Found',
      `Customer ${customer.id} not found`,
    );
    expect(await customerRow(customer.id)).toBeUndefined();
    expect(
      await h.ctx.db.selectFrom('features').select('id').where('id', '=', Number(feature.id)).execute(),
    ).toStrictEqual([]);
    expect((await api.get('/customers')).body).toStrictEqual([keep]);
    // Deleting again: it is gone.
    expectError(
      await api.delete(`/customers/${customer.id}`),
      404,
      404001,
      'Not Found',
      `Customer ${customer.id} not found`,
    );
  });

  it('is refused (409) while the customer has an invoice, unsent or raised', async () => {
    const { api } = await h.account();
    const customer = await makeCustomer(api);
    const invoice = await api.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-03-01' });
    expect(invoice.status).toBe(201);
    const refused = {
      error: 'Customer Has Invoices',
      error_code: 409003,
      hint: `customer ${customer.id} has invoices and cannot be deleted`,
    };

    // An unsent invoice.
    const first = await api.delete(`/customers/${customer.id}`);
    expect({ status: first.status, body: first.body }).toStrictEqual({ status: 409, body: refused });
    expect(await customerRow(customer.id)).toBeDefined();

    // Once the unsent invoice is deleted, nothing holds the customer back...
    const other = await makeCustomer(api, { name: 'Raised Ltd' });
    const otherInvoice = await api.post(`/customers/${other.id}/invoices`, { cutoffDate: '2026-03-01' });
    expect((await api.delete(`/invoices/${invoice.body.id}`)).status).toBe(200);
    expect((await api.delete(`/customers/${customer.id}`)).status).toBe(200);
    expect(await customerRow(customer.id)).toBeUndefined();

    // ...but a raised (approved) invoice holds its customer for good.
    expect((await api.post(`/invoices/${otherInvoice.body.id}?action=approve`)).status).toBe(200);
    const raised = await api.delete(`/customers/${other.id}`);
    expect({ status: raised.status, body: raised.body }).toStrictEqual({
      status: 409,
      body: { ...refused, hint: `customer ${other.id} has invoices and cannot be deleted` },
    });
    expect(await customerRow(other.id)).toBeDefined();
  });
});

describe("another account's key", () => {
  it('gets 404 on every customer path and changes nothing', async () => {
    const owner = await h.account();
    const customer = await makeCustomer(owner.api, { accountNumber: 'OWN-1' });
    await makeFeature(owner.api, customer.id);
    const intruder = await h.account();
    const api: Api = intruder.api;
    const notFound = { error: 'Not Found', error_code: 404001, hint: `Customer ${customer.id} not found` };
    const attempts: [string, () => Promise<Res>][] = [
      ['GET customer', () => api.get(`/customers/${customer.id}`)],
      ['PATCH customer', () => api.patch(`/customers/${customer.id}`, { name: 'Hijacked' })],
      ['DELETE customer', () => api.delete(`/customers/${customer.id}`)],
      ['GET features', () => api.get(`/customers/${customer.id}/features`)],
      ['POST feature', () => api.post(`/customers/${customer.id}/features`, { name: 'Sneaky line' })],
      ['GET invoices', () => api.get(`/customers/${customer.id}/invoices`)],
      ['POST invoice', () => api.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-03-01' })],
      ['GET transactions', () => api.get(`/customers/${customer.id}/transactions`)],
      [
        'POST transaction',
        () => api.post(`/customers/${customer.id}/transactions`, { transactionValue: '5.00' }),
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

    // The owner's customer is untouched, and the intruder's list does not show it.
    expect((await owner.api.get(`/customers/${customer.id}`)).body).toStrictEqual(customer);
    expect((await api.get('/customers')).body).toStrictEqual([]);
    expect((await api.get('/customers?accountNumber=OWN-1')).body).toStrictEqual([]);
    const db = h.ctx.db;
    expect(
      await db.selectFrom('features').select('id').where('customer_id', '=', Number(customer.id)).execute(),
    ).toHaveLength(1);
    expect(
      await db.selectFrom('invoices').select('id').where('customer_id', '=', Number(customer.id)).execute(),
    ).toStrictEqual([]);
    expect(
      await db
        .selectFrom('billing_transactions')
        .select('id')
        .where('customer_id', '=', Number(customer.id))
        .execute(),
    ).toStrictEqual([]);
    for (const table of ['customers', 'features', 'invoices', 'billing_transactions'] as const) {
      expect(
        await db.selectFrom(table).select('id').where('account_id', '=', intruder.id).execute(),
      ).toStrictEqual([]);
    }
  });
});
