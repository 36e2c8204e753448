// The feed page the database writes (feed/page-text-repo.ts, wrapped by http/feed/page.ts) is byte for byte
// what the renderers (http/feed/formats.ts) write from the same rows read as objects: every format, CSV's
// options, several column sets and timezones, and rows with odd values (NULLs, quotes, separators, line
// breaks, control characters, unicode, white space at the ends, big and negative amounts, 16-digit ids).
// Rows the database could write otherwise (a fraction of a second, local mean time, a call status named like
// a property of Object.prototype) are flagged, and the page the feed answers with is still the renderers'.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/api-keys/create-account.ts';
import { createCtx, type Ctx } from '../../src/context.ts';
import { defaultColumns, FeedView, STANDARD_COLUMNS } from '../../src/feed/columns.ts';
import { type FeedTextFormat, readFeedPageText } from '../../src/feed/page-text-repo.ts';
import type { FeedRequest } from '../../src/feed/read-feed.ts';
import { readFeedPage } from '../../src/feed/repo.ts';
import {
  type CsvOptions,
  DEFAULT_CSV,
  type FeedFormat,
  renderCsv,
  renderJson,
  renderXml,
} from '../../src/http/feed/formats.ts';
import { renderFeedPage, textBody } from '../../src/http/feed/page.ts';
import { REACTIONS } from '../../src/reactions.ts';
import { createTestDatabase, type TestDatabase, testDbKind } from '../helpers/db.ts';

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
];

function textFormat(format: FeedFormat, csv: CsvOptions): FeedTextFormat {
  return format === 'csv'
    ? { kind: 'csv', separator: csv.separator, rowSeparator: csv.rowSeparator, forceQuotes: csv.forceQuotes }
    : { kind: format };
}

const COLUMN_SETS: string[][] = [
  defaultColumns('rollup'),
  defaultColumns('legacy'),
  STANDARD_COLUMNS.filter((c) => c !== 'custom_data').reverse(),
  ['transaction_id'],
  ['notes', 'margin_localized', 'start_time_network_timezone_xml', 'signal_value', 'corrected_at'],
  [],
];

const ZONES: [string, string][] = [
  ['America/Los_Angeles', 'America/Los_Angeles'],
  ['Asia/Kolkata', 'America/St_Johns'],
  ['Australia/Eucla', 'Europe/London'],
  ['UTC', 'Pacific/Chatham'],
];

function rendered(
  format: FeedFormat,
  csv: CsvOptions,
  view: FeedView,
  rows: Awaited<ReturnType<typeof readFeedPage>>,
) {
  return format === 'json'
    ? renderJson(view, rows)
    : format === 'csv'
      ? renderCsv(view, rows, csv)
      : renderXml(view, rows);
}

