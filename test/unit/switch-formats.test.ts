// The switch formats' pure parts: reading numbers under a number plan (libphonenumber-js for national
// numbers), times and durations as switches write them, and each format's records into Ringbill's call
// records, without a database.
import { describe, expect, it } from 'vitest';
import { asteriskCall, asteriskLayout, type AsteriskValues } from '../../src/calls/formats/asterisk.ts';
import { chooseCsvReader, chooseJsonReader } from '../../src/calls/formats/detect.ts';
import { freeswitchJsonCall } from '../../src/calls/formats/freeswitch.ts';
import { accHeader, accTransactionReader } from '../../src/calls/formats/kamailio.ts';
import { NotANumber, NumberReader, type NumberPlan } from '../../src/shared/number-plan.ts';
import type { Emit, FormatContext } from '../../src/calls/formats/record.ts';
import { switchOptionsFor } from '../../src/calls/formats/switch-options.ts';
import {
  BAD_TIME,
  IsoWriter,
  NO_TIME,
  readGoDuration,
  readSeconds,
  readSwitchTime,
} from '../../src/calls/formats/switch-time.ts';
import type { RawCall } from '../../src/calls/call-input.ts';
import { parseCall } from '../../src/calls/call-input.ts';
import { LocalClock } from '../../src/rating/bands.ts';

const plan = (o: Partial<NumberPlan> = {}): NumberPlan => ({
  country: null,
  internationalPrefixes: ['00'],
  techPrefixes: [],
  extensionMaxDigits: 4,
  ...o,
});
const ctx = (o: Partial<NumberPlan> = {}, zone = 'Europe/London'): FormatContext => ({
  clock: new LocalClock(zone),
  numbers: new NumberReader(plan(o)),
  iso: new IsoWriter(),
});
const why = (v: string | NotANumber) => (v instanceof NotANumber ? v.reason : v);

