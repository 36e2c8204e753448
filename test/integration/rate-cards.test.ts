// Rate cards through HTTP: create, list, rename, one default at a time, delete (refused while in use);
// rates loaded from JSON and CSV with an effective date that closes the rates in force, refused rows with
// their line and reason, calls waiting for a price rated on load; another account's cards are a 404.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { expectError, getAll } from '../helpers/billing.ts';
import { cdr, dbCalls, getOk, loadRates, makeRateCard, sendCalls } from '../helpers/call-billing.ts';
import { makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';

const NOW = '2026-03-10T12:00:00.000Z';

/** A rate as GET /rateCards/ID/rates shows it; `o` fills in the rest. */
function rateBody(o: Record<string, unknown>): Record<string, unknown> {
  return {
    id: expect.stringMatching(/^\d+$/),
    rateCardID: expect.any(String),
    connectionFee: '0',
    minimumCharge: '0',
    initialIncrementS: 60,
    subsequentIncrementS: 60,
    band: 'all',
    costPerMinute: null,
    effectiveTo: null,
    ...o,
  };
}

describe('rate cards', () => {
  const h = useHarness();

  async function setup(options: { timezone?: string; now?: string } = {}) {
    h.setNow(new Date(options.now ?? NOW));
    return h.account(options.timezone ? { timezone: options.timezone } : {});
  }

  it('are created, listed, fetched, renamed and deleted', async () => {
    const { api } = await setup();
    const created = await api.post('/rateCards', { name: ' Standard ' });
    expect(created.status).toBe(201);
    // The account's first card is its default.
    expect(created.body).toStrictEqual({
      id: expect.stringMatching(/^\d+$/),
      name: 'Standard',
      isDefault: true,
      created: NOW,
      updated: NOW,
    });
    const id = created.body.id;

    const second = await makeRateCard(api, 'Wholesale');
    expect(await getAll(api, '/rateCards')).toEqual([created.body, second]);
    expect(await getOk(api, `/rateCards/${id}`)).toStrictEqual(created.body);

    h.setNow(new Date('2026-03-11T09:00:00.000Z'));
    const renamed = await api.patch(`/rateCards/${id}`, { name: 'Retail' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toStrictEqual({
      ...created.body,
      name: 'Retail',
      updated: '2026-03-11T09:00:00.000Z',
    });

    const deleted = await api.delete(`/rateCards/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toStrictEqual({ success: true, message: `Rate card ${id} deleted` });
    expectError(await api.get(`/rateCards/${id}`), 404, 404001, `Rate card ${id} not found`);
    expect(await getAll(api, '/rateCards')).toEqual([second]);
  });

  it('have names unique in the account, whatever their case', async () => {
    const { api } = await setup();
    await makeRateCard(api, 'Standard');
    expectError(
      await api.post('/rateCards', { name: 'STANDARD' }),
      409,
      409000,
      'a rate card named "STANDARD" exists',
    );
    const other = await makeRateCard(api, 'Other');
    expectError(await api.patch(`/rateCards/${other.id}`, { name: 'standard' }), 409, 409000, /exists/);
    // Renaming a card to its own name in another case is not a clash.
    expect((await api.patch(`/rateCards/${other.id}`, { name: 'OTHER' })).body.name).toBe('OTHER');
    // Another account may use the name.
    const { api: api2 } = await setup();
    expect((await api2.post('/rateCards', { name: 'Standard' })).status).toBe(201);
  });

  it('refuse bad names and unknown fields (400), and keys below level 3 (403)', async () => {
    const account = await setup();
    const { api } = account;
    expectError(
      await api.post('/rateCards', { name: '   ' }),
      400,
      400001,
      'name: must be 1 to 100 characters',
    );
    expectError(await api.post('/rateCards', { name: 'x'.repeat(101) }), 400, 400001, /name/);
    expectError(await api.post('/rateCards', {}), 400, 400001, /name/);
    expectError(
      await api.post('/rateCards', { name: 'A', colour: 'red' }),
      400,
      400001,
      /unknown field colour/,
    );
    const level2 = await account.withLevel(2);
    expectError(await level2.post('/rateCards', { name: 'A' }), 403, 403001);
    const card = await makeRateCard(api, 'A');
    expectError(await level2.request('PUT', `/rateCards/${card.id}/rates`, { rates: [] }), 403, 403001);
    expectError(await level2.delete(`/rateCards/${card.id}`), 403, 403001);
    const level1 = await account.withLevel(1);
    expect((await level1.get(`/rateCards/${card.id}/rates`)).status).toBe(200);
    expectError(await api.get('/rateCards/abc'), 404, 404001);
    expectError(await api.get('/rateCards/999999'), 404, 404001, 'Rate card 999999 not found');
  });

  it('have one default at a time', async () => {
    const { api, id: accountId } = await setup();
    const a = await makeRateCard(api, 'A', true);
    expect(a.isDefault).toBe(true);
    const b = await makeRateCard(api, 'B', true);
    expect(b.isDefault).toBe(true);
    expect((await getOk(api, `/rateCards/${a.id}`)).isDefault).toBe(false);
    expect((await api.patch(`/rateCards/${a.id}`, { isDefault: true })).body.isDefault).toBe(true);
    expect((await getOk(api, `/rateCards/${b.id}`)).isDefault).toBe(false);
    expect((await api.patch(`/rateCards/${a.id}`, { isDefault: false })).body.isDefault).toBe(false);
    const rows = await h.ctx.db
      .selectFrom('rate_cards')
      .select(['id', 'is_default'])
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: Number(a.id), is_default: false },
      { id: Number(b.id), is_default: false },
    ]);
  });

  it('cannot be deleted while a customer or feature names them or a call was rated with them', async () => {
    h.setNow(new Date(NOW));
    const { api } = await h.account();
    const card = await makeRateCard(api, 'Used');
    const customer = await makeCustomer(api, { rateCardID: card.id });
    expect(customer.rateCardID).toBe(card.id);
    expectError(
      await api.delete(`/rateCards/${card.id}`),
      409,
      409000,
      `rate card ${card.id} cannot be deleted: customer ${customer.id} uses it`,
    );
    await api.patch(`/customers/${customer.id}`, { rateCardID: null });

    const feature = await makeFeature(api, customer.id, { phoneNumber: '441632960001', rateCardID: card.id });
    expectError(await api.delete(`/rateCards/${card.id}`), 409, 409000, `feature ${feature.id} uses it`);

    await loadRates(api, card.id, '2026-01-01', [{ prefix: '44', destination: 'UK', ratePerMinute: '0.01' }]);
    await sendCalls(api, [cdr('c1', '441632960001', '442079460000', '2026-03-02T10:00:00Z', 60)]);
    await api.patch(`/features/${feature.id}`, { rateCardID: null });
    const [call] = await getAll(api, '/calls');
    expect(call.ratingStatus).toBe('rated');
    expectError(await api.delete(`/rateCards/${card.id}`), 409, 409000, `call ${call.id} was rated with it`);
    expect((await getOk(api, `/rateCards/${card.id}`)).name).toBe('Used');
  });

  it('load rates from JSON from a date; bad rows are refused with their position and reason, and kept', async () => {
    const { api } = await setup();
    const card = await makeRateCard(api, 'Standard');
    const res = await api.request('PUT', `/rateCards/${card.id}/rates`, {
      effectiveFrom: '2026-02-01',
      rates: [
        { prefix: '44', destination: 'United Kingdom', ratePerMinute: '0.012', costPerMinute: '0.004' },
        {
          prefix: '+447',
          destination: 'UK mobile',
          ratePerMinute: 0.1,
          connectionFee: '0.02',
          minimumCharge: '0.05',
          initialIncrementS: 30,
          subsequentIncrementS: 6,
        },
        { prefix: '447', destination: 'UK mobile peak', ratePerMinute: '0.15', band: 'peak' },
        { prefix: '44x', destination: 'Bad', ratePerMinute: '0.01' },
        { prefix: '33', destination: 'France', ratePerMinute: '-0.01' },
        { prefix: '447', destination: 'UK mobile again', ratePerMinute: '0.2' },
        { prefix: '1', destination: 'USA', ratePerMinute: '0.01', initialIncrementS: 0 },
        { prefix: 1, destination: 'USA', ratePerMinute: '0.01', band: 'evening' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({
      rateCard: card,
      effectiveFrom: '2026-02-01',
      imported: 3,
      rejected: [
        { line: 4, reason: 'prefix: "44x" must be 1 to 20 digits' },
        { line: 5, reason: 'rate_per_minute: must not be negative' },
        { line: 6, reason: 'prefix 447 (band all) is already on line 2' },
        { line: 7, reason: 'initial_increment_s: must be 1 to 3600 seconds' },
        { line: 8, reason: 'band: "evening" must be one of all, peak, offpeak, weekend' },
      ],
      waitingCallsRated: 0,
    });
    expect(await getAll(api, `/rateCards/${card.id}/rates`)).toStrictEqual([
      rateBody({
        rateCardID: card.id,
        prefix: '44',
        destination: 'United Kingdom',
        ratePerMinute: '0.012',
        costPerMinute: '0.004',
        effectiveFrom: '2026-02-01',
      }),
      rateBody({
        rateCardID: card.id,
        prefix: '447',
        destination: 'UK mobile',
        ratePerMinute: '0.1',
        connectionFee: '0.02',
        minimumCharge: '0.05',
        initialIncrementS: 30,
        subsequentIncrementS: 6,
        effectiveFrom: '2026-02-01',
      }),
      rateBody({
        rateCardID: card.id,
        prefix: '447',
        destination: 'UK mobile peak',
        ratePerMinute: '0.15',
        band: 'peak',
        effectiveFrom: '2026-02-01',
      }),
    ]);
    expect(await getAll(api, `/rateCards/${card.id}/rates?prefix=447`)).toHaveLength(2);

    const rejected = await getAll(api, '/rateCards/rejected');
    expect(rejected).toStrictEqual([
      {
        id: expect.any(String),
        source: `rate card ${card.id}`,
        line: 4,
        raw: JSON.stringify({ prefix: '44x', destination: 'Bad', ratePerMinute: '0.01' }),
        reason: 'prefix: "44x" must be 1 to 20 digits',
        created: expect.any(String),
      },
      expect.objectContaining({ line: 5, reason: 'rate_per_minute: must not be negative' }),
      expect.objectContaining({ line: 6 }),
      expect.objectContaining({ line: 7 }),
      expect.objectContaining({ line: 8 }),
    ]);
    expect(
      await getAll(api, `/rateCards/rejected?source=${encodeURIComponent(`rate card ${card.id}`)}`),
    ).toHaveLength(5);
    expect(await getAll(api, '/rateCards/rejected?source=other')).toEqual([]);
    // Refused rows are not calls.
    expect(await getAll(api, '/calls/rejected')).toEqual([]);
  });

  it('refuse a JSON rate with a missing or misspelt field on its own, never the whole load, never silently', async () => {
    const { api } = await setup();
    const card = await makeRateCard(api, 'Standard');
    const res = await api.request('PUT', `/rateCards/${card.id}/rates`, {
      effectiveFrom: '2026-02-01',
      rates: [
        { prefix: '44', destination: 'UK', ratePerMinute: '0.012' },
        { prefix: '45', destination: 'Denmark' },
        // "bnad" for "band": stored as an all-times rate it would price every call at the peak price.
        { prefix: '447', destination: 'UK mobile peak', ratePerMinute: '0.15', bnad: 'peak' },
        { prefix: '33', destination: 'France', ratePerMinute: { amount: '0.02' } },
        { prefix: true, destination: 'Spain', ratePerMinute: '0.02' },
        '34,Spain,0.02',
        null,
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      imported: 1,
      rejected: [
        { line: 2, reason: 'rate_per_minute: is required' },
        { line: 3, reason: 'unknown field bnad' },
        { line: 4, reason: 'ratePerMinute: must be a string or a number' },
        { line: 5, reason: 'prefix: must be a string or a number' },
        { line: 6, reason: 'not a rate object' },
        { line: 7, reason: 'not a rate object' },
      ],
    });
    expect((await getAll(api, `/rateCards/${card.id}/rates`)).map((r) => [r.prefix, r.band])).toEqual([
      ['44', 'all'],
    ]);
    expect((await getAll(api, '/rateCards/rejected')).map((r) => [r.line, r.raw])).toEqual([
      [2, '{"prefix":"45","destination":"Denmark"}'],
      [3, '{"prefix":"447","destination":"UK mobile peak","ratePerMinute":"0.15","bnad":"peak"}'],
      [4, '{"prefix":"33","destination":"France","ratePerMinute":{"amount":"0.02"}}'],
      [5, '{"prefix":true,"destination":"Spain","ratePerMinute":"0.02"}'],
      [6, '"34,Spain,0.02"'],
      [7, 'null'],
    ]);
  });

  it('load rates from a CSV body with ?effectiveFrom, refusing lines by number', async () => {
    const { api } = await setup();
    const card = await makeRateCard(api, 'Standard');
    const csv = [
      'prefix,destination,rate_per_minute,connection_fee,minimum_charge,initial_increment_s,subsequent_increment_s,band,cost_per_minute',
      '44,United Kingdom,0.012,0,0,60,60,,0.004',
      '447,UK mobile,0.10,0.02,0.05,30,6,all,0.05',
      '',
      '33,France,abc,0,0,60,60,,',
      '34,Spain,0.02,0,0,60',
      '"35"x,Portugal,0.02,0,0,60,60,,',
      '353,"Ireland, Republic of",0.03,0,0,1,1,weekend,',
    ].join('\r\n');
    const res = await api.request('PUT', `/rateCards/${card.id}/rates?effectiveFrom=2026-03-01`, csv, {
      'content-type': 'text/csv',
    });
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({
      rateCard: card,
      effectiveFrom: '2026-03-01',
      imported: 3,
      rejected: [
        { line: 5, reason: 'rate_per_minute: "abc" is not a decimal amount with at most 6 decimal places' },
        { line: 6, reason: 'expected 9 columns as in the header, found 6' },
        { line: 7, reason: 'prefix: ""35"x" must be 1 to 20 digits' },
      ],
      waitingCallsRated: 0,
    });
    const rates = await getAll(api, `/rateCards/${card.id}/rates`);
    expect(
      rates.map((r) => [
        r.prefix,
        r.destination,
        r.band,
        r.ratePerMinute,
        r.costPerMinute,
        r.initialIncrementS,
        r.effectiveFrom,
      ]),
    ).toEqual([
      ['44', 'United Kingdom', 'all', '0.012', '0.004', 60, '2026-03-01'],
      ['447', 'UK mobile', 'all', '0.1', '0.05', 30, '2026-03-01'],
      ['353', 'Ireland, Republic of', 'weekend', '0.03', null, 1, '2026-03-01'],
    ]);
    const rejected = await getAll(api, '/rateCards/rejected');
    expect(rejected.map((r) => [r.line, r.raw])).toEqual([
      [5, '33,France,abc,0,0,60,60,,'],
      [6, '34,Spain,0.02,0,0,60'],
      [7, '"35"x,Portugal,0.02,0,0,60,60,,'],
    ]);
  });

  it('refuse unreadable loads as a whole (400) and change nothing', async () => {
    const { api } = await setup();
    const card = await makeRateCard(api, 'Standard');
    await loadRates(api, card.id, '2026-01-01', [{ prefix: '44', destination: 'UK', ratePerMinute: '0.01' }]);
    const put = (body: unknown, headers: Record<string, string> = {}, query = '') =>
      api.request('PUT', `/rateCards/${card.id}/rates${query}`, body, headers);
    expectError(await put({ effectiveFrom: '2026-02-30', rates: [] }), 400, 400001, /effectiveFrom/);
    expectError(await put({ rates: [] }, {}, '?effectiveFrom=tomorrow'), 400, 400001, /effectiveFrom/);
    expectError(await put({ rates: 'all of them' }), 400, 400001);
    expectError(await put({ effectiveFrom: '2026-02-01', rates: [], extra: 1 }), 400, 400001);
    expectError(
      await put('', { 'content-type': 'text/csv' }),
      400,
      400001,
      'file: the rate card is empty: it needs a header line and rates',
    );
    expectError(
      await put('code,name,price\n44,UK,0.1\n', { 'content-type': 'text/csv' }),
      400,
      400001,
      /^header: .*missing: prefix, destination, rate_per_minute$/,
    );
    expectError(
      await put('prefix,destination,rate_per_minute\n44,UK,0.1\n', { 'content-type': 'text/plain' }),
      415,
      415001,
    );
    expectError(
      await api.request('PUT', '/rateCards/999999/rates', { rates: [] }),
      404,
      404001,
      'Rate card 999999 not found',
    );
    // The rates loaded before are untouched.
    const rates = await getAll(api, `/rateCards/${card.id}/rates`);
    expect(rates.map((r) => [r.prefix, r.effectiveFrom, r.effectiveTo])).toEqual([
      ['44', '2026-01-01', null],
    ]);
  });

  it('a load closes the rates in force the day before its date; ?on= shows the rates of a day', async () => {
    const { api } = await setup();
    const card = await makeRateCard(api, 'Standard');
    await loadRates(api, card.id, '2026-01-01', [
      { prefix: '44', destination: 'UK', ratePerMinute: '0.01' },
      { prefix: '33', destination: 'France', ratePerMinute: '0.05' },
    ]);
    await loadRates(api, card.id, '2026-03-01', [{ prefix: '44', destination: 'UK', ratePerMinute: '0.02' }]);
    const periods = async () =>
      (await getAll(api, `/rateCards/${card.id}/rates`)).map((r) => [
        r.prefix,
        r.ratePerMinute,
        r.effectiveFrom,
        r.effectiveTo,
      ]);
    // The whole card is replaced from 1 March: France is no longer on it from then.
    expect(await periods()).toEqual([
      ['44', '0.01', '2026-01-01', '2026-03-01'],
      ['33', '0.05', '2026-01-01', '2026-03-01'],
      ['44', '0.02', '2026-03-01', null],
    ]);
    const on = async (date: string) =>
      (await getAll(api, `/rateCards/${card.id}/rates?on=${date}`)).map((r) => [r.prefix, r.ratePerMinute]);
    expect(await on('2025-12-31')).toEqual([]);
    expect(await on('2026-02-28')).toEqual([
      ['44', '0.01'],
      ['33', '0.05'],
    ]);
    expect(await on('2026-03-01')).toEqual([['44', '0.02']]);

    // A load dated before a later one ends what was in force then, and the later one never applies.
    await loadRates(api, card.id, '2026-02-01', [{ prefix: '44', destination: 'UK', ratePerMinute: '0.03' }]);
    expect(await periods()).toEqual([
      ['44', '0.01', '2026-01-01', '2026-02-01'],
      ['33', '0.05', '2026-01-01', '2026-02-01'],
      ['44', '0.02', '2026-03-01', '2026-03-01'],
      ['44', '0.03', '2026-02-01', null],
    ]);
    expect(await on('2026-01-31')).toEqual([
      ['44', '0.01'],
      ['33', '0.05'],
    ]);
    expect(await on('2026-02-01')).toEqual([['44', '0.03']]);
    expect(await on('2026-06-01')).toEqual([['44', '0.03']]);
    expectError(await api.get(`/rateCards/${card.id}/rates?on=2026-13-01`), 400, 400001, /on/);
  });

  it('prices each call by the rates in force on its local date', async () => {
    const { api } = await setup();
    const card = await makeRateCard(api, 'Standard', true);
    const customer = await makeCustomer(api);
    await makeFeature(api, customer.id, { phoneNumber: '441632960001' });
    await loadRates(api, card.id, '2026-01-01', [{ prefix: '44', destination: 'UK', ratePerMinute: '0.01' }]);
    await loadRates(api, card.id, '2026-07-01', [{ prefix: '44', destination: 'UK', ratePerMinute: '0.02' }]);
    await sendCalls(api, [
      // 30 June 23:59 BST: the old rate.
      cdr('june', '441632960001', '442079460000', '2026-06-30T22:59:00Z', 60),
      // 1 July 00:30 BST is still 30 June in UTC: the new rate, by the account's date.
      cdr('july', '441632960001', '442079460000', '2026-06-30T23:30:00Z', 60),
    ]);
    const calls = await getAll(api, '/calls');
    expect(calls.map((c) => [c.callID, c.charge])).toEqual([
      ['june', '0.010000'],
      ['july', '0.020000'],
    ]);
  });

  it("apply a card's first rates from the start of time, and later ones from today in the account's timezone", async () => {
    // 12:00 UTC on 10 March is 01:00 on 11 March in Auckland.
    const { api } = await setup({ timezone: 'Pacific/Auckland' });
    const card = await makeRateCard(api, 'Standard');
    const first = await api.request('PUT', `/rateCards/${card.id}/rates`, {
      rates: [{ prefix: '64', destination: 'New Zealand', ratePerMinute: '0.02' }],
    });
    expect(first.status).toBe(200);
    expect(first.body.effectiveFrom).toBeNull();
    const res = await api.request('PUT', `/rateCards/${card.id}/rates`, {
      rates: [{ prefix: '64', destination: 'New Zealand', ratePerMinute: '0.03' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.effectiveFrom).toBe('2026-03-11');
    // The history keeps its price: the first rates end the day before the second start.
    expect(
      (await getAll(api, `/rateCards/${card.id}/rates`)).map((r) => [
        r.ratePerMinute,
        r.effectiveFrom,
        r.effectiveTo,
      ]),
    ).toEqual([
      ['0.02', null, '2026-03-11'],
      ['0.03', '2026-03-11', null],
    ]);
    expect(
      (await getAll(api, `/rateCards/${card.id}/rates?on=1990-01-01`)).map((r) => r.ratePerMinute),
    ).toEqual(['0.02']);
  });

  it('price the calls that were waiting for them when loaded', async () => {
    const { api, id: accountId } = await setup();
    const card = await makeRateCard(api, 'Standard');
    const customer = await makeCustomer(api, { rateCardID: card.id });
    const feature = await makeFeature(api, customer.id, { phoneNumber: '441632960001' });
    const sent = await sendCalls(api, [
      cdr('a', '441632960001', '442079460000', '2026-03-02T10:00:00Z', 61),
      cdr('b', '441632960001', '33140000000', '2026-03-02T11:00:00Z', 30),
    ]);
    expect(sent).toMatchObject({ inserted: 2, rated: 0, unrated: 2, unratedReasons: { no_rate: 2 } });
    const waiting = await getAll(api, '/calls?ratingStatus=unrated');
    expect(waiting.map((c) => [c.callID, c.ratingError, c.charge])).toEqual([
      ['a', 'no rate for 442079460000: card Standard has no rates', null],
      ['b', 'no rate for 33140000000: card Standard has no rates', null],
    ]);

    const res = await loadRates(api, card.id, '2026-01-01', [
      { prefix: '44', destination: 'UK', ratePerMinute: '0.012', costPerMinute: '0.004' },
    ]);
    expect(res.waitingCallsRated).toBe(1);
    const calls = await dbCalls(h, accountId);
    // 61 s at 60/60 bill 120 s: 0.012 x 2 = 0.024; cost 0.004 x 61 / 60 = 0.0040666 -> 0.004067.
    expect(calls.get('a')).toMatchObject({
      rating_status: 'rated',
      rating_error: null,
      destination: 'UK',
      billable_s: 120,
      charge: '0.024000',
      cost: '0.004067',
      customer_id: Number(customer.id),
      feature_id: Number(feature.id),
    });
    expect(calls.get('a')!.rated_at).toEqual(new Date(NOW));
    // France is still not on the card.
    expect(calls.get('b')).toMatchObject({
      rating_status: 'unrated',
      rating_error: 'no rate for 33140000000: no prefix of the number is on card Standard',
      charge: null,
      rated_at: null,
    });
  });
});

describe("a new account's first rate card (issue 11, item 17)", () => {
  const h = useHarness();
  const TODAY = '2026-12-06T09:00:00.000Z';
  const RATES = ['prefix,destination,rate_per_minute', '44,United Kingdom,0.012', '33,France,0.03'].join(
    '\n',
  );
  // Last month's calls: 61 s at 60/60 bill 120 s, 0.012 x 2 = 0.024; 125 s bill 180 s, 0.03 x 3 = 0.09.
  const CALLS = [
    'call_id,from,to,start_time,duration_s,status',
    'n1,+441632960001,+442079460000,2026-11-03T10:00:00Z,61,completed',
    'n2,+441632960001,+33140000000,2026-11-03T11:00:00Z,125,completed',
    'n3,+441632960001,+8613800000000,2026-11-04T11:00:00Z,60,completed',
  ].join('\n');

  /** Runs a `ringbill` command in this process on the test's database, as the CLI does; its stdout lines. */
  async function ringbill(...argv: string[]): Promise<string[]> {
    const r = await runCli(h, argv);
    if (r.code !== 0) throw new Error(`ringbill ${argv.join(' ')}: exit ${r.code}: ${r.err}`);
    return r.lines;
  }

  async function accountWithLine() {
    h.setNow(new Date(TODAY));
    const account = await h.account();
    const customer = await makeCustomer(account.api);
    await makeFeature(account.api, customer.id, { phoneNumber: '+441632960001', startDate: '2026-10-01' });
    const folder = await mkdtemp(join(tmpdir(), 'ringbill-first-card-'));
    await writeFile(join(folder, 'rates.csv'), RATES);
    await writeFile(join(folder, 'calls.csv'), CALLS);
    return { ...account, folder };
  }

  it("CLI: import rates with no flags, then last month's CDRs: they are rated, and a number the card lacks says why", async () => {
    const { id, api, folder } = await accountWithLine();
    try {
      expect(
        await ringbill(
          'import',
          'rates',
          join(folder, 'rates.csv'),
          '--account',
          String(id),
          '--rate-card',
          'Standard',
        ),
      ).toEqual([
        'Rate card ' +
          (await getAll(api, '/rateCards'))[0].id +
          ' "Standard" (default): 2 rates from the start (no effective date), 0 refused.',
      ]);
      const imported = await ringbill('import', 'calls', join(folder, 'calls.csv'), '--account', String(id));
      expect(imported[1]).toBe(
        'Rated 2 (charges 0.114000), 0 free (not completed), 1 could not be priced (1 no rate), 0 on numbers no feature has.',
      );
      // China is not on the card: the reason says so (the same text as for a call sent through the API).
      expect(
        (await getAll(api, '/calls')).map((c) => [
          c.callID,
          c.ratingStatus,
          c.billableS,
          c.charge,
          c.ratingError,
        ]),
      ).toEqual([
        ['n1', 'rated', 120, '0.024000', null],
        ['n2', 'rated', 180, '0.090000', null],
        [
          'n3',
          'unrated',
          null,
          null,
          'no rate for +8613800000000: no prefix of the number is on card Standard',
        ],
      ]);
      // A second load without a date starts today: November keeps its prices when re-rated.
      await writeFile(join(folder, 'rates-v2.csv'), RATES.replace('0.012', '0.02'));
      expect(
        await ringbill(
          'import',
          'rates',
          join(folder, 'rates-v2.csv'),
          '--account',
          String(id),
          '--rate-card',
          'Standard',
        ),
      ).toEqual([expect.stringMatching(/"Standard" \(default\): 2 rates from 2026-12-06, 0 refused\.$/)]);
      await ringbill('rerate', '--account', String(id));
      expect((await getAll(api, '/calls')).map((c) => c.charge)).toEqual(['0.024000', '0.090000', null]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('API: the first card is the default and its first rates have no start date', async () => {
    const { api } = await accountWithLine();
    const created = await api.post('/rateCards', { name: 'Standard' });
    expect(created.body.isDefault).toBe(true);
    const loaded = await api.request('PUT', `/rateCards/${created.body.id}/rates`, RATES, {
      'content-type': 'text/csv',
    });
    expect(loaded.body).toMatchObject({ effectiveFrom: null, imported: 2 });
    const sent = await sendCalls(api, [
      cdr('a1', '+441632960001', '+442079460000', '2026-11-03T10:00:00Z', 61),
    ]);
    expect(sent).toMatchObject({ rated: 1, chargeTotal: '0.024000' });
    // A second card is not the default.
    expect((await api.post('/rateCards', { name: 'Wholesale' })).body.isDefault).toBe(false);
  });

  it('names the real reason a call cannot be priced: rates that start later, no prefix, no default card', async () => {
    const { api } = await accountWithLine();
    // Loaded today with a date: November's calls are before the card's rates.
    const card = await api.post('/rateCards', { name: 'Standard' });
    await loadRates(api, card.body.id, '2026-12-06', [
      { prefix: '33', destination: 'France', ratePerMinute: '0.03' },
    ]);
    await sendCalls(api, [
      cdr('early', '+441632960001', '+33140000000', '2026-11-03T10:00:00Z', 60),
      cdr('china', '+441632960001', '+8613800000000', '2026-12-06T08:00:00Z', 60),
    ]);
    const reasons = async () => (await getAll(api, '/calls')).map((c) => [c.callID, c.ratingError]);
    expect(await reasons()).toEqual([
      ['early', "no rate for +33140000000 effective on 2026-11-03: card Standard's rates start 2026-12-06"],
      ['china', 'no rate for +8613800000000: no prefix of the number is on card Standard'],
    ]);
    // With no default card (and none on the customer or feature), that is the reason.
    expect((await api.patch(`/rateCards/${card.body.id}`, { isDefault: false })).status).toBe(200);
    await sendCalls(api, [cdr('nocard', '+441632960001', '+33140000000', '2026-12-06T08:00:00Z', 60)]);
    expect((await reasons())[2]).toEqual([
      'nocard',
      'no rate card applies: the account has no default rate card, and neither the feature nor the customer names one',
    ]);
  });
});

describe('giving a rate card', () => {
  const h = useHarness();

  it('to a customer, or as the account default, prices the calls that were waiting for one', async () => {
    h.setNow(new Date(NOW));
    const { api, id: accountId } = await h.account();
    const card = await makeRateCard(api, 'Standard');
    await loadRates(api, card.id, '2026-01-01', [
      { prefix: '44', destination: 'UK', ratePerMinute: '0.012' },
    ]);
    const first = await makeCustomer(api, { name: 'First Ltd' });
    await makeFeature(api, first.id, { phoneNumber: '441632960001' });
    const second = await makeCustomer(api, { name: 'Second Ltd' });
    await makeFeature(api, second.id, { phoneNumber: '441632960002' });
    await sendCalls(api, [
      cdr('one', '441632960001', '442079460000', '2026-03-02T10:00:00Z', 60),
      cdr('two', '441632960002', '442079460000', '2026-03-02T10:00:00Z', 60),
    ]);
    const status = async () =>
      [...(await dbCalls(h, accountId)).values()].map((c) => [c.source_call_id, c.rating_status, c.charge]);
    expect(await status()).toEqual([
      ['one', 'unrated', null],
      ['two', 'unrated', null],
    ]);

    expect((await api.patch(`/customers/${first.id}`, { rateCardID: card.id })).status).toBe(200);
    expect(await status()).toEqual([
      ['one', 'rated', '0.012000'],
      ['two', 'unrated', null],
    ]);
    expect((await api.patch(`/rateCards/${card.id}`, { isDefault: true })).status).toBe(200);
    expect(await status()).toEqual([
      ['one', 'rated', '0.012000'],
      ['two', 'rated', '0.012000'],
    ]);
  });
});

describe("another account's rate cards", () => {
  const h = useHarness();

  it('are a 404 everywhere, and cannot be given to a customer or feature (400)', async () => {
    h.setNow(new Date(NOW));
    const mine = await h.account();
    const theirs = await h.account();
    const card = await makeRateCard(theirs.api, 'Theirs');
    await loadRates(theirs.api, card.id, '2026-01-01', [
      { prefix: '44', destination: 'UK', ratePerMinute: '0.01' },
      { prefix: 'x', destination: 'Bad', ratePerMinute: '1' },
    ]);
    const api = mine.api;
    expectError(await api.get(`/rateCards/${card.id}`), 404, 404001, `Rate card ${card.id} not found`);
    expectError(await api.patch(`/rateCards/${card.id}`, { name: 'Mine now' }), 404, 404001);
    expectError(await api.delete(`/rateCards/${card.id}`), 404, 404001);
    expectError(await api.get(`/rateCards/${card.id}/rates`), 404, 404001);
    expectError(
      await api.request('PUT', `/rateCards/${card.id}/rates`, {
        rates: [{ prefix: '44', destination: 'UK', ratePerMinute: '9' }],
      }),
      404,
      404001,
    );
    expect(await getAll(api, '/rateCards')).toEqual([]);
    expect(await getAll(api, '/rateCards/rejected')).toEqual([]);
    expectError(
      await api.post('/customers', { name: 'Thief Ltd', rateCardID: card.id }),
      400,
      400001,
      `rate card ${card.id} does not exist`,
    );
    const customer = await makeCustomer(api);
    expectError(
      await api.patch(`/customers/${customer.id}`, { rateCardID: card.id }),
      400,
      400001,
      /rateCardID/,
    );
    expectError(
      await api.post(`/customers/${customer.id}/features`, { name: 'Line', rateCardID: card.id }),
      400,
      400001,
      /rateCardID/,
    );
    // Their card and rates are untouched.
    expect(await getOk(theirs.api, `/rateCards/${card.id}`)).toStrictEqual(card);
    expect((await getAll(theirs.api, `/rateCards/${card.id}/rates`)).map((r) => r.ratePerMinute)).toEqual([
      '0.01',
    ]);
    expect(await getAll(theirs.api, '/rateCards/rejected')).toHaveLength(1);
  });
});
