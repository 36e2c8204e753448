// Taking calls in through POST /calls: every call priced on arrival (or kept with the reason it cannot be),
// stored once by call_id (resent, repeated in a batch, or sent by two requests at once), bad elements of a
// batch refused with their position and reason and listed at GET /calls/rejected while the good ones go
// in; calls on numbers no feature has priced once a feature gets the number; rate cards chosen feature
// first, then customer, then the account default. Full bodies first, then the database.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { importCallsFile } from '../../src/calls/import-file.ts';
import { CallIngester } from '../../src/calls/ingest.ts';
import { expectError, getAll } from '../helpers/billing.ts';
import {
  type CallRecord,
  cdr,
  dbCallCount,
  dbCalls,
  getOk,
  loadRates,
  makeRateCard,
  pricing,
  sendCalls,
  summary,
} from '../helpers/call-billing.ts';
import { makeCustomer, makeFeature, type TestAccount, useHarness } from '../helpers/harness.ts';

const NOW = '2026-03-10T12:00:00.000Z';
const LINE = '441632960001';

// The standard card, in force from 1 January 2026:
//   44  UK         0.012 a minute, 60/60, carrier cost 0.004
//   447 UK mobile  0.10 a minute, 30/6, connection 0.02, minimum 0.05, carrier cost 0.05
const STANDARD = [
  { prefix: '44', destination: 'UK', ratePerMinute: '0.012', costPerMinute: '0.004' },
  {
    prefix: '447',
    destination: 'UK mobile',
    ratePerMinute: '0.10',
    connectionFee: '0.02',
    minimumCharge: '0.05',
    initialIncrementS: 30,
    subsequentIncrementS: 6,
    costPerMinute: '0.05',
  },
];

