// The feed's wire pieces (src/feed): zone times, amounts, transaction ids, CSV quoting checked with a real
// CSV parser, XML checked with a real XML parser.
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { CallTransactionRow } from '../../src/db/schema-feed.ts';
import type { FeedPageRow } from '../../src/feed/repo.ts';
import { Decimal } from 'decimal.js';
import {
  FeedView,
  feedMargin,
  formatCompleteCallId,
  formatFeedAmount,
  formatTransactionId,
  nestedCustomData,
  parseCompleteCallId,
  STANDARD_COLUMNS,
} from '../../src/feed/columns.ts';
import { subtractAmounts } from '../../src/money/micros.ts';
import {
  csvField,
  DEFAULT_CSV,
  renderCsv,
  renderJson,
  renderXml,
  xmlAttribute,
} from '../../src/http/feed/formats.ts';
import { ZoneTime } from '../../src/feed/zone-time.ts';
import {
  feedPageRowOf,
  referenceAmount,
  referenceCompleteCallId,
  referenceCsv,
  referenceXml,
  ReferenceZoneTime,
} from '../helpers/feed-reference.ts';

function wholeRow(overrides: Partial<CallTransactionRow> = {}): CallTransactionRow {
  return {
    account_id: 1,
    transaction_id: 42,
    transaction_type: 'call',
    call_id: 7,
    complete_call_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    corrects_transaction_id: null,
    corrected_at: null,
    start_time: new Date('2024-07-01T12:00:00Z'),
    duration_s: 125,
    connect_duration_s: 125,
    calling_phone_number: '+15550001111',
    destination_phone_number: '+15551234567',
    call_status: 'completed',
    payin: '0.030000',
    payout: '0.010000',
    recording_url: null,
    notes: null,
    custom_data: null,
    partner_unique_id: null,
    occurred_at: null,
    revenue: null,
    signal_name: null,
    signal_value: null,
    created_at: new Date(),
    ...overrides,
  };
}

/** The row as a page holds it (what the feed's columns read). */
function row(overrides: Partial<CallTransactionRow> = {}): FeedPageRow {
  return feedPageRowOf(wholeRow(overrides));
}

describe('zone times', () => {
  it('writes local time with its offset, across daylight saving changes', () => {
    const la = new ZoneTime('America/Los_Angeles');
    expect(la.local(Date.parse('2024-07-01T12:00:00Z'))).toBe('2024-07-01 05:00:00 -07:00');
    expect(la.local(Date.parse('2024-01-01T12:00:00Z'))).toBe('2024-01-01 04:00:00 -08:00');
    expect(la.xml(Date.parse('2024-03-10T09:59:59Z'))).toBe('2024-03-10T01:59:59-08:00');
    expect(la.xml(Date.parse('2024-03-10T10:00:00Z'))).toBe('2024-03-10T03:00:00-07:00');
    expect(new ZoneTime('Asia/Kolkata').local(Date.parse('2024-07-01T12:00:00Z'))).toBe(
      '2024-07-01 17:30:00 +05:30',
    );
    expect(new ZoneTime('UTC').xml(0)).toBe('1970-01-01T00:00:00+00:00');
  });

  it('agrees with Intl for any instant', () => {
    const zones = [
      'Europe/London',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'Pacific/Chatham',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2040-01-01') }),
        (zone, ms) => {
          const text = new ZoneTime(zone).xml(ms);
          const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)([+-])(\d\d):(\d\d)$/.exec(text)!;
          const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
          const back = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - offset * 60_000;
          expect(back).toBe(Math.floor(ms / 1000) * 1000);
          const intlDay = new Intl.DateTimeFormat('en-CA', {
            timeZone: zone,
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
          }).format(ms);
          expect(text.slice(0, 10)).toBe(intlDay);
        },
      ),
    );
  });
});

