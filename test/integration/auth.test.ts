// Authentication and authorisation on /backend/api/v1: missing, wrong and revoked keys (401), key levels
// (403), keys stored only as hashes, and the timezone a key records when it is made.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Api, makeCustomer, useHarness, type Res } from '../helpers/harness.ts';

const h = useHarness();
afterEach(() => h.setNow(undefined));

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

const NO_KEY = 'send your API key as Authorization: Bearer KEY';
const BAD_KEY = 'the API key is not valid or has been revoked';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** What an operation may change, to show that a refused one changed nothing. */
async function snapshot(accountId: number) {
  const db = h.ctx.db;
  const count = async (
    table: 'customers' | 'features' | 'invoices' | 'billing_transactions' | 'billing_runs' | 'api_keys',
  ) =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('account_id', '=', accountId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const account = await db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  const customers = await db
    .selectFrom('customers')
    .select(['id', 'name', 'updated_at'])
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  const invoices = await db
    .selectFrom('invoices')
    .select(['id', 'approved_at', 'updated_at'])
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  const keys = await db
    .selectFrom('api_keys')
    .select(['id', 'revoked_at'])
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  return {
    counts: {
      customers: await count('customers'),
      features: await count('features'),
      invoices: await count('invoices'),
      transactions: await count('billing_transactions'),
      billingRuns: await count('billing_runs'),
      apiKeys: await count('api_keys'),
    },
    account,
    customers,
    invoices,
    keys,
  };
}

describe('401: no key, wrong key, revoked key', () => {
  it('refuses a request without a key, on every method and on unknown paths', async () => {
    const { api, id: accountId } = await h.account();
    const customer = await makeCustomer(api);
    const anonymous = h.anonymous();
    const before = await snapshot(accountId);
    const attempts: [string, () => Promise<Res>][] = [
      ['GET list', () => anonymous.get('/customers')],
      ['GET one', () => anonymous.get(`/customers/${customer.id}`)],
      ['POST', () => anonymous.post('/customers', { name: 'Anonymous Ltd' })],
      ['PATCH', () => anonymous.patch(`/customers/${customer.id}`, { name: 'Renamed' })],
      ['DELETE', () => anonymous.delete(`/customers/${customer.id}`)],
      ['GET account', () => anonymous.get('/account')],
      ['unknown path', () => anonymous.get('/no/such/thing')],
    ];
    for (const [label, attempt] of attempts) {
      const res = await attempt();
      expect({
        label,
        status: res.status,
        body: res.body,
        challenge: res.headers.get('www-authenticate'),
      }).toStrictEqual({
        label,
        status: 401,
        body: { error: 'Unauthorized', error_code: 401001, hint: NO_KEY },
        challenge: 'Bearer realm="Ringbill"',
      });
    }
    // The other surfaces' 401s say the same.
    for (const prefix of [
      '/v1/calls?invoice_id=inv_1',
      '/collect/v1/invoices?startDate=2026-01-01&endDate=2026-01-02',
      `/api/2024-01-01/networks/transactions/${accountId}.json`,
    ]) {
      const res = await fetch(`${api.baseUrl}${prefix}`);
      expect([prefix, res.status, res.headers.get('www-authenticate')]).toEqual([
        prefix,
        401,
        'Bearer realm="Ringbill"',
      ]);
    }
    expect(await snapshot(accountId)).toStrictEqual(before);
  });

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNzd29yZA=='],
    ['an empty bearer', 'Bearer '],
    ['the scheme alone', 'Bearer'],
    ['two words after Bearer', 'Bearer rb_a rb_b'],
  ])('refuses %s as no key', async (_label, authorization) => {
    const res = await h.anonymous().get('/customers', { authorization });
    expectError(res, 401, 401001, 'Unauthorized', NO_KEY);
  });

  it('refuses a key it does not know, including a real key altered in any way', async () => {
    const { api, key } = await h.account();
    const wrong = [
      'rb_not-a-real-key',
      `rb_${'A'.repeat(32)}`,
      key.toUpperCase(),
      key.slice(0, -1),
      `${key}x`,
      'x'.repeat(300),
    ];
    for (const candidate of wrong) {
      expect(candidate).not.toBe(key);
      const res = await new Api(h.url, candidate).get('/customers');
      expect({ candidate, status: res.status, body: res.body }).toStrictEqual({
        candidate,
        status: 401,
        body: { error: 'Unauthorized', error_code: 401001, hint: BAD_KEY },
      });
    }
    // The real key works, and the scheme name is case-insensitive.
    expect((await api.get('/customers')).status).toBe(200);
    expect((await h.anonymous().get('/customers', { authorization: `bearer ${key}` })).status).toBe(200);
  });

  it('refuses a key once it has been revoked, at once, and only that key', async () => {
    const NOW = new Date('2026-05-01T12:00:00.000Z');
    const { api, id: accountId } = await h.account();
    const created = await api.post('/apiKeys', { level: 3, name: 'till' });
    expect(created.status).toBe(201);
    const till = new Api(h.url, created.body.key);
    expect((await till.get('/customers')).status).toBe(200);
    expect((await till.post('/customers', { name: 'Before Revocation' })).status).toBe(201);

    h.setNow(NOW);
    const revoked = await api.delete(`/apiKeys/${created.body.id}`);
    expect(revoked.status).toBe(200);
    const { key: _key, ...view } = created.body;
    expect(revoked.body).toStrictEqual({ ...view, revoked: NOW.toISOString() });

    expectError(await till.get('/customers'), 401, 401001, 'Unauthorized', BAD_KEY);
    const before = await snapshot(accountId);
    expectError(
      await till.post('/customers', { name: 'After Revocation' }),
      401,
      401001,
      'Unauthorized',
      BAD_KEY,
    );
    expect(await snapshot(accountId)).toStrictEqual(before);

    const row = await h.ctx.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', Number(created.body.id))
      .executeTakeFirstOrThrow();
    expect(row.revoked_at!.toISOString()).toBe(NOW.toISOString());
    // The key that revoked it still works.
    expect((await api.get('/customers')).status).toBe(200);
  });
});