describe('POST /calls', () => {
  const h = useHarness();

  async function setup() {
    h.setNow(new Date(NOW));
    const account = await h.account();
    const card = await makeRateCard(account.api, 'Standard', true);
    await loadRates(account.api, card.id, '2026-01-01', STANDARD);
    const customer = await makeCustomer(account.api);
    const feature = await makeFeature(account.api, customer.id, { name: 'Main line', phoneNumber: LINE });
    return { ...account, card, customer, feature };
  }

  it('prices each call on arrival and answers with a summary', async () => {
    const { api, id: accountId, customer, feature } = await setup();
    const res = await api.post('/calls', [
      // Monday 2 March, 10:00 GMT (peak). 61 s at 60/60 bill 120 s: 0.012 x 2 = 0.024; cost 0.004 x 61/60 = 0.004067.
      cdr('c1', LINE, '442079460000', '2026-03-02T10:00:00Z', 61, { carrier: 'BT Wholesale' }),
      // 37 s at 30/6 bill 42 s: 0.02 + 0.10 x 42/60 = 0.09; cost 0.05 x 37/60 = 0.030833.
      cdr('c2', LINE, '447700900123', '2026-03-02T11:00:00Z', 37),
      // Not answered: stored, nothing to charge.
      cdr('c3', LINE, '447700900123', '2026-03-02T12:00:00Z', 0, { status: 'no-answer' }),
      // A number no feature has.
      cdr('c4', '441632960099', '442079460000', '2026-03-02T13:00:00Z', 30),
      // Inbound from a mobile to the line, Monday 18:30 (off-peak): rated by the number it came from.
      // 25 s at 30/6 bill 30 s: 0.02 + 0.10 x 30/60 = 0.07; cost 0.05 x 25/60 = 0.020833.
      cdr('c5', '447700900555', LINE, '2026-03-02T18:30:00Z', 25, {
        direction: 'inbound',
        recording_url: 'https://rec.example.com/c5.mp3',
        confidence_score: '0.91',
        voice_agent_id: 'agent_7',
      }),
    ]);
    expect(res.status).toBe(200);
    // 0.024 + 0.09 + 0.07 = 0.184
    expect(res.body).toStrictEqual(
      summary({ received: 5, inserted: 5, rated: 3, free: 1, unallocated: 1, chargeTotal: '0.184000' }),
    );

    const calls = await getAll(api, '/calls');
    expect(calls).toHaveLength(5);
    expect(calls[0]).toStrictEqual({
      id: expect.stringMatching(/^\d+$/),
      callID: 'c1',
      completeCallID: expect.stringMatching(/^[0-9A-F]{32}$/),
      from: LINE,
      to: '442079460000',
      startTime: '2026-03-02T10:00:00.000Z',
      durationS: 61,
      status: 'completed',
      direction: 'outbound',
      carrier: 'BT Wholesale',
      customerID: customer.id,
      featureID: feature.id,
      ratingStatus: 'rated',
      ratingError: null,
      rateID: expect.stringMatching(/^\d+$/),
      destination: 'UK',
      band: 'peak',
      billableS: 120,
      charge: '0.024000',
      cost: '0.004067',
      billedCharge: null,
      invoiceID: null,
      recordingURL: null,
      transcriptionURL: null,
      confidenceScore: null,
      voiceAgentID: null,
      created: expect.any(String),
    });
    expect(calls.map(pricing)).toEqual([
      {
        ratingStatus: 'rated',
        ratingError: null,
        destination: 'UK',
        band: 'peak',
        billableS: 120,
        charge: '0.024000',
        cost: '0.004067',
        customerID: customer.id,
        featureID: feature.id,
      },
      {
        ratingStatus: 'rated',
        ratingError: null,
        destination: 'UK mobile',
        band: 'peak',
        billableS: 42,
        charge: '0.090000',
        cost: '0.030833',
        customerID: customer.id,
        featureID: feature.id,
      },
      {
        ratingStatus: 'free',
        ratingError: null,
        destination: null,
        band: null,
        billableS: null,
        charge: '0.000000',
        cost: null,
        customerID: customer.id,
        featureID: feature.id,
      },
      {
        ratingStatus: 'unallocated',
        ratingError: null,
        destination: null,
        band: null,
        billableS: null,
        charge: null,
        cost: null,
        customerID: null,
        featureID: null,
      },
      {
        ratingStatus: 'rated',
        ratingError: null,
        destination: 'UK mobile',
        band: 'offpeak',
        billableS: 30,
        charge: '0.070000',
        cost: '0.020833',
        customerID: customer.id,
        featureID: feature.id,
      },
    ]);
    expect(calls[2].status).toBe('missed');
    expect(calls[4]).toMatchObject({
      direction: 'inbound',
      from: '447700900555',
      to: LINE,
      recordingURL: 'https://rec.example.com/c5.mp3',
      confidenceScore: '0.91',
      voiceAgentID: 'agent_7',
    });
    expect(await getOk(api, `/calls/${calls[1].id}`)).toStrictEqual(calls[1]);

    // The rate that priced each call is kept with it.
    const rates = await getAll(api, `/rateCards/${(await getAll(api, '/rateCards'))[0].id}/rates`);
    expect(calls[0].rateID).toBe(rates.find((r) => r.prefix === '44').id);
    expect(calls[1].rateID).toBe(rates.find((r) => r.prefix === '447').id);

    const stored = await dbCalls(h, accountId);
    expect(stored.get('c1')).toMatchObject({
      rated_at: new Date(NOW),
      invoice_id: null,
      billed_charge: null,
    });
    expect(stored.get('c4')).toMatchObject({ rated_at: null, rating_status: 'unallocated' });
  });

  it('lists calls by rating status, customer, feature and account dates', async () => {
    const { api, customer, feature } = await setup();
    await sendCalls(api, [
      cdr('a', LINE, '442079460000', '2026-02-28T23:30:00Z', 60), // 28 February in London
      cdr('b', LINE, '442079460000', '2026-03-01T00:00:00Z', 60), // 1 March
      cdr('c', '441632960099', '442079460000', '2026-03-01T10:00:00Z', 60),
      cdr('d', LINE, '442079460000', '2026-03-01T10:00:00Z', 60, { status: 'busy' }),
    ]);
    const ids = async (query: string) => (await getAll(api, `/calls${query}`)).map((c) => c.callID);
    expect(await ids('?ratingStatus=rated')).toEqual(['a', 'b']);
    expect(await ids('?ratingStatus=unallocated')).toEqual(['c']);
    expect(await ids('?ratingStatus=free')).toEqual(['d']);
    expect(await ids(`?customerID=${customer.id}`)).toEqual(['a', 'b', 'd']);
    expect(await ids(`?featureID=${feature.id}&ratingStatus=rated`)).toEqual(['a', 'b']);
    expect(await ids('?from=2026-03-01')).toEqual(['b', 'c', 'd']);
    expect(await ids('?to=2026-02-28')).toEqual(['a']);
    expect(await ids('?limit=1')).toEqual(['a', 'b', 'c', 'd']); // followed page by page
    expectError(await api.get('/calls?ratingStatus=priced'), 400, 400001, /ratingStatus/);
    expectError(await api.get('/calls?from=2026-02-30'), 400, 400001, /from/);
    expectError(await api.get('/calls/999999'), 404, 404001, 'Call 999999 not found');
    expectError(await api.get('/calls/x1'), 404, 404001);
  });

  it('stores a call once: resent, repeated in a batch, or in a later batch of the same request', async () => {
    const { api, id: accountId } = await setup();
    const first = await sendCalls(api, [
      cdr('d1', LINE, '442079460000', '2026-03-02T10:00:00Z', 60),
      cdr('d2', LINE, '442079460000', '2026-03-02T10:05:00Z', 60),
    ]);
    expect(first).toStrictEqual(summary({ received: 2, inserted: 2, rated: 2, chargeTotal: '0.024000' }));

    // Resent with a changed duration, and one new call twice: the stored call wins, the new one goes in once.
    const again = await sendCalls(api, [
      cdr('d1', LINE, '442079460000', '2026-03-02T10:00:00Z', 600),
      cdr('d3', LINE, '442079460000', '2026-03-02T10:10:00Z', 60),
      cdr('d3', LINE, '442079460000', '2026-03-02T10:10:00Z', 60),
      cdr('d2', LINE, '442079460000', '2026-03-02T10:05:00Z', 60),
    ]);
    expect(again).toStrictEqual(
      summary({ received: 4, inserted: 1, duplicates: 3, rated: 1, chargeTotal: '0.012000' }),
    );
    const calls = await dbCalls(h, accountId);
    expect([...calls.keys()]).toEqual(['d1', 'd2', 'd3']);
    expect(calls.get('d1')).toMatchObject({ duration_s: 60, charge: '0.012000' });

    // call_id is exact: another case or spacing inside is another call; spaces around are trimmed.
    const variants = await sendCalls(api, [
      cdr('D1', LINE, '442079460000', '2026-03-02T10:00:00Z', 60),
      cdr(' d1 ', LINE, '442079460000', '2026-03-02T10:00:00Z', 60),
    ]);
    expect(variants).toMatchObject({ inserted: 1, duplicates: 1 });
    expect(await dbCallCount(h, accountId)).toBe(4);
  });

  it('takes the largest batch (10,000 calls, written in two parts) and finds repeats across the parts', async () => {
    const { api, id: accountId } = await setup();
    const calls: CallRecord[] = [];
    for (let i = 0; i < 10_000; i++) {
      const minute = String(i % 60).padStart(2, '0');
      calls.push(
        cdr(`bulk-${i}`, LINE, '442079460000', `2026-03-02T1${Math.floor(i / 60) % 10}:${minute}:00Z`, 60),
      );
    }
    // Calls 5003 and 9999 repeat calls 3 and 4999, which went in with the first part (5,000 a part).
    calls[5003] = { ...calls[3]! };
    calls[9999] = { ...calls[4999]! };
    const res = await sendCalls(api, calls);
    // 9,998 new calls at 0.012 = 119.976
    expect(res).toStrictEqual(
      summary({ received: 10_000, inserted: 9_998, duplicates: 2, rated: 9_998, chargeTotal: '119.976000' }),
    );
    expect(await dbCallCount(h, accountId)).toBe(9_998);

    const tooMany = await api.post('/calls', [
      ...calls,
      cdr('one-more', LINE, '442079460000', '2026-03-02T10:00:00Z', 60),
    ]);
    expectError(tooMany, 400, 400001, /10000/);
    expect(await dbCallCount(h, accountId)).toBe(9_998);
  });

  it('stores a call once when two requests send it at the same time', async () => {
    const { api, id: accountId } = await setup();
    const batch = Array.from({ length: 300 }, (_, i) =>
      cdr(`race-${i}`, LINE, '442079460000', '2026-03-02T10:00:00Z', 60),
    );
    const results = await Promise.all([
      sendCalls(api, batch),
      sendCalls(api, [...batch].reverse()),
      sendCalls(api, batch.slice(100, 200)),
    ]);
    expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(300);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(400);
    expect(results.reduce((n, r) => n + r.rated, 0)).toBe(300);
    expect(await dbCallCount(h, accountId)).toBe(300);
  });

  it('stores every call once when requests send the same calls in opposite orders (writers that deadlock retry)', async () => {
    const { api, id: accountId } = await setup();
    let total = 0;
    for (let round = 0; round < 4; round++) {
      const batch = Array.from({ length: 2000 }, (_, i) =>
        cdr(`order-${round}-${i}`, LINE, '442079460000', '2026-03-02T10:00:00Z', 60),
      );
      const results = await Promise.all([sendCalls(api, batch), sendCalls(api, [...batch].reverse())]);
      expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(2000);
      expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(2000);
      total += 2000;
    }
    expect(await dbCallCount(h, accountId)).toBe(total);
    // Each call has exactly one row in the feed.
    const feedRows = await sql<{
      n: string;
    }>`select count(*) as n from call_transactions where account_id = ${accountId}`.execute(h.ctx.db);
    expect(Number(feedRows.rows[0]!.n)).toBe(total);
  });

  it('takes the slow path when another writer stored the same calls between its check and its COPY', async () => {
    const { id: accountId } = await setup();
    // Two ingesters (two requests, or a file and a request) check for stored calls before either writes:
    // the second COPY meets the first one's rows and falls back to inserting what is still new.
    const a = await CallIngester.open(h.ctx, accountId, 'first');
    const b = await CallIngester.open(h.ctx, accountId, 'second');
    for (let i = 0; i < 50; i++) {
      await a.add(cdr(`slow-${i}`, LINE, '442079460000', '2026-03-02T10:00:00Z', 60), i + 1, () => '');
      // b has every other call of a's, and 10 of its own.
      if (i % 2 === 0)
        await b.add(cdr(`slow-${i}`, LINE, '442079460000', '2026-03-02T10:00:00Z', 60), i + 1, () => '');
    }
    for (let i = 0; i < 10; i++)
      await b.add(cdr(`own-${i}`, LINE, '442079460000', '2026-03-02T10:00:00Z', 60), 100 + i, () => '');
    const [first, second] = await Promise.all([a.finish(), b.finish()]);
    expect(first.inserted + second.inserted).toBe(60);
    expect(first.duplicates + second.duplicates).toBe(25);
    expect(first.rated + second.rated).toBe(60);
    expect(await dbCallCount(h, accountId)).toBe(60);
    // Either may win the race. The winner's COPY went in whole; the loser took the slow path and found
    // the 25 calls they share stored: b keeps its own 10 (at 0.012 each), a the 25 that b did not have.
    const [winner, loser, loserNew] = first.duplicates === 0 ? [first, second, 10] : [second, first, 25];
    expect(winner.duplicates).toBe(0);
    expect(loser).toMatchObject({
      inserted: loserNew,
      duplicates: 25,
      chargeTotal: loserNew === 10 ? '0.120000' : '0.300000',
    });
  });

  it('refuses the bad elements of a batch with their position and reason, keeps them, and stores the good ones', async () => {
    const { api, id: accountId } = await setup();
    const good1 = cdr('m1', LINE, '442079460000', '2026-03-02T10:00:00Z', 60);
    const badStatus = cdr('m2', LINE, '442079460000', '2026-03-02T10:00:00Z', 60, { status: 'ringing' });
    const unknownField = {
      ...cdr('m4', LINE, '442079460000', '2026-03-02T10:00:00Z', 60),
      callee: 'Bob',
      notes: 'x',
    };
    const good5 = cdr('m5', LINE, '447700900123', '2026-03-02T10:00:00Z', 31);
    const objectId = { ...cdr('m6', LINE, '442079460000', '2026-03-02T10:00:00Z', 60), call_id: { id: 6 } };
    const booleanCarrier = { ...cdr('m7', LINE, '442079460000', '2026-03-02T10:00:00Z', 60), carrier: true };
    const badTime = cdr('m9', LINE, '442079460000', '2026-03-02', 60);
    const badDuration = cdr('m10', LINE, '442079460000', '2026-03-02T10:00:00Z', 60.5);
    const batch = [
      good1,
      badStatus,
      42,
      unknownField,
      good5,
      objectId,
      null,
      booleanCarrier,
      badTime,
      badDuration,
      [],
      'c1',
      good1,
    ];
    const res = await api.post('/calls', batch);
    expect(res.status).toBe(200);
    const rejections = [
      { line: 2, reason: 'status: "ringing" must be completed, missed, busy or failed' },
      { line: 3, reason: 'not a call object' },
      { line: 4, reason: 'unknown fields callee, notes' },
      { line: 6, reason: 'call_id: must be a string or a number, not {"id":6}' },
      { line: 7, reason: 'not a call object' },
      { line: 8, reason: 'carrier: must be a string or a number, not true' },
      {
        line: 9,
        reason: 'start_time: "2026-03-02" is not an ISO 8601 date-time such as 2026-01-15T10:30:00Z',
      },
      { line: 10, reason: 'duration_s: "60.5" is not a whole number of seconds' },
      { line: 11, reason: 'not a call object' },
      { line: 12, reason: 'not a call object' },
    ];
    // m5: 31 s at 30/6 bill 36 s: 0.02 + 0.10 x 36/60 = 0.08; with m1's 0.012: 0.092.
    expect(res.body).toStrictEqual(
      summary({
        received: 13,
        inserted: 2,
        duplicates: 1,
        rejected: 10,
        rated: 2,
        chargeTotal: '0.092000',
        rejections,
      }),
    );
    expect([...(await dbCalls(h, accountId)).keys()]).toEqual(['m1', 'm5']);

    const listed = await getAll(api, '/calls/rejected');
    expect(listed).toHaveLength(10);
    expect(listed[0]).toStrictEqual({
      id: expect.stringMatching(/^\d+$/),
      source: 'api',
      line: 2,
      raw: JSON.stringify(badStatus),
      reason: rejections[0]!.reason,
      created: expect.any(String),
    });
    expect(listed.map((r) => [r.line, r.raw, r.reason])).toEqual([
      [2, JSON.stringify(badStatus), rejections[0]!.reason],
      [3, '42', 'not a call object'],
      [4, JSON.stringify(unknownField), 'unknown fields callee, notes'],
      [6, JSON.stringify(objectId), rejections[3]!.reason],
      [7, 'null', 'not a call object'],
      [8, JSON.stringify(booleanCarrier), rejections[5]!.reason],
      [9, JSON.stringify(badTime), rejections[6]!.reason],
      [10, JSON.stringify(badDuration), rejections[7]!.reason],
      [11, '[]', 'not a call object'],
      [12, '"c1"', 'not a call object'],
    ]);
    expect(await getAll(api, '/calls/rejected?source=api')).toHaveLength(10);
    expect(await getAll(api, '/calls/rejected?source=calls.csv')).toEqual([]);

    // Fixed and sent again, the refused row is then forgotten.
    await sendCalls(api, [{ ...badStatus, status: 'completed' }]);
    const forget = await api.delete(`/calls/rejected/${listed[0].id}`);
    expect(forget.status).toBe(200);
    expect(forget.body).toStrictEqual({ success: true, message: `Rejected call ${listed[0].id} deleted` });
    expectError(
      await api.delete(`/calls/rejected/${listed[0].id}`),
      404,
      404001,
      `Rejected call ${listed[0].id} not found`,
    );
    expect(await getAll(api, '/calls/rejected')).toHaveLength(9);
    expect([...(await dbCalls(h, accountId)).keys()]).toEqual(['m1', 'm5', 'm2']);
  });

  it('refuses a body that is not a batch (400), an empty batch is fine, and sending needs a level 2 key', async () => {
    const account = await setup();
    const { api } = account;
    expectError(
      await api.post('/calls', cdr('x', LINE, '442079460000', '2026-03-02T10:00:00Z', 60)),
      400,
      400001,
    );
    expectError(await api.post('/calls', '{"calls": ['), 400, 400002);
    expectError(await api.post('/calls', 'call_id,from\n1,2', { 'content-type': 'text/csv' }), 400, 400001);
    expect((await api.post('/calls', [])).body).toStrictEqual(summary({}));
    const level1 = await account.withLevel(1);
    expectError(
      await level1.post('/calls', [cdr('x', LINE, '442079460000', '2026-03-02T10:00:00Z', 60)]),
      403,
      403001,
    );
    expectError(await level1.request('DELETE', '/calls/rejected/1'), 403, 403001);
    expect((await level1.get('/calls')).status).toBe(200);
    expect(await dbCallCount(h, account.id)).toBe(0);
  });

  it('keeps a call whose number no feature has, and prices it when a feature gets the number', async () => {
    const { api, id: accountId, customer } = await setup();
    await sendCalls(api, [
      cdr('u1', '441632960077', '442079460000', '2026-03-02T10:00:00Z', 61),
      cdr('u2', '447700900999', '441632960088', '2026-03-03T10:00:00Z', 31, { direction: 'inbound' }),
      cdr('u3', '441632960077', '442079460000', '2026-03-04T10:00:00Z', 10, { status: 'failed' }),
    ]);
    expect((await getAll(api, '/calls?ratingStatus=unallocated')).map((c) => c.callID)).toEqual([
      'u1',
      'u2',
      'u3',
    ]);

    // A new feature with the outbound number.
    const sales = await makeFeature(api, customer.id, { name: 'Sales', phoneNumber: '441632960077' });
    let calls = await dbCalls(h, accountId);
    expect(calls.get('u1')).toMatchObject({
      rating_status: 'rated',
      feature_id: Number(sales.id),
      customer_id: Number(customer.id),
      charge: '0.024000',
    });
    expect(calls.get('u3')).toMatchObject({
      rating_status: 'free',
      feature_id: Number(sales.id),
      charge: '0.000000',
    });
    expect(calls.get('u2')).toMatchObject({ rating_status: 'unallocated', feature_id: null });

    // An existing feature given the inbound number.
    const support = await makeFeature(api, customer.id, { name: 'Support' });
    expect((await api.patch(`/features/${support.id}`, { phoneNumber: '44 1632 960088' })).status).toBe(200);
    calls = await dbCalls(h, accountId);
    // Inbound from a mobile: 31 s at 30/6 bill 36 s: 0.02 + 0.10 x 36/60 = 0.08.
    expect(calls.get('u2')).toMatchObject({
      rating_status: 'rated',
      feature_id: Number(support.id),
      destination: 'UK mobile',
      charge: '0.080000',
    });
    expect(await getAll(api, '/calls?ratingStatus=unallocated')).toEqual([]);
  });

  it('matches a number with or without its leading "+", on calls and on features', async () => {
    const { api, id: accountId, customer, feature } = await setup();
    // LINE is stored as the feature's number; the switch writes it with a "+", or the feature has one.
    const plus = await makeFeature(api, customer.id, { name: 'Plus line', phoneNumber: '+44 1632 960055' });
    await sendCalls(api, [
      cdr('p1', `+${LINE}`, '442079460000', '2026-03-02T10:00:00Z', 61),
      cdr('p2', '441632960055', '442079460000', '2026-03-02T10:00:00Z', 61),
      cdr('p3', '447700900999', '441632960066', '2026-03-03T10:00:00Z', 31, { direction: 'inbound' }),
    ]);
    let calls = await dbCalls(h, accountId);
    expect(calls.get('p1')).toMatchObject({
      rating_status: 'rated',
      feature_id: Number(feature.id),
      charge: '0.024000',
    });
    expect(calls.get('p2')).toMatchObject({
      rating_status: 'rated',
      feature_id: Number(plus.id),
      charge: '0.024000',
    });
    expect(calls.get('p3')).toMatchObject({ rating_status: 'unallocated', feature_id: null });
    // A feature given the number with a "+" takes the call that waited for it without one.
    const support = await makeFeature(api, customer.id, { name: 'Support', phoneNumber: '+441632960066' });
    calls = await dbCalls(h, accountId);
    expect(calls.get('p3')).toMatchObject({ rating_status: 'rated', feature_id: Number(support.id) });
    // The same number spelt the other way is the same number: in use.
    const clash = await api.post(`/customers/${customer.id}/features`, {
      name: 'Again',
      phoneNumber: '441632960066',
    });
    expect(clash.status, clash.text).toBe(409);
    expect(clash.body.error_code).toBe(409005);
  });

  it("gives a call to the feature that had the number on the call's local date", async () => {
    const { api, id: accountId } = await setup();
    const first = await makeCustomer(api, { name: 'First Ltd' });
    const second = await makeCustomer(api, { name: 'Second Ltd' });
    const old = await makeFeature(api, first.id, {
      phoneNumber: '441632960050',
      startDate: '2026-01-01',
      endDate: '2026-02-28',
    });
    const moved = await makeFeature(api, second.id, { phoneNumber: '441632960050', startDate: '2026-03-01' });
    await sendCalls(api, [
      cdr('feb', '441632960050', '442079460000', '2026-02-28T23:59:59Z', 60),
      cdr('mar', '441632960050', '442079460000', '2026-03-01T00:00:00Z', 60),
      cdr('before', '441632960050', '442079460000', '2025-12-31T23:59:59Z', 60),
    ]);
    const calls = await dbCalls(h, accountId);
    expect(calls.get('feb')).toMatchObject({
      customer_id: Number(first.id),
      feature_id: Number(old.id),
      rating_status: 'rated',
    });
    expect(calls.get('mar')).toMatchObject({
      customer_id: Number(second.id),
      feature_id: Number(moved.id),
      rating_status: 'rated',
    });
    expect(calls.get('before')).toMatchObject({
      customer_id: null,
      feature_id: null,
      rating_status: 'unallocated',
    });
  });

  it("prices with the feature's rate card, else the customer's, else the account default", async () => {
    const { api, id: accountId } = await setup(); // default: UK at 0.012
    const retail = await makeRateCard(api, 'Retail');
    await loadRates(api, retail.id, '2026-01-01', [
      { prefix: '44', destination: 'UK retail', ratePerMinute: '0.02' },
    ]);
    const premium = await makeRateCard(api, 'Premium');
    await loadRates(api, premium.id, '2026-01-01', [
      { prefix: '44', destination: 'UK premium', ratePerMinute: '0.03' },
    ]);
    const withCard = await makeCustomer(api, { name: 'Retail Ltd', rateCardID: retail.id });
    await makeFeature(api, withCard.id, { phoneNumber: '441632960061' });
    await makeFeature(api, withCard.id, { phoneNumber: '441632960062', rateCardID: premium.id });
    const plain = await makeCustomer(api, { name: 'Plain Ltd' });
    await makeFeature(api, plain.id, { phoneNumber: '441632960063' });
    await sendCalls(api, [
      cdr('customer-card', '441632960061', '442079460000', '2026-03-02T10:00:00Z', 60),
      cdr('feature-card', '441632960062', '442079460000', '2026-03-02T10:00:00Z', 60),
      cdr('default-card', '441632960063', '442079460000', '2026-03-02T10:00:00Z', 60),
    ]);
    const calls = await dbCalls(h, accountId);
    expect(
      ['customer-card', 'feature-card', 'default-card'].map((id) => [
        calls.get(id)!.destination,
        calls.get(id)!.charge,
      ]),
    ).toEqual([
      ['UK retail', '0.020000'],
      ['UK premium', '0.030000'],
      ['UK', '0.012000'],
    ]);
  });

  it('keeps a call it cannot price with the reason, never at zero, and prices it when a rate card arrives', async () => {
    h.setNow(new Date(NOW));
    const { api } = await h.account(); // no rate card at all
    const customer = await makeCustomer(api);
    await makeFeature(api, customer.id, { phoneNumber: LINE });
    const res = await sendCalls(api, [
      cdr('n1', LINE, '442079460000', '2026-03-02T10:00:00Z', 60),
      cdr('n2', 'withheld', LINE, '2026-03-02T10:00:00Z', 60, { direction: 'inbound' }),
      cdr('n3', LINE, '442079460000', '2026-03-02T10:00:00Z', 60, { status: 'busy' }),
    ]);
    expect(res).toStrictEqual(
      summary({ received: 3, inserted: 3, free: 1, unrated: 2, unratedReasons: { no_rate_card: 2 } }),
    );
    const unrated = await getAll(api, '/calls?ratingStatus=unrated');
    expect(unrated.map((c) => [c.callID, c.from, c.ratingError, c.charge])).toEqual([
      [
        'n1',
        LINE,
        'no rate card applies: the account has no default rate card, and neither the feature nor the customer names one',
        null,
      ],
      [
        'n2',
        'anonymous',
        'no rate card applies: the account has no default rate card, and neither the feature nor the customer names one',
        null,
      ],
    ]);

    const card = await makeRateCard(api, 'Standard', true);
    const loaded = await loadRates(api, card.id, '2026-01-01', STANDARD);
    expect(loaded.waitingCallsRated).toBe(1);
    const after = await getAll(api, '/calls');
    expect(after.map((c) => [c.callID, c.ratingStatus, c.ratingError, c.charge])).toEqual([
      ['n1', 'rated', null, '0.012000'],
      // A withheld caller's number cannot be looked up on the card.
      ['n2', 'unrated', 'the number has no digits to rate', null],
      ['n3', 'free', null, '0.000000'],
    ]);
  });

  it('prices by time band in the account timezone', async () => {
    const { api, id: accountId, card } = await setup();
    await loadRates(api, card.id, '2026-01-01', [
      { prefix: '44', destination: 'UK', ratePerMinute: '0.012' },
      { prefix: '44', destination: 'UK peak', ratePerMinute: '0.05', band: 'peak' },
      { prefix: '44', destination: 'UK weekend', ratePerMinute: '0.001', band: 'weekend' },
    ]);
    await sendCalls(api, [
      cdr('sat-0030-bst', LINE, '442079460000', '2026-10-23T23:30:00Z', 60), // Saturday 00:30 BST
      cdr('fri-1759-bst', LINE, '442079460000', '2026-10-23T16:59:00Z', 60), // Friday 17:59 BST
      cdr('fri-1800-bst', LINE, '442079460000', '2026-10-23T17:00:00Z', 60), // Friday 18:00 BST
      cdr('mon-0800-gmt', LINE, '442079460000', '2026-10-26T08:00:00Z', 60), // Monday 08:00 GMT
      cdr('local-time', LINE, '442079460000', '2026-10-26 07:59:00', 60), // no offset: London time
    ]);
    const calls = await dbCalls(h, accountId);
    expect([...calls.values()].map((c) => [c.source_call_id, c.band, c.destination, c.charge])).toEqual([
      ['sat-0030-bst', 'weekend', 'UK weekend', '0.001000'],
      ['fri-1759-bst', 'peak', 'UK peak', '0.050000'],
      ['fri-1800-bst', 'offpeak', 'UK', '0.012000'],
      ['mon-0800-gmt', 'peak', 'UK peak', '0.050000'],
      ['local-time', 'offpeak', 'UK', '0.012000'],
    ]);
    expect(calls.get('local-time')!.start_time).toEqual(new Date('2026-10-26T07:59:00Z'));
  });
});

