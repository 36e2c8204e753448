// The feed's query language (document 000): parameter names, defaults, limits and the exact messages of its
// 400s. A parameter given once may be given once only; a list (transaction_type, include_columns,
// exclude_columns) may be repeated (name=a&name=b), bracketed (name[]=a) or comma-separated. The schemas
// validate the raw query and turn it into the typed request the domain takes (feed/read-feed.ts); a bad
// parameter is one issue naming it, the first in the order the parameters are read here.
import { z } from 'zod';
import type { FeedTransactionType } from '../../feed/repo.ts';
import { parseCompleteCallId } from '../../feed/columns.ts';
import { DEFAULT_LIMIT, type FeedRequest, MAX_LIMIT } from '../../feed/read-feed.ts';
import { isIsoDate } from '../../shared/dates.ts';
import { DEFAULT_CSV, type CsvOptions } from './formats.ts';

/** Bounds on include_columns / exclude_columns. */
const MAX_COLUMNS = 1000;
const MAX_COLUMN_NAME = 255;

const TYPE_WORDS: Record<string, FeedTransactionType> = {
  call: 'call',
  post_call_event: 'post_call_event',
  postcallevent: 'post_call_event',
  signal: 'signal',
  sale: 'sale',
  reported_conversion: 'sale',
  reportedconversion: 'sale',
};

/** A bad parameter: its name and what is wrong, reported as one zod issue ("limit: at most 4000 …"). */
class BadParameter extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

function bad(name: string, message: string): never {
  throw new BadParameter(name, message);
}

/** A parameter as the query string parser gives it: once, repeated (an array), or absent. */
const raw = z.union([z.string(), z.array(z.string())]).optional();
type RawValue = z.infer<typeof raw>;

/** One value of a parameter that may be given once. */
function single(value: RawValue, name: string): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) bad(name, 'give it once');
    return value[0];
  }
  return value;
}

/** Every value of a list parameter (name=a&name=b, name[]=a) or comma-separated. */
function many(plain: RawValue, bracketed: RawValue): string[] | undefined {
  const values = [plain, bracketed].flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));
  if (values.length === 0) return undefined;
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

export function parseAfter(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 0;
  const text = value.trim();
  if (!/^\d{1,19}$/.test(text))
    bad(
      'start_after_transaction_id',
      'must be a transaction_id from the feed (digits), or empty to start at the oldest',
    );
  const n = Number(text);
  if (!Number.isSafeInteger(n)) bad('start_after_transaction_id', 'is beyond any transaction_id');
  return n;
}

