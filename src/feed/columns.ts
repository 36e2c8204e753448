// The feed's columns (document 000, with the names and types of the public call-tracking Transactions API
// where they apply) and how a stored row becomes their values. Pure: no I/O.
import { plainMillionths, subtractAmounts } from '../money/micros.ts';
import { FEED_ROW as F, type FeedPageRow } from './repo.ts';
import { assert } from '../shared/errors.ts';
import type { CustomDataValue } from './fold.ts';
import { ZoneTime } from './zone-time.ts';

/** Transaction ids on the wire: 16 digits, zero-padded, so they sort the same as text and as numbers. */
export const TRANSACTION_ID_DIGITS = 16;

export function formatTransactionId(id: number): string {
  return String(id).padStart(TRANSACTION_ID_DIGITS, '0');
}

/**
 * A call's complete_call_id on the wire: its GUID as 32 upper-case hex digits, no dashes (the documented
 * "up to 32 characters, 0-9A-Z and -"). The same form everywhere a call is named by it: the feed, webhook
 * payloads, the backend's call views, and the call_record_id= lookup.
 */
export function formatCompleteCallId(uuid: string): string {
  // The database writes a uuid as 8-4-4-4-12 lower-case digits: cut at the dashes rather than search.
  const hex = (
    uuid.length === 36 && uuid[8] === '-' && uuid[13] === '-' && uuid[18] === '-' && uuid[23] === '-'
      ? uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24)
      : uuid.replace(/-/g, '')
  ).toUpperCase();
  assert(isUpperHex32(hex), `complete_call_id ${uuid} is a GUID`);
  return hex;
}