describe('a CDR file', () => {
  const h = useHarness();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ringbill-cdr-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function setup() {
    h.setNow(new Date(NOW));
    const account = await h.account();
    const card = await makeRateCard(account.api, 'Standard', true);
    await loadRates(account.api, card.id, '2026-01-01', STANDARD);
    const customer = await makeCustomer(account.api);
    await makeFeature(account.api, customer.id, { phoneNumber: LINE });
    return account;
  }

  async function file(name: string, lines: string[], ending = '\n'): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, lines.join(ending) + ending);
    return path;
  }

  const row = (id: string, extra = '') =>
    `${id},${LINE},442079460000,2026-03-02T10:00:00Z,60,completed${extra}`;
  const HEADER = 'call_id,from,to,start_time,duration_s,status';

  it('is read to the end past malformed lines, each refused with its line number', async () => {
    const { id: accountId } = await setup();
    // Line 4 has stray quotes; lines 6-7 hold one record with a quoted field over two lines; line 9 is blank.
    const path = await file('mixed.csv', [
      HEADER,
      row('g1'),
      row('g2'),
      `"g3"x,${LINE},442079460000,2026-03-02T10:00:00Z,6"0,completed`,
      row('g4'),
      `g5,${LINE},442079460000,2026-03-02T10:00:00Z,60,"comp`,
      'leted"',
      row('g6'),
      '',
      row('g7'),
    ]);
    const result = await importCallsFile(h.ctx, accountId, path);
    expect(result).toMatchObject({
      source: 'mixed.csv',
      received: 7,
      inserted: 5,
      rejected: 2,
      rated: 5,
      chargeTotal: '0.060000',
    });
    expect(result.rejections).toEqual([
      { line: 4, reason: 'duration_s: "6"0" is not a whole number of seconds' },
      { line: 7, reason: 'status: "comp\nleted" must be completed, missed, busy or failed' },
    ]);
    expect([...(await dbCalls(h, accountId)).keys()]).toEqual(['g1', 'g2', 'g4', 'g6', 'g7']);
    const rejected = await h.ctx.db
      .selectFrom('rejected_rows')
      .select(['line', 'raw', 'source'])
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute();
    expect(rejected).toEqual([
      { line: 4, raw: `"g3"x,${LINE},442079460000,2026-03-02T10:00:00Z,6"0,completed`, source: 'mixed.csv' },
      { line: 7, raw: `g5,${LINE},442079460000,2026-03-02T10:00:00Z,60,"comp\nleted"`, source: 'mixed.csv' },
    ]);

    // The same file again (a switch re-sending it): nothing new, and each bad line is still kept once.
    const again = await importCallsFile(h.ctx, accountId, path);
    expect(again).toMatchObject({ received: 7, inserted: 0, duplicates: 5, rejected: 2 });
    const after = await h.ctx.db
      .selectFrom('rejected_rows')
      .select(['line', 'raw', 'source'])
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute();
    expect(after).toEqual(rejected);
  });

  it('with a line longer than 64 KiB: the calls before it are stored, and the import stops saying where', async () => {
    const { id: accountId } = await setup();
    const lines = [HEADER, row('before-1'), row('before-2'), row('long', `${'x'.repeat(70 * 1024)}`)];
    for (let i = 0; i < 3000; i++) lines.push(row(`after-${i}`));
    const path = await file('long.csv', lines);
    await expect(importCallsFile(h.ctx, accountId, path)).rejects.toThrow(
      /^file: line 4 is longer than 65536 bytes .*the lines after it were not read; 2 new call\(s\) before it were stored/,
    );
    expect([...(await dbCalls(h, accountId)).keys()]).toEqual(['before-1', 'before-2']);
    // Fixed and imported again: the calls already stored are skipped, the rest go in.
    lines[3] = row('long');
    const fixed = await file('long.csv', lines);
    expect(await importCallsFile(h.ctx, accountId, fixed)).toMatchObject({
      received: 3003,
      inserted: 3001,
      duplicates: 2,
      rejected: 0,
    });
  });
});