/** transaction_id=: one row of the feed; undefined when not given (or empty). An id beyond any row finds none. */
function parseTransactionIdFilter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (!/^\d{1,19}$/.test(text)) bad('transaction_id', 'must be a transaction_id from the feed (digits)');
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/** call_record_id=: a call's complete_call_id (32 characters, or the GUID with dashes), as stored; undefined when not given. */
function parseCallRecordId(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const id = parseCompleteCallId(value);
  if (id === undefined)
    bad('call_record_id', 'must be a complete_call_id from the feed (32 characters, 0-9 and A-F)');
  return id;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_LIMIT;
  const text = value.trim();
  if (!/^\d{1,12}$/.test(text)) bad('limit', `must be a whole number from 1 to ${MAX_LIMIT}`);
  const n = Number(text);
  if (n > MAX_LIMIT) bad('limit', `at most ${MAX_LIMIT} rows per request (got ${n})`);
  if (n < 1) bad('limit', `must be a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}

function parseTypes(values: string[] | undefined): FeedTransactionType[] | undefined {
  if (values === undefined) return undefined;
  const types = new Set<FeedTransactionType>();
  for (const value of values) {
    const type =
      TYPE_WORDS[
        value
          .toLowerCase()
          .replace(/[\s-]+/g, '_')
          .replace(/^_+|_+$/g, '')
      ] ?? TYPE_WORDS[value.toLowerCase().replace(/[\s_-]+/g, '')];
    if (!type)
      bad(
        'transaction_type',
        `"${value.slice(0, 50)}" is not a transaction type (call, post_call_event, signal, sale)`,
      );
    types.add(type);
  }
  if (types.size === 0)
    bad('transaction_type', 'name at least one transaction type (call, post_call_event, signal, sale)');
  return [...types];
}

function parseColumnList(name: string, values: string[] | undefined): string[] | undefined {
  // `include_columns=` (no names) is the parameter not given: the default columns, not rows without fields.
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > MAX_COLUMNS) bad(name, `at most ${MAX_COLUMNS} columns`);
  for (const v of values) {
    if (v.length > MAX_COLUMN_NAME) bad(name, `a column name is at most ${MAX_COLUMN_NAME} characters`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(v)) bad(name, 'column names cannot hold control characters');
  }
  return values;
}

function parseDates(
  fromValue: string | undefined,
  toValue: string | undefined,
): { fromDate: string | undefined; toDate: string | undefined } {
  const from = fromValue?.trim() || undefined;
  const to = toValue?.trim() || undefined;
  if (from !== undefined && !isIsoDate(from)) bad('from', 'must be a date YYYY-MM-DD');
  if (to !== undefined && !isIsoDate(to)) bad('to', 'must be a date YYYY-MM-DD');
  if (from !== undefined && to !== undefined && from > to) bad('from', `is after to (${from} > ${to})`);
  return { fromDate: from, toDate: to };
}

function parseFlag(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === '1' || value.toLowerCase() === 'true') return true;
  if (value === '0' || value.toLowerCase() === 'false') return false;
  return bad(name, 'must be 1 or 0');
}

/** Runs a reader over the raw query; a BadParameter becomes the one issue of the validation. */
function reading<In, Out>(read: (input: In) => Out) {
  return (input: In, ctx: z.RefinementCtx): Out => {
    try {
      return read(input);
    } catch (err) {
      if (!(err instanceof BadParameter)) throw err;
      ctx.addIssue({ code: 'custom', path: [err.name], message: err.message });
      return z.NEVER;
    }
  };
}

const csvParameters = {
  column_separator: raw.meta({
    description: 'CSV: one character other than a quote or a line break (default ,; %09 for a tab)',
  }),
  row_separator: raw.meta({ description: 'CSV: %0A (default) or %0D%0A' }),
  include_header: raw.meta({ description: 'CSV: 1 (default) or 0' }),
  force_quotes: raw.meta({ description: 'CSV: 1 to quote every field; 0 (default)' }),
};
type RawCsvOptions = { [K in keyof typeof csvParameters]?: RawValue };

/**
 * The query of GET /api/{version}/networks/transactions/{account_id}.{format}: the domain's request, and the
 * CSV options as given (they mean something only to .csv; JSON and XML ignore them, however written).
 */
export const feedQuery = z
  .object({
    start_after_transaction_id: raw,
    limit: raw,
    from: raw,
    to: raw,
    transaction_type: raw,
    'transaction_type[]': raw,
    include_columns: raw,
    'include_columns[]': raw,
    exclude_columns: raw,
    'exclude_columns[]': raw,
    transaction_id: raw.meta({ description: 'Only this transaction (at most 1 row)' }),
    call_record_id: raw.meta({ description: "Only this call's transactions (its complete_call_id)" }),
    oauth_token: raw,
    ...csvParameters,
  })
  .passthrough()
  .transform(
    reading((q): { request: FeedRequest; csv: RawCsvOptions } => {
      // Read in this order: the first bad parameter is the one reported.
      const afterTransactionId = parseAfter(
        single(q.start_after_transaction_id, 'start_after_transaction_id'),
      );
      const limit = parseLimit(single(q.limit, 'limit'));
      const types = parseTypes(many(q.transaction_type, q['transaction_type[]']));
      // Invoca's transaction_id= (that row, if it exists) and call_record_id= (every row of that call); both
      // given, the row only if it belongs to the call. Other parameters still apply to what they find.
      const transactionId = parseTransactionIdFilter(single(q.transaction_id, 'transaction_id'));
      const completeCallId = parseCallRecordId(single(q.call_record_id, 'call_record_id'));
      const { fromDate, toDate } = parseDates(single(q.from, 'from'), single(q.to, 'to'));
      const includeColumns = parseColumnList(
        'include_columns',
        many(q.include_columns, q['include_columns[]']),
      );
      const excludeColumns = parseColumnList(
        'exclude_columns',
        many(q.exclude_columns, q['exclude_columns[]']),
      );
      return {
        request: {
          afterTransactionId,
          limit,
          types,
          transactionId,
          completeCallId,
          fromDate,
          toDate,
          includeColumns,
          excludeColumns,
        },
        csv: {
          column_separator: q.column_separator,
          row_separator: q.row_separator,
          include_header: q.include_header,
          force_quotes: q.force_quotes,
        },
      };
    }),
  );

/** The CSV options of a .csv request, read after the rest of the query. */
export const csvOptionsQuery = z.object(csvParameters).transform(
  reading((q): CsvOptions => {
    const separator = single(q.column_separator, 'column_separator');
    if (separator !== undefined && separator !== '') {
      if ([...separator].length !== 1 || /["\r\n]/.test(separator))
        bad(
          'column_separator',
          'must be one character other than a quote or a line break (e.g. , | or %09 for a tab)',
        );
    }
    const rowSeparator = single(q.row_separator, 'row_separator');
    if (
      rowSeparator !== undefined &&
      rowSeparator !== '' &&
      rowSeparator !== '\n' &&
      rowSeparator !== '\r\n'
    ) {
      bad('row_separator', 'must be %0A (line feed) or %0D%0A (carriage return and line feed)');
    }
    return {
      separator: separator || DEFAULT_CSV.separator,
      rowSeparator: rowSeparator || DEFAULT_CSV.rowSeparator,
      header: parseFlag(single(q.include_header, 'include_header'), 'include_header', true),
      forceQuotes: parseFlag(single(q.force_quotes, 'force_quotes'), 'force_quotes', false),
    };
  }),
);