/** Whether `text` is 32 characters of 0-9A-F (/^[0-9A-F]{32}$/), read a character at a time: a page checks thousands, and the regex costs more. */
function isUpperHex32(text: string): boolean {
  if (text.length !== 32) return false;
  for (let i = 0; i < 32; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/** A complete_call_id as given (32 hex digits, or the 36-character GUID form; any case) as the stored GUID; undefined if it is neither. */
export function parseCompleteCallId(text: string): string | undefined {
  const hex = text
    .trim()
    .replace(
      /^([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})$/,
      '$1$2$3$4$5',
    );
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Standard columns in their default order. custom_data is only sent when asked for (JSON and XML). */
export const STANDARD_COLUMNS = [
  'transaction_id',
  'transaction_type',
  'corrects_transaction_id',
  'corrected_at',
  'complete_call_id',
  'start_time_local',
  'start_time_xml',
  'start_time_utc',
  'start_time_network_timezone',
  'start_time_network_timezone_xml',
  'duration',
  'connect_duration',
  'calling_phone_number',
  'destination_phone_number',
  'call_result_description_detail',
  'advertiser_payin_localized',
  'affiliate_payout_localized',
  'margin_localized',
  'recording',
  'notes',
  'signal_partner_unique_id',
  'signal_occurred_at',
  'revenue',
  'signal_name',
  'signal_value',
  'custom_data',
] as const;
export type StandardColumn = (typeof STANDARD_COLUMNS)[number];

const STANDARD = new Set<string>(STANDARD_COLUMNS);
/** Columns of the old style only (a row per signal): left out of the default set of rollup accounts. */
const LEGACY_ONLY = new Set<string>(['signal_name', 'signal_value']);

export function isStandardColumn(name: string): name is StandardColumn {
  return STANDARD.has(name);
}

export function defaultColumns(style: 'rollup' | 'legacy'): string[] {
  return STANDARD_COLUMNS.filter((c) => c !== 'custom_data' && (style === 'legacy' || !LEGACY_ONLY.has(c)));
}

/** A Map, not an object: a status such as "constructor" is its own text, not Object's property. */
const CALL_RESULT = new Map<string, string>([
  ['completed', 'Connected'],
  ['missed', 'No Answer'],
  ['busy', 'Busy'],
  ['failed', 'Failed'],
]);

/** The wire name of a custom data type. */
export const DATA_TYPE_NAMES: Record<string, string> = {
  shortText: 'Short Text',
  longText: 'Long Text',
  category: 'Category',
  number: 'Number',
  signal: 'Signal',
};

/** An amount as the feed shows it: exact, at least two decimals, no trailing zeros beyond them. */
export function formatFeedAmount(value: string | null): string | null {
  if (value === null) return null;
  // Thousands of amounts a page: trailing zeros cut by looking at the end, not by split and a regex.
  const dot = value.indexOf('.');
  if (dot === -1) return `${value}.00`;
  if (value.indexOf('.', dot + 1) !== -1) {
    // Not a decimal (never from the database): what the first fraction says, as split('.') reads it.
    const [whole, fraction = ''] = value.split('.');
    return `${whole}.${fraction.replace(/0+$/, '').padEnd(2, '0')}`;
  }
  let end = value.length;
  while (end > dot + 3 && value.charCodeAt(end - 1) === 48 /* 0 */) end--;
  const decimals = end - dot - 1;
  const kept = end === value.length ? value : value.slice(0, end);
  return decimals >= 2 ? kept : decimals === 1 ? `${kept}0` : `${kept}00`;
}

// subtractAmounts (payin - payout) is money arithmetic: it lives in src/money/micros.ts.

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : String(n)));

/**
 * The margin column: formatFeedAmount(subtractAmounts(payin, payout)). Amounts as the database writes them
 * (plainMillionths) are subtracted as millionths and written as the feed writes amounts at once, without
 * the intermediate six-decimal text; any other text goes the long way.
 */
export function feedMargin(payin: string, payout: string): string {
  const a = plainMillionths(payin);
  const b = a === undefined ? undefined : plainMillionths(payout);
  if (a === undefined || b === undefined) return formatFeedAmount(subtractAmounts(payin, payout))!;
  const d = a - b;
  const abs = d < 0 ? -d : d;
  const fraction = abs % 1_000_000;
  const whole = (abs - fraction) / 1_000_000;
  let decimals: string;
  if (fraction % 10_000 === 0) decimals = TWO_DIGITS[fraction / 10_000]!;
  else {
    // Three to six decimals: the trailing zeros beyond the second cut.
    let digits = 6;
    let kept = fraction;
    while (kept % 10 === 0) {
      kept /= 10;
      digits--;
    }
    decimals = String(kept).padStart(digits, '0');
  }
  return `${d < 0 ? '-' : ''}${whole}.${decimals}`;
}

export interface NestedCustomData {
  name: string;
  partner_name: string;
  value: unknown;
  data_type: string;
  source: string;
}

function customDataOf(row: FeedPageRow): Record<string, CustomDataValue> | null {
  return (row[F.custom_data] as Record<string, CustomDataValue> | null) ?? null;
}

/** The nested custom_data of a row: one entry per field or signal with a value, by API name ("null values are not returned"). */
export function nestedCustomData(row: FeedPageRow): NestedCustomData[] {
  const data = customDataOf(row);
  if (!data) return [];
  const entries: NestedCustomData[] = [];
  for (const [name, v] of Object.entries(data)) {
    if (v.value === null || v.value === undefined) continue;
    entries.push({
      name,
      partner_name: name,
      value: v.value,
      data_type: DATA_TYPE_NAMES[v.data_type] ?? v.data_type,
      source: v.source,
    });
  }
  return entries;
}

/** A custom data or signal column's value: a signal is 1 or 0, other data its value; absent: null. */
function customColumnValue(row: FeedPageRow, name: string): unknown {
  const data = customDataOf(row);
  if (!data) return null;
  let entry = data[name];
  if (entry === undefined) {
    // API names and signal names match without regard to case.
    const lower = name.toLowerCase();
    const key = Object.keys(data).find((k) => k.toLowerCase() === lower);
    if (key === undefined) return null;
    entry = data[key]!;
  }
  if (entry.data_type === 'signal') return entry.value === true ? 1 : entry.value === false ? 0 : null;
  return entry.value ?? null;
}

/**
 * Standard columns whose values are null, numbers, or text of ASCII letters, digits, spaces and _ + - : . that
 * neither starts nor ends with a space: ids, times, durations, amounts, the transaction type. Nothing any
 * format escapes or quotes (but a CSV separator that is one of those characters), so the renderers skip
 * the checks (test/unit/feed-formats.test.ts holds the values to it).
 */
const PLAIN_COLUMNS = new Set<string>([
  'transaction_id',
  'transaction_type',
  'corrects_transaction_id',
  'corrected_at',
  'complete_call_id',
  'start_time_local',
  'start_time_xml',
  'start_time_utc',
  'start_time_network_timezone',
  'start_time_network_timezone_xml',
  'duration',
  'connect_duration',
  'advertiser_payin_localized',
  'affiliate_payout_localized',
  'margin_localized',
  'signal_occurred_at',
  'revenue',
]);

/** Turns stored rows into column values for one request (the key's timezone, the account's current one). */
export class FeedView {
  private readonly keyZone: ZoneTime;
  private readonly networkZone: ZoneTime;

  constructor(
    keyTimeZone: string,
    networkTimeZone: string,
    readonly columns: readonly string[],
  ) {
    this.keyZone = ZoneTime.of(keyTimeZone);
    this.networkZone = ZoneTime.of(networkTimeZone);
  }

  private readonly byColumn = new Map<string, (row: FeedPageRow) => unknown>();

  value(row: FeedPageRow, column: string): unknown {
    let read = this.byColumn.get(column);
    if (read === undefined) this.byColumn.set(column, (read = this.reader(column)));
    return read(row);
  }

  /** Whether the column's values are plain (see PLAIN_COLUMNS): nothing to escape or quote. */
  plain(column: string): boolean {
    return PLAIN_COLUMNS.has(column);
  }

  /** value() of each column, as one function per column (in `columns` order): the switch runs once per page. */
  readers(): ((row: FeedPageRow) => unknown)[] {
    return this.columns.map((column) => this.reader(column));
  }

  private reader(column: string): (row: FeedPageRow) => unknown {
    const keyZone = this.keyZone;
    const networkZone = this.networkZone;
    switch (column) {
      case 'transaction_id':
        return (row) => formatTransactionId(row[F.transaction_id]);
      case 'transaction_type':
        return (row) => row[F.transaction_type];
      case 'corrects_transaction_id':
        return (row) => {
          const id = row[F.corrects_transaction_id];
          return id === null ? null : formatTransactionId(id);
        };
      case 'corrected_at':
        return (row) => {
          const ms = row[F.corrected_at_ms];
          return ms === null ? null : keyZone.local(ms);
        };
      case 'complete_call_id':
        return (row) => formatCompleteCallId(row[F.complete_call_id]);
      case 'start_time_local':
        return (row) => keyZone.local(row[F.start_time_ms]);
      case 'start_time_xml':
        return (row) => keyZone.xml(row[F.start_time_ms]);
      case 'start_time_utc':
        return (row) => row[F.start_time_ms];
      case 'start_time_network_timezone':
        return (row) => networkZone.local(row[F.start_time_ms]);
      case 'start_time_network_timezone_xml':
        return (row) => networkZone.xml(row[F.start_time_ms]);
      case 'duration':
        return (row) => row[F.duration_s];
      case 'connect_duration':
        return (row) => row[F.connect_duration_s];
      case 'calling_phone_number':
        return (row) => row[F.calling_phone_number];
      case 'destination_phone_number':
        return (row) => row[F.destination_phone_number];
      case 'call_result_description_detail':
        return (row) => {
          const status = row[F.call_status];
          return CALL_RESULT.get(status) ?? status;
        };
      case 'advertiser_payin_localized':
        return (row) => formatFeedAmount(row[F.payin]);
      case 'affiliate_payout_localized':
        return (row) => formatFeedAmount(row[F.payout]);
      case 'margin_localized':
        return (row) => {
          const payin = row[F.payin];
          return payin === null ? null : feedMargin(payin, row[F.payout] ?? '0');
        };
      case 'recording':
        return (row) => row[F.recording_url];
      case 'notes':
        return (row) => row[F.notes];
      case 'signal_partner_unique_id':
        return (row) => row[F.partner_unique_id];
      case 'signal_occurred_at':
        return (row) => {
          const ms = row[F.occurred_at_ms];
          return ms === null ? null : Math.floor(ms / 1000);
        };
      case 'revenue':
        return (row) => formatFeedAmount(row[F.revenue]);
      case 'signal_name':
        return (row) => row[F.signal_name];
      case 'signal_value':
        return (row) => row[F.signal_value];
      case 'custom_data':
        return (row) => nestedCustomData(row);
      default:
        return (row) => customColumnValue(row, column);
    }
  }
}