describe('403: key levels', () => {
  interface Setup {
    expert: Api;
    customerId: string;
    invoiceId: string;
    spareKeyId: string;
  }
  interface Operation {
    name: string;
    level: number;
    success: number;
    /** The 403 hint when a lower key tries. */
    refusal?: (level: number) => string;
    run(api: Api, s: Setup): Promise<Res>;
  }
  const routeRefusal = (needed: number) => (level: number) =>
    `this needs an API key of level ${needed} or more; this key is level ${level}`;
  const operations: Operation[] = [
    { name: 'GET /customers', level: 1, success: 200, run: (api) => api.get('/customers') },
    {
      name: 'GET /customers/ID',
      level: 1,
      success: 200,
      run: (api, s) => api.get(`/customers/${s.customerId}`),
    },
    { name: 'GET /invoices', level: 1, success: 200, run: (api) => api.get('/invoices?includeUnsent') },
    {
      name: 'GET /transactions',
      level: 1,
      success: 200,
      run: (api) => api.get('/transactions?includeUnsent'),
    },
    { name: 'GET /billingRuns', level: 1, success: 200, run: (api) => api.get('/billingRuns') },
    { name: 'GET /account', level: 1, success: 200, run: (api) => api.get('/account') },
    {
      name: 'POST /customers/ID/transactions',
      level: 2,
      success: 201,
      run: (api, s) =>
        api.post(`/customers/${s.customerId}/transactions`, {
          transactionValue: '1.00',
          transactionDate: '2026-01-10',
        }),
    },
    {
      name: 'POST /customers',
      level: 3,
      success: 201,
      run: (api) => api.post('/customers', { name: 'New Customer Ltd' }),
    },
    {
      name: 'PATCH /customers/ID',
      level: 3,
      success: 200,
      run: (api, s) => api.patch(`/customers/${s.customerId}`, { name: 'Renamed Ltd' }),
    },
    {
      name: 'POST /customers/ID/features',
      level: 3,
      success: 201,
      run: (api, s) => api.post(`/customers/${s.customerId}/features`, { name: 'Line' }),
    },
    {
      name: 'POST /customers/ID/invoices',
      level: 4,
      success: 201,
      run: (api, s) => api.post(`/customers/${s.customerId}/invoices`, { cutoffDate: '2026-02-01' }),
    },
    {
      name: 'POST /invoices/ID?action=approve',
      level: 4,
      success: 200,
      refusal: () => 'action approve needs an API key of level 4 or more',
      run: (api, s) => api.post(`/invoices/${s.invoiceId}?action=approve`),
    },
    {
      name: 'POST /billingRuns',
      level: 4,
      success: 201,
      run: (api) => api.post('/billingRuns', { cutoffDate: '2026-02-01' }),
    },
    {
      name: 'PATCH /account',
      level: 5,
      success: 200,
      run: (api) => api.patch('/account', { name: 'Renamed Telecom' }),
    },
    { name: 'GET /apiKeys', level: 5, success: 200, run: (api) => api.get('/apiKeys') },
    { name: 'POST /apiKeys', level: 5, success: 201, run: (api) => api.post('/apiKeys', { level: 1 }) },
    {
      name: 'DELETE /apiKeys/ID',
      level: 5,
      success: 200,
      run: (api, s) => api.delete(`/apiKeys/${s.spareKeyId}`),
    },
  ];

  it.each([1, 2, 3, 4, 5])(
    'a level %i key may do what its level allows, and nothing above it',
    async (level) => {
      const account = await h.account();
      const expert = account.api;
      const customer = await makeCustomer(expert);
      const invoice = await expert.post(`/customers/${customer.id}/invoices`, { cutoffDate: '2026-02-01' });
      expect(invoice.status).toBe(201);
      const spare = await expert.post('/apiKeys', { level: 1, name: 'spare' });
      expect(spare.status).toBe(201);
      const setup: Setup = {
        expert,
        customerId: customer.id,
        invoiceId: invoice.body.id,
        spareKeyId: spare.body.id,
      };
      const api = await account.withLevel(level);

      for (const op of operations) {
        const before = await snapshot(account.id);
        const res = await op.run(api, setup);
        if (level >= op.level) {
          expect({ op: op.name, status: res.status }, res.text).toStrictEqual({
            op: op.name,
            status: op.success,
          });
        } else {
          const hint = (op.refusal ?? routeRefusal(op.level))(level);
          expect({ op: op.name, status: res.status, body: res.body }).toStrictEqual({
            op: op.name,
            status: 403,
            body: { error: 'Permission Denied', error_code: 403001, hint },
          });
          // A refused request changes nothing.
          expect({ op: op.name, state: await snapshot(account.id) }).toStrictEqual({
            op: op.name,
            state: before,
          });
        }
      }
    },
  );
});

