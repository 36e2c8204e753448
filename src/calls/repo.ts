import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { Database } from '../db/connection.ts';
import { copyText } from '../db/connection.ts';
import type { CallRow, RatingStatus } from '../db/schema.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import type { FeatureWindow } from './allocation.ts';

/** Columns written when calls arrive, in COPY order. */
export const CALL_INSERT_COLUMNS = [
  'account_id',
  'source_call_id',
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
export async function featureWindows(db: Executor, accountId: number): Promise<(FeatureWindow & { phoneNumber: string })[]> {
  const rows = await db
    .selectFrom('features as f')
    .innerJoin('customers as c', (j) => j.onRef('c.account_id', '=', 'f.account_id').onRef('c.id', '=', 'f.customer_id'))
    .select(['f.id', 'f.customer_id', 'f.phone_number', 'f.start_date', 'f.end_date', 'f.rate_card_id', 'c.rate_card_id as customer_rate_card_id'])
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

/** Of these source call ids, those already stored. */
export async function existingSourceCallIds(db: Executor, accountId: number, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const result = await sql<{ source_call_id: string }>`
    select source_call_id from calls where account_id = ${accountId} and source_call_id = any(${ids}::text[])
  `.execute(db);
  return new Set(result.rows.map((r) => r.source_call_id));
}

/** Bulk-loads new calls with COPY. Throws a unique violation (23505) if one arrived meanwhile. */
export async function copyCalls(database: Database, rows: CallInsertRow[]): Promise<void> {
  if (rows.length === 0) return;
  await database.copyInto('calls', CALL_INSERT_COLUMNS, copyText(rows));
}

/** The slow, safe path when calls race in from two places: skip those already stored. Returns how many went in. */
export async function insertCallsSkippingDuplicates(db: Executor, rows: CallInsertRow[]): Promise<number> {
  let inserted = 0;
  const CHUNK = 1000;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const values = rows.slice(i, i + CHUNK).map((row) => Object.fromEntries(CALL_INSERT_COLUMNS.map((c, k) => [c, row[k]])));
    const result = await db
      .insertInto('calls')
      .values(values as never)
      .onConflict((oc) => oc.columns(['account_id', 'source_call_id']).doNothing())
      .returning('id')
      .execute();
    inserted += result.length;
  }
  return inserted;
}

export async function findCall(db: Executor, accountId: number, id: number): Promise<CallRow | undefined> {
  return db.selectFrom('calls').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export interface CallFilter {
  ratingStatus?: RatingStatus | undefined;
  invoiceId?: number | undefined;
  customerId?: number | undefined;
  featureId?: number | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

export async function listCalls(db: Executor, accountId: number, filter: CallFilter, page: PageRequest): Promise<Page<CallRow>> {
  let q = db.selectFrom('calls').selectAll().where('account_id', '=', accountId);
  if (filter.ratingStatus !== undefined) q = q.where('rating_status', '=', filter.ratingStatus);
  if (filter.invoiceId !== undefined) q = q.where('invoice_id', '=', filter.invoiceId);
  if (filter.customerId !== undefined) q = q.where('customer_id', '=', filter.customerId);
  if (filter.featureId !== undefined) q = q.where('feature_id', '=', filter.featureId);
  if (filter.from !== undefined) q = q.where('start_time', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('start_time', '<', filter.to);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return toPage(await q.orderBy('id').limit(page.limit + 1).execute(), page.limit);
}

export async function countCallsOnInvoice(db: Executor, accountId: number, invoiceId: number): Promise<number> {
  const row = await db
    .selectFrom('calls')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