describe('the feed page the database writes', () => {
  it('is byte for byte the renderers’ page, in every format, column set and timezone, odd values included', async () => {
    const { account } = await createAccount(ctx, { name: 'Odd', timezone: 'UTC', currency: 'USD' });
    const rows = oddRows(230, 1);
    await insertRows(account.id, rows);
    // A 16-digit transaction id (the widest a safe integer has).
    await insertRows(account.id, oddRows(2, 9_007_199_254_730_000));
    let compared = 0;
    for (const [z, [keyZone, networkZone]] of ZONES.entries()) {
      // Every column set in the first zones; the sets with every time column in the others.
      for (const columns of z === 0 ? COLUMN_SETS : COLUMN_SETS.slice(1, 3)) {
        for (const format of ['json', 'csv', 'xml'] as FeedFormat[]) {
          for (const csv of format === 'csv' ? CSV_OPTIONS : [DEFAULT_CSV]) {
            for (const [after, limit] of [
              [0, 4000],
              [Number.MAX_SAFE_INTEGER, 10],
            ] as const) {
              const query = { afterTransactionId: after, limit };
              const view = new FeedView(keyZone, networkZone, columns);
              const expected = rendered(format, csv, view, await readFeedPage(ctx.db, account.id, query));
              const page = await readFeedPageText(ctx.db, account.id, query, {
                format: textFormat(format, csv),
                columns: columns as never,
                keyZone,
                networkZone,
              });
              expect(page.exact).toBe(true);
              for (const [zone, offsets] of [
                [view.keyZoneTime, page.keyOffsets],
                [view.networkZoneTime, page.networkOffsets],
              ] as const) {
                for (const entry of offsets) {
                  const [bucket, seconds] = entry.split(':').map(Number);
                  expect(zone.offsetMinutes(bucket! * 900_000) * 60, `${zone.timeZone} ${entry}`).toBe(
                    seconds,
                  );
                }
              }
              const body = textBody(format, csv, { text: page.rows, count: page.count, columns });
              expect(body, `${format} ${JSON.stringify(csv)} ${columns.join(',')} ${keyZone}`).toBe(expected);
              compared++;
            }
          }
        }
      }
    }
    expect(compared).toBe((COLUMN_SETS.length + (ZONES.length - 1) * 2) * (2 + CSV_OPTIONS.length) * 2);
  }, 300_000);

  it('flags rows it could write otherwise, and the feed then answers with the renderers’ page', async () => {
    const { account } = await createAccount(ctx, {
      name: 'Odder',
      timezone: 'America/Los_Angeles',
      currency: 'USD',
    });
    const base = oddRows(4, 1).map((r) => ({ ...r, text: 'x', status: 'completed' }));
    const cases: { name: string; row: OddRow; keyZone?: string }[] = [
      { name: 'a fraction of a second', row: { ...base[0]!, startTime: '2024-05-01T10:00:00.57Z' } },
      { name: 'a call status named like toString', row: { ...base[1]!, status: 'toString' } },
      { name: 'an instant before 1900', row: { ...base[2]!, startTime: '1850-06-01T12:00:00Z' } },
      {
        name: 'local mean time (offsets of seconds)',
        row: { ...base[3]!, startTime: '1905-06-01T12:00:00Z' },
        keyZone: 'Africa/Monrovia',
      },
    ];
    const columns = defaultColumns('rollup');
    for (const [i, c] of cases.entries()) {
      const row = { ...c.row, transactionId: 1000 * (i + 1) };
      await insertRows(account.id, [row]);
      const query = { afterTransactionId: row.transactionId - 1, limit: 1 };
      const keyZone = c.keyZone ?? 'America/Los_Angeles';
      const page = await readFeedPageText(ctx.db, account.id, query, {
        format: { kind: 'json' },
        columns: columns as never,
        keyZone,
        networkZone: 'America/Los_Angeles',
      });
      const view = new FeedView(keyZone, 'America/Los_Angeles', columns);
      const disagrees = page.keyOffsets.some((entry) => {
        const [bucket, seconds] = entry.split(':').map(Number);
        return view.keyZoneTime.offsetMinutes(bucket! * 900_000) * 60 !== seconds;
      });
      expect(!page.exact || disagrees, c.name).toBe(true);

      const request: FeedRequest = {
        afterTransactionId: query.afterTransactionId,
        limit: 1,
        types: undefined,
        transactionId: undefined,
        completeCallId: undefined,
        fromDate: undefined,
        toDate: undefined,
        includeColumns: undefined,
        excludeColumns: undefined,
      };
      const principal = { accountId: account.id, keyTimezone: keyZone };
      for (const format of ['json', 'csv', 'xml'] as FeedFormat[]) {
        const { body, count } = await renderFeedPage(
          ctx,
          principal,
          account.id,
          request,
          format,
          DEFAULT_CSV,
        );
        expect(count).toBe(1);
        expect(body, c.name).toBe(
          rendered(format, DEFAULT_CSV, view, await readFeedPage(ctx.db, account.id, query)),
        );
      }
    }
  });

  it(`answers through the domain with the same bytes (${testDbKind()})`, async () => {
    const { account } = await createAccount(ctx, {
      name: 'Through',
      timezone: 'Asia/Kolkata',
      currency: 'USD',
    });
    await insertRows(account.id, oddRows(97, 5));
    const principal = { accountId: account.id, keyTimezone: 'America/New_York' };
    for (const includeColumns of [undefined, ['$invoca_default_columns', 'signal_name'], ['custom_data']]) {
      const request: FeedRequest = {
        afterTransactionId: 0,
        limit: 4000,
        types: undefined,
        transactionId: undefined,
        completeCallId: undefined,
        fromDate: undefined,
        toDate: undefined,
        includeColumns,
        excludeColumns: undefined,
      };
      const columns =
        includeColumns === undefined
          ? defaultColumns('rollup')
          : includeColumns.flatMap((c) => (c.startsWith('$') ? defaultColumns('rollup') : [c]));
      const view = new FeedView('America/New_York', 'Asia/Kolkata', columns);
      const rows = await readFeedPage(ctx.db, account.id, { afterTransactionId: 0, limit: 4000 });
      for (const format of ['json', 'csv', 'xml'] as FeedFormat[]) {
        for (const csv of format === 'csv' ? CSV_OPTIONS : [DEFAULT_CSV]) {
          const { body, count } = await renderFeedPage(ctx, principal, account.id, request, format, csv);
          expect(count).toBe(97);
          expect(body).toBe(rendered(format, csv, view, rows));
        }
      }
    }
  });
});
