import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { Database } from '../db/connection.ts';
import { copyText } from '../db/connection.ts';
import type { CallRow, RatingStatus } from '../db/schema.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import type { FeatureWindow } from './allocation.ts';
import { anyId, idArray, idsWithin } from '../db/sql.ts';
import { phoneSpellings } from '../shared/contact.ts';
import { customerRows } from '../customers/reports-repo.ts';
import { featureRows } from '../features/repo.ts';
import { rateRows } from '../rate-cards/repo.ts';
import { callHoursDeltaSql } from './hours-repo.ts';
export type { CallRow, CallStatus, RatingStatus } from '../db/schema.ts';

/** Columns written when calls arrive, in COPY order. */
export const CALL_INSERT_COLUMNS = [
  'account_id',
  'source_call_id',
  // Made by the ingester (crypto.randomUUID): gen_random_uuid() per row costs more than the rest of the row.
  'complete_call_id',
  'from_number',
  'to_number',
  'start_time',
  'duration_s',
  'status',
  'direction',
  'carrier',
  'recording_url',
  'transcription_url',
  'confidence_score',
  'voice_agent_id',
  'customer_id',
  'feature_id',
  'rating_status',
  'rating_error',
  'rate_id',
  'destination',
  'band',
  'billable_s',
  'charge',
  'cost',
  'rated_at',
] as const;

export type CallInsertRow = (string | number | null)[];

/** Features with a phone number, with the rate card that applies to their calls (feature's, else customer's). */
export async function featureWindows(
  db: Executor,
  accountId: number,
): Promise<(FeatureWindow & { phoneNumber: string })[]> {
  const rows = await db
    .selectFrom(featureRows(db).as('f'))
    .innerJoin(customerRows(db).as('c'), (j) =>
      j.onRef('c.account_id', '=', 'f.account_id').onRef('c.id', '=', 'f.customer_id'),
    )
    .select([
      'f.id',
      'f.customer_id',
      'f.phone_number',
      'f.start_date',
      'f.end_date',
      'f.rate_card_id',
      'c.rate_card_id as customer_rate_card_id',
    ])
    .where('f.account_id', '=', accountId)
    .where('f.phone_number', 'is not', null)
    .execute();
  return rows.map((r) => ({
    featureId: r.id,
    customerId: r.customer_id,
    phoneNumber: r.phone_number!,
    rateCardId: r.rate_card_id ?? r.customer_rate_card_id,
    startDate: r.start_date,
    endDate: r.end_date,
  }));
}

/**
 * Of these source call ids, those already stored. One lookup in the unique index per id, whatever the
 * table's statistics say: written as "= any(ids)", a planner that still thinks the table small (it grows
 * by millions between ANALYZEs, and PGlite has no autovacuum) scans the account's calls and compares each
 * with every id, which grows with the table (0.25 s a batch at a million calls).
 */
export async function existingSourceCallIds(
  db: Executor,
  accountId: number,
  ids: string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const result = await sql<{ source_call_id: string }>`
    select stored.source_call_id from unnest(${ids}::text[]) as given(id)
    cross join lateral (
      select c.source_call_id from calls as c where c.account_id = ${accountId} and c.source_call_id = given.id limit 1
    ) as stored
  `.execute(db);
  return new Set(result.rows.map((r) => r.source_call_id));
}

/** Bulk-loads new calls with COPY. Throws a unique violation (23505) if one arrived meanwhile. */
export async function copyCalls(database: Database, rows: CallInsertRow[]): Promise<void> {
  if (rows.length === 0) return;
  await database.copyInto('calls', CALL_INSERT_COLUMNS, copyText(rows));
}

/** The same, with the rows already in COPY text format (copyRow of each row, in CALL_INSERT_COLUMNS order). */
export async function copyCallsText(
  database: Pick<Database, 'copyInto'>,
  text: string | Uint8Array,
): Promise<void> {
  if (text.length === 0) return;
  await database.copyInto('calls', CALL_INSERT_COLUMNS, text);
}

/** First key of the slow-ingest lock (two-key advisory lock: this, then the account id). "CALL" in ASCII. */
const SLOW_INGEST_LOCK_KEY = 0x43414c4c;

/**
 * Serialises the account's slow-path inserts (below) so that two of them never wait on each other's new
 * rows. Taken first in its transaction; the feed lock, taken last, comes after it.
 */
