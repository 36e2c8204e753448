// Reading the call transactions feed (document 000): one page of rows after a transaction id, in transaction
// id order, with the columns asked for and times in the API key's timezone. The query language (parameter
// names, repeated and bracketed parameters, messages) and the formats (JSON, CSV, XML) are the feed
// surface's (src/http/feed/); this takes typed values and returns rows and the view that reads them, or
// hands the rows over one at a time as they are read (streamFeed, what the route writes its page from).
import type { Ctx } from '../context.ts';
import { currentAccount } from '../accounts/current-account.ts';
import type { FeedPageOptions, FeedPageRow, FeedQuery, FeedTransactionType } from './repo.ts';
import { addDays, startOfDayInZone } from '../shared/dates.ts';
import { assert, DomainError } from '../shared/errors.ts';
import { defaultColumns, FeedView, isStandardColumn } from './columns.ts';
import { eachFeedPageRow, listCustomDataFields, readFeedPage } from './repo.ts';

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 4000;

/** The column sets include_columns and exclude_columns may name besides single columns. */
export const DEFAULT_COLUMNS_SET = '$invoca_default_columns';
export const CUSTOM_COLUMNS_SET = '$invoca_custom_columns';

export interface FeedPrincipal {
  accountId: number;
  keyTimezone: string;
}

export interface FeedRequest {
  /** Rows after this transaction id (0: from the oldest). */
  afterTransactionId: number;
  /** Rows in the page, 1 to MAX_LIMIT. */
  limit: number;
  /** Only rows of these types; undefined: every type. */
  types: readonly FeedTransactionType[] | undefined;
  /** Only this row. */
  transactionId: number | undefined;
  /** Only the rows of this call (its complete_call_id as stored). */
  completeCallId: string | undefined;
  /** Rows of calls that started on or after this date (YYYY-MM-DD) in the key's timezone. */
  fromDate: string | undefined;
  /** ... and on or before this date (inclusive). */
  toDate: string | undefined;
  /** Columns, custom data API names, signal names and column sets; undefined: the default columns. */
  includeColumns: readonly string[] | undefined;
  /** What to take out of the sets include_columns brings in. */
  excludeColumns: readonly string[] | undefined;
}

export interface FeedPage {
  rows: FeedPageRow[];
  /** Reads the columns asked for out of each row, in the key's timezone. */
  view: FeedView;
}

/**
 * The columns of the answer: include_columns (with the column sets) minus exclude_columns. A column named
 * in include_columns itself is kept whatever exclude_columns says: exclusions trim what the sets brought in,
 * so `include_columns=transaction_id,$invoca_custom_columns&exclude_columns=$invoca_default_columns` (the
 * documented "transaction_id and all Custom Data columns") keeps the transaction_id a poller pages by.
 */
async function resolveColumns(
  ctx: Ctx,
  accountId: number,
  style: 'rollup' | 'legacy',
  include: readonly string[] | undefined,
  exclude: readonly string[] | undefined,
): Promise<string[]> {
  const defaults = defaultColumns(style);
  let custom: string[] | undefined;
  const customColumns = async () =>
    (custom ??= (await listCustomDataFields(ctx.db, accountId)).map((f) => f.api_name));
  const chosen: string[] = [];
  const named = new Set<string>();
  for (const name of include ?? [DEFAULT_COLUMNS_SET]) {
    if (name === DEFAULT_COLUMNS_SET) chosen.push(...defaults);
    else if (name === CUSTOM_COLUMNS_SET) chosen.push(...(await customColumns()));
    else {
      chosen.push(name);
      named.add(name);
    }
  }
  const excluded = new Set<string>();
  for (const name of exclude ?? []) {
    if (name === DEFAULT_COLUMNS_SET) defaults.forEach((c) => excluded.add(c));
    else if (name === CUSTOM_COLUMNS_SET) (await customColumns()).forEach((c) => excluded.add(c));
    else excluded.add(name);
  }
  const seen = new Set<string>();
  return chosen.filter((c) => (named.has(c) || !excluded.has(c)) && !seen.has(c) && (seen.add(c), true));
}

/** Another account's feed is not found, like any other account's id (whether or not it exists). */
export function checkFeedAccount(principal: FeedPrincipal, accountId: number): void {
  if (accountId !== principal.accountId) throw new DomainError('not_found', `Account ${accountId} not found`);
}

/** What reading a page takes: the query, how to read it, and the view that writes its rows. */
interface FeedPlan {
  accountId: number;
  query: FeedQuery;
  options: FeedPageOptions;
  view: FeedView;
}

async function planFeed(
  ctx: Ctx,
  principal: FeedPrincipal,
  accountId: number,
  request: FeedRequest,
): Promise<FeedPlan> {
  checkFeedAccount(principal, accountId);
  assert(
    Number.isSafeInteger(request.limit) && request.limit >= 1 && request.limit <= MAX_LIMIT,
    `feed limit out of range: ${request.limit}`,
  );
  const account = await currentAccount(ctx, principal.accountId);
  if (!account) throw new DomainError('not_found', `Account ${accountId} not found`);
  const zone = principal.keyTimezone;
  const columns = await resolveColumns(
    ctx,
    account.id,
    account.feed_style,
    request.includeColumns,
    request.excludeColumns,
  );
  return {
    accountId: account.id,
    query: {
      afterTransactionId: request.afterTransactionId,
      limit: request.limit,
      types: request.types,
      from: request.fromDate === undefined ? undefined : startOfDayInZone(request.fromDate, zone),
      before: request.toDate === undefined ? undefined : startOfDayInZone(addDays(request.toDate, 1), zone),
      transactionId: request.transactionId,
      completeCallId: request.completeCallId,
    },
    options: {
      // custom_data only for the columns that read it: custom_data itself, custom data and signal columns.
      customData: columns.some((c) => c === 'custom_data' || !isStandardColumn(c)),
      // Outside a transaction, the rows come as arrays (on PostgreSQL read through COPY).
      database: ctx.database,
    },
    view: new FeedView(zone, account.timezone, columns),
  };
}

export async function readFeed(
  ctx: Ctx,
  principal: FeedPrincipal,
  accountId: number,
  request: FeedRequest,
): Promise<FeedPage> {
  const plan = await planFeed(ctx, principal, accountId, request);
  const rows = await readFeedPage(ctx.db, plan.accountId, plan.query, plan.options);
  return { rows, view: plan.view };
}

/**
 * The page readFeed() reads, handed over row by row as the driver reads it: `writerFor` gets the page's view
 * (once the columns are known, before any row) and returns what takes each row. No array of the page's rows
 * is kept, so each row is garbage as soon as it is written. Returns the number of rows.
 */
export async function streamFeed(
  ctx: Ctx,
  principal: FeedPrincipal,
  accountId: number,
  request: FeedRequest,
  writerFor: (view: FeedView) => (row: FeedPageRow) => void,
): Promise<number> {
  const plan = await planFeed(ctx, principal, accountId, request);
  const onRow = writerFor(plan.view);
  return eachFeedPageRow(ctx.db, plan.accountId, plan.query, plan.options, onRow);
}