describe('keys are stored hashed', () => {
  it('keeps only the SHA-256 of each key and a short prefix; no table holds the key', async () => {
    const { api, key: initialKey, id: accountId } = await h.account();
    const created = await api.post('/apiKeys', { level: 2, name: 'reporting' });
    expect(created.status).toBe(201);
    const newKey: string = created.body.key;
    expect(newKey).toMatch(/^rb_[A-Za-z0-9_-]{32}$/);
    expect(created.body.prefix).toBe(newKey.slice(0, 9));

    const rows = await h.ctx.db
      .selectFrom('api_keys')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute();
    expect(rows).toHaveLength(2);
    const byKey = [initialKey, newKey];
    rows.forEach((row, i) => {
      const key = byKey[i]!;
      expect(Buffer.from(row.key_hash).equals(sha256(key))).toBe(true);
      expect(row.key_prefix).toBe(key.slice(0, 9));
      // No column, read as text in any encoding, holds the key or its secret part.
      const secret = key.slice(9);
      for (const value of Object.values(row)) {
        const texts =
          value instanceof Uint8Array
            ? [
                Buffer.from(value).toString('utf8'),
                Buffer.from(value).toString('hex'),
                Buffer.from(value).toString('base64url'),
              ]
            : [String(value)];
        for (const text of texts) expect(text).not.toContain(secret);
      }
    });

    // Nor does any other table: the whole account's rows, as JSON.
    const db = h.ctx.db;
    const everything = JSON.stringify([
      await db.selectFrom('accounts').selectAll().where('id', '=', accountId).execute(),
      await db.selectFrom('idempotency_keys').selectAll().where('account_id', '=', accountId).execute(),
    ]);
    expect(everything).not.toContain(newKey.slice(9));
    expect(everything).not.toContain(initialKey.slice(9));

    // The list shows prefixes, never keys.
    const list = await api.get('/apiKeys');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(newKey.slice(9));
    expect(list.text).not.toContain(initialKey.slice(9));
    for (const item of list.body)
      expect(Object.keys(item).sort()).toStrictEqual([
        'created',
        'id',
        'level',
        'name',
        'prefix',
        'revoked',
        'timezone',
      ]);
  });
});

describe('the timezone of a key', () => {
  it('records the account timezone when the key is made and keeps it after the account changes', async () => {
    const { api, id: accountId } = await h.account({ timezone: 'Europe/London' });
    const before = await api.post('/apiKeys', { level: 1, name: 'before' });
    expect(before.body.timezone).toBe('Europe/London');

    const patched = await api.patch('/account', { timezone: 'America/New_York' });
    expect(patched.status).toBe(200);
    expect(patched.body.timezone).toBe('America/New_York');

    const after = await api.post('/apiKeys', { level: 1, name: 'after' });
    expect(after.body.timezone).toBe('America/New_York');

    const list = await api.get('/apiKeys');
    expect(list.body.map((k: any) => [k.name, k.timezone])).toStrictEqual([
      ['initial key', 'Europe/London'],
      ['before', 'Europe/London'],
      ['after', 'America/New_York'],
    ]);
    const rows = await h.ctx.db
      .selectFrom('api_keys')
      .select(['name', 'timezone'])
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute();
    expect(rows).toStrictEqual([
      { name: 'initial key', timezone: 'Europe/London' },
      { name: 'before', timezone: 'Europe/London' },
      { name: 'after', timezone: 'America/New_York' },
    ]);
    // The old key still works after the change.
    expect((await new Api(h.url, before.body.key).get('/account')).body.timezone).toBe('America/New_York');
  });
});
