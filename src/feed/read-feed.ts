// Reading the call transactions feed (document 000): one page of rows after start_after_transaction_id, in
// transaction id order, in JSON, CSV or XML, with times in the API key's timezone.
import type { Ctx } from '../context.ts';
import { findAccount } from '../accounts/repo.ts';
import type { FeedTransactionType } from './repo.ts';
import { addDays, isIsoDate, startOfDayInZone } from '../shared/dates.ts';
import { DomainError, invalid } from '../shared/errors.ts';
import { defaultColumns, FeedView, parseCompleteCallId } from './columns.ts';
import { CONTENT_TYPES, type CsvOptions, DEFAULT_CSV, type FeedFormat, renderCsv, renderJson, renderXml } from './formats.ts';
import { listCustomDataFields, readFeedPage } from './repo.ts';

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 4000;
/** Bounds on include_columns / exclude_columns. */
const MAX_COLUMNS = 1000;
const MAX_COLUMN_NAME = 255;

export type RawQuery = Record<string, string | string[] | undefined>;

export interface FeedRequest {
  /** The account id of the path. */
  accountId: number;
  format: FeedFormat;
  query: RawQuery;
}

export interface FeedPrincipal {
  accountId: number;
  keyTimezone: string;
}

export interface FeedPage {
  contentType: string;
  body: string;
  rows: number;
  lastTransactionId: number | undefined;
}

const TYPE_WORDS: Record<string, FeedTransactionType> = {
  call: 'call',
  post_call_event: 'post_call_event',
  postcallevent: 'post_call_event',
  signal: 'signal',
  sale: 'sale',
  reported_conversion: 'sale',
  reportedconversion: 'sale',
};

/** One value of a parameter that may be given once. */
function single(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) {
    if (value.length > 1) throw invalid(name, 'give it once');
    return value[0];
  }
  return value;
}

/** Every value of a parameter that may be repeated (name=a&name=b, name[]=a) or comma-separated. */
function many(query: RawQuery, name: string): string[] | undefined {
  const values = [query[name], query[`${name}[]`]].flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));
  if (values.length === 0) return undefined;
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

export function parseAfter(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 0;
  const text = value.trim();
  if (!/^\d{1,19}$/.test(text)) throw invalid('start_after_transaction_id', 'must be a transaction_id from the feed (digits), or empty to start at the oldest');
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw invalid('start_after_transaction_id', 'is beyond any transaction_id');
  return n;
}

/** transaction_id=: one row of the feed; undefined when not given (or empty). An id beyond any row finds none. */
export function parseTransactionIdFilter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (!/^\d{1,19}$/.test(text)) throw invalid('transaction_id', 'must be a transaction_id from the feed (digits)');
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/** call_record_id=: a call's complete_call_id (32 characters, or the GUID with dashes), as stored; undefined when not given. */
export function parseCallRecordId(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const id = parseCompleteCallId(value);
  if (id === undefined) throw invalid('call_record_id', 'must be a complete_call_id from the feed (32 characters, 0-9 and A-F)');
  return id;
}

