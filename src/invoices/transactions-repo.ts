import { sql } from 'kysely';
import type { Executor } from '../context.ts';
import type { BillingTransactionRow, BillingTransactionUpdate, NewBillingTransaction } from '../db/schema.ts';
import type { IsoDate } from '../shared/dates.ts';
import { toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import type { TransactionType } from '../shared/transaction-types.ts';
import { anyId, idArray, plainArray, textArray } from '../db/sql.ts';
import { featureRowsSql } from '../features/repo.ts';
import {
  asBilled,
  billedInvoiceSql,
  invoiceChargesSql,
  type MovedGroup,
  type MovedRow,
  sumMoved,
  toMovedGroups,
  withRangeInvoices,
} from './invoice-charges-repo.ts';
export type {
  BillingTransactionRow,
  BillingTransactionUpdate,
  BillingTransactionsTable,
} from '../db/schema.ts';

/** A charge Ringbill generates (a recurring charge, a call summary): only the fields such charges use. */
export interface GeneratedCharge {
  accountId: number;
  customerId: number;
  featureId: number | null;
  invoiceId: number;
  origin: 'recurring' | 'calls' | 'adjustment' | 'discount' | 'fee';
  type: TransactionType;
  description: string;
  transactionDate: IsoDate;
  billDate: IsoDate;
  startDate: IsoDate | null;
  endDate: IsoDate | null;
  value: string;
  vatRate: string;
  valueCarrier: string | null;
  callCount: number | null;
  callMinutes: number | null;
  callDestination: string | null;
  /** For a late fee or interest: the overdue invoice it is for. */
  sourceInvoiceId?: number | null;
}

/**
 * Inserts generated charges in one statement (unnest of column arrays: cheaper to send and plan than a
 * multi-row VALUES).
 */
export async function insertGeneratedCharges(
  db: Executor,
  charges: GeneratedCharge[],
  now: Date,
): Promise<void> {
  if (charges.length === 0) return;
  const col = <T>(pick: (c: GeneratedCharge) => T) => charges.map(pick);
  await sql`
    insert into billing_transactions (account_id, customer_id, feature_id, invoice_id, origin, transaction_type, description, source,
      feature_count, transaction_date, bill_date, start_date, end_date, value, vat_rate, value_carrier, call_count, call_minutes,
      call_destination, source_invoice_id, created_at, updated_at)
    select v.account_id, v.customer_id, v.feature_id, v.invoice_id, v.origin, v.transaction_type, v.description, v.origin,
      case when v.feature_id is null then null else 1 end, v.transaction_date, v.bill_date, v.start_date, v.end_date, v.value,
      v.vat_rate, v.value_carrier, v.call_count, v.call_minutes, v.call_destination, v.source_invoice_id, ${now}, ${now}
    from unnest(
      ${plainArray(col((c) => c.accountId))}::bigint[], ${plainArray(col((c) => c.customerId))}::bigint[], ${plainArray(col((c) => c.featureId))}::bigint[],
      ${plainArray(col((c) => c.invoiceId))}::bigint[], ${textArray(col((c) => c.origin))}::text[], ${textArray(col((c) => c.type))}::text[],
      ${textArray(col((c) => c.description))}::text[], ${plainArray(col((c) => c.transactionDate))}::date[], ${plainArray(col((c) => c.billDate))}::date[],
      ${plainArray(col((c) => c.startDate))}::date[], ${plainArray(col((c) => c.endDate))}::date[], ${plainArray(col((c) => c.value))}::numeric[],
      ${plainArray(col((c) => c.vatRate))}::numeric[], ${plainArray(col((c) => c.valueCarrier))}::numeric[], ${plainArray(col((c) => c.callCount))}::integer[],
      ${plainArray(col((c) => c.callMinutes))}::bigint[], ${textArray(col((c) => c.callDestination))}::text[], ${plainArray(col((c) => c.sourceInvoiceId ?? null))}::bigint[]
    ) as v(account_id, customer_id, feature_id, invoice_id, origin, transaction_type, description, transaction_date, bill_date,
           start_date, end_date, value, vat_rate, value_carrier, call_count, call_minutes, call_destination, source_invoice_id)
  `.execute(db);
}

/**
 * A feature's recurring charges for insertRecurringCharges: the feature, its invoice and the set of terms
 * (`terms`, an index into the charges given with it) whose charges it takes.
 */
export interface FeatureTerms {
  featureId: number;
  customerId: number;
  invoiceId: number;
  /** The feature's name: each charge's description is the name, a space and the charge's label. */
  name: string;
  vatRate: string;
  terms: number;
}

/** One recurring charge of a set of terms, the same for every feature on those terms. */
export interface TermsCharge {
  terms: number;
  /** The description after the feature's name ("monthly 2026-11-01 to 2026-11-30"). */
  label: string;
  transactionDate: IsoDate;
  billDate: IsoDate;
  startDate: IsoDate;
  endDate: IsoDate;
  value: string;
}

/**
 * Inserts the recurring charges of a batch's features in one statement. Features on the same terms have the
 * same charges (recurringDueByTerms), so each set of terms' charges is sent once and the statement joins
 * them to the features that take them: a few arrays a feature instead of eighteen a charge. Rows are made
 * in the order of the features, then of each one's charges, as insertGeneratedCharges would make them.
 */
export async function insertRecurringCharges(
  db: Executor,
  accountId: number,
  features: readonly FeatureTerms[],
  charges: readonly TermsCharge[],
  now: Date,
): Promise<void> {
  if (features.length === 0 || charges.length === 0) return;
  const f = <T>(pick: (f: FeatureTerms) => T) => features.map(pick);
  const c = <T>(pick: (c: TermsCharge) => T) => charges.map(pick);
  await sql`
    insert into billing_transactions (account_id, customer_id, feature_id, invoice_id, origin, transaction_type, description, source,
      feature_count, transaction_date, bill_date, start_date, end_date, value, vat_rate, created_at, updated_at)
    select ${accountId}, f.customer_id, f.feature_id, f.invoice_id, 'recurring', 'recurring', f.name || ' ' || c.label, 'recurring',
      1, c.transaction_date, c.bill_date, c.start_date, c.end_date, c.value, f.vat_rate, ${now}, ${now}
    from unnest(
      ${plainArray(f((x) => x.featureId))}::bigint[], ${plainArray(f((x) => x.customerId))}::bigint[],
      ${plainArray(f((x) => x.invoiceId))}::bigint[], ${textArray(f((x) => x.name))}::text[],
      ${plainArray(f((x) => x.vatRate))}::numeric[], ${plainArray(f((x) => x.terms))}::integer[]
    ) with ordinality as f(feature_id, customer_id, invoice_id, name, vat_rate, terms, n)
    join unnest(
      ${plainArray(c((x) => x.terms))}::integer[], ${textArray(c((x) => x.label))}::text[],
      ${plainArray(c((x) => x.transactionDate))}::date[], ${plainArray(c((x) => x.billDate))}::date[],
      ${plainArray(c((x) => x.startDate))}::date[], ${plainArray(c((x) => x.endDate))}::date[],
      ${plainArray(c((x) => x.value))}::numeric[]
    ) with ordinality as c(terms, label, transaction_date, bill_date, start_date, end_date, value, n) on c.terms = f.terms
    order by f.n, c.n
  `.execute(db);
}

/**
 * The recurring charges (not credits) made for these features for days after each one's end date: what a
 * credit for those days gives back. Newest first, so a period charged again (after an invoice was deleted)
 * is credited at its latest charge.
 */
export async function recurringChargesAfterEnd(
  db: Executor,
  accountId: number,
  featureIds: readonly number[],
): Promise<{ feature_id: number; start_date: IsoDate; end_date: IsoDate; value: string }[]> {
  if (featureIds.length === 0) return [];
  const result = await sql<{ feature_id: number; start_date: IsoDate; end_date: IsoDate; value: string }>`
    select t.feature_id, t.start_date, t.end_date, t.value
    from billing_transactions as t
    join ${featureRowsSql()} as f on f.account_id = t.account_id and f.id = t.feature_id
    where t.account_id = ${accountId} and t.feature_id = ${anyId(featureIds)} and t.origin = 'recurring' and t.value > 0
      and t.start_date is not null and t.end_date is not null and f.end_date is not null and t.end_date > f.end_date
    order by t.id desc
  `.execute(db);
  return result.rows.map((r) => ({ ...r, feature_id: Number(r.feature_id) }));
}

/** Inserts charges in multi-row statements of bounded size. */
export async function insertTransactions(
  db: Executor,
  rows: NewBillingTransaction[],
): Promise<BillingTransactionRow[]> {
  const out: BillingTransactionRow[] = [];
  const CHUNK = 500; // 40-odd columns each: well under PostgreSQL's 65,535 parameters
  for (let i = 0; i < rows.length; i += CHUNK) {
    out.push(
      ...(await db
        .insertInto('billing_transactions')
        .values(rows.slice(i, i + CHUNK))
        .returningAll()
        .execute()),
    );
  }
  return out;
}

export async function findTransaction(
  db: Executor,
  accountId: number,
  id: number,
): Promise<BillingTransactionRow | undefined> {
  const row = await db
    .selectFrom('billing_transactions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && (await withRangeInvoices(db, accountId, [row]))[0];
}

export async function lockTransaction(
  db: Executor,
  accountId: number,
  id: number,
): Promise<BillingTransactionRow | undefined> {
  const row = await db
    .selectFrom('billing_transactions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  return row && (await withRangeInvoices(db, accountId, [row]))[0];
}

export async function findTransactions(
  db: Executor,
  accountId: number,
  ids: number[],
): Promise<BillingTransactionRow[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('billing_transactions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .execute();
  return withRangeInvoices(db, accountId, rows);
}

export interface TransactionFilter {
  customerId?: number | undefined;
  featureId?: number | undefined;
  invoiceId?: number | undefined;
  /** 'raised' (default: on raised invoices), 'unsent' (on the unsent invoice) or 'all'. */
  state: 'raised' | 'unsent' | 'all';
  invoiceIdAfter?: number | undefined;
  createdSince?: Date | undefined;
}

export async function listTransactions(
  db: Executor,
  accountId: number,
  filter: TransactionFilter,
  page: PageRequest,
): Promise<Page<BillingTransactionRow>> {
  const billed = billedInvoiceSql('t');
  let q = db
    .selectFrom('billing_transactions as t')
    .selectAll('t')
    .select(billed.as('billed_invoice_id'))
    .where('t.account_id', '=', accountId);
  if (filter.state !== 'all') {
    q = q
      .innerJoin('invoices as i', (join) =>
        join.onRef('i.account_id', '=', 't.account_id').on(sql<boolean>`i.id = ${billed}`),
      )
      .where('i.approved_at', filter.state === 'raised' ? 'is not' : 'is', null);
  }
  if (filter.customerId !== undefined) q = q.where('t.customer_id', '=', filter.customerId);
  if (filter.featureId !== undefined) q = q.where('t.feature_id', '=', filter.featureId);
  if (filter.invoiceId !== undefined) {
    const onInvoice = sql<number>`(select c.id from ${invoiceChargesSql(accountId, [filter.invoiceId])} as c)`;
    q = q.where('t.id', 'in', onInvoice);
  }
  if (filter.invoiceIdAfter !== undefined) q = q.where(billed, '>', filter.invoiceIdAfter);
  if (filter.createdSince !== undefined) q = q.where('t.created_at', '>=', filter.createdSince);
  if (page.after !== undefined) q = q.where('t.id', '>', page.after);
  const rows = await q
    .orderBy('t.id')
    .limit(page.limit + 1)
    .execute();
  return toPage(rows.map(asBilled), page.limit);
}

export async function updateTransactionRow(
  db: Executor,
  accountId: number,
  id: number,
  values: BillingTransactionUpdate,
): Promise<BillingTransactionRow | undefined> {
  // A charge whose invoice is written as none waits for a later one, whatever range its id is in.
  const set = 'invoice_id' in values ? { ...values, left_out: values.invoice_id === null } : values;
  const row = await db
    .updateTable('billing_transactions')
    .set(set)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row && (await withRangeInvoices(db, accountId, [row]))[0];
}

export async function deleteTransactionRows(db: Executor, accountId: number, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .deleteFrom('billing_transactions')
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .execute();
}

/** Sum of refunds already made against a transaction (a negative amount, or "0"). */
export async function refundedSoFar(
  db: Executor,
  accountId: number,
  refundedId: number,
  excludeId?: number,
): Promise<string> {
  let q = db
    .selectFrom('billing_transactions')
    .select(sql<string>`coalesce(sum(value), 0)`.as('total'))
    .where('account_id', '=', accountId)
    .where('refunded_id', '=', refundedId);
  if (excludeId !== undefined) q = q.where('id', '!=', excludeId);
  const row = await q.executeTakeFirstOrThrow();
  return String(row.total);
}

export async function deleteFeatureCharges(
  db: Executor,
  accountId: number,
  featureId: number,
): Promise<void> {
  await db
    .deleteFrom('billing_transactions')
    .where('account_id', '=', accountId)
    .where('feature_id', '=', featureId)
    .execute();
}

/** Deletes the call summaries on these invoices; returns what they summed (for the totals). */
export async function deleteCallSummaries(
  db: Executor,
  accountId: number,
  invoiceIds: number[],
): Promise<MovedGroup[]> {
  if (invoiceIds.length === 0) return [];
  const result = await sql<MovedRow>`
    with gone as (
      delete from billing_transactions
      where account_id = ${accountId} and invoice_id = any(${idArray(invoiceIds)}::bigint[]) and origin = 'calls'
      returning invoice_id, transaction_type, vat_rate, value, call_count, call_minutes
    )
    ${sumMoved(sql.raw('gone'))}
  `.execute(db);
  return toMovedGroups(result.rows);
}

/** Deletes the discounts and fees on these invoices, returning what each was (to undo their marks). */
export async function deleteExtrasOf(
  trx: Executor,
  accountId: number,
  invoiceIds: number[],
): Promise<
  Array<{
    invoice_id: number;
    transaction_type: string;
    vat_rate: string;
    value: string;
    source_invoice_id: number | null;
    start_date: string | null;
  }>
> {
  const result = await sql<{
    invoice_id: number;
    transaction_type: string;
    vat_rate: string;
    value: string;
    source_invoice_id: number | null;
    start_date: string | null;
  }>`
    delete from billing_transactions
    where account_id = ${accountId} and invoice_id = any(${idArray(invoiceIds)}::bigint[]) and origin in ('discount', 'fee')
    returning invoice_id, transaction_type, vat_rate, value, source_invoice_id, start_date
  `.execute(trx);
  return result.rows;
}

/** Whether the account has any charge, billed or not. */
export async function accountHasCharges(db: Executor, accountId: number): Promise<boolean> {
  const row = await db
    .selectFrom('billing_transactions')
    .select('id')
    .where('account_id', '=', accountId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Deletes a customer's charges (a customer never invoiced: all of them are unbilled). */
export async function deleteCustomerCharges(
  db: Executor,
  accountId: number,
  customerId: number,
): Promise<void> {
  await db
    .deleteFrom('billing_transactions')
    .where('account_id', '=', accountId)
    .where('customer_id', '=', customerId)
    .execute();
}
