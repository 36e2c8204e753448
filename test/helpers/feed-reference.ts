// The feed's columns and formats as they were written before pages were read as arrays and written
// without objects (issue 15, item 3): the reference the fast path must match byte for byte. Whole rows as
// the driver gives them (Date objects for instants), each value read column by column, JSON.stringify of
// each row's object, CSV and XML cell by cell. Slow and plain on purpose; no code of src/feed or
// src/http/feed is used but the custom data entry type and xmlAttribute (checked on its own).
import type { CallTransactionRow } from '../../src/db/schema-feed.ts';
import { FEED_ROW, type FeedPageRow } from '../../src/feed/repo.ts';
import { subtractAmounts } from '../../src/money/micros.ts';
import { type CsvOptions, xmlAttribute } from '../../src/http/feed/formats.ts';
import { LocalClock } from '../../src/rating/bands.ts';

/** A whole row as the driver reads it (what the feed's columns look at). */
export type WholeFeedRow = Omit<CallTransactionRow, 'account_id' | 'call_id' | 'created_at'>;

/** A whole row as the page's array (what readFeedPage returns): instants as Date.getTime(). */
export function feedPageRowOf(row: WholeFeedRow): FeedPageRow {
  const values: unknown[] = [];
  values[FEED_ROW.transaction_id] = row.transaction_id;
  values[FEED_ROW.transaction_type] = row.transaction_type;
  values[FEED_ROW.corrects_transaction_id] = row.corrects_transaction_id;
  values[FEED_ROW.corrected_at_ms] = row.corrected_at === null ? null : row.corrected_at.getTime();
  values[FEED_ROW.complete_call_id] = row.complete_call_id;
  values[FEED_ROW.start_time_ms] = row.start_time.getTime();
  values[FEED_ROW.duration_s] = row.duration_s;
  values[FEED_ROW.connect_duration_s] = row.connect_duration_s;
  values[FEED_ROW.calling_phone_number] = row.calling_phone_number;
  values[FEED_ROW.destination_phone_number] = row.destination_phone_number;
  values[FEED_ROW.call_status] = row.call_status;
  values[FEED_ROW.payin] = row.payin;
  values[FEED_ROW.payout] = row.payout;
  values[FEED_ROW.recording_url] = row.recording_url;
  values[FEED_ROW.notes] = row.notes;
  values[FEED_ROW.partner_unique_id] = row.partner_unique_id;
  values[FEED_ROW.occurred_at_ms] = row.occurred_at === null ? null : row.occurred_at.getTime();
  values[FEED_ROW.revenue] = row.revenue;
  values[FEED_ROW.signal_name] = row.signal_name;
  values[FEED_ROW.signal_value] = row.signal_value;
  values[FEED_ROW.custom_data] = row.custom_data;
  return values as unknown as FeedPageRow;
}

// ---- values

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

