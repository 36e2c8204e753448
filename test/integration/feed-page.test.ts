// A feed page as the feed now reads and writes it (rows as arrays from the driver, instants as milliseconds
// read in SQL, JSON written without an object per row, zone times from a table) is byte for byte what the
// code before wrote from whole rows (test/helpers/feed-reference.ts: Date objects, each value read column by
// column, JSON.stringify of each row's object, CSV and XML cell by cell): every format, CSV's options, several
// column sets (custom data columns and nested custom_data included) and timezones, and rows with odd values
// (NULLs, quotes, separators, line breaks, control characters, unicode, white space at the ends, big and
// negative amounts and margins, 16-digit ids, instants at DST changes, before 1970 and with microseconds).
// The arrays read outside a transaction (the driver's rowMode) and inside one (through Kysely) agree.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/api-keys/create-account.ts';
import { createCtx, type Ctx } from '../../src/context.ts';
import { defaultColumns, FeedView, STANDARD_COLUMNS } from '../../src/feed/columns.ts';
import { readFeed, type FeedRequest } from '../../src/feed/read-feed.ts';
import { callRows, eachFeedPageRow, type FeedPageRow, readFeedPage } from '../../src/feed/repo.ts';
import {
  type CsvOptions,
  DEFAULT_CSV,
  type FeedFormat,
  pageWriter,
  renderCsv,
  renderJson,
  renderXml,
} from '../../src/http/feed/formats.ts';
import { PageBuffer } from '../../src/http/feed/page-buffer.ts';
import { REACTIONS } from '../../src/reactions.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import {
  feedPageRowOf,
  referenceCsv,
  referenceJson,
  referenceView,
  referenceXml,
  type WholeFeedRow,
} from '../helpers/feed-reference.ts';

let tdb: TestDatabase;
let ctx: Ctx;

beforeAll(async () => {
  tdb = await createTestDatabase();
  ctx = createCtx(tdb.database, undefined, { reactions: REACTIONS });
});
afterAll(async () => {
  await tdb.drop();
});

const ODD_TEXTS: (string | null)[] = [
  null,
  '',
  'plain',
  'a "quoted" word',
  'comma, separated',
  'semi;colon|pipe\ttab',
  'line\nbreak',
  'carriage\r\nreturn',
  ' leading space',
  'trailing space ',
  '\u00a0no-break space first',
  'ideographic space last\u3000',
  'zero width\ufeff',
  'line separator\u2028paragraph\u2029',
  'control \u0001\u0008\u000b\u000c\u001f chars',
  'xml <b>&amp;</b> \'apos\' "quot" > <',
  'unicode: Zürich, 東京, emoji 📞, RTL مرحبا',
  '\\backslash\\ and /slash/',
  '0',
  '-',
  ':',
  "'",
  'non-characters \ufffe\uffff',
  // What COPY's text format escapes or reads specially (src/db/copy-rows.ts).
  '\\N',
  '\\',
  'tab\tand \\t, a backslash-n \\n, vertical\u000btab, backspace\bform\ffeed',
  'ends in a backslash\\',
  '\t\n',
];
const AMOUNTS: (string | null)[] = [
  null,
  '0',
  '0.000001',
  '120',
  '120.5',
  '-3.25',
  '12345678901234.123456',
  '99999999999999.999999',
  '-99999999999999.999999',
  '0.01',
  '0.005',
  '-0.000100',
];
const STATUSES = ['completed', 'missed', 'busy', 'failed', 'weird, "status"\n', ' '];

interface OddRow {
  transactionId: number;
  type: string;
  corrects: number | null;
  correctedAt: string | null;
  startTime: string;
  duration: number | null;
  text: string | null;
  payin: string | null;
  payout: string | null;
  revenue: string | null;
  status: string;
  occurredAt: string | null;
  signalValue: boolean | null;
}

