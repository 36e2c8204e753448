// The call transactions feed (document 000) through real HTTP on a real database: auth in the three ways
// clients send it, every parameter and its error, the three formats read with real parsers, the key's
// timezone, corrections (re-rating, payout, notes, signals) with their duration sums, post-call events
// rolling up by partner_unique_id, and the polling loop against 8 concurrent writers.
import { parse } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { ingestCallBatch } from '../../src/calls/ingest-batch.ts';
import { updateCallForFeed } from '../../src/feed/update-call.ts';
import { cdr, loadRates, makeRateCard, sendCalls } from '../helpers/call-billing.ts';
import { testDbKind } from '../helpers/db.ts';
import { Api, makeCustomer, makeFeature, type TestAccount, useHarness } from '../helpers/harness.ts';

const h = useHarness();
const FEED = '/api/2024-01-01/networks/transactions';
const LINE = '+15550001111';

function feedOf(account: TestAccount, key = account.key): Api {
  return new Api(h.url, key, FEED);
}

/** An account in Los Angeles with a rated line and these calls sent in (each `seconds` long, a day apart from 1 March 2024). */
async function accountWithCalls(count: number, seconds = 125): Promise<{ account: TestAccount; feed: Api }> {
  const account = await h.account({ timezone: 'America/Los_Angeles', currency: 'USD' });
  const card = await makeRateCard(account.api, 'Standard', true);
  await loadRates(account.api, card.id, '2024-01-01', [
    { prefix: '1', destination: 'North America', ratePerMinute: '0.01' },
  ]);
  const customer = await makeCustomer(account.api);
  await makeFeature(account.api, customer.id, { phoneNumber: LINE });
  const calls = Array.from({ length: count }, (_, i) =>
    cdr(
      `c${i}`,
      LINE,
      `+1555123${String(i).padStart(4, '0')}`,
      new Date(Date.parse('2024-03-01T10:00:00Z') + i * 86_400_000).toISOString(),
      seconds,
    ),
  );
  for (let i = 0; i < calls.length; i += 5000) await sendCalls(account.api, calls.slice(i, i + 5000));
  return { account, feed: feedOf(account) };
}

async function drain(feed: Api, path: string, limit = 4000): Promise<any[]> {
  const rows: any[] = [];
  let after = '';
  for (let page = 0; page < 10_000; page++) {
    const res = await feed.get(
      `${path}${path.includes('?') ? '&' : '?'}limit=${limit}&start_after_transaction_id=${after}`,
    );
    expect(res.status, res.text).toBe(200);
    rows.push(...res.body);
    if (res.body.length < limit) return rows;
    after = res.body.at(-1).transaction_id;
  }
  throw new Error('feed never ended');
}

describe('authentication and errors', () => {
  it('takes the key as Bearer, bare, or oauth_token; refuses others with a plain JSON error', async () => {
    const { account, feed } = await accountWithCalls(1);
    const anon = new Api(h.url, undefined, FEED);
    for (const headers of [{ authorization: `Bearer ${account.key}` }, { authorization: account.key }]) {
      const res = await anon.get(`/${account.id}.json`, headers);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toHaveLength(1);
    }
    expect(
      (await anon.get(`/${account.id}.json?oauth_token=${encodeURIComponent(account.key)}`)).body,
    ).toHaveLength(1);

    const none = await anon.get(`/${account.id}.json`);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: expect.stringContaining('API key') });
    expect(none.headers.get('content-type')).toMatch(/application\/json/);
    expect((await anon.get(`/${account.id}.csv`, { authorization: 'Bearer rb_nope' })).status).toBe(401);
    expect((await anon.get(`/${account.id}.xml?oauth_token=wrong`)).status).toBe(401);

    // Another account's feed, existing or not, is not found; so are unknown formats and versions.
    const other = await h.account();
    for (const path of [
      `/${other.id}.json`,
      '/999999999.json',
      `/${account.id}.txt`,
      `/${account.id}`,
      `/abc.json`,
    ]) {
      const res = await feed.get(path);
      expect(res.status, path).toBe(404);
      expect(res.body).toEqual({ error: expect.any(String) });
    }
    expect(
      (await new Api(h.url, account.key, '/api/latest/networks/transactions').get(`/${account.id}.json`))
        .status,
    ).toBe(404);
    // Any dated version answers (clients pin one).
    expect(
      (await new Api(h.url, account.key, '/api/2023-10-09/networks/transactions').get(`/${account.id}.json`))
        .status,
    ).toBe(200);
  });

  it('answers every bad parameter with a 400 naming it', async () => {
    const { account, feed } = await accountWithCalls(1);
    const cases: [string, string][] = [
      ['limit=4001', 'limit'],
      ['limit=0', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['start_after_transaction_id=abc', 'start_after_transaction_id'],
      ['start_after_transaction_id=-1', 'start_after_transaction_id'],
      ['start_after_transaction_id=99999999999999999999', 'start_after_transaction_id'],
      ['from=2024-02-30&to=2024-03-01', 'from'],
      ['from=yesterday', 'from'],
      ['to=2024-13-01', 'to'],
      ['from=2024-03-02&to=2024-03-01', 'from'],
      ['transaction_type=phone', 'transaction_type'],
      ['transaction_type=call&transaction_type=bogus', 'transaction_type'],
      [`include_columns=${'x'.repeat(300)}`, 'include_columns'],
      ['include_columns=a%01b', 'include_columns'],
    ];
    for (const [query, field] of cases) {
      const res = await feed.get(`/${account.id}.json?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error, query).toContain(field);
    }
    const csv = [
      ['column_separator=ab', 'column_separator'],
      ['row_separator=x', 'row_separator'],
      ['include_header=yes', 'include_header'],
      ['force_quotes=2', 'force_quotes'],
    ];
    for (const [query, field] of csv) {
      const res = await feed.get(`/${account.id}.csv?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error).toContain(field);
    }
    expect((await feed.get(`/${account.id}.json?limit=4000`)).status).toBe(200);
  });
});