describe('number plan', () => {
  it('makes national numbers of the country E.164, and international prefixes "+"', () => {
    const gb = new NumberReader(plan({ country: 'GB' }));
    expect(gb.read('01134960000')).toBe('+441134960000');
    expect(gb.read('00441134960000')).toBe('+441134960000');
    expect(gb.read('0012025550100')).toBe('+12025550100');
    expect(gb.read('+44 113 496 0000')).toBe('+441134960000');
    expect(gb.read('sip:+441134960000@10.0.0.5;user=phone')).toBe('+441134960000');
    const us = new NumberReader(plan({ country: 'US', internationalPrefixes: ['011'] }));
    expect(us.read('01144113496000')).toBe('+44113496000');
    expect(us.read('2025550100')).toBe('+12025550100');
    expect(us.read('12025550100')).toBe('+12025550100');
    const ru = new NumberReader(plan({ country: 'RU' }));
    expect(ru.read('89104483526')).toBe('+79104483526');
    // A local number without its area code cannot be placed: kept as written, digits only.
    expect(ru.read('211668')).toBe('211668');
    // No country: numbers as written (digits), "00" still means international.
    const none = new NumberReader(plan());
    expect(none.read('89104483526')).toBe('89104483526');
    expect(none.read('0044 20 7946 0000')).toBe('+442079460000');
  });

  it('strips tech prefixes, and says why what is not a number is not one', () => {
    const r = new NumberReader(plan({ country: 'GB', techPrefixes: ['1234#', '9'] }));
    expect(r.read('1234#02079460000')).toBe('+442079460000');
    expect(r.read('902079460000')).toBe('+442079460000');
    expect(why(r.read('1001'))).toBe(
      '"1001" is an internal extension (4 digits or fewer), not a phone number',
    );
    expect(why(r.read('s'))).toBe('"s" is Asterisk\'s start extension (no number was dialled)');
    expect(why(r.read('t'))).toMatch(/timeout extension/);
    expect(why(r.read('sipuser1'))).toBe('"sipuser1" is a SIP user name, not a phone number');
    expect(why(r.read('*97'))).toBe('"*97" is a feature code, not a phone number');
    expect(r.read('anonymous')).toMatchObject({ withheld: true });
    expect(r.read('')).toMatchObject({ withheld: true });
    expect(why(new NumberReader(plan({ extensionMaxDigits: 6 })).read('211668'))).toMatch(
      /6 digits or fewer/,
    );
    expect(why(r.read('+12'))).toMatch(/3 to 17 digits/);
  });

  it("takes the account's settings, and overrides checked by name", () => {
    const account = {
      timezone: 'Europe/London',
      cdr_timezone: null,
      cdr_country: 'GB',
      cdr_international_prefixes: null,
      cdr_tech_prefixes: ['9'],
      cdr_extension_max_digits: 4,
      cdr_internal_calls: 'refuse' as const,
    };
    expect(switchOptionsFor(account)).toEqual({
      timeZone: 'Europe/London',
      internalCalls: 'refuse',
      plan: { country: 'GB', internationalPrefixes: ['00'], techPrefixes: ['9'], extensionMaxDigits: 4 },
    });
    expect(
      switchOptionsFor(account, {
        timezone: 'America/New_York',
        country: 'us',
        internationalPrefixes: '011, 00',
        techPrefixes: '',
        extensionMaxDigits: '5',
        internalCalls: 'store',
      }),
    ).toEqual({
      timeZone: 'America/New_York',
      internalCalls: 'store',
      plan: { country: 'US', internationalPrefixes: ['011', '00'], techPrefixes: [], extensionMaxDigits: 5 },
    });
    expect(() => switchOptionsFor(account, { country: 'UK' })).toThrow(
      /^country: "UK" is not a country code/,
    );
    expect(() => switchOptionsFor(account, { extensionMaxDigits: '12' })).toThrow(/^extensionMaxDigits/);
    expect(() => switchOptionsFor(account, { internalCalls: 'keep' })).toThrow(/^internalCalls/);
    expect(() => switchOptionsFor(account, { techPrefixes: 'x9' })).toThrow(/^techPrefixes: "x9"/);
  });
});

describe('switch times and durations', () => {
  const london = new LocalClock('Europe/London');
  it('reads local times in the switch zone, instants as written, epochs, and no time', () => {
    expect(new Date(readSwitchTime('2026-07-01 10:00:00', london)).toISOString()).toBe(
      '2026-07-01T09:00:00.000Z',
    );
    expect(new Date(readSwitchTime('2026-01-15 10:00:00', london)).toISOString()).toBe(
      '2026-01-15T10:00:00.000Z',
    );
    expect(
      new Date(readSwitchTime('2026-07-01 10:00:00', new LocalClock('America/New_York'))).toISOString(),
    ).toBe('2026-07-01T14:00:00.000Z');
    expect(new Date(readSwitchTime('2026-07-01T10:00:00+01:00', london)).toISOString()).toBe(
      '2026-07-01T09:00:00.000Z',
    );
    expect(new Date(readSwitchTime('2013-11-07 08:42:25 +0000 UTC', london)).toISOString()).toBe(
      '2013-11-07T08:42:25.000Z',
    );
    expect(readSwitchTime('1772452800', london)).toBe(1772452800000);
    expect(readSwitchTime('1772452800123456', london)).toBe(1772452800123);
    expect(readSwitchTime('1772452800.5', london)).toBe(1772452800500);
    for (const none of ['', '0', '0001-01-01T00:00:00Z', '0001-01-01 00:00:00'])
      expect(readSwitchTime(none, london)).toBe(NO_TIME);
    for (const bad of ['yesterday', '2026-02-30 10:00:00', '2026-07-01 25:00:00'])
      expect(readSwitchTime(bad, london)).toBe(BAD_TIME);
    const iso = new IsoWriter();
    expect(iso.write(Date.UTC(2026, 6, 1, 9, 0, 5))).toBe('2026-07-01T09:00:05Z');
    expect(iso.write(Date.UTC(2026, 6, 1, 9, 0, 5, 250))).toBe('2026-07-01T09:00:05.250Z');
  });

  it('reads Go durations and counts a started second', () => {
    expect(readGoDuration('1m5s')).toBe(65);
    expect(readGoDuration('1h0m0.5s')).toBe(3601);
    expect(readGoDuration('500ms')).toBe(1);
    expect(readGoDuration('65000000000')).toBe(65);
    expect(readGoDuration('0s')).toBe(0);
    expect(readGoDuration('1 minute')).toBe(-1);
    expect(readSeconds('17')).toBe(17);
    expect(readSeconds('17.25')).toBe(18);
    expect(readSeconds('-3')).toBe(-1);
  });
});