/** Rows mixing the odd values (each list walked at its own pace), around the DST changes of 2024. */
function oddRows(count: number, firstId: number): OddRow[] {
  const instants = [
    '2024-03-10T09:59:59Z',
    '2024-03-10T10:00:00Z',
    '2024-03-31T00:59:59Z',
    '2024-03-31T01:00:00Z',
    '2024-11-03T08:30:00Z',
    '2024-11-03T09:00:01Z',
    '1999-12-31T23:59:59Z',
    '2038-01-19T03:14:08Z',
    '1970-01-01T00:00:00Z',
    '2024-03-10T09:59:59.999999Z',
    '2024-11-03T08:59:59.999500Z',
    '1969-12-31T23:59:59.5Z',
    '1969-07-20T20:17:40.123456Z',
    '2024-10-27T00:59:59.000999Z',
  ];
  return Array.from({ length: count }, (_, i) => ({
    transactionId: firstId + i * 7919,
    type: ['call', 'post_call_event', 'signal', 'sale'][i % 4]!,
    corrects: i % 3 === 0 ? firstId + i : null,
    correctedAt: i % 3 === 0 ? instants[(i + 4) % instants.length]! : null,
    startTime: instants[i % instants.length]!,
    duration: i % 5 === 0 ? null : (i * 37) % 4000,
    text: ODD_TEXTS[i % ODD_TEXTS.length]!,
    payin: AMOUNTS[i % AMOUNTS.length]!,
    payout: AMOUNTS[(i * 3 + 1) % AMOUNTS.length]!,
    revenue: AMOUNTS[(i * 7 + 2) % AMOUNTS.length]!,
    status: STATUSES[i % STATUSES.length]!,
    occurredAt: i % 2 === 0 ? instants[(i + 2) % instants.length]! : null,
    signalValue: i % 3 === 0 ? null : i % 3 === 1,
  }));
}

async function insertRows(accountId: number, rows: readonly OddRow[]): Promise<void> {
  const col = <T>(pick: (r: OddRow) => T) => rows.map(pick);
  await sql`
    insert into call_transactions (account_id, transaction_id, transaction_type, call_id, complete_call_id,
      corrects_transaction_id, corrected_at, start_time, duration_s, connect_duration_s, calling_phone_number,
      destination_phone_number, call_status, payin, payout, recording_url, notes, partner_unique_id, occurred_at,
      revenue, signal_name, signal_value)
    select ${accountId}, v.id, v.type, v.id, md5(v.id::text)::uuid, v.corrects, v.corrected_at, v.start_time,
      v.duration, v.duration, coalesce(v.text, '+15550001111'), '+1' || v.id, v.status, v.payin, v.payout, v.text,
      v.text, v.text, v.occurred_at, v.revenue, v.text, v.signal_value
    from unnest(${col((r) => r.transactionId)}::bigint[], ${col((r) => r.type)}::text[],
      ${col((r) => r.corrects)}::bigint[], ${col((r) => r.correctedAt)}::timestamptz[],
      ${col((r) => r.startTime)}::timestamptz[], ${col((r) => r.duration)}::int[], ${col((r) => r.text)}::text[],
      ${col((r) => r.payin)}::numeric[], ${col((r) => r.payout)}::numeric[], ${col((r) => r.revenue)}::numeric[],
      ${col((r) => r.status)}::text[], ${col((r) => r.occurredAt)}::timestamptz[], ${col((r) => r.signalValue)}::boolean[])
      as v(id, type, corrects, corrected_at, start_time, duration, text, payin, payout, revenue, status, occurred_at, signal_value)
  `.execute(ctx.db);
}

const CSV_OPTIONS: CsvOptions[] = [
  DEFAULT_CSV,
  { separator: ';', rowSeparator: '\r\n', header: true, forceQuotes: false },
  { separator: '\t', rowSeparator: '\n', header: false, forceQuotes: false },
  { separator: ' ', rowSeparator: '\n', header: true, forceQuotes: false },
  { separator: '0', rowSeparator: '\n', header: true, forceQuotes: false },
  { separator: ':', rowSeparator: '\n', header: true, forceQuotes: false },
  { separator: '|', rowSeparator: '\r\n', header: true, forceQuotes: true },
  { separator: '_', rowSeparator: '\n', header: true, forceQuotes: false },
];

/** Custom data and signal columns (and names no row has, in another case, like a number, JavaScript's own). */
const CUSTOM_COLUMNS = [
  'gclid',
  'Purchase',
  '42',
  'GCLID',
  'odd name',
  'amount',
  'obj',
  'missing',
  '__proto__',
];

const COLUMN_SETS: string[][] = [
  defaultColumns('rollup'),
  defaultColumns('legacy'),
  STANDARD_COLUMNS.filter((c) => c !== 'custom_data').reverse(),
  ['notes', 'margin_localized', 'start_time_network_timezone_xml', 'signal_value', 'corrected_at'],
  ['transaction_id', 'custom_data', ...CUSTOM_COLUMNS, 'notes', 'start_time_utc', 'signal_occurred_at'],
  [...STANDARD_COLUMNS, ...CUSTOM_COLUMNS],
];

