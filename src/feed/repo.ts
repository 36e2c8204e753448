// The call feed's SQL. Every writer of call_transactions goes through lockFeed() first (see migration
// 0005): transaction ids are drawn under the account's feed lock, which is held to commit, so they are
// given out in commit order and a poller that asks for "ids after the last I saw" misses nothing.
//
// The feed lock must be the LAST lock a transaction takes (nothing after it waits for another lock), so
// writers queue on it briefly and never deadlock through it.
import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { Database } from '../db/connection.ts';
import type { CopyColumnType } from '../db/copy-rows.ts';
import { eachRowArray, selectRowArrays } from '../db/row-arrays.ts';
import { callRowsSql, callsStoredInThisTransactionSql } from '../calls/repo.ts';
import type {
  CallEventRow,
  CallTransactionRow,
  CustomDataFieldRow,
  CustomDataType,
  FeedTransactionType,
} from '../db/schema-feed.ts';
export type {
  CallTransactionRow,
  CustomDataFieldRow,
  CustomDataType,
  FeedTransactionType,
} from '../db/schema-feed.ts';

/** First key of the feed lock (two-key advisory lock: this, then the account id). "FEED" in ASCII. */
const FEED_LOCK_KEY = 0x46454544;
/** Advisory lock keys are int4: account ids beyond that share a lock with another (only costs waiting). */
const INT4_RANGE = 2_147_483_647;

/** Rows one statement wrote: exactly the account's rows with transaction ids first..last. */
export interface FeedRowsWritten {
  firstTransactionId: number;
  lastTransactionId: number;
  count: number;
}

