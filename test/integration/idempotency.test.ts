// Idempotency-Key on POSTs that create: the same key and body replay the first response (and create
// nothing more); the same key with another request is a 409; keys belong to one account.
import { describe, expect, it } from 'vitest';
import { makeCustomer, makeFeature, useHarness, type Res } from '../helpers/harness.ts';

const h = useHarness();

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

const REUSED = {
  error: 'Idempotency Key Reused',
  error_code: 409007,
  hint: 'this Idempotency-Key was used for a different request',
};

type Table = 'customers' | 'features' | 'invoices' | 'billing_transactions' | 'billing_runs';

async function rowsOf(table: Table, accountId: number): Promise<number[]> {
  const rows = await h.ctx.db
    .selectFrom(table)
    .select('id')
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

describe('Idempotency-Key', () => {
  it('replays the first response for the same key and body, creating one customer', async () => {
    const { api, id: accountId } = await h.account();
    const body = { name: 'Once Only Ltd', email: 'a@example.com; b@example.com', accountNumber: 'ONCE-1' };
    const first = await api.post('/customers', body, { 'idempotency-key': 'create-once-1' });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const second = await api.post('/customers', body, { 'idempotency-key': 'create-once-1' });
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('content-type')).toMatch(/^application\/json/);
    expect(second.body).toStrictEqual(first.body);
    expect(second.text).toBe(first.text);

    const third = await api.post('/customers', body, { 'idempotency-key': 'create-once-1' });
    expect(third.body).toStrictEqual(first.body);

    expect(await rowsOf('customers', accountId)).toStrictEqual([Number(first.body.id)]);
    // Without the key the same body is a new request (here refused: the account number is taken).
    expect((await api.post('/customers', body)).status).toBe(409);
    expect(await rowsOf('customers', accountId)).toStrictEqual([Number(first.body.id)]);
  });

  it('refuses the same key with a different body or on another path (409)', async () => {
    const { api, id: accountId } = await h.account();
    const first = await api.post('/customers', { name: 'Original Ltd' }, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(201);

    const differentBody = await api.post(
      '/customers',
      { name: 'Different Ltd' },
      { 'idempotency-key': 'k-1' },
    );
    expect({ status: differentBody.status, body: differentBody.body }).toStrictEqual({
      status: 409,
      body: REUSED,
    });
    expect(differentBody.headers.get('idempotent-replayed')).toBeNull();

    const differentPath = await api.post(
      `/customers/${first.body.id}/features`,
      { name: 'Original Ltd' },
      { 'idempotency-key': 'k-1' },
    );
    expect({ status: differentPath.status, body: differentPath.body }).toStrictEqual({
      status: 409,
      body: REUSED,
    });

    expect(await rowsOf('customers', accountId)).toStrictEqual([Number(first.body.id)]);
    expect(await rowsOf('features', accountId)).toStrictEqual([]);
    expect((await api.get(`/customers/${first.body.id}`)).body.name).toBe('Original Ltd');
  });

  it('keeps keys per account: another account may use the same key', async () => {
    const a = await h.account();
    const b = await h.account();
    const body = { name: 'Shared Key Ltd' };
    const fromA = await a.api.post('/customers', body, { 'idempotency-key': 'same-key' });
    const fromB = await b.api.post('/customers', body, { 'idempotency-key': 'same-key' });
    expect(fromA.status).toBe(201);
    expect(fromB.status).toBe(201);
    expect(fromB.headers.get('idempotent-replayed')).toBeNull();
    expect(fromB.body.id).not.toBe(fromA.body.id);
    expect(await rowsOf('customers', a.id)).toStrictEqual([Number(fromA.body.id)]);
    expect(await rowsOf('customers', b.id)).toStrictEqual([Number(fromB.body.id)]);

    // And each account's replay is its own.
    const againB = await b.api.post('/customers', body, { 'idempotency-key': 'same-key' });
    expect(againB.body).toStrictEqual(fromB.body);
    expect(againB.headers.get('idempotent-replayed')).toBe('true');
    // A different body under B's key is a conflict in B, whatever A did with it.
    expect(
      (await b.api.post('/customers', { name: 'Other' }, { 'idempotency-key': 'same-key' })).status,
    ).toBe(409);
  });

  it('creates one charge, one feature and one invoice when each POST is sent twice', async () => {
    const { api, id: accountId } = await h.account();
    const customer = await makeCustomer(api);
    const feature = await makeFeature(api, customer.id);
    const twice = async (path: string, body: unknown, key: string) => {
      const first = await api.post(path, body, { 'idempotency-key': key });
      const second = await api.post(path, body, { 'idempotency-key': key });
      expect(first.status, first.text).toBe(201);
      expect({
        status: second.status,
        body: second.body,
        replayed: second.headers.get('idempotent-replayed'),
      }).toStrictEqual({
        status: 201,
        body: first.body,
        replayed: 'true',
      });
      return first.body;
    };
    const charge = await twice(
      `/features/${feature.id}/transactions`,
      { transactionValue: '12.00', transactionDate: '2026-01-05' },
      'charge-1',
    );
    expect(await rowsOf('billing_transactions', accountId)).toStrictEqual([Number(charge.id)]);

    const line = await twice(
      `/customers/${customer.id}/features`,
      { name: 'Second line', recurringValue: '5' },
      'feature-1',
    );
    expect(await rowsOf('features', accountId)).toStrictEqual([Number(feature.id), Number(line.id)]);

    const invoice = await twice(
      `/customers/${customer.id}/invoices`,
      { cutoffDate: '2026-02-01' },
      'invoice-1',
    );
    expect(invoice.id).toBe(charge.invoiceID);
    expect(await rowsOf('invoices', accountId)).toStrictEqual([Number(invoice.id)]);

    const run = await twice('/billingRuns', { cutoffDate: '2026-02-01' }, 'run-1');
    expect(await rowsOf('billing_runs', accountId)).toStrictEqual([Number(run.id)]);
  });

  it('runs only one of several identical requests sent at once', async () => {
    const { api, id: accountId } = await h.account();
    const body = { name: 'Racing Ltd' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => api.post('/customers', body, { 'idempotency-key': 'race-1' })),
    );
    const ran = results.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
    expect(ran).toHaveLength(1);
    const original = ran[0]!;
    for (const r of results) {
      if (r === original) continue;
      if (r.status === 201) {
        expect({ body: r.body, replayed: r.headers.get('idempotent-replayed') }).toStrictEqual({
          body: original.body,
          replayed: 'true',
        });
      } else {
        // Arrived while the first was still running: told to retry, which then replays.
        expect({ status: r.status, body: r.body }).toStrictEqual({
          status: 409,
          body: {
            error: 'Request In Progress',
            error_code: 409008,
            hint: 'a request with this Idempotency-Key is still being processed; retry shortly',
          },
        });
      }
    }
    expect(await rowsOf('customers', accountId)).toStrictEqual([Number(original.body.id)]);
    const retry = await api.post('/customers', body, { 'idempotency-key': 'race-1' });
    expect(retry.body).toStrictEqual(original.body);
  });

  it('replays a refusal too: the first answer stands', async () => {
    const { api, id: accountId } = await h.account();
    const taken = await makeCustomer(api, { accountNumber: 'TAKEN' });
    const body = { name: 'Late Ltd', accountNumber: 'TAKEN' };
    const first = await api.post('/customers', body, { 'idempotency-key': 'refused-1' });
    expectError(
      first,
      409,
      409006,
      'Account Number In Use',
      `accountNumber TAKEN belongs to customer ${taken.id}`,
    );
    // Even once the number is free, the same key answers as it first did.
    expect((await api.patch(`/customers/${taken.id}`, { accountNumber: null })).status).toBe(200);
    const second = await api.post('/customers', body, { 'idempotency-key': 'refused-1' });
    expect({ status: second.status, body: second.body }).toStrictEqual({
      status: first.status,
      body: first.body,
    });
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await rowsOf('customers', accountId)).toStrictEqual([Number(taken.id)]);
  });

  it('does not spend the key on a request refused before it ran (invalid body, too low a level)', async () => {
    const account = await h.account();
    const { api, id: accountId } = account;
    expectError(
      await api.post('/customers', { nme: 'Typo Ltd' }, { 'idempotency-key': 'fix-and-retry' }),
      400,
      400001,
      'Invalid Parameter',
      /^name: .*; nme: unknown field nme$/,
    );
    const reader = await account.withLevel(1);
    expect(
      (await reader.post('/customers', { name: 'Typo Ltd' }, { 'idempotency-key': 'fix-and-retry' })).status,
    ).toBe(403);
    // Refused by the domain rules rather than the schema (an empty name): the key is not spent either.
    expectError(
      await api.post('/customers', { name: '' }, { 'idempotency-key': 'fix-and-retry' }),
      400,
      400001,
      'Invalid Parameter',
      /name/,
    );
    const fixed = await api.post('/customers', { name: 'Typo Ltd' }, { 'idempotency-key': 'fix-and-retry' });
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
    expect(await rowsOf('customers', accountId)).toStrictEqual([Number(fixed.body.id)]);
  });

  it('refuses a key longer than 255 characters', async () => {
    const { api, id: accountId } = await h.account();
    expectError(
      await api.post('/customers', { name: 'Long Key Ltd' }, { 'idempotency-key': 'k'.repeat(256) }),
      400,
      400001,
      'Invalid Parameter',
      'Idempotency-Key: must be 1 to 255 characters',
    );
    expect(await rowsOf('customers', accountId)).toStrictEqual([]);
    expect(
      (await api.post('/customers', { name: 'Long Key Ltd' }, { 'idempotency-key': 'k'.repeat(255) })).status,
    ).toBe(201);
  });

  it('is refused on POST /apiKeys, whose response holds a key that must never be stored', async () => {
    const { api, id: accountId } = await h.account();
    expectError(
      await api.post('/apiKeys', { level: 1 }, { 'idempotency-key': 'new-key-1' }),
      400,
      400001,
      'Invalid Parameter',
      'Idempotency-Key: is not accepted here: the response carries a secret that is shown once and never stored',
    );
    const keys = await h.ctx.db
      .selectFrom('api_keys')
      .select('id')
      .where('account_id', '=', accountId)
      .execute();
    expect(keys).toHaveLength(1);
    expect(
      await h.ctx.db
        .selectFrom('idempotency_keys')
        .select('key')
        .where('account_id', '=', accountId)
        .execute(),
    ).toStrictEqual([]);
  });

  it('records each key once, with the response it replays', async () => {
    const { api, id: accountId } = await h.account();
    const first = await api.post('/customers', { name: 'Recorded Ltd' }, { 'idempotency-key': 'recorded' });
    await api.post('/customers', { name: 'Recorded Ltd' }, { 'idempotency-key': 'recorded' });
    const rows = await h.ctx.db
      .selectFrom('idempotency_keys')
      .select(['key', 'response_status', 'response_body'])
      .where('account_id', '=', accountId)
      .execute();
    expect(rows).toStrictEqual([{ key: 'recorded', response_status: 201, response_body: first.text }]);
  });
});