describe('paging and parameters', () => {
  it('pages in transaction id order: default 1000, start_after, empty page at the end', async () => {
    const { account, feed } = await accountWithCalls(1100);
    const first = await feed.get(`/${account.id}.json`);
    expect(first.status).toBe(200);
    expect(first.body).toHaveLength(1000);
    const ids = first.body.map((r: any) => r.transaction_id);
    expect([...ids].sort()).toEqual(ids);
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a: number, b: number) => a - b));
    const rest = await feed.get(`/${account.id}.json?start_after_transaction_id=${ids.at(-1)}`);
    expect(rest.body).toHaveLength(100);
    // The id may be sent without its zeros (a CSV reader turns it into a number).
    const unpadded = await feed.get(
      `/${account.id}.json?start_after_transaction_id=${Number(ids.at(-1))}&limit=5`,
    );
    expect(unpadded.body[0].transaction_id).toBe(rest.body[0].transaction_id);
    const end = await feed.get(
      `/${account.id}.json?start_after_transaction_id=${rest.body.at(-1).transaction_id}`,
    );
    expect(end.body).toEqual([]);
    expect((await drain(feed, `/${account.id}.json`, 333)).length).toBe(1100);
  });

  it("from/to are inclusive dates in the key's timezone; transaction_type filters; include_columns picks columns", async () => {
    const { account, feed } = await accountWithCalls(5);
    // Calls at 10:00 UTC = 02:00 or 03:00 in Los Angeles, on 1 to 5 March.
    const range = await feed.get(`/${account.id}.json?from=2024-03-02&to=2024-03-03`);
    expect(range.body.map((r: any) => r.start_time_local.slice(0, 10))).toEqual(['2024-03-02', '2024-03-03']);
    // A correction of a call in the range comes with it.
    const callId = await callIdOf(account, 'c1');
    await account.api.patch(`/calls/${callId}`, { payout: '0.50' });
    const again = await feed.get(`/${account.id}.json?from=2024-03-02&to=2024-03-02`);
    expect(again.body.map((r: any) => r.corrects_transaction_id === null)).toEqual([true, false]);
    expect(again.body[1].affiliate_payout_localized).toBe('0.50');

    await account.api.post('/callEvents', { callId, partnerUniqueId: 'order-1', saleAmount: '20.00' });
    for (const q of [
      'transaction_type=post_call_event',
      'transaction_type=Post%20Call%20Event',
      'transaction_type[]=post_call_event',
    ]) {
      const res = await feed.get(`/${account.id}.json?${q}`);
      expect(
        res.body.map((r: any) => r.transaction_type),
        q,
      ).toEqual(['post_call_event']);
    }
    const both = await feed.get(`/${account.id}.json?transaction_type=call&transaction_type=post_call_event`);
    expect(both.body).toHaveLength(7);
    expect((await feed.get(`/${account.id}.json?transaction_type=Call,post_call_event`)).body).toHaveLength(
      7,
    );
    expect((await feed.get(`/${account.id}.json?transaction_type=call`)).body).toHaveLength(6);

    const picked = await feed.get(
      `/${account.id}.json?limit=1&include_columns=transaction_id,duration,start_time_utc,unknown_column`,
    );
    expect(picked.body).toEqual([
      {
        transaction_id: expect.stringMatching(/^\d{16}$/),
        duration: 125,
        start_time_utc: Date.parse('2024-03-01T10:00:00Z'),
        unknown_column: null,
      },
    ]);
    const excluded = await feed.get(`/${account.id}.json?limit=1&exclude_columns=recording,notes`);
    expect(Object.keys(excluded.body[0])).not.toContain('recording');
    expect(Object.keys(excluded.body[0])).toContain('transaction_id');
  });

  it('columns named in include_columns survive exclude_columns; an empty include_columns is the default set', async () => {
    const { account, feed } = await accountWithCalls(2);
    const field = await account.api.post('/customDataFields', {
      apiName: 'utm_medium',
      name: 'UTM medium',
      dataType: 'shortText',
    });
    expect(field.status, field.text).toBe(201);
    await account.api.post('/callEvents', {
      callId: await callIdOf(account, 'c0'),
      customData: { utm_medium: 'Search' },
    });
    // Invoca's own example: "only the transaction_id and all Custom Data columns", still pageable by transaction_id.
    const custom = await feed.get(
      `/${account.id}.json?include_columns=transaction_id,$invoca_custom_columns&exclude_columns=$invoca_default_columns`,
    );
    expect(custom.status, custom.text).toBe(200);
    expect(custom.body.map((r: any) => Object.keys(r))).toEqual(
      custom.body.map(() => ['transaction_id', 'utm_medium']),
    );
    expect(custom.body.every((r: any) => /^\d{16}$/.test(r.transaction_id))).toBe(true);
    // A default column named explicitly stays; the rest of the excluded set goes.
    const named = await feed.get(
      `/${account.id}.json?include_columns=$invoca_default_columns,duration&exclude_columns=$invoca_default_columns`,
    );
    expect(Object.keys(named.body[0])).toEqual(['duration']);
    // Exclusions still trim what a set brought in.
    const trimmed = await feed.get(
      `/${account.id}.json?include_columns=$invoca_default_columns&exclude_columns=notes`,
    );
    expect(Object.keys(trimmed.body[0])).not.toContain('notes');

    const defaults = Object.keys((await feed.get(`/${account.id}.json`)).body[0]);
    expect(defaults).toContain('transaction_id');
    for (const query of ['include_columns=', 'include_columns=,', 'include_columns=&exclude_columns=']) {
      const res = await feed.get(`/${account.id}.json?${query}`);
      expect(res.status, query).toBe(200);
      expect(Object.keys(res.body[0]), query).toEqual(defaults);
    }
    const csv = await feed.get(`/${account.id}.csv?include_columns=`);
    expect(csv.text.split('\n')[0]).toBe(defaults.join(','));
  });

  it('a key made before a timezone change keeps the old timezone; start_time_network_timezone follows the account', async () => {
    const { account, feed: oldFeed } = await accountWithCalls(1);
    const changed = await account.api.patch('/account', { timezone: 'Europe/London' });
    expect(changed.status, changed.text).toBe(200);
    const newKey = await account.api.post('/apiKeys', { level: 1 });
    const newFeed = feedOf(account, newKey.body.key);
    const before = (await oldFeed.get(`/${account.id}.json`)).body[0];
    const after = (await newFeed.get(`/${account.id}.json`)).body[0];
    expect(before.start_time_local).toBe('2024-03-01 02:00:00 -08:00');
    expect(after.start_time_local).toBe('2024-03-01 10:00:00 +00:00');
    expect(before.start_time_network_timezone).toBe('2024-03-01 10:00:00 +00:00');
    expect(after.start_time_network_timezone).toBe('2024-03-01 10:00:00 +00:00');
    expect(before.start_time_utc).toBe(after.start_time_utc);
    // from/to follow the key's timezone too: 1 March in Los Angeles is not 1 March in London for a call at 01:00 UTC.
    await sendCalls(account.api, [cdr('late', LINE, '+15559990000', '2024-03-02T01:00:00Z', 10)]);
    expect((await oldFeed.get(`/${account.id}.json?from=2024-03-01&to=2024-03-01`)).body).toHaveLength(2);
    expect((await newFeed.get(`/${account.id}.json?from=2024-03-01&to=2024-03-01`)).body).toHaveLength(1);
  });
});