describe('values', () => {
  it('amounts are exact with at least two decimals; ids are 16 digits', () => {
    expect(formatFeedAmount('0.030000')).toBe('0.03');
    expect(formatFeedAmount('0.123400')).toBe('0.1234');
    expect(formatFeedAmount('-12.000000')).toBe('-12.00');
    expect(formatFeedAmount(null)).toBeNull();
    expect(formatTransactionId(42)).toBe('0000000000000042');
    const view = new FeedView('UTC', 'UTC', ['margin_localized', 'duration', 'start_time_utc']);
    expect(view.value(row(), 'margin_localized')).toBe('0.02');
    expect(view.value(row(), 'duration')).toBe(125);
    expect(view.value(row(), 'start_time_utc')).toBe(Date.parse('2024-07-01T12:00:00Z'));
  });

  const Exact = Decimal.clone({ precision: 60 });
  it('the margin (pay-in minus payout) is exact for any NUMERIC(20,6) amounts, small or large', () => {
    expect(subtractAmounts('0.030000', '0.010000')).toBe('0.020000');
    expect(subtractAmounts('0.010000', '0.030000')).toBe('-0.020000');
    expect(subtractAmounts('12', '0')).toBe('12.000000');
    expect(subtractAmounts('99999999999999.999999', '-0.000001')).toBe('100000000000000.000000');
    const amount = fc
      .tuple(
        fc.boolean(),
        fc.oneof(fc.bigInt({ min: 0n, max: 999_999_999n }), fc.bigInt({ min: 0n, max: 99_999_999_999_999n })),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: 0, max: 6 }),
      )
      .map(([negative, whole, fraction, digits]) => {
        const f = String(fraction).padStart(6, '0').slice(0, digits);
        return `${negative ? '-' : ''}${whole}${digits > 0 ? `.${f}` : ''}`;
      });
    fc.assert(
      fc.property(amount, amount, (a, b) => {
        expect(subtractAmounts(a, b)).toBe(
          new Exact(a)
            .minus(new Exact(b))
            .toFixed(6)
            .replace(/^-(0\.0+)$/, '$1'),
        );
      }),
      { numRuns: 2000 },
    );
    // The margin column takes a shorter way for amounts as the database writes them: the same text.
    const anyText = fc.oneof(
      amount,
      fc
        .tuple(
          fc.constantFrom('', '-', '+'),
          fc.stringMatching(/^[0-9]{0,11}$/),
          fc.constantFrom('', '.'),
          fc.stringMatching(/^[0-9]{0,7}$/),
        )
        .map((parts) => parts.join(''))
        .filter((t) => /^[-+]?\d+(\.\d+)?$/.test(t)),
    );
    for (const [a, b] of [
      ['0.030000', '0.010000'],
      ['-0.000000', '0'],
      ['0', '-0.000000'],
      ['120.5', '0.000001'],
      ['999999999.999999', '-999999999.999999'],
      ['1234567890.5', '0'],
      ['+1.5', '0.25'],
    ] as const)
      expect(feedMargin(a, b), `${a} - ${b}`).toBe(formatFeedAmount(subtractAmounts(a, b)));
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        expect(feedMargin(a, b)).toBe(formatFeedAmount(subtractAmounts(a, b)));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('complete_call_id and custom_data as Invoca documents them', () => {
  it('complete_call_id is the GUID in 32 characters of 0-9A-F, read back in either form (property)', () => {
    expect(formatCompleteCallId('7c9e6679-7425-40de-944b-e07fc1f90ae7')).toBe(
      '7C9E6679742540DE944BE07FC1F90AE7',
    );
    fc.assert(
      fc.property(fc.uuid(), (uuid) => {
        const wire = formatCompleteCallId(uuid);
        expect(wire).toMatch(/^[0-9A-Z-]{1,32}$/);
        expect(parseCompleteCallId(wire)).toBe(uuid.toLowerCase());
        expect(parseCompleteCallId(uuid.toUpperCase())).toBe(uuid.toLowerCase());
      }),
    );
    for (const bad of [
      '',
      'xyz',
      'G'.repeat(32),
      'A'.repeat(31),
      'A'.repeat(33),
      '7c9e6679-7425-40de-944b-e07fc1f90ae',
    ])
      expect(parseCompleteCallId(bad)).toBeUndefined();
  });

  it('custom_data leaves out null values', () => {
    const data = {
      a: { value: 'x', data_type: 'shortText', source: 'Api' },
      b: { value: null, data_type: 'shortText', source: 'Api' },
      c: { value: false, data_type: 'signal', source: 'Api' },
    };
    expect(nestedCustomData(row({ custom_data: data })).map((e) => [e.name, e.value])).toEqual([
      ['a', 'x'],
      ['c', false],
    ]);
  });
});

describe('formats', () => {
  const nasty = fc.string({ unit: 'binary', maxLength: 40 });

  it('CSV: any text survives a round trip through csv-parse', () => {
    fc.assert(
      fc.property(
        nasty,
        nasty,
        fc.constantFrom(',', '|', '\t', ';'),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        (notes, number, separator, rowSeparator, forceQuotes) => {
          const view = new FeedView('UTC', 'UTC', [
            'transaction_id',
            'notes',
            'calling_phone_number',
            'duration',
          ]);
          const options = { separator, rowSeparator, header: true, forceQuotes };
          const text = renderCsv(
            view,
            [row({ notes, calling_phone_number: number }), row({ transaction_id: 43, duration_s: null })],
            options,
          );
          const records = parse(text, {
            delimiter: separator,
            record_delimiter: rowSeparator,
            relax_column_count: false,
          });
          expect(records).toEqual([
            ['transaction_id', 'notes', 'calling_phone_number', 'duration'],
            ['0000000000000042', notes, number, '125'],
            ['0000000000000043', '', '+15550001111', ''],
          ]);
        },
      ),
      { numRuns: 300 },
    );
    expect(csvField('a,b', DEFAULT_CSV)).toBe('"a,b"');
    expect(csvField('say "hi"', DEFAULT_CSV)).toBe('"say ""hi"""');
  });

  it('XML: well-formed whatever the text, with nested custom data and odd column names', () => {
    fc.assert(
      fc.property(nasty, (notes) => {
        const view = new FeedView('UTC', 'UTC', [
          'transaction_id',
          'notes',
          'custom_data',
          'Purchase Made',
          'gclid',
        ]);
        const data = {
          'Purchase Made': { value: true, data_type: 'signal', source: 'Api' },
          gclid: { value: notes, data_type: 'shortText', source: 'Api' },
        };
        const xml = renderXml(view, [row({ notes, custom_data: data })]);
        expect(XMLValidator.validate(xml)).toBe(true);
        const parsed = new XMLParser({
          ignoreAttributes: false,
          parseTagValue: false,
          trimValues: false,
        }).parse(xml);
        const t = parsed.Transactions.Transaction;
        expect(t.transaction_id).toBe('0000000000000042');
        expect(t.custom_data.field).toHaveLength(2);
        expect(t.column['#text']).toBe('1');
        expect(t.column['@_name']).toBe('Purchase Made');
      }),
      { numRuns: 200 },
    );
  });

  it('XML: a carriage return is a character reference, so parsers keep it; text XML cannot carry becomes U+FFFD', () => {
    // eslint-disable-next-line no-control-regex
    const forbidden = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
    const parser = new XMLParser({
      ignoreAttributes: false,
      parseTagValue: false,
      trimValues: false,
      htmlEntities: true,
    });
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('a', ' ', '\r', '\n', '\t', '&', '<', '"', '\u0001', 'é'),
          maxLength: 30,
        }),
        (notes) => {
          const view = new FeedView('UTC', 'UTC', ['notes', 'gclid', 'odd name']);
          const data = {
            gclid: { value: notes, data_type: 'shortText', source: 'Api' },
            'odd name': { value: notes, data_type: 'shortText', source: 'Api' },
          };
          const xml = renderXml(view, [row({ notes, custom_data: data })]);
          // Every line end in the document is renderXml's own "\n" between rows: none comes from a value.
          expect(xml).not.toContain('\r');
          expect(XMLValidator.validate(xml)).toBe(true);
          const t = parser.parse(xml).Transactions.Transaction;
          const expected = notes.replace(forbidden, '\uFFFD');
          expect(t.notes ?? '').toBe(expected);
          expect(t.gclid ?? '').toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
    const xml = renderXml(new FeedView('UTC', 'UTC', ['notes']), [row({ notes: 'one\r\ntwo\rthree' })]);
    expect(xml).toContain('<notes>one&#13;\ntwo&#13;three</notes>');
    expect(xmlAttribute('a\r\n\tb')).toBe('a&#13;&#10;&#9;b');
  });

  it('JSON: an array of objects with typed values and nested custom data', () => {
    const view = new FeedView('UTC', 'UTC', ['transaction_id', 'duration', 'custom_data', 'Quote']);
    const body = JSON.parse(
      renderJson(view, [
        row({ custom_data: { Quote: { value: false, data_type: 'signal', source: 'AI' } } }),
      ]),
    );
    expect(body).toEqual([
      {
        transaction_id: '0000000000000042',
        duration: 125,
        custom_data: [
          { name: 'Quote', partner_name: 'Quote', value: false, data_type: 'Signal', source: 'AI' },
        ],
        Quote: 0,
      },
    ]);
    expect(renderJson(view, [])).toBe('[]');
  });

  it('JSON: the page is exactly JSON.stringify of its rows as objects, whatever the text', () => {
    const view = new FeedView('America/New_York', 'UTC', [
      'transaction_id',
      'notes',
      'custom_data',
      'gclid',
      'margin_localized',
      'start_time_local',
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(fc.string({ unit: 'binary' })), fc.string({ unit: 'binary' })), {
          maxLength: 5,
        }),
        (texts) => {
          const rows = texts.map(([notes, gclid], i) =>
            row({
              transaction_id: i + 1,
              notes,
              custom_data: { gclid: { value: gclid, data_type: 'shortText', source: 'Api' } },
            }),
          );
          const objects = rows.map((r) => Object.fromEntries(view.columns.map((c) => [c, view.value(r, c)])));
          expect(renderJson(view, rows)).toBe(JSON.stringify(objects));
        },
      ),
    );
  });

  it('JSON: a custom column named like a number goes where JSON.stringify puts it (first)', () => {
    const view = new FeedView('UTC', 'UTC', ['transaction_id', '42', 'notes']);
    const r = row({ custom_data: { '42': { value: 'x', data_type: 'shortText', source: 'Api' } } });
    expect(renderJson(view, [r])).toBe('[{"42":"x","transaction_id":"0000000000000042","notes":null}]');
  });

  it('CSV and XML: byte for byte what the cell-by-cell renderers wrote, whatever the text and options', () => {
    // The renderers as they were before they were compiled per page (the reference): test/helpers/feed-reference.ts.
    const csv = referenceCsv<FeedPageRow>;
    const xml = referenceXml<FeedPageRow>;
    const view = new FeedView('Europe/London', 'Asia/Kolkata', [
      'transaction_id',
      'transaction_type',
      'start_time_local',
      'margin_localized',
      'notes',
      'calling_phone_number',
      'custom_data',
      'gclid',
      'xml-ish',
      'a b',
      'start_time_xml',
      'revenue',
      'duration',
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(nasty), nasty, nasty), { maxLength: 4 }),
        fc.constantFrom(',', '|', '\t', ';', 'é', '😀', '.', '_', '0', ' ', ':', '-', 'T'),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.boolean(),
        (texts, separator, rowSeparator, header, forceQuotes) => {
          const rows = texts.map(([notes, number, gclid], i) =>
            row({
              transaction_id: i + 1,
              notes,
              calling_phone_number: number,
              revenue: i % 2 ? '12.500000' : null,
              custom_data: { gclid: { value: gclid, data_type: 'shortText', source: 'Api' } },
            }),
          );
          const options = { separator, rowSeparator, header, forceQuotes };
          expect(renderCsv(view, rows, options)).toBe(csv(view, rows, options));
          expect(renderXml(view, rows)).toBe(xml(view, rows));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the fast pieces against the code before (test/helpers/feed-reference.ts)', () => {
  const zones = ['America/Los_Angeles', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC'];
  const instant = fc.oneof(
    fc.integer({ min: Date.parse('1900-01-01'), max: Date.parse('2100-01-01') }),
    // Around the 2024 changes of the zones above, to the millisecond.
    fc
      .constantFrom(
        Date.parse('2024-03-10T10:00:00Z'),
        Date.parse('2024-03-31T01:00:00Z'),
        Date.parse('2024-04-06T15:00:00Z'),
        Date.parse('2024-11-03T09:00:00Z'),
      )
      .chain((t) => fc.integer({ min: t - 3_600_000, max: t + 3_600_000 })),
  );

  it('zone times are the Date-per-instant texts, in any order of instants', () => {
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.array(instant, { maxLength: 20 }), (zone, instants) => {
        const fast = ZoneTime.of(zone);
        const before = new ReferenceZoneTime(zone);
        for (const ms of instants) {
          expect(fast.local(ms)).toBe(before.local(ms));
          expect(fast.xml(ms)).toBe(before.xml(ms));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('amounts and complete_call_ids are what split, regexes and replace gave, whatever the text', () => {
    const decimal = fc
      .tuple(
        fc.boolean(),
        fc.bigInt({ min: 0n, max: 99_999_999_999_999n }),
        fc.string({ unit: fc.constantFrom('0', '1', '5', '9'), maxLength: 8 }),
      )
      .map(([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}.${fraction}`);
    fc.assert(
      fc.property(fc.oneof(decimal, fc.string({ maxLength: 12 })), (text) => {
        expect(formatFeedAmount(text)).toBe(referenceAmount(text));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uuid(), (uuid) => {
        expect(formatCompleteCallId(uuid)).toBe(referenceCompleteCallId(uuid));
        expect(formatCompleteCallId(uuid.replace(/-/g, ''))).toBe(referenceCompleteCallId(uuid));
      }),
    );
  });

  it('plain columns hold only text no format escapes: ASCII letters, digits, _ + - : . and inner spaces', () => {
    const plainText = /^(?:[0-9A-Za-z_+\-:.](?:[0-9A-Za-z _+\-:.]*[0-9A-Za-z_+\-:.])?)?$/;
    const amount = fc.option(
      fc
        .tuple(
          fc.boolean(),
          fc.bigInt({ min: 0n, max: 99_999_999_999_999n }),
          fc.integer({ min: 0, max: 999_999 }),
        )
        .map(
          ([negative, whole, micros]) => `${negative ? '-' : ''}${whole}.${String(micros).padStart(6, '0')}`,
        ),
    );
    const columns = STANDARD_COLUMNS.filter((c) => c !== 'custom_data');
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom(...zones),
        fc.record({
          transaction_id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          transaction_type: fc.constantFrom('call', 'post_call_event', 'signal', 'sale'),
          corrects_transaction_id: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
          corrected_at: fc.option(instant.map((ms) => new Date(ms))),
          complete_call_id: fc.uuid(),
          start_time: instant.map((ms) => new Date(ms)),
          duration_s: fc.option(fc.integer({ min: 0, max: 2_000_000_000 })),
          payin: amount,
          payout: amount,
          revenue: amount,
          occurred_at: fc.option(instant.map((ms) => new Date(ms))),
        }),
        (keyZone, networkZone, values) => {
          const view = new FeedView(keyZone, networkZone, columns);
          const r = row(values);
          for (const column of columns) {
            if (!view.plain(column)) continue;
            const value = view.value(r, column);
            if (typeof value === 'string') expect(value, column).toMatch(plainText);
            else expect(value === null || Number.isSafeInteger(value), column).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