const values = (o: Partial<AsteriskValues> = {}): AsteriskValues => ({
  src: '01134960000',
  dst: '07700900123',
  start: '2026-07-01 10:00:00',
  answer: '2026-07-01 10:00:05',
  end: '2026-07-01 10:01:42',
  billsec: '97',
  disposition: 'ANSWERED',
  uniqueid: '1782896400.18',
  linkedid: '',
  channel: 'PJSIP/reception-00000012',
  dstchannel: 'PJSIP/trunk-00000013',
  ...o,
});

describe('Asterisk', () => {
  it("turns a record into a call record in Ringbill's shape, and maps dispositions", () => {
    const call = asteriskCall(values(), ctx({ country: 'GB' })) as RawCall;
    expect(call).toMatchObject({
      from: '+441134960000',
      to: '+447700900123',
      start_time: '2026-07-01T09:00:00Z',
      duration_s: '97',
      status: 'completed',
      internal: undefined,
      autoDirection: true,
    });
    expect(parseCall(call, new LocalClock('UTC'))).toMatchObject({
      fromNumber: '+441134960000',
      startMs: Date.UTC(2026, 6, 1, 9, 0, 0),
      durationS: 97,
      status: 'completed',
      internal: false,
      autoDirection: true,
    });
    const status = (disposition: string) => (asteriskCall(values({ disposition }), ctx()) as RawCall).status;
    expect(
      ['ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED', 'CONGESTION', 'CANCEL', '8', '0', '4', '16'].map(status),
    ).toEqual([
      'completed',
      'missed',
      'busy',
      'failed',
      'failed',
      'missed',
      'completed',
      'missed',
      'busy',
      'failed',
    ]);
    expect(asteriskCall(values({ disposition: 'RINGING' }), ctx())).toMatch(
      /^disposition: "RINGING" is not one Asterisk writes/,
    );
    expect(asteriskCall(values({ billsec: 'x' }), ctx())).toMatch(/^billsec/);
    expect(asteriskCall(values({ start: '' }), ctx())).toBe('start: no start time');
  });

  it('gives every record its own call id, the same one each time: the records of one channel differ, a record sent again does not', () => {
    const id = (o: Partial<AsteriskValues>) => (asteriskCall(values(o), ctx()) as RawCall).call_id as string;
    const leg = id({ billsec: '0', end: '2026-07-01 10:00:05' });
    const talk = id({ start: '2026-07-01 10:00:05', billsec: '97' });
    expect(leg).toMatch(/^1782896400\.18#[0-9a-f]{8}$/);
    expect(talk).toMatch(/^1782896400\.18#[0-9a-f]{8}$/);
    expect(leg).not.toBe(talk);
    expect(id({})).toBe(id({}));
    expect(id({ linkedid: '1782896390.10' })).toMatch(/^1782896390\.10\/1782896400\.18#/);
    expect(id({ linkedid: '1782896400.18' })).toMatch(/^1782896400\.18#/);
    expect(id({ uniqueid: '' })).toMatch(/^PJSIP\/reception-00000012#/);
  });

  it('chooses the Master.csv layout by the width of each record', () => {
    const base = [
      'acme',
      '100',
      '200',
      'ctx',
      'clid',
      'chan',
      'dchan',
      'Dial',
      'x',
      '2026-07-01 10:00:00',
      '',
      '2026-07-01 10:00:05',
      '5',
      '0',
      'NO ANSWER',
      'DOCUMENTATION',
    ];
    expect(asteriskLayout(base)?.name).toBe('cdr_csv Master.csv (16 columns, no uniqueid)');
    expect(asteriskLayout([...base, '1782896400.18'])?.name).toBe(
      'cdr_csv Master.csv (17 columns: uniqueid)',
    );
    expect(asteriskLayout([...base, 'vip'])?.name).toBe('cdr_csv Master.csv (17 columns: userfield)');
    expect(asteriskLayout([...base, 'host-1782896400.18', ''])?.name).toBe(
      'cdr_csv Master.csv (18 columns: uniqueid, userfield)',
    );
    expect(asteriskLayout([...base, '', '1', '7'])?.name).toBe(
      'cdr_csv Master.csv (19 columns: newcdrcolumns)',
    );
    expect(asteriskLayout([...base, '1782896400.18', '', '', '1782896400.18', '7'])?.name).toBe(
      'cdr_csv Master.csv (21 columns: uniqueid, userfield, newcdrcolumns)',
    );
    expect(asteriskLayout(['a', 'b'])).toBeUndefined();
  });
});

describe('FreeSWITCH JSON', () => {
  const record = (vars: Record<string, string>, profile: Record<string, unknown> = {}) => ({
    variables: {
      uuid: 'u-1',
      start_epoch: '1772452800',
      answer_epoch: '1772452806',
      billsec: '95',
      hangup_cause: 'NORMAL_CLEARING',
      ...vars,
    },
    callflow: [
      {
        caller_profile: {
          caller_id_number: '+441134960000',
          destination_number: '+447700900123',
          uuid: 'u-1',
          ...profile,
        },
      },
    ],
  });
  it('decodes URL-encoded values, answers by billsec or answer time, refuses B legs', () => {
    expect(
      freeswitchJsonCall(record({ start_stamp: '2026-03-02%2012%3A00%3A00', start_epoch: '0' }), ctx()),
    ).toMatchObject({
      call_id: 'u-1',
      start_time: '2026-03-02T12:00:00Z',
      status: 'completed',
      duration_s: '95',
    });
    expect(
      freeswitchJsonCall(record({ billsec: '0', answer_epoch: '0', hangup_cause: 'USER_BUSY' }), ctx()),
    ).toMatchObject({ status: 'busy', duration_s: '0' });
    expect(
      freeswitchJsonCall(
        record({ billsec: '0', answer_epoch: '0', hangup_cause: 'ORIGINATOR_CANCEL' }),
        ctx(),
      ),
    ).toMatchObject({ status: 'missed' });
    expect(
      freeswitchJsonCall(
        record({ billsec: '0', answer_epoch: '0', hangup_cause: 'UNALLOCATED_NUMBER' }),
        ctx(),
      ),
    ).toMatchObject({ status: 'failed' });
    expect(freeswitchJsonCall(record({ hangup_cause: 'MEDIA_TIMEOUT' }), ctx())).toMatchObject({
      status: 'completed',
    });
    expect(freeswitchJsonCall(record({ call_direction: 'inbound' }), ctx())).toMatchObject({
      direction: 'inbound',
      autoDirection: false,
    });
    expect(freeswitchJsonCall(record({}, { originator: { originator_caller_profiles: [] } }), ctx())).toMatch(
      /^the B leg of call unknown/,
    );
    expect(freeswitchJsonCall(record({ originating_leg_uuid: 'u-0', uuid: 'u-2' }), ctx())).toMatch(
      /^the B leg of call u-0/,
    );
    expect(freeswitchJsonCall({ variables: 'x' }, ctx())).toBe(
      'not a mod_json_cdr record: no "variables" object',
    );
  });
});

describe('Kamailio acc transactions', () => {
  it('joins an INVITE to its BYE, calls a failed INVITE at once, and refuses what is left at the end', () => {
    const header = ['id', 'method', 'callid', 'sip_code', 'time', 'src_user', 'dst_user'];
    const found = accHeader(header)!;
    expect(found).toMatchObject({ kind: 'transactions', missing: [] });
    const reader = accTransactionReader(found.indexes, header.length, ctx());
    const out: string[] = [];
    const emit: Emit = {
      call: (call, line) => {
        out.push(`${line} call ${call.call_id} ${call.status} ${call.duration_s}`);
        return undefined;
      },
      refuse: (line, _raw, reason) => void out.push(`${line} refused ${reason}`),
      combined: (line) => void out.push(`${line} joined`),
    };
    const rows = [
      ['1', 'INVITE', 'c1', '200', '2026-03-02 10:00:00', '441134960000', '447700900123'],
      ['2', 'INVITE', 'c2', '486', '2026-03-02 10:00:10', '441134960000', '447700900123'],
      ['3', 'INVITE', 'c3', '200', '2026-03-02 10:00:20', '441134960000', '447700900123'],
      ['4', 'BYE', 'c1', '200', '2026-03-02 10:01:30.400', '441134960000', '447700900123'],
      ['5', 'ACK', 'c1', '200', '2026-03-02 10:01:30', '441134960000', '447700900123'],
    ];
    // emit.call never asks to wait, so add() gives back no promise here.
    rows.forEach((r, i) => void reader.add(r, i + 2, () => r.join(','), emit));
    reader.end(emit);
    expect(out).toEqual([
      '3 call c2 busy 0',
      '5 joined',
      '2 call c1 completed 91',
      '6 refused a SIP ACK transaction, not a call (a call is its INVITE and BYE rows)',
      "4 refused answered, but its BYE is not in this file: the call's length is unknown (import it with the file that has the BYE)",
    ]);
  });
});

describe('detection', () => {
  it('names what it found, and what it looked for when it found nothing', () => {
    const c = ctx();
    expect(
      chooseCsvReader(
        [
          'source',
          'line',
          'src',
          'dst',
          'start',
          'answer',
          'end',
          'duration',
          'billsec',
          'disposition',
          'uniqueid',
        ],
        'auto',
        c,
      ),
    ).toMatchObject({ format: 'asterisk', header: true });
    expect(
      chooseCsvReader(
        [
          'id',
          'method',
          'callid',
          'sip_code',
          'time',
          'duration',
          'ms_duration',
          'setuptime',
          'created',
          'src_user',
          'dst_user',
        ],
        'auto',
        c,
      ),
    ).toMatchObject({ format: 'opensips', header: true });
    expect(
      chooseCsvReader(
        ['CGRID', 'RunID', 'ToR', 'OriginID', 'Account', 'Destination', 'SetupTime', 'AnswerTime', 'Usage'],
        'auto',
        c,
      ),
    ).toMatchObject({ format: 'cgrates', header: true });
    expect(() => chooseCsvReader(['callid', 'method', 'sip_code', 'time'], 'kamailio', c)).toThrow(
      /lacks src_user/,
    );
    expect(() => chooseCsvReader(['a', 'b'], 'auto', c)).toThrow(
      /could not tell which switch wrote this file/,
    );
    expect(() => chooseCsvReader(['a', 'b'], 'cgrates', c)).toThrow(/is not a CGRateS CDR export/);
    expect(
      chooseJsonReader({ uniqueid: '1.2', billsec: 3, disposition: 'ANSWERED' }, 'auto', c),
    ).toMatchObject({ format: 'asterisk' });
    expect(() => chooseJsonReader({ a: 1 }, 'kamailio', c)).toThrow(/come as CSV/);
  });
});