async function callIdOf(account: TestAccount, sourceCallId: string): Promise<number> {
  const row = await h.ctx.db
    .selectFrom('calls')
    .select('id')
    .where('account_id', '=', account.id)
    .where('source_call_id', '=', sourceCallId)
    .executeTakeFirstOrThrow();
  return row.id;
}

describe('formats', () => {
  it('CSV has a header and parses; XML is well-formed; JSON is an array; custom_data nested in JSON and XML only', async () => {
    const { account, feed } = await accountWithCalls(3);
    const field = await account.api.post('/customDataFields', {
      apiName: 'utm_medium',
      name: 'UTM medium',
      dataType: 'shortText',
    });
    expect(field.status, field.text).toBe(201);
    const callId = await callIdOf(account, 'c0');
    const noted = await account.api.patch(`/calls/${callId}`, {
      notes: 'Said "call me, later"\nthen hung up',
    });
    expect(noted.status, noted.text).toBe(200);
    const event = await account.api.post('/callEvents', {
      callId,
      customData: { utm_medium: 'Search, paid' },
      signals: [{ name: 'Purchase Made' }],
    });
    expect(event.status, event.text).toBe(200);
    const columns = 'transaction_id,notes,duration,utm_medium,Purchase Made,custom_data';

    const csv = await feed.get(`/${account.id}.csv?include_columns=${encodeURIComponent(columns)}`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const records = parse<Record<string, string>>(csv.text, { columns: true });
    expect(Object.keys(records[0]!)).toEqual([
      'transaction_id',
      'notes',
      'duration',
      'utm_medium',
      'Purchase Made',
    ]);
    expect(records.at(-1)).toMatchObject({
      notes: 'Said "call me, later"\nthen hung up',
      utm_medium: 'Search, paid',
      'Purchase Made': '1',
      duration: '125',
    });
    const tab = await feed.get(
      `/${account.id}.csv?column_separator=%09&include_header=0&force_quotes=1&row_separator=%0D%0A`,
    );
    expect(parse(tab.text, { delimiter: '\t', record_delimiter: '\r\n' })).toHaveLength(5);

    const xml = await feed.get(`/${account.id}.xml?include_columns=${encodeURIComponent(columns)}`);
    expect(xml.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(XMLValidator.validate(xml.text)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(xml.text);
    const last = doc.Transactions.Transaction.at(-1);
    expect(last.notes).toBe('Said "call me, later"\nthen hung up');
    expect(last.utm_medium).toBe('Search, paid');
    expect(last.custom_data.field.map((f: any) => f.name).sort()).toEqual(['Purchase Made', 'utm_medium']);

    const json = await feed.get(`/${account.id}.json?include_columns=${encodeURIComponent(columns)}`);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.body.at(-1)).toEqual({
      transaction_id: expect.any(String),
      notes: 'Said "call me, later"\nthen hung up',
      duration: 125,
      utm_medium: 'Search, paid',
      'Purchase Made': 1,
      custom_data: expect.arrayContaining([
        {
          name: 'utm_medium',
          partner_name: 'utm_medium',
          value: 'Search, paid',
          data_type: 'Short Text',
          source: 'Api',
        },
        {
          name: 'Purchase Made',
          partner_name: 'Purchase Made',
          value: true,
          data_type: 'Signal',
          source: 'Api',
        },
      ]),
    });
    // $invoca_custom_columns names every custom data field and signal.
    const custom = await feed.get(
      `/${account.id}.json?include_columns=transaction_id,$invoca_custom_columns`,
    );
    expect(Object.keys(custom.body[0])).toEqual(['transaction_id', 'utm_medium', 'Purchase Made']);
  });
});

describe('corrections and post-call events', () => {
  it('re-rating, payout and notes append corrections; durations summed over the feed stay the true total', async () => {
    const { account, feed } = await accountWithCalls(4, 125);
    const callId = await callIdOf(account, 'c2');
    await account.api.patch(`/calls/${callId}`, { payout: '0.015' });
    await account.api.patch(`/calls/${callId}`, { addNote: 'first' });
    await account.api.patch(`/calls/${callId}`, { addNote: 'second' });
    // A rate change and a re-rating: every call's charge changes.
    const cards = await account.api.get('/rateCards');
    await loadRates(account.api, cards.body[0].id, '2024-01-01', [
      { prefix: '1', destination: 'North America', ratePerMinute: '0.02' },
    ]);
    const rerate = await account.api.post('/calls/rerate', {});
    expect(rerate.body.changed).toBe(4);
    // Nothing changes: no correction.
    expect((await account.api.patch(`/calls/${callId}`, { payout: '0.015' })).status).toBe(200);

    const rows = await drain(feed, `/${account.id}.json`);
    expect(rows).toHaveLength(4 + 3 + 4);
    const ofCall = rows.filter(
      (r) =>
        r.complete_call_id === rows.find((x) => x.transaction_id === rows[2].transaction_id).complete_call_id,
    );
    expect(ofCall.map((r) => [r.corrects_transaction_id === null, r.duration])).toEqual([
      [true, null],
      [false, null],
      [false, null],
      [false, null],
      [false, 125],
    ]);
    for (let i = 1; i < ofCall.length; i++)
      expect(ofCall[i].corrects_transaction_id).toBe(ofCall[i - 1].transaction_id);
    expect(ofCall.at(-1)).toMatchObject({
      advertiser_payin_localized: '0.06',
      affiliate_payout_localized: '0.015',
      margin_localized: '0.045',
      notes: 'first\nsecond',
      connect_duration: 125,
    });
    expect(ofCall.at(-1).corrected_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d$/);
    expect(rows.reduce((s, r) => s + (r.duration ?? 0), 0)).toBe(4 * 125);
    expect(rows.reduce((s, r) => s + (r.connect_duration ?? 0), 0)).toBe(4 * 125);

    // The backend shows the call folded to its current state.
    const state = await account.api.get(`/calls/${callId}/feed`);
    expect(state.body).toMatchObject({
      durationS: 125,
      current: { payin: '0.060000', payout: '0.015000', notes: 'first\nsecond', durationS: 125 },
    });
    expect(state.body.transactions).toHaveLength(5);
  });

  it('post-call events roll up by partner_unique_id; signals on the call are a correction; found by transaction id or partner_unique_id', async () => {
    const { account, feed } = await accountWithCalls(2);
    const callId = await callIdOf(account, 'c0');
    const first = await account.api.post(`/calls/${callId}/events`, {
      partnerUniqueId: 'res-1',
      signals: [{ name: 'Reservation' }],
      saleAmount: '120.00',
    });
    expect(first.body).toMatchObject({ outcome: 'post_call_event', correctsTransactionIds: [null] });
    const second = await account.api.post('/callEvents', {
      partnerUniqueId: 'res-1',
      signals: [{ name: 'Add-on', value: true }],
    });
    expect(second.body).toMatchObject({
      callID: String(callId),
      outcome: 'post_call_event',
      correctsTransactionIds: [first.body.transactionIds[0]],
    });
    const repeat = await account.api.post('/callEvents', {
      partnerUniqueId: 'res-1',
      signals: [{ name: 'Add-on', value: true }],
    });
    expect(repeat.body.outcome).toBe('unchanged');
    // The same amount written another way, signals in another order: still no change.
    const sameAmount = await account.api.post('/callEvents', {
      partnerUniqueId: 'res-1',
      signals: [{ name: 'Add-on' }, { name: 'Reservation' }],
      saleAmount: '120',
    });
    expect(sameAmount.body.outcome).toBe('unchanged');
    const ai = await account.api.post('/callEvents', {
      transactionId: first.body.transactionIds[0],
      signals: [{ name: 'Quote' }],
      source: 'AI',
    });
    expect(ai.body.outcome).toBe('call_corrected');

    const rows = await drain(
      feed,
      `/${account.id}.json?include_columns=transaction_id,transaction_type,corrects_transaction_id,duration,revenue,signal_partner_unique_id,Reservation,Add-on,Quote`,
    );
    const events = rows.filter((r) => r.transaction_type === 'post_call_event');
    expect(
      events.map((r) => [r.signal_partner_unique_id, r.revenue, r.Reservation, r['Add-on'], r.duration]),
    ).toEqual([
      ['res-1', '120.00', 1, null, null],
      ['res-1', '120.00', 1, 1, null],
    ]);
    expect(events[1].corrects_transaction_id).toBe(events[0].transaction_id);
    const calls = rows.filter((r) => r.transaction_type === 'call');
    expect(calls.at(-1)).toMatchObject({ Quote: 1, duration: 125 });
    expect(rows.reduce((s, r) => s + (r.duration ?? 0), 0)).toBe(2 * 125);

    // Errors: unknown call, undefined custom data, nothing to add, another account's call.
    expect((await account.api.post('/callEvents', { partnerUniqueId: 'nobody' })).status).toBe(400);
    expect(
      (await account.api.post('/callEvents', { partnerUniqueId: 'nobody', signals: [{ name: 'X' }] })).status,
    ).toBe(404);
    expect(
      (await account.api.post('/callEvents', { callId, customData: { undefined_field: 'x' } })).status,
    ).toBe(400);
    expect((await account.api.post('/callEvents', { signals: [{ name: 'X' }] })).status).toBe(400);
    expect((await account.api.post(`/calls/${callId}/events`, { signals: [{ name: 'a,b' }] })).status).toBe(
      400,
    );
    const other = await h.account();
    expect((await other.api.post(`/calls/${callId}/events`, { signals: [{ name: 'X' }] })).status).toBe(404);
    expect((await other.api.patch(`/calls/${callId}`, { payout: '1' })).status).toBe(404);
    expect((await other.api.get(`/calls/${callId}/feed`)).status).toBe(404);
    expect((await account.api.patch(`/calls/${callId}`, { payout: 'lots' })).status).toBe(400);
  });

  it('old style: a signal row per signal and a sale row per sale', async () => {
    const { account, feed } = await accountWithCalls(1);
    expect((await account.api.patch('/feedSettings', { feedStyle: 'legacy' })).body).toEqual({
      feedStyle: 'legacy',
    });
    const callId = await callIdOf(account, 'c0');
    const res = await account.api.post('/callEvents', {
      callId,
      signals: [{ name: 'Sale' }, { name: 'Quote', value: false }],
      saleAmount: '10.00',
      partnerUniqueId: '1',
    });
    expect(res.body.outcome).toBe('signal_rows');
    const again = await account.api.post('/callEvents', {
      callId,
      signals: [{ name: 'Quote', value: true }],
      partnerUniqueId: '1',
    });
    const rows = (await feed.get(`/${account.id}.json`)).body;
    expect(rows.map((r: any) => [r.transaction_type, r.signal_name, r.signal_value, r.revenue])).toEqual([
      ['call', null, null, null],
      ['signal', 'Sale', true, null],
      ['signal', 'Quote', false, null],
      ['sale', null, null, '10.00'],
      ['signal', 'Quote', true, null],
    ]);
    expect(again.body.correctsTransactionIds).toEqual([rows[2].transaction_id]);
    expect(new Set(rows.map((r: any) => r.complete_call_id)).size).toBe(1);
  });

  it("custom data fields: CRUD, names unique, another account's not found", async () => {
    const account = await h.account();
    const created = await account.api.post('/customDataFields', { apiName: 'gclid', dataType: 'shortText' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ apiName: 'gclid', name: 'gclid', dataType: 'shortText' });
    expect((await account.api.post('/customDataFields', { apiName: 'GCLID' })).status).toBe(409);
    expect((await account.api.post('/customDataFields', { apiName: 'duration' })).status).toBe(400);
    expect((await account.api.post('/customDataFields', { apiName: 'a,b' })).status).toBe(400);
    expect((await account.api.post('/customDataFields', { dataType: 'shortText' })).status).toBe(400);
    expect((await account.api.post('/customDataFields', { apiName: 'x', dataType: 'blob' })).status).toBe(
      400,
    );
    const changed = await account.api.patch(`/customDataFields/${created.body.id}`, {
      name: 'Google click id',
    });
    expect(changed.body.name).toBe('Google click id');
    expect((await account.api.get('/customDataFields')).body).toHaveLength(1);
    const other = await h.account();
    expect((await other.api.get(`/customDataFields/${created.body.id}`)).status).toBe(404);
    expect((await other.api.delete(`/customDataFields/${created.body.id}`)).status).toBe(404);
    expect((await account.api.delete(`/customDataFields/${created.body.id}`)).status).toBe(200);
    expect((await account.api.get(`/customDataFields/${created.body.id}`)).status).toBe(404);
  });
});

describe("against Invoca's column documentation (issue 11, item 19)", () => {
  it("complete_call_id is 32 characters of 0-9A-F, the same on every row of a call, in the backend's views and as a lookup", async () => {
    const { account, feed } = await accountWithCalls(2);
    const callId = await callIdOf(account, 'c0');
    await account.api.patch(`/calls/${callId}`, { addNote: 'called back' });
    const rows = (await feed.get(`/${account.id}.json`)).body;
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r.complete_call_id).toMatch(/^[0-9A-F]{32}$/);
    const stored = (
      await h.ctx.db
        .selectFrom('calls')
        .select('complete_call_id')
        .where('account_id', '=', account.id)
        .where('id', '=', callId)
        .executeTakeFirstOrThrow()
    ).complete_call_id;
    const wire = stored.replace(/-/g, '').toUpperCase();
    expect(rows.filter((r: any) => r.complete_call_id === wire)).toHaveLength(2);
    expect((await account.api.get(`/calls/${callId}`)).body.completeCallID).toBe(wire);
    expect((await account.api.get(`/calls/${callId}/feed`)).body.completeCallId).toBe(wire);
    const csv = parse<Record<string, string>>(
      (await feed.get(`/${account.id}.csv?include_columns=complete_call_id`)).text,
      { columns: true },
    );
    expect(csv.map((r) => r.complete_call_id)).toEqual(rows.map((r: any) => r.complete_call_id));
    // The same id finds the call for a post-call event.
    const event = await account.api.post('/callEvents', {
      completeCallId: wire,
      signals: [{ name: 'Booked' }],
    });
    expect(event.status, event.text).toBe(200);
    expect(event.body).toMatchObject({ callID: String(callId), completeCallId: wire });
    expect(
      (await account.api.post('/callEvents', { completeCallId: 'not-an-id', signals: [{ name: 'Booked' }] }))
        .status,
    ).toBe(400);
    expect(
      (
        await account.api.post('/callEvents', {
          completeCallId: '0'.repeat(32),
          signals: [{ name: 'Booked' }],
        })
      ).status,
    ).toBe(404);
  });

  it('custom_data leaves out entries whose value is null', async () => {
    const { account, feed } = await accountWithCalls(1);
    for (const apiName of ['utm_source', 'utm_medium'])
      expect((await account.api.post('/customDataFields', { apiName })).status).toBe(201);
    const callId = await callIdOf(account, 'c0');
    const event = await account.api.post('/callEvents', {
      callId,
      customData: { utm_source: 'google', utm_medium: null },
    });
    expect(event.status, event.text).toBe(200);
    const rows = (
      await feed.get(`/${account.id}.json?include_columns=transaction_id,utm_source,utm_medium,custom_data`)
    ).body;
    expect(rows.at(-1)).toEqual({
      transaction_id: expect.any(String),
      utm_source: 'google',
      utm_medium: null,
      custom_data: [
        {
          name: 'utm_source',
          partner_name: 'utm_source',
          value: 'google',
          data_type: 'Short Text',
          source: 'Api',
        },
      ],
    });
    const xml = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(
      (await feed.get(`/${account.id}.xml?include_columns=transaction_id,custom_data`)).text,
    );
    const last = [xml.Transactions.Transaction].flat().at(-1);
    expect([last.custom_data.field].flat().map((f: any) => f.name)).toEqual(['utm_source']);
  });

  it("transaction_id= returns that row, call_record_id= the rows of that call; both: the row if it is the call's", async () => {
    const { account, feed } = await accountWithCalls(3);
    const callId = await callIdOf(account, 'c1');
    await account.api.patch(`/calls/${callId}`, { addNote: 'first' });
    await account.api.patch(`/calls/${callId}`, { payout: '0.01' });
    const all = (await feed.get(`/${account.id}.json`)).body;
    expect(all).toHaveLength(5);
    const call = all.filter((r: any) => r.complete_call_id === all[1].complete_call_id);
    expect(call).toHaveLength(3);
    const ids = (path: string) =>
      feed.get(`/${account.id}.json?${path}`).then((r) => {
        expect(r.status, r.text).toBe(200);
        return r.body.map((x: any) => x.transaction_id);
      });

    expect(await ids(`transaction_id=${all[2].transaction_id}`)).toEqual([all[2].transaction_id]);
    expect(await ids(`transaction_id=${Number(all[2].transaction_id)}`)).toEqual([all[2].transaction_id]);
    expect(await ids('transaction_id=999999999')).toEqual([]);
    const record = call[0].complete_call_id;
    expect(await ids(`call_record_id=${record}`)).toEqual(call.map((r: any) => r.transaction_id));
    // The GUID with dashes, any case, is the same call.
    const dashed =
      `${record.slice(0, 8)}-${record.slice(8, 12)}-${record.slice(12, 16)}-${record.slice(16, 20)}-${record.slice(20)}`.toLowerCase();
    expect(await ids(`call_record_id=${dashed}`)).toEqual(call.map((r: any) => r.transaction_id));
    expect(await ids(`call_record_id=${'F'.repeat(32)}`)).toEqual([]);
    expect(await ids(`call_record_id=${record}&transaction_id=${call[1].transaction_id}`)).toEqual([
      call[1].transaction_id,
    ]);
    expect(await ids(`call_record_id=${record}&transaction_id=${all[0].transaction_id}`)).toEqual([]);
    // The other parameters still apply: paging and limit within the call.
    expect(
      await ids(`call_record_id=${record}&limit=1&start_after_transaction_id=${call[0].transaction_id}`),
    ).toEqual([call[1].transaction_id]);
    // CSV and XML too; an empty answer is a header (CSV) or an empty list.
    const csv = parse<Record<string, string>>(
      (await feed.get(`/${account.id}.csv?call_record_id=${record}`)).text,
      { columns: true },
    );
    expect(csv.map((r) => r.transaction_id)).toEqual(call.map((r: any) => r.transaction_id));
    expect((await feed.get(`/${account.id}.csv?transaction_id=999999999`)).text.split('\n')[0]).toMatch(
      /^transaction_id,/,
    );
    // Another account's call is not found in this feed.
    const other = await accountWithCalls(1);
    const theirs = (await other.feed.get(`/${other.account.id}.json`)).body[0];
    expect(await ids(`call_record_id=${theirs.complete_call_id}`)).toEqual([]);
    expect(await ids(`transaction_id=${theirs.transaction_id}`)).toEqual([]);

    for (const [query, field] of [
      ['transaction_id=abc', 'transaction_id'],
      ['transaction_id=-1', 'transaction_id'],
      ['call_record_id=xyz', 'call_record_id'],
      [`call_record_id=${'A'.repeat(33)}`, 'call_record_id'],
      ['call_record_id=a&call_record_id=b', 'call_record_id'],
    ]) {
      const res = await feed.get(`/${account.id}.json?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error, query).toContain(field);
    }
  });
});

describe('the ordering guarantee', () => {
  it('a poller following the documented loop gets every row exactly once while 8 writers add calls and corrections', async () => {
    const account = await h.account();
    const feed = feedOf(account);
    const postgres = testDbKind() === 'postgres';
    const WRITERS = 8;
    // PostgreSQL: 8 x 25 x 250 = 50,000 calls (plus the corrections); PGlite (one connection): 4,000.
    const BATCHES = postgres ? 25 : 5;
    const BATCH = postgres ? 250 : 100;
    let writing = true;
    const corrected: number[] = [];

    // The poller: the documented loop, run all the time the writers write.
    const seen = new Map<string, number>();
    let after = '';
    let polls = 0;
    let pollsStarted = 0;
    let pollsWhileWriting = 0;
    let rowsWhileWriting = 0;
    let pollerFailed: Error | undefined;
    const wake: (() => void)[] = [];
    const poll = async () => {
      pollsStarted++;
      const during = writing;
      try {
        const res = await feed.get(
          `/${account.id}.json?limit=4000&include_columns=transaction_id,duration&start_after_transaction_id=${after}`,
        );
        expect(res.status, res.text).toBe(200);
        for (const r of res.body) seen.set(r.transaction_id, (seen.get(r.transaction_id) ?? 0) + 1);
        if (res.body.length > 0) after = res.body.at(-1).transaction_id;
        if (during && writing) {
          pollsWhileWriting++;
          rowsWhileWriting += res.body.length;
        }
        return res.body.length;
      } finally {
        polls++;
        for (const w of wake.splice(0)) w();
      }
    };
    /** Resolves once a poll that started after this call has finished (or the poller has failed). */
    const nextPoll = async () => {
      const mark = pollsStarted;
      while (polls <= mark && pollerFailed === undefined)
        await new Promise<void>((resolve) => wake.push(resolve));
    };
    const poller = (async () => {
      try {
        while (writing) await poll();
      } catch (error) {
        pollerFailed = error instanceof Error ? error : new Error(String(error));
        for (const w of wake.splice(0)) w();
      }
    })();

    // Each writer lets at least one poll start after each of its batches commits before it writes the next,
    // so polls are interleaved with the writes whatever the machine's speed; the 8 writers still overlap
    // each other (and the polls) freely.
    const writer = async (w: number) => {
      for (let b = 0; b < BATCHES; b++) {
        const calls = Array.from({ length: BATCH }, (_, i) =>
          cdr(
            `w${w}-${b}-${i}`,
            `+1444${w}${String(b * BATCH + i).padStart(6, '0')}`,
            '+15550000000',
            '2024-05-01T12:00:00Z',
            30 + i,
          ),
        );
        const summary = await ingestCallBatch(h.ctx, account.id, calls);
        expect(summary.inserted).toBe(BATCH);
        // Now and then a correction of a call written earlier, concurrently with the others' inserts.
        const some = await h.ctx.db
          .selectFrom('calls')
          .select('id')
          .where('account_id', '=', account.id)
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst();
        if (some && b % 2 === 0) {
          await updateCallForFeed(h.ctx, account.id, some.id, { addNote: `w${w} b${b}` });
          corrected.push(some.id);
        }
        await nextPoll();
      }
    };
    try {
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    } finally {
      writing = false;
      await poller;
    }
    if (pollerFailed !== undefined) throw pollerFailed;
    // The documented loop, once the writers are done: until a page is shorter than the limit.
    while ((await poll()) === 4000);

    const stored = await h.ctx.db
      .selectFrom('call_transactions')
      .select('transaction_id')
      .where('account_id', '=', account.id)
      .execute();
    const total = WRITERS * BATCHES * BATCH + corrected.length;
    expect(stored).toHaveLength(total);
    if (postgres) expect(total).toBeGreaterThanOrEqual(50_000);
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    const missed = stored.filter((r) => !seen.has(String(r.transaction_id).padStart(16, '0'))).length;
    expect({ missed, duplicates, seen: seen.size }).toEqual({ missed: 0, duplicates: 0, seen: total });
    // The poller really ran alongside the writers and read rows as they came.
    expect(pollsWhileWriting).toBeGreaterThanOrEqual(BATCHES);
    expect(rowsWhileWriting).toBeGreaterThan(0);
  }, 300_000);
});