describe("another account's calls", () => {
  const h = useHarness();

  it('are a 404, never listed, and its numbers are not ours', async () => {
    h.setNow(new Date(NOW));
    const mine: TestAccount = await h.account();
    const theirs: TestAccount = await h.account();
    const theirCard = await makeRateCard(theirs.api, 'Theirs', true);
    await loadRates(theirs.api, theirCard.id, '2026-01-01', STANDARD);
    const theirCustomer = await makeCustomer(theirs.api);
    await makeFeature(theirs.api, theirCustomer.id, { phoneNumber: LINE });
    await sendCalls(theirs.api, [
      cdr('t1', LINE, '442079460000', '2026-03-02T10:00:00Z', 60),
      { call_id: 'bad' },
    ]);
    const [theirCall] = await getAll(theirs.api, '/calls');
    const [theirRejection] = await getAll(theirs.api, '/calls/rejected');

    const api = mine.api;
    expectError(await api.get(`/calls/${theirCall.id}`), 404, 404001, `Call ${theirCall.id} not found`);
    expectError(await api.delete(`/calls/rejected/${theirRejection.id}`), 404, 404001);
    expect(await getAll(api, '/calls')).toEqual([]);
    expect(await getAll(api, '/calls/rejected')).toEqual([]);
    expect(await getAll(api, `/calls?customerID=${theirCustomer.id}`)).toEqual([]);

    // The same call_id and number in my account: a call of mine, on a number none of my features has.
    const res = await sendCalls(api, [cdr('t1', LINE, '442079460000', '2026-03-02T10:00:00Z', 60)]);
    expect(res).toMatchObject({ inserted: 1, duplicates: 0, unallocated: 1 });
    expect(await dbCallCount(h, mine.id)).toBe(1);
    expect(await dbCallCount(h, theirs.id)).toBe(1);
    expect((await getAll(theirs.api, '/calls/rejected')).map((r) => r.id)).toEqual([theirRejection.id]);
  });
});
