// Calls straight from the switch, as files: POST /calls/files?format=… with what Asterisk, FreeSWITCH,
// Kamailio/OpenSIPS and CGRateS write (fixtures in test/fixtures/switch, each written from its project's
// source, see the README there), and the real Asterisk Master.csv sample imported exactly as it is. Full
// answers first, then the calls and refused lines the account now has; a second import changes nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { expectError, getAll } from '../helpers/billing.ts';
import { dbCallCount, loadRates, makeRateCard } from '../helpers/call-billing.ts';
import { type Api, makeCustomer, makeFeature, useHarness } from '../helpers/harness.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'switch');
const fixture = (path: string) => readFileSync(join(FIXTURES, path), 'utf8');

async function upload(api: Api, body: string, query: string, contentType = 'text/csv') {
  return api.request('POST', `/calls/files?${query}`, body, { 'content-type': contentType });
}

async function uploadOk(api: Api, body: string, query: string, contentType = 'text/csv') {
  const res = await upload(api, body, query, contentType);
  if (res.status !== 200) throw new Error(`POST /calls/files?${query}: ${res.status} ${res.text}`);
  return res.body;
}

/** What the account holds: calls, refused lines and feed rows. */
async function holdings(h: ReturnType<typeof useHarness>, accountId: number) {
  const count = async (table: 'calls' | 'rejected_rows' | 'call_transactions') =>
    Number(
      (
        await sql<{
          n: string;
        }>`select count(*) as n from ${sql.table(table)} where account_id = ${accountId}`.execute(h.ctx.db)
      ).rows[0]!.n,
    );
  return {
    calls: await count('calls'),
    refused: await count('rejected_rows'),
    feed: await count('call_transactions'),
  };
}

// UK rates: 44 at 0.012 a minute (60/60), 447 mobiles at 0.10 a minute (per second), 1 at 0.02 (60/60).
const UK = [
  { prefix: '44', destination: 'UK', ratePerMinute: '0.012' },
  {
    prefix: '447',
    destination: 'UK mobile',
    ratePerMinute: '0.10',
    initialIncrementS: 1,
    subsequentIncrementS: 1,
  },
  { prefix: '1', destination: 'USA', ratePerMinute: '0.02' },
  { prefix: '33', destination: 'France', ratePerMinute: '0.03' },
];