export function parseLimit(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_LIMIT;
  const text = value.trim();
  if (!/^\d{1,12}$/.test(text)) throw invalid('limit', `must be a whole number from 1 to ${MAX_LIMIT}`);
  const n = Number(text);
  if (n > MAX_LIMIT) throw invalid('limit', `at most ${MAX_LIMIT} rows per request (got ${n})`);
  if (n < 1) throw invalid('limit', `must be a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}

export function parseTypes(values: string[] | undefined): FeedTransactionType[] | undefined {
  if (values === undefined) return undefined;
  const types = new Set<FeedTransactionType>();
  for (const value of values) {
    const type = TYPE_WORDS[value.toLowerCase().replace(/[\s-]+/g, '_').replace(/^_+|_+$/g, '')] ?? TYPE_WORDS[value.toLowerCase().replace(/[\s_-]+/g, '')];
    if (!type) throw invalid('transaction_type', `"${value.slice(0, 50)}" is not a transaction type (call, post_call_event, signal, sale)`);
    types.add(type);
  }
  if (types.size === 0) throw invalid('transaction_type', 'name at least one transaction type (call, post_call_event, signal, sale)');
  return [...types];
}

function parseColumnList(name: string, values: string[] | undefined): string[] | undefined {
  // `include_columns=` (no names) is the parameter not given: the default columns, not rows without fields.
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > MAX_COLUMNS) throw invalid(name, `at most ${MAX_COLUMNS} columns`);
  for (const v of values) {
    if (v.length > MAX_COLUMN_NAME) throw invalid(name, `a column name is at most ${MAX_COLUMN_NAME} characters`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(v)) throw invalid(name, 'column names cannot hold control characters');
  }
  return values;
}

function parseFlag(query: RawQuery, name: string, fallback: boolean): boolean {
  const value = single(query, name);
  if (value === undefined || value === '') return fallback;
  if (value === '1' || value.toLowerCase() === 'true') return true;
  if (value === '0' || value.toLowerCase() === 'false') return false;
  throw invalid(name, 'must be 1 or 0');
}

function parseCsvOptions(query: RawQuery): CsvOptions {
  const separator = single(query, 'column_separator');
  if (separator !== undefined && separator !== '') {
    if ([...separator].length !== 1 || /["\r\n]/.test(separator)) throw invalid('column_separator', 'must be one character other than a quote or a line break (e.g. , | or %09 for a tab)');
  }
  const rowSeparator = single(query, 'row_separator');
  if (rowSeparator !== undefined && rowSeparator !== '' && rowSeparator !== '\n' && rowSeparator !== '\r\n') {
    throw invalid('row_separator', 'must be %0A (line feed) or %0D%0A (carriage return and line feed)');
  }
  return {
    separator: separator || DEFAULT_CSV.separator,
    rowSeparator: rowSeparator || DEFAULT_CSV.rowSeparator,
    header: parseFlag(query, 'include_header', true),
    forceQuotes: parseFlag(query, 'force_quotes', false),
  };
}

function parseDates(query: RawQuery, timeZone: string): { from: Date | undefined; before: Date | undefined } {
  const from = single(query, 'from')?.trim() || undefined;
  const to = single(query, 'to')?.trim() || undefined;
  if (from !== undefined && !isIsoDate(from)) throw invalid('from', 'must be a date YYYY-MM-DD');
  if (to !== undefined && !isIsoDate(to)) throw invalid('to', 'must be a date YYYY-MM-DD');
  if (from !== undefined && to !== undefined && from > to) throw invalid('from', `is after to (${from} > ${to})`);
  return {
    from: from === undefined ? undefined : startOfDayInZone(from, timeZone),
    before: to === undefined ? undefined : startOfDayInZone(addDays(to, 1), timeZone),
  };
}

/**
 * The columns of the answer: include_columns (with the $invoca_… sets) minus exclude_columns. A column named
 * in include_columns itself is kept whatever exclude_columns says: exclusions trim what the sets brought in,
 * so `include_columns=transaction_id,$invoca_custom_columns&exclude_columns=$invoca_default_columns` (the
 * documented "transaction_id and all Custom Data columns") keeps the transaction_id a poller pages by.
 */
async function resolveColumns(ctx: Ctx, accountId: number, style: 'rollup' | 'legacy', include: string[] | undefined, exclude: string[] | undefined): Promise<string[]> {
  const defaults = defaultColumns(style);
  let custom: string[] | undefined;
  const customColumns = async () => (custom ??= (await listCustomDataFields(ctx.db, accountId)).map((f) => f.api_name));
  const chosen: string[] = [];
  const named = new Set<string>();
  for (const name of include ?? ['$invoca_default_columns']) {
    if (name === '$invoca_default_columns') chosen.push(...defaults);
    else if (name === '$invoca_custom_columns') chosen.push(...(await customColumns()));
    else {
      chosen.push(name);
      named.add(name);
    }
  }
  const excluded = new Set<string>();
  for (const name of exclude ?? []) {
    if (name === '$invoca_default_columns') defaults.forEach((c) => excluded.add(c));
    else if (name === '$invoca_custom_columns') (await customColumns()).forEach((c) => excluded.add(c));
    else excluded.add(name);
  }
  const seen = new Set<string>();
  return chosen.filter((c) => (named.has(c) || !excluded.has(c)) && !seen.has(c) && (seen.add(c), true));
}

export async function readFeed(ctx: Ctx, principal: FeedPrincipal, request: FeedRequest): Promise<FeedPage> {
  // Another account's feed is not found, like any other account's id (whether or not it exists).
  if (request.accountId !== principal.accountId) throw new DomainError('not_found', `Account ${request.accountId} not found`);
  const account = await findAccount(ctx.db, principal.accountId);
  if (!account) throw new DomainError('not_found', `Account ${request.accountId} not found`);
  const q = request.query;
  const after = parseAfter(single(q, 'start_after_transaction_id'));
  const limit = parseLimit(single(q, 'limit'));
  const types = parseTypes(many(q, 'transaction_type'));
  // Invoca's transaction_id= (that row, if it exists) and call_record_id= (every row of that call); both
  // given, the row only if it belongs to the call. Other parameters still apply to what they find.
  const transactionId = parseTransactionIdFilter(single(q, 'transaction_id'));
  const completeCallId = parseCallRecordId(single(q, 'call_record_id'));
  const { from, before } = parseDates(q, principal.keyTimezone);
  const include = parseColumnList('include_columns', many(q, 'include_columns'));
  const exclude = parseColumnList('exclude_columns', many(q, 'exclude_columns'));
  const csv = request.format === 'csv' ? parseCsvOptions(q) : DEFAULT_CSV;

  const columns = await resolveColumns(ctx, account.id, account.feed_style, include, exclude);
  const rows = await readFeedPage(ctx.db, account.id, { afterTransactionId: after, limit, types, from, before, transactionId, completeCallId });
  const view = new FeedView(principal.keyTimezone, account.timezone, columns);
  const body = request.format === 'json' ? renderJson(view, rows) : request.format === 'csv' ? renderCsv(view, rows, csv) : renderXml(view, rows);
  return { contentType: CONTENT_TYPES[request.format], body, rows: rows.length, lastTransactionId: rows.at(-1)?.transaction_id };
}