export async function lockFeed(db: Executor, accountId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${FEED_LOCK_KEY}::int, ${accountId % INT4_RANGE}::int)`.execute(db);
}

function written(
  row: { first: number | null; last: number | null; count: number } | undefined,
): FeedRowsWritten | undefined {
  if (!row || row.count === 0 || row.first === null || row.last === null) return undefined;
  return {
    firstTransactionId: Number(row.first),
    lastTransactionId: Number(row.last),
    count: Number(row.count),
  };
}

/**
 * One call row per call this transaction has just stored (ids above `afterCallId`, written by this
 * transaction), set-based: the feed costs the ingester one statement per batch. Takes the feed lock.
 */
export async function insertNewCallRows(
  db: Executor,
  accountId: number,
  afterCallId: number,
): Promise<FeedRowsWritten | undefined> {
  await lockFeed(db, accountId);
  const result = await sql<{ first: number | null; last: number | null; count: number }>`
    with inserted as (
      insert into call_transactions (account_id, transaction_id, transaction_type, call_id, complete_call_id, start_time,
        duration_s, connect_duration_s, calling_phone_number, destination_phone_number, call_status, payin, payout,
        recording_url, notes, custom_data)
      select c.account_id, nextval('call_transactions_id_seq'), 'call', c.id, c.complete_call_id, c.start_time,
        c.duration_s, case when c.status = 'completed' then c.duration_s else 0 end, c.from_number, c.to_number, c.status,
        c.charge, c.payout, c.recording_url, c.notes, c.custom_data
      from ${callsStoredInThisTransactionSql(accountId, afterCallId)} as c
      order by c.id
      returning transaction_id
    )
    select min(transaction_id) as first, max(transaction_id) as last, count(*)::int as count from inserted
  `.execute(db);
  return written(result.rows[0]);
}

/** Of these calls, those whose current state differs from their latest call row, with that row's id. */
export async function callsChangedSinceFeed(
  db: Executor,
  accountId: number,
  callIds: readonly number[],
): Promise<{ callId: number; latestTransactionId: number }[]> {
  if (callIds.length === 0) return [];
  const result = await sql<{ call_id: number; transaction_id: number }>`
    select l.call_id, l.transaction_id
    from (
      select distinct on (t.call_id) t.call_id, t.transaction_id, t.payin, t.payout, t.notes, t.custom_data, t.recording_url
      from call_transactions as t
      where t.account_id = ${accountId} and t.call_id = any(${[...callIds]}::bigint[]) and t.transaction_type = 'call'
      order by t.call_id, t.transaction_id desc
    ) as l
    join ${callRowsSql()} as c on c.account_id = ${accountId} and c.id = l.call_id
    where c.charge is distinct from l.payin or c.payout is distinct from l.payout or c.notes is distinct from l.notes
      or c.custom_data is distinct from l.custom_data or c.recording_url is distinct from l.recording_url
    order by l.call_id
  `.execute(db);
  return result.rows.map((r) => ({
    callId: Number(r.call_id),
    latestTransactionId: Number(r.transaction_id),
  }));
}

/** Clears the duration fields of every row of these calls (before their corrections are appended). */
export async function clearDurations(
  db: Executor,
  accountId: number,
  callIds: readonly number[],
): Promise<void> {
  if (callIds.length === 0) return;
  await sql`
    update call_transactions set duration_s = null, connect_duration_s = null
    where account_id = ${accountId} and call_id = any(${[...callIds]}::bigint[])
      and (duration_s is not null or connect_duration_s is not null)
  `.execute(db);
}

/**
 * A correction row per call: the call's whole current record, pointing at the row it corrects. Takes the
 * feed lock: call it last in the transaction.
 */
export async function insertCorrectionRows(
  db: Executor,
  accountId: number,
  corrections: readonly { callId: number; latestTransactionId: number }[],
  now: Date,
): Promise<FeedRowsWritten | undefined> {
  if (corrections.length === 0) return undefined;
  await lockFeed(db, accountId);
  const result = await sql<{ first: number | null; last: number | null; count: number }>`
    with inserted as (
      insert into call_transactions (account_id, transaction_id, transaction_type, call_id, complete_call_id,
        corrects_transaction_id, corrected_at, start_time, duration_s, connect_duration_s, calling_phone_number,
        destination_phone_number, call_status, payin, payout, recording_url, notes, custom_data)
      select c.account_id, nextval('call_transactions_id_seq'), 'call', c.id, c.complete_call_id,
        v.corrects, ${now}::timestamptz, c.start_time, c.duration_s, case when c.status = 'completed' then c.duration_s else 0 end,
        c.from_number, c.to_number, c.status, c.charge, c.payout, c.recording_url, c.notes, c.custom_data
      from unnest(${corrections.map((c) => c.callId)}::bigint[], ${corrections.map((c) => c.latestTransactionId)}::bigint[]) as v(call_id, corrects)
      join ${callRowsSql()} as c on c.account_id = ${accountId} and c.id = v.call_id
      order by c.id
      returning transaction_id
    )
    select min(transaction_id) as first, max(transaction_id) as last, count(*)::int as count from inserted
  `.execute(db);
  return written(result.rows[0]);
}

/** A row carrying a post-call event, a signal or a sale (one per request: not a bulk path). Takes the feed lock. */
export interface EventRowInput {
  type: Exclude<FeedTransactionType, 'call'>;
  callId: number;
  correctsTransactionId: number | null;
  customData: Record<string, unknown> | null;
  partnerUniqueId: string | null;
  occurredAt: Date;
  revenue: string | null;
  signalName: string | null;
  signalValue: boolean | null;
}

export async function insertEventRows(
  db: Executor,
  accountId: number,
  rows: readonly EventRowInput[],
  now: Date,
): Promise<{ written: FeedRowsWritten; ids: number[] } | undefined> {
  if (rows.length === 0) return undefined;
  await lockFeed(db, accountId);
  const col = <T>(pick: (r: EventRowInput) => T) => rows.map(pick);
  const result = await sql<{ transaction_id: number }>`
    insert into call_transactions (account_id, transaction_id, transaction_type, call_id, complete_call_id,
      corrects_transaction_id, corrected_at, start_time, duration_s, connect_duration_s, calling_phone_number,
      destination_phone_number, call_status, custom_data, partner_unique_id, occurred_at, revenue, signal_name, signal_value)
    select c.account_id, nextval('call_transactions_id_seq'), v.type, c.id, c.complete_call_id,
      v.corrects, case when v.corrects is null then null else ${now}::timestamptz end, c.start_time, null, null,
      c.from_number, c.to_number, c.status, v.custom_data, v.partner_unique_id, v.occurred_at, v.revenue, v.signal_name, v.signal_value
    from unnest(
      ${col((r) => r.type)}::text[], ${col((r) => r.callId)}::bigint[], ${col((r) => r.correctsTransactionId)}::bigint[],
      ${col((r) => (r.customData === null ? null : JSON.stringify(r.customData)))}::jsonb[], ${col((r) => r.partnerUniqueId)}::text[],
      ${col((r) => r.occurredAt.toISOString())}::timestamptz[], ${col((r) => r.revenue)}::numeric[], ${col((r) => r.signalName)}::text[],
      ${col((r) => r.signalValue)}::boolean[]
    ) with ordinality as v(type, call_id, corrects, custom_data, partner_unique_id, occurred_at, revenue, signal_name, signal_value, n)
    join ${callRowsSql()} as c on c.account_id = ${accountId} and c.id = v.call_id
    order by v.n
    returning transaction_id
  `.execute(db);
  const ids = result.rows.map((r) => Number(r.transaction_id)).sort((a, b) => a - b);
  if (ids.length === 0) return undefined;
  return { written: { firstTransactionId: ids[0]!, lastTransactionId: ids.at(-1)!, count: ids.length }, ids };
}

// ---- reading the feed

export interface FeedQuery {
  afterTransactionId: number;
  limit: number;
  types?: readonly FeedTransactionType[] | undefined;
  /** Rows of calls that started at or after this instant. */
  from?: Date | undefined;
  /** ... and before this instant. */
  before?: Date | undefined;
  /** Only this row (transaction_id=). */
  transactionId?: number | undefined;
  /** Only the rows of this call (call_record_id=: its complete_call_id, as stored). */
  completeCallId?: string | undefined;
}

/**
 * What the feed's columns read of a row (feed/columns.ts), as an array in this order (a page holds thousands
 * of rows: an array per row, no object). Not the account, the call id or created_at. Instants are whole
 * milliseconds since 1970 (what Date.getTime() gives: the microseconds cut off), read that way in SQL
 * rather than parsed into a Date per value.
 */
export type FeedPageRow = readonly [
  transaction_id: number,
  transaction_type: FeedTransactionType,
  corrects_transaction_id: number | null,
  corrected_at_ms: number | null,
  complete_call_id: string,
  start_time_ms: number,
  duration_s: number | null,
  connect_duration_s: number | null,
  calling_phone_number: string,
  destination_phone_number: string,
  call_status: string,
  payin: string | null,
  payout: string | null,
  recording_url: string | null,
  notes: string | null,
  partner_unique_id: string | null,
  occurred_at_ms: number | null,
  revenue: string | null,
  signal_name: string | null,
  signal_value: boolean | null,
  /** Null when the page was read without it. */
  custom_data: unknown,
];

/** Where each value of a FeedPageRow is. */
export const FEED_ROW = {
  transaction_id: 0,
  transaction_type: 1,
  corrects_transaction_id: 2,
  corrected_at_ms: 3,
  complete_call_id: 4,
  start_time_ms: 5,
  duration_s: 6,
  connect_duration_s: 7,
  calling_phone_number: 8,
  destination_phone_number: 9,
  call_status: 10,
  payin: 11,
  payout: 12,
  recording_url: 13,
  notes: 14,
  partner_unique_id: 15,
  occurred_at_ms: 16,
  revenue: 17,
  signal_name: 18,
  signal_value: 19,
  custom_data: 20,
} as const;

const FEED_ROW_COLUMNS = Object.keys(FEED_ROW);

/** The SQL type of each value of a FeedPageRow, for reading a page through COPY (src/db/copy-rows.ts). */
const FEED_ROW_TYPES: Record<keyof typeof FEED_ROW, CopyColumnType> = {
  transaction_id: 'int8',
  transaction_type: 'text',
  corrects_transaction_id: 'int8',
  corrected_at_ms: 'int8',
  complete_call_id: 'text', // uuid
  start_time_ms: 'int8',
  duration_s: 'int4',
  connect_duration_s: 'int4',
  calling_phone_number: 'text',
  destination_phone_number: 'text',
  call_status: 'text',
  payin: 'text', // numeric
  payout: 'text', // numeric
  recording_url: 'text',
  notes: 'text',
  partner_unique_id: 'text',
  occurred_at_ms: 'int8',
  revenue: 'text', // numeric
  signal_name: 'text',
  signal_value: 'bool',
  custom_data: 'jsonb',
};
const FEED_ROW_COLUMN_TYPES = FEED_ROW_COLUMNS.map((name) => ({
  name,
  type: FEED_ROW_TYPES[name as keyof typeof FEED_ROW],
}));

/**
 * An instant as whole milliseconds since 1970, rounded down, as Date.getTime() of the driver's Date was:
 * exact (extract gives a numeric), and an int8 the drivers read as a number.
 */
function epochMs(column: 'corrected_at' | 'start_time' | 'occurred_at', alias: string) {
  return sql<number | null>`floor(extract(epoch from ${sql.ref(column)}) * 1000)::int8`.as(alias);
}

/** How a page is read: custom_data or not, and the database whose driver hands rows over as arrays. */
export interface FeedPageOptions {
  customData: boolean;
  database?: Pick<Database, 'db' | 'selectArrays' | 'eachArray'> | undefined;
}

/**
 * One page of the feed in transaction id order: one range scan of the primary key. Only the columns the
 * feed writes are read, and custom_data (JSON the driver parses row by row) only when `customData` is set:
 * a page of the default columns never reads it, and null stands in its place.
 */
function feedPageQuery(db: Executor, accountId: number, query: FeedQuery, customData: boolean) {
  let q = db
    .selectFrom('call_transactions')
    .select([
      'transaction_id',
      'transaction_type',
      'corrects_transaction_id',
      epochMs('corrected_at', 'corrected_at_ms'),
      'complete_call_id',
      epochMs('start_time', 'start_time_ms'),
      'duration_s',
      'connect_duration_s',
      'calling_phone_number',
      'destination_phone_number',
      'call_status',
      'payin',
      'payout',
      'recording_url',
      'notes',
      'partner_unique_id',
      epochMs('occurred_at', 'occurred_at_ms'),
      'revenue',
      'signal_name',
      'signal_value',
      customData ? sql<unknown>`custom_data`.as('custom_data') : sql<null>`null`.as('custom_data'),
    ])
    .where('account_id', '=', accountId)
    .where('transaction_id', '>', query.afterTransactionId);
  if (query.types && query.types.length > 0) q = q.where('transaction_type', 'in', [...query.types]);
  if (query.from) q = q.where('start_time', '>=', query.from);
  if (query.before) q = q.where('start_time', '<', query.before);
  if (query.transactionId !== undefined) q = q.where('transaction_id', '=', query.transactionId);
  if (query.completeCallId !== undefined) q = q.where('complete_call_id', '=', query.completeCallId);
  return q.orderBy('transaction_id').limit(query.limit);
}

/**
 * A page of the feed (feedPageQuery) as an array of rows. Given the database and called outside a
 * transaction, the driver hands the rows over as arrays (src/db/row-arrays.ts).
 */
export async function readFeedPage(
  db: Executor,
  accountId: number,
  query: FeedQuery,
  options: FeedPageOptions = { customData: true },
): Promise<FeedPageRow[]> {
  const rows = await selectRowArrays(
    db,
    options.database,
    feedPageQuery(db, accountId, query, options.customData),
    FEED_ROW_COLUMNS,
  );
  return rows as unknown as FeedPageRow[];
}

/**
 * A page of the feed (feedPageQuery) row by row: `onRow` gets each row as it is read (outside a transaction,
 * on PostgreSQL through COPY: no array of the page, no string per field made by the driver); returns the count.
 */
export async function eachFeedPageRow(
  db: Executor,
  accountId: number,
  query: FeedQuery,
  options: FeedPageOptions,
  onRow: (row: FeedPageRow) => void,
): Promise<number> {
  return eachRowArray(
    db,
    options.database,
    feedPageQuery(db, accountId, query, options.customData),
    FEED_ROW_COLUMN_TYPES,
    // The select list is FEED_ROW_COLUMNS in order: each array is a FeedPageRow.
    onRow as unknown as (row: unknown[]) => void,
  );
}

/** Every row of one call, in feed order (the fold, tests). */
export async function callRows(
  db: Executor,
  accountId: number,
  callId: number,
): Promise<CallTransactionRow[]> {
  return db
    .selectFrom('call_transactions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('call_id', '=', callId)
    .orderBy('transaction_id')
    .limit(100_000)
    .execute();
}

/** Signal names used in the account (for include_columns=$invoca_custom_columns). Bounded. */
export async function signalNamesInUse(db: Executor, accountId: number, limit: number): Promise<string[]> {
  const result = await sql<{ name: string }>`
    select distinct signal_name as name from call_transactions
    where account_id = ${accountId} and signal_name is not null
    order by 1 limit ${limit}
  `.execute(db);
  return result.rows.map((r) => r.name);
}

// ---- the calls the feed describes

export async function findCallIdByCompleteCallId(
  db: Executor,
  accountId: number,
  completeCallId: string,
): Promise<number | undefined> {
  // Through the feed's rows (indexed by complete_call_id): every call has a feed row with it.
  const row = await sql<{ call_id: number }>`
    select call_id from call_transactions where account_id = ${accountId} and complete_call_id = ${completeCallId}::uuid limit 1
  `.execute(db);
  return row.rows[0] ? Number(row.rows[0].call_id) : undefined;
}

export async function findCallIdByTransactionId(
  db: Executor,
  accountId: number,
  transactionId: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('call_transactions')
    .select('call_id')
    .where('account_id', '=', accountId)
    .where('transaction_id', '=', transactionId)
    .executeTakeFirst();
  return row?.call_id;
}

// ---- post-call events

export async function findEventsByPartnerUniqueId(
  db: Executor,
  accountId: number,
  partnerUniqueId: string,
): Promise<CallEventRow[]> {
  return db
    .selectFrom('call_events')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('partner_unique_id', '=', partnerUniqueId)
    .limit(2)
    .execute();
}

export async function findEvent(
  db: Executor,
  accountId: number,
  callId: number,
  partnerUniqueId: string,
): Promise<CallEventRow | undefined> {
  return db
    .selectFrom('call_events')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('call_id', '=', callId)
    .where('partner_unique_id', '=', partnerUniqueId)
    .executeTakeFirst();
}

export async function listCallEvents(
  db: Executor,
  accountId: number,
  callId: number,
): Promise<CallEventRow[]> {
  return db
    .selectFrom('call_events')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('call_id', '=', callId)
    .orderBy('created_at')
    .limit(10_000)
    .execute();
}

export async function upsertEvent(
  db: Executor,
  accountId: number,
  event: {
    callId: number;
    partnerUniqueId: string;
    customData: Record<string, unknown>;
    revenue: string | null;
    occurredAt: Date;
    transactionId: number;
  },
  now: Date,
): Promise<void> {
  await db
    .insertInto('call_events')
    .values({
      account_id: accountId,
      call_id: event.callId,
      partner_unique_id: event.partnerUniqueId,
      custom_data: JSON.stringify(event.customData),
      revenue: event.revenue,
      occurred_at: event.occurredAt,
      transaction_id: event.transactionId,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['account_id', 'call_id', 'partner_unique_id']).doUpdateSet({
        custom_data: JSON.stringify(event.customData),
        revenue: event.revenue,
        occurred_at: event.occurredAt,
        transaction_id: event.transactionId,
        updated_at: now,
      }),
    )
    .execute();
}

// ---- custom data fields

export async function listCustomDataFields(db: Executor, accountId: number): Promise<CustomDataFieldRow[]> {
  return db
    .selectFrom('custom_data_fields')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id')
    .limit(10_000)
    .execute();
}

export async function findCustomDataField(
  db: Executor,
  accountId: number,
  id: number,
): Promise<CustomDataFieldRow | undefined> {
  return db
    .selectFrom('custom_data_fields')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function insertCustomDataField(
  db: Executor,
  accountId: number,
  field: { apiName: string; name: string; dataType: CustomDataType },
  now: Date,
): Promise<CustomDataFieldRow> {
  return db
    .insertInto('custom_data_fields')
    .values({
      account_id: accountId,
      api_name: field.apiName,
      name: field.name,
      data_type: field.dataType,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateCustomDataField(
  db: Executor,
  accountId: number,
  id: number,
  fields: { apiName?: string | undefined; name?: string | undefined; dataType?: CustomDataType | undefined },
  now: Date,
): Promise<CustomDataFieldRow | undefined> {
  return db
    .updateTable('custom_data_fields')
    .set({
      ...(fields.apiName !== undefined ? { api_name: fields.apiName } : {}),
      ...(fields.name !== undefined ? { name: fields.name } : {}),
      ...(fields.dataType !== undefined ? { data_type: fields.dataType } : {}),
      updated_at: now,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteCustomDataField(db: Executor, accountId: number, id: number): Promise<boolean> {
  const result = await db
    .deleteFrom('custom_data_fields')
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Signal names not yet defined become signal fields (the first casing used is kept). Returns the fields. */
export async function insertSignalFields(
  db: Executor,
  accountId: number,
  names: readonly string[],
  now: Date,
): Promise<CustomDataFieldRow[]> {
  if (names.length === 0) return [];
  await sql`
    insert into custom_data_fields (account_id, api_name, name, data_type, created_at, updated_at)
    select ${accountId}, n, n, 'signal', ${now}::timestamptz, ${now}::timestamptz from unnest(${[...names]}::text[]) as n
    on conflict (account_id, lower(api_name)) do nothing
  `.execute(db);
  return db
    .selectFrom('custom_data_fields')
    .selectAll()
    .where('account_id', '=', accountId)
    .where(
      sql<string>`lower(api_name)`,
      'in',
      names.map((n) => n.toLowerCase()),
    )
    .execute();
}

// ---- the account's feed settings