const ZONES: [string, string][] = [
  ['America/Los_Angeles', 'America/Los_Angeles'],
  ['Asia/Kolkata', 'America/St_Johns'],
  ['Australia/Eucla', 'Pacific/Chatham'],
  ['Europe/London', 'UTC'],
];

/** Custom data on a third of the rows: every kind of value, null ones (left out of custom_data), odd text. */
function customData(i: number): Record<string, unknown> | null {
  if (i % 3 !== 0) return null;
  const text = ODD_TEXTS[(i / 3) % ODD_TEXTS.length];
  return {
    gclid: { value: text, data_type: 'shortText', source: 'Api' },
    Purchase: { value: i % 2 === 0, data_type: 'signal', source: 'AI' },
    '42': { value: i % 9 === 0 ? null : 'forty-two', data_type: 'category', source: 'Import' },
    'odd name': { value: `<${text ?? ''}>`, data_type: 'longText', source: 'Api' },
    amount: { value: i * 1.25 - 40, data_type: 'number', source: 'Api' },
    obj: { value: { nested: [1, 'two', null, { three: text }] }, data_type: 'shortText', source: 'Api' },
  };
}

function written(format: FeedFormat, csv: CsvOptions, view: FeedView, rows: readonly FeedPageRow[]) {
  return format === 'json'
    ? renderJson(view, rows)
    : format === 'csv'
      ? renderCsv(view, rows, csv)
      : renderXml(view, rows);
}

/** The page's bytes as the route sends them: written row by row into a PageBuffer. */
function writtenBytes(format: FeedFormat, csv: CsvOptions, view: FeedView, rows: readonly FeedPageRow[]) {
  const page = PageBuffer.take();
  const writer = pageWriter(format, view, csv, page);
  for (const row of rows) writer.row(row);
  writer.end();
  const bytes = Buffer.from(page.bytes());
  page.release();
  return bytes;
}

function reference(
  format: FeedFormat,
  csv: CsvOptions,
  view: ReturnType<typeof referenceView>,
  rows: readonly WholeFeedRow[],
) {
  return format === 'json'
    ? referenceJson(view, rows)
    : format === 'csv'
      ? referenceCsv(view, rows, csv)
      : referenceXml(view, rows);
}

const ALL: FeedRequest = {
  afterTransactionId: 0,
  limit: 4000,
  types: undefined,
  transactionId: undefined,
  completeCallId: undefined,
  fromDate: undefined,
  toDate: undefined,
  includeColumns: undefined,
  excludeColumns: undefined,
};