function wallClock(ms: number, separator: string): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const y = year >= 0 && year < 10_000 ? String(year).padStart(4, '0') : String(year);
  return `${y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}${separator}${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** Zone times as they were: a Date per instant, its UTC fields after adding the offset. */
export class ReferenceZoneTime {
  private readonly clock: LocalClock;
  constructor(timeZone: string) {
    this.clock = new LocalClock(timeZone);
  }
  local(ms: number): string {
    const offset = this.clock.offsetMs(ms) / 60_000;
    return `${wallClock(ms + offset * 60_000, ' ')} ${offsetText(offset)}`;
  }
  xml(ms: number): string {
    const offset = this.clock.offsetMs(ms) / 60_000;
    return `${wallClock(ms + offset * 60_000, 'T')}${offsetText(offset)}`;
  }
}

export function referenceAmount(value: string | null): string | null {
  if (value === null) return null;
  const [whole, fraction = ''] = value.split('.');
  return `${whole}.${fraction.replace(/0+$/, '').padEnd(2, '0')}`;
}

export function referenceCompleteCallId(uuid: string): string {
  return uuid.replace(/-/g, '').toUpperCase();
}

const CALL_RESULT = new Map([
  ['completed', 'Connected'],
  ['missed', 'No Answer'],
  ['busy', 'Busy'],
  ['failed', 'Failed'],
]);
const DATA_TYPE_NAMES: Record<string, string> = {
  shortText: 'Short Text',
  longText: 'Long Text',
  category: 'Category',
  number: 'Number',
  signal: 'Signal',
};

interface Entry {
  value: unknown;
  data_type: string;
  source: string;
}

function nested(row: WholeFeedRow) {
  const data = row.custom_data as Record<string, Entry> | null;
  if (!data) return [];
  return Object.entries(data)
    .filter(([, v]) => v.value !== null && v.value !== undefined)
    .map(([name, v]) => ({
      name,
      partner_name: name,
      value: v.value,
      data_type: DATA_TYPE_NAMES[v.data_type] ?? v.data_type,
      source: v.source,
    }));
}

function customColumn(row: WholeFeedRow, name: string): unknown {
  const data = row.custom_data as Record<string, Entry> | null;
  if (!data) return null;
  let entry = data[name];
  if (entry === undefined) {
    const key = Object.keys(data).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key === undefined) return null;
    entry = data[key]!;
  }
  if (entry.data_type === 'signal') return entry.value === true ? 1 : entry.value === false ? 0 : null;
  return entry.value ?? null;
}

const id16 = (id: number) => String(id).padStart(16, '0');

/** A column's value in a whole row, in the key's and the network's timezones. */
export function referenceValue(
  row: WholeFeedRow,
  column: string,
  keyZone: ReferenceZoneTime,
  networkZone: ReferenceZoneTime,
): unknown {
  const start = row.start_time.getTime();
  switch (column) {
    case 'transaction_id':
      return id16(row.transaction_id);
    case 'transaction_type':
      return row.transaction_type;
    case 'corrects_transaction_id':
      return row.corrects_transaction_id === null ? null : id16(row.corrects_transaction_id);
    case 'corrected_at':
      return row.corrected_at === null ? null : keyZone.local(row.corrected_at.getTime());
    case 'complete_call_id':
      return referenceCompleteCallId(row.complete_call_id);
    case 'start_time_local':
      return keyZone.local(start);
    case 'start_time_xml':
      return keyZone.xml(start);
    case 'start_time_utc':
      return start;
    case 'start_time_network_timezone':
      return networkZone.local(start);
    case 'start_time_network_timezone_xml':
      return networkZone.xml(start);
    case 'duration':
      return row.duration_s;
    case 'connect_duration':
      return row.connect_duration_s;
    case 'calling_phone_number':
      return row.calling_phone_number;
    case 'destination_phone_number':
      return row.destination_phone_number;
    case 'call_result_description_detail':
      return CALL_RESULT.get(row.call_status) ?? row.call_status;
    case 'advertiser_payin_localized':
      return referenceAmount(row.payin);
    case 'affiliate_payout_localized':
      return referenceAmount(row.payout);
    case 'margin_localized':
      return row.payin === null ? null : referenceAmount(subtractAmounts(row.payin, row.payout ?? '0'));
    case 'recording':
      return row.recording_url;
    case 'notes':
      return row.notes;
    case 'signal_partner_unique_id':
      return row.partner_unique_id;
    case 'signal_occurred_at':
      return row.occurred_at === null ? null : Math.floor(row.occurred_at.getTime() / 1000);
    case 'revenue':
      return referenceAmount(row.revenue);
    case 'signal_name':
      return row.signal_name;
    case 'signal_value':
      return row.signal_value;
    case 'custom_data':
      return nested(row);
    default:
      return customColumn(row, column);
  }
}

/** What reads a whole row's columns: the key's timezone, the account's. */
export interface ReferenceView {
  columns: readonly string[];
  value(row: WholeFeedRow, column: string): unknown;
}

export function referenceView(
  keyTimeZone: string,
  networkTimeZone: string,
  columns: readonly string[],
): ReferenceView {
  const keyZone = new ReferenceZoneTime(keyTimeZone);
  const networkZone = new ReferenceZoneTime(networkTimeZone);
  return { columns, value: (row, column) => referenceValue(row, column, keyZone, networkZone) };
}

// ---- formats

/** Any reader of rows' columns: the reference view, or the feed's own FeedView. */
export interface AnyView<Row> {
  readonly columns: readonly string[];
  value(row: Row, column: string): unknown;
}

export function referenceJson<Row>(view: AnyView<Row>, rows: readonly Row[]): string {
  return JSON.stringify(
    rows.map((row) => {
      const record: Record<string, unknown> = {};
      for (const column of view.columns) record[column] = view.value(row, column);
      return record;
    }),
  );
}

const scalar = (v: unknown) =>
  v === null || v === undefined
    ? ''
    : typeof v === 'string'
      ? v
      : typeof v === 'number' || typeof v === 'boolean'
        ? String(v)
        : JSON.stringify(v);

const field = (v: unknown, o: CsvOptions) => {
  const t = scalar(v);
  const q =
    o.forceQuotes ||
    t.includes(o.separator) ||
    t.includes('"') ||
    t.includes('\n') ||
    t.includes('\r') ||
    /^\s|\s$/.test(t);
  return q ? `"${t.replace(/"/g, '""')}"` : t;
};

export function referenceCsv<Row>(view: AnyView<Row>, rows: readonly Row[], o: CsvOptions): string {
  const cols = view.columns.filter((c) => c !== 'custom_data');
  const lines: string[] = [];
  if (o.header) lines.push(cols.map((c) => field(c, o)).join(o.separator));
  for (const r of rows) lines.push(cols.map((c) => field(view.value(r, c), o)).join(o.separator));
  return lines.length === 0 ? '' : lines.join(o.rowSeparator) + o.rowSeparator;
}

const xmlEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#13;',
};
// eslint-disable-next-line no-control-regex
const forbidden = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const text = (v: string) => v.replace(forbidden, '\uFFFD').replace(/[&<>"'\r]/g, (c) => xmlEscapes[c]!);

function element(name: string, v: unknown): string {
  const open = /^[A-Za-z_][A-Za-z0-9_.-]{0,199}$/.test(name) && !/^xml/i.test(name) ? name : undefined;
  const body = Array.isArray(v)
    ? (v as Record<string, unknown>[])
        .map(
          (d) =>
            `<field>${element('name', d.name)}${element('partner_name', d.partner_name)}${element('value', d.value)}${element('data_type', d.data_type)}${element('source', d.source)}</field>`,
        )
        .join('')
    : text(scalar(v));
  if (open) return body === '' ? `<${open}/>` : `<${open}>${body}</${open}>`;
  return body === ''
    ? `<column name="${xmlAttribute(name)}"/>`
    : `<column name="${xmlAttribute(name)}">${body}</column>`;
}

export function referenceXml<Row>(view: AnyView<Row>, rows: readonly Row[]): string {
  return ['<?xml version="1.0" encoding="UTF-8"?>\n<Transactions>']
    .concat(
      rows.map(
        (r) => `<Transaction>${view.columns.map((c) => element(c, view.value(r, c))).join('')}</Transaction>`,
      ),
    )
    .concat(['</Transactions>\n'])
    .join('\n');
}