describe('POST /calls/files from a switch', () => {
  const h = useHarness();

  async function ukAccount() {
    h.setNow(new Date('2026-07-10T12:00:00Z'));
    const account = await h.account({ timezone: 'Europe/London' });
    const card = await makeRateCard(account.api, 'Standard', true);
    await loadRates(account.api, card.id, '2026-01-01', UK);
    const customer = await makeCustomer(account.api);
    const reception = await makeFeature(account.api, customer.id, {
      name: 'Reception',
      phoneNumber: '+44 113 496 0000',
    });
    const sales = await makeFeature(account.api, customer.id, {
      name: 'Sales',
      phoneNumber: '+44 113 496 0001',
    });
    return { ...account, reception, sales };
  }

  it('imports the real Asterisk sample as it is: every number-to-number answered call rated, every other row accounted for, a second import changes nothing', async () => {
    h.setNow(new Date('2026-07-10T12:00:00Z'));
    const account = await h.account({ timezone: 'UTC' });
    const { api } = account;
    const text = fixture('asterisk/master-anon.csv');
    const header = text.split('\n')[0]!.split(',');
    const rows = text
      .trim()
      .split('\n')
      .slice(1)
      .map(
        (line, i) =>
          ({
            ...Object.fromEntries(line.split(',').map((v, k) => [header[k]!, v])),
            fileLine: i + 2,
            text: line,
          }) as Record<string, string> & { fileLine: number; text: string },
      );
    // (the sample's own "line" column is the record's line in the file it came from; fileLine is its line here)
    expect(rows).toHaveLength(458);
    const isNumber = (v: string) => /^\d{5,}$/.test(v);
    const billable = rows.filter((r) => isNumber(r.src!) && isNumber(r.dst!) && r.disposition === 'ANSWERED');
    expect(billable).toHaveLength(42);
    // The PBXs' own numbers are the ones these calls reached: each is a line of a customer, priced by the
    // number that called it (inbound), per second at 0.06 a minute under every first digit.
    const customer = await makeCustomer(api);
    for (const did of new Set(billable.map((r) => r.dst!)))
      await makeFeature(api, customer.id, { name: `DID ${did}`, phoneNumber: did });
    const card = await makeRateCard(api, 'Everything', true);
    await loadRates(
      api,
      card.id,
      '2016-01-01',
      ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((p) => ({
        prefix: p,
        destination: `Zone ${p}`,
        ratePerMinute: '0.06',
        initialIncrementS: 1,
        subsequentIncrementS: 1,
      })),
    );

    const first = await uploadOk(api, text, 'format=auto&source=master-anon.csv');
    // Seven rows repeat an earlier row exactly (parallel dial legs of one channel that nobody answered).
    const seen = new Set<string>();
    const repeats = rows.filter((r) => {
      const key = r.text.split(',').slice(2).join(',');
      if (seen.has(key)) return true;
      seen.add(key);
      return false;
    });
    expect(repeats).toHaveLength(7);
    expect(repeats.every((r) => r.disposition === 'NO ANSWER')).toBe(true);
    const totalBillsec = billable.reduce((n, r) => n + Number(r.billsec), 0);
    expect(first).toMatchObject({
      source: 'master-anon.csv',
      format: 'asterisk',
      formatDetected: true,
      formatDetail: 'Asterisk CDRs with a header naming their fields',
      received: 458,
      duplicates: repeats.length,
      rated: 42,
      // per second at 0.06 a minute: 0.001 a second
      chargeTotal: (totalBillsec / 1000).toFixed(6),
      combined: 0,
    });
    expect(first.inserted + first.duplicates + first.rejected).toBe(458);

    // Every number-to-number answered call is stored and rated, with its own duration.
    const calls = await getAll(api, '/calls');
    expect(calls).toHaveLength(first.inserted);
    for (const row of billable) {
      const startTime = `${row.start!.replace(' ', 'T')}.000Z`;
      const call = calls.find(
        (c) =>
          c.from === row.src &&
          c.to === row.dst &&
          c.startTime === startTime &&
          c.durationS === Number(row.billsec) &&
          c.status === 'completed',
      );
      expect(call, `line ${row.fileLine}`).toBeDefined();
      expect(call).toMatchObject({
        ratingStatus: 'rated',
        direction: 'inbound',
        charge: (Number(row.billsec) / 1000).toFixed(6),
      });
      expect(call.callID.startsWith(`${row.uniqueid}#`)).toBe(true);
    }
    // Two answered records of one channel (mnv lines 23 and 26: the 0 s dial leg and the 17 s conversation) are two calls.
    const shared = calls.filter(
      (c) => c.callID.startsWith('host-1706407446.50#') || c.callID.startsWith('1706407446.50#'),
    );
    expect(
      shared
        .filter((c) => c.status === 'completed')
        .map((c) => c.durationS)
        .sort((a, b) => a - b),
    ).toEqual([0, 17]);

    // Every other row: a call stored (free, unallocated, unrated), a repeat, or refused with its line and reason.
    const refused = await getAll(api, '/calls/rejected?source=master-anon.csv');
    expect(refused).toHaveLength(first.rejected);
    for (const r of refused) {
      const row = rows.find((x) => x.fileLine === r.line)!;
      expect(r.raw).toBe(row.text);
      expect(r.reason).toMatch(/^not a call to bill: (from|to|no number was dialled)/);
      expect(isNumber(row.src!) && isNumber(row.dst!)).toBe(false);
    }
    expect(refused.find((r) => r.line === 14).reason).toBe(
      'not a call to bill: from "1000" is an internal extension (4 digits or fewer), not a phone number; to "s" is Asterisk\'s start extension (no number was dialled)',
    );
    expect(refused.find((r) => r.line === 10).reason).toBe(
      'not a call to bill: from "sipuser1" is a SIP user name, not a phone number',
    );
    const storedRows = rows.length - repeats.length - refused.length;
    expect(calls).toHaveLength(storedRows);
    const counted = { rated: 0, free: 0, unrated: 0, unallocated: 0, internal: 0 } as Record<string, number>;
    for (const c of calls) counted[c.ratingStatus] = (counted[c.ratingStatus] ?? 0) + 1;
    expect(counted).toEqual({
      rated: first.rated,
      free: first.free,
      unrated: first.unrated,
      unallocated: first.unallocated,
      internal: 0,
    });
    // Withheld callers (an empty src) reaching a customer's number cannot be priced by the caller's number.
    if (first.unrated > 0) expect(Object.keys(first.unratedReasons)).toEqual(['invalid_number']);

    const before = await holdings(h, account.id);
    const again = await uploadOk(api, text, 'format=asterisk&source=master-anon.csv');
    expect(again).toMatchObject({
      format: 'asterisk',
      formatDetected: false,
      received: 458,
      inserted: 0,
      duplicates: first.inserted + first.duplicates,
      rejected: first.rejected,
      rated: 0,
    });
    expect(await holdings(h, account.id)).toEqual(before);
    expect(await getAll(api, '/calls')).toEqual(calls);
  });

  it("reads Asterisk's Master.csv without a header in every cdr.conf layout, in the switch's time zone, with the number plan", async () => {
    const { api, reception, sales } = await ukAccount();
    const res = await uploadOk(
      api,
      fixture('asterisk/Master.csv'),
      'format=asterisk&country=GB&source=Master.csv',
    );
    expect(res).toMatchObject({
      format: 'asterisk',
      formatDetail: 'Asterisk cdr_csv Master.csv (18 columns: uniqueid, userfield), no header',
      received: 10,
      inserted: 8,
      rejected: 2,
      duplicates: 0,
    });
    expect(res.rejections).toEqual([
      {
        line: 4,
        reason:
          'not a call to bill: from "1001" is an internal extension (4 digits or fewer), not a phone number; to "1002" is an internal extension (4 digits or fewer), not a phone number',
      },
      {
        line: 5,
        reason: 'not a call to bill: to "s" is Asterisk\'s start extension (no number was dialled)',
      },
    ]);
    const calls = await getAll(api, '/calls');
    const brief = calls.map((c) => [
      c.callID.replace(/#[0-9a-f]{8}$/, '#…'),
      c.from,
      c.to,
      c.startTime,
      c.durationS,
      c.status,
      c.direction,
      c.ratingStatus,
      c.charge,
    ]);
    expect(brief).toEqual([
      // 10:00:00 BST is 09:00:00 UTC; 01134960000 in GB is +441134960000; 97 s to a mobile at 0.10 a minute per second: 0.161667
      [
        '1782896400.18#…',
        '+441134960000',
        '+447700900123',
        '2026-07-01T09:00:00.000Z',
        97,
        'completed',
        'outbound',
        'rated',
        '0.161667',
      ],
      // 00 + 1 202…: the international prefix; unanswered, free
      [
        '1782896700.20#…',
        '+441134960000',
        '+12025550100',
        '2026-07-01T09:05:00.000Z',
        0,
        'missed',
        'outbound',
        'free',
        '0.000000',
      ],
      [
        '1782896820.22#…',
        '+441134960000',
        '+442079460000',
        '2026-07-01T09:07:00.000Z',
        0,
        'busy',
        'outbound',
        'free',
        '0.000000',
      ],
      // 16 columns (no uniqueid): the channel name stands in; 30 s to London at 60/60: 0.012
      [
        'PJSIP/sales-0000001b#…',
        '+441134960001',
        '+442079460000',
        '2026-07-01T10:00:00.000Z',
        30,
        'completed',
        'outbound',
        'rated',
        '0.012000',
      ],
      // 21 columns: the linkedid of another channel goes first
      [
        '1782901790.28/1782901800.30#…',
        '+441134960001',
        '+447700900456',
        '2026-07-01T10:30:00.000Z',
        120,
        'completed',
        'outbound',
        'rated',
        '0.200000',
      ],
      // One channel, two records: the answered dial leg of 0 s and the conversation; inbound to Reception,
      // priced by the mobile that called.
      [
        '1782903600.32#…',
        '+447700900789',
        '+441134960000',
        '2026-07-01T11:00:00.000Z',
        0,
        'completed',
        'inbound',
        'rated',
        '0.000000',
      ],
      [
        '1782903600.32#…',
        '+447700900789',
        '+441134960000',
        '2026-07-01T11:00:06.000Z',
        180,
        'completed',
        'inbound',
        'rated',
        '0.300000',
      ],
      [
        '1782907200.34#…',
        '+441134960000',
        '+33144556677',
        '2026-07-01T12:00:00.000Z',
        0,
        'failed',
        'outbound',
        'free',
        '0.000000',
      ],
    ]);
    expect(calls.filter((c) => c.featureID === reception.id)).toHaveLength(6);
    expect(calls.filter((c) => c.featureID === sales.id)).toHaveLength(2);

    // The same file again, and the same records pushed one by one: nothing new.
    const before = await holdings(h, Number((await api.get('/account')).body.id));
    expect(
      await uploadOk(api, fixture('asterisk/Master.csv'), 'format=auto&country=GB&source=Master.csv'),
    ).toMatchObject({ inserted: 0, duplicates: 8, rejected: 2 });
    expect(await holdings(h, Number((await api.get('/account')).body.id))).toEqual(before);
  });

  it("reads cdr_custom's Master.csv mapping and its JSON lines", async () => {
    const { api } = await ukAccount();
    const csv = await uploadOk(api, fixture('asterisk/cdr_custom.csv'), 'format=auto&country=GB');
    expect(csv).toMatchObject({
      format: 'asterisk',
      formatDetail: "Asterisk cdr_custom's Master.csv mapping (19 columns), no header",
      inserted: 1,
      rated: 1,
      chargeTotal: '0.100000',
    });
    expect(csv.rejections).toEqual([
      { line: 2, reason: 'not a call to bill: to "*97" is a feature code, not a phone number' },
    ]);
    const json = await uploadOk(
      api,
      fixture('asterisk/cdr-custom.json'),
      'format=asterisk&country=GB',
      'application/x-ndjson',
    );
    expect(json).toMatchObject({
      format: 'asterisk',
      inserted: 1,
      rated: 1,
      chargeTotal: '0.200000',
      rejected: 1,
    });
    expect(json.rejections[0].reason).toBe(
      'not a call to bill: from "1001" is an internal extension (4 digits or fewer), not a phone number; to "t" is Asterisk\'s timeout extension (the caller dialled nothing in time)',
    );
  });

  it("reads FreeSWITCH's mod_cdr_csv and mod_json_cdr files; a B leg is refused, a long call that ended in MEDIA_TIMEOUT is answered", async () => {
    const { api } = await ukAccount();
    const csv = await uploadOk(
      api,
      fixture('freeswitch/Master.csv'),
      'format=freeswitch&timezone=Europe/London',
    );
    expect(csv).toMatchObject({
      format: 'freeswitch',
      formatDetail: "FreeSWITCH mod_cdr_csv's example template, no header",
      received: 7,
      inserted: 5,
      rated: 2,
      free: 3,
      rejected: 2,
    });
    expect(csv.rejections).toEqual([
      {
        line: 4,
        reason:
          'not a call to bill: from "1000" is an internal extension (4 digits or fewer), not a phone number; to "1001" is an internal extension (4 digits or fewer), not a phone number',
      },
      {
        line: 5,
        reason:
          'the B leg of call 3f9c2b1e-7a44-4d2b-9a41-1c0e5e7d2a01: the A leg\'s record is the call (set log-b-leg to false in json_cdr.conf, or legs to "a" in cdr_csv.conf)',
      },
    ]);
    const byId = new Map((await getAll(api, '/calls')).map((c) => [c.callID, c]));
    // 120 s and 1800 s to a mobile, per second at 0.10 a minute: 0.20 and 3.00
    expect(byId.get('3f9c2b1e-7a44-4d2b-9a41-1c0e5e7d2a01')).toMatchObject({
      status: 'completed',
      durationS: 120,
      charge: '0.200000',
      startTime: '2026-03-02T10:00:00.000Z',
    });
    expect(byId.get('3f9c2b1e-7a44-4d2b-9a41-1c0e5e7d2a07')).toMatchObject({
      status: 'completed',
      durationS: 1800,
      charge: '3.000000',
    });
    expect(byId.get('3f9c2b1e-7a44-4d2b-9a41-1c0e5e7d2a02')).toMatchObject({
      status: 'missed',
      ratingStatus: 'free',
    });
    expect(byId.get('3f9c2b1e-7a44-4d2b-9a41-1c0e5e7d2a03')).toMatchObject({ status: 'busy' });
    expect(byId.get('3f9c2b1e-7a44-4d2b-9a41-1c0e5e7d2a06')).toMatchObject({ status: 'failed' });

    // One CDR per file (as mod_json_cdr writes them), its values URL-encoded; then the B leg's file; then all of them one per line.
    const a = await uploadOk(
      api,
      fixture('freeswitch/json_cdr/6c0e5a9e-1f0b-4b6e-9d3a-3d1f2c4b5a61.cdr.json'),
      'format=auto&source=6c0e5a9e.cdr.json',
      'application/json',
    );
    expect(a).toMatchObject({
      format: 'freeswitch',
      formatDetail: 'FreeSWITCH mod_json_cdr JSON',
      inserted: 1,
      rated: 1,
      chargeTotal: '0.158333',
    });
    const call = (await getAll(api, '/calls')).find(
      (c) => c.callID === '6c0e5a9e-1f0b-4b6e-9d3a-3d1f2c4b5a61',
    );
    // start_epoch 1772452800 is 2026-03-02 12:00:00 UTC; billsec 95
    expect(call).toMatchObject({
      from: '+441134960000',
      to: '+447700900123',
      startTime: '2026-03-02T12:00:00.000Z',
      durationS: 95,
      ratingStatus: 'rated',
    });
    const b = await uploadOk(
      api,
      fixture('freeswitch/json_cdr/6c0e5a9e-1f0b-4b6e-9d3a-3d1f2c4b5a62.cdr.json'),
      'format=freeswitch',
      'application/json',
    );
    expect(b).toMatchObject({
      inserted: 0,
      rejected: 1,
      rejections: [
        {
          line: 1,
          reason: expect.stringMatching(/^the B leg of call 6c0e5a9e-1f0b-4b6e-9d3a-3d1f2c4b5a61:/),
        },
      ],
    });
    const lines = await uploadOk(
      api,
      fixture('freeswitch/json-lines.json'),
      'format=freeswitch',
      'application/x-ndjson',
    );
    expect(lines).toMatchObject({ received: 4, inserted: 2, duplicates: 1, rejected: 1, free: 1, rated: 1 });
    const pretty = await uploadOk(
      api,
      fixture('freeswitch/pretty.cdr.json'),
      'format=auto',
      'application/json',
    );
    expect(pretty).toMatchObject({ received: 1, duplicates: 1 });
  });

  it("joins Kamailio's INVITE and BYE rows into calls, and reads acc_cdrs and OpenSIPS's cdr rows", async () => {
    const { api } = await ukAccount();
    const acc = await uploadOk(api, fixture('kamailio/acc.csv'), 'format=kamailio&source=acc.csv');
    expect(acc).toMatchObject({
      format: 'kamailio',
      received: 6,
      combined: 2,
      inserted: 3,
      rated: 1,
      free: 2,
      rejected: 3,
    });
    expect(acc.rejections).toEqual([
      {
        line: 6,
        reason:
          'not a call to bill: from "alice" is a SIP user name, not a phone number; to "bob" is a SIP user name, not a phone number',
      },
      {
        line: 9,
        reason: 'a BYE whose answered INVITE (call 0c5e6f7a8b9c@10.0.0.5) is not before it in this file',
      },
      {
        line: 8,
        reason:
          "answered, but its BYE is not in this file: the call's length is unknown (import it with the file that has the BYE)",
      },
    ]);
    const calls = new Map((await getAll(api, '/calls')).map((c) => [c.callID, c]));
    // INVITE at 10:00:05, BYE at 10:02:05: 120 s to a mobile, 0.20
    expect(calls.get('4c2f9e1a8b7d@10.0.0.5')).toMatchObject({
      from: '441134960000',
      to: '447700900123',
      durationS: 120,
      status: 'completed',
      charge: '0.200000',
    });
    expect(calls.get('6e1a2b3c4d5e@10.0.0.5')).toMatchObject({ status: 'busy', durationS: 0 });
    expect(calls.get('7f2b3c4d5e6f@10.0.0.5')).toMatchObject({ status: 'missed' });

    // acc_cdrs: the first call again (stored once) and the one whose BYE the acc rows lacked (60 s to London).
    const cdrs = await uploadOk(api, fixture('kamailio/acc_cdrs.csv'), 'format=auto');
    expect(cdrs).toMatchObject({
      format: 'kamailio',
      formatDetail: 'kamailio acc records with a header, one row per call',
      inserted: 1,
      duplicates: 1,
      rated: 1,
      chargeTotal: '0.012000',
    });
    const opensips = await uploadOk(api, fixture('opensips/acc.csv'), 'format=auto');
    // ms_duration 120340: 121 s (a started second counts)
    expect(opensips).toMatchObject({
      format: 'opensips',
      inserted: 2,
      rated: 1,
      free: 1,
      chargeTotal: '0.201667',
    });
  });

  it('reads CGRateS exports: the default columns with usage in nanoseconds, a header with Go durations; only *default *voice records are calls', async () => {
    const { api } = await ukAccount();
    const plain = await uploadOk(api, fixture('cgrates/cdrs.csv'), 'format=cgrates');
    expect(plain).toMatchObject({
      format: 'cgrates',
      formatDetail: 'CGRateS default CDR export (15 columns), no header',
      inserted: 2,
      rated: 1,
      free: 1,
      rejected: 3,
      chargeTotal: '0.108333',
    });
    expect(plain.rejections.map((r: { reason: string }) => r.reason)).toEqual([
      'a *data record, not a call (only *voice records are calls)',
      'a *sms record, not a call (only *voice records are calls)',
      'charging run "supplier1": the same call priced again (only the *default run is billed)',
    ]);
    const header = await uploadOk(api, fixture('cgrates/cdrs-header.csv'), 'format=auto');
    // 1m5s to London at 60/60: 2 minutes, 0.024; 2m0.5s (121 s) to a mobile per second: 0.201667
    expect(header).toMatchObject({ format: 'cgrates', inserted: 2, rated: 2, chargeTotal: '0.225667' });
    const calls = new Map((await getAll(api, '/calls')).map((c) => [c.callID, c]));
    expect(calls.get('9a8b7c6d-ef01-4a2b-8c3d-4e5f6a7b8c91')).toMatchObject({
      startTime: '2026-03-02T10:00:00.000Z',
      durationS: 65,
    });
  });

  it('keeps calls that are not to bill as internal calls when the account says so, with the number plan from its settings', async () => {
    const { api } = await ukAccount();
    const patch = await api.patch('/account', {
      cdrCountry: 'gb',
      cdrInternalCalls: 'store',
      cdrTechPrefixes: ['9'],
      cdrInternationalPrefixes: ['00'],
      cdrExtensionMaxDigits: 5,
      cdrTimezone: 'europe/london',
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({
      cdrCountry: 'GB',
      cdrInternalCalls: 'store',
      cdrTechPrefixes: ['9'],
      cdrInternationalPrefixes: ['00'],
      cdrExtensionMaxDigits: 5,
      cdrTimezone: 'Europe/London',
    });
    const res = await uploadOk(api, fixture('asterisk/Master.csv'), 'format=asterisk');
    expect(res).toMatchObject({ inserted: 10, rejected: 0, internal: 2 });
    const internal = await getAll(api, '/calls?ratingStatus=internal');
    expect(internal.map((c) => [c.from, c.to, c.ratingStatus, c.charge, c.customerID])).toEqual([
      ['1001', '1002', 'internal', null, null],
      ['+441134960000', 's', 'internal', null, null],
    ]);
    // Re-rating leaves them alone.
    const rerate = await api.post('/calls/rerate', {});
    expect(rerate.body).toMatchObject({ calls: 8 });
    expect(await getAll(api, '/calls?ratingStatus=internal')).toHaveLength(2);
    // An override for this import: refuse them after all.
    const other = await h.account();
    const refused = await uploadOk(
      other.api,
      fixture('asterisk/Master.csv'),
      'format=asterisk&internalCalls=refuse&country=GB',
    );
    expect(refused).toMatchObject({ inserted: 8, rejected: 2, internal: 0 });

    for (const [body, field] of [
      [{ cdrCountry: 'XX' }, 'cdrCountry'],
      [{ cdrTimezone: 'Mars/Base' }, 'cdrTimezone'],
      [{ cdrTechPrefixes: ['9a'] }, 'cdrTechPrefixes'],
      [{ cdrInternationalPrefixes: ['+00'] }, 'cdrInternationalPrefixes'],
      [{ cdrExtensionMaxDigits: 12 }, 'cdrExtensionMaxDigits'],
      [{ cdrInternalCalls: 'keep' }, 'cdrInternalCalls'],
    ] as const) {
      expectError(await api.patch('/account', body), 400, 400001, new RegExp(field));
    }
    // null restores the default
    expect(
      (
        await api.patch('/account', {
          cdrCountry: null,
          cdrInternalCalls: null,
          cdrTechPrefixes: null,
          cdrInternationalPrefixes: null,
          cdrExtensionMaxDigits: null,
        })
      ).body,
    ).toMatchObject({
      cdrCountry: null,
      cdrInternalCalls: 'refuse',
      cdrTechPrefixes: [],
      cdrInternationalPrefixes: ['00'],
      cdrExtensionMaxDigits: 4,
    });
  });

  it('detects the format, or says clearly why it cannot; bad options are 400s and store nothing', async () => {
    const account = await ukAccount();
    const { api } = account;
    const id = Number((await api.get('/account')).body.id);
    expectError(
      await upload(api, 'hello,world\n1,2\n', 'format=auto'),
      400,
      400001,
      /^format: could not tell which switch wrote this file: its first line \(hello,world\)/,
    );
    expectError(
      await upload(api, '{"a":1}\n', 'format=auto', 'application/json'),
      400,
      400001,
      /could not tell which switch wrote these JSON records: the first has the fields a/,
    );
    expectError(
      await upload(api, fixture('freeswitch/Master.csv'), 'format=asterisk'),
      400,
      400001,
      /is not Asterisk's Master.csv.*it looks like FreeSWITCH mod_cdr_csv's example template, no header \(format=freeswitch\)/,
    );
    expectError(await upload(api, fixture('asterisk/Master.csv'), 'format=sideways'), 400, 400001, /format/);
    expectError(
      await upload(api, fixture('asterisk/Master.csv'), 'format=asterisk&country=ZZ'),
      400,
      400001,
      /^country: "ZZ" is not a country code/,
    );
    expectError(
      await upload(api, fixture('asterisk/Master.csv'), 'format=asterisk&timezone=Nowhere/Land'),
      400,
      400001,
      /^timezone:/,
    );
    expectError(await upload(api, fixture('asterisk/Master.csv'), 'format=asterisk&contry=GB'), 400, 400001);
    expectError(await upload(api, '', 'format=auto'), 400, 400001, /empty/);
    expect(await holdings(h, id)).toEqual({ calls: 0, refused: 0, feed: 0 });
    // Ringbill's own CSV is found by auto too, and stays the default.
    const ringbill =
      'call_id,from,to,start_time,duration_s,status\nr1,441134960000,442079460000,2026-03-02T10:00:00Z,60,completed\n';
    expect(await uploadOk(api, ringbill, 'format=auto')).toMatchObject({
      format: 'ringbill',
      formatDetected: true,
      inserted: 1,
      rated: 1,
    });
    expect(await uploadOk(api, ringbill, '')).toMatchObject({
      format: 'ringbill',
      formatDetected: false,
      duplicates: 1,
    });
    // An Idempotency-Key cannot be honoured for a streamed file: said, not ignored.
    expectError(
      await api.request('POST', '/calls/files?format=ringbill', ringbill, {
        'content-type': 'text/csv',
        'idempotency-key': 'k1',
      }),
      400,
      400001,
      /Idempotency-Key/,
    );
    // Key level 1 cannot import; another account's key sees none of it.
    const reader = await account.withLevel(1);
    expectError(await upload(reader, ringbill, 'format=ringbill'), 403, 403001);
    const stranger = await h.account();
    expect(await getAll(stranger.api, '/calls')).toEqual([]);
    expect(await dbCallCount(h, id)).toBe(1);
  });
});