describe('a feed page, read as arrays and written without objects', () => {
  it('is byte for byte what whole rows gave before, in every format, column set and timezone, odd values included', async () => {
    const { account } = await createAccount(ctx, {
      name: 'Odd',
      timezone: 'America/New_York',
      currency: 'USD',
    });
    const odd = oddRows(230, 1).concat(oddRows(2, 9_007_199_254_730_000));
    await insertRows(account.id, odd);
    for (const [i, r] of odd.entries()) {
      const data = customData(i);
      if (data)
        await sql`update call_transactions set custom_data = ${JSON.stringify(data)}::jsonb
          where account_id = ${account.id} and transaction_id = ${r.transactionId}`.execute(ctx.db);
    }
    const page = { afterTransactionId: 0, limit: 4000 };
    const database = ctx.database;
    const fast = await readFeedPage(ctx.db, account.id, page, { customData: true, database });
    const narrow = await readFeedPage(ctx.db, account.id, page, { customData: false, database });
    // Inside a transaction the same SQL runs through it (rows made arrays from the driver's objects).
    const inTransaction = await ctx.db
      .transaction()
      .execute((trx) => readFeedPage(trx, account.id, page, { customData: true, database }));
    // The whole rows, as the feed read them before: every column of the table, one call at a time.
    const whole: WholeFeedRow[] = (
      await Promise.all(
        [...new Set(odd.map((r) => r.transactionId))].map((id) => callRows(ctx.db, account.id, id)),
      )
    )
      .flat()
      .sort((a, b) => a.transaction_id - b.transaction_id);
    // Row by row as the route reads them (on PostgreSQL through COPY … TO STDOUT): the same values.
    const streamed: FeedPageRow[] = [];
    const count = await eachFeedPageRow(ctx.db, account.id, page, { customData: true, database }, (row) =>
      streamed.push(row),
    );
    const streamedNarrow: FeedPageRow[] = [];
    await eachFeedPageRow(ctx.db, account.id, page, { customData: false, database }, (row) =>
      streamedNarrow.push(row),
    );
    const streamedInTransaction: FeedPageRow[] = [];
    await ctx.db
      .transaction()
      .execute((trx) =>
        eachFeedPageRow(trx, account.id, page, { customData: true, database }, (row) =>
          streamedInTransaction.push(row),
        ),
      );
    expect(count).toBe(232);
    expect(streamed).toEqual(fast);
    expect(streamedNarrow).toEqual(narrow);
    expect(streamedInTransaction).toEqual(fast);
    // A filtered page: parameters of every kind written into the COPY (dates, texts, numbers).
    const filtered = {
      afterTransactionId: 5,
      limit: 50,
      types: ['call', 'sale'] as const,
      from: new Date('1999-12-31T23:59:59Z'),
      before: new Date('2038-01-19T03:14:09Z'),
    };
    const filteredRows: FeedPageRow[] = [];
    await eachFeedPageRow(ctx.db, account.id, filtered, { customData: true, database }, (row) =>
      filteredRows.push(row),
    );
    expect(filteredRows.length).toBeGreaterThan(10);
    expect(filteredRows).toEqual(
      await readFeedPage(ctx.db, account.id, filtered, { customData: true, database }),
    );
    // A row handler that throws: its error, after the read has ended; the connections serve the next read.
    let handed = 0;
    await expect(
      eachFeedPageRow(ctx.db, account.id, page, { customData: true, database }, () => {
        if (++handed === 3) throw new Error('the writer failed');
      }),
    ).rejects.toThrow('the writer failed');
    expect(handed).toBe(3);
    for (let i = 0; i < 25; i++) {
      const again: FeedPageRow[] = [];
      await eachFeedPageRow(ctx.db, account.id, page, { customData: false, database }, (row) =>
        again.push(row),
      );
      expect(again).toEqual(narrow);
    }
    expect(whole).toHaveLength(232);
    expect(fast).toEqual(whole.map(feedPageRowOf));
    expect(inTransaction).toEqual(fast);
    expect(narrow).toEqual(whole.map((r) => feedPageRowOf({ ...r, custom_data: null })));
    expect(whole.filter((r) => r.custom_data !== null).length).toBeGreaterThan(70);
    // Instants with microseconds are cut to the millisecond below, as Date was: 1969-12-31T23:59:59.5Z.
    expect(fast.map((r) => r[5])).toContain(-500);

    let compared = 0;
    for (const [keyZone, networkZone] of ZONES) {
      for (const columns of COLUMN_SETS) {
        const view = new FeedView(keyZone, networkZone, columns);
        const before = referenceView(keyZone, networkZone, columns);
        const standard = columns.every((c) => STANDARD_COLUMNS.includes(c as never) && c !== 'custom_data');
        for (const format of ['json', 'csv', 'xml'] as FeedFormat[]) {
          for (const csv of format === 'csv' ? CSV_OPTIONS : [DEFAULT_CSV]) {
            const expected = reference(format, csv, before, whole);
            const label = `${format} ${columns.join(',')} ${keyZone}`;
            expect(written(format, csv, view, fast), label).toBe(expected);
            // The bytes sent: the UTF-8 of the reference's text.
            expect(writtenBytes(format, csv, view, fast).equals(Buffer.from(expected)), label).toBe(true);
            if (standard) expect(written(format, csv, view, narrow), label).toBe(expected);
            compared++;
          }
        }
      }
    }
    expect(compared).toBe(ZONES.length * COLUMN_SETS.length * (2 + CSV_OPTIONS.length));

    // The use case the route calls: the driver's arrays outside a transaction, in the key's timezone (a key
    // made when the account was in another) and the account's.
    const principal = { accountId: account.id, keyTimezone: 'Asia/Kolkata' };
    for (const includeColumns of [undefined, ['transaction_id', 'custom_data', ...CUSTOM_COLUMNS]]) {
      const { rows, view } = await readFeed(ctx, principal, account.id, { ...ALL, includeColumns });
      const before = referenceView(principal.keyTimezone, 'America/New_York', view.columns);
      expect(renderJson(view, rows)).toBe(referenceJson(before, whole));
      expect(renderXml(view, rows)).toBe(referenceXml(before, whole));
      expect(renderCsv(view, rows, DEFAULT_CSV)).toBe(referenceCsv(before, whole, DEFAULT_CSV));
    }
  });
});