export async function lockSlowIngest(db: Executor, accountId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${SLOW_INGEST_LOCK_KEY}::int, ${accountId % 2_147_483_647}::int)`.execute(
    db,
  );
}

/** The slow, safe path when calls race in from two places: skip those already stored. Returns the ids that went in. */
export async function insertCallsSkippingDuplicates(
  db: Executor,
  rows: CallInsertRow[],
): Promise<Set<string>> {
  const inserted = new Set<string>();
  const CHUNK = 1000;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const values = rows
      .slice(i, i + CHUNK)
      .map((row) => Object.fromEntries(CALL_INSERT_COLUMNS.map((c, k) => [c, row[k]])));
    const result = await db
      .insertInto('calls')
      .values(values as never)
      .onConflict((oc) => oc.columns(['account_id', 'source_call_id']).doNothing())
      .returning('source_call_id')
      .execute();
    for (const r of result) inserted.add(r.source_call_id);
  }
  return inserted;
}

export async function findCall(db: Executor, accountId: number, id: number): Promise<CallRow | undefined> {
  return db
    .selectFrom('calls')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export interface CallFilter {
  ratingStatus?: RatingStatus | undefined;
  invoiceId?: number | undefined;
  customerId?: number | undefined;
  featureId?: number | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

export async function listCalls(
  db: Executor,
  accountId: number,
  filter: CallFilter,
  page: PageRequest,
): Promise<Page<CallRow>> {
  let q = db.selectFrom('calls').selectAll().where('account_id', '=', accountId);
  if (filter.ratingStatus !== undefined) q = q.where('rating_status', '=', filter.ratingStatus);
  if (filter.invoiceId !== undefined) q = q.where('invoice_id', '=', filter.invoiceId);
  if (filter.customerId !== undefined) q = q.where('customer_id', '=', filter.customerId);
  if (filter.featureId !== undefined) q = q.where('feature_id', '=', filter.featureId);
  if (filter.from !== undefined) q = q.where('start_time', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('start_time', '<', filter.to);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

export async function countCallsOnInvoice(
  db: Executor,
  accountId: number,
  invoiceId: number,
): Promise<number> {
  const row = await db
    .selectFrom('calls')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The calls on an invoice, in time order (at most `limit`), and how many there are. */
export async function invoiceCalls(
  db: Executor,
  accountId: number,
  invoiceId: number,
  limit: number,
): Promise<{ calls: CallRow[]; total: number }> {
  const calls = await db
    .selectFrom('calls')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .orderBy('start_time')
    .orderBy('id')
    .limit(limit)
    .execute();
  return { calls, total: await countCallsOnInvoice(db, accountId, invoiceId) };
}

/** The calls a billing run puts on invoices, summed per invoice, feature and destination. */
export interface CallSummaryRow {
  invoiceId: number;
  customerId: number;
  featureId: number | null;
  destination: string;
  callCount: number;
  durationS: number;
  /** The seconds the calls were billed for (each call's increments applied). */
  billableS: number;
  charge: string;
  cost: string | null;
  firstStart: Date;
  lastStart: Date;
}

/**
 * Puts each customer's rated, unbilled calls that started before `before` on that customer's unsent
 * invoice, and returns them summed per invoice, feature and destination. One statement: a call that
 * arrives meanwhile is not touched, and waits for the next invoice.
 */
export async function assignCallsToInvoices(
  db: Executor,
  accountId: number,
  invoiceIds: number[],
  before: Date,
  /** The invoices relation (invoices/reports-repo.ts invoiceRowsSql()): calls sits below billing. */
  invoices: RawBuilder<unknown>,
): Promise<CallSummaryRow[]> {
  if (invoiceIds.length === 0) return [];
  const result = await sql<{
    invoice_id: number;
    customer_id: number;
    feature_id: number | null;
    destination: string;
    calls: number;
    duration_s: number;
    billable_s: number;
    charge: string;
    cost: string | null;
    first_start: Date;
    last_start: Date;
  }>`
    with moved as (
      update calls as c set invoice_id = i.id, billed_charge = c.charge
      from ${invoices} as i
      where i.account_id = ${accountId} and ${idsWithin('i.id', invoiceIds)} and i.approved_at is null
        and c.account_id = ${accountId} and c.customer_id = i.customer_id and c.invoice_id is null
        and c.rating_status = 'rated' and c.start_time < ${before}
      returning c.invoice_id, c.customer_id, c.feature_id, c.destination, c.duration_s, c.billable_s, c.charge, c.cost, c.start_time
    )
    select invoice_id, customer_id, feature_id, destination, count(*)::bigint as calls, sum(duration_s)::bigint as duration_s,
           coalesce(sum(billable_s), 0)::bigint as billable_s,
           sum(charge) as charge, sum(cost) as cost, min(start_time) as first_start, max(start_time) as last_start
    from moved group by invoice_id, customer_id, feature_id, destination
  `.execute(db);
  return result.rows.map((r) => ({
    invoiceId: Number(r.invoice_id),
    customerId: Number(r.customer_id),
    featureId: r.feature_id === null ? null : Number(r.feature_id),
    destination: r.destination,
    callCount: Number(r.calls),
    durationS: Number(r.duration_s),
    billableS: Number(r.billable_s),
    charge: String(r.charge),
    cost: r.cost === null ? null : String(r.cost),
    firstStart: r.first_start,
    lastStart: r.last_start,
  }));
}

/** Takes calls off unsent invoices (to summarise them again, or when the invoice is deleted). */
export async function releaseCalls(db: Executor, accountId: number, invoiceIds: number[]): Promise<void> {
  if (invoiceIds.length === 0) return;
  await db
    .updateTable('calls')
    .set({ invoice_id: null, billed_charge: null })
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', anyId(invoiceIds))
    .execute();
}

/** Takes the calls a call-summary charge sums off its (unsent) invoice: the charge is being deleted. */
export async function releaseSummaryCalls(
  db: Executor,
  accountId: number,
  charge: { invoice_id: number; feature_id: number | null; call_destination: string | null },
): Promise<void> {
  if (charge.call_destination === null) return;
  let q = db
    .updateTable('calls')
    .set({ invoice_id: null, billed_charge: null })
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', charge.invoice_id)
    .where('destination', '=', charge.call_destination);
  q =
    charge.feature_id === null
      ? q.where('feature_id', 'is', null)
      : q.where('feature_id', '=', charge.feature_id);
  await q.execute();
}

/** Customers among these with rated calls not yet on an invoice that started before `before`. */
export async function customersWithCallsToBill(
  db: Executor,
  accountId: number,
  customerIds: number[],
  before: Date,
): Promise<number[]> {
  if (customerIds.length === 0) return [];
  const result = await sql<{ customer_id: number }>`
    select distinct customer_id from calls
    where account_id = ${accountId} and customer_id = any(${idArray(customerIds)}::bigint[]) and invoice_id is null
      and rating_status = 'rated' and start_time < ${before}
  `.execute(db);
  return result.rows.map((r) => Number(r.customer_id));
}

export interface CallPageFilter {
  from?: Date | undefined;
  to?: Date | undefined;
  onlyWaiting?: boolean | undefined;
  number?: string | undefined;
  /** Only this customer's calls. */
  customerId?: number | undefined;
}

/** The next page of calls (ids and customers) to re-rate, in id order. */
export async function pageCallIds(
  db: Executor,
  accountId: number,
  filter: CallPageFilter,
  after: number,
  limit: number,
): Promise<{ id: number; customer_id: number | null }[]> {
  let q = db
    .selectFrom('calls')
    .select(['id', 'customer_id'])
    .where('account_id', '=', accountId)
    .where('id', '>', after);
  if (filter.from !== undefined) q = q.where('start_time', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('start_time', '<', filter.to);
  if (filter.onlyWaiting) q = q.where('rating_status', 'in', ['unrated', 'unallocated']);
  // Internal calls (extension to extension) are never priced.
  else q = q.where('rating_status', '<>', 'internal');
  if (filter.customerId !== undefined) q = q.where('customer_id', '=', filter.customerId);
  if (filter.number !== undefined) {
    const numbers = phoneSpellings(filter.number);
    q = q.where((eb) =>
      eb.or([
        eb.and([eb('direction', '=', 'outbound'), eb('from_number', 'in', numbers)]),
        eb.and([eb('direction', '=', 'inbound'), eb('to_number', 'in', numbers)]),
      ]),
    );
  }
  return q.orderBy('id').limit(limit).execute();
}

export async function lockCallsByIds(db: Executor, accountId: number, ids: number[]): Promise<CallRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('calls')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .orderBy('id')
    .forUpdate()
    .execute();
}

/** A call's new allocation and price. */
export interface CallUpdate {
  id: number;
  customerId: number | null;
  featureId: number | null;
  ratingStatus: RatingStatus;
  ratingError: string | null;
  rateId: number | null;
  destination: string | null;
  band: string | null;
  billableS: number | null;
  charge: string | null;
  cost: string | null;
  billedCharge: string | null;
}

export async function updateCallRatings(
  db: Executor,
  accountId: number,
  updates: CallUpdate[],
  now: Date,
): Promise<void> {
  if (updates.length === 0) return;
  const col = <T>(pick: (u: CallUpdate) => T) => updates.map(pick);
  // One statement: the calls as they were (`before`, the statement's snapshot) and as the update leaves
  // them (`after`), so the summarised ones' change reaches their hours in call_hours (hours-repo.ts).
  await sql`
    with v as (
      select * from unnest(
        ${col((u) => u.id)}::bigint[], ${col((u) => u.customerId)}::bigint[], ${col((u) => u.featureId)}::bigint[],
        ${col((u) => u.ratingStatus)}::text[], ${col((u) => u.ratingError)}::text[], ${col((u) => u.rateId)}::bigint[],
        ${col((u) => u.destination)}::text[], ${col((u) => u.band)}::text[], ${col((u) => u.billableS)}::integer[],
        ${col((u) => u.charge)}::numeric[], ${col((u) => u.cost)}::numeric[], ${col((u) => u.billedCharge)}::numeric[]
      ) as v(id, customer_id, feature_id, rating_status, rating_error, rate_id, destination, band, billable_s, charge, cost, billed_charge)
    ), before as (
      select c.id, c.start_time, c.destination, c.billable_s, c.rating_status, c.charge, c.cost
      from calls as c join v on v.id = c.id where c.account_id = ${accountId}
    ), after as (
      update calls as c set customer_id = v.customer_id, feature_id = v.feature_id, rating_status = v.rating_status,
        rating_error = v.rating_error, rate_id = v.rate_id, destination = v.destination, band = v.band, billable_s = v.billable_s,
        charge = v.charge, cost = v.cost, billed_charge = v.billed_charge,
        rated_at = case when v.rating_status in ('rated', 'free') then ${now}::timestamptz else null end
      from v
      where c.account_id = ${accountId} and c.id = v.id
      returning c.id, c.start_time, c.destination, c.billable_s, c.rating_status, c.charge, c.cost
    )
    ${callHoursDeltaSql(accountId)}
  `.execute(db);
}

/** The calls a call-summary charge sums: its invoice's calls with its feature and destination. */
export async function callsOfSummary(
  db: Executor,
  accountId: number,
  charge: {
    origin: string;
    invoice_id: number | null;
    feature_id: number | null;
    call_destination: string | null;
  },
  page: PageRequest,
): Promise<Page<CallRow>> {
  if (charge.origin !== 'calls' || charge.invoice_id === null || charge.call_destination === null)
    return { rows: [], nextAfter: undefined };
  let q = db
    .selectFrom('calls')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', charge.invoice_id)
    .where('destination', '=', charge.call_destination);
  q =
    charge.feature_id === null
      ? q.where('feature_id', 'is', null)
      : q.where('feature_id', '=', charge.feature_id);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(
    await q
      .orderBy('id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

// ---- calls as the /v1/calls surface (document 002) shows them

/** The call columns document 002 shows, and whether a recording or transcription was uploaded to Ringbill. */
export interface CallWithFilesRow {
  id: number;
  account_id: number;
  invoice_id: number | null;
  from_number: string;
  to_number: string;
  start_time: Date;
  duration_s: number;
  billable_s: number | null;
  status: CallRow['status'];
  recording_url: string | null;
  transcription_url: string | null;
  confidence_score: string | null;
  voice_agent_id: string | null;
  has_recording: boolean;
  has_transcription: boolean;
}

function selectCallsWithFiles(db: Executor, accountId: number) {
  const uploaded = (kind: 'recording' | 'transcription') =>
    sql<boolean>`exists (select 1 from call_files as f where f.account_id = calls.account_id and f.call_id = calls.id and f.kind = ${kind})`;
  return db
    .selectFrom('calls')
    .select([
      'calls.id',
      'calls.account_id',
      'calls.invoice_id',
      'calls.from_number',
      'calls.to_number',
      'calls.start_time',
      'calls.duration_s',
      'calls.billable_s',
      'calls.status',
      'calls.recording_url',
      'calls.transcription_url',
      'calls.confidence_score',
      'calls.voice_agent_id',
      uploaded('recording').as('has_recording'),
      uploaded('transcription').as('has_transcription'),
    ])
    .where('calls.account_id', '=', accountId);
}

/** One page of an invoice's calls in id order (the index calls_invoice serves it without a sort). */
export async function listCallsWithFilesOnInvoice(
  db: Executor,
  accountId: number,
  invoiceId: number,
  page: PageRequest,
): Promise<Page<CallWithFilesRow>> {
  let q = selectCallsWithFiles(db, accountId).where('calls.invoice_id', '=', invoiceId);
  if (page.after !== undefined) q = q.where('calls.id', '>', page.after);
  return toPage(
    await q
      .orderBy('calls.id')
      .limit(page.limit + 1)
      .execute(),
    page.limit,
  );
}

export async function findCallWithFiles(
  db: Executor,
  accountId: number,
  id: number,
): Promise<CallWithFilesRow | undefined> {
  return selectCallsWithFiles(db, accountId).where('calls.id', '=', id).executeTakeFirst();
}

/** A call rated with one of this card's rates (the 'rate-card-deleting' event), if any. */
export async function callRatedWithCard(
  db: Executor,
  accountId: number,
  rateCardId: number,
): Promise<number | undefined> {
  const call = await db
    .selectFrom('calls')
    .select('calls.id')
    .innerJoin(rateRows(db).as('rates'), (j) =>
      j.onRef('rates.account_id', '=', 'calls.account_id').onRef('rates.id', '=', 'calls.rate_id'),
    )
    .where('calls.account_id', '=', accountId)
    .where('rates.rate_card_id', '=', rateCardId)
    .limit(1)
    .executeTakeFirst();
  return call?.id;
}

/** The calls as a relation in another module's raw SQL (the feed's): `join ${callRowsSql()} as c on …`. */
export function callRowsSql() {
  return sql`(select * from calls)`;
}

/**
 * The calls this transaction stored after `afterCallId` (see callIdHighWater), as a relation in another
 * module's raw SQL: the feed writes their rows in one statement (a plain subquery, pulled up into its plan).
 */
export function callsStoredInThisTransactionSql(accountId: number, afterCallId: number) {
  return sql`(select * from calls where account_id = ${accountId} and id > ${afterCallId} and xmin = pg_current_xact_id()::xid)`;
}

/** The highest call id of the account now: call before storing new calls, which then get higher ids. */
export async function callIdHighWater(db: Executor, accountId: number): Promise<number> {
  const row = await sql<{
    max: number | null;
  }>`select max(id) as max from calls where account_id = ${accountId}`.execute(db);
  return Number(row.rows[0]?.max ?? 0);
}

/** Locks one call (every correction of a call takes this lock first) and reads its feed-visible fields. */
export async function lockCall(db: Executor, accountId: number, callId: number) {
  return db
    .selectFrom('calls')
    .select(['id', 'complete_call_id', 'custom_data', 'payout', 'notes', 'start_time', 'duration_s'])
    .where('account_id', '=', accountId)
    .where('id', '=', callId)
    .forUpdate()
    .executeTakeFirst();
}

/** Sets the call's fields the feed shows (payout, notes, custom data, recording URL). */
export async function updateCallFeedFields(
  db: Executor,
  accountId: number,
  callId: number,
  fields: {
    payout?: string | null;
    notes?: string | null;
    customData?: Record<string, unknown> | null;
    recordingUrl?: string | null;
  },
): Promise<void> {
  const set: Record<string, unknown> = {};
  if (fields.payout !== undefined) set.payout = fields.payout;
  if (fields.notes !== undefined) set.notes = fields.notes;
  if (fields.recordingUrl !== undefined) set.recording_url = fields.recordingUrl;
  if (fields.customData !== undefined)
    set.custom_data = fields.customData === null ? null : JSON.stringify(fields.customData);
  if (Object.keys(set).length === 0) return;
  await db
    .updateTable('calls')
    .set(set)
    .where('account_id', '=', accountId)
    .where('id', '=', callId)
    .execute();
}
